"""Bring a desk database to the current schema at start-up, safely.

- Migration scripts are found from this package's path (never the working directory), so the frozen build works.
- A database with tables from before Alembic is never silently adopted; an empty file is simply created.
- Before an upgrade of an existing database, a consistent copy goes to ``<data dir>/backups``.
- A database whose revision this version does not know was written by a newer version: refuse it, untouched.
- A failed upgrade leaves the user's database as it was (the upgrade runs in one transaction) and the backup in place.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reception.domain.errors import DatabaseVersionError

# (no SQLAlchemy at import: ``current_revision`` and ``SCHEMA_HEAD`` are read before the first window, see
# ``reception.startstate``; the upgrade imports what it needs)

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PACKAGED_MIGRATIONS = MIGRATIONS_DIR
SCHEMA_HEAD = "0016_partialmerge"
"""The newest revision in ``migrations/versions`` (a test checks it). An up-to-date database is recognised
with one SQLite query, so a normal start-up never imports Alembic (about 200 ms)."""


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    before: str | None
    after: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db_path: Path) -> str | None:
    """The Alembic revision stamped in the file, read with plain sqlite3 (None for a new or unstamped file)."""
    if not db_path.exists():
        return None
    conn = sqlite3.connect(db_path)
    try:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not has_table:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    finally:
        conn.close()


def backup_database(db_path: Path, backups_dir: Path, label: str) -> Path:
    """A consistent copy through SQLite's backup API (safe with WAL and open readers)."""
    from reception.db.base import local_now

    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = local_now().strftime("%Y%m%d-%H%M%S")
    target = backups_dir / f"{db_path.stem}-{stamp}-before-{label}.sqlite3"
    src = sqlite3.connect(db_path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade_database(db_path: Path, backups_dir: Path) -> MigrationOutcome:
    before = current_revision(db_path)
    if before == SCHEMA_HEAD and MIGRATIONS_DIR == _PACKAGED_MIGRATIONS:
        return MigrationOutcome(before, before, None)
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError
    from sqlalchemy import event

    from reception.db.database import make_engine

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None
    if before is not None:
        try:
            known = script.get_revision(before)
        except CommandError:
            known = None
        if known is None:
            raise DatabaseVersionError(
                "数据库由更高版本的程序创建，本程序无法打开。请安装最新版本后再试；数据库未作任何改动。",
                key="database_newer",
            )
    elif db_path.exists() and _has_tables(db_path):
        raise DatabaseVersionError(
            "数据文件不是本程序的数据库（缺少版本记录），为免损坏，未作任何改动。", key="database_foreign"
        )
    if before == head:
        return MigrationOutcome(before, head, None)
    backup = backup_database(db_path, backups_dir, before) if before is not None else None
    engine = make_engine(db_path)
    # SQLite's way to recreate a table others refer to (batch migrations): foreign keys off for the connection
    # (a pragma that only works outside a transaction), then checked before the upgrade commits
    event.listen(engine, "connect", _foreign_keys_off)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            if conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                raise DatabaseVersionError("数据库升级后外键不一致，已撤销升级；数据库未作任何改动。",
                                           key="database_upgrade_fk")
    finally:
        engine.dispose()
    log.info("database migrated from %s to %s", before or "empty", head)
    return MigrationOutcome(before, head, backup)


def _foreign_keys_off(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys = OFF")
    # a recreated table's old pages are zeroed, not left with their (possibly plaintext personal) content
    dbapi_connection.execute("PRAGMA secure_delete = ON")


def _has_tables(db_path: Path) -> bool:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return bool(row and row[0])
    finally:
        conn.close()
