"""领导接访 core on a real database: the queue, the reception record and its outcomes, the counts."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import Case, CaseClock, CaseEvent, CaseOwnership, Leader, LeaderReception
from reception.domain.enums import CaseStatus, Channel, ContentClass, DocumentType, RoutingAction
from reception.domain.errors import FieldErrors
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.leader import service as ls
from reception.leader.service import Outcome, QueueState, Reaction, RecordInput
from reception.lifecycle import service as lc
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"
DAY = date(2026, 9, 16)


def at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=CHINA_TZ)


def to_leader(desk: Desk, *, hour: int = 9, headcount: int = 1, name: str = "夏明云",
              action: RoutingAction = RoutingAction.LEADER_RECEPTION) -> str:
    desk.clock.moment = at(DAY, hour)
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.NONE, phone="13812345678", address="示范区翠园街道某小区"),
        channel=Channel.VISIT, headcount=headcount, content_class=ContentClass.CLAIM,
        category_id=desk.category("CJ01"), locality_id=desk.locality(GRID),
        request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。", routing_action=action,
        unit_id=desk.unit("ZJJ") if action is RoutingAction.ASSIGN else None,
    )
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                           render_receipt=False).case_id


def leader_id(desk: Desk) -> str:
    with desk.ctx.db.read() as s:
        found = s.scalar(select(Leader.id).order_by(Leader.rank_order))
    assert found is not None
    return found


def item(desk: Desk, case_id: str) -> ls.QueueItem:
    return next(q for q in ls.leader_queue(desk.ctx, DAY) if q.case_id == case_id)


def form(desk: Desk, case_id: str, **changes: object) -> RecordInput:
    q = item(desk, case_id)
    values: dict[str, object] = {
        "case_id": case_id, "visit_id": q.visit_id, "leader_id": leader_id(desk),
        "reply": "已责成住建局两周内拿出办证方案并答复。", "outcome": Outcome.EXPLAINED,
        "reaction": Reaction.BASICALLY, "units_present": ("区住建局", "翠园街道"), "follow_up": "住建局每周报告进展",
    }
    values.update(changes)
    return RecordInput(**values)  # type: ignore[arg-type]


def test_queue_lists_only_the_visits_sent_to_the_leader(desk: Desk) -> None:
    first = to_leader(desk, hour=9, headcount=3, name="甲某某")
    to_leader(desk, hour=10, action=RoutingAction.ASSIGN, name="乙某某")
    second = to_leader(desk, hour=11, name="丙某某")
    queue = ls.leader_queue(desk.ctx, DAY)
    assert [q.case_id for q in queue] == [first, second]
    assert queue[0].headcount == 3 and queue[0].state is QueueState.WAITING
    assert queue[0].petitioner == "甲某某" and queue[0].category and queue[0].request.startswith("要求")
    assert queue[0].at.hour == 9
    assert ls.leader_queue(desk.ctx, DAY + timedelta(days=1)) == []


def test_explained_reply_is_recorded_with_its_event(desk: Desk) -> None:
    case_id = to_leader(desk, headcount=2)
    desk.clock.moment = at(DAY, 10, 15)
    result = ls.record_reception(desk.ctx, form(desk, case_id), actor_id=desk.user("duty_leader"))
    # an explanation given on the spot is the case's reply, delivered in person (see test_on_the_spot_replies)
    assert result.outcome is Outcome.EXPLAINED and result.status == CaseStatus.REPLIED.value
    with desk.ctx.db.read() as s:
        rec = s.get(LeaderReception, result.reception_id)
        assert rec is not None and rec.headcount == 2 and rec.units_present == "区住建局、翠园街道"
        assert rec.reaction == "basically" and rec.received_on == DAY
        event = s.get(CaseEvent, result.event_id)
        assert event is not None and event.kind == "leader_reply" and "现场答复" in event.note
    q = item(desk, case_id)
    assert q.state is QueueState.RECEIVED and q.outcome_label == "解释说明" and q.reception_id == result.reception_id
    assert ls.reception_of(desk.ctx, result.reception_id)["units_present"] == ["区住建局", "翠园街道"]


def test_assigning_a_unit_routes_the_case_through_the_lifecycle(desk: Desk) -> None:
    case_id = to_leader(desk)
    unit = desk.unit("ZJJ")
    due = DAY + timedelta(days=15)
    result = ls.record_reception(desk.ctx, form(desk, case_id, outcome=Outcome.ASSIGNED, unit_id=unit, due_on=due),
                                 actor_id=desk.user("duty_leader"))
    assert result.status == CaseStatus.ASSIGNED.value and result.status_label == "已交办"
    assert result.due_on == due and result.unit_name
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.unit_id == unit and case.status == "assigned"
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                           .order_by(CaseEvent.occurred_at))]
        assert kinds[-2:] == ["leader_reply", "assigned"]
        assert s.scalars(select(CaseClock).where(CaseClock.case_id == case_id, CaseClock.unit_id == unit)).first()
        rec = s.get(LeaderReception, result.reception_id)
        assert rec is not None and rec.due_on == due
    # the lifecycle goes on from there: the unit can sign for it
    from reception.lifecycle.machine import SignFor

    assert lc.apply(desk.ctx, case_id, SignFor(), actor_id=None).status == "signed"


def test_leader_takes_the_case(desk: Desk) -> None:
    case_id = to_leader(desk)
    result = ls.record_reception(desk.ctx, form(desk, case_id, outcome=Outcome.OWNED),
                                 actor_id=desk.user("duty_leader"))
    assert result.ownership_id is not None
    with desk.ctx.db.read() as s:
        own = s.get(CaseOwnership, result.ownership_id)
        assert own is not None and own.leader_id == leader_id(desk) and own.since == DAY
    assert ls.case_owner(desk.ctx, case_id)


def test_leader_takes_the_case_and_names_the_lead_unit_in_the_same_step(desk: Desk) -> None:
    case_id = to_leader(desk)
    unit = desk.unit("ZJJ")
    due = DAY + timedelta(days=20)
    result = ls.record_reception(desk.ctx, form(desk, case_id, outcome=Outcome.OWNED, unit_id=unit, due_on=due),
                                 actor_id=desk.user("duty_leader"))
    assert result.ownership_id is not None and result.status == "assigned" and result.due_on == due
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.unit_id == unit
        routed = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "assigned")).one()
        assert "领导包案" in routed.note
        # the intake clock stopped: the unit's clocks run instead
        assert s.scalars(select(CaseClock).where(CaseClock.case_id == case_id, CaseClock.unit_id == unit)).first()
    assert ls.case_owner(desk.ctx, case_id)
    # a case already with a unit can be owned, but not routed a second time
    later = RecordInput(case_id=case_id, visit_id=None, leader_id=leader_id(desk), reply="继续包案督促办理。",
                        outcome=Outcome.OWNED, reaction=Reaction.BASICALLY, unit_id=desk.unit("RSJ"), due_on=due)
    with desk.ctx.db.read() as s:
        errors = ls.validate(s, later, DAY)
        assert [e.field for e in errors] == [ls.F_UNIT] and "只包案时请不选责任单位" in errors[0].message
        assert ls.validate(s, dataclasses.replace(later, unit_id=None, due_on=None), DAY) == []


def test_steering_to_a_legal_channel_records_it_and_stops_the_clocks(desk: Desk) -> None:
    case_id = to_leader(desk)
    result = ls.record_reception(desk.ctx, form(desk, case_id, outcome=Outcome.LEGAL_CHANNEL,
                                                legal_channel="向区人民法院提起民事诉讼"),
                                 actor_id=desk.user("duty_leader"))
    assert result.status == CaseStatus.LEGAL_CHANNEL.value
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.legal_channel == "向区人民法院提起民事诉讼"
        assert s.scalars(select(CaseClock).where(CaseClock.case_id == case_id)).first() is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"reply": "  "}, ls.F_REPLY, "请记录领导的现场答复"),
    ({"reply": "好的"}, ls.F_REPLY, "过于简略"),
    ({"leader_id": None}, ls.F_LEADER, "请选择接访领导"),
    ({"outcome": None}, ls.F_OUTCOME, "请选择处理结果"),
    ({"reaction": None}, ls.F_REACTION, "请选择信访人态度"),
    ({"outcome": Outcome.ASSIGNED}, ls.F_UNIT, "请选择责任单位"),
    ({"outcome": Outcome.ASSIGNED}, ls.F_DUE, "办理期限"),
    ({"outcome": Outcome.ASSIGNED, "due_on": DAY}, ls.F_DUE, "应晚于今天"),
    ({"outcome": Outcome.ASSIGNED, "due_on": DAY + timedelta(days=61)}, ls.F_DUE, "不能超过"),
    ({"outcome": Outcome.LEGAL_CHANNEL}, ls.F_LEGAL_CHANNEL, "法定途径"),
])
def test_invalid_forms_name_the_field(desk: Desk, changes: dict[str, object], field: str, message: str) -> None:
    case_id = to_leader(desk)
    with pytest.raises(FieldErrors) as raised:
        ls.record_reception(desk.ctx, form(desk, case_id, **changes), actor_id=desk.user("duty_leader"))
    assert message in raised.value.by_field()[field]
    with desk.ctx.db.read() as s:
        assert s.scalars(select(LeaderReception)).first() is None


def test_a_visit_is_received_once_and_an_assigned_case_is_not_routed_again(desk: Desk) -> None:
    case_id = to_leader(desk)
    first = form(desk, case_id)
    ls.record_reception(desk.ctx, first, actor_id=desk.user("duty_leader"))
    with pytest.raises(FieldErrors) as raised:
        ls.record_reception(desk.ctx, first, actor_id=desk.user("duty_leader"))
    assert "不能重复登记" in raised.value.by_field()[ls.F_GENERAL]
    routed = to_leader(desk, action=RoutingAction.ASSIGN, name="乙某某")
    bad = RecordInput(case_id=routed, leader_id=leader_id(desk), reply="请住建局按期办理。", outcome=Outcome.ASSIGNED,
                      reaction=Reaction.NONE, unit_id=desk.unit("ZJJ"), due_on=DAY + timedelta(days=10))
    with pytest.raises(FieldErrors) as raised:
        ls.record_reception(desk.ctx, bad, actor_id=desk.user("duty_leader"))
    assert "已交办" in raised.value.by_field()[ls.F_OUTCOME]


def test_appointments_join_the_queue(desk: Desk) -> None:
    case_id = to_leader(desk, action=RoutingAction.ASSIGN)
    appt = ls.schedule_appointment(desk.ctx, ls.AppointmentInput(case_id, DAY, "14:30", leader_id(desk),
                                                                 "区信访接待中心", headcount=4),
                                   actor_id=desk.user("duty_leader"))
    q = item(desk, case_id)
    assert q.appointment_id == appt and q.source == "appointment" and q.headcount == 4 and q.at.hour == 14
    rec = RecordInput(case_id=case_id, appointment_id=appt, leader_id=leader_id(desk), reply="当面说明办理进度。",
                      outcome=Outcome.RESOLVED, reaction=Reaction.SATISFIED)
    ls.record_reception(desk.ctx, rec, actor_id=desk.user("duty_leader"))
    assert item(desk, case_id).state is QueueState.RECEIVED
    with pytest.raises(FieldErrors):
        ls.schedule_appointment(desk.ctx, ls.AppointmentInput(case_id, DAY, "25:00"), actor_id=None)


def test_counts_batches_persons_and_answers_on_the_spot(desk: Desk) -> None:
    a = to_leader(desk, hour=9, headcount=3, name="甲某某")
    b = to_leader(desk, hour=10, headcount=1, name="乙某某")
    c = to_leader(desk, hour=11, headcount=2, name="丙某某")
    to_leader(desk, hour=12, headcount=5, name="丁某某")  # waiting: not counted
    ls.record_reception(desk.ctx, form(desk, a, outcome=Outcome.RESOLVED), actor_id=None)
    ls.record_reception(desk.ctx, form(desk, b), actor_id=None)
    ls.record_reception(desk.ctx, form(desk, c, outcome=Outcome.ASSIGNED, unit_id=desk.unit("ZJJ"),
                                       due_on=DAY + timedelta(days=7)), actor_id=None)
    counts = ls.reception_counts(desk.ctx, DAY, DAY)
    assert (counts.batches, counts.persons, counts.answered_on_spot) == (3, 6, 2)
    assert counts.by_outcome == {"resolved": 1, "explained": 1, "assigned": 1}
    assert counts.label == "3批次 / 6人次，现场答复2件"
    assert ls.reception_counts(desk.ctx, DAY + timedelta(days=1), DAY + timedelta(days=30)).batches == 0


def test_leader_choices_list_active_leaders(desk: Desk) -> None:
    choices = ls.leader_choices(desk.ctx, DAY)
    assert choices and all(c.name and c.title for c in choices)


def test_a_returning_petitioner_can_be_sent_to_the_leader_again(desk: Desk) -> None:
    case_id = to_leader(desk, action=RoutingAction.ASSIGN)  # an earlier matter already assigned to a unit
    later = DAY + timedelta(days=7)
    desk.clock.moment = at(later, 10)
    again = IntakeInput(
        person=PersonInput(name="夏明云", id_type=DocumentType.NONE, phone="13812345678",
                           address="示范区翠园街道某小区"),
        request="对办理进度不满，要求面见领导", join_case_id=case_id, routing_action=RoutingAction.LEADER_RECEPTION,
    )
    result = register_intake(desk.ctx, again, desk_id=desk.desk_id, officer_id=desk.officer_id, render_receipt=False)
    [queued] = ls.leader_queue(desk.ctx, later)
    assert queued.case_id == case_id and queued.visit_id == result.visit_id
    assert queued.state is QueueState.WAITING
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.status == CaseStatus.ASSIGNED.value  # the routing is unchanged
    assert ls.leader_queue(desk.ctx, DAY) == []  # the first visit (assigned at the desk) never went to the leader


def test_sending_a_returning_visit_to_the_leader_does_not_set_the_case_back(desk: Desk) -> None:
    from reception.lifecycle.machine import SignFor

    case_id = to_leader(desk, action=RoutingAction.ASSIGN)
    desk.clock.moment = at(DAY + timedelta(days=1), 10)
    again = IntakeInput(person=PersonInput(name="夏明云", id_type=DocumentType.NONE, phone="13812345678",
                                           address="示范区翠园街道某小区"),
                        request="要求面见领导", join_case_id=case_id, routing_action=RoutingAction.LEADER_RECEPTION)
    register_intake(desk.ctx, again, desk_id=desk.desk_id, officer_id=desk.officer_id, render_receipt=False)
    result = lc.apply(desk.ctx, case_id, SignFor(), actor_id=None)  # the unit can still sign for it
    assert result.status == CaseStatus.SIGNED.value
