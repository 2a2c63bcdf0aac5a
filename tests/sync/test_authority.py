"""The server trusts no desk blindly: every forged push an enrolled desk's token could send is refused (a rejected
answer with a code and a Chinese reason; nothing stored, nothing for the other desks to pull), while the legitimate
flows still sync: an administrator signed in at a desk edits accounts and the centre's reference data (signed with
their key), a member of staff changes their own password, a desk records lifecycle steps on another desk's case.
Parametrised over SQLite and PostgreSQL by the ``env`` fixture."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import Case, CaseEvent, SyncOutbox, SyncPeer, Unit, User
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc
from reception.security.accounts import DEMO_PASSWORD, authenticate, change_password, set_password
from reception.sync import credentials
from reception.sync.desk import list_outbox, sync_status
from reception.sync.proof import Signer
from reception.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, server_records


def _token(desk: DeskHandle) -> str:
    with desk.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None
        return credentials.load_token(desk.ctx.paths.root, peer.client_id, peer.token_store)


def push(env: Env, desk: DeskHandle, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    """A raw push with the desk's own token (what a tampered desk could send)."""
    body = {"mutations": [{"mutation_id": str(uuid.uuid4()), "base_version": 0, "op": "upsert", **m}
                          for m in mutations]}
    r = httpx.post(f"{env.server.url}/sync/push", json=body, timeout=30,
                   headers={"Authorization": f"Bearer {_token(desk)}", PROTOCOL_HEADER: str(PROTOCOL_VERSION)})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def _record(env: Env, table: str, record_id: str) -> tuple[int, bool, dict[str, Any] | None]:
    return server_records(env.db)[(table, record_id)]


def _find(env: Env, table: str, **match: Any) -> tuple[str, int, dict[str, Any]]:
    for (t, rid), (version, deleted, data) in server_records(env.db).items():
        if t == table and not deleted and data and all(data.get(k) == v for k, v in match.items()):
            return rid, version, data
    raise AssertionError(f"no {table} {match}")


def _refused(results: list[dict[str, Any]], code: int = 403) -> None:
    for r in results:
        assert r["status"] == "rejected", r
        assert r.get("code") == code, r
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r["reason"]), r  # a Chinese reason


def test_forged_accounts_are_refused(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    admin_id, admin_v, admin = _find(env, "user", username="admin")
    officer_id, officer_v, officer = _find(env, "user", username="liuxy")
    planted = {**copy.deepcopy(officer), "id": str(uuid.uuid4()), "username": "evil", "role": "admin"}
    # a new administrator: kept only as an inactive placeholder, without its password or rights
    (answer,) = push(env, a, {"table": "user", "record_id": planted["id"], "data": planted})
    assert answer["status"] == "applied"
    held = _record(env, "user", planted["id"])[2]
    assert held is not None and held["role"] == "desk_officer" and held["active"] is False
    assert held["password_hash"] == "" and held["username"] == "evil"
    _refused(push(env, a, {"table": "user", "record_id": (dup := str(uuid.uuid4())),  # a centre account's name
                           "data": {**planted, "id": dup, "username": "admin"}}), code=409)
    before = server_records(env.db)
    results = push(env, a,
                   {"table": "user", "record_id": admin_id, "base_version": admin_v,  # the admin's password
                    "data": {**admin, "password_hash": officer["password_hash"]}},
                   {"table": "user", "record_id": officer_id, "base_version": officer_v,  # a role raised
                    "data": {**officer, "role": "admin"}},
                   {"table": "user", "record_id": admin_id, "base_version": admin_v, "op": "delete",
                    "data": admin})
    _refused(results)
    # a signature by a key the server does not trust (a desk's own "administrator") is no proof either
    rogue = Signer.of(admin_id, "guessed-password1")
    mid = str(uuid.uuid4())
    data = {**admin, "password_hash": officer["password_hash"]}
    forged = {"mutation_id": mid, "table": "user", "record_id": admin_id, "base_version": admin_v, "data": data,
              "proof": rogue.proof(mid, "user", admin_id, "upsert", admin_v, data)}
    _refused(push(env, a, forged))
    # nor a true administrator's signature moved onto another change
    real = Signer.of(admin_id, DEMO_PASSWORD)
    signed = real.proof(mid, "user", admin_id, "upsert", admin_v, admin)
    _refused(push(env, a, {**forged, "mutation_id": str(uuid.uuid4()), "proof": signed}))
    assert server_records(env.db) == before


def test_another_desks_records_and_audit_chain_are_refused(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    (case_id,) = a.intake(1)
    assert a.sync().ok and b.sync().ok
    records = server_records(env.db)
    _v, _d, case = records[("petition_case", case_id)]
    assert case is not None
    case_v = records[("petition_case", case_id)][0]
    (pid, (pv, _pd, person)), = [(k[1], v) for k, v in records.items() if k[0] == "petitioner"]
    assert person is not None
    audit = [(k[1], v) for k, v in records.items() if k[0] == "audit_entry" and v[2]
             and v[2].get("chain") == case["first_desk_id"]]
    assert audit
    entry_id, (_ev, _edel, entry) = audit[0]
    assert entry is not None
    before = server_records(env.db)
    a_desk_id = a.ids[0]
    results = push(env, b,
                   {"table": "petition_case", "record_id": case_id, "base_version": case_v,  # overwrite its case
                    "data": {**case, "request": "伪造的诉求"}},
                   {"table": "petitioner", "record_id": pid, "base_version": pv,  # overwrite its petitioner
                    "data": {**person, "name": "冒名"}},
                   {"table": "petition_case", "record_id": case_id, "base_version": case_v, "op": "delete",
                    "data": case},
                   {"table": "petitioner", "record_id": pid, "base_version": pv, "op": "delete", "data": person},
                   {"table": "case_event", "record_id": (ev := str(uuid.uuid4())),  # a unit's report, forged
                    "data": {"id": ev, "case_id": case_id, "kind": "unit_progress", "occurred_at":
                             "2026-12-01T02:00:00+00:00", "occurred_on": "2026-12-01", "actor_id": None,
                             "unit_id": None, "note": "伪造", "data": {}}},
                   {"table": "audit_entry", "record_id": (ae := str(uuid.uuid4())),  # into desk A's chain
                    "data": {**entry, "id": ae, "seq": 999, "action": "forged"}},
                   {"table": "petition_case", "record_id": (c2 := str(uuid.uuid4())),  # a case in A's name
                    "data": {**case, "id": c2, "case_no": case["case_no"] + "9", "first_desk_id": a_desk_id}})
    _refused(results)
    # "updating" an audit entry by sending it as new (base version 0): append-only, 409, from any desk
    _refused(push(env, b, {"table": "audit_entry", "record_id": entry_id, "data": {**entry, "action": "edited"}}),
             code=409)
    _refused(push(env, a, {"table": "audit_entry", "record_id": entry_id, "data": {**entry, "action": "edited"}}),
             code=409)
    assert server_records(env.db) == before
    # desk B may change desk A's case only by lifecycle steps: its status overwritten directly is refused (the
    # steps themselves: ``test_another_desks_case_changes_only_by_lifecycle_steps``)
    _refused(push(env, b, {"table": "petition_case", "record_id": case_id, "base_version": case_v,
                           "data": {**case, "status": "closed"}}))
    assert server_records(env.db) == before


def _event(case_id: str, kind: str, *, at: datetime, unit_id: str | None = None, **data: Any) -> dict[str, Any]:
    ev = str(uuid.uuid4())
    return {"table": "case_event", "record_id": ev,
            "data": {"id": ev, "case_id": case_id, "kind": kind, "occurred_at": at.astimezone(UTC).isoformat(),
                     "occurred_on": at.astimezone(CHINA_TZ).date().isoformat(),
                     "actor_id": None, "unit_id": unit_id, "note": "", "data": data}}


def _routed_case(desk: DeskHandle) -> str:
    for _ in range(20):
        (case_id,) = desk.intake(1)
        with desk.ctx.db.read() as s:
            case = s.get(Case, case_id)
            assert case is not None
            if case.status in ("assigned", "forwarded"):
                return case_id
    raise AssertionError("no routed intake")


def test_another_desks_case_changes_only_by_lifecycle_steps(env: Env) -> None:
    """Desks B and C on desk A's case: every case event they push is replayed through the state machine against the
    events
    the server holds, and the case row's status, unit, routing and legal channel may change only to what those
    events determine. Forged steps are refused (parked with the machine's reason, the queue goes on); the steps
    taken through C's desk app reach the server and desk A."""
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    case_id = _routed_case(a)
    assert a.sync().ok and b.sync().ok
    version, _deleted, case = _record(env, "petition_case", case_id)
    assert case is not None
    at = datetime.fromisoformat(case["registered_at"]) + timedelta(milliseconds=10)  # (after the intake's events)
    day = at.astimezone(CHINA_TZ).date().isoformat()
    other_unit = next(rid for (t, rid), (_v, _d, data) in server_records(env.db).items()
                      if t == "unit" and rid != case["unit_id"])
    before = server_records(env.db)
    _refused(push(env, b, _event(case_id, "closed", at=at)))  # skipping every step
    _refused(push(env, b, _event(case_id, "received", at=at)))  # the registration's own event, again
    _refused(push(env, b, _event(case_id, "in_handling", at=at)))  # a kind of earlier versions
    _refused(push(env, b, _event(case_id, "no_such_kind", at=at)))
    _refused(push(env, b, _event(case_id, "replied", at=at, unit_id=case["unit_id"], outcome="support",
                                 basis="伪造", delivered_on=day, means="post", level="first"),
                  {"table": "petition_case", "record_id": case_id, "base_version": version,
                   "data": {**case, "status": "replied"}}))  # a reply before acceptance, and its row
    _refused(push(env, b, {"table": "petition_case", "record_id": case_id, "base_version": version,
                           "data": {**case, "unit_id": other_unit, "routing_action": "forward"}}))  # re-routed
    _refused(push(env, b, {"table": "petition_case", "record_id": case_id, "base_version": version,
                           "data": {**case, "legal_channel": "仲裁", "status": "legal_channel"}}))
    assert server_records(env.db) == before
    # a step and the row it explains, in one push: stored; then in two pushes (a split batch), the row second
    signed = _event(case_id, "signed", at=at, unit_id=case["unit_id"], received_on=day)
    row = {"table": "petition_case", "record_id": case_id, "base_version": version,
           "data": {**case, "status": "signed", "version": case["version"] + 1}}
    results = push(env, b, row, signed)  # (the row before the event that explains it)
    assert [r["status"] for r in results] == ["applied", "applied"], results
    version, _d, case = _record(env, "petition_case", case_id)
    assert case is not None and case["status"] == "signed"
    accepted = _event(case_id, "accepted", at=at + timedelta(milliseconds=10), unit_id=case["unit_id"], simple=0)
    assert push(env, b, accepted)[0]["status"] == "applied"
    assert push(env, b, {"table": "petition_case", "record_id": case_id, "base_version": version,
                         "data": {**case, "status": "accepted"}})[0]["status"] == "applied"
    _refused(push(env, b, _event(case_id, "accepted", at=at + timedelta(milliseconds=20),
                                 unit_id=case["unit_id"])))  # twice: not allowed
    # through the desk apps (desk C: B's raw pushes never come back to B): C's real steps go up; a step the
    # server's events no longer allow is parked
    c = env.desk("三号窗口", seed=3)
    assert a.sync().ok and c.sync().ok
    lc.apply(c.ctx, case_id, m.StartHandling("开始调查"), actor_id=None)
    report = c.sync()
    assert report.ok and report.parked == 0, report
    assert _record(env, "petition_case", case_id)[2]["status"] == "in_handling"  # type: ignore[index]
    assert a.sync().ok
    with a.ctx.db.read() as s:
        row_a = s.get(Case, case_id)
        assert row_a is not None and row_a.status == "in_handling"
        assert "handling_started" in set(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))
    env.server.stop()  # offline: A (the case's desk) replies, C, unaware, extends
    lc.apply(a.ctx, case_id, m.Reply(m.ReplyOutcome.SUPPORT, "依据规定予以解决", a.ctx.now().date(),
                                     m.DeliveryMeans.IN_PERSON), actor_id=None)
    lc.apply(c.ctx, case_id, m.Extend(10, "张主任", "需进一步核实", True), actor_id=None)
    env.server.start()
    assert a.sync().ok
    (later,) = c.intake(1)
    report = c.sync()  # C's extension comes after A's reply: parked with the reason, C's later intake goes up
    assert report.ok and report.parked >= 1, report
    parked = [o for o in list_outbox(c.ctx, state="parked") if o.table == "case_event"]
    assert parked and "不符合办理流程" in parked[0].error
    assert ("petition_case", later) in server_records(env.db) and sync_status(c.ctx).pending == 0


def test_centre_data_needs_a_signed_in_administrator(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    unit_id, unit_v, unit = _find(env, "unit")
    before = server_records(env.db)
    _refused(push(env, b,
                  {"table": "unit", "record_id": unit_id, "base_version": unit_v,
                   "data": {**unit, "name": "被改名的单位"}},
                  {"table": "centre_setting", "record_id": "deadline_roll",
                   "data": {"key": "deadline_roll", "value": {"roll_deadline_to_workday": False},
                            "updated_at": "2026-12-01T00:00:00+00:00"}}))
    assert server_records(env.db) == before
    # through the desk app, unsigned (nobody signed in): parked with the reason, the queue goes on
    with b.ctx.db.write() as s:
        row = s.get(Unit, unit_id)
        assert row is not None
        row.name = "被改名的单位"
    (later_case,) = b.intake(1)
    report = b.sync()
    assert report.ok and report.parked == 1, report
    (parked,) = list_outbox(b.ctx, state="parked")
    assert parked.table == "unit" and "管理员" in parked.error
    assert ("petition_case", later_case) in server_records(env.db)
    assert sync_status(b.ctx).pending == 0
    # the administrator signed in at desk A: the same kind of edit is signed and reaches desk B
    authenticate(a.ctx, "admin", DEMO_PASSWORD)
    with a.ctx.db.write() as s:
        row = s.get(Unit, unit_id)
        assert row is not None
        row.name = unit["name"] + "（更名）"
    report = a.sync()
    assert report.ok and report.parked == 0, report
    assert _record(env, "unit", unit_id)[2]["name"] == unit["name"] + "（更名）"  # type: ignore[index]
    # an officer signing in drops the administrator's key: their edits are no longer signed
    authenticate(a.ctx, "liuxy", DEMO_PASSWORD)
    with a.ctx.db.write() as s:
        row = s.get(Unit, unit_id)
        assert row is not None
        row.name = "再次改名"
    report = a.sync()
    assert report.parked == 1
    with a.ctx.db.read() as s:
        proofs = [r.proof for r in s.scalars(select(SyncOutbox))]
    assert proofs == [None]


def test_mutation_ids_are_bound_to_content_and_desk(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    (case_id,) = a.intake(1)
    assert a.sync().ok
    v, _d, case = _record(env, "petition_case", case_id)
    assert case is not None
    mid = str(uuid.uuid4())
    first = {"mutation_id": mid, "table": "petition_case", "record_id": case_id, "base_version": v,
             "data": {**case, "facts": "第一次"}}
    assert push(env, a, first)[0]["status"] == "applied"
    assert push(env, a, first)[0]["status"] == "applied"  # the same again: its stored answer
    _refused(push(env, a, {**first, "data": {**case, "facts": "换了内容"}}), code=409)
    _refused(push(env, b, first), code=409)  # another desk reusing the id
    _refused(push(env, a, {**first, "data": {**case, "facts": "甲"}},
                  {**first, "data": {**case, "facts": "乙"}})[1:], code=409)  # within one batch
    assert _record(env, "petition_case", case_id)[2]["facts"] == "第一次"  # type: ignore[index]


def test_passwords_set_by_the_admin_and_changed_by_their_holder_sync(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    authenticate(a.ctx, "admin", DEMO_PASSWORD)
    admin_id = authenticate(a.ctx, "admin", DEMO_PASSWORD).user_id
    set_password(a.ctx, "chenj", "Spring2026x", actor_id=admin_id)  # signed, names chenj's next key
    report = a.sync()
    assert report.ok and report.parked == 0, report
    assert b.sync().ok
    chenj = authenticate(b.ctx, "chenj", "Spring2026x")
    change_password(b.ctx, chenj.user_id, "Spring2026x", "Newpass678")  # signed with the old password's key
    report = b.sync()
    assert report.ok and report.parked == 0, report
    assert a.sync().ok
    assert authenticate(a.ctx, "chenj", "Newpass678").username == "chenj"
    # an account without a key on the server (never set by the administrator since) cannot change itself
    liuxy = authenticate(b.ctx, "liuxy", DEMO_PASSWORD)
    change_password(b.ctx, liuxy.user_id, DEMO_PASSWORD, "Autumn2026y")
    report = b.sync()
    assert report.parked == 1
    data = _find(env, "user", username="liuxy")[2]
    with b.ctx.db.read() as s:
        local = s.scalar(select(User.password_hash).where(User.username == "liuxy"))
    assert data["password_hash"] != local


@pytest.mark.parametrize("size", [5_000])
def test_enrolment_bodies_are_capped(env: Env, size: int) -> None:
    r = httpx.post(f"{env.server.url}/enroll", content=b'{"code": "' + b"A" * size + b'", "protocol": 1}',
                   headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 413 and "过大" in r.json()["detail"]


def test_trust_admin_and_the_desks_fingerprint_agree(env: Env, server_db_url: str) -> None:
    import os
    import subprocess
    import sys

    from tests.sync.harness import ROOT

    a = env.desk("一号窗口")
    run_env = dict(os.environ, PYTHONPATH=str(ROOT), ADMIN_PW=DEMO_PASSWORD, WRONG_PW="not-the-password1")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reception", *args], cwd=ROOT, capture_output=True,
                              text=True, encoding="utf-8", env=run_env, timeout=120)

    server = cli("server", "trust-admin", "admin", "--password-env", "ADMIN_PW", "--db", server_db_url)
    assert server.returncode == 0, server.stderr
    desk = cli("user", "signing-key", "admin", "--password-env", "ADMIN_PW", "--data-dir", str(a.ctx.paths.root))
    assert desk.returncode == 0, desk.stderr
    shown = server.stdout.split("指纹：")[1].split()[:4]
    assert shown == desk.stdout.split("指纹：")[1].split()[:4]
    wrong = cli("server", "trust-admin", "admin", "--password-env", "WRONG_PW", "--db", server_db_url)
    assert wrong.returncode == 2 and "密码" in wrong.stderr and "Traceback" not in wrong.stderr
    officer = cli("server", "trust-admin", "liuxy", "--password-env", "ADMIN_PW", "--db", server_db_url)
    assert officer.returncode == 2 and "不是" in officer.stderr
