"""The end of a leader's case ownership (包案): by hand (``reception.leader.beyond.end_ownership``, with its
checks), and with the case when it is settled (销号, 复核终结), which the lifecycle does in the same transaction.

Here, below both the lifecycle and the leader package, so that the lifecycle does not import the leader package
(which imports the lifecycle)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import CaseOwnership
from reception.lifecycle import history
from reception.lifecycle.machine import EventKind


def end_ownerships_in_session(session: Session, case_id: str, ended_on: date, note: str, *, actor_id: str | None,
                              now: datetime) -> int:
    """End every open ownership of a case (inside the caller's transaction); the lifecycle calls this when a case
    is closed (销号) or concluded (复核终结). Returns how many ended."""
    rows = session.scalars(select(CaseOwnership).where(CaseOwnership.case_id == case_id,
                                                       CaseOwnership.ended_on.is_(None))).all()
    for own in rows:
        close_ownership(session, own, max(ended_on, own.since), note, actor_id, now)
    return len(rows)


def close_ownership(session: Session, own: CaseOwnership, ended_on: date, note: str, actor_id: str | None,
                    now: datetime) -> None:
    """End one ownership on ``ended_on`` (its note says why) and record it in the case's history."""
    own.ended_on = ended_on
    own.note = (own.note + "\n" if own.note else "") + f"{ended_on:%Y-%m-%d}结束包案：{note}"
    history.record(session, own.case_id, EventKind.OWNERSHIP_ENDED, at=now, actor_id=actor_id, note=note,
                   data={"ownership_id": own.id, "ended_on": ended_on.isoformat()})
    session.flush()
