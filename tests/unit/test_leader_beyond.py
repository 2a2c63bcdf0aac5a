"""Leaders' work beyond the desk on a real database: 约访 by case number, 带案下访 with cases, 积案 (骨头案) and their
resolution, 包案 ending when the matter is settled."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import CaseEvent, CaseOwnership, Leader
from reception.domain.enums import RoutingAction
from reception.domain.errors import FieldErrors
from reception.intake.cases import case_detail
from reception.leader import beyond as b
from reception.leader import service as ls
from reception.leader.service import AppointmentInput, Outcome
from reception.lifecycle import machine as m
from tests.unit.conftest import Desk
from tests.unit.test_leader_reception import form as reception_form
from tests.unit.test_leader_reception import to_leader
from tests.unit.test_lifecycle import case_no, register, step, user

D = date
DAY = D(2026, 9, 16)


def leaders(desk: Desk) -> list[str]:
    with desk.ctx.db.read() as s:
        return list(s.scalars(select(Leader.id).order_by(Leader.rank_order)))


def errors_of(info: pytest.ExceptionInfo[FieldErrors]) -> dict[str, str]:
    return info.value.by_field()


def test_appointment_by_case_number_joins_the_leaders_queue(desk: Desk) -> None:
    cid = register(desk, DAY)
    no = case_no(desk, cid)
    desk.clock.moment = datetime(2026, 9, 16, 15, tzinfo=CHINA_TZ)
    lead = leaders(desk)[0]
    with pytest.raises(FieldErrors) as info:
        b.schedule_by_case_no(desk.ctx, "JD09-20260101-0001", AppointmentInput("", DAY - timedelta(days=1),
                                                                            "9点", None), actor_id=None)
    assert errors_of(info) == {"case_no": "未找到案件编号：JD09-20260101-0001", "leader": "请选择领导",
                               "day": "约访日期不能早于今天"}
    with pytest.raises(FieldErrors) as info:
        b.schedule_by_case_no(desk.ctx, no, AppointmentInput("", DAY + timedelta(days=2), "9点", lead),
                              actor_id=None)
    assert "time" in errors_of(info)
    aid = b.schedule_by_case_no(desk.ctx, no.lower(), AppointmentInput("", D(2026, 9, 18), "9:30", lead,
                                                                       place="区信访接待中心", headcount=2),
                                actor_id=None)
    [row] = b.appointments(desk.ctx, DAY, DAY + timedelta(days=7))
    assert (row.id, row.case_no, row.day, row.time, row.headcount) == (aid, no, D(2026, 9, 18), "09:30", 2)
    assert row.leader and row.place == "区信访接待中心"
    [queued] = ls.leader_queue(desk.ctx, D(2026, 9, 18))
    assert queued.appointment_id == aid and queued.source == "appointment"


def test_down_visit_with_its_cases(desk: Desk) -> None:
    a, c = register(desk, D(2026, 9, 1)), register(desk, D(2026, 9, 2), name="李四", phone="13900001111")
    desk.clock.moment = datetime(2026, 9, 28, 10, tzinfo=CHINA_TZ)
    lead = leaders(desk)[1]
    with pytest.raises(FieldErrors) as info:
        b.create_down_visit(desk.ctx, b.DownVisitInput(lead, D(2026, 9, 29), "  ", "JD01-20990101-0001",
                                                       result="已化解", households=-1), actor_id=None)
    assert errors_of(info) == {"place": "请填写下访地点", "households": "走访户数不能为负数",
                               "result": "尚未下访，不能填写下访成效",
                               "cases": "未找到案件编号：JD01-20990101-0001"}
    vid = b.create_down_visit(desk.ctx, b.DownVisitInput(
        lead, D(2026, 9, 28), "翠园街道尚书茗苑社区", f"{case_no(desk, a)}，{case_no(desk, c)} {case_no(desk, a)}",
        purpose="无会周带案下访", result="现场协调物业公司，约定十日内修复", households=12), actor_id=None)
    [row] = b.down_visits(desk.ctx, D(2026, 9, 1), D(2026, 9, 30))
    assert row.id == vid and row.households == 12 and row.place == "翠园街道尚书茗苑社区"
    assert [x.case_no for x in row.cases] == sorted([case_no(desk, a), case_no(desk, c)])
    assert b.down_visits(desk.ctx, D(2026, 9, 1), D(2026, 9, 30), leader_id=leaders(desk)[0]) == []
    detail = case_detail(desk.ctx, a)
    assert any(e.label == "领导带案下访" and "翠园街道" in e.note for e in detail.events)


def test_backlog_listed_resolved_and_ownership_ended(desk: Desk) -> None:
    cid = to_leader(desk)
    owner = ls.record_reception(desk.ctx, reception_form(desk, cid, outcome=Outcome.OWNED),
                                actor_id=desk.user("duty_leader"))
    assert owner.ownership_id
    no = case_no(desk, cid)
    desk.clock.moment = datetime(2026, 10, 12, 10, tzinfo=CHINA_TZ)
    with pytest.raises(FieldErrors) as info:
        b.list_backlog_case(desk.ctx, b.BacklogInput(no, "  "), actor_id=None)
    assert errors_of(info) == {"reason": "请写明列为积案的原因"}
    bid = b.list_backlog_case(desk.ctx, b.BacklogInput(no, "历时五年多次重复访", hard=True), actor_id=None)
    with pytest.raises(FieldErrors) as info:
        b.list_backlog_case(desk.ctx, b.BacklogInput(no, "重复"), actor_id=None)
    assert errors_of(info) == {"case_no": "该案件已列入积案"}
    [row] = b.backlog(desk.ctx)
    assert row.hard and row.leader and not row.resolved and row.age_days(D(2026, 10, 12)) == 26
    assert b.ownerships(desk.ctx)[0].case_no == no
    with pytest.raises(FieldErrors) as info:
        b.resolve_backlog_case(desk.ctx, bid, "", D(2026, 10, 13), actor_id=None)
    assert errors_of(info) == {"resolution": "请写明化解情况", "resolved_on": "化解日期不能晚于今天"}
    with pytest.raises(FieldErrors) as info:
        b.resolve_backlog_case(desk.ctx, bid, "已化解", D(2026, 10, 11), actor_id=None)
    assert errors_of(info) == {"resolved_on": "化解日期不能早于列为积案的日期"}
    done = b.resolve_backlog_case(desk.ctx, bid, "包案领导协调解决办证问题，信访人息诉罢访", D(2026, 10, 12),
                                  actor_id=None)
    assert done.resolved and done.resolved_on == D(2026, 10, 12)
    assert b.ownerships(desk.ctx) == []  # the ownership ended with the resolution
    with desk.ctx.db.read() as s:
        own = s.get(CaseOwnership, owner.ownership_id)
        assert own is not None and own.ended_on == D(2026, 10, 12)
    counts = b.backlog_counts(desk.ctx, D(2026, 10, 1), D(2026, 10, 31))
    assert (counts.listed, counts.resolved, counts.hard_resolved, counts.open) == (1, 1, 1, 0)
    assert b.backlog_counts(desk.ctx, D(2026, 9, 1), D(2026, 9, 30)).listed == 0
    assert b.backlog(desk.ctx, include_resolved=False) == []


def test_ownership_ends_when_the_case_is_closed_or_by_hand(desk: Desk) -> None:
    handler, caller = user(desk, "unit_staff"), user(desk, "callback", role="supervisor", unit=None)
    cid = to_leader(desk, action=RoutingAction.ASSIGN, name="甲某某")
    other = to_leader(desk, hour=10, name="乙某某")
    with desk.ctx.db.write() as s:
        lead = s.scalar(select(Leader.id).order_by(Leader.rank_order))
        assert lead is not None
        for case in (cid, other):
            s.add(CaseOwnership(case_id=case, leader_id=lead, since=DAY))
    step(desk, cid, D(2026, 9, 17), m.SignFor(), handler)
    step(desk, cid, D(2026, 9, 17), m.Reject("属于民事纠纷", "人民法院"), handler)
    step(desk, cid, D(2026, 9, 18), m.Close("不予受理，销号"), caller)
    with desk.ctx.db.read() as s:
        ended = s.scalar(select(CaseOwnership.ended_on).where(CaseOwnership.case_id == cid))
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == cid)))
    assert ended == D(2026, 9, 18) and "ownership_ended" in kinds
    [open_one] = b.ownerships(desk.ctx)
    assert open_one.case_id == other
    desk.clock.moment = datetime(2026, 9, 20, 10, tzinfo=CHINA_TZ)
    with pytest.raises(FieldErrors) as info:
        b.end_ownership(desk.ctx, open_one.id, D(2026, 9, 21), "", actor_id=None)
    assert errors_of(info) == {"day": "结束日期不能晚于今天", "note": "请写明结束包案的原因（如已化解、已办结）"}
    b.end_ownership(desk.ctx, open_one.id, D(2026, 9, 20), "改由区长包案", actor_id=None)
    assert b.ownerships(desk.ctx) == [] and len(b.ownerships(desk.ctx, open_only=False)) == 2
