"""The period report (年度 / 半年 / 季度 / 月 / any range): the figures the district reports, each with its
definition, the breakdowns by township/street, category and handling unit, and the monthly trend.

``period_report(ctx, period)`` runs a fixed number of grouped queries (about twenty, each over an indexed day range)
in one read transaction, so every figure describes the same moment of the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.service import load_settings
from reception.stats import cache
from reception.stats import queries as q
from reception.stats.cache import Aggregates
from reception.stats.common import (
    Directory,
    Figure,
    Table,
    Timeliness,
    figure,
    load_directory,
    rate,
)
from reception.stats.indicators import INDICATORS, REPORT_KEYS
from reception.stats.periods import Period


@dataclass(frozen=True, slots=True)
class MonthPoint:
    year: int
    month: int
    registrations: int
    visits: int
    persons: int
    new_cases: int

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class PeriodReport:
    period: Period
    generated_at: datetime
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]
    months: tuple[MonthPoint, ...]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def value(self, key: str) -> float | int | None:
        return self.figure(key).value

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period.to_json(),
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "figures": [f.to_json() for f in self.figures],
            "tables": [t.to_json() for t in self.tables],
            "months": [{"month": m.label, "registrations": m.registrations, "visits": m.visits,
                        "persons": m.persons, "new_cases": m.new_cases} for m in self.months],
        }


def period_report(ctx: AppContext, period: Period, *, use_cache: bool = True) -> PeriodReport:
    """Every figure of the report for ``period``, with its tables. ``use_cache``: bring the per-day cache up to date
    first (a short write; nothing to do when current) and read through it — the figures are the same either way."""
    if use_cache:
        cache.ensure(ctx, period.start, period.end)
    with ctx.db.read() as session:
        return report_in_session(session, period, ctx.calendar, ctx.now(), use_cache=use_cache)


def report_in_session(session: Session, period: Period, cal: WorkCalendar, now: datetime, *,
                      use_cache: bool = True) -> PeriodReport:
    a, b = period.start, period.end
    if use_cache:
        agg = cache.aggregates(session, a, b, cal)
    else:
        agg = cache.live(session, a, b, Timeliness(cal, load_settings(session)))
    values: dict[str, Figure] = {}

    def put(key: str, value: int) -> None:
        values[key] = figure(key, value)

    for key, value in q.fold_receptions(agg.reception_rows()).items():
        put(key, value)
    put("appointments", q.count_appointments(session, a, b))
    down, down_cases = q.count_down_visits(session, a, b)
    put("down_visits", down)
    put("down_visit_cases", down_cases)
    owned, owned_resolved = q.count_owned(session, a, b)
    put("owned_cases", owned)
    put("owned_resolved", owned_resolved)
    put("supervised", q.count_supervised(session, a, b))
    put("supervision_resolved", agg.supervision_resolved)
    backlog, hard = q.count_backlog(session, a, b)
    put("backlog_resolved", backlog)
    put("backlog_hard_resolved", hard)
    for key, value in q.fold_visits(agg.visit_rows()).items():
        put(key, value)
    put("new_cases", sum(agg.new_by_unit.values()))
    decided, timely = (sum(v[i] for v in agg.decisions.values()) for i in (0, 1))
    put("accept_decided", decided)
    put("accept_timely", timely)
    values["accept_rate"] = rate("accept_rate", timely, decided)
    replied, on_time = (sum(v[i] for v in agg.replies.values()) for i in (0, 1))
    put("replied", replied)
    put("replied_on_time", on_time)
    values["on_time_rate"] = rate("on_time_rate", on_time, replied)
    evaluated = sum(agg.evaluations.values())
    satisfied = sum(n for (_unit, rating), n in agg.evaluations.items() if rating in q.SATISFIED)
    put("evaluated", evaluated)
    put("satisfied", satisfied)
    values["satisfaction_rate"] = rate("satisfaction_rate", satisfied, evaluated)

    directory = load_directory(session)
    months = monthly(agg, period)
    tables = (
        figures_table(values),
        *breakdown_tables(agg, directory),
        months_table(months),
    )
    return PeriodReport(period, now, tuple(values[k] for k in REPORT_KEYS), tables, months)


# --- tables -------------------------------------------------------------------------------------------------------


def figures_table(values: dict[str, Figure]) -> Table:
    rows = tuple((f.section, f.name, f.text, f.unit if f.unit != "%" else "", f.definition)
                 for f in (values[k] for k in REPORT_KEYS))
    return Table("figures", "主要指标", ("类别", "指标", "数值", "单位", "统计口径"), rows,
                 row_filters=tuple({"key": k} for k in REPORT_KEYS))


def breakdown_tables(agg: Aggregates, d: Directory) -> tuple[Table, Table, Table]:
    """New cases by township/street, by category (top level) and by handling unit."""
    by_town: dict[str, int] = defaultdict(int)
    by_cat: dict[str, int] = defaultdict(int)
    by_unit: dict[str, int] = {k: n for k, n in agg.new_by_unit.items() if n}
    total = sum(by_unit.values())
    for locality_id, n in agg.new_by_locality.items():
        by_town[d.township_of.get(locality_id, locality_id)] += n
    for category_id, n in agg.new_by_category.items():
        by_cat[d.top_category_of.get(category_id, category_id)] += n

    def share(n: int) -> str:
        return f"{100.0 * n / total:.1f}%" if total else "—"

    town_ids = [t for t in d.township_order if by_town.get(t)] + sorted(
        t for t in by_town if t not in d.township_order and by_town[t])
    towns = Table("by_township", "按乡镇（街道）分布", ("乡镇（街道）", "新登记事项（件）", "占比"),
                  tuple((d.locality_names.get(t, "其他"), by_town[t], share(by_town[t])) for t in town_ids),
                  note="按信访事项的问题属地所在乡镇（街道）统计统计期内新登记的信访事项。",
                  row_filters=tuple({"township_id": t} for t in town_ids), drill_key="new_cases")
    cat_ids = sorted((c for c in by_cat if by_cat[c]), key=lambda c: (-by_cat[c], d.category_names.get(c, "")))
    cats = Table("by_category", "按问题类别分布", ("问题类别", "新登记事项（件）", "占比"),
                 tuple((d.category_names.get(c, "其他"), by_cat[c], share(by_cat[c])) for c in cat_ids),
                 note="按问题类别（一级）统计统计期内新登记的信访事项，件数多的在前。",
                 row_filters=tuple({"category_id": c} for c in cat_ids), drill_key="new_cases")
    unit_ids = sorted((u for u in by_unit if by_unit[u]),
                      key=lambda u: (-by_unit[u], d.units.get(u, ("", "", 9999))[2]))
    units = Table("by_unit", "按责任单位分布", ("责任单位", "新登记事项（件）", "占比"),
                  tuple((d.unit_name(u) or "未交办（领导接访、导入法定途径等）", by_unit[u], share(by_unit[u]))
                        for u in unit_ids),
                  note="按信访事项当前的责任单位统计统计期内新登记的信访事项。",
                  row_filters=tuple({"unit_id": u or "-"} for u in unit_ids), drill_key="new_cases")
    return towns, cats, units


def monthly(agg: Aggregates, period: Period) -> tuple[MonthPoint, ...]:
    """Registrations, walk-in visits and persons, and new cases per month of the period (per day in the
    aggregates, folded into months here)."""
    per: dict[tuple[int, int], list[int]] = {ym: [0, 0, 0, 0] for ym in period.months()}
    for d, v in agg.days.items():
        acc = per.get((d.year, d.month))
        if acc is None or not period.contains(d):
            continue
        for i in range(4):
            acc[i] += v[i]
    return tuple(MonthPoint(y, m, *v) for (y, m), v in per.items())


def months_table(months: Sequence[MonthPoint]) -> Table:
    headers = ("月份", "信访登记（批次）", "来访（批次）", "来访（人次）", "新登记事项（件）")
    return Table("monthly", "逐月情况", headers,
                 tuple((m.label, m.registrations, m.visits, m.persons, m.new_cases) for m in months),
                 note="信访登记含来信、来电、网上信访；来访指走访（含领导接访日来访）。")


def definitions() -> tuple[tuple[str, str, str], ...]:
    """(name, unit, definition) of every report figure: the 统计口径 sheet and page."""
    return tuple((INDICATORS[k].name, INDICATORS[k].unit, INDICATORS[k].definition) for k in REPORT_KEYS)
