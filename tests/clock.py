"""The tests' clock: every test that needs "today" gets it from here, injected through the app's clock seam
(``AppContext.now``, ``open_data_dir(now=...)``, ``create_main_window(now=...)``), never from the wall clock.

The fixed moments are ordinary working days in a year the ``chinese_calendar`` package knows, so that deadlines,
rosters and holiday remarks come out the same on whatever day the suite runs (the CI step ``dated`` runs the
date-sensitive tests under faked wall clocks to prove it; see ``.ci/run``).
"""

from __future__ import annotations

from datetime import datetime

from reception.db.base import CHINA_TZ

UI_NOW = datetime(2026, 6, 11, 10, 0, tzinfo=CHINA_TZ)
"""The UI tests' "now": Thursday 11 June 2026, 10:00 China time (a working day; 60 days later is a Monday)."""

UNIT_NOW = datetime(2026, 9, 16, 9, 30, tzinfo=CHINA_TZ)
"""The core tests' "now": Wednesday 16 September 2026, 09:30."""

SERVER_NOW = datetime(2026, 9, 16, 15, 0, tzinfo=CHINA_TZ)
"""Where the web tests' server clock starts (``reception server --now``, ``reception.server.clock``) for the units'
workbench: the same Wednesday, in the afternoon (the desk registers its cases that morning)."""


class Clock:
    """A settable clock for the desk (China local time): ``clock.moment = ...`` moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment
