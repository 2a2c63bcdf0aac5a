"""The server's one error type, below its use cases and the checks they call (``authority``, ``limits``)."""

from __future__ import annotations


class ServerError(Exception):
    """An error with an HTTP status and a Chinese message the desk shows as is."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
