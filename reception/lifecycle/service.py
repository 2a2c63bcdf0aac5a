"""The lifecycle use cases: apply a transition, the clocks of a case, the due-soon / overdue / supervision lists.

Every transition runs in one write transaction: replay the case's events (``machine.fold``), check the transition
(``machine.plan``), append the event, update ``Case.status`` and ``Case.version``, rewrite the case's rows of
``case_clock`` (the running clocks, so the lists are indexed range queries), keep ``supervision`` in step and put
the petitioner's notice in the outbox.

Cases registered by the intake service have no clock rows until ``sync_clocks`` (run at start-up and before the
lists) writes them; a case touched by a transition always has them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, delete, exists, false, func, insert, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import new_id, to_local, transient
from reception.db.models import (
    AuditEntry,
    Case,
    CaseClock,
    CaseEvent,
    LeaderReception,
    Setting,
    StatsCachedDay,
    Supervision,
    Unit,
    User,
    Visit,
)
from reception.db.settings import load_centre_setting, load_roll_policy, save_centre_setting
from reception.domain.deadlines import (
    ClockAssessment,
    ClockColour,
    ClockKind,
    RollPolicy,
    Thresholds,
    add_calendar_days,
    add_working_days,
    due_date,
    get_clock,
)
from reception.domain.enums import CaseStatus, ContentClass
from reception.domain.errors import NotFoundError
from reception.domain.workcalendar import WorkCalendar, provisional_text
from reception.lifecycle import history, notify
from reception.lifecycle.machine import (
    MERGE_KINDS,
    AnswerSupervision,
    CaseState,
    Event,
    EventKind,
    LifecycleError,
    Planned,
    RunningClock,
    Settings,
    Supervise,
    SupervisionReason,
    Transition,
    assess_clock,
    clocks,
    fold,
    fold_one,
    intake_state,
    plan,
)
from reception.lifecycle.offers import TRANSITION_PERMISSION
from reception.merge.resolve import counted_case, not_void
from reception.security import audit
from reception.security.permissions import EVERYTHING, CaseScope, Permission, case_scope, require_for_case

_CLOCKS = cast(Table, CaseClock.__table__)
"""Bulk inserts go through the table (Core), not the ORM: the clock rows are plain projections."""

SETTINGS_KEY = "lifecycle"
"""The centre setting (``centre_setting``) of thresholds and windows."""
SYNC_KEY = "lifecycle_sync"
CALENDAR_KEY = "clock_calendar"
CALENDAR_RULES = "statutory-1"
"""The calendar rules the stored clocks were computed under (``setting`` CALENDAR_KEY). Clocks stored by an earlier
version (which took Monday–Friday for a year the package did not know, 1 January 2027 a working day) are recomputed
once, by the first ``sync_clocks`` after the upgrade (at start-up, before any list)."""
LIST_LIMIT = 200
COUNT_CAP = 10_000
"""The overdue and due-soon totals are counted up to this many (then shown as "10000+"): counting a million
overdue clocks would cost more than the whole list, and nobody reads the exact figure past this."""


def count_text(total: int) -> str:
    """A list total for people: ``"37"``, or ``"10000+"`` when the count stopped at the cap."""
    return f"{COUNT_CAP}+" if total > COUNT_CAP else str(total)


# --- settings -------------------------------------------------------------------------------------------------


def load_settings(session: Session) -> Settings:
    """The lifecycle's settings, rules of the whole centre (``centre_setting``, synced): the roll-over rule
    (``deadline_roll``), thresholds and windows (``lifecycle``)."""
    return settings_from(load_centre_setting(session, SETTINGS_KEY), load_roll_policy(session))


def settings_from(value: Mapping[str, Any] | None, roll: RollPolicy) -> Settings:
    """The lifecycle's settings from the stored ``lifecycle`` centre setting (its JSON object, None when never set)
    and the roll-over rule: what ``load_settings`` reads at a desk, and the server from its synced records."""
    v: Mapping[str, Any] = value or {}
    return Settings(
        roll=roll,
        thresholds=Thresholds(int(v.get("amber_days", 3)), float(v.get("amber_fraction", 0.2))),
        evaluation_days=int(v.get("evaluation_days", 30)),
        supervision_days=int(v.get("supervision_days", 30)),
        sign_days=int(v.get("sign_days", 3)),
        on_spot_restart=bool(v.get("on_spot_restart", False)),
    )


def save_settings(session: Session, *, amber_days: int | None = None, amber_fraction: float | None = None,
                  evaluation_days: int | None = None, supervision_days: int | None = None,
                  sign_days: int | None = None, on_spot_restart: bool | None = None) -> None:
    """Store the lifecycle settings given (for every desk: synced); the others keep their stored values (their
    defaults when never set). Call ``recompute_clocks`` afterwards so stored clocks follow them (a desk that pulls
    a change recomputes its own, ``reception.sync.desk``)."""
    st = load_settings(session)
    given = {"amber_days": amber_days, "amber_fraction": amber_fraction, "evaluation_days": evaluation_days,
             "supervision_days": supervision_days, "sign_days": sign_days, "on_spot_restart": on_spot_restart}
    value = {"amber_days": st.thresholds.amber_days, "amber_fraction": st.thresholds.amber_fraction,
             "evaluation_days": st.evaluation_days, "supervision_days": st.supervision_days,
             "sign_days": st.sign_days, "on_spot_restart": st.on_spot_restart}
    value.update({k: v for k, v in given.items() if v is not None})
    save_centre_setting(session, SETTINGS_KEY, value)


def set_on_spot_restart(ctx: AppContext, value: bool, *, actor_id: str | None = None) -> RecomputeResult:
    """The local rule for the Art. 22 clock after a 不满意 rating of an on-the-spot reply (``Settings.
    on_spot_restart``, README "Clocks"): stored for the whole centre, the other settings kept, and the stored clocks
    recomputed in the same transaction. Administrators only (``actor_id`` None: the command line)."""
    from reception.security.permissions import require

    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        save_settings(session, on_spot_restart=value)
        return recompute_clocks_in_session(session, ctx.calendar, today=ctx.now().date())


# --- state and projection ------------------------------------------------------------------------------------


def _get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    return case


def load_state(session: Session, case: Case) -> CaseState:
    rows = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.occurred_at, CaseEvent.id)
    )
    events = [Event(e.kind, e.occurred_on, e.actor_id, e.unit_id, e.data or {}) for e in rows]
    state = fold(events, content_class=case.content_class)
    if not events:  # a case without events (should not happen): trust its row
        state.status, state.received_on, state.unit_id = CaseStatus.parse(case.status), case.registered_on, case.unit_id
    return state


def _clock_row(case_id: str, c: RunningClock, cal: WorkCalendar, st: Settings) -> dict[str, Any]:
    a = assess_clock(c, c.start, cal, st)
    return {"id": new_id(), "case_id": case_id, "clock_key": c.key, "kind": c.kind.value,
            "unit_id": c.unit_id, "started_on": c.start, "due_on": c.due, "amber_on": a.amber_from,
            "allowed": a.allowed, "extended_by": c.extended_by, "ref": c.ref}


def clock_rows(case_id: str, state: CaseState, cal: WorkCalendar, st: Settings) -> list[dict[str, Any]]:
    """The ``case_clock`` rows of a case in ``state`` (what ``_project`` stores; sync's re-projection too)."""
    return [_clock_row(case_id, c, cal, st) for c in clocks(state, cal, st)]


def _project(session: Session, case_id: str, state: CaseState, cal: WorkCalendar, st: Settings) -> None:
    session.execute(delete(CaseClock).where(CaseClock.case_id == case_id))
    if session.scalar(select(Case.merged_into).where(Case.id == case_id)):
        return  # (a merged-away case runs no clock: the case it was merged into does, from the earliest receipt)
    rows = clock_rows(case_id, state, cal, st)
    if rows:
        session.execute(insert(_CLOCKS), rows)


@dataclass(frozen=True, slots=True)
class GivenCase:
    """A case and its events as a caller that has just inserted them all knows them (``reproject_cases``): the
    columns the projection reads and the events in their stored order (``occurred_at``, then ``id``)."""

    id: str
    merged_into: str | None
    content_class: str
    status: str
    registered_on: date | None
    unit_id: str | None
    events: tuple[Event, ...]


def reproject_cases(session: Session, case_ids: Iterable[str], cal: WorkCalendar,
                    given: Mapping[str, GivenCase] | None = None) -> None:
    """The one clock recompute of given cases from their events (``load_state`` and ``clock_rows``, in bulk): one
    query for all their events, one delete and one insert per chunk. Sync runs it for cases whose events or row
    came from the server. ``given``: cases the caller inserted in this transaction, each with every event of it
    the caller inserted, not read back: used when the database holds no other event of the case (as many as
    given, counted on the index), else the case is read as any other."""
    st = load_settings(session)
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cases: dict[str, Any] = {}
        events: dict[str, list[Event]] = {}
        if given:
            known = [cid for cid in chunk if cid in given]
            if known:
                stored = dict.fromkeys(known, 0)
                for case_id, count in session.execute(  # (read on the index alone)
                        select(CaseEvent.case_id, func.count()).where(CaseEvent.case_id.in_(known))
                        .group_by(CaseEvent.case_id)):
                    stored[case_id] = count
                for cid in known:
                    if stored[cid] == len(given[cid].events):
                        cases[cid] = given[cid]
                        events[cid] = list(given[cid].events)
        rest = [cid for cid in chunk if cid not in cases]
        if rest:
            read = {c.id: c for c in session.execute(  # (the columns the projection reads: no ORM object per case)
                select(Case.id, Case.merged_into, Case.content_class, Case.status, Case.registered_on, Case.unit_id)
                .where(Case.id.in_(rest)))}
            cases.update(read)
            events.update({cid: [] for cid in read})
            for row in session.execute(select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.occurred_on,
                                              CaseEvent.actor_id, CaseEvent.unit_id, CaseEvent.data)
                                       .where(CaseEvent.case_id.in_(list(read)))
                                       .order_by(CaseEvent.case_id, CaseEvent.occurred_at, CaseEvent.id)):
                events[row.case_id].append(Event(row.kind, row.occurred_on, row.actor_id, row.unit_id,
                                                 row.data or {}))
        session.execute(delete(CaseClock).where(CaseClock.case_id.in_(list(cases))))
        rows: list[dict[str, Any]] = []
        void: list[str] = []
        for cid, case in cases.items():
            if case.merged_into:
                continue  # (merged away: no clock of its own, ``_project``)
            state = fold(events[cid], content_class=case.content_class)
            if not events[cid]:
                state.status, state.received_on = CaseStatus.parse(case.status), case.registered_on
                state.unit_id = case.unit_id
            if state.status is CaseStatus.VOID:
                void.append(cid)
            rows.extend(clock_rows(cid, state, cal, st))
        _insert_clocks(session, rows)
        if void:  # (an import undone elsewhere: its days' figures no longer count it)
            forget_case_days(session, void)


def _insert_clocks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert clock rows (``clock_rows``: every row has the same columns) by the driver's executemany
    (``db.bulk.execute_many``: SQLAlchemy's own builds each row's parameters one by one, a sync pull's thousands of
    new cases' clocks), the table named for the change notices as SQLAlchemy's statement would be."""
    if not rows:
        return
    from reception.changes import note_written
    from reception.db.bulk import execute_many

    conn = session.connection()
    execute_many(conn, insert(_CLOCKS), rows)
    note_written(conn, [_CLOCKS.name])


def forget_case_days(session: Session, case_ids: Iterable[str]) -> None:
    """Drop the statistics cache's days (``stats_cached_day``, ``reception.stats.cache``) of these cases'
    registration, visits, events and leaders' receptions: a case that became 已撤销 (an import undone) leaves every
    figure, and a change of status alone is no trigger's (called by the ledger's undo and by ``reproject_cases``
    for pulled cases). Here, not in ``reception.stats``, which imports this module."""
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for days in (select(Case.registered_on).where(Case.id.in_(chunk)),
                     select(Visit.visited_on).where(Visit.case_id.in_(chunk)),
                     select(CaseEvent.occurred_on).where(CaseEvent.case_id.in_(chunk)),
                     select(LeaderReception.received_on).where(LeaderReception.case_id.in_(chunk))):
            session.execute(delete(StatsCachedDay).where(StatsCachedDay.day.in_(days)))


@dataclass(frozen=True, slots=True)
class TransitionResult:
    case_id: str
    event_id: str
    kind: str
    status: str
    status_label: str
    notice_id: str | None


def apply(ctx: AppContext, case_id: str, transition: Transition, *, actor_id: str | None) -> TransitionResult:
    """Apply one lifecycle transition to a case (who: ``actor_id``; when: now). ``LifecycleError`` when illegal."""
    with ctx.db.write() as session:
        return apply_in_session(session, case_id, transition, actor_id=actor_id, now=ctx.now(), cal=ctx.calendar)




def apply_in_session(session: Session, case_id: str, transition: Transition, *, actor_id: str | None,
                     now: datetime, cal: WorkCalendar, settings: Settings | None = None,
                     follow_up: bool = False) -> TransitionResult:
    """``apply`` inside the caller's write transaction (the demo and bulk loaders batch several).

    ``follow_up``: a step the rules take on their own after another (a dissatisfied evaluation opens a supervision),
    recorded under the same actor without asking for the permission the step would need on its own."""
    st = settings or load_settings(session)
    case = _get_case(session, case_id)
    if not follow_up:
        require_for_case(session, actor_id, TRANSITION_PERMISSION[type(transition)], case)
    if case.merged_into:
        into = session.scalar(select(Case.case_no).where(Case.id == case.merged_into)) or ""
        raise LifecycleError(f"该案件已并入案件 {into}，请在该案件中办理", key="case_merged")
    status_before, unit_before = case.status, case.unit_id
    state = load_state(session, case)
    today = now.date()
    supervision: Supervision | None = None
    if isinstance(transition, Supervise) and not transition.supervision_id:
        supervision = Supervision(id=new_id(), case_id=case.id, unit_id=state.unit_id,
                                  reason=transition.reason.value, note=transition.note.strip(), opened_at=now,
                                  opened_on=today, opened_by=actor_id, state="open", round=1, due_on=today)
        transition = Supervise(transition.note, transition.reason, supervision.id)
    planned = plan(state, transition, today, cal, st, actor_id=actor_id)
    event = _append(session, case, planned, now, actor_id)
    new_state = deepcopy(state)
    fold_one(new_state, Event(planned.kind, today, actor_id, planned.unit_id, planned.data))
    if supervision is not None:
        session.add(supervision)
        session.flush()
    _project(session, case.id, new_state, cal, st)
    _sync_supervision(session, transition, new_state, now, cal, st)
    notice_id = None
    if planned.notify:
        notice = notify.enqueue(session, case, planned.notify, event.id, today, now,
                                _notice_values(planned, state, cal, today))
        notice_id = notice.id
    audit.record(session, user_id=actor_id, action="transition", entity="case", entity_id=case.id,
                 detail=planned.kind, changes=audit.changes_of({"status": status_before, "unit_id": unit_before},
                                                                {"status": case.status, "unit_id": case.unit_id}))
    if planned.kind in ("closed", "recheck_decided"):
        # the matter is settled: a leader's ownership (包案) of it ends with it
        from reception.lifecycle.ownership import end_ownerships_in_session

        end_ownerships_in_session(session, case.id, today, "案件已" + planned.status.label, actor_id=actor_id,
                                  now=now)
    if planned.kind == "evaluated" and planned.data.get("rating") == "dissatisfied" and not state.on_the_spot:
        # (a dissatisfied on-the-spot reply has no unit yet: the case waits to be routed, on its own clock)
        # a dissatisfied evaluation goes to supervision and must reach the handling unit again
        apply_in_session(session, case.id, Supervise("群众对处理意见不满意，请重新核查办理并反馈。",
                                                     SupervisionReason.DISSATISFIED),
                         actor_id=actor_id, now=now, cal=cal, settings=st, follow_up=True)
    return TransitionResult(case.id, event.id, planned.kind, case.status, CaseStatus.label_of(case.status), notice_id)


def record_merge(session: Session, case: Case, kind: EventKind, *, note: str, data: dict[str, Any],
                 actor_id: str | None, now: datetime, cal: WorkCalendar) -> CaseEvent:
    """The surviving case's event of a merge (``EventKind.MERGED``) or of its undoing (``UNMERGED``), with
    ``data["received_on"]`` the receipt date that now governs its clocks (the earliest of the cases merged into it),
    and its clocks recomputed (``reproject_cases``). The status stays; the permission is the caller's
    (``reception.merge``), as is the ``case_merge`` record the server checks the event against."""
    if kind not in MERGE_KINDS:
        raise ValueError(kind)
    state = load_state(session, case)
    event = _append(session, case, Planned(kind.value, state.status, note, None, dict(data)), now, actor_id)
    reproject_cases(session, [case.id], cal)
    return event


class CaseHistory:
    """A new case's past steps recorded in one go, in memory, for bulk loaders (the ledger import).

    Each step goes through the state machine exactly as ``apply_in_session`` does (``plan`` checks it against the
    state the earlier steps left; the event, the case row's columns, ``version`` and the audit entry are those it
    writes; a dissatisfied evaluation opens its supervision), but nothing is read back from the database and nothing
    is flushed: the caller adds ``objects`` to its session (with the case) and writes ``clock_rows()`` once, after
    its one flush per batch. ``LifecycleError`` from ``apply`` leaves the case and the history as they were.

    Only for a case that is new in the caller's transaction: there are no notices (the steps are history: nobody is
    told of them now) and no leader's ownership to end."""

    def __init__(self, case: Case, state: CaseState, last_at: datetime, *, cal: WorkCalendar, settings: Settings,
                 actor_id: str | None) -> None:
        self.case, self.state, self.last_at = case, state, last_at
        self.cal, self.settings, self.actor_id = cal, settings, actor_id
        self.objects: list[Any] = []
        self._supervisions: dict[str, Supervision] = {}

    def apply(self, now: datetime, transition: Transition) -> Planned:
        case, st, today = self.case, self.settings, now.date()
        supervision: Supervision | None = None
        if isinstance(transition, Supervise) and not transition.supervision_id:
            supervision = transient(Supervision, id=new_id(), case_id=case.id, unit_id=self.state.unit_id,
                                    reason=transition.reason.value, note=transition.note.strip(), opened_at=now,
                                    opened_on=today, opened_by=self.actor_id, state="open", round=1, due_on=today)
            transition = Supervise(transition.note, transition.reason, supervision.id)
        planned = plan(self.state, transition, today, self.cal, st, actor_id=self.actor_id)
        if now <= self.last_at:  # strictly ordered, as ``_append`` keeps it
            now = self.last_at + timedelta(microseconds=1)
        self.last_at = now
        status_before, unit_before = case.status, case.unit_id
        if case.version is None:
            case.version = 1
        event = history.step_event(case, planned, at=now, on=to_local(now).date(), actor_id=self.actor_id)
        was_dissatisfied = planned.kind == "evaluated" and planned.data.get("rating") == "dissatisfied" \
            and not self.state.on_the_spot
        fold_one(self.state, Event(planned.kind, today, self.actor_id, planned.unit_id, planned.data))
        self.objects.append(event)
        if supervision is not None:
            self._supervisions[supervision.id] = supervision
            self.objects.append(supervision)
        sid = transition.supervision_id if isinstance(transition, (Supervise, AnswerSupervision)) else ""
        row = self._supervisions.get(sid) if sid else None
        if row is not None:
            sup = self.state.supervisions.get(sid)
            if sup is None:
                row.state, row.answered_at = "resolved", now
            else:
                row.round = sup.round
                row.due_on = next(c.due for c in clocks(self.state, self.cal, st) if c.ref == sid)
            if isinstance(transition, AnswerSupervision):
                row.answered_at, row.answer_note = now, transition.note.strip()
        self.objects.append(transient(AuditEntry, user_id=self.actor_id, action="transition", entity="case",
                                      entity_id=case.id, detail=planned.kind[:200],
                                      changes=audit.changes_of({"status": status_before, "unit_id": unit_before},
                                                               {"status": case.status, "unit_id": case.unit_id})))
        if was_dissatisfied:
            self.apply(now, Supervise("群众对处理意见不满意，请重新核查办理并反馈。", SupervisionReason.DISSATISFIED))
        return planned

    def clock_rows(self) -> list[dict[str, Any]]:
        """The case's ``case_clock`` rows in its final state (to insert once the case row is flushed)."""
        return clock_rows(self.case.id, self.state, self.cal, self.settings)


def _append(session: Session, case: Case, planned: Planned, now: datetime, actor_id: str | None) -> CaseEvent:
    last = session.scalar(select(func.max(CaseEvent.occurred_at)).where(CaseEvent.case_id == case.id))
    if last is not None and now <= last:  # keep the history strictly ordered when two steps share a moment
        now = last + timedelta(microseconds=1)
    event = history.append_step(session, case, planned, at=now, on=to_local(now).date(), actor_id=actor_id)
    session.flush()
    return event


def _notice_values(planned: Planned, before: CaseState, cal: WorkCalendar | None = None,
                   today: date | None = None) -> dict[str, Any]:
    d = planned.data
    from reception.lifecycle.machine import ReplyOutcome

    if planned.notify == "routed":
        return {"unit_id": planned.unit_id or "", "action": "交办" if planned.kind == "assigned" else "转送至"}
    if planned.notify == "accepted":
        return {"limit": "10个工作日" if d.get("simple") else "60日"}
    if planned.notify == "not_accepted":
        return {"reason": d.get("reason", ""), "channel": d.get("channel", "")}
    if planned.notify == "extended":
        due = date.fromisoformat(str(d["due"]))
        provisional = cal is not None and bool(cal.provisional_years(today or due, due))
        return {"reason": d.get("reason", ""), "days": d.get("days", ""), "due": _due_text(due, provisional)}
    if "outcome" in d:
        return {"outcome": ReplyOutcome.label_of(str(d["outcome"]))}
    if "requested_on" in d:
        req = date.fromisoformat(str(d["requested_on"]))
        return {"date": f"{req.year}年{req.month}月{req.day}日"}
    return {}


def _sync_supervision(session: Session, t: Transition, state: CaseState, now: datetime, cal: WorkCalendar,
                      st: Settings) -> None:
    sid = t.supervision_id if isinstance(t, (Supervise, AnswerSupervision)) else ""
    if not sid:
        return
    row = session.get(Supervision, sid)
    if row is None:
        return
    sup = state.supervisions.get(sid)
    if sup is None:
        row.state, row.answered_at = "resolved", now
        if isinstance(t, AnswerSupervision):
            row.answer_note = t.note.strip()
        return
    row.round = sup.round
    row.due_on = next(c.due for c in clocks(state, cal, st) if c.ref == sid)
    if isinstance(t, AnswerSupervision):
        row.answered_at, row.answer_note = now, t.note.strip()


# --- catching up with cases registered by the intake service ----------------------------------------------------


def sync_clocks(ctx: AppContext, *, batch: int = 5000) -> int:
    """Write the clock rows of cases that have none yet (new registrations). Returns how many cases were written.

    Cases registered before the last sync's day are skipped without looking (the ``lifecycle_sync`` setting), so
    a normal run costs one indexed query. Intake-only cases (registered, routed or steered to legal channels) are
    computed from their row; any other case is replayed from its events.
    """
    with ctx.db.write() as session:
        return catch_up_clocks(session, ctx.calendar, today=ctx.now().date(), batch=batch)


def catch_up_clocks(session: Session, cal: WorkCalendar, *, today: date, batch: int = 5000) -> int:
    """``sync_clocks`` inside the caller's write transaction (the intake: a new case and its clocks commit
    together): first, once after an upgrade that changed how clocks are counted, every stored clock again."""
    mark = session.get(Setting, CALENDAR_KEY)
    if mark is None or mark.value != {"rules": CALENDAR_RULES}:
        if session.scalar(select(CaseClock.id).limit(1)) is not None:
            recompute_clocks_in_session(session, cal, today=today)
        if mark is None:
            session.add(Setting(key=CALENDAR_KEY, value={"rules": CALENDAR_RULES}))
        else:
            mark.value = {"rules": CALENDAR_RULES}
    return sync_clocks_in_session(session, cal, today=today, batch=batch)


def sync_clocks_in_session(session: Session, cal: WorkCalendar, *, today: date, batch: int = 5000) -> int:
    st = load_settings(session)
    mark = session.get(Setting, SYNC_KEY)
    since = date.fromisoformat(mark.value["through"]) if mark is not None else date.min
    has_clock = exists().where(CaseClock.case_id == Case.id)
    q = (select(Case.id, Case.status, Case.registered_on, Case.unit_id, Case.received_on)
         .where(Case.registered_on >= since, ~has_clock, counted_case(Case)))
    templates: dict[tuple[str, date, date | None], list[dict[str, Any]]] = {}
    rows: list[dict[str, Any]] = []
    written = 0
    latest = since
    for case_id, status, registered_on, unit_id, received_on in session.execute(q).all():
        latest = max(latest, registered_on)
        if status == CaseStatus.LEGAL_CHANNEL.value:
            continue
        if status in (CaseStatus.REGISTERED.value, CaseStatus.ASSIGNED.value, CaseStatus.FORWARDED.value):
            key = (status, registered_on, received_on)
            if key not in templates:  # one computation per day and state, not per case
                state = intake_state(CaseStatus.parse(status), registered_on, "U", received_on)
                templates[key] = [_clock_row("", c, cal, st) for c in clocks(state, cal, st)]
            for template in templates[key]:
                rows.append(template | {"id": new_id(), "case_id": case_id,
                                        "unit_id": unit_id if template["unit_id"] else None})
        else:
            case = session.get(Case, case_id)
            assert case is not None
            state = load_state(session, case)
            rows.extend(_clock_row(case_id, c, cal, st) for c in clocks(state, cal, st))
        written += 1
        if len(rows) >= batch:
            session.execute(insert(_CLOCKS), rows)
            rows = []
    if rows:
        session.execute(insert(_CLOCKS), rows)
    through = min(latest, today) if latest > date.min else today
    if mark is None:
        session.add(Setting(key=SYNC_KEY, value={"through": through.isoformat()}))
    else:
        mark.value = {"through": through.isoformat()}
    return written


def recompute_clocks(ctx: AppContext, *, years: Sequence[int] | None = None,
                     progress: Callable[[int, int], None] | None = None) -> RecomputeResult:
    """Bring every stored clock in line with the current calendar and settings (after the holiday table or the
    lifecycle settings changed), in one write transaction; ``ctx.calendar`` is reloaded first."""
    from reception.db.calendar_table import load_work_calendar

    with ctx.db.write() as session:
        ctx.calendar = load_work_calendar(session)
        return recompute_clocks_in_session(session, ctx.calendar, today=ctx.now().date(), years=years,
                                           progress=progress)


@dataclass(frozen=True, slots=True)
class RecomputeResult:
    checked: int
    """Clock rows looked at (those whose count goes through ``years``; all of them without ``years``)."""
    changed: int
    """Rows whose due date, amber day or length changed."""
    replayed: int
    """Cases replayed from their events (clocks whose due date the stored row cannot give: 复核 with hearings)."""
    supervisions: int
    """Supervisions whose feedback due date changed."""


_REPLAYED_KEYS = frozenset({"recheck_decision"})
"""Clocks whose due date depends on more than their row (the hearing days of a 复核): their cases are replayed."""


_ALLOWED_FROM_SETTINGS: dict[str, Callable[[Settings], int]] = {
    "sign_for": lambda st: st.sign_days,
    "evaluation": lambda st: st.evaluation_days,
    "supervision": lambda st: st.supervision_days,
}
"""Clocks whose length is a setting (a change of it applies to the running clocks, as a replay would)."""


def _due_of(key: str, start: date, allowed: int, extended_by: int, cal: WorkCalendar, st: Settings) -> date:
    """A clock's due date from what its ``case_clock`` row holds (as ``machine.clocks`` computes it); ``allowed``
    of the clocks in ``_ALLOWED_FROM_SETTINGS`` is the current setting."""
    if key == "handling" and extended_by:
        original = due_date("handling", start, cal, RollPolicy.NONE)
        return add_calendar_days(original, extended_by, cal, st.roll)
    if key == "sign_for":
        return add_working_days(start, allowed, cal)
    if key in ("evaluation", "supervision"):
        return add_calendar_days(start, allowed, cal, st.roll)
    return due_date(key, start, cal, st.roll)


def recompute_clocks_in_session(session: Session, cal: WorkCalendar, *, today: date,
                                years: Sequence[int] | None = None,
                                progress: Callable[[int, int], None] | None = None) -> RecomputeResult:
    """The one clock recompute after a change of the calendar or of the clock rules (holiday import, confirm, one
    day edited, a change pulled by sync, the roll-over rule), inside the caller's transaction.

    A clock's due date and amber day are a function of its row (key, start, allowed, extension) and the calendar,
    so the rows are grouped by those and each group is computed once; only the groups that change are rewritten (one
    ``UPDATE … FROM`` through a temporary table), and open supervisions follow their clock. (The provisional mark is
    not stored: the lists and the detail compute it from the calendar when they show a clock, migration 0010.)
    ``years``: only clocks whose count runs through one of them (start before its end, due after its start).
    Clocks of a 复核 (hearing days not counted) and of dissatisfied on-the-spot replies are replayed from their
    case's events. Cases without clock rows yet are left to ``sync_clocks`` (run before every list), which writes
    them with the calendar of the day. ``today`` is kept for callers' symmetry with ``sync_clocks_in_session``."""
    st = load_settings(session)
    cond: list[Any] = []
    if years:
        lo, hi = date(min(years), 1, 1), date(max(years), 12, 31)
        cond = [CaseClock.started_on <= hi, CaseClock.due_on >= lo]
    groups = session.execute(
        select(CaseClock.clock_key, CaseClock.kind, CaseClock.started_on, CaseClock.allowed, CaseClock.extended_by,
               CaseClock.due_on, CaseClock.amber_on, func.count())
        .where(CaseClock.clock_key.not_in(list(_REPLAYED_KEYS)), *cond)
        .group_by(CaseClock.clock_key, CaseClock.kind, CaseClock.started_on, CaseClock.allowed,
                  CaseClock.extended_by, CaseClock.due_on, CaseClock.amber_on)
    ).all()
    total = len(groups)
    checked = changed = 0
    updates: list[dict[str, Any]] = []
    for i, (key, kind, start, allowed, ext, due, amber, n) in enumerate(groups):
        checked += n
        setting = _ALLOWED_FROM_SETTINGS.get(key)
        new_allowed = setting(st) if setting is not None else allowed
        new_due = _due_of(key, start, new_allowed, ext, cal, st)
        a = assess_clock(RunningClock(key, ClockKind.parse(kind), start, new_due, None, ext,
                                      new_allowed if setting is not None else None), start, cal, st)
        if (new_due, a.amber_from, a.allowed) != (due, amber, allowed):
            changed += n
            updates.append({"k": key, "kd": kind, "s": start, "a": allowed, "e": ext, "od": due, "oa": amber,
                            "nd": new_due, "na": a.amber_from, "nl": a.allowed})
        if progress is not None and i % 500 == 0:
            progress(i, total)
    if updates:
        _apply_clock_updates(session, updates)
    replayed = _replay_cases(session, cal, st, cond)
    # open supervisions follow their clock's due date: only when a supervision clock moved
    moved = replayed or any(u["k"] == "supervision" for u in updates)
    supervisions = _follow_supervisions(session) if moved else 0
    if progress is not None:
        progress(total, total)
    return RecomputeResult(checked, changed, replayed, supervisions)


def _apply_clock_updates(session: Session, updates: list[dict[str, Any]]) -> None:
    conn = session.connection()
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS clock_fix (k TEXT, kd TEXT, s DATE, a INTEGER, e INTEGER, "
                         "od DATE, oa DATE, nd DATE, na DATE, nl INTEGER)")
    conn.exec_driver_sql("DELETE FROM clock_fix")
    fix = Table("clock_fix", MetaData(), *(Column(n, t) for n, t in (
        ("k", String), ("kd", String), ("s", Date), ("a", Integer), ("e", Integer), ("od", Date), ("oa", Date),
        ("nd", Date), ("na", Date), ("nl", Integer))))
    for start in range(0, len(updates), 2000):
        conn.execute(insert(fix), updates[start:start + 2000])
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS clock_fix_ix ON clock_fix (s, k)")
    match = ("FROM clock_fix AS f WHERE case_clock.started_on = f.s AND case_clock.clock_key = f.k "
             "AND case_clock.kind = f.kd AND case_clock.allowed = f.a AND case_clock.extended_by = f.e "
             "AND case_clock.due_on = f.od AND case_clock.amber_on = f.oa")
    conn.exec_driver_sql(f"UPDATE case_clock SET due_on = f.nd, amber_on = f.na, allowed = f.nl {match}")
    conn.exec_driver_sql("DELETE FROM clock_fix")


def _replay_cases(session: Session, cal: WorkCalendar, st: Settings, cond: list[Any]) -> int:
    """Replay the cases whose clocks depend on more than their rows: 复核 with hearings, and the Art. 22 clock after
    a dissatisfied on-the-spot reply (its start depends on the ``on_spot_restart`` setting)."""
    ids: list[str] = []
    waiting: list[str] = []
    for case_id, key in session.execute(select(CaseClock.case_id, CaseClock.clock_key).where(  # (one scan)
            CaseClock.clock_key.in_([*_REPLAYED_KEYS, "register_route"]), *cond)):
        (waiting if key == "register_route" else ids).append(case_id)
    ids = sorted(set(ids))
    for start in range(0, len(waiting), 500):  # (through the case_event.case_id index, a chunk at a time)
        chunk = waiting[start:start + 500]
        ids += [i for i in session.scalars(select(CaseEvent.case_id).where(
            CaseEvent.case_id.in_(chunk), CaseEvent.kind == "replied_on_spot").distinct()) if i not in ids]
    for case_id in ids:
        case = session.get(Case, case_id)
        if case is not None:
            _project(session, case.id, load_state(session, case), cal, st)
    return len(ids)


def _follow_supervisions(session: Session) -> int:
    """Open supervisions keep the due date of their clock (the supervision list reads ``supervision.due_on``)."""
    dues: dict[str, date] = {ref: due for ref, due in session.execute(
        select(CaseClock.ref, CaseClock.due_on).where(CaseClock.clock_key == "supervision", CaseClock.ref != ""))}
    changed = 0
    for sup in session.scalars(select(Supervision).where(Supervision.state == "open")):
        due = dues.get(sup.id)
        if due is not None and due != sup.due_on:
            sup.due_on = due
            changed += 1
    return changed


def rebuild_clocks_in_session(session: Session, cal: WorkCalendar, *, today: date) -> int:
    """Rewrite every stored clock from scratch (replaying every case): the reference ``recompute_clocks_in_session``
    is tested against; slow on a large database."""
    session.execute(delete(CaseClock))
    mark = session.get(Setting, SYNC_KEY)
    if mark is not None:
        session.delete(mark)
    session.flush()
    return sync_clocks_in_session(session, cal, today=today)


# --- one case's clocks ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseClockView:
    assessment: ClockAssessment
    unit_id: str | None
    unit_name: str
    ref: str

    def to_json(self) -> dict[str, Any]:
        a = self.assessment
        return {
            "clock": a.key, "label": a.label, "kind": a.kind.value, "unit": a.unit.value,
            "start": a.start.isoformat(), "due": a.due.isoformat(), "allowed": a.allowed, "elapsed": a.elapsed,
            "left": a.left, "state": a.colour.value, "state_label": a.colour.label, "text": a.text,
            "extended_by": a.extended_by, "unconfirmed_years": list(a.unconfirmed_years),
            "confirmed": not a.unconfirmed_years, "provisional": bool(a.unconfirmed_years),
            "due_text": _due_text(a.due, bool(a.unconfirmed_years)),
            "basis": a.basis, "responsible_unit": self.unit_name,
            "supervision_id": self.ref or None, "paused": a.paused, "paused_days": a.paused_days,
        }


def case_clocks_in_session(session: Session, case: Case, cal: WorkCalendar, on: date
                           ) -> tuple[CaseState, list[CaseClockView]]:
    st = load_settings(session)
    state = load_state(session, case)
    names = {u.id: u.name for u in session.scalars(select(Unit))}
    views = [CaseClockView(assess_clock(c, on, cal, st), c.unit_id, names.get(c.unit_id or "", ""), c.ref)
             for c in clocks(state, cal, st)]
    return state, views


def case_clocks(ctx: AppContext, case_id: str, *, on: date | None = None) -> list[CaseClockView]:
    """Every clock of a case with "N allowed, M elapsed" and its colour on ``on`` (default today)."""
    with ctx.db.read() as session:
        case = _get_case(session, case_id)
        return case_clocks_in_session(session, case, ctx.calendar, on or ctx.now().date())[1]


# --- lists -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockRow:
    case_id: str
    case_no: str
    status: str
    status_label: str
    clock: str
    label: str
    unit_id: str | None
    unit_name: str
    start: date
    due: date
    allowed: int
    elapsed: int
    left: int
    colour: str
    unconfirmed: bool
    supervision_id: str

    @property
    def provisional(self) -> bool:
        """The due date was counted through a year whose arrangement is not published (statutory days only)."""
        return self.unconfirmed

    @property
    def due_text(self) -> str:
        return _due_text(self.due, self.unconfirmed)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"], d["due"] = self.start.isoformat(), self.due.isoformat()
        d["provisional"], d["due_text"] = self.unconfirmed, self.due_text
        return d


def _due_text(due: date, provisional: bool) -> str:
    """``2027年1月4日`` or ``2027年1月4日（按法定节假日推算，以国务院公布的放假安排为准）``."""
    text = f"{due.year}年{due.month}月{due.day}日"
    return provisional_text(text) if provisional else text


@dataclass(frozen=True, slots=True)
class ClockList:
    total: int
    """How many clocks match, counted up to ``COUNT_CAP`` + 1 (``capped`` then)."""
    rows: tuple[ClockRow, ...]

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def total_text(self) -> str:
        return count_text(self.total)


def _rows(session: Session, found: Sequence[Any], on: date, cal: WorkCalendar, st: Settings) -> tuple[ClockRow, ...]:
    units = {u.id: u.name for u in session.scalars(select(Unit))}
    out = []
    for clock, case_no, status in found:
        kind = ClockKind.parse(clock.kind)
        a = assess_clock(RunningClock(clock.clock_key, kind, clock.started_on, clock.due_on, clock.unit_id,
                                      clock.extended_by, clock.allowed, clock.ref), on, cal, st)
        out.append(ClockRow(clock.case_id, case_no, status, CaseStatus.label_of(status), clock.clock_key,
                            get_clock(clock.clock_key).label, clock.unit_id, units.get(clock.unit_id or "", ""),
                            clock.started_on, clock.due_on, a.allowed, a.elapsed, a.left, a.colour.value,
                            bool(a.unconfirmed_years), clock.ref))
    return tuple(out)


def _scope(ctx: AppContext, actor_id: str | None) -> CaseScope:
    if actor_id is None:
        return EVERYTHING
    with ctx.db.read() as session:
        return case_scope(session, actor_id)


def _scoped_where(where: list[Any], column: Any, unit_id: str | None, scope: CaseScope) -> list[Any]:
    """The list's conditions narrowed to the unit asked for and to what the user may see (a unit's staff: their own
    unit only, whatever unit they ask for, and never an accusation against it)."""
    if scope.restricted:
        if unit_id is not None and unit_id != scope.unit_id:
            return [*where, false()]
        return [column == scope.unit_id, *where, scope.condition()]
    if unit_id is not None:
        return [column == unit_id, *where]
    return where


def _list(ctx: AppContext, where: Sequence[Any], order: Sequence[Any], *, limit: int, offset: int, on: date,
          sync: bool, scope: CaseScope = EVERYTHING) -> ClockList:
    if sync:
        sync_clocks(ctx)
    with ctx.db.read() as session:
        st = load_settings(session)
        # counted through the (kind, due_on) index and stopped past the cap: a bounded cost whatever the backlog
        first_q = select(CaseClock.due_on)
        if scope.restricted:  # the scope's condition is on the case
            first_q = first_q.join(Case, Case.id == CaseClock.case_id)
        first = first_q.where(*where).limit(COUNT_CAP + 1).subquery()
        total = session.scalar(select(func.count()).select_from(first)) or 0
        found = session.execute(
            select(CaseClock, Case.case_no, Case.status).join(Case, Case.id == CaseClock.case_id)
            .where(*where).order_by(*order).limit(limit).offset(offset)
        ).all()
        return ClockList(total, _rows(session, found, on, ctx.calendar, st))


def overdue(ctx: AppContext, *, unit_id: str | None = None, on: date | None = None, limit: int = LIST_LIMIT,
            offset: int = 0, sync: bool = True, actor_id: str | None = None) -> ClockList:
    """Duties past their due date (the most overdue first), for the centre or one unit. Extended cases count
    from their extended date. One indexed range query on ``case_clock``. ``actor_id``: only the cases that user may
    see (a unit's staff: their unit's)."""
    today = on or ctx.now().date()
    scope = _scope(ctx, actor_id)
    where = _scoped_where([CaseClock.kind == ClockKind.DUTY.value, CaseClock.due_on < today], CaseClock.unit_id,
                          unit_id, scope)
    return _list(ctx, where, (CaseClock.due_on, CaseClock.case_id), limit=limit, offset=offset, on=today, sync=sync,
                 scope=scope)


def due_soon(ctx: AppContext, *, unit_id: str | None = None, on: date | None = None, limit: int = LIST_LIMIT,
             offset: int = 0, sync: bool = True, actor_id: str | None = None) -> ClockList:
    """Duties not yet overdue that have turned amber (≤ N days or ≤ x % left, the ``lifecycle`` settings),
    the nearest first; ``actor_id`` as for ``overdue``."""
    today = on or ctx.now().date()
    scope = _scope(ctx, actor_id)
    with ctx.db.read() as session:
        st = load_settings(session)
    # the widest amber window of any clock bounds the range: amber_on <= today <= due_on <= today + horizon
    horizon = max(st.thresholds.window(get_clock(k).amount + 30) for k in ("handling", "supervision")) + 14
    where = _scoped_where([CaseClock.kind == ClockKind.DUTY.value, CaseClock.due_on >= today,
                           CaseClock.due_on <= today + timedelta(days=horizon), CaseClock.amber_on <= today],
                          CaseClock.unit_id, unit_id, scope)
    return _list(ctx, where, (CaseClock.due_on, CaseClock.case_id), limit=limit, offset=offset, on=today, sync=sync,
                 scope=scope)


@dataclass(frozen=True, slots=True)
class SupervisionRow:
    id: str
    case_id: str
    case_no: str
    unit_id: str | None
    unit_name: str
    reason: str
    reason_label: str
    note: str
    opened_on: date
    opened_by: str
    round: int
    due: date
    left: int
    colour: str
    state: str
    answer_note: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["opened_on"], d["due"] = self.opened_on.isoformat(), self.due.isoformat()
        return d


def supervision_list(ctx: AppContext, *, unit_id: str | None = None, state: str = "open", on: date | None = None,
                     limit: int = LIST_LIMIT, offset: int = 0, actor_id: str | None = None
                     ) -> tuple[int, tuple[SupervisionRow, ...]]:
    """督办 list: open supervisions (the nearest feedback due first), for the centre or one unit; ``actor_id``: only
    the cases that user may see (a unit's staff: their unit's supervisions, the 督办意见 of no other unit)."""
    today = on or ctx.now().date()
    scope = _scope(ctx, actor_id)
    # (no supervision of an 已撤销 case; only that half of ``counted_case``: a merged-away case's supervision is
    # still one of the matter, listed by the number it was opened under)
    where = _scoped_where([Supervision.state == state, not_void(Case)], Supervision.unit_id, unit_id, scope)
    with ctx.db.read() as session:
        st = load_settings(session)
        total = session.scalar(select(func.count()).select_from(Supervision)
                               .join(Case, Case.id == Supervision.case_id).where(*where)) or 0
        found = session.execute(
            select(Supervision, Case.case_no, Unit.name, User.display_name)
            .join(Case, Case.id == Supervision.case_id)
            .outerjoin(Unit, Unit.id == Supervision.unit_id)
            .outerjoin(User, User.id == Supervision.opened_by)
            .where(*where).order_by(Supervision.due_on, Supervision.id).limit(limit).offset(offset)
        ).all()
        rows = []
        for sup, case_no, unit_name, opener in found:
            start = to_local(sup.answered_at).date() if sup.round > 1 and sup.answered_at else sup.opened_on
            a = assess_clock(RunningClock("supervision", ClockKind.DUTY, start, sup.due_on, sup.unit_id,
                                          allowed=st.supervision_days), today, ctx.calendar, st)
            rows.append(SupervisionRow(sup.id, sup.case_id, case_no, sup.unit_id, unit_name or "", sup.reason,
                                       SupervisionReason.label_of(sup.reason), sup.note, sup.opened_on,
                                       opener or "", sup.round, sup.due_on, a.left,
                                       a.colour.value if sup.state == "open" else ClockColour.GREEN.value,
                                       sup.state, sup.answer_note))
    return total, tuple(rows)


def supervise_overdue(ctx: AppContext, *, actor_id: str | None, note: str = "", on: date | None = None,
                      limit: int = 1000) -> int:
    """Put overdue cases that are not yet supervised on the supervision list (督办), with a supervision note."""
    today = on or ctx.now().date()
    sync_clocks(ctx)
    with ctx.db.read() as session:
        supervised = exists().where(Supervision.case_id == CaseClock.case_id, Supervision.state == "open")
        ids = list(session.scalars(
            select(CaseClock.case_id).where(CaseClock.kind == ClockKind.DUTY.value, CaseClock.due_on < today,
                                            CaseClock.unit_id.is_not(None), ~supervised)
            .order_by(CaseClock.due_on).distinct().limit(limit)
        ))
    text = note or "该事项已超过办理期限，请抓紧办理并在30日内反馈。"
    for case_id in ids:
        with ctx.db.write() as session:
            apply_in_session(session, case_id, Supervise(text, SupervisionReason.OVERDUE), actor_id=actor_id,
                             now=ctx.now(), cal=ctx.calendar)
    return len(ids)


# --- the whole case, for ``reception case show`` ----------------------------------------------------------------


def case_view(ctx: AppContext, case_no: str, *, on: date | None = None) -> dict[str, Any]:
    """A case with its events and every running clock (due date, state), JSON-ready. No ID numbers or phones."""
    from reception.intake.cases import EVENT_LABELS, case_id_by_no

    today = on or ctx.now().date()
    with ctx.db.read() as session:
        case = _get_case(session, case_id_by_no(session, case_no))
        state, views = case_clocks_in_session(session, case, ctx.calendar, today)
        units = {u.id: u.name for u in session.scalars(select(Unit))}
        users = {u.id: u.display_name for u in session.scalars(select(User))}
        events = sorted(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)),
                        key=lambda e: (e.occurred_at, e.kind != "received"))
        sups = session.scalars(select(Supervision).where(Supervision.case_id == case.id)
                               .order_by(Supervision.opened_at)).all()
        restricted = case.content_class == ContentClass.ACCUSATION.value
        return {
            "case_no": case.case_no,
            "query_code": case.query_code,
            "status": case.status,
            "status_label": CaseStatus.label_of(case.status),
            "content_class": case.content_class,
            "restricted": restricted,
            "accused_units": sorted(units.get(u, u) for u in state.accused_units),
            "registered_on": case.registered_on.isoformat(),
            "received_on": (case.received_on or case.registered_on).isoformat(),
            "owners": _owners(session, case.id),
            "unit": units.get(case.unit_id or "", ""),
            "version": case.version,
            "as_of": today.isoformat(),
            "events": [
                {"kind": e.kind, "label": EVENT_LABELS.get(e.kind, e.kind), "at": e.occurred_at.isoformat(),
                 "on": e.occurred_on.isoformat(), "actor": users.get(e.actor_id or "", ""),
                 "unit": units.get(e.unit_id or "", ""), "note": e.note, "data": _public_data(e.data)}
                for e in events
            ],
            "clocks": [v.to_json() for v in views],
            "overdue": any(v.assessment.overdue for v in views),
            "supervisions": [
                {"id": s.id, "reason": s.reason, "note": s.note, "opened_on": s.opened_on.isoformat(),
                 "state": s.state, "round": s.round, "due": s.due_on.isoformat(), "answer": s.answer_note}
                for s in sups
            ],
        }


def _owners(session: Session, case_id: str) -> list[dict[str, Any]]:
    """包案: the leaders owning the case (and those who did), by name."""
    from reception.db.models import CaseOwnership, Leader

    rows = session.execute(select(CaseOwnership, Leader.name, Leader.title).join(
        Leader, Leader.id == CaseOwnership.leader_id).where(CaseOwnership.case_id == case_id)
        .order_by(CaseOwnership.since)).all()
    return [{"leader": f"{name}（{title}）", "since": o.since.isoformat(),
             "ended_on": o.ended_on.isoformat() if o.ended_on else None} for o, name, title in rows]


def _public_data(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k not in ("visit_id",)}
