"""Keep personal data out of log files, whatever level an administrator turns logging up to.

- Engines are created with ``hide_parameters=True`` (``reception.db.engine``): logged SQL and error messages never
  show bound values (names, addresses, ID numbers before encryption).
- At DEBUG, SQLAlchemy also logs every fetched row, decrypted: ``RowDataFilter`` on its engine loggers drops those
  records (and only those: statements at INFO stay, useful for troubleshooting).
- Our own modules log ids, case numbers and error keys only (``ui.tasks.log_failure``), never a message that could
  quote an input; ``tests/unit/test_security.py`` scans a DEBUG log of a full intake for the values.
"""

from __future__ import annotations

import logging

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
