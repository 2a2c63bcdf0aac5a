"""收件日期: a letter or online petition is received before it is registered; the Art. 22 clock and the receipt's
printed deadlines count from the day it arrived. Real 2026 dates (the desk's clock stands at 2026-09-16)."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from reception.db.models import Case, CaseClock, CaseEvent
from reception.domain.enums import Channel, RoutingAction
from reception.domain.errors import FieldErrors
from reception.intake.service import register_in_session
from reception.lifecycle import service as lc
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, save

D = date


def cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def clocks_of(desk: Desk, case_id: str) -> dict[str, date]:
    with desk.ctx.db.read() as s:
        return {c.clock_key: c.due_on for c in s.scalars(select(CaseClock).where(CaseClock.case_id == case_id))}


@pytest.mark.parametrize(
    ("channel", "received", "due"),
    [
        # a letter received 09-01, registered 09-16: 15 days from receipt end today, Wednesday 09-16
        (Channel.LETTER, D(2026, 9, 1), D(2026, 9, 16)),
        # online on 09-10: 09-25 is the Mid-Autumn Festival, then a weekend: Monday 09-28
        (Channel.ONLINE, D(2026, 9, 10), D(2026, 9, 28)),
        # received the day it is registered: as if not given (10-01 is National Day → 10-08)
        (Channel.LETTER, D(2026, 9, 16), D(2026, 10, 8)),
        # a letter from the turn of the year 2025/26, registered late: long overdue at once
        (Channel.ONLINE, D(2025, 12, 31), D(2026, 1, 15)),
    ],
)
def test_the_register_clock_runs_from_the_day_received(desk: Desk, channel: Channel, received: date,
                                                       due: date) -> None:
    result = save(desk, form(desk, channel=channel, received_on=received,
                             routing_action=RoutingAction.LEADER_RECEPTION, unit_id=None), receipt=True)
    assert clocks_of(desk, result.case_id) == {"register_route": due}
    with desk.ctx.db.read() as s:
        case = s.get(Case, result.case_id)
        assert case is not None and case.received_on == received and case.registered_on == D(2026, 9, 16)
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "received"))
        assert event is not None and event.data["received_on"] == received.isoformat()
    assert result.receipt_path is not None
    text = "".join(p.extract_text() for p in PdfReader(result.receipt_path).pages)
    assert cn(due) in text
    assert f"收件日期{cn(received)}" in text.replace("\n", "")


def test_assigned_letter_prints_the_register_deadline_from_receipt_and_the_notice_from_signing(desk: Desk) -> None:
    result = save(desk, form(desk, channel=Channel.LETTER, received_on=D(2026, 9, 10)), receipt=True)
    assert set(clocks_of(desk, result.case_id)) == {"sign_for"}
    assert result.receipt_path is not None
    text = "".join(p.extract_text() for p in PdfReader(result.receipt_path).pages)
    assert "2026年9月28日" in text  # 登记并转送、交办, counted from the letter's arrival
    assert "签收" in text  # the unit's notice runs from its own receipt


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channel": Channel.LETTER, "received_on": D(2026, 9, 17)}, "收件日期不能晚于今天"),
        ({"channel": Channel.ONLINE, "received_on": D(2025, 9, 14)}, "收件日期早于一年前"),
        ({"channel": Channel.VISIT, "received_on": D(2026, 9, 15)}, "只有来信、网上信访需要填写收件日期"),
        ({"channel": Channel.PHONE, "received_on": D(2026, 9, 15)}, "只有来信、网上信访需要填写收件日期"),
    ],
)
def test_received_on_is_validated(desk: Desk, changes: dict[str, object], message: str) -> None:
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, **changes))
    assert message in info.value.by_field()["received_on"]


def test_a_year_back_is_still_accepted(desk: Desk) -> None:
    result = save(desk, form(desk, channel=Channel.LETTER, received_on=D(2025, 9, 15)))
    with desk.ctx.db.read() as s:
        case = s.get(Case, result.case_id)
        assert case is not None and case.received_on == D(2025, 9, 15)


def test_bulk_registrations_get_their_clocks_from_the_day_received(desk: Desk) -> None:
    f = form(desk, channel=Channel.LETTER, received_on=D(2026, 9, 1), routing_action=RoutingAction.LEADER_RECEPTION,
             unit_id=None)
    g = form(desk, routing_action=RoutingAction.LEADER_RECEPTION, unit_id=None, person=f.person)
    with desk.ctx.db.write() as session:
        a = register_in_session(session, f, desk_id=desk.desk_id, officer_id=desk.officer_id,
                                now=desk.clock.moment).case_id
        b = register_in_session(session, g, desk_id=desk.desk_id, officer_id=desk.officer_id,
                                now=desk.clock.moment).case_id
    assert lc.sync_clocks(desk.ctx) == 2
    assert clocks_of(desk, a) == {"register_route": D(2026, 9, 16)}
    assert clocks_of(desk, b) == {"register_route": D(2026, 10, 8)}


def test_changing_the_roll_over_rule_recomputes_every_clock(desk: Desk) -> None:
    from reception.db.settings import load_desk_settings
    from reception.domain.deadlines import RollPolicy
    from reception.setup import update_desk_settings

    def letter(received: date) -> str:
        return str(save(desk, form(desk, channel=Channel.LETTER, received_on=received,
                                   routing_action=RoutingAction.LEADER_RECEPTION, unit_id=None)).case_id)

    weekend = letter(D(2026, 8, 29))  # +15 days: Sunday 09-13 (not 09-20: a make-up working Sunday in 2026)
    holiday = letter(D(2026, 9, 10))  # +15 days: 09-25, the Mid-Autumn Festival, then a weekend
    expected = {
        RollPolicy.NON_WORKING_DAYS: (D(2026, 9, 14), D(2026, 9, 28)),  # the default
        RollPolicy.HOLIDAYS_ONLY: (D(2026, 9, 13), D(2026, 9, 28)),  # an ordinary Sunday does not roll
        RollPolicy.NONE: (D(2026, 9, 13), D(2026, 9, 25)),
    }
    assert (clocks_of(desk, weekend)["register_route"], clocks_of(desk, holiday)["register_route"]) == expected[
        RollPolicy.NON_WORKING_DAYS]
    for policy in (RollPolicy.HOLIDAYS_ONLY, RollPolicy.NONE, RollPolicy.NON_WORKING_DAYS):
        settings = update_desk_settings(desk.ctx, deadline_roll=policy.value)
        assert settings.roll_policy is policy
        with desk.ctx.db.read() as s:
            assert load_desk_settings(s).roll_policy is policy
        assert (clocks_of(desk, weekend)["register_route"], clocks_of(desk, holiday)["register_route"]) == expected[
            policy], policy
