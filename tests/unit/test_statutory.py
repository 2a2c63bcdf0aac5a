"""The statutory holidays computed from the lunar calendar and the solar terms, checked against chinese-calendar."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from reception.domain.statutory import rules_for, statutory_holidays
from reception.domain.workcalendar import package_years


def test_every_statutory_day_is_a_day_off_in_every_year_the_package_knows() -> None:
    years = package_years()
    assert years.start <= 2008 and years.stop >= 2027
    for year in years:
        days = statutory_holidays(year)
        together = sum(1 for n in days.values() if "、" in n)  # 中秋 on 1-3 October (2009, 2020)
        assert len(days) == rules_for(year).total - together
        for day, name in days.items():
            assert not chinese_calendar.is_workday(day), f"{day} ({name}) is a working day in chinese-calendar"
            on_holiday, package_name = chinese_calendar.get_holiday_detail(day)
            if day.weekday() < 5:  # (on a weekend the package sometimes names only the weekday given in lieu, 补休)
                assert on_holiday and package_name is not None, f"{day} ({name}) is no holiday in chinese-calendar"


def test_the_rules_of_each_revision() -> None:
    assert rules_for(2025).total == 13 and rules_for(2024).total == 11 and rules_for(2010).total == 11
    assert rules_for(2005).total == 10


@pytest.mark.parametrize(("year", "expected"), [
    # 2025: 除夕 was 腊月廿九 (腊月 had 29 days) — 28 January, not "腊月三十"
    (2025, {date(2025, 1, 1), date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31),
            date(2025, 4, 4), date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 31), date(2025, 10, 6),
            date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}),
    (2027, {date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8),
            date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2), date(2027, 6, 9), date(2027, 9, 15),
            date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)}),
    (2028, {date(2028, 1, 1), date(2028, 1, 25), date(2028, 1, 26), date(2028, 1, 27), date(2028, 1, 28),
            date(2028, 4, 4), date(2028, 5, 1), date(2028, 5, 2), date(2028, 5, 28), date(2028, 10, 3),
            date(2028, 10, 1), date(2028, 10, 2)}),
])
def test_known_years(year: int, expected: set[date]) -> None:
    assert set(statutory_holidays(year)) == expected


def test_names_of_2027() -> None:
    days = statutory_holidays(2027)
    assert days[date(2027, 2, 5)] == "春节" and days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert statutory_holidays(2020)[date(2020, 10, 1)] == "国庆节、中秋节"
