"""Merges through sync with two desks and a real server: the merge and its undoing reach the other desk as
ordinary changes; the desk that edited the merged-away case offline gets a stored conflict, nothing is lost; a
desk cannot mark another desk's case merged without a merge record."""

from __future__ import annotations

from sqlalchemy import select

from reception.db.models import Case, CaseEvent, CaseMerge, SyncOutbox, Visit
from reception.intake.cases import case_detail
from reception.lifecycle import machine as m
from reception.lifecycle.service import apply, load_state
from reception.merge.service import merge_cases, undo_case_merge
from reception.sync.desk import list_conflicts, resolve_conflict, sync_status
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, assert_converged


def _assigned_case(desk: DeskHandle) -> str:
    for _ in range(10):
        case_id = desk.intake(1)[0]
        with desk.ctx.db.read() as s:
            case = s.get(Case, case_id)
            if case is not None and case.status == "assigned":
                return case_id
    raise AssertionError("no assigned case")


def _merged_into(desk: DeskHandle, case_id: str) -> str | None:
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.merged_into


def _parked(desk: DeskHandle) -> list[str]:
    with desk.ctx.db.read() as s:
        return list(s.scalars(select(SyncOutbox.error).where(SyncOutbox.state == "parked")))


def test_a_merge_syncs_an_offline_edit_becomes_a_conflict_and_the_undo_syncs(env: Env) -> None:
    a = env.desk("一号窗口", seed=31)
    b = env.desk("二号窗口", seed=32)
    survivor = a.intake(1)[0]  # a's case
    merged = _assigned_case(b)  # b's case
    assert a.sync().ok and b.sync().ok and a.sync().ok
    env.server.stop()
    # b merges its case into a's (the survivor is another desk's case: the merge event is checked by the server)
    merge_cases(b.ctx, survivor, merged, reason="同一事项重复登记", actor_id=None)
    # a, offline and unaware, takes a lifecycle step on b's case
    apply(a.ctx, merged, m.SignFor(), actor_id=None)
    env.server.start()
    assert b.sync().ok
    assert _parked(b) == []
    report = a.sync()
    assert report.ok and report.new_conflicts == 1
    [conflict] = list_conflicts(a.ctx)
    assert conflict.table == "petition_case" and conflict.record_id == merged
    assert conflict.server_data is not None and conflict.server_data["merged_into"] == survivor
    assert conflict.local_data is not None and conflict.local_data["status"] == "signed"
    with a.ctx.db.read() as s:  # a's step is kept (events are a union), and the merge reached a
        kinds = set(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id.in_([survivor, merged]))))
        assert {"merged", "signed"} <= kinds
        assert s.scalar(select(CaseMerge.id).where(CaseMerge.merged_id == merged)) is not None
    resolve_conflict(a.ctx, conflict.id, "server")
    assert a.sync().ok and b.sync().ok
    assert _merged_into(a, merged) == survivor
    detail = case_detail(a.ctx, merged)
    assert detail.summary.id == survivor and len(detail.visits) == 2
    for desk in (a, b):  # the earliest receipt date governs the survivor's clocks at both desks
        with desk.ctx.db.read() as ds:
            c, other = ds.get(Case, survivor), ds.get(Case, merged)
            assert c is not None and other is not None
            earliest = min(c.received_on or c.registered_on, other.received_on or other.registered_on)
            assert load_state(ds, c).received_on == earliest
    # the undo (an administrator's; here the system) syncs as a reversing record
    [record] = [r for r in _merges(b) if r.undoes is None]
    undo_case_merge(b.ctx, record.id, reason="合并错误", actor_id=None)
    assert b.sync().ok and a.sync().ok
    assert _parked(b) == [] and _parked(a) == []
    assert _merged_into(a, merged) is None
    assert case_detail(a.ctx, merged).summary.id == merged
    with a.ctx.db.read() as s:
        assert s.scalar(select(Visit.case_id).where(Visit.case_id == merged)) == merged
    assert sync_status(a.ctx).conflicts == 0
    assert_converged(env.db, [a, b])


def _merges(desk: DeskHandle) -> list[CaseMerge]:
    with desk.ctx.db.read() as s:
        rows = list(s.scalars(select(CaseMerge)))
        for r in rows:
            s.expunge(r)
        return rows


def test_marking_another_desks_case_merged_without_a_merge_record_is_refused(env: Env) -> None:
    a = env.desk("一号窗口", seed=41)
    b = env.desk("二号窗口", seed=42)
    case_a = a.intake(1)[0]
    case_b = b.intake(1)[0]
    assert a.sync().ok and b.sync().ok
    with b.ctx.db.write() as s:  # by hand, as a tampered desk would: no case_merge record
        case = s.get(Case, case_a)
        assert case is not None
        case.merged_into = case_b
        case.version += 1
    b.sync()
    parked = _parked(b)
    assert len(parked) == 1 and "合并记录" in parked[0]
    assert _merged_into(a, case_a) is None
