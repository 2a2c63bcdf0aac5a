"""The ``dated`` selection (tests/conftest.py DATED) names tests that exist, and the fixed test clocks are what the
tests assume: working days in a year the chinese-calendar package knows."""

from __future__ import annotations

import re
from pathlib import Path

from reception.domain.workcalendar import WorkCalendar
from tests.clock import UI_NOW, UNIT_NOW
from tests.conftest import DATED

TESTS = Path(__file__).resolve().parents[1]


def test_every_dated_entry_names_an_existing_test() -> None:
    for entry in DATED:
        file, _, name = entry.partition("::")
        path = TESTS / file
        assert path.is_file(), entry
        if name:
            assert re.search(rf"^def {re.escape(name)}\(", path.read_text(encoding="utf-8"), re.MULTILINE), entry


def test_the_fixed_clocks_are_working_days_the_package_knows() -> None:
    cal = WorkCalendar()
    for moment in (UI_NOW, UNIT_NOW):
        assert cal.knows(moment.year)
        assert cal.is_workday(moment.date())
