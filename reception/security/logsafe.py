"""Keep personal data out of log files, whatever level an administrator turns logging up to.

- Engines are created with ``hide_parameters=True`` (``reception.db.database``): logged SQL and error messages never
  show bound values (names, addresses, ID numbers before encryption).
- At DEBUG, SQLAlchemy also logs every fetched row, decrypted: ``RowDataFilter`` on its engine loggers drops those
  records (and only those: statements at INFO stay, useful for troubleshooting).
- Our own modules log ids, case numbers and error keys only (``ui.tasks.log_failure``), never a message that could
  quote an input; ``tests/unit/test_security.py`` scans a DEBUG log of a full intake for the values.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from types import TracebackType

ENGINE_LOGGERS = ("sqlalchemy.engine.Engine", "sqlalchemy.engine.base.Engine", "sqlalchemy.pool")


class RowDataFilter(logging.Filter):
    """Drops SQLAlchemy's DEBUG records (result rows and their column values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_FILTER = RowDataFilter()


def install() -> None:
    """Idempotent: attach the filter to SQLAlchemy's engine loggers."""
    for name in ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def safe_traceback(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> str:
    """An exception for the log without personal data: its type, its error key (``ReceptionError``), the chain of
    causes by type, and the stack as file, line and function. The source line and the exception's message are
    left out: either can quote what a user typed (``ValueError(f"bad ID {number}")``, an f-string in the code)."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    current_type: type[BaseException] | None = exc_type
    current_tb = tb
    while current_type is not None:
        key = getattr(current, "key", None)
        name = f"{current_type.__module__}.{current_type.__qualname__}"
        lines.append(f"{name}" + (f" (key={key})" if isinstance(key, str) else ""))
        for frame in traceback.extract_tb(current_tb):
            lines.append(f'  File "{_short_path(frame.filename)}", line {frame.lineno}, in {frame.name}')
        if current is None:
            break
        seen.add(id(current))
        cause = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if cause is None or id(cause) in seen:
            break
        lines.append("caused by:" if current.__cause__ is cause else "while handling:")
        current, current_type, current_tb = cause, type(cause), cause.__traceback__
    return "\n".join(lines)


def _short_path(filename: str) -> str:
    """From the package folder on (``reception/...``, ``ui/...``, ``site-packages/...``): no user's home folder."""
    parts = Path(filename).parts
    for anchor in ("reception", "ui", "site-packages", "lib"):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            return "/".join(parts[index:])
    return Path(filename).name
