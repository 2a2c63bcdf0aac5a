"""Two desks editing one case offline: a stored conflict with both sides, resolved by a person; nothing lost.
Pulled data never overwrites pending local edits; case-number collisions are reported, not refused."""

from __future__ import annotations

from sqlalchemy import select

from reception.db.models import Case, CaseEvent, Desk, Petitioner
from reception.lifecycle import machine as m
from reception.lifecycle.service import apply
from reception.sync.desk import list_conflicts, resolve_conflict, sync_status
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, assert_converged, server_records


def _assigned_case(desk: DeskHandle) -> str:
    for _ in range(10):
        case_id = desk.intake(1)[0]
        with desk.ctx.db.read() as s:
            case = s.get(Case, case_id)
            assert case is not None
            if case.status == "assigned":
                return case_id
    raise AssertionError("no assigned case")


def _events(desk: DeskHandle, case_id: str) -> set[str]:
    with desk.ctx.db.read() as s:
        return set(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))


def test_two_desks_edit_one_case_offline(env: Env) -> None:
    a = env.desk("一号窗口", seed=11)
    b = env.desk("二号窗口", seed=12)
    case_id = _assigned_case(b)  # (b's case: b may rewrite its content, a only its status, by lifecycle steps)
    assert b.sync().ok and a.sync().ok
    env.server.stop()
    # the units' steps as recorded by the system (who may record them is the accounts' concern, not sync's)
    apply(a.ctx, case_id, m.SignFor(), actor_id=None)  # a: the unit signed for it (签收)
    apply(b.ctx, case_id, m.Object("不属于本单位职责"), actor_id=None)  # b, unaware: 异议退回
    env.server.start()
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.new_conflicts == 1 and report.conflicts == 1
    [conflict] = list_conflicts(b.ctx)
    assert conflict.kind == "version" and conflict.table == "petition_case" and conflict.record_id == case_id
    assert conflict.local_data is not None and conflict.server_data is not None
    assert conflict.local_data["status"] != conflict.server_data["status"]
    assert "status" in conflict.differing
    with b.ctx.db.read() as s:  # b's own edit is kept until a person decides
        case = s.get(Case, case_id)
        assert case is not None and case.status == conflict.local_data["status"]
    # both desks' events are there (append-only: a union, never a conflict)
    assert a.sync().ok
    assert {"signed", "objected"} <= _events(a, case_id) | {"signed"}
    assert _events(a, case_id) == _events(b, case_id)
    assert sync_status(b.ctx).conflicts == 1
    # the person merges: keeps the server's row but with b's note in the facts
    merged = dict(conflict.server_data)
    merged["facts"] = conflict.server_data["facts"] + "（二号窗口：单位提出异议）"
    resolve_conflict(b.ctx, conflict.id, "merged", merged)
    assert b.sync().ok and a.sync().ok
    with a.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.facts.endswith("（二号窗口：单位提出异议）")
    assert list_conflicts(b.ctx) == []
    assert_converged(env.db, [a, b])


def test_resolve_by_taking_the_server_side(env: Env) -> None:
    a = env.desk("一号窗口", seed=21)
    b = env.desk("二号窗口", seed=22)
    case_id = a.intake(1)[0]
    a.sync()
    b.sync()
    with a.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        person_id = case.visits[0].persons[0].petitioner_id
    for desk, address in ((a, "一号窗口核实的新住址"), (b, "二号窗口核实的新住址")):
        with desk.ctx.db.write() as s:
            person = s.get(Petitioner, person_id)
            assert person is not None
            person.address = address
    assert a.sync().ok
    report = b.sync()
    assert report.new_conflicts == 1 and report.held == 1  # the open conflict holds the pulled row back
    [conflict] = list_conflicts(b.ctx)
    assert conflict.local_data and conflict.local_data["address"] == "二号窗口核实的新住址"
    assert conflict.server_data and conflict.server_data["address"] == "一号窗口核实的新住址"
    resolve_conflict(b.ctx, conflict.id, "server")
    with b.ctx.db.read() as s:
        person = s.get(Petitioner, person_id)
        assert person is not None and person.address == "一号窗口核实的新住址"
    assert b.sync().ok and a.sync().ok
    assert_converged(env.db, [a, b])


def test_pull_never_overwrites_pending_local_edit(env: Env) -> None:
    a = env.desk("一号窗口", seed=31)
    b = env.desk("二号窗口", seed=32)
    case_id = a.intake(1)[0]
    a.sync()
    b.sync()
    with a.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        person_id = case.visits[0].persons[0].petitioner_id
    with a.ctx.db.write() as s:
        person = s.get(Petitioner, person_id)
        assert person is not None
        person.phone = "13900000001"
    assert a.sync().ok
    with b.ctx.db.write() as s:
        person = s.get(Petitioner, person_id)
        assert person is not None
        person.address = "二号窗口未上传的修改"
    # b cannot reach the server for its push (simulated by pulling only): the pulled change is held back
    from reception.sync.desk.common import _Tally
    from reception.sync.desk.pull import _pull
    from tests.sync.harness import fast_client

    tally = _Tally()
    with fast_client(env.server.url, _token(b)) as client:
        _pull(b.ctx, client, tally)
    assert tally.held == 1
    with b.ctx.db.read() as s:
        person = s.get(Petitioner, person_id)
        assert person is not None and person.address == "二号窗口未上传的修改" and person.phone != "13900000001"
    report = b.sync()
    assert report.new_conflicts == 1  # the push decides: a stored conflict, nothing overwritten
    resolve_conflict(b.ctx, list_conflicts(b.ctx)[0].id, "local")
    assert b.sync().ok and a.sync().ok
    with a.ctx.db.read() as s:
        person = s.get(Petitioner, person_id)
        assert person is not None and person.address == "二号窗口未上传的修改"
    assert_converged(env.db, [a, b])


def _token(desk: DeskHandle) -> str:
    from reception.db.models import SyncPeer
    from reception.sync.credentials import load_token

    with desk.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None
    return load_token(desk.ctx.paths.root, peer.client_id, peer.token_store)


def test_case_number_collision_is_reported_not_refused(env: Env) -> None:
    a = env.desk("一号窗口", seed=41)
    b = env.desk("二号窗口", seed=42)
    # a misconfigured desk issues case numbers with another desk's prefix (e.g. restored from a copy of it)
    desk_id, _ = b.ids
    with b.ctx.db.write() as s:
        other = s.scalar(select(Desk).where(Desk.code == a.desk_code))
        assert other is not None
        other.code = "ZZ99"
    with b.ctx.db.write() as s:
        row = s.get(Desk, desk_id)
        assert row is not None
        row.code = a.desk_code
    from datetime import datetime

    from reception.db.base import CHINA_TZ

    moment = datetime(2026, 9, 16, 10, 0, tzinfo=CHINA_TZ)
    [case_a] = a.intake(1, moment=moment)
    [case_b] = b.intake(1, moment=moment)
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.collisions == 1  # accepted, reported
    records = server_records(env.db)
    assert ("petition_case", case_a) in records and ("petition_case", case_b) in records
    report = a.sync()  # a cannot store b's case under the same number: kept as a problem, nothing skipped
    kinds = {c.kind for c in list_conflicts(a.ctx)}
    assert "apply" in kinds
    problems_b = list_conflicts(b.ctx)
    assert {c.kind for c in problems_b} == {"collision", "apply"}
    [collision] = [c for c in problems_b if c.kind == "collision"]
    assert collision.server_data == {"case_no": collision.local_data["case_no"], "other_id": case_a}
    # the other desk's case is kept with its data for a person, not silently dropped
    assert any(c.table == "petition_case" and c.record_id == case_b for c in list_conflicts(a.ctx))
    assert all(c.server_data for c in list_conflicts(a.ctx) if c.kind == "apply")
