"""The server database: engine (SQLite with WAL and ``BEGIN IMMEDIATE``, or PostgreSQL) and its migrations."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from reception.db.base import new_id
from reception.server.models import Counter, ServerMeta

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SERVER_DIR_ENV = "RECEPTION_SERVER_DIR"
SERVER_DB_ENV = "RECEPTION_SERVER_DB"
SERVER_DB_FILE = "server.sqlite3"


def default_server_dir() -> Path:
    env = os.environ.get(SERVER_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("ReceptionServer", appauthor=False, roaming=False))


def resolve_db_url(url: str | None, server_dir: str | None = None) -> str:
    """``--db`` if given, then ``$RECEPTION_SERVER_DB``, else a SQLite file in the server's data directory."""
    if url:
        return url
    env = os.environ.get(SERVER_DB_ENV)
    if env:
        return env
    folder = Path(server_dir).expanduser().resolve() if server_dir else default_server_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / SERVER_DB_FILE).as_posix()}"


def make_server_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            try:
                cur.execute("PRAGMA busy_timeout = 30000")
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # writers take the lock up front (one at a time); readers do not block anyone under WAL
            conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_server_database(engine: Engine) -> None:
    """Bring the server database to the newest revision and make sure it has an identity and a counter."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.begin() as conn:
        session = Session(bind=conn)
        if session.get(ServerMeta, "server_id") is None:
            session.add(ServerMeta(key="server_id", value=new_id()))
        if session.get(Counter, "seq") is None:
            session.add(Counter(name="seq", value=0))
        session.flush()


class ServerDatabase:
    def __init__(self, url: str, server_dir: Path | None = None) -> None:
        from reception.server.protect import Sealer, key_path, load_key

        self.url = url
        self.engine = make_server_engine(url)
        self.server_dir = server_dir or default_server_dir()
        """The server's data directory: its data key, and the units' attachments (``attachments/``)."""
        self.sealer = Sealer(load_key(key_path(self.server_dir)))
        """Seals the personal fields of stored records (``reception.server.protect``)."""
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(sqlite_begin="DEFERRED"),
                                     expire_on_commit=False)
        self._server_id: str | None = None
        self._grown = 0
        self._analysed_at = 0
        self._stats_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        upgrade_server_database(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction (on SQLite: ``BEGIN IMMEDIATE``). Never open a second one inside it."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._readers() as session, session.begin():
            yield session

    def server_id(self) -> str:
        if self._server_id is None:
            with self.read() as s:
                self._server_id = s.scalar(select(ServerMeta.value).where(ServerMeta.key == "server_id"))
        assert self._server_id is not None
        return self._server_id

    def note_inserted(self, rows: int) -> None:
        """Refresh PostgreSQL's planner statistics of the sync tables when they have grown fourfold (at least 1000
        rows) since the last refresh. Autovacuum only looks every minute: during a first bulk push the tables are
        still "never analysed", and the planner chose to read every row of a table for each batch's key lookups
        (a push of 80,000 changes got quadratic). Once analysed, the planner scales the counts with the tables'
        size by itself, so fourfold growth is soon enough (each ANALYZE of 30,000 rows cost 50 ms). Only the key
        columns are analysed. Called after the push committed; at most one ANALYZE runs at a time."""
        if self.dialect != "postgresql" or rows <= 0:
            return
        with self._stats_lock:
            self._grown += rows
            if self._grown < max(1000, 3 * self._analysed_at):
                return
            grown, self._grown = self._grown, 0
            self._analysed_at += grown
        with self.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE record (table_name, record_id, seq, natural_key, origin), "
                                 "applied_mutation (mutation_id)")
            conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def open_server_database(url: str, server_dir: Path | None = None) -> ServerDatabase:
    """Open (and upgrade) the server database; ``server_dir`` holds its data key (default: the server's data
    directory, see ``default_server_dir``). Records stored before sealing existed are sealed once, here."""
    db = ServerDatabase(url, server_dir)
    db.migrate()
    seal_existing(db)
    return db


def seal_existing(db: ServerDatabase) -> int:
    """Seal the personal fields of records stored in plain form (a server from before sealing). Runs once: a
    marker in ``server_meta`` records that it did. Returns the number of records sealed."""
    from sqlalchemy import update

    from reception.server.models import Record

    tables = sorted(db.sealer.fields)
    with db.session() as session:
        if session.get(ServerMeta, "sealed") is not None:
            return 0
        n = 0
        rows = session.execute(select(Record.table_name, Record.record_id, Record.data)
                               .where(Record.table_name.in_(tables))).all()
        for table, record_id, data in rows:
            if not db.sealer.is_sealed(table, data):
                session.execute(update(Record).where(Record.table_name == table, Record.record_id == record_id)
                                .values(data=db.sealer.seal(table, data)))
                n += 1
        session.add(ServerMeta(key="sealed", value="v1"))
    if n:
        log.info("sealed the personal fields of %d stored records", n)
    return n
