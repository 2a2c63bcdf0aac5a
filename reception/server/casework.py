"""The server's view of a case, through the core's own state machine (``reception.lifecycle.machine``).

The server stores what the desks sync as generic records (``models.Record``: a table name, an id, the row as
JSON with its personal fields sealed). A case is its ``petition_case`` record and its ``case_event`` records;
``load_case`` opens them and folds the events with ``machine.fold`` into a ``CaseState``, exactly as a desk's
``lifecycle.service.load_state`` does from its own rows. The working-day calendar and the lifecycle's settings
come from the synced ``holiday_day`` / ``holiday_year`` and ``centre_setting`` records the desks use.

``apply`` is the server's ``lifecycle.service.apply_in_session``: it plans the step with the machine (a forbidden
one raises ``LifecycleError`` with the machine's Chinese reason), then writes, under the sequence counter's row
lock and in the caller's transaction, the new ``case_event`` record(s) and a new version of the ``petition_case``
record with the columns the events determine (status, unit, routing action), and the ``supervision`` record a
督办 opens or a feedback answers. Every desk pulls them like any change; a desk applying them recomputes the
case's clocks from the events. What stays with the desks: the petitioner's SMS notice (the outbox of the desk
that sends it), the audit entry of the desk's own user, and the end of a leader's 包案 on closing (these steps
are the centre's, not the units'), so callers on the server record their own audit.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from reception.db.base import CHINA_TZ, new_id, utcnow
from reception.db.settings import ROLL_KEY, roll_policy_from
from reception.domain.deadlines import ClockAssessment
from reception.domain.enums import CaseStatus, ContentClass
from reception.domain.errors import NotFoundError
from reception.domain.workcalendar import DayOverride, WorkCalendar
from reception.lifecycle import machine
from reception.lifecycle.machine import (
    AnswerSupervision,
    CaseState,
    Event,
    LifecycleError,
    Planned,
    RunningClock,
    Settings,
    Supervise,
    SupervisionReason,
    Transition,
)
from reception.lifecycle.offers import TRANSITION_PERMISSION, Offer, offered
from reception.merge.resolve import MAX_DEPTH, merged_away_data
from reception.security.permissions import Permission
from reception.server.jsonref import json_ref, table_literal
from reception.server.models import Counter, Record
from reception.server.protect import Sealer

__all__ = ["AppliedStep", "LifecycleError", "NotFoundError", "ServerCase", "apply", "case_clocks", "event_records",
           "load_case", "load_settings", "offers", "permission_for", "post_note", "surviving_record", "work_calendar"]

SETTINGS_KEY = "lifecycle"
"""The ``centre_setting`` of the lifecycle's thresholds and windows (``lifecycle.service.SETTINGS_KEY``)."""


@dataclass
class ServerCase:
    """A case as the server holds it: its ``petition_case`` record (opened), its events in order, its state."""

    id: str
    case_no: str
    version: int
    """The record's version on the server (each change is a new one)."""
    data: dict[str, Any]
    """The ``petition_case`` row as the desks sync it, personal fields opened."""
    events: list[dict[str, Any]]
    """The case's ``case_event`` rows in the order the desk replays them (occurred_at, then id)."""
    state: CaseState
    owner: str
    """The client that registered the case (``record.owner``)."""
    sealer: Sealer = field(repr=False)

    @property
    def status(self) -> CaseStatus:
        return self.state.status

    @property
    def unit_id(self) -> str | None:
        return self.data.get("unit_id") or None

    @property
    def restricted(self) -> bool:
        return self.data.get("content_class") == ContentClass.ACCUSATION.value

    def hidden_from(self, unit_id: str | None) -> bool:
        """An accusation (检举控告类) that accuses ``unit_id``: never shown to that unit, never acted on by it."""
        return self.restricted and unit_id is not None and unit_id in self.state.accused_units

    def handled_by(self, unit_id: str | None) -> bool:
        """The case is routed to ``unit_id`` and does not accuse it (what a unit may see and act on)."""
        return unit_id is not None and self.unit_id == unit_id and not self.hidden_from(unit_id)


def event_moment(value: Any) -> datetime:
    """A synced ``occurred_at`` (ISO text or a datetime) as an aware moment; the earliest for one unreadable."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso_day(value: Any, fallback: date) -> date:
    """A synced ISO date, ``fallback`` for one unreadable."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return fallback


def machine_event(data: dict[str, Any]) -> Event:
    """A synced ``case_event`` row as the machine sees it."""
    at = event_moment(data.get("occurred_at"))
    return Event(str(data.get("kind", "")), iso_day(data.get("occurred_on"), at.astimezone(CHINA_TZ).date()),
                 data.get("actor_id") or None, data.get("unit_id") or None, data.get("data") or {})


def order_key(event: dict[str, Any]) -> tuple[datetime, str]:
    """Where an event stands in its case's history: by ``occurred_at``, then id (the desk's replay order)."""
    return event_moment(event.get("occurred_at")), str(event.get("id", ""))


def ordered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events in replay order (``order_key``)."""
    return sorted(events, key=order_key)


def fold_case(data: dict[str, Any], events: list[dict[str, Any]]) -> CaseState:
    """The state of a case from its row and its events (in order), as ``lifecycle.service.load_state``."""
    state = machine.fold([machine_event(e) for e in events], content_class=str(data.get("content_class", "")))
    if not events:  # a case without events (should not happen): trust its row
        state.status = CaseStatus.parse(str(data.get("status") or CaseStatus.REGISTERED.value))
        state.received_on = iso_day(data.get("registered_on"), date.min) if data.get("registered_on") else None
        state.unit_id = data.get("unit_id") or None
    return state


def event_case_id(session: Session) -> ColumnElement[str]:
    """The ``case_id`` of a ``case_event`` record, spelled as the server's index on it (``ix_record_event_case``,
    ``reception.server.jsonref``) so that the database uses it."""
    return json_ref(session, "case_id")


def event_records(session: Session, case_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The ``case_event`` rows the server holds for these cases, each case's in replay order."""
    out: dict[str, list[dict[str, Any]]] = {cid: [] for cid in case_ids}
    if not case_ids:
        return out
    case_id = event_case_id(session)
    for start in range(0, len(case_ids), 500):
        for data in session.scalars(select(Record.data).where(
                Record.table_name == table_literal("case_event"), Record.deleted.is_(False),
                case_id.in_(case_ids[start:start + 500]))):
            if data:
                out.setdefault(str(data.get("case_id")), []).append(data)
    return {cid: ordered(evs) for cid, evs in out.items()}


def load_case(session: Session, sealer: Sealer, *, case_id: str | None = None,
              case_no: str | None = None) -> ServerCase:
    """A case by its id or its case number, with its events folded; ``NotFoundError`` (key ``case_not_found``)
    when the server holds no such live case."""
    q = select(Record).where(Record.table_name == "petition_case", Record.deleted.is_(False))
    if case_id is not None:
        q = q.where(Record.record_id == case_id)
    elif case_no is not None:
        q = q.where(Record.natural_key == case_no)
    else:
        raise TypeError("load_case needs case_id or case_no")
    row = session.scalars(q.limit(1)).first()
    if row is None or not row.data:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    data = sealer.open("petition_case", row.data) or {}
    events = event_records(session, [row.record_id])[row.record_id]
    return ServerCase(row.record_id, str(data.get("case_no") or row.natural_key or ""), row.version, data, events,
                      fold_case(data, events), row.owner, sealer)


def surviving_record(session: Session, sealer: Sealer, data: dict[str, Any]) -> tuple[str, Any] | None:
    """The ``petition_case`` record (id, stored data) of the case a case (``data``: its record, opened) now is: the
    case it was merged into, following merges of merges (``reception.merge``); None when it was not merged away.
    A survivor the server does not hold yet ends the chain at the last case it holds (None if that is the first).
    The one walk of the chain on the server: the public query page (``web.casedata.surviving_case``) and a unit's
    old address (``unit_work.survivor_of``)."""
    found: tuple[str, Any] | None = None
    current = data
    for _ in range(MAX_DEPTH):
        if not merged_away_data(current):
            break
        row = session.execute(select(Record.record_id, Record.data).where(
            Record.table_name == "petition_case", Record.record_id == str(current.get("merged_into")),
            Record.deleted.is_(False))).first()
        if row is None or not row[1]:  # (the survivor not on the server yet)
            break
        found = (row[0], row[1])
        current = sealer.open("petition_case", row[1]) or {}
    return found


# --- the calendar and the rules the desks use ---------------------------------------------------------------------


def work_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar from the synced holiday table (``roster.holidays.load_work_calendar`` at a desk):
    the package's official arrangement, overridden by the ``holiday_day`` records, with the confirmed years."""
    overrides: dict[date, DayOverride] = {}
    confirmed: list[int] = []
    for table, data in session.execute(select(Record.table_name, Record.data).where(
            Record.table_name.in_(("holiday_day", "holiday_year")), Record.deleted.is_(False))):
        if not data:
            continue
        try:
            if table == "holiday_day":
                overrides[date.fromisoformat(str(data["day"]))] = DayOverride(bool(data["workday"]),
                                                                              str(data.get("name") or ""))
            elif data.get("confirmed"):
                confirmed.append(int(data["year"]))
        except (KeyError, TypeError, ValueError):
            continue  # (a record the desks would not have stored either)
    return WorkCalendar(overrides, confirmed)


def load_settings(session: Session) -> Settings:
    """The lifecycle's settings from the synced ``centre_setting`` records (``lifecycle.service.load_settings``)."""
    from reception.lifecycle.service import settings_from

    values: dict[str, dict[str, Any] | None] = {}
    for rid, data in session.execute(select(Record.record_id, Record.data).where(
            Record.table_name == "centre_setting", Record.record_id.in_((ROLL_KEY, SETTINGS_KEY)),
            Record.deleted.is_(False))):
        value = (data or {}).get("value")
        values[rid] = value if isinstance(value, dict) else None
    return settings_from(values.get(SETTINGS_KEY), roll_policy_from(values.get(ROLL_KEY)))


def case_clocks(case: ServerCase, on: date, cal: WorkCalendar, settings: Settings
                ) -> list[tuple[RunningClock, ClockAssessment]]:
    """The case's running clocks (``machine.clocks``) with each one's assessment on ``on`` (allowed, elapsed,
    left, green / amber / red), as a desk's case detail shows them."""
    return [(c, machine.assess_clock(c, on, cal, settings)) for c in machine.clocks(case.state, cal, settings)]


# --- steps ----------------------------------------------------------------------------------------------------------


def permission_for(transition: Transition) -> Permission:
    """The permission a step needs (the desk's ``TRANSITION_PERMISSION``)."""
    return TRANSITION_PERMISSION[type(transition)]


def offers(case: ServerCase, *, today: date, cal: WorkCalendar, settings: Settings,
           permissions: frozenset[Permission] | set[Permission] | None, actor_id: str | None = None) -> list[Offer]:
    """The steps the case offers, each enabled or not with its reason (``lifecycle.offers.offered``)."""
    return offered(case.state, today=today, cal=cal, settings=settings, permissions=permissions, actor_id=actor_id)


@dataclass(frozen=True, slots=True)
class AppliedStep:
    case_id: str
    event_ids: tuple[str, ...]
    """The new events, the step's first (then a follow-up's: a dissatisfied evaluation opens a 督办)."""
    kind: str
    status: str
    status_label: str
    seq: int
    """The sequence number of the last record written."""


def _next_seq(session: Session) -> int:
    counter = session.scalar(select(Counter).where(Counter.name == "seq").with_for_update())
    assert counter is not None, "server database not initialised"
    counter.value += 1
    return int(counter.value)


def _store(session: Session, table: str, record_id: str, data: dict[str, Any], *, origin: str, now: datetime,
           sealer: Sealer, natural_key: str | None = None) -> int:
    """Write a record's new version (or its first) with the next sequence number; returns that number."""
    seq = _next_seq(session)
    row = session.get(Record, (table, record_id))
    sealed = sealer.seal(table, data)
    if row is None:
        session.add(Record(table_name=table, record_id=record_id, version=1, seq=seq, deleted=False, data=sealed,
                           natural_key=natural_key, origin=origin, owner=origin, updated_at=now))
    else:
        row.version, row.seq, row.data, row.deleted = row.version + 1, seq, sealed, False
        row.origin, row.desk_time, row.updated_at = origin, None, now
    session.flush()
    return seq


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _event_moment(case: ServerCase, now: datetime) -> datetime:
    """``now``, or just after the case's last event (the history stays strictly ordered, ``service._append``)."""
    if case.events:
        last = event_moment(case.events[-1].get("occurred_at"))
        if now <= last:
            return last + timedelta(microseconds=1)
    return now


def _write_event(session: Session, case: ServerCase, kind: str, note: str, unit_id: str | None,
                 data: dict[str, Any], *, actor_id: str | None, origin: str, now: datetime) -> tuple[str, int]:
    at = _event_moment(case, now)
    event_id = new_id()
    row = {"id": event_id, "case_id": case.id, "kind": kind, "occurred_at": _iso(at),
           "occurred_on": at.astimezone(CHINA_TZ).date().isoformat(), "actor_id": actor_id, "unit_id": unit_id,
           "note": note, "data": data}
    seq = _store(session, "case_event", event_id, row, origin=origin, now=now, sealer=case.sealer)
    case.events.append(row)
    return event_id, seq


def _project_case(session: Session, case: ServerCase, planned: Planned, *, origin: str, now: datetime) -> int:
    """The case row's new version: the columns its events determine (as ``lifecycle.service._append``)."""
    data = dict(case.data)
    if planned.kind == "objected":
        data["unit_id"] = None
    elif planned.kind in ("assigned", "forwarded"):
        data["unit_id"] = planned.unit_id
        data["routing_action"] = "assign" if planned.kind == "assigned" else "forward"
    data["status"] = planned.status.value
    data["version"] = int(data.get("version") or 1) + 1
    data["updated_at"] = _iso(now)
    seq = _store(session, "petition_case", case.id, data, origin=origin, now=now, sealer=case.sealer,
                 natural_key=case.case_no or None)
    case.data, case.version = data, case.version + 1
    return seq


def _supervision(session: Session, case: ServerCase, t: Transition, before: CaseState, *, actor_id: str | None,
                 origin: str, now: datetime, cal: WorkCalendar, st: Settings) -> int:
    """Keep the ``supervision`` record in step with a 督办 or its feedback (``lifecycle.service._sync_supervision``);
    returns the sequence number written (0: none)."""
    if isinstance(t, Supervise):
        today = now.astimezone(CHINA_TZ).date()
        due = next((c.due for c in machine.clocks(case.state, cal, st) if c.ref == t.supervision_id), today)
        row = {"id": t.supervision_id, "case_id": case.id, "unit_id": before.unit_id, "reason": t.reason.value,
               "note": t.note.strip(), "opened_at": _iso(now), "opened_on": today.isoformat(), "opened_by": actor_id,
               "state": "open", "round": 1, "due_on": due.isoformat(), "answered_at": None, "answer_note": ""}
        return _store(session, "supervision", t.supervision_id, row, origin=origin, now=now, sealer=case.sealer)
    if not isinstance(t, AnswerSupervision):
        return 0
    held = session.get(Record, ("supervision", t.supervision_id))
    if held is None or not held.data:
        return 0
    row = dict(held.data)
    sup = case.state.supervisions.get(t.supervision_id)
    if sup is None:
        row.update(state="resolved", answered_at=_iso(now), answer_note=t.note.strip())
    else:
        due = next(c.due for c in machine.clocks(case.state, cal, st) if c.ref == t.supervision_id)
        row.update(round=sup.round, due_on=due.isoformat(), answered_at=_iso(now), answer_note=t.note.strip())
    return _store(session, "supervision", t.supervision_id, row, origin=origin, now=now, sealer=case.sealer)


def apply(session: Session, case: ServerCase, transition: Transition, *, origin_client: str,
          actor_id: str | None = None, unit_user: str = "", now: datetime | None = None,
          cal: WorkCalendar | None = None, settings: Settings | None = None) -> AppliedStep:
    """Take one lifecycle step on ``case`` in the caller's transaction, as a desk's ``apply_in_session`` does.

    ``origin_client``: the server client the change is recorded under (``record.origin``; a unit's client id).
    ``actor_id``: a synced desk account acting (the event's ``actor_id``), None for a unit's user, who is named by
    ``unit_user`` (kept in the event's data as ``unit_user``). Raises ``LifecycleError`` with the machine's Chinese
    reason when the step is not allowed; nothing is written then. ``case`` is updated in place (a later step in
    the same transaction sees this one). The caller checks who may take the step (``permission_for``)."""
    now = now or utcnow()
    cal = cal if cal is not None else work_calendar(session)
    st = settings if settings is not None else load_settings(session)
    today = now.astimezone(CHINA_TZ).date()
    if isinstance(transition, Supervise) and not transition.supervision_id:
        transition = Supervise(transition.note, transition.reason, new_id())
    # (as a desk refuses it: the case it was merged into is handled; an 已撤销 case the machine itself refuses)
    if merged_away_data(case.data):
        into = session.scalar(select(Record.natural_key).where(
            Record.table_name == "petition_case", Record.record_id == str(case.data.get("merged_into")))) or ""
        raise LifecycleError(f"该案件已并入案件 {into}，请在该案件中办理", key="case_merged")
    before = case.state
    planned = machine.plan(before, transition, today, cal, st, actor_id=actor_id)
    data = dict(planned.data)
    if unit_user:
        data["unit_user"] = unit_user
    event_id, _ = _write_event(session, case, planned.kind, planned.note.strip(), planned.unit_id, data,
                               actor_id=actor_id, origin=origin_client, now=now)
    state = deepcopy(before)
    machine.fold_one(state, Event(planned.kind, today, actor_id, planned.unit_id, planned.data))
    case.state = state
    seq = _project_case(session, case, planned, origin=origin_client, now=now)
    seq = _supervision(session, case, transition, before, actor_id=actor_id, origin=origin_client, now=now, cal=cal,
                       st=st) or seq
    ids = [event_id]
    if planned.kind == "evaluated" and planned.data.get("rating") == "dissatisfied" and not before.on_the_spot:
        # a dissatisfied evaluation goes to supervision and must reach the handling unit again (the desk's rule)
        follow = apply(session, case, Supervise("群众对处理意见不满意，请重新核查办理并反馈。",
                                                SupervisionReason.DISSATISFIED),
                       origin_client=origin_client, actor_id=actor_id, unit_user=unit_user, now=now, cal=cal,
                       settings=st)
        ids.extend(follow.event_ids)
        seq = follow.seq
    status = CaseStatus.parse(str(case.data.get("status")))
    return AppliedStep(case.id, tuple(ids), planned.kind, status.value, status.label, seq)


def post_note(session: Session, case: ServerCase, kind: str, note: str, data: dict[str, Any], *,
              origin_client: str, unit_id: str | None, actor_id: str | None = None,
              now: datetime | None = None) -> tuple[str, int]:
    """Record an event that is not a lifecycle step (a unit's 办理进展 ``unit_progress`` / ``unit_feedback``): the
    machine's replay of the case is unchanged by it (``plan`` is not asked), the case row keeps its version.
    Returns (event id, sequence number)."""
    if kind in _STEP_KINDS:
        raise LifecycleError("办理环节须按办理流程提交，不能作为办理进展记录", key="note_is_step")
    return _write_event(session, case, kind, note, unit_id, dict(data), actor_id=actor_id, origin=origin_client,
                        now=now or utcnow())


_STEP_KINDS: frozenset[str] = frozenset(str(k) for k in machine.STEP_KINDS)
"""The event kinds ``machine.fold`` acts on: the lifecycle's steps (``machine.STEP_KINDS``), never a unit's note."""
