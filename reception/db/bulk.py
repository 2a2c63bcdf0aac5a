"""One Core statement executed for many rows through the driver's ``executemany``, for the bulk writers.

SQLAlchemy's own executemany builds each row's parameters one by one (``construct_params``: a dict per row, the
bind names looked up, the defaults checked), which on SQLite costs as much as the insert itself for tables of
twenty columns (bench_ledger: the import's Core inserts and outbox rows, ~30 rows per ledger row). ``execute_many``
compiles the statement once, puts each value through its column type's bind processor in the compiled order (the
processors SQLAlchemy would apply: JSON, UTC datetimes, the encrypted columns' ``TypeDecorator``) and hands the
tuples to ``Connection.exec_driver_sql``, so the connection's events (``before_cursor_execute``), its transaction
and ``hide_parameters`` still apply. The database gets the same values as ``conn.execute(stmt, rows)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert


def execute_many(conn: Connection, stmt: Insert, rows: Sequence[dict[str, Any]]) -> None:
    """``conn.execute(stmt, rows)`` for rows that all have the same keys (every bind parameter of the statement):
    the driver's executemany of the processed values. Falls back to ``conn.execute`` on a driver without ``?``
    parameters (PostgreSQL) or when a row lacks a parameter the statement has (a column default to compute)."""
    if not rows:
        return
    dialect = conn.dialect
    keys = list(rows[0])
    if dialect.paramstyle != "qmark":
        conn.execute(stmt, list(rows))
        return
    compiled: Any = stmt.compile(dialect=dialect, column_keys=keys)
    names: Sequence[str] = compiled.positiontup or ()
    if not set(names) <= set(keys):
        conn.execute(stmt, list(rows))
        return
    processors: dict[str, Any] = compiled._bind_processors  # (what ``_init_compiled`` applies to each row)
    plan = [(name, processors.get(name)) for name in names]
    params = [tuple(proc(row[name]) if proc is not None else row[name] for name, proc in plan) for row in rows]
    conn.exec_driver_sql(compiled.string, params)
