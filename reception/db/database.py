"""The SQLite engine of a desk: WAL, foreign keys, explicit transactions, short sessions.

pysqlite's own transaction handling is switched off so that SQLAlchemy emits ``BEGIN`` itself; write sessions
use ``BEGIN IMMEDIATE`` so a read-then-write use case (e.g. bumping the case-number counter) takes the write
lock up front instead of failing with "database is locked" halfway.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000

CLOCK_KEY = "reception.clock"
"""``session.info`` key: the desk's clock (``AppContext.now``) for the sessions of ``Database.read/write``."""


def session_now(session: Session) -> datetime:
    """"Now" by the clock of the desk that opened ``session`` (``AppContext.now``); the wall clock otherwise."""
    from reception.db.base import utcnow

    clock: Callable[[], datetime] = session.info.get(CLOCK_KEY, utcnow)
    return clock()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def make_engine(path: Path, *, echo: bool = False) -> Engine:
    # bound parameters carry personal data (names, addresses): never in log records or exception messages
    engine = create_engine(sqlite_url(path), echo=echo, hide_parameters=True)
    from reception.security import logsafe

    logsafe.install()  # and, at DEBUG, never the rows it fetched
    _configure_sqlite(engine)
    return engine


WAL_CHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT = 48 * 1024 * 1024
CACHE_KIB = 32 * 1024
ANALYSIS_LIMIT = 2000
_CACHE_INFO = "reception.cache_kib"
"""In a pooled connection's ``info``: the page cache it was given (``Database.large_cache``)."""
"""Rows ANALYZE samples per index (SQLite's ``analysis_limit``): enough for the planner's choices here."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            # deleted rows (a petitioner's old values, outbox rows after upload) are zeroed, never left readable in
            # free space; the personal fields are ciphertext anyway, this keeps names and addresses out of it too
            cursor.execute("PRAGMA secure_delete = ON")
            # fold the write-ahead log back into the file every 40 MB instead of every 4 MB: a sync batch rewrites
            # the same outbox index pages again and again, and a checkpoint writes each page once however often it
            # changed since the last one (desk CPU on an 80,000-change push: 3.1 s -> 2.6 s)
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")  # (a log grown past it is cut back)
            # 32 MiB of page cache per connection instead of 2 MiB, taken only as pages are read: a large sync walks
            # the outbox and its indexes batch after batch (desk CPU on that push: 2.6 s -> 2.1-2.4 s)
            cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One desk database file. Use ``read()`` and ``write()`` for one short session per use case."""

    def __init__(self, path: Path, *, echo: bool = False) -> None:
        self.path = path
        self.engine = make_engine(path, echo=echo)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        self.clock: Callable[[], datetime] | None = None
        """The desk's clock, set by ``open_data_dir`` (``AppContext.now``); its sessions carry it (``session_now``)."""
        self._cache_kib = CACHE_KIB
        event.listen(self.engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection: sqlite3.Connection, record: Any, _proxy: Any) -> None:
        """Give a connection taken from the pool the page cache asked for now (``large_cache``)."""
        want = self._cache_kib
        if record.info.get(_CACHE_INFO, CACHE_KIB) != want:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA cache_size = -{want}")
            finally:
                cursor.close()
            record.info[_CACHE_INFO] = want

    @contextmanager
    def large_cache(self, kib: int) -> Iterator[None]:
        """For a bulk writer (the ledger import): the connections taken from the pool while the block runs have a
        page cache of ``kib`` KiB (taken only as pages are read); each gets the usual one (``CACHE_KIB``, its pages
        beyond it freed) the next time it is taken after the block."""
        self._cache_kib = kib
        try:
            yield
        finally:
            self._cache_kib = CACHE_KIB

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            self._stamp(session)
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: commits when the block ends, rolls back on any exception."""
        with self._writer() as session, session.begin():
            self._stamp(session)
            yield session

    def _stamp(self, session: Session) -> None:
        if self.clock is not None:
            session.info[CLOCK_KEY] = self.clock

    def sessionmakers(self) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
        """The read and write session factories (``reception.sync.outbox`` listens to their flushes)."""
        return self._reader, self._writer

    def optimize(self, *, analyze: bool = False) -> None:
        """Keep SQLite's query planner informed. ``PRAGMA optimize`` (at close) analyses the tables whose
        statistics the connection's queries found missing or stale, cheaply; ``analyze`` (after a migration or a
        bulk change) takes fresh statistics of every table, sampled (``analysis_limit``: a second at a million
        visits instead of a minute). Never fails the caller."""
        try:
            with self.engine.connect() as conn:
                if analyze:
                    conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
                    conn.exec_driver_sql("ANALYZE")
                conn.exec_driver_sql("PRAGMA optimize")
                conn.commit()
        except Exception:  # a locked or read-only file: the statistics wait for the next time
            import logging

            logging.getLogger(__name__).warning("PRAGMA optimize skipped", exc_info=True)

    def dispose(self) -> None:
        self.engine.dispose()
