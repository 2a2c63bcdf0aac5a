"""What a unit's staff see: every list they can reach shows only their own unit's cases, never an accusation against
their unit; the services filter, whatever the caller asks for.

One district (the demo's reference data), real services on a real SQLite file, signed in as ``unit_cy`` (翠园街道):
a claim routed to 翠园街道, a claim routed to the housing bureau (ZJJ), an accusation against 翠园街道 handled by the
bureau, and an accusation against the bureau handled by 翠园街道 (which 翠园街道 sees).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.db.models import Case, User
from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, RoutingAction
from reception.domain.idnumber import check_digit
from reception.intake.cases import export_cases, search_cases
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.leader.service import leader_queue
from reception.lifecycle import machine as m
from reception.lifecycle import notify
from reception.lifecycle import service as lc
from reception.security.permissions import PermissionDenied, case_scope
from reception.stats import periods
from reception.stats.drill import drill, drill_filtered
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"


def _id(body17: str) -> str:
    return body17 + check_digit(body17)


@dataclass
class District:
    desk: Desk
    cy_staff: str
    """``unit_cy`` of the demo accounts."""
    own: set[str]
    """The cases 翠园街道's staff may see."""
    others: set[str]
    """Every other case (another unit's, and the accusation against 翠园街道)."""
    accusation: str
    leader_own: str
    leader_other: str


def _intake(desk: Desk, name: str, id_body: str, unit: str, *, content: ContentClass = ContentClass.CLAIM,
            routing: RoutingAction = RoutingAction.ASSIGN) -> str:
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID, id_number=_id(id_body), gender=Gender.UNKNOWN,
                           phone="13812345678", address="示范区翠园街道尚书茗苑3栋"),
        channel=Channel.VISIT, content_class=content, category_id=desk.category("CJ01"),
        locality_id=desk.locality(GRID), request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
        routing_action=routing, unit_id=desk.unit(unit), override_reason="由该单位办理",
    )
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                           render_receipt=False).case_id


@pytest.fixture
def district(desk: Desk) -> District:
    supervisor, leader = desk.user("supervisor"), desk.user("duty_leader")
    with desk.ctx.db.read() as s:
        cy_staff = s.scalar(select(User.id).where(User.username == "unit_cy"))
    assert cy_staff is not None
    start = desk.clock.moment
    own = _intake(desk, "周诉求", "43050319830303345", "CY")
    other = _intake(desk, "林其他", "43050319820202234", "ZJJ")
    accusation = _intake(desk, "吴控告", "43050319840404456", "ZJJ", content=ContentClass.ACCUSATION)
    lc.apply(desk.ctx, accusation, m.RecordAccusedUnit(desk.unit("CY")), actor_id=desk.officer_id)
    against_zjj = _intake(desk, "王检举", "43050319870707789", "CY", content=ContentClass.ACCUSATION)
    lc.apply(desk.ctx, against_zjj, m.RecordAccusedUnit(desk.unit("ZJJ")), actor_id=desk.officer_id)
    for case_id in (own, other, accusation):  # signed for and accepted: a notice each, a 60-day handling clock
        lc.apply(desk.ctx, case_id, m.SignFor(), actor_id=supervisor)
        lc.apply(desk.ctx, case_id, m.Accept(), actor_id=supervisor)
        lc.apply(desk.ctx, case_id, m.Supervise("请加快办理并反馈。"), actor_id=leader)
    # visits sent to the duty leader on a later day, one meant for 翠园街道 and one for the housing bureau
    desk.clock.moment = start + timedelta(days=50)
    leader_own = _intake(desk, "郑约见", "43050319850505567", "CY", routing=RoutingAction.LEADER_RECEPTION)
    leader_other = _intake(desk, "钱约见", "43050319860606678", "ZJJ", routing=RoutingAction.LEADER_RECEPTION)
    return District(desk, cy_staff, {own, against_zjj, leader_own}, {other, accusation, leader_other}, accusation,
                    leader_own, leader_other)


def _split(d: District, ids: set[str]) -> tuple[set[str], set[str]]:
    return ids & d.own, ids & d.others


def test_the_scope_is_the_one_rule_of_search_and_lists(district: District) -> None:
    d = district
    with d.desk.ctx.db.read() as s:
        scope = case_scope(s, d.cy_staff)
        visible = set(s.scalars(select(Case.id).where(scope.condition())))
        assert scope.restricted and scope.unit_id == d.desk.unit("CY")
        assert not case_scope(s, d.desk.officer_id).restricted
    assert visible == d.own
    assert {c.id for c in search_cases(d.desk.ctx, "吴控告", user_id=d.cy_staff)} == set()


def test_overdue_and_due_soon_show_only_the_units_own_cases(district: District) -> None:
    d = district
    ctx = d.desk.ctx
    d.desk.clock.moment += timedelta(days=9)  # the 60-day handling clocks from acceptance run out: due soon
    soon_all = {r.case_id for r in lc.due_soon(ctx).rows}
    soon_cy = {r.case_id for r in lc.due_soon(ctx, actor_id=d.cy_staff).rows}
    assert _split(d, soon_all)[1], "the centre sees other units' due-soon cases"
    assert soon_cy and not _split(d, soon_cy)[1]
    d.desk.clock.moment += timedelta(days=20)
    late = lc.overdue(ctx, actor_id=d.cy_staff)
    assert late.total == len(late.rows) >= 1 and {r.case_id for r in late.rows} <= d.own
    assert {r.unit_name for r in late.rows} == {"翠园街道"}
    assert _split(d, {r.case_id for r in lc.overdue(ctx).rows})[1]
    # asking for another unit's list gives nothing, not that unit's cases
    assert lc.overdue(ctx, unit_id=d.desk.unit("ZJJ"), actor_id=d.cy_staff).total == 0
    assert lc.overdue(ctx, unit_id=d.desk.unit("ZJJ")).total >= 1


def test_supervision_list_shows_no_other_units_supervision_notes(district: District) -> None:
    d = district
    total, rows = lc.supervision_list(d.desk.ctx, actor_id=d.cy_staff)
    assert total == len(rows) == 1 and {r.case_id for r in rows} <= d.own
    assert rows[0].note == "请加快办理并反馈。" and rows[0].unit_name == "翠园街道"
    all_total, all_rows = lc.supervision_list(d.desk.ctx)
    assert all_total == 3 and d.accusation in {r.case_id for r in all_rows}


def test_sms_outbox_lists_only_the_units_notices_and_sending_is_the_centres(district: District) -> None:
    d = district
    ctx = d.desk.ctx
    rows = notify.outbox(ctx, actor_id=d.cy_staff)
    assert rows and {r.case_id for r in rows} <= d.own
    everyone = notify.outbox(ctx)
    assert _split(d, {r.case_id for r in everyone})[1]
    assert sum(notify.outbox_counts(ctx, actor_id=d.cy_staff).values()) == len(rows) < len(everyone)
    with pytest.raises(PermissionDenied) as denied:
        notify.send_pending(ctx, notify.RecordingGateway(), actor_id=d.cy_staff)
    assert "无权发送短信通知" in denied.value.message
    gateway = notify.RecordingGateway()
    assert notify.send_pending(ctx, gateway, actor_id=d.desk.officer_id).sent == len(everyone)


def test_leader_queue_shows_only_the_units_cases(district: District) -> None:
    d = district
    today = d.desk.ctx.now().date()
    assert {q.case_id for q in leader_queue(d.desk.ctx, today)} == {d.leader_own, d.leader_other}
    assert {q.case_id for q in leader_queue(d.desk.ctx, today, actor_id=d.cy_staff)} == {d.leader_own}


def test_statistics_drill_downs_and_their_export_show_only_the_units_cases(district: District) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from reception.stats.export import report_xlsx
    from reception.stats.report import period_report

    d = district
    ctx = d.desk.ctx
    period = periods.day_range(d.desk.clock.moment.date() - timedelta(days=60), d.desk.clock.moment.date())
    for key in ("registrations", "new_cases", "supervised", "accept_decided"):
        everyone = {r.case_id for r in drill(ctx, key, period).rows}
        listed = drill(ctx, key, period, actor_id=d.cy_staff)
        seen = {r.case_id for r in listed.rows}
        assert _split(d, everyone)[1], key
        assert seen and seen <= d.own and listed.total == len(listed.rows), key
    by_unit = drill_filtered(ctx, "new_cases", period, {"unit_id": d.desk.unit("ZJJ")}, actor_id=d.cy_staff)
    assert by_unit.total == 0
    details = [drill(ctx, "supervised", period, actor_id=d.cy_staff)]
    book = load_workbook(io.BytesIO(report_xlsx(period_report(ctx, period), details)))
    detail_sheet = next(ws for ws in book.worksheets if ws.title.startswith("明细"))
    case_nos = {str(row[0]) for row in detail_sheet.iter_rows(min_row=4, values_only=True)
                if row[0] and str(row[0]).startswith("JD")}
    with ctx.db.read() as s:
        own_nos = set(s.scalars(select(Case.case_no).where(Case.id.in_(d.own))))
    assert case_nos and case_nos <= own_nos
    exported = {c["id"] for c in export_cases(ctx, actor_id=d.cy_staff, masked=True)}
    assert exported == d.own


def test_the_leaders_lists_beyond_the_desk_show_only_the_units_cases(district: District) -> None:
    from reception.leader import beyond
    from reception.leader.service import AppointmentInput, schedule_appointment

    d = district
    ctx = d.desk.ctx
    today = ctx.now().date()
    own, other = sorted(d.own - {d.leader_own})[0], sorted(d.others - {d.leader_other, d.accusation})[0]
    from reception.db.models import Leader

    with ctx.db.read() as s:
        numbers = {cid: no for cid, no in s.execute(select(Case.id, Case.case_no))}
        leader = s.scalar(select(Leader.id).limit(1))
    assert leader is not None
    for case_id in (own, other, d.accusation):
        schedule_appointment(ctx, AppointmentInput(case_id, today + timedelta(days=1)), actor_id=d.desk.officer_id)
        beyond.list_backlog_case(ctx, beyond.BacklogInput(numbers[case_id], "多年未化解"), actor_id=d.desk.officer_id)
    beyond.create_down_visit(ctx, beyond.DownVisitInput(leader, today, "翠园街道", case_nos=numbers[other],
                                                        purpose="带案下访"), actor_id=d.desk.officer_id)
    window = (today, today + timedelta(days=7))
    assert {a.case_id for a in beyond.appointments(ctx, *window)} == {own, other, d.accusation}
    assert {a.case_id for a in beyond.appointments(ctx, *window, actor_id=d.cy_staff)} == {own}
    assert {b.case_id for b in beyond.backlog(ctx)} == {own, other, d.accusation}
    assert {b.case_id for b in beyond.backlog(ctx, actor_id=d.cy_staff)} == {own}
    assert len(beyond.down_visits(ctx, *window)) == 1
    assert beyond.down_visits(ctx, *window, actor_id=d.cy_staff) == []  # it took only another unit's case along
