"""One Core statement executed for many rows through the driver's ``executemany``, for the bulk writers.

SQLAlchemy's own executemany builds each row's parameters one by one (``construct_params``: a dict per row, the
bind names looked up, the defaults checked), which on SQLite costs as much as the insert itself for tables of
twenty columns (bench_ledger: the import's Core inserts and outbox rows, ~30 rows per ledger row). ``execute_many``
compiles the statement once, puts each value through its column type's bind processor in the compiled order (the
processors SQLAlchemy would apply: JSON, UTC datetimes, the encrypted columns' ``TypeDecorator``) and hands the
tuples to ``Connection.exec_driver_sql``, so the connection's events (``before_cursor_execute``), its transaction
and ``hide_parameters`` still apply. The database gets the same values as ``conn.execute(stmt, rows)``.

``fast_processor`` is the bind processor both use (and the sync pull's bulk insert): SQLAlchemy's, but on SQLite,
for the three kinds of value every bulk row carries several of (a UTC datetime, a date, a JSON document), the same
text made in one step instead of three chained calls (SQLAlchemy's processors were a third of the ledger import's
outbox writing: bench/README.md, "Issue 17 goal, session 13").
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Date
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeEngine

from reception.db.base import UTCDateTime

SQLITE_DATETIME_FORMAT = ("%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d."
                          "%(microsecond)06d")
SQLITE_DATE_FORMAT = "%(year)04d-%(month)02d-%(day)02d"
"""(SQLAlchemy's storage formats for DATETIME and DATE on SQLite: the texts ``_utc_text`` and ``_date_text``
write; a column type configured with another format keeps SQLAlchemy's processor)"""


def fast_processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor for ``dialect``, as SQLAlchemy applies it (None: the value as it is). On
    SQLite, in SQLAlchemy's default storage formats, for a ``UTCDateTime`` column ``_utc_text``, for a ``Date``
    one ``_date_text`` and for a ``JSON`` one ``_json_text``: the same text, made in one step; any value they do
    not recognise goes to SQLAlchemy's processor (so None, a naive datetime, a JSON ``null`` behave as before)."""
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name != "sqlite" or processor is None:
        return processor
    if isinstance(column_type, UTCDateTime):
        stored = getattr(column_type.impl_instance.dialect_impl(dialect), "_storage_format", None)
        return partial(_utc_text, processor) if stored == SQLITE_DATETIME_FORMAT else processor
    if type(column_type) is Date:
        stored = getattr(column_type.dialect_impl(dialect), "_storage_format", None)
        return partial(_date_text, processor) if stored == SQLITE_DATE_FORMAT else processor
    if type(column_type) is JSON and getattr(dialect, "_json_serializer", None) is None:
        string_impl = column_type._str_impl.dialect_impl(dialect)  # (what the JSON text then goes through)
        if string_impl.bind_processor(dialect) is None:
            return partial(_json_text, processor, processor(None))
    return processor


def _utc_text(slow: Callable[[Any], Any], value: Any) -> Any:
    """What ``UTCDateTime``'s bind processing on SQLite (``slow``) makes of ``value``: an aware datetime in UTC as
    ``YYYY-MM-DD HH:MM:SS.ffffff``; anything else (None, a naive datetime: refused) as ``slow`` does it."""
    if type(value) is datetime:
        last = _last_moment[0]
        if value is last[0]:  # (a bulk writer's rows share their moment: an outbox batch's created_at)
            return last[1]
        zone = value.tzinfo
        if zone is UTC:  # the text before the offset
            text = value.isoformat(" ", "microseconds")[:26]
        elif zone is not None:
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        else:
            return slow(value)
        _last_moment[0] = (value, text)
        return text
    return slow(value)


_last_moment: list[tuple[Any, Any]] = [(None, None)]
"""The datetime ``_utc_text`` wrote last and its text, as one pair read and replaced whole (threads may share it:
each pair is true). Datetimes are immutable, and the pair keeps its datetime alive, so ``is`` finds only it."""


def _date_text(slow: Callable[[Any], Any], value: Any) -> Any:
    """What ``Date``'s bind processing on SQLite (``slow``) makes of ``value``: a date as ``YYYY-MM-DD``;
    anything else as ``slow`` does it."""
    return value.isoformat() if type(value) is date else slow(value)


def _json_encoder() -> Callable[[Any], str]:
    """``json.dumps`` with its default options, made by one C encoder kept for every call (``json.dumps`` builds a
    new one on each call: for the few hundred bytes of a record, a third of its time). The same text; a circular
    structure raises RecursionError instead of ValueError. ``json.dumps`` itself where the C encoder is missing."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    try:
        encoder = make(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ": ", ", ",
                       False, False, True)
        join = "".join

        def dumps(value: Any) -> str:
            return join(encoder(value, 0))

        probe = {"名": ["\u2028\"", 1, 2.5, None, True, {"x": -0.0}], "b": 10**20}
        if dumps(probe) != json.dumps(probe):  # (another Python's private encoder, made differently)
            return json.dumps
    except (TypeError, ValueError):
        return json.dumps
    return dumps


_dumps = _json_encoder()


def _json_text(slow: Callable[[Any], Any], none: Any, value: Any) -> Any:
    """What ``JSON``'s bind processing on SQLite with the default serializer (``slow``) makes of ``value``: a
    dict or a list as ``json.dumps`` writes it; None as ``slow`` made it once (``none``: the text ``null`` or SQL
    NULL, as the column says); anything else (a number, SQLAlchemy's ``JSON.NULL``) as ``slow`` does it."""
    kind = type(value)
    if kind is dict or kind is list:
        return _dumps(value)
    return none if value is None else slow(value)


_Plan = tuple[str, tuple[str, ...], tuple[tuple[int, Callable[[Any], Any]], ...]]
"""(a statement's driver SQL, its parameters' names in order, the processed positions with their processors)"""


def execute_many(conn: Connection, stmt: Insert, rows: Sequence[dict[str, Any]],
                 keys: Sequence[str] | None = None) -> None:
    """``conn.execute(stmt, rows)`` for rows that all have the same keys (every bind parameter of the statement):
    the driver's executemany of the processed values. Falls back to ``conn.execute`` on a driver without ``?``
    parameters (PostgreSQL) or when a row lacks a parameter the statement has (a column default to compute).
    ``keys``: the parameters' names, when the rows hold other items too (which are then left out)."""
    if not rows:
        return
    names_given = list(keys) if keys is not None else list(rows[0])
    plan = _plan(conn, stmt, names_given)
    if plan is None:
        conn.execute(stmt, list(rows) if keys is None else [{k: row[k] for k in names_given} for row in rows])
        return
    _run(conn, stmt, plan, _picked(rows, plan[1]))


def execute_tuples(conn: Connection, stmt: Insert, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """``execute_many`` of rows given as tuples of the values of ``columns`` (every bind parameter of the statement,
    in any order): no dict a row for a writer that has the values in hand (the outbox)."""
    if not rows:
        return
    plan = _plan(conn, stmt, list(columns))
    if plan is None:
        conn.execute(stmt, [dict(zip(columns, row, strict=True)) for row in rows])
        return
    names = plan[1]
    if tuple(names) == tuple(columns):
        _run(conn, stmt, plan, rows)
    else:
        _run(conn, stmt, plan, _picked(rows, [list(columns).index(name) for name in names]))


def _picked(rows: Sequence[Any], items: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Each row's ``items`` (keys of a dict row, positions of a tuple row) as a tuple, in order."""
    getter = itemgetter(*items)
    if len(items) == 1:
        return [(getter(row),) for row in rows]
    return list(map(getter, rows))


def _run(conn: Connection, stmt: Insert, plan: _Plan, rows: Sequence[Sequence[Any]]) -> None:
    """The plan's driver executemany of ``rows`` (values in the plan's order), processed where the plan says."""
    sql, names, processors = plan
    params = _processed(rows, processors) if processors else [tuple(row) for row in rows]
    insert_rows(conn, str(stmt.table.name), sql, names, params)


def _processed(rows: Sequence[Sequence[Any]], processors: Sequence[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    """The rows with the value at each processed position put through its processor (the others as they are)."""
    out: list[tuple[Any, ...]] = []
    append = out.append
    for row in rows:
        values = list(row)
        for position, process in processors:
            values[position] = process(values[position])
        append(tuple(values))
    return out


_PLANS: dict[tuple[Any, ...], _Plan | None] = {}
_PLANS_LIMIT = 256


def _plan(conn: Connection, stmt: Insert, keys: list[str]) -> _Plan | None:
    """The statement's driver SQL, its parameters' names in order and the processed positions with their
    processors; None when the driver takes no ``?`` parameters or a parameter is not among ``keys``. Kept for a
    statement that SQLAlchemy's compiled cache would keep (its cache key), else compiled each time."""
    dialect = conn.dialect
    if dialect.paramstyle != "qmark":
        return None
    cache_key = stmt._generate_cache_key()
    key = (cache_key.key, dialect.name, tuple(keys)) if cache_key is not None else None
    if key is not None and key in _PLANS:
        return _PLANS[key]
    compiled: Any = stmt.compile(dialect=dialect, column_keys=keys)
    names: tuple[str, ...] = tuple(compiled.positiontup or ())
    plan = None
    if set(names) <= set(keys):
        binds = compiled.binds
        processors = []
        for position, name in enumerate(names):
            process = fast_processor(binds[name].type, dialect)
            if process is not None:
                processors.append((position, process))
        plan = (compiled.string, names, tuple(processors))
    if key is not None:
        if len(_PLANS) >= _PLANS_LIMIT:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


DAY_TRIGGERS: dict[str, str] = {"visit": "visited_on", "case_event": "occurred_on",
                                "leader_reception": "received_on", "petition_case": "registered_on"}
"""The tables whose rows' days the statistics cache forgets when a row is inserted (migration 0006's
``trg_stats_<table>_insert``: ``DELETE FROM stats_cached_day WHERE day IN (NEW.<column>)``), with that column."""

BYPASS_FROM_ROWS = 64
"""``insert_rows`` replaces a day trigger by one statement from this many rows on (fewer: the trigger's own cost is
less than the schema change's)."""


def _day_trigger_sql(table: str, column: str) -> str:
    """The text SQLite keeps of migration 0006's insert trigger of ``table`` (``sqlite_master.sql``)."""
    return (f"CREATE TRIGGER trg_stats_{table}_insert AFTER INSERT ON {table} BEGIN "
            f"DELETE FROM stats_cached_day WHERE day IN (NEW.{column});  END")


def insert_rows(conn: Connection, table: str, sql: str, names: Sequence[str], params: Sequence[Any]) -> None:
    """The driver's executemany of ``sql`` (an INSERT into ``table`` of the columns ``names``, the values
    processed) on the connection, in its transaction.

    SQLite runs a row trigger's program for every row (and keeps a statement journal for each row of a table that
    has one): for the statistics cache's day triggers (``DAY_TRIGGERS``) that is two thirds of a case event's insert
    (bench/README.md, "Issue 17 goal, session 13"). For many rows the trigger is therefore dropped, the rows
    inserted and the trigger created again from the text SQLite kept of it, and the days of the rows forgotten by
    one statement: what the trigger would have done, all in the caller's transaction, so no other connection ever
    sees the table without its trigger (SQLite's schema changes are transactional; a rollback restores it). Only a
    trigger whose text is exactly migration 0006's is replaced (one a later migration changed keeps running)."""
    column = DAY_TRIGGERS.get(table)
    if (column is None or len(params) < BYPASS_FROM_ROWS or column not in names or conn.dialect.name != "sqlite"
            or not getattr(conn.connection.dbapi_connection, "in_transaction", False)):  # (never outside one)
        conn.exec_driver_sql(sql, list(params))
        return
    name = f"trg_stats_{table}_insert"
    stored = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                  (name,)).scalar()
    if stored != _day_trigger_sql(table, column):
        conn.exec_driver_sql(sql, list(params))
        return
    position = list(names).index(column)
    conn.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        conn.exec_driver_sql(sql, list(params))
    except BaseException:
        # (the caller rolls back, which restores the trigger; should it go on instead, the trigger is there: an
        # error SQLite rolled the transaction back for already restored it, hence IF NOT EXISTS)
        with contextlib.suppress(Exception):
            conn.exec_driver_sql(stored.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1))
        raise
    conn.exec_driver_sql(stored)
    days = sorted({row[position] for row in params if row[position] is not None})
    for start in range(0, len(days), 500):
        chunk = days[start:start + 500]
        conn.exec_driver_sql(f"DELETE FROM stats_cached_day WHERE day IN ({', '.join('?' for _ in chunk)})",
                             tuple(chunk))
