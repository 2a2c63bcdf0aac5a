"""The leader's on-the-spot reply as a lawful lifecycle step, and 复核 hearings pausing the re-check clock, on a
real database with real 2026 dates."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import CaseEvent, Leader, Notification
from reception.domain.enums import CaseStatus, DocumentType, RoutingAction
from reception.leader import service as ls
from reception.leader.service import Outcome, Reaction, RecordInput
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc
from reception.security.permissions import PermissionDenied
from tests.unit.conftest import Desk
from tests.unit.test_lifecycle import case_no, refused, register, status, step, stored_clocks, user

D = date


def leader_reply(desk: Desk, case_id: str, on: date, outcome: Outcome) -> ls.RecordResult:
    desk.clock.moment = datetime(on.year, on.month, on.day, 10, tzinfo=CHINA_TZ)
    with desk.ctx.db.read() as s:
        leader = s.scalar(select(Leader.id).order_by(Leader.rank_order))
    [queued] = [q for q in ls.leader_queue(desk.ctx, on) if q.case_id == case_id]
    return ls.record_reception(desk.ctx, RecordInput(
        case_id=case_id, visit_id=queued.visit_id, leader_id=leader, reply="经核实已当场协调物业退还押金。",
        outcome=outcome, reaction=Reaction.SATISFIED), actor_id=desk.user("admin"))


@pytest.mark.parametrize(("outcome", "reply_outcome"), [(Outcome.RESOLVED, "support"),
                                                        (Outcome.EXPLAINED, "explain")])
def test_on_the_spot_reply_is_delivered_then_evaluated_and_closed(desk: Desk, outcome: Outcome,
                                                                  reply_outcome: str) -> None:
    caller = user(desk, "callback", role="supervisor", unit=None)
    cid = register(desk, D(2026, 9, 16), action=RoutingAction.LEADER_RECEPTION)
    assert stored_clocks(desk, cid) == {"register_route": D(2026, 10, 8)}  # the intake clock runs
    r = leader_reply(desk, cid, D(2026, 9, 16), outcome)
    assert (r.status, r.status_label) == ("replied", "已答复")
    # the intake clock stops; only the evaluation window runs (no 复查: not a 处理意见书)
    assert stored_clocks(desk, cid) == {"evaluation": D(2026, 10, 16)}
    with desk.ctx.db.read() as s:
        ev = s.scalar(select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.kind == "replied_on_spot"))
        assert ev is not None and ev.data["outcome"] == reply_outcome and ev.data["means"] == "in_person"
        assert ev.data["reception_id"] == r.reception_id and ev.data["delivered_on"] == "2026-09-16"
        notice = s.scalar(select(Notification.text).where(Notification.case_id == cid))
    assert notice is not None and "当面答复" in notice and case_no(desk, cid) in notice
    # whoever recorded the leader's reply may not record the rating; closing waits for it (or the window's end)
    refused(desk, cid, D(2026, 9, 17), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE), "承办人不得",
            desk.user("admin"))  # an administrator may do both, but not for the same case
    refused(desk, cid, D(2026, 9, 17), m.Close(), "评价期至2026年10月16日届满前不能销号")
    refused(desk, cid, D(2026, 9, 17), m.RequestReview(D(2026, 9, 17), "区政府"), "现场答复不是处理意见书")
    step(desk, cid, D(2026, 9, 18), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE), caller)
    assert step(desk, cid, D(2026, 9, 18), m.Close("现场答复办结"), caller).status == "closed"
    assert stored_clocks(desk, cid) == {}


@pytest.mark.parametrize(("restart", "due"), [
    (False, D(2026, 11, 17)),  # the article: 15 days from receipt (11-02), already overdue when rated on 11-20
    (True, D(2026, 12, 7)),  # the local rule: 15 days from the rating (12-05, a Saturday → Monday 12-07)
])
def test_dissatisfied_rating_of_an_on_the_spot_reply_counts_from_receipt_unless_the_setting_says(
        desk: Desk, restart: bool, due: date) -> None:
    from reception.cli import main

    caller = user(desk, "callback", role="supervisor", unit=None)
    cid = register(desk, D(2026, 11, 2), action=RoutingAction.LEADER_RECEPTION)
    leader_reply(desk, cid, D(2026, 11, 2), Outcome.EXPLAINED)
    step(desk, cid, D(2026, 11, 20), m.Evaluate(m.Rating.DISSATISFIED, m.EvaluationChannel.SMS, "不认可"), caller)
    assert stored_clocks(desk, cid) == {"register_route": D(2026, 11, 17)}
    with pytest.raises(PermissionDenied):
        lc.set_on_spot_restart(desk.ctx, restart, actor_id=caller)  # (administrators only)
    lc.set_on_spot_restart(desk.ctx, restart, actor_id=desk.user("admin"))  # the stored clock follows at once
    assert stored_clocks(desk, cid) == {"register_route": due}
    with desk.ctx.db.read() as s:
        assert lc.load_settings(s).on_spot_restart is restart
    assert main(["case", "on-spot-restart", "off", "--data-dir", str(desk.ctx.paths.root)]) == 0
    assert stored_clocks(desk, cid) == {"register_route": D(2026, 11, 17)}


def test_dissatisfied_with_the_on_the_spot_reply_goes_to_a_unit(desk: Desk) -> None:
    caller, handler = user(desk, "callback", role="supervisor", unit=None), user(desk, "unit_staff")
    cid = register(desk, D(2026, 9, 16), action=RoutingAction.LEADER_RECEPTION)
    leader_reply(desk, cid, D(2026, 9, 16), Outcome.EXPLAINED)
    step(desk, cid, D(2026, 9, 21), m.Evaluate(m.Rating.DISSATISFIED, m.EvaluationChannel.SMS, "不认可"), caller)
    # no unit to supervise: the centre must route it, within the 15 days from receipt (Art. 22: 10-01 → 10-08)
    assert stored_clocks(desk, cid) == {"register_route": D(2026, 10, 8)}
    refused(desk, cid, D(2026, 9, 22), m.Close(), "应交办责任单位办理")
    r = step(desk, cid, D(2026, 9, 22), m.Route(desk.unit("ZJJ")))
    # 3 working days to sign for: 09-23, 09-24, 09-28 (09-25 is the Mid-Autumn Festival)
    assert r.status == "assigned" and stored_clocks(desk, cid) == {"sign_for": D(2026, 9, 28)}
    step(desk, cid, D(2026, 9, 23), m.SignFor(), handler)
    step(desk, cid, D(2026, 9, 23), m.Accept(), handler)
    assert set(stored_clocks(desk, cid)) == {"handling"}


def test_on_the_spot_reply_of_a_case_already_with_a_unit_keeps_the_units_clocks(desk: Desk) -> None:
    from reception.intake.service import IntakeInput, PersonInput, register_intake

    cid = register(desk, D(2026, 9, 15))  # assigned at the desk
    desk.clock.moment = datetime(2026, 9, 16, 9, tzinfo=CHINA_TZ)
    again = IntakeInput(person=PersonInput(name="夏明云", id_type=DocumentType.NONE, phone="13812345678",
                                           address="示范区翠园街道某小区"),
                        request="要求面见领导", join_case_id=cid, routing_action=RoutingAction.LEADER_RECEPTION)
    register_intake(desk.ctx, again, desk_id=desk.desk_id, officer_id=desk.officer_id, render_receipt=False)
    r = leader_reply(desk, cid, D(2026, 9, 16), Outcome.EXPLAINED)
    assert r.status == CaseStatus.ASSIGNED.value
    assert stored_clocks(desk, cid) == {"sign_for": D(2026, 9, 18)}


def test_recheck_hearing_pauses_the_clock(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    handler = user(desk, "unit_staff")
    cid = register(desk, D(2026, 3, 2))
    step(desk, cid, D(2026, 3, 3), m.SignFor(), handler)
    step(desk, cid, D(2026, 3, 4), m.Accept(), handler)
    step(desk, cid, D(2026, 4, 1), m.Reply(m.ReplyOutcome.REJECT, "依据", D(2026, 4, 1), m.DeliveryMeans.POST),
         handler)
    step(desk, cid, D(2026, 4, 10), m.RequestReview(D(2026, 4, 10), "区人民政府"))
    step(desk, cid, D(2026, 5, 6), m.Reply(m.ReplyOutcome.REJECT, "维持", D(2026, 5, 6), m.DeliveryMeans.POST))
    step(desk, cid, D(2026, 6, 1), m.RequestRecheck(D(2026, 6, 1), "市人民政府"))
    assert stored_clocks(desk, cid) == {"recheck_decision": D(2026, 7, 1)}
    refused(desk, cid, D(2026, 6, 9), m.StartHearing(D(2026, 5, 30)), "听证开始日期应在收到复核请求之后")
    refused(desk, cid, D(2026, 6, 9), m.EndHearing(D(2026, 6, 9)), "没有正在进行的听证")
    step(desk, cid, D(2026, 6, 10), m.StartHearing(D(2026, 6, 10), "组织听证"))
    refused(desk, cid, D(2026, 6, 11), m.StartHearing(D(2026, 6, 11)), "听证正在进行")
    refused(desk, cid, D(2026, 6, 11), m.Reply(m.ReplyOutcome.REJECT, "维持", D(2026, 6, 11), m.DeliveryMeans.POST),
            "听证尚未结束")
    # paused: not on the overdue list even after the old due date
    view = lc.case_view(desk.ctx, case_no(desk, cid), on=D(2026, 7, 3))
    [clock] = view["clocks"]
    assert clock["state"] == "paused" and clock["due"] == "2026-07-27" and clock["elapsed"] == 8
    assert clock["paused"] is True
    assert lc.overdue(desk.ctx, on=D(2026, 7, 3)).total == 0
    refused(desk, cid, D(2026, 7, 3), m.EndHearing(D(2026, 6, 9)), "听证结束日期应在听证开始之后")
    step(desk, cid, D(2026, 6, 12), m.EndHearing(D(2026, 6, 12), "听证结束"))  # 3 days not counted
    assert stored_clocks(desk, cid) == {"recheck_decision": D(2026, 7, 6)}  # 07-04 is a Saturday
    view = lc.case_view(desk.ctx, case_no(desk, cid), on=D(2026, 7, 7))
    assert view["clocks"][0]["state"] == "red" and view["clocks"][0]["paused_days"] == 3
    assert [o.case_no for o in lc.overdue(desk.ctx, on=D(2026, 7, 7)).rows] == [case_no(desk, cid)]
    r = step(desk, cid, D(2026, 7, 6), m.Reply(m.ReplyOutcome.REJECT, "维持", D(2026, 7, 6), m.DeliveryMeans.POST))
    assert r.status == "final" and status(desk, cid)[0] == "final"


def test_case_show_prints_the_new_clocks(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from reception.cli import main

    handler = user(desk, "unit_staff")
    routed = register(desk, D(2026, 9, 18))
    root = str(desk.ctx.paths.root)
    assert main(["case", "show", case_no(desk, routed), "--data-dir", root, "--json", "--on", "2026-09-21"]) == 0
    data = json.loads(capsys.readouterr().out)
    [clock] = data["clocks"]
    assert clock == clock | {"clock": "sign_for", "due": "2026-09-22", "allowed": 3, "unit": "working",
                             "state": "amber", "responsible_unit": "区住房和城乡建设局", "paused": False}
    assert data["received_on"] == "2026-09-18" and data["owners"] == []
    step(desk, routed, D(2026, 9, 21), m.SignFor(D(2026, 9, 19)), handler)
    assert main(["case", "show", case_no(desk, routed), "--data-dir", root, "--json", "--on", "2026-09-21"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["clock"]: (c["start"], c["due"], c["state"]) for c in data["clocks"]} == {
        "routed_notice": ("2026-09-19", "2026-10-08", "green"),  # 10-04 is in the National Day holiday
        "objection": ("2026-09-19", "2026-09-24", "amber")}  # 09-20 (make-up Sunday), 21, 22, 23, 24
    # a re-check with a hearing running: paused, its due date provisional
    cid = register(desk, D(2026, 3, 2), name="李四", phone="13900001111")
    for on, t in ((D(2026, 3, 3), m.SignFor()), (D(2026, 3, 4), m.Accept()),
                  (D(2026, 4, 1), m.Reply(m.ReplyOutcome.REJECT, "依据", D(2026, 4, 1), m.DeliveryMeans.POST)),
                  (D(2026, 4, 10), m.RequestReview(D(2026, 4, 10), "区人民政府")),
                  (D(2026, 5, 6), m.Reply(m.ReplyOutcome.REJECT, "维持", D(2026, 5, 6), m.DeliveryMeans.POST)),
                  (D(2026, 6, 1), m.RequestRecheck(D(2026, 6, 1), "市人民政府")),
                  (D(2026, 6, 10), m.StartHearing(D(2026, 6, 10)))):
        step(desk, cid, on, t, handler if isinstance(t, (m.SignFor, m.Accept)) else None)
    assert main(["case", "show", case_no(desk, cid), "--data-dir", root, "--on", "2026-06-12"]) == 0
    out = capsys.readouterr().out
    # 30 + 3 hearing days (06-10..06-12) from 06-01: 07-04 is a Saturday → 07-06; 8 days counted (06-02..06-09)
    assert "[暂停计时] 作出复核意见 至2026-07-06 允许30日，已用8日" in out and "听证中，到期日暂定" in out


def test_list_totals_stop_counting_at_the_cap(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(4):  # four routed cases nobody signs for: sign_for due 09-03
        register(desk, D(2026, 8, 31), name=f"甲某{n}", phone=f"1390000111{n}")
    on = D(2026, 9, 10)
    assert lc.overdue(desk.ctx, on=on).total == 4 and not lc.overdue(desk.ctx, on=on).capped
    monkeypatch.setattr(lc, "COUNT_CAP", 2)
    capped = lc.overdue(desk.ctx, on=on, limit=1)
    assert (capped.total, capped.capped, capped.total_text, len(capped.rows)) == (3, True, "2+", 1)
    assert lc.count_text(2) == "2" and lc.count_text(3) == "2+"
