"""Report periods: a year (年度), a half-year (上半年 / 下半年), a quarter, a month or any range of days.

A period is a closed range of local calendar days (``start`` to ``end`` inclusive): the ``*_on`` columns the
figures count are local days, so no time zone enters the arithmetic.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from reception.domain.errors import FieldError


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    label: str
    kind: str = "range"
    """year, half, quarter, month or range."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FieldError("period", "结束日期不能早于开始日期", key="period_order")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> Iterator[tuple[int, int]]:
        """(year, month) of every month the period touches, in order."""
        y, m = self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            yield y, m
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    def to_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label, "kind": self.kind}


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), f"{y}年度", "year")


def half(y: int, h: int) -> Period:
    if h not in (1, 2):
        raise FieldError("period", "半年只能是上半年或下半年", key="period_half")
    if h == 1:
        return Period(date(y, 1, 1), date(y, 6, 30), f"{y}年上半年", "half")
    return Period(date(y, 7, 1), date(y, 12, 31), f"{y}年下半年", "half")


def quarter(y: int, q: int) -> Period:
    if not 1 <= q <= 4:
        raise FieldError("period", "季度应为1至4", key="period_quarter")
    first = 3 * (q - 1) + 1
    last = first + 2
    return Period(date(y, first, 1), date(y, last, calendar.monthrange(y, last)[1]),
                  f"{y}年第{'一二三四'[q - 1]}季度", "quarter")


def month(y: int, m: int) -> Period:
    if not 1 <= m <= 12:
        raise FieldError("period", "月份应为1至12", key="period_month")
    return Period(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]), f"{y}年{m}月", "month")


def day_range(start: date, end: date) -> Period:
    if end < start:
        raise FieldError("period", "结束日期不能早于开始日期", key="period_order")
    if start == end:
        return Period(start, end, f"{start.year}年{start.month}月{start.day}日", "range")
    return Period(start, end, f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日",
                  "range")


def of(start: date, end: date) -> Period:
    """The period from ``start`` to ``end``, labelled as a year / half / quarter / month when it is exactly one."""
    if start.day == 1:
        for p in _candidates(start):
            if p.start == start and p.end == end:
                return p
    return day_range(start, end)


def _candidates(start: date) -> list[Period]:
    y, m = start.year, start.month
    out = [month(y, m)]
    if m in (1, 4, 7, 10):
        out.append(quarter(y, (m - 1) // 3 + 1))
    if m in (1, 7):
        out.append(half(y, 1 if m == 1 else 2))
    if m == 1:
        out.append(year(y))
    return out


def half_of(day: date) -> Period:
    """The half-year a day falls in (the 一考一评 review period)."""
    return half(day.year, 1 if day.month <= 6 else 2)


def last_months(day: date, n: int) -> Period:
    """The ``n`` whole months up to and including the month of ``day`` (the dashboard's trend)."""
    y, m = day.year, day.month
    for _ in range(n - 1):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    end = month(day.year, day.month).end
    return day_range(date(y, m, 1), end)


_SPEC = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{1,2}))?$", re.IGNORECASE)


def parse(spec: str) -> Period:
    """``2021`` (year), ``2021-H1`` (half), ``2021-Q3`` (quarter), ``2021-09`` (month) or
    ``2021-01-01..2021-06-30`` (range). ``FieldError`` on anything else."""
    s = spec.strip()
    if ".." in s:
        a, _, b = s.partition("..")
        return day_range(parse_day(a), parse_day(b))
    m = _SPEC.match(s)
    if not m:
        raise FieldError("period", f"无法识别的统计期间“{spec}”（例：2021、2021-H1、2021-Q3、2021-09）",
                         key="period_spec")
    y = int(m.group(1))
    part = (m.group(2) or "").upper()
    if not part:
        return year(y)
    if part.startswith("H"):
        return half(y, int(part[1]))
    if part.startswith("Q"):
        return quarter(y, int(part[1]))
    return month(y, int(part))


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError("period", f"日期格式应为 YYYY-MM-DD：“{text.strip()}”", key="period_date") from None

