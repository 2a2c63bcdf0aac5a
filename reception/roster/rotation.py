"""The pure rotation: which leaders on which days of a month, and why. No database, deterministic.

Each working day takes ``leaders_per_day`` leaders of the daily rotation, chosen by, in order:

1. fewest duty days so far in this quarter (counts restart each quarter; a leader who joins mid-quarter starts
   at the lowest count of the others, so a newcomer is not given a run of days to "catch up");
2. longest since last on duty (carries the rotation across months and quarters);
3. rank order, then id.

A leader who is unavailable that day is passed over and keeps the lowest count, so the turn is postponed (顺延)
to the next day they can come. Nobody gets two slots on one day. With everyone available all quarter the counts
stay within one of each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from reception.domain.workcalendar import WorkCalendar
from reception.roster.rules import (
    RosterRules,
    month_days,
    quarter_of,
    secretary_day_reason,
    secretary_days_in,
)

DUTY = "duty"
SECRETARY = "secretary"


@dataclass(frozen=True, slots=True)
class Period:
    start: date | None
    end: date | None
    in_rotation: bool = True
    id: str = ""

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Absence:
    start: date
    end: date
    reason: str
    id: str = ""


@dataclass(frozen=True, slots=True)
class RosterLeader:
    id: str
    name: str
    title: str
    rank_order: int = 0
    phone: str = ""
    active: bool = True
    periods: tuple[Period, ...] = ()
    """Membership periods; none means a member whenever ``active``."""
    absences: tuple[Absence, ...] = ()

    def member_on(self, day: date) -> bool:
        return self.active and (not self.periods or any(p.covers(day) for p in self.periods))

    def in_rotation_on(self, day: date) -> bool:
        if not self.active:
            return False
        if not self.periods:
            return True
        return any(p.covers(day) and p.in_rotation for p in self.periods)

    def absence_on(self, day: date) -> str | None:
        for a in self.absences:
            if a.start <= day <= a.end:
                return a.reason or "请假"
        return None


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    day: date
    leader_id: str
    role: str
    reason: str


@dataclass(slots=True)
class RotationState:
    """What the rotation remembers between months."""

    quarter: tuple[int, int] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    """Duty days per leader in ``quarter``."""
    last_served: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MonthPlan:
    slots: tuple[PlannedSlot, ...]
    warnings: tuple[str, ...]


def principals(leaders: Sequence[RosterLeader], rules: RosterRules, day: date) -> list[RosterLeader]:
    """The party secretary and the district head who are members on ``day`` (first by rank for each title)."""
    out: list[RosterLeader] = []
    for title in (rules.secretary_title, rules.head_title):
        found = sorted((x for x in leaders if x.title == title and x.member_on(day)),
                       key=lambda x: (x.rank_order, x.id))
        if found:
            out.append(found[0])
    return out


def plan_month(cal: WorkCalendar, rules: RosterRules, leaders: Sequence[RosterLeader], year: int, month: int,
               state: RotationState) -> MonthPlan:
    """Plan one month; ``state`` is advanced (pass it on to the next month)."""
    slots: list[PlannedSlot] = []
    warnings: list[str] = []
    sec_days = secretary_days_in(cal, year, month, rules)
    principal_titles = {rules.secretary_title, rules.head_title}
    ordered = sorted(leaders, key=lambda x: (x.rank_order, x.id))
    for day in month_days(year, month):
        if not cal.is_workday(day):
            continue
        quarter = quarter_of(day)
        if state.quarter != quarter:
            state.quarter, state.counts = quarter, {}
        taken: set[str] = set()
        if day in sec_days:
            reason = secretary_day_reason(day, sec_days[day], rules)
            for p in principals(leaders, rules, day):
                absent = p.absence_on(day)
                if absent:
                    warnings.append(f"{day.isoformat()} 书记接访日：{p.title}{p.name}{absent}")
                    continue
                slots.append(PlannedSlot(day, p.id, SECRETARY, reason))
                taken.add(p.id)
            if taken and rules.secretary_day_replaces_duty:
                continue
        rotation = [x for x in ordered if x.in_rotation_on(day)
                    and (rules.principals_in_rotation or x.title not in principal_titles)]
        position = {x.id: i for i, x in enumerate(rotation, 1)}
        present = [state.counts[x.id] for x in rotation if x.id in state.counts]
        floor = min(present) if present else 0
        for x in rotation:
            state.counts.setdefault(x.id, floor)
        for _ in range(rules.leaders_per_day):
            queue = sorted((x for x in rotation if x.id not in taken),
                           key=lambda x: (state.counts[x.id], state.last_served.get(x.id, date.min),
                                          x.rank_order, x.id))
            if not queue:
                warnings.append(f"{day.isoformat()} 没有可排的接访领导")
                break
            chosen = next((x for x in queue if x.absence_on(day) is None), None)
            if chosen is None:
                warnings.append(f"{day.isoformat()} 轮值领导均请假，无人可排")
                break
            state.counts[chosen.id] += 1
            state.last_served[chosen.id] = day
            taken.add(chosen.id)
            reason = f"轮值第{position[chosen.id]}位，本季度第{state.counts[chosen.id]}次"
            nominal = queue[0]
            if nominal is not chosen:
                reason = f"原定{nominal.name}{nominal.absence_on(day)}，顺延；{reason}"
            slots.append(PlannedSlot(day, chosen.id, DUTY, reason))
    return MonthPlan(tuple(slots), tuple(warnings))
