"""A case's history: the one writer of its events (``case_event`` rows) and of what they determine of the case row.

- ``append_step``: a step the state machine planned (``machine.plan``; ``service.apply`` is its use case): the event,
  then the case row's status and the columns the step determines (``machine.case_columns``).
- ``record_registration``: the registration's own events: 收件 (``received``) and the routing the desk chose on the
  form (交办, 转送, 转值班领导接访, 导入法定途径), planned by the machine like any other step
  (``machine.plan_registration``).
- ``record``: an event that notes what happened without changing the case's state (``machine.RECORD_KINDS``: a
  further visit, a leader's reception record, a correction, a down-visit, a backlog listing, an ownership's end).

Each has a twin that builds the same objects and adds them to no session (``step_event``, ``registration_events``,
``record_event``; all through ``new_event``), for bulk loaders that add a batch's records at once (the ledger import,
``service.CaseHistory``).

Events pulled from the centre are stored by sync as the centre holds them; their cases' clocks are then recomputed
from the events (``service.reproject_cases``). Here, below the lifecycle's service and the features that record
events (intake, leader), so that each imports this without a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from reception.db.base import new_id, transient
from reception.db.models import Case, CaseEvent
from reception.lifecycle.machine import (
    RECORD_KINDS,
    EventKind,
    Planned,
    RegistrationRouting,
    case_columns,
    plan_registration,
)


def new_event(case_id: str, kind: EventKind | str, *, at: datetime, on: date, actor_id: str | None,
              unit_id: str | None = None, note: str = "", data: Mapping[str, Any] | None = None) -> CaseEvent:
    """A case event with its id set, added to no session: every event of the desk is built here (``append_step`` and
    ``record`` add theirs; a bulk loader's in-memory history adds a batch's at once)."""
    return transient(CaseEvent, id=new_id(), case_id=case_id, kind=str(kind), occurred_at=at, occurred_on=on,
                     actor_id=actor_id, unit_id=unit_id, note=note, data=dict(data or {}))


def step_event(case: Case, planned: Planned, *, at: datetime, on: date, actor_id: str | None,
               bump_version: bool = True) -> CaseEvent:
    """The planned step's event (added to no session), and what it determines of ``case`` set: its status and the
    columns of ``machine.case_columns`` (unit, routing action, legal channel). ``bump_version``: False for a case
    being registered in the same transaction (its first version)."""
    event = new_event(case.id, planned.kind, at=at, on=on, actor_id=actor_id, unit_id=planned.unit_id,
                      note=planned.note.strip(), data=planned.data)
    for column, value in case_columns(planned.kind, planned.unit_id, event.note).items():
        setattr(case, column, value)
    case.status = planned.status.value
    if bump_version:
        case.version += 1
    return event


def append_step(session: Session, case: Case, planned: Planned, *, at: datetime, on: date, actor_id: str | None,
                bump_version: bool = True) -> CaseEvent:
    """Write the planned step's event and set what it determines of ``case`` (``step_event``)."""
    event = step_event(case, planned, at=at, on=on, actor_id=actor_id, bump_version=bump_version)
    session.add(event)
    return event


def registration_events(case: Case, routing: RegistrationRouting | None, *, received: Mapping[str, Any],
                        note: str, actor_id: str, now: datetime) -> list[CaseEvent]:
    """``record_registration``'s events, added to no session (the routing's columns are set on ``case``)."""
    today = now.date()
    events = [new_event(case.id, EventKind.RECEIVED, at=now, on=today, actor_id=actor_id, note=note, data=received)]
    if routing is not None:
        planned = plan_registration(routing, today, content_class=case.content_class, actor_id=actor_id)
        events.append(step_event(case, planned, at=now, on=today, actor_id=actor_id, bump_version=False))
    return events


def record_registration(session: Session, case: Case, routing: RegistrationRouting | None, *,
                        received: Mapping[str, Any], note: str, actor_id: str, now: datetime) -> None:
    """The events of a case the desk registers now: ``received`` (its ``data``: the visit, the 收件日期 of a letter)
    and the routing step chosen on the form (None: the case waits to be routed). ``LifecycleError`` when the machine
    refuses the step. The clocks are written by ``service.sync_clocks`` after the registration; the routing sends
    the petitioner no notice (the receipt says it)."""
    session.add_all(registration_events(case, routing, received=received, note=note, actor_id=actor_id,
                                        now=now))


def record_event(case_id: str, kind: EventKind, *, at: datetime, actor_id: str | None, on: date | None = None,
                 unit_id: str | None = None, note: str = "", data: Mapping[str, Any] | None = None) -> CaseEvent:
    """``record``'s event, added to no session."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"{kind!r} is a lifecycle step, not a record: apply it through the state machine")
    return new_event(case_id, kind, at=at, on=on or at.date(), actor_id=actor_id, unit_id=unit_id, note=note,
                     data=data)


def record(session: Session, case_id: str, kind: EventKind, *, at: datetime, actor_id: str | None,
           on: date | None = None, unit_id: str | None = None, note: str = "",
           data: Mapping[str, Any] | None = None) -> CaseEvent:
    """Note what happened to a case without changing its state (``kind`` one of ``machine.RECORD_KINDS``; ``on``:
    the day it counts for, default ``at``'s date). ``ValueError`` for a step's kind: steps go through the machine
    (``service.apply``)."""
    event = record_event(case_id, kind, at=at, actor_id=actor_id, on=on, unit_id=unit_id, note=note, data=data)
    session.add(event)
    return event
