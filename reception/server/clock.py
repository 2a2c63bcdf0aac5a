"""The server's one clock seam: what "now" (and so "today", China time) is for its web pages and its commands.

Production runs on the wall clock. ``reception server --now ISO ...`` (a hidden option of the ``server`` command,
so ``reception server --now 2026-09-16T15:00:00+08:00 unit-reminders`` too) starts the clock at that moment instead;
it then runs on with the process (a monotonic offset), so sign-in lockouts, session idling and the order of what
is recorded behave as on a real day, while "today" stays the given day for the tests' few minutes. The app reads it
at construction (``create_app(db, now=...)`` puts it on ``app.state.now``); the pages pass it as ``now=`` to
``unit_work``, ``unit_accounts``, ``casework`` and the query page, which never read the wall clock themselves when
given one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from reception.db.base import utcnow
from reception.domain.errors import ReceptionError

Clock = Callable[[], datetime]


def server_clock(start: str | None = None) -> Clock:
    """The wall clock (``start`` None or ""), or a clock starting at ``start`` (ISO 8601 with its UTC offset) and
    running on from there."""
    if not start:
        return utcnow
    try:
        origin = datetime.fromisoformat(start)
    except ValueError as exc:
        raise ReceptionError(f"--now 应为带时区的 ISO 时间，如 2026-09-16T15:00:00+08:00（收到：{start}）",
                             key="now_invalid") from exc
    if origin.tzinfo is None:
        raise ReceptionError("--now 须带时区（如 +08:00）", key="now_naive")
    started = time.monotonic()

    def now() -> datetime:
        return origin + timedelta(seconds=time.monotonic() - started)

    return now
