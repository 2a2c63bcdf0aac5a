"""The petitioner's online evaluation (满意度评价, channel 网上): the same lifecycle step a desk records
(``machine.Evaluate``), planned by the core's state machine and written by ``server.casework.apply`` as synced
records: the ``evaluated`` event and the case's new version, and for 不满意 the 督办 (``supervised`` event and
``supervision`` record) exactly as on the desk. Every desk pulls them.

Beyond the machine's own rules (a reply delivered, once per reply), the page takes a rating only within the
evaluation window (``machine.evaluation_due``); a desk's call-back may still record one later, the web does not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.domain.enums import CaseStatus
from reception.lifecycle import machine
from reception.lifecycle.machine import Evaluate, EvaluationChannel, LifecycleError, Rating
from reception.server import casework
from reception.server.db import ServerDatabase
from reception.server.models import Counter
from reception.server.web.caseview import cn_date

ORIGIN = "web-query"
"""``record.origin`` of what the page writes (no desk, no unit: the petitioner on the public page)."""


def record_evaluation(db: ServerDatabase, case_id: str, rating: str, comment: str, *, now: datetime) -> str:
    """Record the petitioner's rating of the case's last reply; "" when recorded, else the Chinese reason."""
    with db.session() as s:
        # (the sequence counter's lock first: two posts of one form at once are taken one after the other, and
        # the second sees the first's rating: once per reply)
        s.scalar(select(Counter).where(Counter.name == "seq").with_for_update())
        case = casework.load_case(s, db.sealer, case_id=case_id)
        if case.restricted:
            return "检举控告类事项请到区信访接待中心窗口或拨打12345评价。"
        cal, settings = casework.work_calendar(s), casework.load_settings(s)
        state = case.state
        today = now.astimezone(CHINA_TZ).date()
        if state.status is CaseStatus.REPLIED and state.reply_delivered_on is not None and not state.evaluated:
            window_end = machine.evaluation_due(state, cal, settings)
            if today > window_end:
                return f"评价期已于{cn_date(window_end)}届满，不能再在网上评价。"
        try:
            casework.apply(s, case, Evaluate(Rating.parse(rating), EvaluationChannel.ONLINE, note=comment),
                           origin_client=ORIGIN, now=now, cal=cal, settings=settings)
        except LifecycleError as exc:
            return exc.message
    return ""
