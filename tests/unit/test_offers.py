"""The offered steps (``reception.lifecycle.offers``): which steps a case offers in each state, enabled or not with
the permission's or the state machine's Chinese reason. Pure: explicit dates, the package calendar."""

from __future__ import annotations

from datetime import date, timedelta

from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle import machine as m
from reception.lifecycle.offers import STEP_PERMISSIONS, STEPS, Step, offered, rules_shown
from reception.security.permissions import Permission, permissions_of

CAL = WorkCalendar()
ST = m.Settings()
DAY = date(2026, 11, 2)


def _state(*events: tuple[str, date, dict[str, object]], unit: str = "U1") -> m.CaseState:
    return m.fold([m.Event("received", DAY), *(m.Event(k, on, None, unit, d) for k, on, d in events)])


def test_each_state_offers_its_steps_with_the_permission_they_need() -> None:
    assert [r.label for r in rules_shown("registered", {"register_route"})] == ["转送交办"]
    assert [r.label for r in rules_shown("signed")] == ["异议退回", "受理", "不予受理", "督办"]
    assert [r.label for r in rules_shown("in_recheck", {"recheck_decision", "hearing"})] == ["听证结束", "督办"]
    assert rules_shown("no_such_status") == []
    assert STEP_PERMISSIONS["签收"] is Permission.HANDLE and STEP_PERMISSIONS["评价"] is Permission.EVALUATE
    assert len({r.step for r in STEPS}) == len(STEPS) == len(STEP_PERMISSIONS)


def test_offers_are_enabled_by_role_and_state() -> None:
    routed = _state(("assigned", DAY, {}))
    staff = permissions_of("unit_staff")
    unit = {o.step: o for o in offered(routed, today=DAY, cal=CAL, settings=ST, permissions=staff)}
    assert unit[Step.SIGN_FOR].enabled and unit[Step.ACCEPT].enabled and unit[Step.OBJECT].enabled
    assert not unit[Step.SUPERVISE].enabled and unit[Step.SUPERVISE].reason == "您的角色无权督办"
    signed_on = DAY + timedelta(days=1)
    signed = _state(("assigned", DAY, {}), ("signed", signed_on, {"received_on": signed_on.isoformat()}))
    late = signed_on + timedelta(days=30)
    offers = {o.step: o for o in offered(signed, today=late, cal=CAL, settings=ST, permissions=None)}
    assert not offers[Step.OBJECT].enabled and "已超过异议期限" in offers[Step.OBJECT].reason
    assert offers[Step.ACCEPT].enabled and offers[Step.ACCEPT].reason == ""
    accepted = _state(("assigned", DAY, {}), ("accepted", DAY, {"simple": 1}))
    extend = {o.step: o for o in offered(accepted, today=DAY, cal=CAL, settings=ST)}[Step.EXTEND]
    assert not extend.enabled and "简易办理" in extend.reason
