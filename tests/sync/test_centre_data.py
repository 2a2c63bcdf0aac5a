"""The centre's reference data and rules edited at an enrolled desk travel like any other change: an administrator's
roster, holiday and directory edits at one desk reach the others; two desks editing one reference record offline
make a stored conflict; the centre-wide settings (roll-over rule, ranking weights) sync and a pulled roll-over rule
recomputes the clocks of the desk that pulls it. Enrolment never uploads a desk's locally seeded reference data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reception.bootstrap import open_data_dir
from reception.db.base import CHINA_TZ
from reception.db.models import (
    CaseClock,
    CentreSetting,
    HolidayDay,
    Leader,
    Locality,
    RosterChange,
    RosterMonth,
    RosterSlot,
    Unit,
    User,
)
from reception.db.settings import load_desk_settings
from reception.demo import seed_reference
from reception.domain.deadlines import RollPolicy
from reception.domain.enums import Channel, RoutingAction
from reception.intake.service import register_intake
from reception.lifecycle.service import recompute_clocks
from reception.reference import store as reference
from reception.reference.model import Kind, LocalityRow, ReferenceData
from reception.reference.workbook import write_workbook
from reception.roster import holidays
from reception.roster import service as roster
from reception.security.accounts import DEMO_PASSWORD, authenticate
from reception.security.permissions import PermissionDenied
from reception.server.service import add_desk
from reception.setup import update_desk_settings
from reception.stats.ranking import get_weights, save_weights
from reception.sync.desk import enroll, list_conflicts, resolve_conflict, sync_status
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, _intake_form, assert_converged, fast_client, server_records

MONTH = "2026-12"
REFERENCE_TABLES = ("locality", "unit", "category", "routing_rule", "leader", "leader_membership",
                    "leader_unavailability", "holiday_day", "holiday_year", "roster_month", "roster_slot",
                    "roster_version", "roster_change", "centre_setting", "desk")


def _admin_signs_in(*desks: DeskHandle) -> None:
    """The centre's administrator signs in at these desks: their edits of accounts, the directory and the
    centre's rules are signed with the administrator's key (``reception.sync.proof``), which the server trusts."""
    for desk in desks:
        authenticate(desk.ctx, "admin", DEMO_PASSWORD)
        assert desk.sync().ok  # (the sign-in's audit entry)


def _user_id(desk: DeskHandle, username: str) -> str:
    with desk.ctx.db.read() as s:
        found = s.scalar(select(User.id).where(User.username == username))
    assert found is not None, username
    return found


def _slots(desk: DeskHandle) -> dict[str, tuple[date, str, str]]:
    with desk.ctx.db.read() as s:
        return {r.id: (r.day, r.leader_id, r.origin) for r in s.scalars(select(RosterSlot)
                                                                        .where(RosterSlot.month == MONTH))}


def _free_leader(desk: DeskHandle, day: date, *, besides: frozenset[str] = frozenset()) -> str:
    """A leader not on duty on ``day`` (and not in ``besides``)."""
    with desk.ctx.db.read() as s:
        busy = set(s.scalars(select(RosterSlot.leader_id).where(RosterSlot.day == day)))
        free = [lid for lid in s.scalars(select(Leader.id).order_by(Leader.rank_order))
                if lid not in busy and lid not in besides]
    assert free
    return free[0]


def _letter(desk: DeskHandle, received: date) -> str:
    """A letter received on ``received`` and sent to the leaders' reception, registered the next day."""
    with desk.ctx.db.read() as s:
        st = load_desk_settings(s)
        form = _intake_form(s, desk.rng)
        while form.legal_channel:
            form = _intake_form(s, desk.rng)
    form = replace(form, channel=Channel.LETTER, received_on=received, routing_action=RoutingAction.LEADER_RECEPTION,
                   unit_id=None)
    moment = datetime.combine(received + timedelta(days=1), time(10, 0), tzinfo=CHINA_TZ)
    desk.ctx.now = lambda: moment
    return register_intake(desk.ctx, form, desk_id=st.desk_id, officer_id=st.officer_id,
                           render_receipt=False).case_id


def _clocks(desk: DeskHandle) -> dict[tuple[str, str, str], date]:
    with desk.ctx.db.read() as s:
        return {(r.case_id, r.clock_key, r.ref): r.due_on for r in s.scalars(select(CaseClock))}


def test_reference_edits_at_a_desk_reach_the_other_desks(env: Env) -> None:
    a = env.desk("一号窗口", seed=41)
    b = env.desk("二号窗口", seed=42)
    _admin_signs_in(a, b)  # (changes to the directory and the centre's rules carry the administrator's signature)
    admin = _user_id(a, "admin")
    # a desk officer may not touch the roster (the services check it; the outbox never sees a refused change)
    with pytest.raises(PermissionDenied):
        roster.generate_month(a.ctx, MONTH, by=a.ids[1])
    assert sync_status(a.ctx).pending == 0

    generated = roster.generate_month(a.ctx, MONTH, by=admin)
    assert generated.slots > 0
    assert a.sync().ok and b.sync().ok
    assert _slots(b) == _slots(a) and len(_slots(b)) == generated.slots

    # the administrator edits: a substitution on one slot, a holiday, a unit renamed on the 基础数据 screen's
    # service, and a new grid imported from a workbook
    letter = _letter(b, date(2026, 12, 16))  # 15 days: Thursday 31 December, until the holiday below arrives
    assert _clocks(b)[(letter, "register_route", "")] == date(2026, 12, 31)
    day, leader_id, _origin = sorted(_slots(a).values())[0]
    new_leader = _free_leader(a, day)
    roster.substitute(a.ctx, day, leader_id, new_leader, reason="外出开会", approved_by="区委办", by=admin)
    with a.ctx.db.write() as s:
        holidays.set_holiday(s, date(2026, 12, 31), False, "跨年调休", by=admin)
        unit = s.scalar(select(Unit).order_by(Unit.code))
        assert unit is not None
        unit_id, new_name = unit.id, unit.name + "（更名）"
        village = s.scalar(select(Locality).where(Locality.level == "village").order_by(Locality.code))
        assert village is not None
        village_code = village.code
    unit_row = dict(reference.list_rows(a.ctx, Kind.UNIT))[unit_id]
    reference.save_row(a.ctx, Kind.UNIT, replace(unit_row, name=new_name, contact_person="赵敏"),
                       record_id=unit_id, actor_id=admin)
    grid = LocalityRow(f"{village_code}-99", "新建网格", "grid", village_code, 99)
    reference.import_workbook(a.ctx, write_workbook(ReferenceData(localities=[grid])), actor_id=admin)
    report = a.sync()
    assert report.ok and report.parked == 0 and report.pushed >= 4, report
    report = b.sync()
    assert report.ok and report.pulled >= 4, report
    with b.ctx.db.read() as s:
        slot = s.scalar(select(RosterSlot).where(RosterSlot.day == day, RosterSlot.leader_id == new_leader))
        assert slot is not None and slot.origin == "substitute"
        assert s.scalar(select(RosterChange.id).where(RosterChange.day == day)) is not None
        holiday = s.get(HolidayDay, date(2026, 12, 31))
        assert holiday is not None and holiday.name == "跨年调休" and holiday.workday is False
        renamed = s.get(Unit, unit_id)
        assert renamed is not None and renamed.name == new_name and renamed.contact_person == "赵敏"
        new_grid = s.scalar(select(Locality).where(Locality.code == grid.code))
        assert new_grid is not None and new_grid.id == reference.stable_id("locality", grid.code)
    assert not b.ctx.calendar.is_workday(date(2026, 12, 31))  # b's working-day calendar follows the pulled table
    # and b's stored clock with it, in the pulled batch's transaction: 31 December off, 1 January (元旦, by law in
    # the provisional 2027), then the weekend: Monday 4 January, marked provisional
    with b.ctx.db.read() as s:
        clock = s.scalar(select(CaseClock).where(CaseClock.case_id == letter, CaseClock.clock_key == "register_route"))
        assert clock is not None and clock.due_on == date(2027, 1, 4)
        assert b.ctx.calendar.provisional_years(clock.started_on, clock.due_on) == [2027]

    # regenerating the draft replaces every slot (old ones deleted through the ORM, new ids): b follows exactly
    roster.generate_month(a.ctx, MONTH, by=admin)
    assert a.sync().ok and b.sync().ok
    assert _slots(b) == _slots(a)
    roster.publish_month(a.ctx, MONTH, by=admin, force=True)
    assert a.sync().ok and b.sync().ok
    with b.ctx.db.read() as s:
        month = s.get(RosterMonth, MONTH)
        assert month is not None and month.status == "published" and month.version == 1
    records = server_records(env.db)
    assert records[("unit", unit_id)][0] == 2  # imported version 1, edited once at a
    assert_converged(env.db, [a, b])


def test_two_desks_edit_one_roster_slot_offline(env: Env) -> None:
    a = env.desk("一号窗口", seed=51)
    b = env.desk("二号窗口", seed=52)
    admin_a = _user_id(a, "admin")
    roster.generate_month(a.ctx, MONTH, by=admin_a)
    assert a.sync().ok and b.sync().ok
    supervisor_b = _user_id(b, "supervisor")  # (the supervisor manages the roster too)
    day, leader_id, _origin = sorted(_slots(a).values())[0]
    first = _free_leader(a, day)
    second = _free_leader(b, day, besides=frozenset({first}))
    env.server.stop()
    roster.substitute(a.ctx, day, leader_id, first, reason="出差", approved_by="区委办", by=admin_a)
    roster.substitute(b.ctx, day, leader_id, second, reason="开会", approved_by="区委办", by=supervisor_b)
    env.server.start()
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.new_conflicts == 1 and report.conflicts == 1, report
    [conflict] = list_conflicts(b.ctx)
    assert conflict.kind == "version" and conflict.table == "roster_slot"
    assert conflict.local_data is not None and conflict.server_data is not None
    assert conflict.local_data["leader_id"] == second and conflict.server_data["leader_id"] == first
    assert "leader_id" in conflict.differing
    with b.ctx.db.read() as s:  # nothing lost: b keeps its own edit until a person decides
        slot = s.get(RosterSlot, conflict.record_id)
        assert slot is not None and slot.leader_id == second
    # both substitutions are recorded everywhere (new records, never a conflict)
    assert a.sync().ok
    with a.ctx.db.read() as s:
        assert len(list(s.scalars(select(RosterChange).where(RosterChange.day == day)))) == 2


def test_centre_settings_sync_and_a_pulled_roll_over_rule_recomputes_clocks(env: Env) -> None:
    a = env.desk("一号窗口", seed=61)
    b = env.desk("二号窗口", seed=62)
    _admin_signs_in(a, b)
    # letters for the leaders' reception: "register_route" runs 15 calendar days from receipt
    weekend = _letter(b, date(2026, 8, 29))  # ends Sunday 09-13: rolled to Monday 09-14 by the default rule
    holiday = _letter(b, date(2026, 9, 10))  # ends 09-25, the Mid-Autumn Festival: rolled to 09-28
    assert b.sync().ok and a.sync().ok
    before = _clocks(b)
    assert (before[(weekend, "register_route", "")], before[(holiday, "register_route", "")]) == (
        date(2026, 9, 14), date(2026, 9, 28))
    with b.ctx.db.read() as s:
        assert load_desk_settings(s).roll_policy is RollPolicy.NON_WORKING_DAYS

    # a desk officer may not change the rule; the administrator at a does
    with pytest.raises(PermissionDenied):
        update_desk_settings(a.ctx, actor_id=a.ids[1], deadline_roll=RollPolicy.NONE.value)
    admin = _user_id(a, "admin")
    update_desk_settings(a.ctx, actor_id=admin, deadline_roll=RollPolicy.NONE.value)
    with pytest.raises(PermissionDenied):
        save_weights(a.ctx, {"satisfaction_rate": 40}, actor_id=a.ids[1])
    save_weights(a.ctx, {"accept_rate": 10, "on_time_rate": 30, "satisfaction_rate": 40, "repeat_rate": 10,
                         "supervised": 10}, actor_id=admin)
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.pulled >= 2, report

    with b.ctx.db.read() as s:
        assert load_desk_settings(s).roll_policy is RollPolicy.NONE
        assert s.get(CentreSetting, "deadline_roll") is not None
    after = _clocks(b)  # recomputed with the pulled rule: the last day is no longer rolled
    assert set(after) == set(before)
    assert (after[(weekend, "register_route", "")], after[(holiday, "register_route", "")]) == (
        date(2026, 9, 13), date(2026, 9, 25))
    recompute_clocks(b.ctx)  # what b would compute by itself under the new rule: the same clocks
    assert _clocks(b) == after
    assert get_weights(b.ctx) == get_weights(a.ctx)
    assert get_weights(b.ctx).as_dict()["satisfaction_rate"] == 40
    assert_converged(env.db, [a, b])


def test_enrolment_does_not_upload_a_desks_seeded_reference_data(env: Env, tmp_path: Path) -> None:
    before = {k for k in server_records(env.db) if k[0] in REFERENCE_TABLES}
    ctx = open_data_dir(tmp_path / "demo-desk")
    with ctx.db.write() as s:
        seed_reference(s)  # the demo district, with this desk's own random ids
        s.add(CentreSetting(key="lifecycle", value={"sign_days": 5}))  # a local centre setting, before enrolment
    with ctx.db.read() as s:
        local_units = set(s.scalars(select(Unit.id)))
        local_places = set(s.scalars(select(Locality.id)))
    try:
        _client, code = add_desk(env.db, "演示工位")
        result = enroll(ctx, env.server.url, code, client_factory=fast_client)
        assert result.report is not None
        after = server_records(env.db)
        uploaded = {k for k in after if k[0] in REFERENCE_TABLES} - before
        assert {t for t, _r in uploaded} <= {"desk"}, sorted(uploaded)[:5]  # only the server's own desk record
        assert not any(("unit", u) in after for u in local_units)
        assert not any(("locality", p) in after for p in local_places)
        assert ("centre_setting", "lifecycle") not in after
        assert result.uploaded > 0  # its officers and the like still go up
    finally:
        ctx.close()


def test_two_desks_edit_one_holiday_offline(env: Env) -> None:
    """A reference record keyed by a date (not an id): the conflict is stored, shown and resolved like any other."""
    a = env.desk("一号窗口", seed=71)
    b = env.desk("二号窗口", seed=72)
    day = date(2026, 12, 31)
    with a.ctx.db.write() as s:
        holidays.set_holiday(s, day, False, "跨年", by=_user_id(a, "admin"))
    assert a.sync().ok and b.sync().ok
    env.server.stop()
    with a.ctx.db.write() as s:
        holidays.set_holiday(s, day, True, "调休上班", by=_user_id(a, "admin"))
    with b.ctx.db.write() as s:
        holidays.set_holiday(s, day, False, "元旦前休息", by=_user_id(b, "admin"))
    env.server.start()
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.new_conflicts == 1, report
    [conflict] = list_conflicts(b.ctx)
    assert conflict.table == "holiday_day" and conflict.record_id == day.isoformat()
    assert conflict.local_data is not None and conflict.local_data["name"] == "元旦前休息"
    assert conflict.server_data is not None and conflict.server_data["name"] == "调休上班"
    resolve_conflict(b.ctx, conflict.id, "local")  # b's administrator keeps b's entry: sent over a's
    assert b.sync().ok and a.sync().ok
    with a.ctx.db.read() as s:
        row = s.get(HolidayDay, day)
        assert row is not None and row.name == "元旦前休息" and row.workday is False
    assert not a.ctx.calendar.is_workday(day)
    assert_converged(env.db, [a, b])


def test_import_reference_still_publishes_from_a_data_directory(env: Env, reference_dir: Path,
                                                                tmp_path: Path) -> None:
    """``reception server import-reference`` keeps working beside desk edits: a changed or new record of the
    administrator's data directory gets a new version that every desk pulls; unchanged records are left alone."""
    import shutil

    from reception.server.service import import_reference

    a = env.desk("一号窗口", seed=81)
    admin_dir = tmp_path / "admin-data"
    shutil.copytree(reference_dir, admin_dir)
    ctx = open_data_dir(admin_dir)
    try:
        with ctx.db.write() as s:
            holidays.set_holiday(s, date(2027, 1, 4), False, "元旦调休", by="")
            unit = s.scalar(select(Unit).order_by(Unit.code.desc()))
            assert unit is not None
            unit_id, new_name = unit.id, unit.name + "（新）"
            unit.name = new_name
    finally:
        ctx.close()
    before = server_records(env.db)
    counts = import_reference(env.db, admin_dir)
    assert counts["holiday_day"] == 1 and counts["unit"] == 1 and counts["locality"] == 0
    after = server_records(env.db)
    assert after[("unit", unit_id)][0] == before[("unit", unit_id)][0] + 1
    assert a.sync().ok
    with a.ctx.db.read() as s:
        row = s.get(Unit, unit_id)
        assert row is not None and row.name == new_name
        assert s.get(HolidayDay, date(2027, 1, 4)) is not None
    assert not a.ctx.calendar.is_workday(date(2027, 1, 4))


def test_taking_the_servers_holiday_in_a_conflict_moves_the_calendar(env: Env) -> None:
    """Resolving a holiday conflict with the server's side changes this desk's working-day calendar at once (and so
    its clocks), as pulling that holiday would have."""
    a = env.desk("一号窗口", seed=73)
    b = env.desk("二号窗口", seed=74)
    day = date(2026, 12, 30)  # a Wednesday
    env.server.stop()
    with a.ctx.db.write() as s:
        holidays.set_holiday(s, day, False, "中心统一休息", by=_user_id(a, "admin"))
    with b.ctx.db.write() as s:
        holidays.set_holiday(s, day, True, "照常上班", by=_user_id(b, "admin"))
    env.server.start()
    assert a.sync().ok
    assert b.sync().new_conflicts == 1
    assert b.ctx.calendar.is_workday(day)
    [conflict] = list_conflicts(b.ctx)
    resolve_conflict(b.ctx, conflict.id, "server")
    assert not b.ctx.calendar.is_workday(day)
    assert b.sync().ok and a.sync().ok
    assert_converged(env.db, [a, b])


def test_import_reference_never_silently_undoes_a_desk_edit(env: Env, reference_dir: Path, tmp_path: Path) -> None:
    """An administrator renames a unit at a desk; later the reference data is imported again from a data directory
    that still has the old name: the desk's edit stays (reported as kept) unless the import is forced."""
    import shutil

    from reception.server.service import import_reference

    a = env.desk("一号窗口", seed=91)
    _admin_signs_in(a)
    with a.ctx.db.write() as s:
        unit = s.scalar(select(Unit).order_by(Unit.code))
        assert unit is not None
        unit_id, old_name = unit.id, unit.name
        unit.name = old_name + "（更名）"
    assert a.sync().ok
    stale = tmp_path / "stale-admin"
    shutil.copytree(reference_dir, stale)
    result = import_reference(env.db, stale)
    assert result["unit"] == 0 and result.kept.get("unit") == 1
    assert server_records(env.db)[("unit", unit_id)][2]["name"] == old_name + "（更名）"  # type: ignore[index]
    forced = import_reference(env.db, stale, force=True)
    assert forced["unit"] == 1
    assert a.sync().ok
    with a.ctx.db.read() as s:
        row = s.get(Unit, unit_id)
        assert row is not None and row.name == old_name
