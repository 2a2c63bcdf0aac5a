"""The SQL behind the figures: grouped aggregates over indexed day ranges (never a loop over rows in Python).

Each function takes a session and the period's first and last day and returns grouped rows; ``report``,
``dashboard`` and ``ranking`` fold the groups into figures. The drill-down (``drill``) lists the records behind a
figure with the same conditions, written beside the aggregate so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

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
    Supervision,
    Visit,
)
from reception.domain.enums import Channel
from reception.leader.service import ANSWERED_ON_THE_SPOT
from reception.merge.resolve import case_now_id, counted_case, names_no_void_case, not_void

ROUTING_KINDS = ("assigned", "forwarded")
DECISION_KINDS = ("accepted", "not_accepted")
RESOLVED_KINDS = ("closed", "recheck_decided", "final")
"""Events that end a case's petition procedure (销号, 复核意见 = 终结)."""
WALK_IN = (Channel.VISIT.value, Channel.LEADER_DAY.value)
ON_SPOT = tuple(sorted(o.value for o in ANSWERED_ON_THE_SPOT))
SATISFIED = ("satisfied", "basically")


def between(col: Any, start: date, end: date) -> ColumnElement[bool]:
    return and_(col >= start, col <= end)


def of_live_case(case_id: ColumnElement[Any] | Any) -> ColumnElement[bool]:
    """The record's case (``case_id``: a visit's, an event's) is no 已撤销 one: its figures go with the case. Only
    that half of ``merge.resolve.counted_case`` on purpose: a merged-away case's visits and steps still count as
    visits and steps (``merge.resolve.names_no_void_case``)."""
    return names_no_void_case(case_id)


# --- visits -------------------------------------------------------------------------------------------------------


def visit_groups(session: Session, start: date, end: date) -> Sequence[Any]:
    """(channel, collective, repeat, skip, visits, persons) over the visits registered in the period."""
    return session.execute(
        select(Visit.channel, Visit.is_collective, Visit.is_repeat, Visit.is_skip_level, func.count(),
               func.coalesce(func.sum(Visit.headcount), 0))
        .where(between(Visit.visited_on, start, end), of_live_case(Visit.case_id))
        .group_by(Visit.channel, Visit.is_collective, Visit.is_repeat, Visit.is_skip_level)
    ).all()


def fold_visits(rows: Sequence[Any]) -> dict[str, int]:
    out = dict.fromkeys(("registrations", "visits", "visit_persons", "collective", "collective_persons", "repeat",
                         "skip_level"), 0)
    for channel, collective, repeat, skip, n, heads in rows:
        n, heads = int(n), int(heads)
        out["registrations"] += n
        if channel in WALK_IN:
            out["visits"] += n
            out["visit_persons"] += heads
        if collective:
            out["collective"] += n
            out["collective_persons"] += heads
        if repeat:
            out["repeat"] += n
        if skip:
            out["skip_level"] += n
    return out


def visits_by_day(session: Session, start: date, end: date) -> Sequence[Any]:
    """(day, registrations, walk-in visits, walk-in persons) per day: the trend, folded into months by the caller."""
    walk = Visit.channel.in_(WALK_IN)
    return session.execute(
        select(Visit.visited_on, func.count(), func.sum(case((walk, 1), else_=0)),
               func.sum(case((walk, Visit.headcount), else_=0)))
        .where(between(Visit.visited_on, start, end), of_live_case(Visit.case_id)).group_by(Visit.visited_on)
    ).all()


def visit_unit_groups(session: Session, start: date, end: date, *, by_day: bool = False) -> Sequence[Any]:
    """([day,] unit, visits, repeat visits) over the visits registered in the period, by the unit of the case each
    visit's case now is: a merged-away case's visits count under the surviving case's unit, as the case does
    (``case_now_id``: to the end of a chain of merges). No visit of an 已撤销 case."""
    now = aliased(Case, name="now_case")
    keys: list[Any] = ([Visit.visited_on] if by_day else []) + [now.unit_id]
    return session.execute(
        select(*keys, func.count(), func.coalesce(func.sum(case((Visit.is_repeat.is_(True), 1), else_=0)), 0))
        .select_from(Visit).join(Case, Case.id == Visit.case_id).join(now, now.id == case_now_id(Case))
        .where(between(Visit.visited_on, start, end), not_void(Case)).group_by(*keys)
    ).all()


def new_case_condition(start: date, end: date) -> ColumnElement[bool]:
    """Cases first registered in the period, each counted once (``merge.resolve.counted_case``): a case merged
    away is counted as the case it was merged into (its visits still count as visits); no 已撤销 case."""
    return and_(between(Case.registered_on, start, end), counted_case(Case))


def cases_by_day(session: Session, start: date, end: date) -> Sequence[Any]:
    return session.execute(
        select(Case.registered_on, func.count()).where(new_case_condition(start, end))
        .group_by(Case.registered_on)
    ).all()


def case_groups(session: Session, start: date, end: date) -> Sequence[Any]:
    """(locality, category, unit, cases) over the cases first registered in the period: the breakdowns."""
    return session.execute(
        select(Case.locality_id, Case.category_id, Case.unit_id, func.count())
        .where(new_case_condition(start, end))
        .group_by(Case.locality_id, Case.category_id, Case.unit_id)
    ).all()


def new_cases(session: Session, start: date, end: date) -> int:
    return int(session.scalar(select(func.count()).select_from(Case).where(new_case_condition(start, end)))
               or 0)


# --- leaders ------------------------------------------------------------------------------------------------------


def reception_groups(session: Session, start: date, end: date) -> Sequence[Any]:
    """(outcome, batches, persons) of the leaders' receptions in the period (none of an 已撤销 case; one of a case
    merged away since still happened)."""
    return session.execute(
        select(LeaderReception.outcome, func.count(), func.coalesce(func.sum(LeaderReception.headcount), 0))
        .where(between(LeaderReception.received_on, start, end), of_live_case(LeaderReception.case_id))
        .group_by(LeaderReception.outcome)
    ).all()


def fold_receptions(rows: Sequence[Any]) -> dict[str, int]:
    out = {"leader_batches": 0, "leader_persons": 0, "leader_on_spot": 0}
    for outcome, n, heads in rows:
        out["leader_batches"] += int(n)
        out["leader_persons"] += int(heads)
        if outcome in ON_SPOT:
            out["leader_on_spot"] += int(n)
    return out


def count_appointments(session: Session, start: date, end: date) -> int:
    """约访 in the period, none of an 已撤销 case (as the drill-down lists them); an appointment made on a case
    later merged away still happened and counts."""
    return int(session.scalar(select(func.count()).select_from(LeaderAppointment)
                              .where(between(LeaderAppointment.day, start, end),
                                     of_live_case(LeaderAppointment.case_id))) or 0)


def count_down_visits(session: Session, start: date, end: date) -> tuple[int, int]:
    """Down-visits in the period (each, whatever became of the cases taken along: the leader went), and the
    distinct cases taken along: a merged group once (``case_now_id``), no 已撤销 case."""
    visits = session.scalar(select(func.count()).select_from(DownVisit).where(between(DownVisit.day, start, end)))
    cases = session.scalar(
        select(func.count(func.distinct(case_now_id(Case)))).select_from(DownVisitCase)
        .join(DownVisit, DownVisit.id == DownVisitCase.down_visit_id).join(Case, Case.id == DownVisitCase.case_id)
        .where(between(DownVisit.day, start, end), not_void(Case))
    )
    return int(visits or 0), int(cases or 0)


def owned_condition(start: date, end: date) -> ColumnElement[bool]:
    """包案 in force during the period."""
    return and_(CaseOwnership.since <= end,
                or_(CaseOwnership.ended_on.is_(None), CaseOwnership.ended_on >= start))


def owned_resolved_condition(start: date, end: date) -> ColumnElement[bool]:
    """An owned case resolved in the period: the ownership ended, or the case closed / concluded, in it."""
    e = aliased(CaseEvent)
    closed = exists().where(e.case_id == CaseOwnership.case_id, e.kind.in_(RESOLVED_KINDS),
                            between(e.occurred_on, start, end), e.occurred_on >= CaseOwnership.since)
    return and_(CaseOwnership.since <= end,
                or_(between(CaseOwnership.ended_on, start, end), and_(CaseOwnership.ended_on.is_(None), closed)))


def count_owned(session: Session, start: date, end: date) -> tuple[int, int]:
    """Owned cases, and owned cases resolved, in the period; a merged group once (``merge.resolve.case_now_id``)."""
    distinct_cases = select(func.count(func.distinct(case_now_id(Case)))).select_from(CaseOwnership).join(
        Case, Case.id == CaseOwnership.case_id)
    # (only the 已撤销 half of ``counted_case``: a merged-away case's ownership counts, as the case it now is)
    owned = session.scalar(distinct_cases.where(owned_condition(start, end), not_void(Case)))
    resolved = session.scalar(distinct_cases.where(owned_resolved_condition(start, end), not_void(Case)))
    return int(owned or 0), int(resolved or 0)


def count_supervised(session: Session, start: date, end: date) -> int:
    """Cases put under supervision in the period (each once; a merged group once)."""
    return int(session.scalar(select(func.count(func.distinct(case_now_id(Case)))).select_from(Supervision)
                              .join(Case, Case.id == Supervision.case_id)
                              .where(between(Supervision.opened_on, start, end), not_void(Case))) or 0)


def count_supervision_resolved(session: Session, start: date, end: date) -> int:
    return int(session.scalar(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.kind == "supervision_resolved",
                                     between(CaseEvent.occurred_on, start, end),
                                     of_live_case(CaseEvent.case_id))) or 0)


def count_backlog(session: Session, start: date, end: date) -> tuple[int, int]:
    """Backlog cases (and 骨头案 among them) resolved in the period; none of an 已撤销 case."""
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((BacklogCase.hard.is_(True), 1), else_=0)), 0))
        .where(between(BacklogCase.resolved_on, start, end), of_live_case(BacklogCase.case_id))
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


# --- handling: grouped by the dates that decide timeliness ------------------------------------------------------


def decision_select(start: date, end: date, *unit_col: bool) -> Select[Any]:
    """Acceptance decisions in the period with the day the case was routed to the unit before the decision."""
    d = aliased(CaseEvent, name="d")
    r = aliased(CaseEvent, name="r")
    routed = (select(func.max(r.occurred_on))
              .where(r.case_id == d.case_id, r.kind.in_(ROUTING_KINDS), r.occurred_at <= d.occurred_at)
              .scalar_subquery())
    cols: list[Any] = [d.case_id.label("case_id"), d.occurred_on.label("decided_on"), routed.label("routed_on"),
                       d.kind.label("kind"), d.unit_id.label("unit_id")]
    return select(*cols).where(d.kind.in_(DECISION_KINDS), between(d.occurred_on, start, end),
                               of_live_case(d.case_id))


def decision_groups(session: Session, start: date, end: date, *, by_unit: bool = False) -> Sequence[Any]:
    """([unit,] routed day, decision day, decisions)."""
    sub = decision_select(start, end).subquery()
    keys: list[Any] = ([sub.c.unit_id] if by_unit else []) + [sub.c.routed_on, sub.c.decided_on]
    return session.execute(select(*keys, func.count()).group_by(*keys)).all()


def reply_select(start: date, end: date) -> Select[Any]:
    """First replies (处理意见书) recorded in the period, with the acceptance day, the simple-track flag and the
    extension granted before the reply."""
    r = aliased(CaseEvent, name="rp")
    a = aliased(CaseEvent, name="ac")
    x = aliased(CaseEvent, name="ex")
    before = (a.case_id == r.case_id, a.kind == "accepted", a.occurred_at <= r.occurred_at)
    accepted_on = select(func.max(a.occurred_on)).where(*before).scalar_subquery()
    simple = select(func.max(a.data["simple"].as_integer())).where(*before).scalar_subquery()
    extension = (select(func.max(x.data["days"].as_integer()))
                 .where(x.case_id == r.case_id, x.kind == "extended", x.occurred_at <= r.occurred_at)
                 .scalar_subquery())
    return select(r.case_id.label("case_id"), r.occurred_on.label("replied_on"),
                  r.data["delivered_on"].as_string().label("delivered_on"), accepted_on.label("accepted_on"),
                  simple.label("simple"), extension.label("extension"), r.unit_id.label("unit_id")
                  ).where(r.kind == "replied", between(r.occurred_on, start, end), of_live_case(r.case_id))


def reply_groups(session: Session, start: date, end: date, *, by_unit: bool = False) -> Sequence[Any]:
    """([unit,] accepted day, simple, extension days, delivered day, recorded day, replies)."""
    sub = reply_select(start, end).subquery()
    keys: list[Any] = ([sub.c.unit_id] if by_unit else []) + [
        sub.c.accepted_on, sub.c.simple, sub.c.extension, sub.c.delivered_on, sub.c.replied_on]
    return session.execute(select(*keys, func.count()).group_by(*keys)).all()


def evaluation_groups(session: Session, start: date, end: date, *, by_unit: bool = False) -> Sequence[Any]:
    """([unit,] rating, evaluations)."""
    rating = CaseEvent.data["rating"].as_string()
    keys: list[Any] = ([CaseEvent.unit_id] if by_unit else []) + [rating]
    return session.execute(
        select(*keys, func.count()).where(CaseEvent.kind == "evaluated", between(CaseEvent.occurred_on, start, end),
                                          of_live_case(CaseEvent.case_id))
        .group_by(*keys)
    ).all()


# --- clocks now -----------------------------------------------------------------------------------------------------


DUE_SOON_HORIZON = 120
"""Days ahead a duty's amber window can start (the longest clock, 60 days plus a 30-day extension, with a 20 %
window, and margin): bounds the due-soon range so it is an index range, as in ``lifecycle.service.due_soon``."""


def due_soon_condition(on: date) -> ColumnElement[bool]:
    return and_(CaseClock.kind == "duty", CaseClock.due_on >= on,
                CaseClock.due_on <= on + timedelta(days=DUE_SOON_HORIZON), CaseClock.amber_on <= on)


def overdue_condition(on: date) -> ColumnElement[bool]:
    return and_(CaseClock.kind == "duty", CaseClock.due_on < on)


def count_clocks(session: Session, on: date) -> tuple[int, int]:
    """Duty clocks in their reminder window and duty clocks past due on ``on`` — counted like the lifecycle's own
    临期 / 超期 lists and the status bar (one per clock: a case late on two duties counts twice)."""
    soon = session.scalar(select(func.count()).select_from(CaseClock).where(due_soon_condition(on)))
    late = session.scalar(select(func.count()).select_from(CaseClock).where(overdue_condition(on)))
    return int(soon or 0), int(late or 0)
