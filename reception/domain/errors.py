"""Typed errors of the core. Each carries a stable key, the field it concerns and a Chinese message.

The UI shows ``message`` next to ``field``; logs may show ``key`` and ``field`` but never the input value.
"""

from __future__ import annotations


class ReceptionError(Exception):
    """Base of every error the core raises on purpose."""

    key: str = "error"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if key is not None:
            self.key = key


class FieldError(ReceptionError):
    """One input field is invalid."""

    def __init__(self, field: str, message: str, *, key: str = "invalid") -> None:
        super().__init__(message, key=key)
        self.field = field


class FieldErrors(ReceptionError):
    """Several fields are invalid at once (a whole form)."""

    key = "invalid_form"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("；".join(e.message for e in errors) or "输入有误")
        self.errors = list(errors)

    def by_field(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


class NotFoundError(ReceptionError):
    key = "not_found"


class DatabaseVersionError(ReceptionError):
    """The database was written by a newer version of the app, or cannot be upgraded."""

    key = "database_version"
