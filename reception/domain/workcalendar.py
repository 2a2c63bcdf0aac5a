"""The official working-day calendar (法定节假日与调休).

Sources, in order of precedence for a given date:

1. the override table (``dict[date, DayOverride]``), edited by the administrator: corrections and the years the
   package does not know yet (the State Council publishes next year's arrangement each autumn);
2. the ``chinese_calendar`` package for the years it supports (2004–2026 in version 1.11);
3. otherwise the statutory holidays of the year, computed from the lunar calendar and the solar terms
   (``reception.domain.statutory``: 13 days from 2025), are days off, and Monday–Friday are working days.

A year is *known* (``knows(year)``) when the package supports it or the administrator has confirmed it
(``confirmed_years``). A year that is not known is *provisional* (``YearState.PROVISIONAL``): its statutory days
are right, but the 调休 bridge days and make-up working weekends the State Council adds are not there yet, so a date
computed through it must say so wherever it appears (``unconfirmed_years`` / ``provisional_years``,
``PROVISIONAL_NOTE``, ``UnconfirmedYearWarning``). ``year_state`` tells the three states of a year (official,
provisional, confirmed with differences from the package or from the statutory days).

Make-up working days (调休上班, e.g. Saturday 2026-02-14 and 2026-10-10, Sunday 2026-09-20) are working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from functools import cache

import chinese_calendar

from reception.domain.statutory import statutory_holidays

__all__ = [
    "PROVISIONAL_NOTE",
    "DayOverride",
    "YearState",
    "UnconfirmedYearWarning",
    "WorkCalendar",
    "holiday_label",
    "package_years",
]


class UnconfirmedYearWarning(UserWarning):
    """A date computation crossed a year whose holiday arrangement is not confirmed (weekdays assumed)."""

    def __init__(self, years: Iterable[int]) -> None:
        self.years: tuple[int, ...] = tuple(sorted(set(years)))
        listed = "、".join(f"{y}年" for y in self.years)
        super().__init__(f"{listed}放假安排尚未公布，期限{PROVISIONAL_NOTE}")


PROVISIONAL_NOTE = "按法定节假日推算，以国务院公布的放假安排为准"
"""What a date computed through a provisional year carries, on paper and on screen: 2027年1月4日（…）."""


def provisional_text(text: str) -> str:
    """``text`` (a date as shown) with the provisional mark: ``2027年1月4日（按法定节假日推算，以国务院公布的…）``."""
    return f"{text}（{PROVISIONAL_NOTE}）"


class YearState(Enum):
    """What the calendar knows about one year (shown wherever the year matters)."""

    OFFICIAL = "official"
    """The package's data (the State Council's arrangement), unchanged by the table."""
    CONFIRMED = "confirmed"
    """A table the administrator confirmed, consistent with the package (or, beyond it, with the statutory days)."""
    DIFFERS = "differs"
    """Confirmed by the administrator (or edited in a package year) with differences from the package or from the
    statutory days."""
    PROVISIONAL = "provisional"
    """Statutory days known, the 调休 bridge days and make-up working weekends not."""

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def provisional(self) -> bool:
        return self is YearState.PROVISIONAL


_STATE_LABELS = {
    YearState.OFFICIAL: "正式（国务院办公厅通知）",
    YearState.CONFIRMED: "正式（管理员已确认）",
    YearState.DIFFERS: "管理员已确认（与公布安排或法定节假日有差异）",
    YearState.PROVISIONAL: "推算（调休安排未公布）",
}


@dataclass(frozen=True)
class DayOverride:
    """One administrator-entered day: a working day (``workday=True``, e.g. 调休上班) or a day off (``False``).

    ``name`` is the holiday the day belongs to (国庆节, 春节…), also for make-up working days.
    """

    workday: bool
    name: str = ""


# Chinese names for the package's (English) holiday names.
_HOLIDAY_LABELS: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def holiday_label(package_name: str) -> str:
    """The Chinese name of a ``chinese_calendar`` holiday name (unknown names are returned unchanged)."""
    return _HOLIDAY_LABELS.get(package_name, package_name)


_PROBE_YEARS = (1990, 2200)
"""The span of years asked of the package: it has data from 2004, published a year or so ahead."""


@cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def package_years() -> range:
    """The years the installed ``chinese_calendar`` package supports (e.g. ``range(2004, 2027)``). Probed from the
    package itself over a fixed span, so the answer does not depend on today's date."""
    years = [y for y in range(_PROBE_YEARS[0], _PROBE_YEARS[1]) if _package_knows(y)]
    return range(years[0], years[-1] + 1) if years else range(0)


@cache
def _statutory(year: int) -> Mapping[date, str]:
    return statutory_holidays(year)


class _Source(Enum):
    OVERRIDE = "override"
    PACKAGE = "package"
    STATUTORY = "statutory"
    WEEKDAYS = "weekdays"


class WorkCalendar:
    """Answers whether a date is a working day under the official calendar.

    ``overrides`` win over the package; ``confirmed_years`` are years the administrator has confirmed (their
    overrides are then taken as the complete arrangement). ``use_package=False`` or a narrower
    ``package_years`` (e.g. ``range(2004, 2027)``) pins which years the package may answer, which keeps results
    stable when a newer package is installed.
    """

    def __init__(
        self,
        overrides: Mapping[date, DayOverride] | None = None,
        confirmed_years: Iterable[int] = (),
        *,
        use_package: bool = True,
        package_years: Iterable[int] | None = None,
    ) -> None:
        self._overrides: dict[date, DayOverride] = dict(overrides or {})
        self._confirmed: frozenset[int] = frozenset(confirmed_years)
        self._use_package = use_package
        self._package_limit: frozenset[int] | None = frozenset(package_years) if package_years is not None else None
        self._days: dict[date, bool] = {}
        """is_workday answers already worked out (the calendar never changes: ``with_overrides`` makes a new one)."""
        self._year_counts: dict[int, list[int]] = {}
        """Per year, the number of working days from 1 January up to and including each day of the year."""

    # --- what the calendar knows -------------------------------------------------------------------------

    @property
    def overrides(self) -> Mapping[date, DayOverride]:
        return dict(self._overrides)

    @property
    def confirmed_years(self) -> frozenset[int]:
        return self._confirmed

    def package_knows(self, year: int) -> bool:
        if not self._use_package:
            return False
        if self._package_limit is not None and year not in self._package_limit:
            return False
        return _package_knows(year)

    def knows(self, year: int) -> bool:
        """True when the year's arrangement comes from the package or was confirmed by the administrator."""
        return year in self._confirmed or self.package_knows(year)

    def unconfirmed_years(self, start: date, end: date) -> list[int]:
        """The years between ``start`` and ``end`` (inclusive, either order) that the calendar does not know: the
        provisional years (statutory days only) a date computed from ``start`` to ``end`` went through."""
        lo, hi = sorted((start.year, end.year))
        return [y for y in range(lo, hi + 1) if not self.knows(y)]

    provisional_years = unconfirmed_years

    def year_state(self, year: int) -> YearState:
        """Official, confirmed, confirmed with differences, or provisional (see ``YearState``)."""
        if not self.knows(year):
            return YearState.PROVISIONAL
        if self.package_knows(year):
            return YearState.DIFFERS if self.package_differences(year) else YearState.OFFICIAL
        return YearState.DIFFERS if self.statutory_differences(year) else YearState.CONFIRMED

    def package_differences(self, year: int) -> list[tuple[date, bool, bool]]:
        """Days of ``year`` where this calendar and the package disagree: (day, workday here, workday there).
        Empty when the package does not know the year."""
        if not self.package_knows(year):
            return []
        out = []
        for day in _year_days(year):
            here, there = self.is_workday(day), bool(chinese_calendar.is_workday(day))
            if here != there:
                out.append((day, here, there))
        return out

    def statutory_differences(self, year: int) -> list[tuple[date, str]]:
        """Statutory days off of ``year`` (by law) that this calendar makes working days, with their names."""
        return [(d, n) for d, n in _statutory(year).items() if self.is_workday(d)]

    def statutory_days(self, year: int) -> dict[date, str]:
        """The statutory days off of ``year`` by law (``reception.domain.statutory``)."""
        return dict(_statutory(year))

    def with_overrides(
        self, overrides: Mapping[date, DayOverride], confirmed_years: Iterable[int] = ()
    ) -> WorkCalendar:
        """A new calendar with more overrides and confirmed years (this one is left unchanged)."""
        merged = {**self._overrides, **overrides}
        return WorkCalendar(
            merged,
            self._confirmed | frozenset(confirmed_years),
            use_package=self._use_package,
            package_years=self._package_limit,
        )

    # --- single days ----------------------------------------------------------------------------------------

    def _source(self, d: date) -> _Source:
        if d in self._overrides:
            return _Source.OVERRIDE
        if self.package_knows(d.year):
            return _Source.PACKAGE
        if d in _statutory(d.year):
            return _Source.STATUTORY
        return _Source.WEEKDAYS

    def is_workday(self, d: date) -> bool:
        """A working day: Monday–Friday outside holidays, and make-up working weekends (调休上班)."""
        known = self._days.get(d)
        if known is None:
            known = self._days[d] = self._is_workday(d)
        return known

    def _is_workday(self, d: date) -> bool:
        source = self._source(d)
        if source is _Source.OVERRIDE:
            return self._overrides[d].workday
        if source is _Source.PACKAGE:
            return bool(chinese_calendar.is_workday(d))
        if source is _Source.STATUTORY:
            return False
        return d.weekday() < 5

    def is_holiday(self, d: date) -> bool:
        """A day off because of a public holiday (法定节假日, including days off moved into the holiday by 调休).

        Ordinary weekends are not holidays; use ``not is_workday(d)`` for "any day off".
        Every non-working override counts as a holiday.
        """
        source = self._source(d)
        if source is _Source.OVERRIDE:
            return not self._overrides[d].workday
        if source is _Source.PACKAGE:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
            return bool(on_holiday) and name is not None
        return source is _Source.STATUTORY

    def is_makeup_workday(self, d: date) -> bool:
        """A Saturday or Sunday that is a working day (调休上班)."""
        return d.weekday() >= 5 and self.is_workday(d)

    def holiday_name(self, d: date) -> str | None:
        """The holiday a day belongs to, in Chinese (国庆节…): for holidays and for make-up working days.

        ``None`` for ordinary days; an override without a name gives ``None`` too.
        """
        source = self._source(d)
        if source is _Source.OVERRIDE:
            return self._overrides[d].name or None
        if source is _Source.PACKAGE:
            _, name = chinese_calendar.get_holiday_detail(d)
            return holiday_label(name) if name else None
        if source is _Source.STATUTORY:
            return _statutory(d.year)[d]
        return None

    # --- walking ----------------------------------------------------------------------------------------------

    def next_workday(self, d: date, *, include_self: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself when ``include_self`` and it is one)."""
        day = d if include_self else d + timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def previous_workday(self, d: date, *, include_self: bool = False) -> date:
        """The last working day before ``d`` (or ``d`` itself when ``include_self`` and it is one)."""
        day = d if include_self else d - timedelta(days=1)
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def count_workdays(self, start: date, end: date) -> int:
        """How many working days from ``start`` to ``end``, both inclusive (0 when ``end`` is before ``start``).
        Per-year running counts make this cheap for long spans (a clock started years ago)."""
        if end < start:
            return 0
        first = self._year(start.year)
        before_start = first[start.timetuple().tm_yday - 2] if start.timetuple().tm_yday > 1 else 0
        if start.year == end.year:
            return first[end.timetuple().tm_yday - 1] - before_start
        total = first[-1] - before_start
        for year in range(start.year + 1, end.year):
            total += self._year(year)[-1]
        return total + self._year(end.year)[end.timetuple().tm_yday - 1]

    def _year(self, year: int) -> list[int]:
        counts = self._year_counts.get(year)
        if counts is None:
            counts, running, day = [], 0, date(year, 1, 1)
            while day.year == year:
                running += self.is_workday(day)
                counts.append(running)
                day += timedelta(days=1)
            self._year_counts[year] = counts
        return counts

    def workdays(self, start: date, end: date) -> list[date]:
        """The working days from ``start`` to ``end``, both inclusive."""
        out: list[date] = []
        day = start
        while day <= end:
            if self.is_workday(day):
                out.append(day)
            day += timedelta(days=1)
        return out

    def holidays(self, year: int) -> dict[date, str]:
        """The public-holiday days off of ``year`` with their names ('' when unnamed)."""
        day, end = date(year, 1, 1), date(year, 12, 31)
        out: dict[date, str] = {}
        while day <= end:
            if self.is_holiday(day):
                out[day] = self.holiday_name(day) or ""
            day += timedelta(days=1)
        return out

    def makeup_workdays(self, year: int) -> dict[date, str]:
        """The make-up working weekend days (调休上班) of ``year`` with the holiday they belong to."""
        day, end = date(year, 1, 1), date(year, 12, 31)
        out: dict[date, str] = {}
        while day <= end:
            if self.is_makeup_workday(day):
                out[day] = self.holiday_name(day) or ""
            day += timedelta(days=1)
        return out

    def seed_overrides(self, year: int) -> dict[date, DayOverride]:
        """The package's arrangement for ``year`` as override rows (holidays and make-up working days).

        This is what the administrator's holiday table is seeded with (existing overrides of that year are
        included); empty when the package does not know the year.
        """
        if not self.package_knows(year):
            return {}
        rows = {d: DayOverride(False, n) for d, n in self.holidays(year).items()}
        rows.update({d: DayOverride(True, n) for d, n in self.makeup_workdays(year).items()})
        return rows


def _year_days(year: int) -> list[date]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        out.append(day)
        day += timedelta(days=1)
    return out
