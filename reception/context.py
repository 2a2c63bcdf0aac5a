"""Everything a use case needs, bundled once at start-up: data paths, the database, settings, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reception.db.base import local_now
from reception.db.engine import Database
from reception.db.migrate import MigrationOutcome, upgrade_database
from reception.domain.workcalendar import WorkCalendar
from reception.paths import DataPaths


@dataclass
class AppContext:
    paths: DataPaths
    db: Database
    migration: MigrationOutcome | None = None
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    """Working days and holidays: the package's official calendar overridden by the editable holiday table
    (``reception.roster.holidays``); loaded by ``open_data_dir``."""
    now: Callable[[], datetime] = field(default=local_now)
    """The desk's clock (local China time). Tests inject a fixed one."""

    def close(self) -> None:
        self.db.dispose()


def open_data_dir(root: Path, *, now: Callable[[], datetime] | None = None) -> AppContext:
    """Create the folders if needed, migrate the database to the current schema, and open it."""
    paths = DataPaths(root).ensure()
    outcome = upgrade_database(paths.database, paths.backups)
    ctx = AppContext(paths=paths, db=Database(paths.database), migration=outcome)
    if now is not None:
        ctx.now = now
    ctx.db.clock = lambda: ctx.now()  # the audit trail's times follow the desk's clock (``session_now``)
    from reception.roster.holidays import load_work_calendar
    from reception.security import atrest

    try:
        with ctx.db.read() as session:
            pending = atrest.needs_work(session)
        if pending:  # the key check, plaintext rows from before 0007, the audit chain's triggers (idempotent)
            with ctx.db.write() as session:
                atrest.prepare(session)
    except BaseException:
        ctx.close()
        raise
    from reception.sync.outbox import attach_outbox

    attach_outbox(ctx.db)  # changes to synced tables fill the sync outbox in their own transaction (when enrolled)

    with ctx.db.read() as session:
        ctx.calendar = load_work_calendar(session)
    return ctx
