"""The case lifecycle on a real database: transitions, illegal ones refused in Chinese, clocks stored for the lists,
supervision, the notification outbox and ``reception case show --json``."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from reception.cli import main
from reception.db.base import CHINA_TZ
from reception.db.models import Case, CaseClock, CaseEvent, Notification, Supervision, User
from reception.domain.enums import CaseStatus, Channel, ContentClass, DocumentType, RoutingAction
from reception.intake.service import IntakeInput, PersonInput, register_in_session, register_intake
from reception.lifecycle import machine as m
from reception.lifecycle import notify
from reception.lifecycle import service as lc
from reception.lifecycle.machine import LifecycleError
from reception.security.permissions import PermissionDenied
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"
ID_NUMBER = "430503198001011231"


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=CHINA_TZ)


def register(desk: Desk, on: date, *, unit: str = "ZJJ", action: RoutingAction = RoutingAction.ASSIGN,
             content: ContentClass = ContentClass.CLAIM, phone: str = "13812345678", name: str = "夏明云",
             bulk: bool = False) -> str:
    """Register through the desk's intake (which writes the clocks at once), or with ``bulk`` through
    ``register_in_session`` as a bulk loader or a sync would, leaving the clocks to ``sync_clocks``."""
    desk.clock.moment = at(on, 9)
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID if name == "夏明云" else DocumentType.NONE,
                           id_number=ID_NUMBER if name == "夏明云" else "", phone=phone,
                           address="示范区翠园街道某小区"),
        channel=Channel.VISIT, content_class=content, category_id=desk.category("CJ01"),
        locality_id=desk.locality(GRID), request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
        routing_action=action, unit_id=desk.unit(unit) if action is RoutingAction.ASSIGN else None,
        override_reason="" if unit == "ZJJ" else "改由其他单位办理",
    )
    if bulk:
        with desk.ctx.db.write() as session:
            return register_in_session(session, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                                       now=desk.clock.moment).case_id
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                           render_receipt=False).case_id


def step(desk: Desk, case_id: str, on: date, t: m.Transition, actor: str | None = None) -> lc.TransitionResult:
    desk.clock.moment = at(on)
    return lc.apply(desk.ctx, case_id, t, actor_id=actor)


def user(desk: Desk, username: str, *, role: str = "unit_staff", unit: str | None = "ZJJ") -> str:
    """An account: by default staff of the unit the test cases are assigned to (签收, 受理, 办理 are theirs);
    the call-back that records evaluations, closes and answers supervision is the centre's supervisor."""
    with desk.ctx.db.write() as s:
        u = User(username=username, display_name=username, role=role,
                 unit_id=desk.unit(unit) if unit and role == "unit_staff" else None)
        s.add(u)
        s.flush()
        return u.id


def case_no(desk: Desk, case_id: str) -> str:
    with desk.ctx.db.read() as s:
        found = s.get(Case, case_id)
        assert found is not None
        return found.case_no


def status(desk: Desk, case_id: str) -> tuple[str, int]:
    with desk.ctx.db.read() as s:
        c = s.get(Case, case_id)
        assert c is not None
        return c.status, c.version


def stored_clocks(desk: Desk, case_id: str) -> dict[str, date]:
    with desk.ctx.db.read() as s:
        return {c.clock_key: c.due_on for c in s.scalars(select(CaseClock).where(CaseClock.case_id == case_id))}


def refused(desk: Desk, case_id: str, on: date, t: m.Transition, message: str, actor: str | None = None) -> None:
    before = status(desk, case_id)
    with desk.ctx.db.read() as s:
        events = s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))
    with pytest.raises(LifecycleError) as err:
        step(desk, case_id, on, t, actor)
    assert message in err.value.message
    assert status(desk, case_id) == before
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)) == events


D = date


def test_whole_lifecycle_from_assignment_to_closing(desk: Desk) -> None:
    handler, caller = user(desk, "unit_staff"), user(desk, "callback", role="supervisor")
    cid = register(desk, D(2026, 8, 3))
    lc.sync_clocks(desk.ctx)
    # routed, not yet signed for: only the local sign-for clock (3 working days) runs
    assert stored_clocks(desk, cid) == {"sign_for": D(2026, 8, 6)}
    assert step(desk, cid, D(2026, 8, 4), m.SignFor(), handler).status == "signed"
    # the Art. 23 clocks start at the unit's sign-for (签收), not at routing
    assert stored_clocks(desk, cid) == {"routed_notice": D(2026, 8, 19), "objection": D(2026, 8, 11)}
    step(desk, cid, D(2026, 8, 5), m.Accept(note="属于本单位职责"), handler)
    assert stored_clocks(desk, cid) == {"handling": D(2026, 10, 8)}  # 10-04 is in the National Day holiday
    step(desk, cid, D(2026, 8, 6), m.StartHandling(), handler)
    r = step(desk, cid, D(2026, 9, 30), m.Extend(20, "王局长", "需要调查取证", True), handler)
    assert (r.status, r.status_label) == ("extended", "已延期")
    assert stored_clocks(desk, cid) == {"handling": D(2026, 10, 26)}  # 10-04 + 20 days
    step(desk, cid, D(2026, 10, 20), m.Reply(m.ReplyOutcome.SUPPORT, "《不动产登记暂行条例》", D(2026, 10, 20),
                                             m.DeliveryMeans.IN_PERSON), handler)
    assert stored_clocks(desk, cid) == {"review_request": D(2026, 11, 19), "evaluation": D(2026, 11, 19)}
    step(desk, cid, D(2026, 10, 22), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE), caller)
    r = step(desk, cid, D(2026, 10, 23), m.Close("办结销号"), caller)
    assert r.status == "closed"
    assert stored_clocks(desk, cid) == {"review_request": D(2026, 11, 19)}  # a window, never overdue
    st, version = status(desk, cid)
    assert (st, version) == ("closed", 8)
    with desk.ctx.db.read() as s:
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == cid)
                                           .order_by(CaseEvent.occurred_at))]
        rated = s.scalar(select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.kind == "evaluated"))
        assert rated is not None and rated.actor_id == caller and rated.data["channel"] == "phone"
        templates = list(s.scalars(select(Notification.template).where(Notification.case_id == cid)
                                   .order_by(Notification.created_at)))
    assert set(kinds[:2]) == {"received", "assigned"}  # the intake's two events share a moment
    assert kinds[2:] == ["signed", "accepted", "handling_started", "extended", "replied", "evaluated", "closed"]
    assert templates == ["accepted", "extended", "replied"]


@pytest.fixture
def handling_case(desk: Desk) -> tuple[Desk, str, str]:
    handler = user(desk, "unit_staff")
    cid = register(desk, D(2026, 8, 3))
    step(desk, cid, D(2026, 8, 4), m.SignFor(), handler)
    step(desk, cid, D(2026, 8, 5), m.Accept(), handler)
    return desk, cid, handler


def test_illegal_transitions_are_refused_with_a_clear_message(desk: Desk) -> None:
    handler = user(desk, "unit_staff")
    cid = register(desk, D(2026, 8, 3))
    reply = m.Reply(m.ReplyOutcome.SUPPORT, "依据", D(2026, 8, 5), m.DeliveryMeans.POST)
    refused(desk, cid, D(2026, 8, 5), reply, "尚未受理，不能出具处理意见书")
    refused(desk, cid, D(2026, 8, 5), m.Close(), "尚未受理，不能销号")
    refused(desk, cid, D(2026, 8, 5), m.Extend(10, "局长", "理由", True), "尚未受理，不能延期")
    refused(desk, cid, D(2026, 8, 5), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.SMS), "处理意见书尚未送达")
    refused(desk, cid, D(2026, 8, 5), m.Route(desk.unit("ZJJ")), "不能再转送、交办")
    refused(desk, cid, D(2026, 8, 5), m.Reject("", "法院"), "请填写不予受理的理由")
    refused(desk, cid, D(2026, 8, 5), m.SignFor(D(2026, 8, 2)), "收到日期不能早于转送、交办日期")
    refused(desk, cid, D(2026, 8, 5), m.SignFor(D(2026, 8, 6)), "收到日期不能晚于今天")
    step(desk, cid, D(2026, 8, 5), m.SignFor(D(2026, 8, 3)), handler)  # signed late, received on the 3rd
    refused(desk, cid, D(2026, 8, 5), m.SignFor(), "没有待签收")
    # objection: 5 working days from the unit's receipt 08-03 end on 08-10
    refused(desk, cid, D(2026, 8, 11), m.Object("不属于本单位职责"), "已超过异议期限")
    step(desk, cid, D(2026, 8, 5), m.Accept(), handler)
    refused(desk, cid, D(2026, 8, 6), m.Accept(), "不能受理")
    refused(desk, cid, D(2026, 8, 6), m.Extend(31, "局长", "理由", True), "不得超过30日")
    refused(desk, cid, D(2026, 8, 6), m.Extend(10, "局长", "理由", False), "告知信访人")
    refused(desk, cid, D(2026, 8, 6), m.Extend(10, "", "理由", True), "批准延期的负责人")
    refused(desk, cid, D(2026, 10, 9), m.Extend(10, "局长", "理由", True), "办理期限已于2026年10月08日届满")
    step(desk, cid, D(2026, 10, 8), m.Extend(10, "局长", "理由", True), handler)  # the last day is in time
    refused(desk, cid, D(2026, 10, 9), m.Extend(5, "局长", "理由", True), "已经延期一次")
    refused(desk, cid, D(2026, 10, 9), m.Close(), "处理意见书尚未送达，不能销号")
    refused(desk, cid, D(2026, 10, 9), m.RequestReview(D(2026, 10, 9), "区政府"), "只有对已送达的处理意见书")
    refused(desk, cid, D(2026, 10, 9), m.Reply(m.ReplyOutcome.SUPPORT, "依据", D(2026, 10, 10),
                                               m.DeliveryMeans.POST), "送达日期不能晚于今天")
    step(desk, cid, D(2026, 10, 12), m.Reply(m.ReplyOutcome.EXPLAIN, "依据", D(2026, 10, 12),
                                             m.DeliveryMeans.POST), handler)
    # the handler may not record the petitioner's rating: the unit's staff lack the permission altogether, and the
    # rule holds for anyone who handled the case (a supervisor recording a unit's step on paper: below)
    with pytest.raises(PermissionDenied):
        step(desk, cid, D(2026, 10, 13), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE), handler)
    # no evaluation: not before the evaluation window (30 days from 10-12 → 11-11) has expired
    refused(desk, cid, D(2026, 11, 11), m.Close(), "评价期至2026年11月11日届满前不能销号")
    with pytest.raises(PermissionDenied):  # 销号 is the supervisor's, not the desk's
        step(desk, cid, D(2026, 11, 12), m.Close(), desk.officer_id)
    step(desk, cid, D(2026, 11, 12), m.Close(), desk.user("supervisor"))
    refused(desk, cid, D(2026, 11, 13), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE), "已销号")
    # review: within 30 days of receiving the reply (10-12 + 30 = 11-11)
    refused(desk, cid, D(2026, 11, 13), m.RequestReview(D(2026, 11, 13), "区政府"), "已超过请求复查期限")


def test_objection_returns_the_case_and_accusations_never_reach_the_accused_unit(desk: Desk) -> None:
    cid = register(desk, D(2026, 2, 11), content=ContentClass.ACCUSATION)
    accused = desk.unit("ZJJ")
    refused(desk, cid, D(2026, 2, 12), m.RecordAccusedUnit(accused), "正由被检举控告的单位办理")
    # the unit signs on 02-12 for a case it received on 02-11: 5 working days from 02-11 include the make-up
    # Saturday 02-14 and skip the Spring Festival: the last day is 02-25
    step(desk, cid, D(2026, 2, 12), m.SignFor(D(2026, 2, 11)))
    assert stored_clocks(desk, cid) == {"routed_notice": D(2026, 2, 26), "objection": D(2026, 2, 25)}
    step(desk, cid, D(2026, 2, 25), m.Object("该事项涉及本单位，应回避"))
    assert status(desk, cid)[0] == "registered"
    assert stored_clocks(desk, cid) == {"register_route": D(2026, 2, 26)}
    step(desk, cid, D(2026, 2, 25), m.RecordAccusedUnit(accused, "被检举单位"))
    refused(desk, cid, D(2026, 2, 26), m.Route(accused), "不得转送、交办给被检举控告的单位")
    step(desk, cid, D(2026, 2, 26), m.Route(desk.unit("CY")))
    view = lc.case_view(desk.ctx, case_no(desk, cid), on=D(2026, 2, 26))
    assert view["restricted"] is True and view["accused_units"] == ["区住房和城乡建设局"]
    with desk.ctx.db.read() as s:
        text = s.scalar(select(Notification.text).where(Notification.case_id == cid, Notification.template == "routed"))
    assert text is not None and "有关单位" in text and "翠园" not in text


def test_not_accepted_tells_the_right_channel(handling_case: tuple[Desk, str, str]) -> None:
    desk = handling_case[0]
    cid = register(desk, D(2026, 8, 3), name="李四", phone="13900001111")
    r = step(desk, cid, D(2026, 8, 6), m.Reject("属于民事纠纷", "人民法院"))
    assert r.status == "not_accepted" and r.notice_id is not None
    assert stored_clocks(desk, cid) == {}
    with desk.ctx.db.read() as s:
        n = s.get(Notification, r.notice_id)
        assert n is not None and "人民法院" in n.text and "属于民事纠纷" in n.text
    assert step(desk, cid, D(2026, 8, 7), m.Close()).status == "closed"


def test_dissatisfied_goes_to_supervision_and_back_to_the_unit(handling_case: tuple[Desk, str, str]) -> None:
    desk, cid, handler = handling_case
    caller = user(desk, "callback", role="supervisor")
    step(desk, cid, D(2026, 9, 1), m.Reply(m.ReplyOutcome.REJECT, "依据", D(2026, 9, 1), m.DeliveryMeans.POST),
         handler)
    step(desk, cid, D(2026, 9, 3), m.Evaluate(m.Rating.DISSATISFIED, m.EvaluationChannel.SMS, "认为未解决"), caller)
    total, rows = lc.supervision_list(desk.ctx, on=D(2026, 9, 3))
    assert total == 1
    sup = rows[0]
    assert (sup.case_id, sup.reason, sup.due, sup.round, sup.unit_name) == (
        cid, "dissatisfied", D(2026, 10, 8), 1, "区住房和城乡建设局")  # 10-03 is a holiday
    assert lc.supervision_list(desk.ctx, unit_id=desk.unit("ZJJ"))[0] == 1
    assert lc.supervision_list(desk.ctx, unit_id=desk.unit("CY"))[0] == 0
    refused(desk, cid, D(2026, 10, 10), m.Close(), "督办事项尚未反馈办结")
    # the unit answers, the supervisor finds it not resolved: back to the handling unit, a new 30-day round
    r = step(desk, cid, D(2026, 9, 20), m.AnswerSupervision(sup.id, False, "反馈材料不充分，请重新办理"), caller)
    assert r.status == "in_handling"
    assert stored_clocks(desk, cid) == {"supervision": D(2026, 10, 20)}
    refused(desk, cid, D(2026, 9, 21), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.SMS), "处理意见书尚未送达")
    step(desk, cid, D(2026, 10, 9), m.Reply(m.ReplyOutcome.SUPPORT, "重新核查", D(2026, 10, 9), m.DeliveryMeans.POST),
         handler)
    step(desk, cid, D(2026, 10, 12), m.Evaluate(m.Rating.BASICALLY, m.EvaluationChannel.PHONE), caller)
    step(desk, cid, D(2026, 10, 12), m.AnswerSupervision(sup.id, True, "已重新答复，群众基本满意"), caller)
    assert lc.supervision_list(desk.ctx)[0] == 0
    with desk.ctx.db.read() as s:
        row = s.get(Supervision, sup.id)
        assert row is not None and (row.state, row.round) == ("resolved", 2)
    assert step(desk, cid, D(2026, 10, 13), m.Close()).status == "closed"


def test_review_recheck_and_final(handling_case: tuple[Desk, str, str]) -> None:
    desk, cid, handler = handling_case
    step(desk, cid, D(2026, 9, 1), m.Reply(m.ReplyOutcome.REJECT, "依据", D(2026, 9, 1), m.DeliveryMeans.POST),
         handler)
    step(desk, cid, D(2026, 9, 20), m.RequestReview(D(2026, 9, 18), "区人民政府"))
    assert stored_clocks(desk, cid) == {"review_decision": D(2026, 10, 19)}  # 10-18 is a Sunday
    refused(desk, cid, D(2026, 9, 21), m.RequestRecheck(D(2026, 9, 21), "市政府"), "只有对已送达的复查意见")
    step(desk, cid, D(2026, 10, 15), m.Reply(m.ReplyOutcome.REJECT, "维持", D(2026, 10, 15), m.DeliveryMeans.POST))
    assert status(desk, cid)[0] == "replied"
    assert set(stored_clocks(desk, cid)) == {"recheck_request", "evaluation"}
    step(desk, cid, D(2026, 11, 2), m.RequestRecheck(D(2026, 11, 2), "市人民政府"))
    r = step(desk, cid, D(2026, 11, 20), m.Reply(m.ReplyOutcome.REJECT, "维持", D(2026, 11, 20), m.DeliveryMeans.POST))
    assert (r.status, r.status_label) == ("final", "复核终结")
    assert stored_clocks(desk, cid) == {}
    refused(desk, cid, D(2026, 11, 21), m.RequestReview(D(2026, 11, 21), "区政府"), "只有对已送达的处理意见书")


def test_overdue_and_due_soon_lists_with_known_answers(desk: Desk) -> None:
    handler, cy_staff = user(desk, "unit_staff"), user(desk, "cy_staff", unit="CY")
    zjj, cy = desk.unit("ZJJ"), desk.unit("CY")
    a = register(desk, D(2026, 9, 1))  # signed for the next day, received 09-01: routed_notice due 09-16
    step(desk, a, D(2026, 9, 2), m.SignFor(D(2026, 9, 1)), handler)
    b = register(desk, D(2026, 9, 9), unit="CY")  # due 09-24 (09-25 is the Mid-Autumn Festival)
    step(desk, b, D(2026, 9, 10), m.SignFor(D(2026, 9, 9)), cy_staff)
    # Friday, never signed for: sign_for 3 working days, 09-20 (a make-up working Sunday), 09-21, 09-22
    g = register(desk, D(2026, 9, 18))
    c = register(desk, D(2026, 8, 1))  # accepted 08-03: handling due 10-08 (10-02 is a holiday)
    step(desk, c, D(2026, 8, 3), m.Accept(), handler)
    d = register(desk, D(2026, 7, 1))  # accepted 07-02, due 08-31, extended by 30 days to 09-30
    step(desk, d, D(2026, 7, 2), m.Accept(), handler)
    step(desk, d, D(2026, 8, 20), m.Extend(30, "局长", "情况复杂", True), handler)
    e = register(desk, D(2026, 9, 20), action=RoutingAction.LEADER_RECEPTION)  # register_route due 10-08
    f = register(desk, D(2026, 9, 1), action=RoutingAction.ASSIGN, unit="CY")  # closed: nothing running
    step(desk, f, D(2026, 9, 2), m.Reject("民事纠纷", "人民法院"), cy_staff)
    nos = {k: case_no(desk, v) for k, v in dict(a=a, b=b, c=c, d=d, e=e, f=f, g=g).items()}

    def names(lst: lc.ClockList) -> list[tuple[str, str, date]]:
        rev = {v: k for k, v in nos.items()}
        return [(rev[r.case_no], r.clock, r.due) for r in lst.rows]

    on = D(2026, 9, 26)
    over = lc.overdue(desk.ctx, on=on)
    assert names(over) == [("a", "routed_notice", D(2026, 9, 16)), ("g", "sign_for", D(2026, 9, 22)),
                           ("b", "routed_notice", D(2026, 9, 24))]
    assert over.total == 3 and over.rows[0].left == -10 and over.rows[0].colour == "red"
    assert over.rows[1].left == -2  # working days over: 09-23, 09-24 (09-25 is the Mid-Autumn Festival)
    assert names(lc.overdue(desk.ctx, on=on, unit_id=cy)) == [("b", "routed_notice", D(2026, 9, 24))]
    # extended case d (due 09-30) is not overdue; it is amber (≤ 20 % of 90 days left), as is c (12 days left)
    soon = lc.due_soon(desk.ctx, on=on)
    # e (register_route, 15 days, due 10-08) turns amber only 3 days before: still green
    assert names(soon) == [("d", "handling", D(2026, 9, 30)), ("c", "handling", D(2026, 10, 8))]
    assert {r.colour for r in soon.rows} == {"amber"}
    assert names(lc.due_soon(desk.ctx, on=on, unit_id=zjj)) == [("d", "handling", D(2026, 9, 30)),
                                                               ("c", "handling", D(2026, 10, 8))]
    later = D(2026, 10, 9)
    later_names = [n for n, _, _ in names(lc.overdue(desk.ctx, on=later))]
    assert later_names[:4] == ["a", "g", "b", "d"] and set(later_names[4:]) == {"c", "e"}
    assert lc.overdue(desk.ctx, on=later, limit=2).total == 6
    # overdue cases enter the supervision list once, with their own 30-day feedback clock
    desk.clock.moment = at(later)
    assert lc.supervise_overdue(desk.ctx, actor_id=desk.user("supervisor"), on=later) == 5  # e has no unit yet
    assert lc.supervise_overdue(desk.ctx, actor_id=desk.user("supervisor"), on=later) == 0
    total, sups = lc.supervision_list(desk.ctx, on=later)
    assert total == 5 and {s.due for s in sups} == {D(2026, 11, 9)}  # 11-08 is a Sunday
    assert {s.reason for s in sups} == {"overdue"}


def test_notifications_outbox_and_recording_gateway(desk: Desk) -> None:
    handler = user(desk, "unit_staff")
    cid = register(desk, D(2026, 8, 3))
    other = register(desk, D(2026, 8, 3), name="李四", phone="")
    step(desk, cid, D(2026, 8, 5), m.Accept(), handler)
    step(desk, other, D(2026, 8, 5), m.Accept(), handler)
    counts = notify.outbox_counts(desk.ctx)
    assert counts == {"pending": 2}
    pending = notify.outbox(desk.ctx, status="pending")
    no = case_no(desk, cid)
    with desk.ctx.db.read() as s:
        code = s.scalar(select(Case.query_code).where(Case.id == cid))
    text = next(n.text for n in pending if n.case_id == cid)
    assert no in text and f"查询码{code}" in text and "2026年8月5日受理" in text
    assert ID_NUMBER not in text and "夏明云" not in text
    gateway = notify.RecordingGateway()
    report = notify.send_pending(desk.ctx, gateway)
    assert (report.sent, report.failed) == (1, 1)
    assert gateway.sent == [("13812345678", text)]
    assert notify.outbox_counts(desk.ctx) == {"sent": 1, "failed": 1}
    failed = notify.outbox(desk.ctx, status="failed")[0]
    assert failed.case_id == other and "手机" in failed.error and failed.attempts == 1
    assert notify.send_pending(desk.ctx, gateway).sent == 0  # nothing pending any more
    broken = notify.RecordingGateway(fail_phones={"13812345678"})
    step(desk, cid, D(2026, 8, 6), m.Extend(10, "局长", "需要鉴定", True), handler)
    assert notify.send_pending(desk.ctx, broken).failed == 1
    assert notify.send_pending(desk.ctx, gateway, retry_failed=True).sent == 1


def test_case_show_json(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    handler = user(desk, "unit_staff")
    cid = register(desk, D(2026, 8, 3))
    step(desk, cid, D(2026, 8, 4), m.SignFor(), handler)
    step(desk, cid, D(2026, 8, 5), m.Accept(), handler)
    step(desk, cid, D(2026, 9, 30), m.Extend(20, "王局长", "需要调查取证", True), handler)
    no = case_no(desk, cid)
    assert main(["case", "show", no.lower(), "--data-dir", str(desk.ctx.paths.root), "--json",
                 "--on", "2026-10-20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["case_no"] == no and data["status"] == "extended" and data["status_label"] == "已延期"
    assert [e["kind"] for e in data["events"]] == ["received", "assigned", "signed", "accepted", "extended"]
    assert data["events"][-1]["data"]["approved_by"] == "王局长"
    [clock] = data["clocks"]
    assert clock == clock | {"clock": "handling", "start": "2026-08-05", "due": "2026-10-26", "allowed": 80,
                             "elapsed": 76, "left": 6, "state": "amber", "extended_by": 20, "confirmed": True,
                             "responsible_unit": "区住房和城乡建设局"}
    assert data["overdue"] is False
    assert ID_NUMBER not in json.dumps(data, ensure_ascii=False)
    assert main(["case", "show", no, "--data-dir", str(desk.ctx.paths.root), "--on", "2026-10-27"]) == 0
    out = capsys.readouterr().out
    assert "[已超期] 办结并书面答复 至2026-10-26" in out
    assert main(["case", "show", "JD09-20260101-0001", "--data-dir", str(desk.ctx.paths.root)]) == 2


def test_sync_clocks_catches_up_with_intake_and_is_cheap_afterwards(desk: Desk) -> None:
    ids = [register(desk, D(2026, 9, 1), bulk=True),
           register(desk, D(2026, 9, 2), action=RoutingAction.LEADER_RECEPTION, bulk=True)]
    assert lc.sync_clocks(desk.ctx) == 2
    assert lc.sync_clocks(desk.ctx) == 0
    assert stored_clocks(desk, ids[1]) == {"register_route": D(2026, 9, 17)}
    ids.append(register(desk, D(2026, 9, 3), bulk=True))
    assert lc.sync_clocks(desk.ctx) == 1
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(CaseClock)) == 3  # sign_for, register_route, sign_for
    assert lc.recompute_clocks(desk.ctx).checked == 3
    assert CaseStatus.parse(status(desk, ids[0])[0]) is CaseStatus.ASSIGNED


def test_a_supervisor_who_handled_a_step_may_not_rate_it(desk: Desk) -> None:
    recorder = user(desk, "recorder", role="supervisor")  # records the unit's paper reply at the centre
    cid = register(desk, D(2026, 8, 3))
    step(desk, cid, D(2026, 8, 4), m.SignFor(), recorder)
    step(desk, cid, D(2026, 8, 5), m.Accept(), recorder)
    step(desk, cid, D(2026, 9, 1), m.Reply(m.ReplyOutcome.EXPLAIN, "依据", D(2026, 9, 1), m.DeliveryMeans.POST),
         recorder)
    refused(desk, cid, D(2026, 9, 2), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE),
            "承办人不得代替信访人作出满意度评价", recorder)


def test_saving_one_setting_keeps_the_others(desk: Desk) -> None:
    with desk.ctx.db.write() as s:
        lc.save_settings(s, amber_days=5, evaluation_days=20, sign_days=4)
    with desk.ctx.db.write() as s:
        lc.save_settings(s, supervision_days=15)  # only this one: the others stay as stored
    with desk.ctx.db.read() as s:
        st = lc.load_settings(s)
    assert (st.thresholds.amber_days, st.evaluation_days, st.sign_days, st.supervision_days) == (5, 20, 4, 15)
    assert st.thresholds.amber_fraction == 0.2 and st.on_spot_restart is False
