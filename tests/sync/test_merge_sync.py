"""Merges through sync with two desks and a real server: the merge and its undoing reach the other desk as
ordinary changes; the desk that edited the merged-away case offline gets a stored conflict, nothing is lost; a
desk cannot mark another desk's case merged without a merge record."""

from __future__ import annotations

from sqlalchemy import select

from reception.db.models import Case, CaseEvent, CaseMerge, SyncOutbox, Visit
from reception.intake.cases import case_detail
from reception.lifecycle import machine as m
from reception.lifecycle.service import apply, load_state
from reception.merge.service import case_merges, merge_cases, undo_case_merge
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


def test_two_desks_merging_one_case_into_different_cases_offline_converge_on_the_first(env: Env) -> None:
    """Desk a merges case x into its case s1, desk b (offline too) merges x into its case s2. The first merge to
    reach the server wins; the second's change of x becomes a stored conflict (a version conflict: both merges
    bumped x's version); both merge records and both merge events are kept (nothing lost); after pulling, both
    desks read x as merged into s1 (the conflict settled for it at b, still stored), s2 no longer counts x as its
    own, and b's superseded merge is undone by an administrator without touching x: s2's clocks count from its
    own receipt again."""
    a = env.desk("一号窗口", seed=51)
    b = env.desk("二号窗口", seed=52)
    x, s1 = a.intake(2)
    s2 = b.intake(1)[0]
    assert a.sync().ok and b.sync().ok and a.sync().ok
    env.server.stop()
    merge_cases(a.ctx, s1, x, reason="同一事项（一号窗口）", actor_id=None)
    merge_cases(b.ctx, s2, x, reason="同一事项（二号窗口）", actor_id=None)
    env.server.start()
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.new_conflicts == 1
    assert _parked(a) == [] and _parked(b) == []
    # the conflict is stored with both sides and settled for the merge the server had first
    assert list_conflicts(b.ctx) == [] and sync_status(b.ctx).conflicts == 0
    [conflict] = list_conflicts(b.ctx, state="resolved")
    assert conflict.table == "petition_case" and conflict.record_id == x and conflict.resolution == "merge_first"
    assert conflict.server_data is not None and conflict.server_data["merged_into"] == s1
    assert conflict.local_data is not None and conflict.local_data["merged_into"] == s2
    assert a.sync().ok and b.sync().ok
    for desk in (a, b):  # both merge records and both merge events are on both desks; x is merged into s1
        with desk.ctx.db.read() as s:
            assert {(r.survivor_id, r.merged_id) for r in s.scalars(select(CaseMerge))} == {(s1, x), (s2, x)}
            assert {c for c in s.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "merged"))} == {s1, s2}
        assert _merged_into(desk, x) == s1
        assert case_detail(desk.ctx, x).summary.id == s1
        assert len(case_detail(desk.ctx, s2).visits) == 1 and case_detail(desk.ctx, s2).merged_case_nos == ()
        assert len(case_detail(desk.ctx, s1).visits) == 2
    assert_converged(env.db, [a, b])
    [superseded] = [r for r in case_merges(b.ctx, s2)]
    assert superseded.superseded and not superseded.undone
    assert [r.superseded for r in case_merges(a.ctx, s1)] == [False]
    undo_case_merge(b.ctx, superseded.id, reason="该案件已并入另一案件", actor_id=None)
    assert b.sync().ok and a.sync().ok
    assert _parked(a) == [] and _parked(b) == []
    for desk in (a, b):
        assert _merged_into(desk, x) == s1
        with desk.ctx.db.read() as ds:
            c2 = ds.get(Case, s2)
            assert c2 is not None
            assert load_state(ds, c2).received_on == (c2.received_on or c2.registered_on)
    assert sync_status(b.ctx).conflicts == 0
    assert_converged(env.db, [a, b])
