"""The big-table part of every figure, as additive aggregates — computed live from the base tables, or summed from
the per-day cache (``stats_day``) for the days that are still valid.

Why a cache: a year of a busy centre is a million visits and several million case events; grouping them takes
seconds, far over the one second a report may take. Everything the report, the dashboard and the ranking read from
the big tables (visit, petition_case, case_event, leader_reception) is additive per day, so each day is aggregated
once and kept. SQLite triggers on those tables (migration 0006) delete a day's mark in ``stats_cached_day`` whenever
one of its rows is inserted, changed or deleted — by this desk, by the lifecycle, by sync — and the next report
recomputes that day. (The bulk writers, a ledger import and a sync pull, insert a batch with the insert trigger set
aside and forget the batch's days in one statement, in the same transaction: ``db.bulk.insert_rows``.)
A report reads the marked days from the cache and computes any unmarked day live, in the same read transaction, so
it is exact even when the cache is stale. The timeliness counts depend on the working calendar and the lifecycle
settings: a fingerprint of both is stored (setting ``stats_cache``) and a change drops the cache.
On PostgreSQL (no triggers) everything is computed live.

Small tables (down-visits, ownership, supervision, appointments, backlog) are always counted live: their figures
count distinct cases, which do not add up across days.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from reception.db.models import (
    Case,
    CaseEvent,
    Category,
    HolidayDay,
    LeaderReception,
    Locality,
    Setting,
    StatsCachedDay,
    StatsDay,
    Visit,
)
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.service import load_settings
from reception.stats import queries as q
from reception.stats.common import Directory, Timeliness, as_date, as_int, load_directory

CACHE_VERSION = 3
"""Bump when a definition changes: stored aggregates of an older version are dropped. (2: a merged-away case is
not a new case of its own, ``merge.resolve.counted_case``; 3: a merged-away case's visits count under the
surviving case's unit, ``queries.visit_unit_groups``.)"""
CHUNK_DAYS = 31
"""Days aggregated per pass when the cache is built."""
SETTING_KEY = "stats_cache"
SEP = "|"


@dataclass
class Aggregates:
    """Additive aggregates over a range of days (unit ``""``: none)."""

    visits: dict[tuple[str, bool, bool, bool], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """(channel, collective, repeat, skip-level) → [visits, persons]."""
    receptions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """outcome → [batches, persons]."""
    new_by_locality: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    new_by_category: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    new_by_unit: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    decisions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """unit → [decisions, timely]."""
    replies: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """unit → [first replies, on time]."""
    evaluations: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    """(unit, rating) → evaluations."""
    visit_units: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """unit of the case → [visits, repeat visits]."""
    supervision_resolved: int = 0
    days: dict[date, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    """day → [registrations, walk-in visits, walk-in persons, new cases]."""

    def add(self, other: Aggregates) -> None:
        for k, v in other.visits.items():
            _add2(self.visits[k], v)
        for k2, v in other.receptions.items():
            _add2(self.receptions[k2], v)
        for mine, theirs in ((self.new_by_locality, other.new_by_locality), (self.new_by_category,
                             other.new_by_category), (self.new_by_unit, other.new_by_unit)):
            for k3, n in theirs.items():
                mine[k3] += n
        for mine2, theirs2 in ((self.decisions, other.decisions), (self.replies, other.replies),
                               (self.visit_units, other.visit_units)):
            for k4, v in theirs2.items():
                _add2(mine2[k4], v)
        for k5, n in other.evaluations.items():
            self.evaluations[k5] += n
        self.supervision_resolved += other.supervision_resolved
        for d, v in other.days.items():
            acc = self.days[d]
            for i in range(4):
                acc[i] += v[i]

    def visit_rows(self) -> list[tuple[str, bool, bool, bool, int, int]]:
        return [(*k, v[0], v[1]) for k, v in self.visits.items()]

    def reception_rows(self) -> list[tuple[str, int, int]]:
        return [(k, v[0], v[1]) for k, v in self.receptions.items()]


def _add2(acc: list[int], v: list[int]) -> None:
    acc[0] += v[0]
    acc[1] += v[1]


# --- live --------------------------------------------------------------------------------------------------------


def live(session: Session, start: date, end: date, timing: Timeliness) -> Aggregates:
    """The aggregates of ``start``..``end`` straight from the base tables (grouped SQL; folds over groups)."""
    agg = Aggregates()
    for channel, collective, repeat, skip, n, heads in q.visit_groups(session, start, end):
        _add2(agg.visits[(str(channel), bool(collective), bool(repeat), bool(skip))], [int(n), int(heads)])
    for outcome, n, heads in q.reception_groups(session, start, end):
        _add2(agg.receptions[str(outcome)], [int(n), int(heads)])
    for locality_id, category_id, unit_id, n in q.case_groups(session, start, end):
        agg.new_by_locality[locality_id] += int(n)
        agg.new_by_category[category_id] += int(n)
        agg.new_by_unit[unit_id or ""] += int(n)
    for unit_id, routed_on, decided_on, n in q.decision_groups(session, start, end, by_unit=True):
        timely = timing.accept_on_time(as_date(routed_on), as_date(decided_on) or date.min)
        _add2(agg.decisions[unit_id or ""], [int(n), int(n) if timely else 0])
    for unit_id, accepted_on, simple, ext, delivered_on, replied_on, n in q.reply_groups(session, start, end,
                                                                                         by_unit=True):
        delivered = as_date(delivered_on) or as_date(replied_on) or date.min
        ok = timing.reply_on_time(as_date(accepted_on), bool(as_int(simple)), as_int(ext), delivered)
        _add2(agg.replies[unit_id or ""], [int(n), int(n) if ok else 0])
    for unit_id, rating, n in q.evaluation_groups(session, start, end, by_unit=True):
        agg.evaluations[(unit_id or "", str(rating or ""))] += int(n)
    for unit_id, n, repeat in q.visit_unit_groups(session, start, end):
        _add2(agg.visit_units[unit_id or ""], [int(n), int(repeat)])
    agg.supervision_resolved = q.count_supervision_resolved(session, start, end)
    for day, regs, walk, heads in q.visits_by_day(session, start, end):
        acc = agg.days[as_date(day) or start]
        acc[0] += int(regs)
        acc[1] += int(walk or 0)
        acc[2] += int(heads or 0)
    for day, n in q.cases_by_day(session, start, end):
        agg.days[as_date(day) or start][3] += int(n)
    return agg


def live_by_day(session: Session, start: date, end: date, timing: Timeliness) -> dict[date, Aggregates]:
    """``live`` split by day, in one grouped pass per table (the cold build of the cache: one query per table for
    a month instead of one per table and day). The conditions are ``live``'s own; the tests compare the two."""
    out: dict[date, Aggregates] = defaultdict(Aggregates)

    def day_of(value: Any) -> Aggregates:
        return out[as_date(value) or start]

    period = and_(q.between(Visit.visited_on, start, end), q.of_live_case(Visit.case_id))
    for day, channel, collective, repeat, skip, n, heads in session.execute(
        select(Visit.visited_on, Visit.channel, Visit.is_collective, Visit.is_repeat, Visit.is_skip_level,
               func.count(), func.coalesce(func.sum(Visit.headcount), 0))
        .where(period).group_by(Visit.visited_on, Visit.channel, Visit.is_collective, Visit.is_repeat,
                                Visit.is_skip_level)
    ):
        agg = day_of(day)
        _add2(agg.visits[(str(channel), bool(collective), bool(repeat), bool(skip))], [int(n), int(heads)])
        acc = agg.days[as_date(day) or start]
        acc[0] += int(n)
        if channel in q.WALK_IN:
            acc[1] += int(n)
            acc[2] += int(heads)
    for day, outcome, n, heads in session.execute(
        select(LeaderReception.received_on, LeaderReception.outcome, func.count(),
               func.coalesce(func.sum(LeaderReception.headcount), 0))
        .where(q.between(LeaderReception.received_on, start, end), q.of_live_case(LeaderReception.case_id))
        .group_by(LeaderReception.received_on, LeaderReception.outcome)
    ):
        _add2(day_of(day).receptions[str(outcome)], [int(n), int(heads)])
    for day, locality_id, category_id, unit_id, n in session.execute(
        select(Case.registered_on, Case.locality_id, Case.category_id, Case.unit_id, func.count())
        .where(q.new_case_condition(start, end))
        .group_by(Case.registered_on, Case.locality_id, Case.category_id, Case.unit_id)
    ):
        agg = day_of(day)
        agg.new_by_locality[locality_id] += int(n)
        agg.new_by_category[category_id] += int(n)
        agg.new_by_unit[unit_id or ""] += int(n)
        agg.days[as_date(day) or start][3] += int(n)
    for unit_id, routed_on, decided_on, n in q.decision_groups(session, start, end, by_unit=True):
        timely = timing.accept_on_time(as_date(routed_on), as_date(decided_on) or date.min)
        _add2(day_of(decided_on).decisions[unit_id or ""], [int(n), int(n) if timely else 0])
    for unit_id, accepted_on, simple, ext, delivered_on, replied_on, n in q.reply_groups(session, start, end,
                                                                                         by_unit=True):
        delivered = as_date(delivered_on) or as_date(replied_on) or date.min
        ok = timing.reply_on_time(as_date(accepted_on), bool(as_int(simple)), as_int(ext), delivered)
        _add2(day_of(replied_on).replies[unit_id or ""], [int(n), int(n) if ok else 0])
    rating = CaseEvent.data["rating"].as_string()
    for day, unit_id, rated, n in session.execute(
        select(CaseEvent.occurred_on, CaseEvent.unit_id, rating, func.count())
        .where(CaseEvent.kind == "evaluated", q.between(CaseEvent.occurred_on, start, end),
               q.of_live_case(CaseEvent.case_id))
        .group_by(CaseEvent.occurred_on, CaseEvent.unit_id, rating)
    ):
        day_of(day).evaluations[(unit_id or "", str(rated or ""))] += int(n)
    for day, unit_id, n, repeat in q.visit_unit_groups(session, start, end, by_day=True):
        _add2(day_of(day).visit_units[unit_id or ""], [int(n), int(repeat)])
    for day, n in session.execute(
        select(CaseEvent.occurred_on, func.count())
        .where(CaseEvent.kind == "supervision_resolved", q.between(CaseEvent.occurred_on, start, end),
               q.of_live_case(CaseEvent.case_id))
        .group_by(CaseEvent.occurred_on)
    ):
        day_of(day).supervision_resolved += int(n)
    return out


# --- the cache ------------------------------------------------------------------------------------------------------


def _rows(day: date, agg: Aggregates, directory: Directory) -> Iterator[dict[str, Any]]:
    def row(kind: str, k1: str, k2: str, n: int, m: int = 0) -> dict[str, Any]:
        return {"day": day, "kind": kind, "k1": k1, "k2": k2, "n": n, "m": m}

    for (channel, c, r, s), (n, heads) in agg.visits.items():
        yield row("visit", channel, f"{int(c)}{int(r)}{int(s)}", n, heads)
    for outcome, (n, heads) in agg.receptions.items():
        yield row("reception", outcome, "", n, heads)
    # new cases by township and by top category (what the breakdowns show): a few rows a day instead of one per
    # grid and leaf category; the directory's shape is part of the fingerprint
    towns: dict[str, int] = defaultdict(int)
    tops: dict[str, int] = defaultdict(int)
    for k, n in agg.new_by_locality.items():
        towns[directory.township_of.get(k, k)] += n
    for k, n in agg.new_by_category.items():
        tops[directory.top_category_of.get(k, k)] += n
    for kind, source in (("new_loc", towns), ("new_cat", tops), ("new_unit", agg.new_by_unit)):
        for k, n in source.items():
            yield row(kind, k, "", n)
    for kind, source2 in (("decision", agg.decisions), ("reply", agg.replies), ("visit_unit", agg.visit_units)):
        for k, (n, m) in source2.items():
            yield row(kind, k, "", n, m)
    for (unit, rating), n in agg.evaluations.items():
        yield row("evaluation", unit, rating, n)
    if agg.supervision_resolved:
        yield row("sup_resolved", "", "", agg.supervision_resolved)


def _from_rows(rows: Iterable[Any]) -> Aggregates:
    agg = Aggregates()
    for kind, k1, k2, n, m in rows:
        n, m = int(n), int(m)
        if kind == "visit":
            c, r, s = (ch == "1" for ch in k2)
            _add2(agg.visits[(k1, c, r, s)], [n, m])
        elif kind == "reception":
            _add2(agg.receptions[k1], [n, m])
        elif kind == "new_loc":
            agg.new_by_locality[k1] += n
        elif kind == "new_cat":
            agg.new_by_category[k1] += n
        elif kind == "new_unit":
            agg.new_by_unit[k1] += n
        elif kind == "decision":
            _add2(agg.decisions[k1], [n, m])
        elif kind == "reply":
            _add2(agg.replies[k1], [n, m])
        elif kind == "visit_unit":
            _add2(agg.visit_units[k1], [n, m])
        elif kind == "evaluation":
            agg.evaluations[(k1, k2)] += n
        elif kind == "sup_resolved":
            agg.supervision_resolved += n
    return agg


def usable(session: Session) -> bool:
    """The cache is kept only on SQLite, where the triggers invalidate it."""
    return session.get_bind().dialect.name == "sqlite"


def fingerprint(session: Session) -> str:
    """What the timeliness counts depend on: the holiday table, the lifecycle settings, the definitions."""
    st = load_settings(session)
    holidays = session.execute(select(HolidayDay.day, HolidayDay.workday).order_by(HolidayDay.day)).all()
    tree = session.execute(select(Locality.id, Locality.parent_id, Locality.level).order_by(Locality.id)).all()
    cats = session.execute(select(Category.id, Category.parent_id).order_by(Category.id)).all()
    try:
        import chinese_calendar

        package = str(getattr(chinese_calendar, "__version__", ""))
    except ImportError:  # pragma: no cover - a dependency of the app
        package = ""
    package += "+statutory"  # (years beyond the package have their statutory holidays computed: issue 13)
    text = json.dumps([CACHE_VERSION, st.roll.value, package, [(d.isoformat(), bool(w)) for d, w in holidays],
                       [list(r) for r in tree], [list(r) for r in cats]])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_valid(session: Session) -> bool:
    """Whether the stored aggregates may be used (SQLite, and computed under the current calendar and directory)."""
    return usable(session) and _valid(session, fingerprint(session))


def _valid(session: Session, fp: str) -> bool:
    row = session.get(Setting, SETTING_KEY)
    return row is not None and row.value.get("fingerprint") == fp


def _days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _runs(days: Iterable[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    first = last = None
    for d in sorted(days):
        if last is not None and d == last + timedelta(days=1):
            last = d
            continue
        if first is not None and last is not None:
            yield first, last
        first = last = d
    if first is not None and last is not None:
        yield first, last


def _cached_days(session: Session, start: date, end: date) -> set[date]:
    """Days whose aggregates are stored and current."""
    return {as_date(d) or date.min for d in session.scalars(
        select(StatsCachedDay.day).where(q.between(StatsCachedDay.day, start, end), StatsCachedDay.ready.is_(True)))}


def _reset_if_stale(session: Session) -> None:
    """Drop every stored aggregate when the calendar, the settings or the directory changed."""
    fp = fingerprint(session)
    if not _valid(session, fp):
        session.execute(delete(StatsCachedDay))
        session.execute(delete(StatsDay))
        session.merge(Setting(key=SETTING_KEY, value={"fingerprint": fp, "version": CACHE_VERSION}))
        session.flush()


def _compute(session: Session, first: date, last: date, timing: Timeliness) -> dict[date, Aggregates]:
    # a few days (yesterday, after a registration): one day at a time, each an indexed day range;
    # a long run (the first report after an upgrade): grouped by day in one pass per table
    if (last - first).days < 3:
        return {d: live(session, d, d, timing) for d in _days(first, last)}
    return live_by_day(session, first, last, timing)


def _store(session: Session, days: Iterable[date], by_day: dict[date, Aggregates], directory: Directory) -> None:
    days = list(days)
    if not days:
        return
    session.execute(delete(StatsDay).where(StatsDay.day.in_(days)))
    rows = [r for d in days if d in by_day for r in _rows(d, by_day[d], directory)]
    if rows:
        session.execute(insert(StatsDay), rows)


def refresh(session: Session, start: date, end: date, cal: WorkCalendar, *, max_days: int = 4000) -> int:
    """Aggregate every day of ``start``..``end`` that is not cached (inside the caller's write transaction).
    Returns how many days were computed. Days are aggregated one by one (each an indexed day range)."""
    if not usable(session):
        return 0
    _reset_if_stale(session)
    missing = sorted(set(_days(start, end)) - _cached_days(session, start, end))[:max_days]
    if not missing:
        return 0
    timing = Timeliness(cal, load_settings(session))
    directory = load_directory(session)
    for first, last in _runs(missing):
        chunk = first
        while chunk <= last:
            stop = min(last, chunk + timedelta(days=CHUNK_DAYS - 1))
            days = list(_days(chunk, stop))
            _store(session, days, _compute(session, chunk, stop, timing), directory)
            session.execute(delete(StatsCachedDay).where(StatsCachedDay.day.in_(days)))
            session.execute(insert(StatsCachedDay), [{"day": d, "ready": True} for d in days])
            chunk = stop + timedelta(days=1)
    session.flush()
    return len(missing)


def aggregates(session: Session, start: date, end: date, cal: WorkCalendar, *, valid: bool | None = None,
               days_only: bool = False) -> Aggregates:
    """The aggregates of ``start``..``end``: cached days summed from ``stats_day``, the others computed live.
    ``valid``: whether the cache's fingerprint is current, when the caller already knows (``cache_valid``);
    ``days_only``: only the per-day totals are wanted (the trend)."""
    timing = Timeliness(cal, load_settings(session))
    if valid is None:
        valid = cache_valid(session)
    if not valid:
        return live(session, start, end, timing)
    cached = select(StatsCachedDay.day).where(q.between(StatsCachedDay.day, start, end),
                                              StatsCachedDay.ready.is_(True))
    in_range = (q.between(StatsDay.day, start, end), StatsDay.day.in_(cached))
    agg = Aggregates() if days_only else _from_rows(session.execute(
        select(StatsDay.kind, StatsDay.k1, StatsDay.k2, func.sum(StatsDay.n), func.sum(StatsDay.m))
        .where(*in_range).group_by(StatsDay.kind, StatsDay.k1, StatsDay.k2)
    ).all())
    is_visit = StatsDay.kind == "visit"
    walk = is_visit & StatsDay.k1.in_(q.WALK_IN)
    for day, regs, walks, heads, new in session.execute(
        select(StatsDay.day, func.sum(case((is_visit, StatsDay.n), else_=0)), func.sum(case((walk, StatsDay.n),
               else_=0)), func.sum(case((walk, StatsDay.m), else_=0)),
               func.sum(case((StatsDay.kind == "new_unit", StatsDay.n), else_=0)))
        .where(*in_range, StatsDay.kind.in_(("visit", "new_unit"))).group_by(StatsDay.day)
    ):
        agg.days[as_date(day) or start] = [int(regs), int(walks), int(heads), int(new)]
    for first, last in _runs(set(_days(start, end)) - _cached_days(session, start, end)):
        agg.add(live(session, first, last, timing))
    return agg


def ensure(ctx: Any, start: date, end: date) -> int:
    """Bring the cache up to date for a range; nothing to do (one read) when it is current. Returns the days stored.

    The aggregation runs in read transactions, so the desk's registrations never wait for it: a month at a time,
    (1) a short write marks its missing days "pending", (2) a read computes them, (3) a short write stores the days
    still pending — a day whose rows changed meanwhile lost its mark to the triggers and is left for next time (it
    is computed live until then). Today is left out: every registration invalidates it again, so it is always
    computed live (a day is small) instead of being rewritten on every refresh."""
    end = min(end, ctx.now().date() - timedelta(days=1))
    if end < start:
        return 0
    with ctx.db.read() as session:
        if not usable(session):
            return 0
        if _valid(session, fingerprint(session)) and len(_cached_days(session, start, end)) == (end - start).days + 1:
            return 0
    with ctx.db.write() as session:
        _reset_if_stale(session)
        missing = sorted(set(_days(start, end)) - _cached_days(session, start, end))
    stored = 0
    for first, last in _runs(missing):
        chunk = first
        while chunk <= last:
            stop = min(last, chunk + timedelta(days=CHUNK_DAYS - 1))
            days = list(_days(chunk, stop))
            with ctx.db.write() as session:  # (1)
                session.execute(delete(StatsCachedDay).where(StatsCachedDay.day.in_(days)))
                session.execute(insert(StatsCachedDay), [{"day": d, "ready": False} for d in days])
            with ctx.db.read() as session:  # (2)
                timing = Timeliness(ctx.calendar, load_settings(session))
                directory = load_directory(session)
                by_day = _compute(session, chunk, stop, timing)
            with ctx.db.write() as session:  # (3)
                pending = [as_date(d) or date.min for d in session.scalars(
                    select(StatsCachedDay.day).where(StatsCachedDay.day.in_(days), StatsCachedDay.ready.is_(False)))]
                _store(session, pending, by_day, directory)
                if pending:
                    session.execute(update(StatsCachedDay).where(StatsCachedDay.day.in_(pending))
                                    .values(ready=True))
                stored += len(pending)
            chunk = stop + timedelta(days=1)
    return stored
