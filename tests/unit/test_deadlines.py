"""The official working-day calendar and the statutory deadlines computed on it (real 2026 dates)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reception.domain.deadlines import (
    DEFAULT_ROLL,
    STATUTORY_CLOCKS,
    ClockEvent,
    ClockUnit,
    RollPolicy,
    add_calendar_days,
    add_working_days,
    deadline,
    due_date,
    elapsed,
    roll_forward,
    working_days_between,
)
from reception.domain.workcalendar import (
    DayOverride,
    UnconfirmedYearWarning,
    WorkCalendar,
    YearState,
    package_years,
)

# The package as of this writing knows 2004–2026; pin it so a newer package cannot change these tests.
CAL = WorkCalendar(package_years=range(2004, 2027))

D = date


# --- calendar: 2026 facts (checked against chinese_calendar 1.11 and the State Council notice) --------------


@pytest.mark.parametrize(
    ("day", "workday", "holiday", "name"),
    [
        (D(2026, 1, 1), False, True, "元旦"),
        (D(2026, 1, 4), True, False, "元旦"),  # Sunday, make-up working day
        (D(2026, 2, 13), True, False, None),  # Friday before the Spring Festival
        (D(2026, 2, 14), True, False, "春节"),  # Saturday, make-up working day
        (D(2026, 2, 15), False, True, "春节"),
        (D(2026, 2, 17), False, True, "春节"),  # 正月初一
        (D(2026, 2, 23), False, True, "春节"),  # Monday off (调休)
        (D(2026, 2, 24), True, False, None),
        (D(2026, 2, 28), True, False, "春节"),  # Saturday, make-up working day
        (D(2026, 3, 7), False, False, None),  # ordinary Saturday: day off, not a holiday
        (D(2026, 3, 9), True, False, None),
        (D(2026, 9, 20), True, False, "国庆节"),  # Sunday, make-up working day
        (D(2026, 9, 25), False, True, "中秋节"),
        (D(2026, 10, 1), False, True, "国庆节"),
        (D(2026, 10, 4), False, True, "国庆节"),
        (D(2026, 10, 7), False, True, "国庆节"),
        (D(2026, 10, 8), True, False, None),
        (D(2026, 10, 10), True, False, "国庆节"),  # Saturday, make-up working day
        (D(2026, 10, 11), False, False, None),
    ],
)
def test_calendar_2026(day: date, workday: bool, holiday: bool, name: str | None) -> None:
    assert CAL.is_workday(day) is workday
    assert CAL.is_holiday(day) is holiday
    assert CAL.holiday_name(day) == name


def test_national_day_week_2026() -> None:
    days = [D(2026, 10, 1) + timedelta(days=i) for i in range(7)]
    assert all(CAL.is_holiday(d) and not CAL.is_workday(d) for d in days)
    assert CAL.workdays(D(2026, 9, 28), D(2026, 10, 11)) == [
        D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10),
    ]  # fmt: skip


def test_makeup_workdays_2026() -> None:
    assert CAL.makeup_workdays(2026) == {
        D(2026, 1, 4): "元旦",
        D(2026, 2, 14): "春节",
        D(2026, 2, 28): "春节",
        D(2026, 5, 9): "劳动节",
        D(2026, 9, 20): "国庆节",
        D(2026, 10, 10): "国庆节",
    }
    assert CAL.is_makeup_workday(D(2026, 2, 14))
    assert not CAL.is_makeup_workday(D(2026, 2, 13))


def test_package_years() -> None:
    years = package_years()
    assert 2004 in years and 2026 in years
    default = WorkCalendar()
    assert default.knows(2026)
    assert not default.knows(2099)


# --- unknown and confirmed years ------------------------------------------------------------------------------

# Test data only: a made-up arrangement standing in for the one the administrator enters for 2027.
OVERRIDES_2027 = {
    D(2027, 1, 1): DayOverride(False, "元旦"),
    D(2027, 2, 6): DayOverride(True, "春节"),  # a Saturday turned into a working day
    D(2027, 2, 8): DayOverride(False, "春节"),
}


def test_unknown_year_is_provisional_with_its_statutory_days() -> None:
    assert not CAL.knows(2027) and CAL.year_state(2027) is YearState.PROVISIONAL
    assert not CAL.is_workday(D(2027, 1, 1))  # a Friday, but 元旦 by law
    assert CAL.is_holiday(D(2027, 1, 1)) and CAL.holiday_name(D(2027, 1, 1)) == "元旦"
    assert not CAL.is_workday(D(2027, 1, 2))  # Saturday
    assert CAL.is_workday(D(2027, 1, 4))
    assert CAL.holiday_name(D(2027, 1, 4)) is None
    assert [d for d in CAL.holidays(2027) if d.weekday() < 5] == [
        D(2027, 1, 1), D(2027, 2, 5), D(2027, 2, 8), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15),
        D(2027, 10, 1)]
    assert CAL.makeup_workdays(2027) == {}  # (调休 not known)
    assert CAL.unconfirmed_years(D(2026, 12, 1), D(2027, 2, 1)) == [2027]
    assert CAL.unconfirmed_years(D(2026, 1, 1), D(2026, 12, 31)) == []
    assert CAL.unconfirmed_years(D(2028, 1, 1), D(2026, 1, 1)) == [2027, 2028]


def test_confirmed_override_table_makes_the_year_known() -> None:
    cal = CAL.with_overrides(OVERRIDES_2027, confirmed_years={2027})
    assert cal.knows(2027)
    assert not CAL.knows(2027), "with_overrides returns a new calendar"
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_holiday(D(2027, 1, 1))
    assert cal.holiday_name(D(2027, 1, 1)) == "元旦"
    assert cal.is_workday(D(2027, 2, 6)) and cal.is_makeup_workday(D(2027, 2, 6))
    assert cal.is_workday(D(2027, 3, 1))
    assert cal.unconfirmed_years(D(2026, 12, 1), D(2027, 2, 1)) == []


def test_overrides_without_confirmation_are_used_but_year_stays_unconfirmed() -> None:
    cal = WorkCalendar(OVERRIDES_2027, package_years=range(2004, 2027))
    assert not cal.is_workday(D(2027, 1, 1))
    assert not cal.knows(2027)


def test_override_corrects_a_package_year() -> None:
    cal = WorkCalendar({D(2026, 10, 9): DayOverride(False, "国庆节")}, package_years=range(2004, 2027))
    assert not cal.is_workday(D(2026, 10, 9))
    assert cal.is_holiday(D(2026, 10, 9))
    assert cal.knows(2026)


def test_seed_overrides_reproduce_the_package() -> None:
    seed = CAL.seed_overrides(2026)
    assert seed[D(2026, 10, 10)] == DayOverride(True, "国庆节")
    assert seed[D(2026, 2, 17)] == DayOverride(False, "春节")
    assert CAL.seed_overrides(2027) == {}
    table_only = WorkCalendar(seed, confirmed_years={2026}, use_package=False)
    assert table_only.knows(2026)
    day = D(2026, 1, 1)
    while day.year == 2026:
        assert table_only.is_workday(day) is CAL.is_workday(day) is bool(chinese_calendar.is_workday(day))
        assert table_only.is_holiday(day) is CAL.is_holiday(day)
        day += timedelta(days=1)


def test_unconfirmed_year_warning_message() -> None:
    warning = UnconfirmedYearWarning([2028, 2027, 2027])
    assert warning.years == (2027, 2028)
    assert "2027年" in str(warning) and "按法定节假日推算" in str(warning)


# --- calendar days -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "roll", "due"),
    [
        # 15 days from 2026-09-16 end on 10-01 (National Day): roll past the holiday week
        (D(2026, 9, 16), 15, RollPolicy.NON_WORKING_DAYS, D(2026, 10, 8)),
        (D(2026, 9, 16), 15, RollPolicy.HOLIDAYS_ONLY, D(2026, 10, 8)),
        (D(2026, 9, 16), 15, RollPolicy.NONE, D(2026, 10, 1)),
        # 15 days from Friday 2026-03-06 end on Saturday 03-21
        (D(2026, 3, 6), 15, RollPolicy.NON_WORKING_DAYS, D(2026, 3, 23)),
        (D(2026, 3, 6), 15, RollPolicy.HOLIDAYS_ONLY, D(2026, 3, 21)),
        (D(2026, 3, 6), 15, RollPolicy.NONE, D(2026, 3, 21)),
        # ending on the make-up working Saturday 2026-10-10: no roll
        (D(2026, 9, 25), 15, RollPolicy.NON_WORKING_DAYS, D(2026, 10, 10)),
        # ending on the 调休 Monday 2026-02-23 (a holiday day off)
        (D(2026, 2, 8), 15, RollPolicy.HOLIDAYS_ONLY, D(2026, 2, 24)),
        # an ordinary working day
        (D(2026, 3, 2), 15, RollPolicy.NON_WORKING_DAYS, D(2026, 3, 17)),
        (D(2026, 3, 2), 0, RollPolicy.NON_WORKING_DAYS, D(2026, 3, 2)),
        # 60 days, ending on Sunday 2026-05-03 inside the Labour Day holiday (05-01..05-05)
        (D(2026, 3, 4), 60, RollPolicy.NON_WORKING_DAYS, D(2026, 5, 6)),
    ],
)
def test_add_calendar_days(start: date, days: int, roll: RollPolicy, due: date) -> None:
    assert add_calendar_days(start, days, CAL, roll) == due


def test_default_roll_is_non_working_days() -> None:
    assert DEFAULT_ROLL is RollPolicy.NON_WORKING_DAYS
    assert add_calendar_days(D(2026, 3, 6), 15, CAL) == D(2026, 3, 23)


def test_negative_days_rejected() -> None:
    with pytest.raises(ValueError):
        add_calendar_days(D(2026, 3, 6), -1, CAL)


def test_roll_forward() -> None:
    assert roll_forward(D(2026, 10, 3), CAL) == D(2026, 10, 8)
    assert roll_forward(D(2026, 10, 10), CAL) == D(2026, 10, 10)
    assert roll_forward(D(2026, 10, 11), CAL, RollPolicy.HOLIDAYS_ONLY) == D(2026, 10, 11)


# --- working days --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # 5 working days across the Spring Festival: Feb 11, 12, 13, 14 (make-up Saturday), then Feb 24
        (D(2026, 2, 10), 5, D(2026, 2, 24)),
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        # Feb 27, 28 (make-up Saturday), Mar 2, 3, 4
        (D(2026, 2, 26), 5, D(2026, 3, 4)),
        # across National Day: Sep 30, Oct 8, 9, 10 (make-up Saturday), 12
        (D(2026, 9, 29), 5, D(2026, 10, 12)),
        # started on a holiday
        (D(2026, 10, 3), 1, D(2026, 10, 8)),
        (D(2026, 3, 2), 0, D(2026, 3, 2)),
        # backwards, for reminders
        (D(2026, 2, 24), -1, D(2026, 2, 14)),
        (D(2026, 2, 24), -5, D(2026, 2, 10)),
    ],
)
def test_add_working_days(start: date, n: int, due: date) -> None:
    assert add_working_days(start, n, CAL) == due


def test_working_days_between() -> None:
    assert working_days_between(D(2026, 2, 10), D(2026, 2, 24), CAL) == 5
    assert working_days_between(D(2026, 2, 24), D(2026, 2, 10), CAL) == -5
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7), CAL) == 0
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 2), CAL) == 0


@given(st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 11, 30)), st.integers(min_value=0, max_value=40))
def test_property_working_days_inverse(start: date, n: int) -> None:
    due = add_working_days(start, n, CAL)
    assert working_days_between(start, due, CAL) == n
    if n:
        assert CAL.is_workday(due)


@given(
    st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 10, 31)),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(list(RollPolicy)),
)
def test_property_calendar_days_never_early(start: date, days: int, roll: RollPolicy) -> None:
    due = add_calendar_days(start, days, CAL, roll)
    raw = start + timedelta(days=days)
    assert due >= raw
    if roll is RollPolicy.NON_WORKING_DAYS:
        assert CAL.is_workday(due)
    if due > raw:  # only days off are skipped
        assert all(not CAL.is_workday(raw + timedelta(days=i)) for i in range((due - raw).days))


# --- statutory clocks -----------------------------------------------------------------------------------------


def test_statutory_clock_table() -> None:
    expected = {
        "register_route": (15, ClockUnit.CALENDAR, ClockEvent.RECEIVED, "第二十二条"),
        "direct_notice": (15, ClockUnit.CALENDAR, ClockEvent.RECEIVED, "第二十三条"),
        "routed_notice": (15, ClockUnit.CALENDAR, ClockEvent.UNIT_RECEIVED, "第二十三条"),
        "objection": (5, ClockUnit.WORKING, ClockEvent.UNIT_RECEIVED, "第二十三条"),
        "handling": (60, ClockUnit.CALENDAR, ClockEvent.ACCEPTED, "第三十四条"),
        "extension": (30, ClockUnit.CALENDAR, ClockEvent.HANDLING_DUE, "第三十四条"),
        "review_request": (30, ClockUnit.CALENDAR, ClockEvent.REPLY_DELIVERED, "第三十五条"),
        "review_decision": (30, ClockUnit.CALENDAR, ClockEvent.REVIEW_REQUESTED, "第三十五条"),
        "recheck_request": (30, ClockUnit.CALENDAR, ClockEvent.REVIEW_OPINION_DELIVERED, "第三十六条"),
        "recheck_decision": (30, ClockUnit.CALENDAR, ClockEvent.RECHECK_REQUESTED, "第三十六条"),
        "simple_track": (10, ClockUnit.WORKING, ClockEvent.ACCEPTED, "简易办理"),
    }
    assert list(STATUTORY_CLOCKS) == list(expected)
    for key, (amount, unit, event, article) in expected.items():
        clock = STATUTORY_CLOCKS[key]
        assert clock.key == key
        assert (clock.amount, clock.unit, clock.starts_from) == (amount, unit, event)
        assert article in clock.basis
        assert clock.label
    assert STATUTORY_CLOCKS["extension"].maximum
    assert STATUTORY_CLOCKS["handling"].description == "自受理之日起60日内"
    assert STATUTORY_CLOCKS["objection"].description == "自责任单位收到转送、交办事项之日起5个工作日内"
    with pytest.raises(TypeError):
        STATUTORY_CLOCKS["x"] = STATUTORY_CLOCKS["handling"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("key", "start", "due"),
    [
        ("register_route", D(2026, 9, 16), D(2026, 10, 8)),  # ends on National Day, rolls
        ("register_route", D(2026, 3, 6), D(2026, 3, 23)),  # ends on a Saturday, rolls
        ("routed_notice", D(2026, 9, 25), D(2026, 10, 10)),  # ends on the make-up Saturday
        ("objection", D(2026, 2, 10), D(2026, 2, 24)),  # 5 working days across the Spring Festival
        ("handling", D(2026, 3, 4), D(2026, 5, 6)),
        ("review_request", D(2026, 1, 19), D(2026, 2, 24)),  # 30 days end on 02-18, in the Spring Festival
    ],
)
def test_due_date(key: str, start: date, due: date) -> None:
    assert due_date(key, start, CAL) == due


def test_simple_track_counts_make_up_days() -> None:
    # Sep 25–27 is the Mid-autumn holiday, Oct 1–7 National Day; working days after Thursday Sep 24:
    # Sep 28, 29, 30, Oct 8, 9, 10 (make-up Saturday), 12, 13, 14, 15
    assert due_date("simple_track", D(2026, 9, 24), CAL) == D(2026, 10, 15)
    assert working_days_between(D(2026, 9, 24), D(2026, 10, 15), CAL) == 10


def test_due_date_extension_amount() -> None:
    handling_due = add_calendar_days(D(2026, 3, 4), 60, CAL, RollPolicy.NONE)
    assert handling_due == D(2026, 5, 3)
    assert due_date("extension", handling_due, CAL) == D(2026, 6, 2)
    assert due_date("extension", handling_due, CAL, amount=20) == D(2026, 5, 25)  # 05-23 is a Saturday
    with pytest.raises(ValueError):
        due_date("extension", handling_due, CAL, amount=31)
    with pytest.raises(KeyError):
        due_date("no_such_clock", handling_due, CAL)


def test_deadline_across_an_unconfirmed_year() -> None:
    dl = deadline("handling", D(2026, 11, 28), CAL)
    assert dl.due == D(2027, 1, 27)  # statutory days only in 2027: a Wednesday
    assert dl.unconfirmed_years == (2027,)
    assert not dl.confirmed
    confirmed = deadline("handling", D(2026, 11, 28), CAL.with_overrides(OVERRIDES_2027, {2027}))
    assert confirmed.confirmed
    assert deadline("handling", D(2026, 3, 4), CAL).confirmed


def test_elapsed() -> None:
    assert elapsed("handling", D(2026, 3, 4), D(2026, 3, 14), CAL) == 10
    assert elapsed("objection", D(2026, 2, 10), D(2026, 2, 24), CAL) == 5
    assert elapsed("objection", D(2026, 2, 10), D(2026, 2, 20), CAL) == 4
