"""Test-wide setup that must happen before Qt is imported: run Qt headless unless told otherwise; the data key
(protection at rest, ``reception.security.crypto``) lives in a throwaway folder, never in the user's keyring."""

from __future__ import annotations

import os
import select
import tempfile
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["RECEPTION_KEYSTORE"] = "file"
os.environ.setdefault("RECEPTION_KEY_DIR", tempfile.mkdtemp(prefix="reception-test-keys-"))
# the sync server's own data key (``reception.server.protect``), shared by the test process and its servers
os.environ.setdefault("RECEPTION_SERVER_KEY_FILE", os.path.join(os.environ["RECEPTION_KEY_DIR"], "server-data.key"))


def _sleep_by_select(seconds: float) -> None:
    select.select([], [], [], seconds)


# Under libfaketime 0.9.10 (Debian 12) with FAKETIME_DONT_FAKE_MONOTONIC=1, as the CI step ``dated`` runs the
# date-sensitive tests (.ci/run), clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), which time.sleep uses, fails with
# EINVAL; select's relative timeout is not faked. (Faking the monotonic clock instead hangs every timed lock wait.)
if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    time.sleep = _sleep_by_select


DATED = frozenset({
    # the core: the holiday table and the package's years, received-on and birth dates, the lifecycle's clocks,
    # statistics periods (the desk's day is injected; pure calendar arithmetic on explicit dates is not listed)
    "unit/test_holidays.py", "unit/test_received_on.py", "unit/test_lifecycle.py", "unit/test_stats.py",
    "unit/test_idnumber.py::test_future_is_relative_to_today", "unit/test_deadlines.py::test_package_years",
    # the desk app on the demo district seeded at UI_NOW: clocks and steps, the roster page, reminders, the leader
    # pages, statistics, the status bar's duty leader, the audit viewer's days
    "ui/test_case_tracking.py", "ui/test_case_actions.py", "ui/test_roster_page.py", "ui/test_intake_received_on.py",
    "ui/test_reminders.py", "ui/test_leader_page.py", "ui/test_leader_beyond.py", "ui/test_stats_page.py",
    "ui/test_main_window.py", "ui/test_security_ui.py::test_audit_viewer_filters_by_user_and_action",
    # the 2027 calendar (provisional and imported years), corrections "the same day", the unit's overdue lists
    "unit/test_calendar_2027.py", "ui/test_admin_calendar.py", "unit/test_correction.py", "ui/test_correction_ui.py",
    "unit/test_visibility.py",
})
"""Tests marked ``dated`` (pyproject.toml): their results hang on "today", so they run on the injected clock
(tests/clock.py) and .ci/run runs them again under three faked wall-clock dates (faketime). A file (relative to
tests/) or one test ("file::name"); a new test module may instead say ``pytestmark = pytest.mark.dated``. Not for
tests that measure elapsed time, or that need real certificate validity (TLS)."""

_TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            where = item.path.relative_to(_TESTS).as_posix()
        except ValueError:
            continue
        if where in DATED or f"{where}::{item.name.split('[')[0]}" in DATED:
            item.add_marker(pytest.mark.dated)
