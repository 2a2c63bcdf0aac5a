"""The dashboard (统计首页): today and this month at a glance, the running clocks, the monthly trend and this
month's breakdowns. One read transaction of a dozen grouped queries; the UI runs it off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.domain.workcalendar import WorkCalendar
from reception.stats import cache, periods
from reception.stats import queries as q
from reception.stats.common import Figure, Table, figure, load_directory
from reception.stats.periods import Period
from reception.stats.report import MonthPoint, breakdown_tables, monthly

GLANCE_KEYS = ("visits", "visit_persons", "registrations", "collective", "repeat", "leader_batches",
               "leader_persons", "leader_on_spot")
"""The at-a-glance figures, shown for today and for the month so far."""
TREND_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Dashboard:
    on: date
    today: Period
    month: Period
    today_figures: tuple[Figure, ...]
    month_figures: tuple[Figure, ...]
    due_soon: Figure
    overdue: Figure
    trend: tuple[MonthPoint, ...]
    breakdowns: tuple[Table, ...]
    generated_at: datetime

    def value(self, scope: str, key: str) -> float | int | None:
        figures = {"today": self.today_figures, "month": self.month_figures}[scope]
        return next(f.value for f in figures if f.key == key)

    def to_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "today": {f.key: f.value for f in self.today_figures},
            "month": {f.key: f.value for f in self.month_figures},
            "due_soon": self.due_soon.value, "overdue": self.overdue.value,
            "trend": [{"month": m.label, "visits": m.visits, "persons": m.persons, "registrations": m.registrations,
                       "new_cases": m.new_cases} for m in self.trend],
            "breakdowns": [t.to_json() for t in self.breakdowns],
        }


def dashboard(ctx: AppContext, *, on: date | None = None, sync: bool = True) -> Dashboard:
    """The figures of ``on`` (default: today) and of its month up to that day. ``sync`` first writes the clocks of
    newly registered cases (as the overdue lists do), so due-soon and overdue are current."""
    day = on or ctx.now().date()
    if sync:
        from reception.lifecycle.service import sync_clocks

        sync_clocks(ctx)
    trend = periods.last_months(day, TREND_MONTHS)
    cache.ensure(ctx, trend.start, day)
    with ctx.db.read() as session:
        return dashboard_in_session(session, day, ctx.now(), ctx.calendar)


def _glance(agg: cache.Aggregates) -> tuple[Figure, ...]:
    values = q.fold_visits(agg.visit_rows())
    values.update(q.fold_receptions(agg.reception_rows()))
    return tuple(figure(k, values[k]) for k in GLANCE_KEYS)


def dashboard_in_session(session: Session, day: date, now: datetime, cal: WorkCalendar) -> Dashboard:
    today = periods.day_range(day, day)
    month = periods.day_range(date(day.year, day.month, 1), day)
    month = Period(month.start, month.end, f"{day.year}年{day.month}月（截至{day.day}日）", "month")
    soon, late = q.count_clocks(session, day)
    trend_period = periods.last_months(day, TREND_MONTHS)
    valid = cache.cache_valid(session)
    # the day itself once (computed live when it is today), the days before it from the cache
    today_agg = cache.aggregates(session, day, day, cal, valid=valid)
    yesterday = day - timedelta(days=1)
    month_agg = cache.Aggregates()
    if month.start <= yesterday:
        month_agg.add(cache.aggregates(session, month.start, yesterday, cal, valid=valid))
    month_agg.add(today_agg)
    trend_agg = cache.aggregates(session, trend_period.start, yesterday, cal, valid=valid, days_only=True)
    trend_agg.add(today_agg)
    trend = monthly(trend_agg, trend_period)
    breakdowns = breakdown_tables(month_agg, load_directory(session))
    return Dashboard(day, today, month, _glance(today_agg), _glance(month_agg),
                     figure("due_soon", soon), figure("overdue", late), trend, breakdowns, now)
