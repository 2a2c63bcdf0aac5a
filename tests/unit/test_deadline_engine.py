"""The deadline engine on real 2026 dates: each clock from its own event, roll-over, working days, extensions,
green / amber / red, and unconfirmed holiday years."""

from __future__ import annotations

from datetime import date

import pytest

from reception.domain.deadlines import (
    ALL_CLOCKS,
    LOCAL_CLOCKS,
    STATUTORY_CLOCKS,
    ClockColour,
    ClockKind,
    RollPolicy,
    Thresholds,
    assess,
)
from reception.domain.enums import CaseStatus
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.machine import CaseState, Settings, assess_clock, clocks, handling_due

CAL = WorkCalendar(package_years=range(2004, 2027))
D = date
ROLL = Settings()
NO_ROLL = Settings(roll=RollPolicy.NONE)
HOLIDAYS = Settings(roll=RollPolicy.HOLIDAYS_ONLY)


def _due(state: CaseState, key: str, st: Settings = ROLL) -> date:
    found = [c for c in clocks(state, CAL, st) if c.key == key]
    assert found, f"{key} not running in {state.status}"
    return found[0].due


def registered(on: date) -> CaseState:
    return CaseState(status=CaseStatus.REGISTERED, received_on=on)


def routed(on: date, status: CaseStatus = CaseStatus.ASSIGNED) -> CaseState:
    """Routed, not yet signed for by the unit."""
    return CaseState(status=status, received_on=on, unit_id="U", routed_on=on)


def signed(on: date, received: date | None = None) -> CaseState:
    """Signed for by the unit, which received the case on ``received`` (default: the routing day)."""
    return CaseState(status=CaseStatus.SIGNED, received_on=on, unit_id="U", routed_on=on, signed=True,
                     unit_received_on=received or on)


def accepted(on: date, *, extension: int = 0, simple: bool = False) -> CaseState:
    return CaseState(status=CaseStatus.EXTENDED if extension else CaseStatus.ACCEPTED, received_on=on, unit_id="U",
                     accepted_on=on, extension_days=extension, simple=simple)


def replied(on: date, level: str = "first") -> CaseState:
    return CaseState(status=CaseStatus.REPLIED, unit_id="U", reply_level=level, reply_delivered_on=on)


@pytest.mark.parametrize(
    ("what", "state", "key", "settings", "due"),
    [
        # received → register and route within 15 days; 2026-10-01 is National Day: rolls to Thursday 10-08
        ("register across National Day", registered(D(2026, 9, 16)), "register_route", ROLL, D(2026, 10, 8)),
        ("no roll-over setting", registered(D(2026, 9, 16)), "register_route", NO_ROLL, D(2026, 10, 1)),
        # ends on Saturday 2026-03-21: rolls to Monday unless only public holidays roll
        ("ends on a weekend", registered(D(2026, 3, 6)), "register_route", ROLL, D(2026, 3, 23)),
        ("weekend, holidays only", registered(D(2026, 3, 6)), "register_route", HOLIDAYS, D(2026, 3, 21)),
        # routed → the unit signs for it within 3 working days (local rule): 9-30, 10-08, 10-09
        ("sign-for over National Day", routed(D(2026, 9, 29)), "sign_for", ROLL, D(2026, 10, 9)),
        ("sign-for, forwarded", routed(D(2026, 2, 12), CaseStatus.FORWARDED), "sign_for", ROLL, D(2026, 2, 24)),
        # unit received (recorded at 签收) → notice 15 days; 2026-10-10 is a make-up working Saturday: no roll
        ("ends on a make-up Saturday", signed(D(2026, 9, 25)), "routed_notice", ROLL, D(2026, 10, 10)),
        ("notice from the unit's receipt, not the routing", signed(D(2026, 9, 20), D(2026, 9, 25)), "routed_notice",
         ROLL, D(2026, 10, 10)),
        # unit received → objection 5 working days: 2-12, 2-13, 2-14 (make-up Saturday), 2-24, 2-25
        ("objection over Spring Festival", signed(D(2026, 2, 11)), "objection", ROLL, D(2026, 2, 25)),
        ("objection from the signing day", signed(D(2026, 2, 9), received=D(2026, 2, 12)), "objection", ROLL,
         D(2026, 2, 26)),
        # accepted → 60 days; 2026-05-03 is in the Labour Day holiday
        ("handling over Labour Day", accepted(D(2026, 3, 4)), "handling", ROLL, D(2026, 5, 6)),
        ("handling ends on National Day", accepted(D(2026, 8, 3)), "handling", ROLL, D(2026, 10, 8)),
        # extension: 30 days from the original, unrolled last day 10-02 → 11-01 (Sunday) → 11-02
        ("extension of 30 days", accepted(D(2026, 8, 3), extension=30), "handling", ROLL, D(2026, 11, 2)),
        ("extension of 10 days", accepted(D(2026, 8, 3), extension=10), "handling", ROLL, D(2026, 10, 12)),
        # fast track: 10 working days from acceptance, across National Day (9-30, 10-8, 10-9, 10-10 …)
        ("simple track", accepted(D(2026, 9, 28), simple=True), "simple_track", ROLL, D(2026, 10, 16)),
        # reply delivered → review request 30 days (2026-05-04 is Labour Day → 05-06)
        ("review request window", replied(D(2026, 4, 4)), "review_request", ROLL, D(2026, 5, 6)),
        ("recheck request window", replied(D(2026, 4, 4), "review"), "recheck_request", ROLL, D(2026, 5, 6)),
        ("evaluation window", replied(D(2026, 4, 4)), "evaluation", ROLL, D(2026, 5, 6)),
        ("review decision", CaseState(status=CaseStatus.IN_REVIEW, review_requested_on=D(2026, 1, 20)),
         "review_decision", ROLL, D(2026, 2, 24)),  # 02-19 in the Spring Festival → first working day 02-24
        ("recheck decision", CaseState(status=CaseStatus.IN_RECHECK, recheck_requested_on=D(2026, 6, 1)),
         "recheck_decision", ROLL, D(2026, 7, 1)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_clock_from_its_own_event(what: str, state: CaseState, key: str, settings: Settings, due: date) -> None:
    assert _due(state, key, settings) == due


def test_clocks_of_each_state() -> None:
    assert [c.key for c in clocks(registered(D(2026, 9, 16)), CAL, ROLL)] == ["register_route"]
    assert [(c.key, c.kind) for c in clocks(routed(D(2026, 9, 16)), CAL, ROLL)] == [("sign_for", ClockKind.DUTY)]
    assert [(c.key, c.kind) for c in clocks(signed(D(2026, 9, 16)), CAL, ROLL)] == [
        ("routed_notice", ClockKind.DUTY), ("objection", ClockKind.WINDOW)]
    assert [c.key for c in clocks(accepted(D(2026, 9, 16)), CAL, ROLL)] == ["handling"]
    assert [c.key for c in clocks(replied(D(2026, 9, 16)), CAL, ROLL)] == ["review_request", "evaluation"]
    closed = replied(D(2026, 9, 16))
    closed.status = CaseStatus.CLOSED
    assert [c.key for c in clocks(closed, CAL, ROLL)] == ["review_request"]
    for status in (CaseStatus.FINAL, CaseStatus.LEGAL_CHANNEL, CaseStatus.NOT_ACCEPTED):
        assert clocks(CaseState(status=status, received_on=D(2026, 9, 16)), CAL, ROLL) == []


@pytest.mark.parametrize(
    ("on", "colour", "left", "elapsed"),
    [
        (D(2026, 3, 4), ClockColour.GREEN, 63, 0),
        (D(2026, 4, 23), ClockColour.GREEN, 13, 50),
        (D(2026, 4, 24), ClockColour.AMBER, 12, 51),  # 20 % of 60 days = 12 days left
        (D(2026, 5, 6), ClockColour.AMBER, 0, 63),  # the last day is still in time
        (D(2026, 5, 7), ClockColour.RED, -1, 64),
    ],
)
def test_handling_colours(on: date, colour: ClockColour, left: int, elapsed: int) -> None:
    a = assess("handling", D(2026, 3, 4), D(2026, 5, 6), on, CAL)
    assert (a.colour, a.left, a.elapsed, a.allowed) == (colour, left, elapsed, 60)
    assert a.overdue is (colour is ClockColour.RED)


def test_amber_threshold_is_a_setting_and_small_clocks_use_the_days() -> None:
    # 5 working days: 20 % is one day, so the 3-day rule decides: amber from 3 working days before 02-25
    a = assess("objection", D(2026, 2, 11), D(2026, 2, 25), D(2026, 2, 14), CAL, kind=ClockKind.WINDOW)
    # three working days before 02-25 are 02-24, 02-14 (the make-up Saturday) and 02-13
    assert a.amber_from == D(2026, 2, 13)
    assert a.colour is ClockColour.AMBER and a.left == 2
    assert assess("objection", D(2026, 2, 11), D(2026, 2, 25), D(2026, 2, 26), CAL,
                  kind=ClockKind.WINDOW).colour is ClockColour.EXPIRED
    strict = Thresholds(amber_days=1, amber_fraction=0.0)
    assert assess("handling", D(2026, 3, 4), D(2026, 5, 6), D(2026, 4, 24), CAL,
                  thresholds=strict).colour is ClockColour.GREEN
    assert assess("handling", D(2026, 3, 4), D(2026, 5, 6), D(2026, 5, 5), CAL,
                  thresholds=strict).colour is ClockColour.AMBER


def test_a_short_clock_starts_green() -> None:
    # sign_for: 3 working days from Friday 09-18 (09-20 is a make-up working Sunday): 09-20, 09-21, 09-22
    a = assess("sign_for", D(2026, 9, 18), D(2026, 9, 22), D(2026, 9, 18), CAL)
    assert a.colour is ClockColour.GREEN and a.amber_from == D(2026, 9, 20)
    assert assess("sign_for", D(2026, 9, 18), D(2026, 9, 22), D(2026, 9, 21), CAL).colour is ClockColour.AMBER
    assert assess("sign_for", D(2026, 9, 18), D(2026, 9, 22), D(2026, 9, 23), CAL).colour is ClockColour.RED


def test_extended_case_is_not_overdue_before_the_extended_date() -> None:
    plain, extended = accepted(D(2026, 8, 3)), accepted(D(2026, 8, 3), extension=30)
    assert handling_due(plain, CAL, ROLL) == D(2026, 10, 8)
    assert handling_due(extended, CAL, ROLL) == D(2026, 11, 2)
    assert assess("handling", D(2026, 8, 3), D(2026, 10, 8), D(2026, 10, 20), CAL).colour is ClockColour.RED
    a = assess("handling", D(2026, 8, 3), D(2026, 11, 2), D(2026, 10, 20), CAL, extended_by=30)
    assert (a.colour, a.allowed, a.left) == (ClockColour.AMBER, 90, 13)
    assert a.text == "允许90日，已用78日，剩余13日"


def test_due_date_in_an_unconfirmed_year_is_flagged() -> None:
    a = assess("handling", D(2026, 12, 20), D(2027, 2, 18), D(2026, 12, 21), CAL)
    assert a.unconfirmed_years == (2027,)
    confirmed = CAL.with_overrides({}, confirmed_years=[2027])
    assert assess("handling", D(2026, 12, 20), D(2027, 2, 18), D(2026, 12, 21), confirmed).unconfirmed_years == ()
    assert assess("handling", D(2026, 3, 4), D(2026, 5, 6), D(2026, 3, 5), CAL).unconfirmed_years == ()


def test_window_text_and_working_day_text() -> None:
    a = assess("objection", D(2026, 2, 11), D(2026, 2, 25), D(2026, 2, 27), CAL, kind=ClockKind.WINDOW)
    assert a.text.endswith("已届满")
    b = assess("objection", D(2026, 2, 11), D(2026, 2, 25), D(2026, 2, 27), CAL)
    assert b.text == "允许5个工作日，已用7个工作日，超期2个工作日"


def test_local_clocks_are_separate_from_the_statutory_table() -> None:
    assert set(LOCAL_CLOCKS) == {"sign_for", "evaluation", "supervision"}
    assert not set(LOCAL_CLOCKS) & set(STATUTORY_CLOCKS)
    assert list(ALL_CLOCKS)[: len(STATUTORY_CLOCKS)] == list(STATUTORY_CLOCKS)
    assert all(not c.basis_confirmed for c in LOCAL_CLOCKS.values())


def in_recheck(requested: date, *, hearing_days: int = 0, since: date | None = None) -> CaseState:
    return CaseState(status=CaseStatus.IN_RECHECK, recheck_requested_on=requested, hearing_days=hearing_days,
                     hearing_since=since)


@pytest.mark.parametrize(
    ("what", "state", "on", "due", "colour", "elapsed"),
    [
        # 30 days from 06-01 end on Wednesday 07-01
        ("no hearing", in_recheck(D(2026, 6, 1)), D(2026, 6, 20), D(2026, 7, 1), ClockColour.GREEN, 19),
        # a one-day hearing (06-10) is not counted: 07-02
        ("one-day hearing", in_recheck(D(2026, 6, 1), hearing_days=1), D(2026, 6, 20), D(2026, 7, 2),
         ClockColour.GREEN, 18),
        # three days (06-10..06-12): 07-04 is a Saturday, rolls to Monday 07-06
        ("three-day hearing", in_recheck(D(2026, 6, 1), hearing_days=3), D(2026, 7, 3), D(2026, 7, 6),
         ClockColour.AMBER, 29),
        # a hearing running since 06-25, seen on 06-28: 4 days so far, the due date moves with it; never red
        ("hearing in progress", in_recheck(D(2026, 6, 1), since=D(2026, 6, 25)), D(2026, 6, 28), D(2026, 7, 6),
         ClockColour.PAUSED, 23),
        ("long hearing past the old due date", in_recheck(D(2026, 6, 1), since=D(2026, 6, 25)), D(2026, 7, 20),
         D(2026, 7, 27), ClockColour.PAUSED, 23),
        # requested 09-01: 10-01 is National Day → 10-08; a 7-day hearing lands on 10-08 itself, 8 days on 10-09
        ("National Day, no hearing", in_recheck(D(2026, 9, 1)), D(2026, 9, 2), D(2026, 10, 8), ClockColour.GREEN, 1),
        ("National Day, 7 days of hearing", in_recheck(D(2026, 9, 1), hearing_days=7), D(2026, 9, 20),
         D(2026, 10, 8), ClockColour.GREEN, 12),
        ("National Day, 8 days of hearing", in_recheck(D(2026, 9, 1), hearing_days=8), D(2026, 10, 9),
         D(2026, 10, 9), ClockColour.AMBER, 30),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_recheck_hearing_time_is_not_counted(what: str, state: CaseState, on: date, due: date,
                                             colour: ClockColour, elapsed: int) -> None:
    [clock] = clocks(state, CAL, ROLL)
    assert clock.key == "recheck_decision"
    assert clock.kind is (ClockKind.PAUSED if state.hearing_since else ClockKind.DUTY)
    a = assess_clock(clock, on, CAL, ROLL)
    assert (a.due, a.colour, a.elapsed, a.allowed) == (due, colour, elapsed, 30)
    if a.paused:
        assert a.text.endswith("听证期间暂停计时") and not a.overdue


def test_counting_working_days_over_years_matches_walking_them() -> None:
    from datetime import timedelta

    from reception.domain.deadlines import working_days_between

    cal = WorkCalendar(package_years=range(2004, 2027))
    pairs = [(D(2026, 2, 11), D(2026, 2, 25)), (D(2023, 12, 31), D(2026, 11, 27)), (D(2026, 1, 1), D(2026, 1, 1)),
             (D(2024, 2, 28), D(2024, 3, 1)), (D(2025, 12, 31), D(2027, 1, 4)), (D(2026, 9, 18), D(2026, 9, 22))]
    for a, b in pairs:
        walked = sum(1 for n in range(1, (b - a).days + 1) if cal.is_workday(a + timedelta(days=n)))
        assert working_days_between(a, b, cal) == walked, (a, b)
        assert working_days_between(b, a, cal) == -walked
        assert cal.count_workdays(a, b) == len(cal.workdays(a, b))
    assert working_days_between(D(2026, 2, 11), D(2026, 2, 25), cal) == 5  # the make-up Saturday counts
