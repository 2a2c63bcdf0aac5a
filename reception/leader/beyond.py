"""Leaders' work beyond the desk (docs/domain.md §2 step 10): appointments (约访), down-visits with their cases
(带案下访), backlog cases (积案, "bone" cases 骨头案) and their resolution,
and the end of a leader's case ownership (包案).

Every writer validates the whole form first and raises ``FieldErrors`` keyed by the ``F_*`` field keys (stable
English names the UI maps to its inputs), so the UI puts each message under its field; cases are named by their
case numbers, as staff type them.
Readers return dataclasses (never ORM objects); petitioners' names do not appear here at all: these lists are
about cases and leaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import (
    AuditEntry,
    BacklogCase,
    Case,
    CaseOwnership,
    DownVisit,
    DownVisitCase,
    Leader,
    LeaderAppointment,
    Locality,
)
from reception.domain.enums import CaseStatus
from reception.domain.errors import FieldError, FieldErrors, NotFoundError
from reception.leader.service import AppointmentInput, schedule_appointment
from reception.lifecycle import history
from reception.lifecycle.machine import EventKind
from reception.lifecycle.ownership import close_ownership, end_ownerships_in_session
from reception.merge.resolve import names_no_void_case, not_void
from reception.security.permissions import EVERYTHING, CaseScope, Permission, case_scope, require

# The lists and counts below leave out the records of an 已撤销 case (an import undone: no petition matter, as in
# the statistics and their drill-downs). Only that half of ``merge.resolve.counted_case``, on purpose: a record made
# on a case later merged away (an appointment, a case taken along, a backlog listing, an ownership) is still a
# record of the matter, listed by the number it was made under (which opens the surviving case).

F_CASES = "cases"
F_CASE_NO = "case_no"
F_LEADER = "leader"
F_DAY = "day"
F_PLACE = "place"
F_PURPOSE = "purpose"
F_RESULT = "result"
F_HOUSEHOLDS = "households"
F_REASON = "reason"
F_RESOLUTION = "resolution"
F_RESOLVED_ON = "resolved_on"
F_TIME = "time"
F_HEADCOUNT = "headcount"
F_NOTE = "note"
F_GENERAL = ""

MAX_CASES_PER_VISIT = 50
TEXT_MAX = 4000


def _require_leader_work(ctx: AppContext, actor_id: str | None) -> None:
    """The leaders' work beyond the desk is recorded by the centre's staff and leaders, not by handling units."""
    with ctx.db.read() as session:
        require(session, actor_id, Permission.LEADER_WORK)


def _split_case_nos(text: str) -> list[str]:
    out: list[str] = []
    for raw in text.replace("，", " ").replace(",", " ").replace("、", " ").replace("；", " ").split():
        no = raw.strip().upper()
        if no and no not in out:
            out.append(no)
    return out


def _case_ids(session: Session, case_nos: list[str], field: str) -> tuple[dict[str, str], list[FieldError]]:
    found = {no: cid for no, cid in session.execute(select(Case.case_no, Case.id).where(Case.case_no.in_(case_nos)))}
    missing = [n for n in case_nos if n not in found]
    errors = [FieldError(field, "未找到案件编号：" + "、".join(missing), key="case_not_found")] if missing else []
    return found, errors


def _leader_error(session: Session, leader_id: str | None, field: str, *, required: bool = True) -> list[FieldError]:
    if not leader_id:
        return [FieldError(field, "请选择领导", key="leader_required")] if required else []
    if session.get(Leader, leader_id) is None:
        return [FieldError(field, "领导不存在，请重新选择", key="leader_unknown")]
    return []


def _scope(session: Session, actor_id: str | None) -> CaseScope:
    """The cases ``actor_id`` may see (``reception.security.permissions.CaseScope``; the system: every case)."""
    return EVERYTHING if actor_id is None else case_scope(session, actor_id)


def _leader_names(session: Session) -> dict[str, str]:
    return {i: f"{n}（{t}）" for i, n, t in session.execute(select(Leader.id, Leader.name, Leader.title))}


# --- 约访 -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    id: str
    case_id: str
    case_no: str
    day: date
    time: str
    leader: str
    place: str
    headcount: int
    note: str
    status_label: str


def schedule_by_case_no(ctx: AppContext, case_no: str, form: AppointmentInput, *, actor_id: str | None) -> str:
    """约访 from the UI: the case named by its number (``form.case_id`` is ignored), not in the past."""
    _require_leader_work(ctx, actor_id)
    errors: list[FieldError] = []
    today = ctx.now().date()
    with ctx.db.read() as session:
        nos = _split_case_nos(case_no)
        if len(nos) != 1:
            errors.append(FieldError(F_CASE_NO, "请填写一个案件编号", key="case_no_required"))
            case_id = ""
        else:
            found, missing = _case_ids(session, nos, F_CASE_NO)
            errors += missing
            case_id = found.get(nos[0], "")
        errors += _leader_error(session, form.leader_id, F_LEADER)
    if form.day < today:
        errors.append(FieldError(F_DAY, "约访日期不能早于今天", key="appointment_past"))
    if errors:
        raise FieldErrors(errors)
    from dataclasses import replace

    return schedule_appointment(ctx, replace(form, case_id=case_id), actor_id=actor_id)


def appointments(ctx: AppContext, start: date, end: date, *, actor_id: str | None = None) -> list[AppointmentRow]:
    """The appointments from ``start`` to ``end`` (inclusive), in time order; ``actor_id``: of the cases that user
    may see."""
    with ctx.db.read() as session:
        leaders = _leader_names(session)
        rows = session.execute(
            select(LeaderAppointment, Case.case_no, Case.status).join(Case, Case.id == LeaderAppointment.case_id)
            .where(LeaderAppointment.day >= start, LeaderAppointment.day <= end, _scope(session, actor_id).condition(),
                   not_void(Case))
            .order_by(LeaderAppointment.day, LeaderAppointment.time, Case.case_no)
        ).all()
        return [AppointmentRow(a.id, a.case_id, no, a.day, a.time, leaders.get(a.leader_id or "", ""), a.place,
                               a.headcount, a.note, CaseStatus.label_of(status)) for a, no, status in rows]


# --- 下访 -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DownVisitInput:
    leader_id: str | None
    day: date
    place: str
    case_nos: str = ""
    """The cases taken along, by case number (separated by spaces, commas or 、)."""
    purpose: str = ""
    result: str = ""
    households: int = 0
    locality_id: str | None = None


@dataclass(frozen=True, slots=True)
class DownVisitCaseRow:
    case_id: str
    case_no: str
    status_label: str
    note: str


@dataclass(frozen=True, slots=True)
class DownVisitRow:
    id: str
    day: date
    leader: str
    place: str
    locality: str
    purpose: str
    result: str
    households: int
    cases: tuple[DownVisitCaseRow, ...]

    @property
    def case_nos(self) -> str:
        return "、".join(c.case_no for c in self.cases)


def create_down_visit(ctx: AppContext, form: DownVisitInput, *, actor_id: str | None) -> str:
    """下访: a leader's visit to a township, village or unit on a day, with the cases taken along. Each case gets a
    ``down_visit`` event, so its history shows the leader went down about it."""
    _require_leader_work(ctx, actor_id)
    today = ctx.now().date()
    errors: list[FieldError] = []
    place = " ".join(form.place.split())
    if not place:
        errors.append(FieldError(F_PLACE, "请填写下访地点", key="place_required"))
    elif len(place) > 100:
        errors.append(FieldError(F_PLACE, "下访地点过长（最多100字）", key="place_too_long"))
    if form.day > today + timedelta(days=366):
        errors.append(FieldError(F_DAY, "下访日期过远，请核对", key="day_far"))
    elif form.day < today - timedelta(days=366):
        errors.append(FieldError(F_DAY, "下访日期早于一年前，请核对", key="day_old"))
    if form.households < 0:
        errors.append(FieldError(F_HOUSEHOLDS, "走访户数不能为负数", key="households_negative"))
    for text, field in ((form.purpose, F_PURPOSE), (form.result, F_RESULT)):
        if len(text.strip()) > TEXT_MAX:
            errors.append(FieldError(field, f"内容过长（最多{TEXT_MAX}字）", key="too_long"))
    if form.result.strip() and form.day > today:
        errors.append(FieldError(F_RESULT, "尚未下访，不能填写下访成效", key="result_future"))
    nos = _split_case_nos(form.case_nos)
    if len(nos) > MAX_CASES_PER_VISIT:
        errors.append(FieldError(F_CASES, f"一次下访最多带案{MAX_CASES_PER_VISIT}件", key="too_many_cases"))
    now = ctx.now()
    with ctx.db.write() as session:
        errors += _leader_error(session, form.leader_id, F_LEADER)
        found, missing = _case_ids(session, nos, F_CASES)
        errors += missing
        later = [no for no, reg in session.execute(select(Case.case_no, Case.registered_on).where(
            Case.id.in_(list(found.values())))) if reg > form.day]
        if later:
            errors.append(FieldError(F_CASES, "下访时尚未登记的案件：" + "、".join(sorted(later)),
                                     key="case_after_visit"))
        if form.locality_id and session.get(Locality, form.locality_id) is None:
            errors.append(FieldError(F_PLACE, "所选属地不存在", key="locality_unknown"))
        if not form.purpose.strip() and not nos:
            errors.append(FieldError(F_PURPOSE, "请填写下访事由或所带案件", key="purpose_required"))
        if errors:
            raise FieldErrors(errors)
        assert form.leader_id
        visit = DownVisit(leader_id=form.leader_id, day=form.day, place=place, locality_id=form.locality_id or None,
                          purpose=form.purpose.strip(), result=form.result.strip(), households=form.households,
                          created_by=actor_id)
        session.add(visit)
        session.flush()
        leader = session.get(Leader, form.leader_id)
        assert leader is not None
        for no in nos:
            session.add(DownVisitCase(down_visit_id=visit.id, case_id=found[no], note=""))
            history.record(session, found[no], EventKind.DOWN_VISIT, at=now, on=today, actor_id=actor_id,
                           note=f"{leader.name}（{leader.title}）{form.day:%Y-%m-%d}带案下访：{place}",
                           data={"down_visit_id": visit.id, "day": form.day.isoformat()})
        session.add(AuditEntry(user_id=actor_id, action="down_visit", entity="down_visit", entity_id=visit.id,
                               detail=f"cases:{len(nos)}"))
        session.flush()
        return visit.id


def down_visits(ctx: AppContext, start: date, end: date, *, leader_id: str | None = None,
                actor_id: str | None = None) -> list[DownVisitRow]:
    """Down-visits from ``start`` to ``end`` (inclusive), newest first, each with its cases (one query each);
    ``actor_id``: only the cases that user may see, and for a unit's staff only the visits that took one along."""
    with ctx.db.read() as session:
        scope = _scope(session, actor_id)
        leaders = _leader_names(session)
        q = select(DownVisit, Locality.name).outerjoin(Locality, Locality.id == DownVisit.locality_id).where(
            DownVisit.day >= start, DownVisit.day <= end)
        if leader_id:
            q = q.where(DownVisit.leader_id == leader_id)
        visits = session.execute(q.order_by(DownVisit.day.desc(), DownVisit.created_at.desc())).all()
        ids = [v.id for v, _ in visits]
        cases: dict[str, list[DownVisitCaseRow]] = {i: [] for i in ids}
        if ids:
            for link, no, status in session.execute(
                select(DownVisitCase, Case.case_no, Case.status).join(Case, Case.id == DownVisitCase.case_id)
                .where(DownVisitCase.down_visit_id.in_(ids), scope.condition(), not_void(Case))
                .order_by(Case.case_no)
            ):
                cases[link.down_visit_id].append(DownVisitCaseRow(link.case_id, no, CaseStatus.label_of(status),
                                                                  link.note))
        return [DownVisitRow(v.id, v.day, leaders.get(v.leader_id, ""), v.place, loc or "", v.purpose, v.result,
                             v.households, tuple(cases[v.id])) for v, loc in visits
                if cases[v.id] or not scope.restricted]


# --- 积案 and 包案 ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BacklogInput:
    case_no: str
    reason: str
    hard: bool = False
    """骨头案: a hard, long-standing case."""
    leader_id: str | None = None


@dataclass(frozen=True, slots=True)
class BacklogRow:
    id: str
    case_id: str
    case_no: str
    listed_on: date
    reason: str
    hard: bool
    leader: str
    resolved_on: date | None
    resolution: str
    status_label: str
    registered_on: date

    @property
    def resolved(self) -> bool:
        return self.resolved_on is not None

    def age_days(self, on: date) -> int:
        """How long the matter has been going: from its registration to ``on`` (or its resolution)."""
        return ((self.resolved_on or on) - self.registered_on).days


@dataclass(frozen=True, slots=True)
class BacklogCounts:
    listed: int
    resolved: int
    hard_resolved: int
    open: int


def list_backlog_case(ctx: AppContext, form: BacklogInput, *, actor_id: str | None) -> str:
    """列为积案: a long-standing case put on the backlog list, optionally as a 骨头案 and with the leader in charge
    (by default the leader who owns the case, if one does)."""
    _require_leader_work(ctx, actor_id)
    today = ctx.now().date()
    errors: list[FieldError] = []
    reason = form.reason.strip()
    if not reason:
        errors.append(FieldError(F_REASON, "请写明列为积案的原因", key="reason_required"))
    elif len(reason) > TEXT_MAX:
        errors.append(FieldError(F_REASON, f"内容过长（最多{TEXT_MAX}字）", key="too_long"))
    nos = _split_case_nos(form.case_no)
    with ctx.db.write() as session:
        case_id = ""
        if len(nos) != 1:
            errors.append(FieldError(F_CASE_NO, "请填写一个案件编号", key="case_no_required"))
        else:
            found, missing = _case_ids(session, nos, F_CASE_NO)
            errors += missing
            case_id = found.get(nos[0], "")
        errors += _leader_error(session, form.leader_id, F_LEADER, required=False)
        if case_id and session.scalar(select(BacklogCase.id).where(BacklogCase.case_id == case_id)):
            errors.append(FieldError(F_CASE_NO, "该案件已列入积案", key="already_listed"))
        if errors:
            raise FieldErrors(errors)
        leader_id = form.leader_id or session.scalar(
            select(CaseOwnership.leader_id).where(CaseOwnership.case_id == case_id, CaseOwnership.ended_on.is_(None))
            .order_by(CaseOwnership.since.desc()))
        row = BacklogCase(case_id=case_id, listed_on=today, reason=reason, hard=form.hard, leader_id=leader_id,
                          resolution="", created_by=actor_id)
        session.add(row)
        session.flush()
        history.record(session, case_id, EventKind.BACKLOG_LISTED, at=ctx.now(), on=today, actor_id=actor_id,
                       note=("骨头案：" if form.hard else "") + reason,
                       data={"backlog_id": row.id, "hard": 1 if form.hard else 0})
        session.flush()
        return row.id


def resolve_backlog_case(ctx: AppContext, backlog_id: str, resolution: str, resolved_on: date, *,
                         actor_id: str | None) -> BacklogRow:
    """积案化解: record how and when the backlog case was resolved; the leader's case ownership (包案) of the case
    ends on that day, since the matter it was taken for is settled."""
    _require_leader_work(ctx, actor_id)
    today = ctx.now().date()
    with ctx.db.write() as session:
        row = session.get(BacklogCase, backlog_id)
        if row is None:
            raise NotFoundError("未找到该积案", key="backlog_not_found")
        errors: list[FieldError] = []
        text = resolution.strip()
        if row.resolved_on is not None:
            errors.append(FieldError(F_GENERAL, f"该积案已于{row.resolved_on:%Y-%m-%d}化解", key="already_resolved"))
        if not text:
            errors.append(FieldError(F_RESOLUTION, "请写明化解情况", key="resolution_required"))
        elif len(text) > TEXT_MAX:
            errors.append(FieldError(F_RESOLUTION, f"内容过长（最多{TEXT_MAX}字）", key="too_long"))
        if resolved_on > today:
            errors.append(FieldError(F_RESOLVED_ON, "化解日期不能晚于今天", key="resolved_future"))
        elif resolved_on < row.listed_on:
            errors.append(FieldError(F_RESOLVED_ON, "化解日期不能早于列为积案的日期", key="resolved_before_listed"))
        if errors:
            raise FieldErrors(errors)
        row.resolved_on, row.resolution = resolved_on, text
        history.record(session, row.case_id, EventKind.BACKLOG_RESOLVED, at=ctx.now(), on=today, actor_id=actor_id,
                       note=text, data={"backlog_id": row.id, "resolved_on": resolved_on.isoformat()})
        end_ownerships_in_session(session, row.case_id, resolved_on, "积案化解", actor_id=actor_id, now=ctx.now())
        session.flush()
        return _backlog_rows(session, [row.id])[0]


def _backlog_rows(session: Session, ids: list[str] | None = None, *, include_resolved: bool = True,
                  hard_only: bool = False, scope: CaseScope = EVERYTHING) -> list[BacklogRow]:
    """The backlog list (``ids``: those rows, whatever their case, for the caller that just wrote one)."""
    leaders = _leader_names(session)
    q = (select(BacklogCase, Case.case_no, Case.status, Case.registered_on).join(Case, Case.id == BacklogCase.case_id)
         .where(scope.condition()))
    q = q.where(BacklogCase.id.in_(ids)) if ids is not None else q.where(not_void(Case))
    if not include_resolved:
        q = q.where(BacklogCase.resolved_on.is_(None))
    if hard_only:
        q = q.where(BacklogCase.hard.is_(True))
    rows = session.execute(q.order_by(BacklogCase.resolved_on.is_not(None), BacklogCase.hard.desc(),
                                      BacklogCase.listed_on, Case.case_no)).all()
    return [BacklogRow(b.id, b.case_id, no, b.listed_on, b.reason, b.hard, leaders.get(b.leader_id or "", ""),
                       b.resolved_on, b.resolution, CaseStatus.label_of(status), registered)
            for b, no, status, registered in rows]


def backlog(ctx: AppContext, *, include_resolved: bool = True, hard_only: bool = False,
            actor_id: str | None = None) -> list[BacklogRow]:
    """积案 list: open ones first (骨头案 first among them), then the resolved ones; ``actor_id``: of the cases that
    user may see."""
    with ctx.db.read() as session:
        return _backlog_rows(session, include_resolved=include_resolved, hard_only=hard_only,
                             scope=_scope(session, actor_id))


def backlog_counts(ctx: AppContext, start: date, end: date) -> BacklogCounts:
    """For the period: cases listed, resolved (and how many of them were 骨头案), and still open at its end."""
    with ctx.db.read() as session:
        live = names_no_void_case(BacklogCase.case_id)
        listed = session.scalar(select(func.count()).select_from(BacklogCase).where(
            BacklogCase.listed_on >= start, BacklogCase.listed_on <= end, live)) or 0
        resolved = session.execute(
            select(BacklogCase.hard, func.count()).where(BacklogCase.resolved_on >= start,
                                                         BacklogCase.resolved_on <= end, live)
            .group_by(BacklogCase.hard)
        ).all()
        still_open = session.scalar(select(func.count()).select_from(BacklogCase).where(
            BacklogCase.listed_on <= end,
            (BacklogCase.resolved_on.is_(None)) | (BacklogCase.resolved_on > end), live)) or 0
    done = {bool(h): int(n) for h, n in resolved}
    return BacklogCounts(int(listed), sum(done.values()), done.get(True, 0), int(still_open))


@dataclass(frozen=True, slots=True)
class OwnershipRow:
    id: str
    case_id: str
    case_no: str
    leader: str
    since: date
    ended_on: date | None
    status_label: str
    note: str


def ownerships(ctx: AppContext, *, open_only: bool = True, actor_id: str | None = None) -> list[OwnershipRow]:
    """包案: which leader owns which case, since when (and until when); ``actor_id``: of the cases that user may
    see."""
    with ctx.db.read() as session:
        leaders = _leader_names(session)
        q = (select(CaseOwnership, Case.case_no, Case.status).join(Case, Case.id == CaseOwnership.case_id)
             .where(_scope(session, actor_id).condition(), not_void(Case)))
        if open_only:
            q = q.where(CaseOwnership.ended_on.is_(None))
        rows = session.execute(q.order_by(CaseOwnership.since, Case.case_no)).all()
        return [OwnershipRow(o.id, o.case_id, no, leaders.get(o.leader_id, ""), o.since, o.ended_on,
                             CaseStatus.label_of(status), o.note) for o, no, status in rows]


def end_ownership(ctx: AppContext, ownership_id: str, ended_on: date, note: str, *, actor_id: str | None) -> None:
    """结束包案: the leader's ownership of the case ends (the case is resolved, or another leader takes it)."""
    _require_leader_work(ctx, actor_id)
    today = ctx.now().date()
    with ctx.db.write() as session:
        own = session.get(CaseOwnership, ownership_id)
        if own is None:
            raise NotFoundError("未找到该包案记录", key="ownership_not_found")
        errors: list[FieldError] = []
        if own.ended_on is not None:
            errors.append(FieldError(F_GENERAL, f"该包案已于{own.ended_on:%Y-%m-%d}结束", key="ownership_ended"))
        if ended_on > today:
            errors.append(FieldError(F_DAY, "结束日期不能晚于今天", key="ended_future"))
        elif ended_on < own.since:
            errors.append(FieldError(F_DAY, "结束日期不能早于包案日期", key="ended_before_since"))
        if not note.strip():
            errors.append(FieldError(F_NOTE, "请写明结束包案的原因（如已化解、已办结）", key="note_required"))
        if errors:
            raise FieldErrors(errors)
        close_ownership(session, own, ended_on, note.strip(), actor_id, ctx.now())

