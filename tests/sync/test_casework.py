"""The server's casework (``reception.server.casework``): a case synced by a desk, loaded and replayed on the server
through the core's state machine, stepped there (as the unit workbench and the query page will), and the result
pulled back by the desks, which recompute the case's clocks from it. A forbidden step is refused with the machine's
Chinese reason and writes nothing. On SQLite and PostgreSQL with a real server process (``env``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import Case, CaseClock, CaseEvent, Supervision
from reception.domain.enums import CaseStatus
from reception.lifecycle import machine as m
from reception.lifecycle.offers import Step
from reception.lifecycle.service import load_settings as desk_settings
from reception.lifecycle.service import load_state
from reception.security.permissions import Permission, permissions_of
from reception.server import casework
from reception.server.service import add_unit
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, assert_converged, server_records

pytestmark = pytest.mark.dated

REGISTERED = datetime.combine(date(2026, 11, 2), time(9, 30), CHINA_TZ)  # a Monday
UNIT_STAFF = permissions_of("unit_staff")


def _routed_case(env: Env, desk: DeskHandle) -> tuple[str, str, str]:
    """A case registered at ``desk`` and routed to a unit at intake, synced: (case id, case number, unit id)."""
    for _ in range(20):
        case_id = desk.intake(1, moment=REGISTERED)[0]
        assert desk.sync().ok
        data = server_records(env.db)[("petition_case", case_id)][2]
        if data and data.get("unit_id"):
            return case_id, str(data["case_no"]), str(data["unit_id"])
    raise AssertionError("no routed intake")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CHINA_TZ)


def test_a_case_is_replayed_and_stepped_on_the_server(env: Env) -> None:
    a = env.desk("一号窗口", seed=5)
    b = env.desk("二号窗口", seed=6)
    case_id, case_no, unit_id = _routed_case(env, a)
    unit_client, _token = add_unit(env.db, unit_id)
    with env.db.session() as s:
        case = casework.load_case(s, env.db.sealer, case_no=case_no)
        assert case.id == case_id and case.case_no == case_no
        with a.ctx.db.read() as ds:  # the same replay as the desk's own
            desk_case = ds.get(Case, case_id)
            assert desk_case is not None
            assert load_state(ds, desk_case) == case.state
            assert casework.load_settings(s) == desk_settings(ds)
        assert casework.load_case(s, env.db.sealer, case_id=case_id).case_no == case_no
        assert case.status in (CaseStatus.ASSIGNED, CaseStatus.FORWARDED) and case.handled_by(unit_id)
        cal = casework.work_calendar(s)
        st = casework.load_settings(s)
        day = REGISTERED.date()
        assert all(cal.is_workday(day + timedelta(d)) == a.ctx.calendar.is_workday(day + timedelta(d))
                   for d in range(400))
        assert [c.key for c, _a in casework.case_clocks(case, day, cal, st)] == ["sign_for"]
        offers = {o.step: o for o in casework.offers(case, today=day, cal=cal, settings=st, permissions=UNIT_STAFF)}
        assert offers[Step.SIGN_FOR].enabled and offers[Step.ACCEPT].enabled
        assert not offers[Step.SUPERVISE].enabled and "督办" in offers[Step.SUPERVISE].reason
        assert casework.permission_for(m.SignFor()) is Permission.HANDLE
        signed_on = cal.next_workday(day + timedelta(days=1))
        step = casework.apply(s, case, m.SignFor(signed_on), origin_client=unit_client, unit_user="张科员",
                              now=_at(signed_on))
        assert step.kind == "signed" and step.status == "signed" and case.status.value == "signed"
    before = server_records(env.db)
    with env.db.session() as s:
        case = casework.load_case(s, env.db.sealer, case_id=case_id)
        assert case.status is CaseStatus.SIGNED
        # a forbidden step: refused with the machine's reason, nothing written
        with pytest.raises(m.LifecycleError) as refused:
            casework.apply(s, case, m.Close(), origin_client=unit_client, now=_at(signed_on))
        assert "尚未受理" in refused.value.message
        casework.apply(s, case, m.Accept(), origin_client=unit_client, unit_user="张科员", now=_at(signed_on, 11))
    assert len(server_records(env.db)) == len(before) + 1  # (the accepted event; the case row has a new version)
    for desk in (b, a):
        assert desk.sync().ok
        with desk.ctx.db.read() as ds:
            row = ds.get(Case, case_id)
            assert row is not None and row.status == "accepted"
            kinds = [e.kind for e in ds.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                                .order_by(CaseEvent.occurred_at))]
            assert kinds[-2:] == ["signed", "accepted"]
            signed = ds.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "signed"))
            assert signed is not None and signed.data["unit_user"] == "张科员" and signed.unit_id == unit_id
            clocks = {c.clock_key: c for c in ds.scalars(select(CaseClock).where(CaseClock.case_id == case_id))}
            assert set(clocks) == {"handling"} and clocks["handling"].started_on == signed_on
    assert_converged(env.db, [a, b])


def test_late_objection_and_a_dissatisfied_evaluation(env: Env) -> None:
    a = env.desk("一号窗口", seed=8)
    case_id, case_no, unit_id = _routed_case(env, a)
    unit_client, _token = add_unit(env.db, unit_id)
    with env.db.session() as s:
        cal, st = casework.work_calendar(s), casework.load_settings(s)
        case = casework.load_case(s, env.db.sealer, case_no=case_no)
        signed_on = cal.next_workday(REGISTERED.date() + timedelta(days=1))
        casework.apply(s, case, m.SignFor(signed_on), origin_client=unit_client, now=_at(signed_on))
        last = signed_on
        for _ in range(5):
            last = cal.next_workday(last + timedelta(days=1))
        late = last + timedelta(days=1)  # the day after the 5th working day
        offers = {o.step: o for o in casework.offers(case, today=late, cal=cal, settings=st, permissions=UNIT_STAFF)}
        assert not offers[Step.OBJECT].enabled and "已超过异议期限" in offers[Step.OBJECT].reason
        with pytest.raises(m.LifecycleError, match="已超过异议期限"):
            casework.apply(s, case, m.Object("不属于本单位职权"), origin_client=unit_client, now=_at(late))
        casework.apply(s, case, m.Accept(), origin_client=unit_client, now=_at(late))
        delivered = late + timedelta(days=7)
        casework.apply(s, case, m.Reply(m.ReplyOutcome.SUPPORT, "依据相关规定予以解决", delivered,
                                        m.DeliveryMeans.POST), origin_client=unit_client, now=_at(delivered))
        step = casework.apply(s, case, m.Evaluate(m.Rating.DISSATISFIED, m.EvaluationChannel.ONLINE),
                              origin_client="query", now=_at(delivered + timedelta(days=2)))
        assert step.kind == "evaluated" and len(step.event_ids) == 2  # and the 督办 it opens
        assert case.state.supervisions and case.status is CaseStatus.REPLIED
        with pytest.raises(m.LifecycleError, match="不能重复评价"):
            casework.apply(s, case, m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.ONLINE),
                           origin_client="query", now=_at(delivered + timedelta(days=3)))
        (sid,) = case.state.supervisions
        casework.apply(s, case, m.AnswerSupervision(sid, False, "重新核查"), origin_client=unit_client,
                       now=_at(delivered + timedelta(days=9)))
        assert case.status.value == "in_handling"
    assert a.sync().ok
    with a.ctx.db.read() as ds:
        row = ds.get(Case, case_id)
        assert row is not None and row.status == "in_handling"
        sup = ds.get(Supervision, sid)
        assert sup is not None and sup.state == "open" and sup.round == 2 and sup.answer_note == "重新核查"
        assert sup.reason == "dissatisfied"
        assert {c.clock_key for c in ds.scalars(select(CaseClock).where(CaseClock.case_id == case_id))} \
            == {"supervision"}
    assert_converged(env.db, [a])


def test_unit_progress_goes_through_casework(env: Env) -> None:
    """The unit API's progress note: refused for a case the unit does not handle, stored as an event otherwise."""
    a = env.desk("一号窗口", seed=9)
    case_id, case_no, unit_id = _routed_case(env, a)
    _client, token = add_unit(env.db, unit_id)
    r = httpx.post(env.server.url + f"/units/cases/{case_no}/events", headers={"Authorization": f"Bearer {token}"},
                   json={"kind": "unit_feedback", "note": "已电话联系信访人"}, timeout=10)
    assert r.status_code == 200, r.text
    with env.db.session() as s:
        case = casework.load_case(s, env.db.sealer, case_id=case_id)
        assert case.events[-1]["kind"] == "unit_feedback" and case.events[-1]["unit_id"] == unit_id
        with pytest.raises(m.LifecycleError):
            casework.post_note(s, case, "accepted", "x", {}, origin_client=_client, unit_id=unit_id)
        with pytest.raises(casework.NotFoundError):
            casework.load_case(s, env.db.sealer, case_no="X-20261102-9999")
