"""The petitioner's online evaluation: the same lifecycle step a desk records (``machine.Evaluate``, channel 网上),
checked by the core's state machine and written as synced records (placeholder until ``server.casework``)."""

from __future__ import annotations

from datetime import datetime

from reception.server.db import ServerDatabase
from reception.server.web.casedata import PublicCase


def record_evaluation(db: ServerDatabase, case: PublicCase, rating: str, comment: str, *, now: datetime) -> str:
    """Record the rating; returns "" when done, else the machine's Chinese reason."""
    return "网上评价暂未开放，请到窗口或拨打12345评价。"
