"""领导接访: the duty leader's queue, the reception record with the reply given on the spot (现场答复), and the
counts the statistics report (批次 / 人次 / 现场答复).

- ``leader_queue(ctx, day)``: the visits the desk sent to the duty leader that day (intake's "to_leader" event)
  and the appointments (约访) for that day, each waiting or received.
- ``record_reception(ctx, form, actor_id=)``: validates (``FieldErrors`` keyed by the ``F_*`` field keys), stores the
  record and a ``leader_reply`` case event, and in the same write transaction acts on the outcome: 交办 routes the
  case to the unit through the lifecycle (``Route(unit, assign=True)``) and keeps the leader's due date; 现场解决 /
  解释说明 of a case not yet routed is the case's reply delivered on the spot (``ReplyOnTheSpot``: the intake clock
  stops, the evaluation window opens, then closing as after any reply), while for a case already with a unit the
  record stays a record and the unit's clocks run on; 领导包案
  records the leader's ownership of the case, 导入法定途径 records the channel and takes the case out of the
  petition procedure.
- ``reception_counts(ctx, start, end)``: batches (records), persons (sum of headcounts), problems answered on the spot.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import CHINA_TZ, to_local
from reception.db.models import (
    AuditEntry,
    Case,
    CaseEvent,
    CaseOwnership,
    Leader,
    LeaderAppointment,
    LeaderReception,
    Unit,
    User,
    Visit,
)
from reception.domain.enums import CaseStatus, LabelledEnum
from reception.domain.errors import FieldError, FieldErrors, NotFoundError
from reception.intake.history import summarise_cases
from reception.lifecycle import history
from reception.lifecycle import service as lifecycle
from reception.lifecycle.machine import (
    EventKind,
    LifecycleError,
    ReplyOnTheSpot,
    ReplyOutcome,
    Route,
    SteerToLegalChannel,
)
from reception.merge.resolve import names_no_void_case, not_void
from reception.security.permissions import Permission, require, visible_case_ids

# Field keys: stable English names the UI maps to its own widget (and Chinese label); messages are Chinese.
F_LEADER = "leader"
F_REPLY = "reply"
F_OUTCOME = "outcome"
F_UNIT = "unit"
F_DUE = "due"
F_LEGAL_CHANNEL = "legal_channel"
F_PRESENT = "present"
F_REACTION = "reaction"
F_FOLLOW_UP = "follow_up"
F_GENERAL = ""
"""Errors that belong to no single field (the case or visit itself)."""

REPLY_MAX = 4000
MAX_DUE_DAYS = 60
"""A leader's due date for a unit may not exceed the statutory handling period (60 days)."""


class Outcome(LabelledEnum):
    """处理结果 of a leader's reception."""

    RESOLVED = ("resolved", "现场解决")
    EXPLAINED = ("explained", "解释说明")
    ASSIGNED = ("assigned", "交办责任单位")
    OWNED = ("owned", "领导包案")
    LEGAL_CHANNEL = ("legal_channel", "导入法定途径")


ANSWERED_ON_THE_SPOT = frozenset({Outcome.RESOLVED, Outcome.EXPLAINED})


def assigns_unit(outcome: Outcome | None, unit_id: str | None) -> bool:
    """Whether the reception hands the case to a unit: 交办 always, 包案 when it names the lead unit (牵头单位)."""
    return outcome is Outcome.ASSIGNED or (outcome is Outcome.OWNED and bool(unit_id))
"""Outcomes that count as a problem answered on the spot (现场答复问题)."""


class Reaction(LabelledEnum):
    """信访人态度 at the end of the reception."""

    SATISFIED = ("satisfied", "满意")
    BASICALLY = ("basically", "基本满意")
    DISSATISFIED = ("dissatisfied", "不满意")
    NONE = ("none", "未表态")


class QueueState(LabelledEnum):
    WAITING = ("waiting", "待接访")
    RECEIVED = ("received", "已接访")


# --- plain data -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One visit (or appointment) waiting for, or received by, the leader."""

    case_id: str
    case_no: str
    visit_id: str | None
    appointment_id: str | None
    at: datetime
    """When the visit was registered, or the appointment's time (local)."""
    petitioner: str
    headcount: int
    category: str
    locality: str
    request: str
    status: str
    status_label: str
    visit_count: int
    state: QueueState
    reception_id: str | None = None
    leader_name: str = ""
    outcome_label: str = ""
    unit_name: str = ""
    source: str = "visit"
    """visit (sent from the desk) or appointment (约访)."""

    @property
    def key(self) -> str:
        return self.visit_id or self.appointment_id or self.case_id


@dataclass(frozen=True, slots=True)
class LeaderChoice:
    id: str
    name: str
    title: str
    on_duty: bool

    @property
    def label(self) -> str:
        return f"{self.name}（{self.title}）" + ("　今日值班" if self.on_duty else "")


@dataclass(frozen=True, slots=True)
class RecordInput:
    case_id: str
    leader_id: str | None
    reply: str
    outcome: Outcome | None
    reaction: Reaction | None
    visit_id: str | None = None
    appointment_id: str | None = None
    unit_id: str | None = None
    due_on: date | None = None
    legal_channel: str = ""
    units_present: tuple[str, ...] = ()
    follow_up: str = ""


@dataclass(frozen=True, slots=True)
class RecordResult:
    reception_id: str
    case_id: str
    case_no: str
    event_id: str
    outcome: Outcome
    status: str
    status_label: str
    unit_name: str = ""
    due_on: date | None = None
    ownership_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceptionCounts:
    start: date
    end: date
    batches: int
    """批次: visits (and appointments) received."""
    persons: int
    """人次: the sum of their headcounts."""
    answered_on_spot: int
    """Problems answered on the spot (现场解决 + 解释说明)."""
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.batches}批次 / {self.persons}人次，现场答复{self.answered_on_spot}件"


# --- reading ------------------------------------------------------------------------------------------------------


def leader_choices(ctx: AppContext, day: date) -> list[LeaderChoice]:
    """Active leaders, today's duty leader(s) first (the form's 接访领导 list)."""
    from reception.roster.service import duty_leaders_on

    duty = [x.leader_id for x in duty_leaders_on(ctx, day).leaders]
    with ctx.db.read() as session:
        rows = session.scalars(select(Leader).where(Leader.active.is_(True)).order_by(Leader.rank_order)).all()
        found = [LeaderChoice(r.id, r.name, r.title, r.id in duty) for r in rows]
    return sorted(found, key=lambda c: (c.id not in duty, duty.index(c.id) if c.id in duty else 0))


def leader_queue(ctx: AppContext, day: date, *, actor_id: str | None = None) -> list[QueueItem]:
    """The day's visits sent to the leader and the day's appointments, in time order; ``actor_id``: only the cases
    that user may see (a unit's staff: their unit's, never an accusation against it)."""
    with ctx.db.read() as session:
        if actor_id is not None:
            require(session, actor_id, Permission.VIEW_CASES)
        return queue_in_session(session, day, actor_id=actor_id)


TO_LEADER_KINDS = ("to_leader", "visit_to_leader")
"""A new case sent to the leader at intake, and a further visit of an existing case sent there."""


def queue_in_session(session: Session, day: date, *, actor_id: str | None = None) -> list[QueueItem]:
    sent = set(session.scalars(
        select(CaseEvent.case_id).where(CaseEvent.kind.in_(TO_LEADER_KINDS), CaseEvent.occurred_on == day)
    ))
    visits = session.scalars(
        select(Visit).where(Visit.case_id.in_(sent), Visit.visited_on == day).order_by(Visit.visited_at)
    ).all() if sent else []
    latest: dict[str, Visit] = {}
    for v in visits:  # the visit that was sent: the last one of the day (a case is sent once a day)
        latest[v.case_id] = v
    appointments = session.scalars(
        select(LeaderAppointment).where(LeaderAppointment.day == day).order_by(LeaderAppointment.time)
    ).all()
    case_ids = set(visible_case_ids(session, actor_id, sorted(set(latest) | {a.case_id for a in appointments})))
    # no 已撤销 case waits for the leader (only that half of ``counted_case``: a case merged away since it was sent
    # is still the visit or appointment of the day, shown by its own number)
    case_ids -= set(session.scalars(select(Case.id).where(Case.id.in_(sorted(case_ids)), ~not_void(Case))))
    summaries = {s.id: s for s in summarise_cases(session, case_ids)}
    requests = {k: v for k, v in session.execute(select(Case.id, Case.request).where(Case.id.in_(case_ids)))}
    records = session.scalars(
        select(LeaderReception).where(LeaderReception.case_id.in_(case_ids), LeaderReception.received_on == day)
    ).all() if case_ids else []
    by_visit = {r.visit_id: r for r in records if r.visit_id}
    by_appointment = {r.appointment_id: r for r in records if r.appointment_id}
    leaders = _names(session, Leader, {r.leader_id for r in records})
    units = _names(session, Unit, {r.unit_id for r in records if r.unit_id})

    def item(case_id: str, at: datetime, headcount: int, rec: LeaderReception | None, *, visit_id: str | None = None,
             appointment_id: str | None = None) -> QueueItem:
        s = summaries[case_id]
        return QueueItem(
            case_id=case_id, case_no=s.case_no, visit_id=visit_id, appointment_id=appointment_id, at=at,
            petitioner=s.petitioner_names, headcount=headcount, category=s.category, locality=s.locality,
            request=requests.get(case_id, ""), status=s.status, status_label=s.status_label,
            visit_count=s.visit_count, state=QueueState.RECEIVED if rec else QueueState.WAITING,
            reception_id=rec.id if rec else None, leader_name=leaders.get(rec.leader_id, "") if rec else "",
            outcome_label=Outcome.label_of(rec.outcome) if rec else "",
            unit_name=units.get(rec.unit_id or "", "") if rec else "",
            source="appointment" if appointment_id else "visit",
        )

    out = [item(v.case_id, to_local(v.visited_at), v.headcount, by_visit.get(v.id), visit_id=v.id)
           for v in latest.values() if v.case_id in summaries]
    for a in appointments:
        if a.case_id not in summaries:
            continue
        hour, minute = (int(x) for x in a.time.split(":")) if a.time else (0, 0)
        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)
        out.append(item(a.case_id, at, a.headcount, by_appointment.get(a.id), appointment_id=a.id))
    out.sort(key=lambda q: (q.at, q.case_no))
    return out


def _names(session: Session, model: type[Leader] | type[Unit], ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {k: v for k, v in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def reception_counts(ctx: AppContext, start: date, end: date) -> ReceptionCounts:
    """Batches, persons and problems answered on the spot for the leaders' receptions from ``start`` to ``end``
    (inclusive), none of an 已撤销 case (as the statistics). One indexed range query."""
    with ctx.db.read() as session:
        rows = session.execute(
            select(LeaderReception.outcome, func.count(), func.coalesce(func.sum(LeaderReception.headcount), 0))
            .where(LeaderReception.received_on >= start, LeaderReception.received_on <= end,
                   names_no_void_case(LeaderReception.case_id))
            .group_by(LeaderReception.outcome)
        ).all()
    by_outcome: dict[str, int] = defaultdict(int)
    persons = 0
    for outcome, count, heads in rows:
        by_outcome[outcome] += int(count)
        persons += int(heads)
    answered = sum(by_outcome.get(o.value, 0) for o in ANSWERED_ON_THE_SPOT)
    return ReceptionCounts(start, end, sum(by_outcome.values()), persons, answered, dict(by_outcome))


# --- writing ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppointmentInput:
    case_id: str
    day: date
    time: str = ""
    leader_id: str | None = None
    place: str = ""
    headcount: int = 1
    note: str = ""


def schedule_appointment(ctx: AppContext, form: AppointmentInput, *, actor_id: str | None) -> str:
    """约访: put a case on a leader's queue for a day (and time). Returns the appointment's id."""
    errors: list[FieldError] = []
    time = form.time.strip()
    if time:
        try:
            hour, minute = (int(x) for x in time.split(":"))
            ok = 0 <= hour < 24 and 0 <= minute < 60
        except ValueError:
            ok = False
        if not ok:
            errors.append(FieldError("time", "时间格式应为“时:分”，如 09:30", key="appointment_time"))
        else:
            time = f"{hour:02d}:{minute:02d}"
    if form.headcount < 1:
        errors.append(FieldError("headcount", "人数至少为1人", key="headcount_min"))
    with ctx.db.write() as session:
        require(session, actor_id, Permission.LEADER_WORK)
        if session.get(Case, form.case_id) is None:
            errors.append(FieldError(F_GENERAL, "未找到该信访事项", key="case_not_found"))
        if form.leader_id and session.get(Leader, form.leader_id) is None:
            errors.append(FieldError(F_LEADER, "接访领导不存在，请重新选择", key="leader_unknown"))
        if errors:
            raise FieldErrors(errors)
        row = LeaderAppointment(case_id=form.case_id, leader_id=form.leader_id or None, day=form.day, time=time,
                                place=form.place.strip(), headcount=form.headcount, note=form.note.strip(),
                                created_by=actor_id)
        session.add(row)
        session.flush()
        return row.id


def _clean_units(names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for raw in names:
        for part in raw.replace("，", "、").replace(",", "、").replace("；", "、").split("、"):
            name = " ".join(part.split())
            if name and name not in out:
                out.append(name)
    return out


def validate(session: Session, form: RecordInput, today: date) -> list[FieldError]:
    """Every problem of the form at once, each keyed by its field (``F_*``)."""
    errors: list[FieldError] = []
    if not form.leader_id:
        errors.append(FieldError(F_LEADER, "请选择接访领导", key="leader_required"))
    elif session.get(Leader, form.leader_id) is None:
        errors.append(FieldError(F_LEADER, "接访领导不存在，请重新选择", key="leader_unknown"))
    reply = form.reply.strip()
    if not reply:
        errors.append(FieldError(F_REPLY, "请记录领导的现场答复", key="reply_required"))
    elif len(reply) < 4:
        errors.append(FieldError(F_REPLY, "现场答复过于简略，请如实记录答复内容", key="reply_too_short"))
    elif len(reply) > REPLY_MAX:
        errors.append(FieldError(F_REPLY, f"现场答复过长（最多{REPLY_MAX}字）", key="reply_too_long"))
    if form.outcome is None:
        errors.append(FieldError(F_OUTCOME, "请选择处理结果", key="outcome_required"))
    elif assigns_unit(form.outcome, form.unit_id):
        if not form.unit_id:
            errors.append(FieldError(F_UNIT, "交办责任单位时请选择责任单位", key="unit_required"))
        elif session.get(Unit, form.unit_id) is None:
            errors.append(FieldError(F_UNIT, "责任单位不存在，请重新选择", key="unit_unknown"))
        if form.due_on is None:
            errors.append(FieldError(F_DUE, "交办责任单位时请确定办理期限", key="due_required"))
        elif form.due_on <= today:
            errors.append(FieldError(F_DUE, "办理期限应晚于今天", key="due_past"))
        elif form.due_on > today + timedelta(days=MAX_DUE_DAYS):
            errors.append(FieldError(F_DUE, f"办理期限不能超过法定办理期限（{MAX_DUE_DAYS}日）", key="due_too_late"))
    elif form.outcome is Outcome.LEGAL_CHANNEL and not form.legal_channel.strip():
        errors.append(FieldError(F_LEGAL_CHANNEL, "请写明应当通过的法定途径", key="legal_channel_required"))
    if len("、".join(_clean_units(form.units_present))) > 400:
        errors.append(FieldError(F_PRESENT, "到场单位过多（最多400字）", key="units_too_long"))
    if form.reaction is None:
        errors.append(FieldError(F_REACTION, "请选择信访人态度", key="reaction_required"))
    if len(form.follow_up.strip()) > REPLY_MAX:
        errors.append(FieldError(F_FOLLOW_UP, f"后续要求过长（最多{REPLY_MAX}字）", key="follow_up_too_long"))
    case = session.get(Case, form.case_id)
    if case is None:
        errors.append(FieldError(F_GENERAL, "未找到该信访事项", key="case_not_found"))
        return errors
    if form.visit_id:
        visit = session.get(Visit, form.visit_id)
        if visit is None or visit.case_id != case.id:
            errors.append(FieldError(F_GENERAL, "该来访记录不属于此信访事项", key="visit_mismatch"))
        elif session.scalar(select(LeaderReception.id).where(LeaderReception.visit_id == visit.id)):
            errors.append(FieldError(F_GENERAL, "该次来访已有接访记录，不能重复登记", key="already_received"))
    if form.appointment_id:
        appt = session.get(LeaderAppointment, form.appointment_id)
        if appt is None or appt.case_id != case.id:
            errors.append(FieldError(F_GENERAL, "该约访不属于此信访事项", key="appointment_mismatch"))
        elif session.scalar(select(LeaderReception.id).where(LeaderReception.appointment_id == appt.id)):
            errors.append(FieldError(F_GENERAL, "该约访已有接访记录，不能重复登记", key="already_received"))
    routes = form.outcome is Outcome.LEGAL_CHANNEL or assigns_unit(form.outcome, form.unit_id)
    if routes and case.status != CaseStatus.REGISTERED.value:
        errors.append(FieldError(
            F_OUTCOME if form.outcome is not Outcome.OWNED else F_UNIT,
            f"案件当前为“{CaseStatus.label_of(case.status)}”，不能再{form.outcome.label if form.outcome else ''}"
            + ("并交办责任单位（只包案时请不选责任单位）" if form.outcome is Outcome.OWNED else ""),
            key="outcome_state"))
    return errors


def record_reception(ctx: AppContext, form: RecordInput, *, actor_id: str | None) -> RecordResult:
    """Store a leader's reception and act on its outcome, all in one write transaction."""
    with ctx.db.write() as session:
        return record_in_session(session, form, actor_id=actor_id, now=ctx.now(), ctx=ctx)


def record_in_session(session: Session, form: RecordInput, *, actor_id: str | None, now: datetime,
                      ctx: AppContext) -> RecordResult:
    today = now.date()
    require(session, actor_id, Permission.LEADER_REPLY)
    errors = validate(session, form, today)
    if errors:
        raise FieldErrors(errors)
    assert form.outcome is not None and form.reaction is not None and form.leader_id
    case = session.get(Case, form.case_id)
    leader = session.get(Leader, form.leader_id)
    assert case is not None and leader is not None
    headcount = _headcount(session, form, case)
    outcome = form.outcome
    assigned = assigns_unit(outcome, form.unit_id)
    legal = outcome is Outcome.LEGAL_CHANNEL
    units_present = "、".join(_clean_units(form.units_present))
    record = LeaderReception(
        case_id=case.id, visit_id=form.visit_id or None, appointment_id=form.appointment_id or None,
        leader_id=leader.id, received_at=now, received_on=today, headcount=headcount, reply=form.reply.strip(),
        outcome=outcome.value, unit_id=form.unit_id if assigned else None, due_on=form.due_on if assigned else None,
        legal_channel=form.legal_channel.strip() if legal else "", units_present=units_present,
        reaction=form.reaction.value, follow_up=form.follow_up.strip(), recorded_by=actor_id,
    )
    session.add(record)
    session.flush()
    data: dict[str, Any] = {"reception_id": record.id, "leader_id": leader.id, "outcome": outcome.value,
                            "reaction": form.reaction.value}
    if assigned:
        assert form.due_on is not None
        data["due_on"] = form.due_on.isoformat()
    event = history.record(session, case.id, EventKind.LEADER_REPLY, at=now, on=today, actor_id=actor_id,
                           unit_id=record.unit_id, note=f"{leader.name}（{leader.title}）现场答复：{record.reply}",
                           data=data)
    session.flush()
    ownership_id: str | None = None
    if outcome in ANSWERED_ON_THE_SPOT and case.status == CaseStatus.REGISTERED.value:
        answer = ReplyOutcome.SUPPORT if outcome is Outcome.RESOLVED else ReplyOutcome.EXPLAIN
        try:
            lifecycle.apply_in_session(
                session, case.id, ReplyOnTheSpot(answer, record.reply, record.id, leader=leader.name,
                                                 note=f"{leader.name}（{leader.title}）{outcome.label}"),
                actor_id=actor_id, now=now, cal=ctx.calendar)
        except LifecycleError as exc:
            raise FieldErrors([FieldError(F_OUTCOME, exc.message, key=exc.key)]) from exc
    if assigned:
        assert form.unit_id is not None
        try:
            owned = "领导包案，" if outcome is Outcome.OWNED else ""
            note = f"领导接访{owned}交办，办理期限至{form.due_on:%Y-%m-%d}"
            lifecycle.apply_in_session(session, case.id, Route(form.unit_id, assign=True, note=note),
                                       actor_id=actor_id, now=now, cal=ctx.calendar)
        except LifecycleError as exc:
            raise FieldErrors([FieldError(F_OUTCOME, exc.message, key=exc.key)]) from exc
    if legal:
        _steer_to_legal_channel(session, case, record.legal_channel, now, actor_id, ctx)
    if outcome is Outcome.OWNED:
        ownership = session.scalar(select(CaseOwnership).where(
            CaseOwnership.case_id == case.id, CaseOwnership.leader_id == leader.id, CaseOwnership.ended_on.is_(None)))
        if ownership is None:
            ownership = CaseOwnership(case_id=case.id, leader_id=leader.id, since=today, reception_id=record.id,
                                      note=record.follow_up, created_by=actor_id)
            session.add(ownership)
            session.flush()
        ownership_id = ownership.id
    session.add(AuditEntry(user_id=actor_id, action="leader_reception", entity="case", entity_id=case.id,
                           detail=outcome.value))
    session.flush()
    unit_name = ""
    if record.unit_id:
        unit = session.get(Unit, record.unit_id)
        unit_name = unit.name if unit else ""
    return RecordResult(record.id, case.id, case.case_no, event.id, outcome, case.status,
                        CaseStatus.label_of(case.status), unit_name, record.due_on, ownership_id)


def _headcount(session: Session, form: RecordInput, case: Case) -> int:
    if form.visit_id:
        visit = session.get(Visit, form.visit_id)
        return visit.headcount if visit else 1
    if form.appointment_id:
        appt = session.get(LeaderAppointment, form.appointment_id)
        return appt.headcount if appt else 1
    last = session.scalar(select(Visit.headcount).where(Visit.case_id == case.id).order_by(Visit.visit_no.desc()))
    return int(last or 1)


def _steer_to_legal_channel(session: Session, case: Case, channel: str, now: datetime, actor_id: str | None,
                            ctx: AppContext) -> None:
    """诉访分离: the matter belongs to a legal channel; it leaves the petition procedure (and its clocks). A step of
    the lifecycle, taken on the leader's outcome (``record_in_session`` checked the permission)."""
    lifecycle.apply_in_session(session, case.id, SteerToLegalChannel(channel, {"by": "leader"}), actor_id=actor_id,
                               now=now + timedelta(microseconds=1), cal=ctx.calendar, follow_up=True)


def case_owner(ctx: AppContext, case_id: str) -> str | None:
    """The leader who owns (包案) the case now, by name; None when nobody does."""
    with ctx.db.read() as session:
        row = session.execute(
            select(Leader.name, Leader.title).join(CaseOwnership, CaseOwnership.leader_id == Leader.id)
            .where(CaseOwnership.case_id == case_id, CaseOwnership.ended_on.is_(None))
            .order_by(CaseOwnership.since.desc())
        ).first()
    return f"{row[0]}（{row[1]}）" if row else None


def reception_of(ctx: AppContext, reception_id: str) -> dict[str, Any]:
    """One reception record, JSON-ready (names resolved)."""
    with ctx.db.read() as session:
        r = session.get(LeaderReception, reception_id)
        if r is None:
            raise NotFoundError("未找到该接访记录", key="reception_not_found")
        leader = session.get(Leader, r.leader_id)
        unit = session.get(Unit, r.unit_id) if r.unit_id else None
        user = session.get(User, r.recorded_by) if r.recorded_by else None
        return {
            "id": r.id, "case_id": r.case_id, "leader_id": r.leader_id, "unit_id": r.unit_id,
            "visit_id": r.visit_id, "appointment_id": r.appointment_id,
            "leader": f"{leader.name}（{leader.title}）" if leader else "", "received_at": r.received_at.isoformat(),
            "received_on": r.received_on.isoformat(), "headcount": r.headcount, "reply": r.reply,
            "outcome": r.outcome, "outcome_label": Outcome.label_of(r.outcome), "unit": unit.name if unit else "",
            "due_on": r.due_on.isoformat() if r.due_on else None, "legal_channel": r.legal_channel,
            "units_present": r.units_present.split("、") if r.units_present else [],
            "reaction": r.reaction, "reaction_label": Reaction.label_of(r.reaction), "follow_up": r.follow_up,
            "recorded_by": user.display_name if user else "",
        }
