"""Everything a use case needs, bundled once at start-up: data paths, the database, settings, the clock.

A plain bundle: ``reception.bootstrap.open_data_dir`` builds it and wires the listeners in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reception.db.base import local_now
from reception.db.database import Database
from reception.db.migrate import MigrationOutcome
from reception.domain.workcalendar import WorkCalendar
from reception.paths import DataPaths


@dataclass
class AppContext:
    paths: DataPaths
    db: Database
    migration: MigrationOutcome | None = None
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    """Working days and holidays: the package's official calendar overridden by the editable holiday table
    (``reception.db.calendar_table``); loaded by ``reception.bootstrap.open_data_dir``."""
    now: Callable[[], datetime] = field(default=local_now)
    """The desk's clock (local China time). Tests inject a fixed one."""

    def close(self) -> None:
        self.db.optimize()
        self.db.dispose()

