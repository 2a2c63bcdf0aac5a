"""Pieces shared by the report, the dashboard, the ranking and the drill-down: plain result types, the directory
maps (township of each locality, top category of each category), and the on-time rules folded over grouped dates.

The timeliness figures (按期受理, 按期办结) need the legal due date of each case, which depends on the working
calendar (holidays roll a last day forward). SQL cannot know the calendar, so the queries group the events by the
dates that decide it (routing day and decision day; acceptance day, extension and delivery day) and the due dates
are computed here once per distinct group with the lifecycle's own deadline engine. The groups are few (days, not
rows), so this costs milliseconds even over a million cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import Category, Locality, Unit
from reception.domain.deadlines import due_date
from reception.domain.enums import LocalityLevel
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.machine import CaseState, Settings, handling_due
from reception.stats.indicators import INDICATORS

# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure with its definition; rates carry their numerator and denominator."""

    key: str
    name: str
    unit: str
    value: float | int | None
    """None: a rate without anything to divide (shown as "—")."""
    definition: str
    section: str
    numerator: int | None = None
    denominator: int | None = None

    @property
    def text(self) -> str:
        return format_value(self.value, self.unit)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "unit": self.unit, "value": self.value, "text": self.text,
                "definition": self.definition, "section": self.section, "numerator": self.numerator,
                "denominator": self.denominator}


def format_value(value: float | int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "分":
        return f"{value:.1f}"
    return f"{int(value)}"


def figure(key: str, value: float | int | None, *, numerator: int | None = None,
           denominator: int | None = None) -> Figure:
    ind = INDICATORS[key]
    return Figure(key, ind.name, ind.unit, value, ind.definition, ind.section, numerator, denominator)


def rate(key: str, numerator: int, denominator: int) -> Figure:
    value = round(100.0 * numerator / denominator, 1) if denominator else None
    return figure(key, value, numerator=numerator, denominator=denominator)


@dataclass(frozen=True, slots=True)
class Table:
    """A table of a report: headers and rows of plain values; ``row_filters`` say which drill-down filter each row
    stands for (e.g. ``{"township_id": ...}``), so a click on a row lists its cases."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""
    row_filters: tuple[dict[str, str], ...] = ()
    drill_key: str = ""
    """The figure a click on a row lists (with the row's filter)."""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "headers": list(self.headers),
                "rows": [list(r) for r in self.rows], "note": self.note}


# --- directory maps ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Directory:
    """The small reference tables, read once: which township each locality lies in, the top category of each
    category, unit names and kinds."""

    township_of: dict[str, str]
    """locality id → township locality id (None-free: localities above township level map to themselves)."""
    locality_names: dict[str, str]
    township_order: tuple[str, ...]
    top_category_of: dict[str, str]
    category_names: dict[str, str]
    category_order: tuple[str, ...]
    units: dict[str, tuple[str, str, int]]
    """unit id → (name, kind, sort order)."""
    descendants: dict[str, frozenset[str]] = field(default_factory=dict)
    """township or top-category id → every id at or below it (for drill-down filters)."""

    def unit_name(self, unit_id: str | None) -> str:
        return self.units[unit_id][0] if unit_id and unit_id in self.units else ""


def load_directory(session: Session) -> Directory:
    locs = session.execute(
        select(Locality.id, Locality.parent_id, Locality.level, Locality.name, Locality.sort_order)
    ).all()
    parent = {r.id: r.parent_id for r in locs}
    level = {r.id: r.level for r in locs}
    names = {r.id: r.name for r in locs}
    township_of: dict[str, str] = {}
    for lid in parent:
        cur: str | None = lid
        while cur is not None and level.get(cur) not in (LocalityLevel.TOWNSHIP.value, LocalityLevel.DISTRICT.value):
            cur = parent.get(cur)
        township_of[lid] = cur or lid
    towns = sorted((r for r in locs if r.level == LocalityLevel.TOWNSHIP.value), key=lambda r: (r.sort_order, r.name))
    cats = session.execute(select(Category.id, Category.parent_id, Category.name, Category.sort_order)).all()
    cparent = {r.id: r.parent_id for r in cats}
    top: dict[str, str] = {}
    for cid in cparent:
        cur2 = cid
        while cparent.get(cur2) is not None:
            cur2 = cparent[cur2]
        top[cid] = cur2
    tops = sorted((r for r in cats if r.parent_id is None), key=lambda r: (r.sort_order, r.name))
    units = {r.id: (r.name, r.kind, r.sort_order) for r in session.execute(
        select(Unit.id, Unit.name, Unit.kind, Unit.sort_order))}
    desc: dict[str, set[str]] = {}
    for lid, tid in township_of.items():
        desc.setdefault(tid, set()).add(lid)
    for cid, tid in top.items():
        desc.setdefault(tid, set()).add(cid)
    return Directory(township_of, names, tuple(r.id for r in towns), top, {r.id: r.name for r in cats},
                     tuple(r.id for r in tops), units, {k: frozenset(v) for k, v in desc.items()})


# --- timeliness folded over grouped dates -------------------------------------------------------------------------


class Timeliness:
    """Due dates per distinct start day, computed with the lifecycle's deadline engine and cached."""

    def __init__(self, cal: WorkCalendar, settings: Settings) -> None:
        self.cal = cal
        self.settings = settings
        self._accept: dict[date, date] = {}
        self._handling: dict[tuple[date, bool, int], date] = {}

    def accept_due(self, routed_on: date) -> date:
        due = self._accept.get(routed_on)
        if due is None:
            due = self._accept[routed_on] = due_date("routed_notice", routed_on, self.cal, self.settings.roll)
        return due

    def accept_on_time(self, routed_on: date | None, decided_on: date) -> bool:
        """A decision is timely within 15 days of routing (a case never routed is judged from its decision day)."""
        return routed_on is None or decided_on <= self.accept_due(routed_on)

    def handling_due(self, accepted_on: date, simple: bool, extension_days: int) -> date:
        key = (accepted_on, simple, extension_days)
        due = self._handling.get(key)
        if due is None:
            state = CaseState(accepted_on=accepted_on, simple=simple, extension_days=extension_days)
            due = self._handling[key] = handling_due(state, self.cal, self.settings)
        return due

    def reply_on_time(self, accepted_on: date | None, simple: bool, extension_days: int, delivered_on: date) -> bool:
        if accepted_on is None:  # no acceptance on record (data of earlier versions): nothing to be late against
            return True
        return delivered_on <= self.handling_due(accepted_on, simple, extension_days)


def as_date(value: Any) -> date | None:
    """A date from a query result: a date, an ISO string (JSON fields) or None."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0

