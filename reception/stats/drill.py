"""Drill-down (查看明细): the records behind a figure, as a list of cases with masked names.

``drill(ctx, key, period)`` lists the records the figure counts, one row per counted record, so the number of rows
equals the figure (for 人次 figures: one row per batch, the headcount in the detail; for rates: the denominator, each
row saying whether it counts in the numerator). The conditions are the aggregate's own (``queries``). A breakdown
row narrows the list with ``township_id``, ``category_id`` or ``unit_id`` ("-": cases without a unit).

Names are masked (surname + 某 + last character); no ID number or phone is ever part of a drill-down row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, literal, null, select
from sqlalchemy.orm import Session, aliased

from reception.context import AppContext
from reception.db.models import (
    BacklogCase,
    Case,
    CaseClock,
    CaseEvent,
    CaseOwnership,
    DownVisit,
    DownVisitCase,
    LeaderAppointment,
    LeaderReception,
    Petitioner,
    Supervision,
    Visit,
    VisitPerson,
)
from reception.domain.deadlines import get_clock
from reception.domain.enums import CaseStatus, Channel
from reception.domain.errors import ReceptionError
from reception.domain.masking import mask_name
from reception.intake import directory as dirsvc
from reception.leader.service import Outcome
from reception.lifecycle.machine import Rating
from reception.lifecycle.service import load_settings
from reception.merge.resolve import case_now_id
from reception.security.permissions import EVERYTHING, case_scope
from reception.stats import queries as q
from reception.stats.common import Timeliness, as_date, as_int, load_directory
from reception.stats.indicators import INDICATORS
from reception.stats.periods import Period

DRILL_LIMIT = 500


@dataclass(frozen=True, slots=True)
class DrillRow:
    case_id: str | None
    case_no: str
    on: date
    petitioner: str
    """Masked: surname + 某 + last character (and "等N人" is never added: one name is enough to find the case)."""
    category: str
    locality: str
    unit: str
    status_label: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["on"] = self.on.isoformat()
        return d


@dataclass(frozen=True, slots=True)
class DrillList:
    key: str
    title: str
    definition: str
    period: Period
    total: int
    rows: tuple[DrillRow, ...]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "definition": self.definition, "period": self.period.to_json(),
                "total": self.total, "rows": [r.to_json() for r in self.rows]}


DRILL_HEADERS = ("事项编号", "日期", "信访人", "问题类别", "问题属地", "责任单位", "状态", "说明")


class DrillError(ReceptionError):
    key = "drill_unknown"


# --- the records behind each figure: (case_id, on, a, b) ---------------------------------------------------------

AnySelect = Select[*tuple[Any, ...]]
Spec = Callable[[date, date], AnySelect]


def _visits(*where: Any) -> Spec:
    def spec(a: date, b: date) -> AnySelect:
        return select(Visit.case_id.label("case_id"), Visit.visited_on.label("on"), Visit.channel.label("a"),
                      Visit.headcount.label("b")).where(q.between(Visit.visited_on, a, b), *where)
    return spec


def _receptions(*where: Any) -> Spec:
    def spec(a: date, b: date) -> AnySelect:
        return select(LeaderReception.case_id.label("case_id"), LeaderReception.received_on.label("on"),
                      LeaderReception.outcome.label("a"), LeaderReception.headcount.label("b")
                      ).where(q.between(LeaderReception.received_on, a, b), *where)
    return spec


def _appointments(a: date, b: date) -> AnySelect:
    return select(LeaderAppointment.case_id.label("case_id"), LeaderAppointment.day.label("on"),
                  LeaderAppointment.time.label("a"), LeaderAppointment.headcount.label("b")
                  ).where(q.between(LeaderAppointment.day, a, b))


def _down_visits(a: date, b: date) -> AnySelect:
    return select(null().label("case_id"), DownVisit.day.label("on"), DownVisit.place.label("a"),
                  DownVisit.id.label("b")).where(q.between(DownVisit.day, a, b))


_Named = aliased(Case, name="named")
"""The case a row names, inside a list's subquery (the outer query joins ``Case`` for the filters)."""


# (distinct cases as the figures count them: a merged group once, listed as its surviving case)
def _down_visit_cases(a: date, b: date) -> AnySelect:
    now = case_now_id(_Named)
    return (select(now.label("case_id"), func.min(DownVisit.day).label("on"),
                   func.count().label("a"), literal(0).label("b")).select_from(DownVisitCase)
            .join(DownVisit, DownVisit.id == DownVisitCase.down_visit_id)
            .join(_Named, _Named.id == DownVisitCase.case_id)
            .where(q.between(DownVisit.day, a, b)).group_by(now))


def _owned(resolved: bool) -> Spec:
    def spec(a: date, b: date) -> AnySelect:
        cond = q.owned_resolved_condition(a, b) if resolved else q.owned_condition(a, b)
        now = case_now_id(_Named)
        return (select(now.label("case_id"), func.min(CaseOwnership.since).label("on"),
                       func.count().label("a"), func.max(CaseOwnership.ended_on).label("b"))
                .select_from(CaseOwnership).join(_Named, _Named.id == CaseOwnership.case_id)
                .where(cond).group_by(now))
    return spec


def _supervised(a: date, b: date) -> AnySelect:
    now = case_now_id(_Named)
    return (select(now.label("case_id"), func.min(Supervision.opened_on).label("on"),
                   func.count().label("a"), func.max(Supervision.reason).label("b")).select_from(Supervision)
            .join(_Named, _Named.id == Supervision.case_id)
            .where(q.between(Supervision.opened_on, a, b)).group_by(now))


def _events(kind: str, *where: Any) -> Spec:
    def spec(a: date, b: date) -> AnySelect:
        return select(CaseEvent.case_id.label("case_id"), CaseEvent.occurred_on.label("on"),
                      CaseEvent.data["rating"].as_string().label("a"), CaseEvent.note.label("b"),
                      CaseEvent.unit_id.label("unit_id")
                      ).where(CaseEvent.kind == kind, q.between(CaseEvent.occurred_on, a, b), *where)
    return spec


def _backlog(hard: bool) -> Spec:
    def spec(a: date, b: date) -> AnySelect:
        where: list[Any] = [q.between(BacklogCase.resolved_on, a, b)]
        if hard:
            where.append(BacklogCase.hard.is_(True))
        return select(BacklogCase.case_id.label("case_id"), BacklogCase.resolved_on.label("on"),
                      BacklogCase.hard.label("a"), BacklogCase.listed_on.label("b")).where(*where)
    return spec


def _new_cases(a: date, b: date) -> AnySelect:
    return select(Case.id.label("case_id"), Case.registered_on.label("on"), Case.routing_action.label("a"),
                  literal(0).label("b")).where(q.new_case_condition(a, b))


def _decisions(a: date, b: date) -> AnySelect:
    sub = q.decision_select(a, b).subquery()
    return select(sub.c.case_id.label("case_id"), sub.c.decided_on.label("on"), sub.c.kind.label("a"),
                  sub.c.routed_on.label("b"), sub.c.unit_id.label("unit_id"))


def _replies(a: date, b: date) -> AnySelect:
    sub = q.reply_select(a, b).subquery()
    return select(sub.c.case_id.label("case_id"), sub.c.replied_on.label("on"), sub.c.delivered_on.label("a"),
                  sub.c.accepted_on.label("b"), sub.c.simple.label("simple"), sub.c.extension.label("extension"),
                  sub.c.unit_id.label("unit_id"))


def _clocks(overdue: bool) -> Spec:
    def spec(a: date, b: date) -> AnySelect:
        cond = q.overdue_condition(b) if overdue else q.due_soon_condition(b)
        return select(CaseClock.case_id.label("case_id"), CaseClock.due_on.label("on"),
                      CaseClock.clock_key.label("a"), literal(1).label("b")).where(cond)
    return spec


SPECS: dict[str, Spec] = {
    "leader_batches": _receptions(),
    "leader_persons": _receptions(),
    "leader_on_spot": _receptions(LeaderReception.outcome.in_(q.ON_SPOT)),
    "appointments": _appointments,
    "down_visits": _down_visits,
    "down_visit_cases": _down_visit_cases,
    "owned_cases": _owned(False),
    "owned_resolved": _owned(True),
    "supervised": _supervised,
    "supervision_resolved": _events("supervision_resolved"),
    "backlog_resolved": _backlog(False),
    "backlog_hard_resolved": _backlog(True),
    "registrations": _visits(),
    "visits": _visits(Visit.channel.in_(q.WALK_IN)),
    "visit_persons": _visits(Visit.channel.in_(q.WALK_IN)),
    "collective": _visits(Visit.is_collective.is_(True)),
    "collective_persons": _visits(Visit.is_collective.is_(True)),
    "repeat": _visits(Visit.is_repeat.is_(True)),
    "skip_level": _visits(Visit.is_skip_level.is_(True)),
    "new_cases": _new_cases,
    "accept_decided": _decisions,
    "accept_timely": _decisions,
    "accept_rate": _decisions,
    "replied": _replies,
    "replied_on_time": _replies,
    "on_time_rate": _replies,
    "evaluated": _events("evaluated"),
    "satisfied": _events("evaluated", CaseEvent.data["rating"].as_string().in_(q.SATISFIED)),
    "satisfaction_rate": _events("evaluated"),
    "due_soon": _clocks(False),
    "overdue": _clocks(True),
}
PYTHON_FILTERED = {"accept_timely": "accept", "replied_on_time": "reply"}
"""Figures whose condition needs the working calendar: listed from the SQL rows, filtered by the deadline engine."""
FILTERABLE = frozenset(k for k in SPECS if k != "down_visits")


def drill(ctx: AppContext, key: str, period: Period, *, township_id: str | None = None,
          category_id: str | None = None, unit_id: str | None = None, limit: int = DRILL_LIMIT,
          actor_id: str | None = None) -> DrillList:
    """The records behind figure ``key`` in ``period`` (clock figures: as of the period's last day). ``actor_id``:
    only the records of cases that user may see (a unit's staff: their unit's; records without a case, such as a
    leader's down visit without cases, are then left out)."""
    with ctx.db.read() as session:
        return drill_in_session(session, ctx, key, period, township_id=township_id, category_id=category_id,
                                unit_id=unit_id, limit=limit, actor_id=actor_id)


def drill_filtered(ctx: AppContext, key: str, period: Period, filters: Mapping[str, str], *,
                   limit: int = DRILL_LIMIT, actor_id: str | None = None) -> DrillList:
    """``drill`` with a breakdown row's filter (``Table.row_filters``: township_id, category_id or unit_id)."""
    return drill(ctx, key, period, township_id=filters.get("township_id"), category_id=filters.get("category_id"),
                 unit_id=filters.get("unit_id"), limit=limit, actor_id=actor_id)


def drill_in_session(session: Session, ctx: AppContext, key: str, period: Period, *, township_id: str | None = None,
                     category_id: str | None = None, unit_id: str | None = None,
                     limit: int = DRILL_LIMIT, actor_id: str | None = None) -> DrillList:
    spec = SPECS.get(key)
    if spec is None:
        raise DrillError("该指标没有可列出的明细", key="drill_unknown")
    d = load_directory(session)
    sub = spec(period.start, period.end).subquery()
    stmt = select(sub)
    if "case_id" in sub.c:  # (a case whose import was undone counts in no figure, so in no list behind one)
        stmt = stmt.where(q.of_live_case(sub.c.case_id))
    filters: list[Any] = []
    if township_id:
        filters.append(Case.locality_id.in_(sorted(d.descendants.get(township_id, {township_id}))))
    if category_id:
        filters.append(Case.category_id.in_(sorted(d.descendants.get(category_id, {category_id}))))
    if unit_id:
        # the unit the step was taken by (decisions, replies, evaluations: as the ranking counts them), else the
        # case's current unit
        unit_col = sub.c.unit_id if "unit_id" in sub.c else Case.unit_id
        filters.append(unit_col.is_(None) if unit_id == "-" else unit_col == unit_id)
    scope = EVERYTHING if actor_id is None else case_scope(session, actor_id)
    if scope.restricted:
        stmt = stmt.join(Case, Case.id == sub.c.case_id).where(and_(scope.condition(), *filters))
    elif filters and key in FILTERABLE:
        stmt = stmt.join(Case, Case.id == sub.c.case_id).where(and_(*filters))
    ordered = stmt.order_by(sub.c.on, sub.c.case_id)
    timing = Timeliness(ctx.calendar, load_settings(session))
    mode = PYTHON_FILTERED.get(key)
    if mode is not None:
        found = [r for r in session.execute(ordered).all() if _timely(mode, r, timing)]
        total, page = len(found), found[:limit]
    else:
        total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        page = list(session.execute(ordered.limit(limit)).all())
    rows = _hydrate(session, key, page, timing)
    ind = INDICATORS[key]
    return DrillList(key, ind.name, ind.definition, period, total, tuple(rows))


def _timely(mode: str, r: Any, timing: Timeliness) -> bool:
    if mode == "accept":
        return timing.accept_on_time(as_date(r.b), as_date(r.on) or date.min)
    delivered = as_date(r.a) or as_date(r.on) or date.min
    return timing.reply_on_time(as_date(r.b), bool(as_int(r.simple)), as_int(r.extension), delivered)


# --- rows for the page ----------------------------------------------------------------------------------------------


def _hydrate(session: Session, key: str, page: Sequence[Any], timing: Timeliness) -> list[DrillRow]:
    case_ids = {r.case_id for r in page if r.case_id}
    down_cases: dict[str, list[str]] = {}
    if key == "down_visits":
        dv_ids = [r.b for r in page]
        for dv_id, cid in session.execute(select(DownVisitCase.down_visit_id, DownVisitCase.case_id)
                                          .where(DownVisitCase.down_visit_id.in_(dv_ids))):
            down_cases.setdefault(dv_id, []).append(cid)
            case_ids.add(cid)
    cases = {c.id: c for c in session.execute(
        select(Case.id, Case.case_no, Case.category_id, Case.locality_id, Case.unit_id, Case.status)
        .where(Case.id.in_(case_ids)))} if case_ids else {}
    names = _first_petitioners(session, case_ids)
    d = load_directory(session)
    labels = dirsvc.locality_labels(session, {c.locality_id for c in cases.values()}) if cases else {}
    out: list[DrillRow] = []
    for r in page:
        on = as_date(r.on) or date.min
        detail = _detail(key, r, timing)
        case_id = r.case_id
        if key == "down_visits":
            nos = [cases[c].case_no for c in down_cases.get(r.b, []) if c in cases]
            detail = f"{r.a}" + (f"；带案：{'、'.join(sorted(nos))}" if nos else "；未带案")
            case_id = down_cases.get(r.b, [None])[0]
        c = cases.get(case_id or "")
        if c is None:
            out.append(DrillRow(None, "", on, "", "", "", "", "", detail))
            continue
        out.append(DrillRow(c.id, c.case_no, on, names.get(c.id, ""), d.category_names.get(c.category_id, ""),
                            labels.get(c.locality_id, ""), d.unit_name(c.unit_id),
                            CaseStatus.label_of(c.status), detail))
    return out


def _first_petitioners(session: Session, case_ids: set[str]) -> dict[str, str]:
    """The first person of each case's first visit, masked."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Visit.case_id, Petitioner.name)
        .join(VisitPerson, VisitPerson.visit_id == Visit.id)
        .join(Petitioner, Petitioner.id == VisitPerson.petitioner_id)
        .where(Visit.case_id.in_(case_ids), Visit.visit_no == 1)
        .order_by(Visit.case_id, VisitPerson.position)
    ).all()
    out: dict[str, str] = {}
    for case_id, name in rows:
        out.setdefault(case_id, mask_name(name))
    return out


def _detail(key: str, r: Any, timing: Timeliness) -> str:
    if key.startswith("leader_"):
        return f"{Outcome.label_of(r.a)}，{r.b}人"
    if key == "appointments":
        return f"约访{(' ' + r.a) if r.a else ''}，{r.b}人"
    if key == "down_visit_cases":
        return f"带案下访{r.a}次"
    if key in ("owned_cases", "owned_resolved"):
        ended = as_date(r.b)
        return f"{r.a}位领导包案" + (f"，{ended:%Y-%m-%d}结束" if ended else "")
    if key == "supervised":
        from reception.lifecycle.machine import SupervisionReason

        return f"督办{r.a}次（{SupervisionReason.label_of(r.b)}）"
    if key == "supervision_resolved":
        return "督办反馈办结"
    if key.startswith("backlog"):
        return ("骨头案，" if r.a else "") + f"{as_date(r.b):%Y-%m-%d}列为积案"
    if key in ("registrations", "visits", "visit_persons", "collective", "collective_persons", "repeat",
               "skip_level"):
        return f"{Channel.label_of(r.a)}，{r.b}人"
    if key == "new_cases":
        from reception.domain.enums import RoutingAction

        return RoutingAction.label_of(r.a)
    if key.startswith("accept"):
        routed = as_date(r.b)
        on = as_date(r.on) or date.min
        verdict = "按期" if timing.accept_on_time(routed, on) else "逾期"
        what = "受理" if r.a == "accepted" else "不予受理"
        due = f"，期限{timing.accept_due(routed):%Y-%m-%d}" if routed else ""
        return f"{what}，{verdict}{due}"
    if key in ("replied", "replied_on_time", "on_time_rate"):
        accepted = as_date(r.b)
        delivered = as_date(r.a) or as_date(r.on) or date.min
        simple, ext = bool(as_int(r.simple)), as_int(r.extension)
        verdict = "按期" if timing.reply_on_time(accepted, simple, ext, delivered) else "逾期"
        due = f"，期限{timing.handling_due(accepted, simple, ext):%Y-%m-%d}" if accepted else ""
        return f"{delivered:%Y-%m-%d}送达，{verdict}{due}" + (f"（延期{ext}日）" if ext else "")
    if key in ("evaluated", "satisfied", "satisfaction_rate"):
        return Rating.label_of(r.a or "")
    if key in ("due_soon", "overdue"):
        return f"{get_clock(r.a).label}，{as_date(r.on):%Y-%m-%d}到期" + (f"（共{r.b}项时限）" if int(r.b) > 1 else "")
    return ""

