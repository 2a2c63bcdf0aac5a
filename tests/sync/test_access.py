"""Tokens, revocation, old desks, parked mutations, the handling units' API, clock skew, a new server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, insert, select

from reception.db.base import utcnow
from reception.db.migrate import SCHEMA_HEAD
from reception.db.models import CaseClock, CaseEvent, SyncConflict, SyncOutbox, SyncPeer
from reception.server.service import add_desk, add_unit, revoke
from reception.sync.client import SyncClient
from reception.sync.desk import (
    SyncError,
    enroll,
    list_outbox,
    pulled_schema_mark,
    schema_mark,
    sync_once,
    sync_status,
)
from reception.sync.protocol import PROTOCOL_HEADER
from tests.sync.conftest import Env
from tests.sync.harness import assert_converged, fast_client, server_records


def _token(desk: object) -> str:
    from tests.sync.test_conflicts import _token as token

    return token(desk)  # type: ignore[arg-type]


def test_every_endpoint_needs_a_valid_token(env: Env) -> None:
    a = env.desk("一号窗口")
    headers = {PROTOCOL_HEADER: "1"}
    for method, path in (("POST", "/sync/hello"), ("POST", "/sync/push"), ("GET", "/sync/pull"),
                         ("GET", "/units/cases")):
        r = httpx.request(method, env.server.url + path, headers=headers, json={})
        assert r.status_code == 401, path
        r = httpx.request(method, env.server.url + path, json={},
                          headers=headers | {"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401 and "令牌无效" in r.json()["detail"]
    r = httpx.get(env.server.url + "/sync/pull", headers=headers | {"Authorization": f"Bearer {_token(a)}"})
    assert r.status_code == 200
    assert httpx.get(env.server.url + "/openapi.json").json()["info"]["title"].startswith("信访接待中心")
    # a unit token cannot sync, a desk token cannot use the unit API
    r = httpx.get(env.server.url + "/units/cases", headers={"Authorization": f"Bearer {_token(a)}"})
    assert r.status_code == 403


def test_enrolment_code_is_single_use(env: Env, tmp_path: object) -> None:
    from reception.bootstrap import open_data_dir

    _id, code = add_desk(env.db, "三号窗口")
    ctx = open_data_dir(env.root / "d3")
    try:
        enroll(ctx, env.server.url, code, client_factory=fast_client)
    finally:
        ctx.close()
    ctx = open_data_dir(env.root / "d4")
    try:
        with pytest.raises(SyncError, match="登记码无效或已经用过"):
            enroll(ctx, env.server.url, code, client_factory=fast_client)
        with ctx.db.read() as s:
            assert s.get(SyncPeer, 1) is None
    finally:
        ctx.close()


def test_revoked_desk_is_refused_at_once(env: Env) -> None:
    a = env.desk("一号窗口")
    a.intake(1)
    assert a.sync().ok
    revoke(env.db, a.desk_code)
    a.intake(1)
    report = a.sync()
    assert not report.ok and "停用" in report.error and report.pushed == 0
    assert sync_status(a.ctx).last_error == report.error
    assert sync_status(a.ctx).pending > 0  # nothing discarded
    r = httpx.post(env.server.url + "/sync/hello", headers={"Authorization": f"Bearer {_token(a)}"}, json={})
    assert r.status_code == 403


def test_old_desk_is_refused_with_a_clear_message(env: Env) -> None:
    a = env.desk("一号窗口")
    a.intake(1)

    def old_client(url: str, token: str) -> SyncClient:
        return SyncClient(url, token, retries=0, protocol=0)

    report = sync_once(a.ctx, client_factory=old_client)
    assert not report.ok
    assert "版本过旧" in report.error and "请安装新版本" in report.error
    assert sync_status(a.ctx).pending > 0
    assert a.sync().ok  # the upgraded desk syncs what it kept


def test_parked_bad_mutation_never_blocks_the_queue(env: Env) -> None:
    a = env.desk("一号窗口")
    a.intake(1)
    with a.ctx.db.write() as s:  # three bad changes between good ones: a reference table, an unknown column,
        # a blind-index column that must never travel
        rows = [("desk", {"id": "x", "code": "X", "name": "伪造", "unit_name": "伪造"}),
                ("petitioner", {"id": "p1", "name": "某", "no_such_column": 1}),
                ("petitioner", {"id": "p2", "name": "某", "phone_bidx": "abc"})]
        for table, data in rows:
            s.execute(insert(SyncOutbox).values(mutation_id=str(uuid.uuid4()), table_name=table,
                                                record_id=data["id"], op="upsert", base_version=0, data=data,
                                                created_at=utcnow(), state="pending", attempts=0, error=""))
    good = a.intake(2)
    report = a.sync()
    assert report.ok and report.parked == 3 and report.pending == 0
    parked = list_outbox(a.ctx, state="parked")
    assert len(parked) == 3
    reasons = " ".join(p.error for p in parked)
    assert "由中心维护" in reasons and "未知字段" in reasons and "不应上传" in reasons
    records = server_records(env.db)
    assert all(("petition_case", c) in records for c in good)
    assert ("desk", "x") not in records
    report = a.sync()  # parked rows stay parked; the queue keeps moving
    assert report.ok and report.parked == 0 and sync_status(a.ctx).parked == 3


def test_handling_unit_posts_progress_that_reaches_every_desk(env: Env) -> None:
    a = env.desk("一号窗口", seed=3)
    b = env.desk("二号窗口", seed=4)
    case_id = ""
    for _ in range(10):
        case_id = a.intake(1)[0]
        data = None
        a.sync()
        data = server_records(env.db)[("petition_case", case_id)][2]
        if data and data.get("unit_id"):
            break
    assert data is not None and data["unit_id"]
    with env.db.read() as s:
        from reception.server.models import Record

        unit = s.get(Record, ("unit", data["unit_id"]))
        assert unit is not None and unit.data is not None
        other = s.scalar(select(Record).where(Record.table_name == "unit", Record.record_id != data["unit_id"]))
        assert other is not None and other.data is not None
    _id, token = add_unit(env.db, unit.data["code"])
    _id, other_token = add_unit(env.db, other.data["code"])
    auth = {"Authorization": f"Bearer {token}"}
    cases = httpx.get(env.server.url + "/units/cases", headers=auth).json()
    assert data["case_no"] in {c["case_no"] for c in cases}
    r = httpx.post(env.server.url + f"/units/cases/{data['case_no']}/events", headers=auth,
                   json={"kind": "unit_progress", "note": "已约谈信访人，正在现场核查"})
    assert r.status_code == 200, r.text
    event_id = r.json()["event_id"]
    r = httpx.post(env.server.url + f"/units/cases/{data['case_no']}/events",
                   headers={"Authorization": f"Bearer {other_token}"}, json={"note": "不是我们的案件"})
    assert r.status_code == 403 and "不由本单位办理" in r.json()["detail"]
    assert b.sync().ok and a.sync().ok
    for desk in (a, b):
        with desk.ctx.db.read() as s:
            event = s.get(CaseEvent, event_id)
            assert event is not None and event.note == "已约谈信访人，正在现场核查"
            assert s.scalar(select(CaseClock.id).where(CaseClock.case_id == case_id).limit(1)) is not None
    assert_converged(env.db, [a, b])


def test_clock_skew_is_warned_not_used(env: Env) -> None:
    a = env.desk("一号窗口")
    real = a.ctx.now
    a.ctx.now = lambda: real() + timedelta(minutes=9)
    report = a.sync()
    assert report.ok and any("时钟" in w for w in report.warnings)
    assert "相差约 9 分钟" in sync_status(a.ctx).clock_warning
    a.ctx.now = real
    assert not a.sync().warnings


def test_new_server_makes_desks_pull_again_and_keeps_the_outbox(env: Env, tmp_path: object) -> None:
    from reception.server.db import open_server_database
    from reception.server.models import Client
    from reception.server.service import import_reference
    from tests.sync.conftest import Env as _Env  # noqa: F401
    from tests.sync.harness import ServerProcess

    a = env.desk("一号窗口")
    a.intake(3)
    assert a.sync().ok
    a.intake(1)  # pending when the server is replaced
    env.server.stop()
    # the centre replaces the server: a fresh database with the same reference data and the desks' tokens
    url = f"sqlite:///{(env.root / 'server2.sqlite3').as_posix()}"
    fresh = open_server_database(url)
    from tests.sync.conftest import reference_dir  # noqa: F401

    with env.db.read() as s:
        clients = [(c.id, c.kind, c.name, c.desk_code, c.desk_id, c.token_hash) for c in s.scalars(select(Client))]
    with fresh.session() as s:
        for cid, kind, name, code, desk_id, token_hash in clients:
            s.add(Client(id=cid, kind=kind, name=name, desk_code=code, desk_id=desk_id, token_hash=token_hash,
                         enrolled_at=utcnow()))
    import_reference(fresh, a.ctx.paths.root)
    server = ServerProcess(url, env.root)
    server.port = env.server.port
    server.start()
    try:
        report = a.sync()
        assert report.ok and any("服务器已更换" in w for w in report.warnings)
        assert report.pending == 0
        records = server_records(fresh)
        with a.ctx.db.read() as s:
            from reception.db.models import Case

            assert all(("petition_case", c) in records for c in s.scalars(select(Case.id)))
        assert_converged(fresh, [a])
    finally:
        server.stop()
        fresh.dispose()


def test_an_upgraded_desk_pulls_again(env: Env) -> None:
    a = env.desk("一号窗口")
    b = env.desk("二号窗口", seed=9)
    b.intake(2)
    assert b.sync().ok and a.sync().ok
    with a.ctx.db.write() as s:  # as left by an older version of the app
        peer = s.get(SyncPeer, 1)
        assert peer is not None and peer.cursor > 0
        peer.schema_head = "0005"
    report = a.sync()
    assert report.ok and report.pulled > 0
    with a.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None and peer.schema_head != "0005" and peer.cursor > 0
    assert_converged(env.db, [a, b])


def test_a_migration_that_changes_nothing_synced_costs_no_download(env: Env) -> None:
    """The peer keeps a fingerprint of the synced tables and columns: an app of the same synced schema (its old
    marker, the migration head) or an upgrade that only added an index or a local table pulls nothing again."""
    a = env.desk("一号窗口")
    b = env.desk("二号窗口", seed=9)
    b.intake(2)
    assert b.sync().ok and a.sync().ok
    with a.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None and peer.schema_head == pulled_schema_mark()
        cursor = peer.cursor
    with a.ctx.db.write() as s:  # as left by the app before fingerprints, on today's schema
        peer = s.get(SyncPeer, 1)
        assert peer is not None
        peer.schema_head = SCHEMA_HEAD
    report = a.sync()
    assert report.ok and report.pulled == 0
    with a.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None and peer.schema_head == pulled_schema_mark() and peer.cursor == cursor


def test_the_schema_mark_changes_with_synced_columns_only() -> None:
    base = {"petition_case": ["id", "case_no", "status"], "unit": ["id", "name"]}
    assert schema_mark(base) == schema_mark({"unit": ["name", "id"], "petition_case": ["status", "id", "case_no"]})
    assert schema_mark(base) != schema_mark({**base, "unit": ["id", "name", "phone"]})  # a column added
    assert schema_mark(base) != schema_mark({**base, "leader": ["id"]})  # a table added
    assert len(schema_mark(base)) == 16  # (sync_peer.schema_head is 16 characters)


def test_lockout_counts_stay_on_the_desk(env: Env) -> None:
    """A mistyped password changes only the desk's lockout columns: no outbox row, nothing for the server; a new
    password travels, without them."""
    from reception.domain.errors import ReceptionError
    from reception.security.accounts import add_user, authenticate, set_password

    a = env.desk("一号窗口")
    admin = authenticate(a.ctx, "admin", "demo1234")  # (an account is added by the signed-in administrator)
    add_user(a.ctx, "zhangq", "张琴", "desk_officer", password="Secret123", actor_id=admin.user_id)
    report = a.sync()
    assert report.ok and report.parked == 0, report

    def user_rows() -> list[SyncOutbox]:
        with a.ctx.db.read() as s:
            return list(s.scalars(select(SyncOutbox).where(SyncOutbox.table_name == "user")))

    for _ in range(2):
        with pytest.raises(ReceptionError):
            authenticate(a.ctx, "zhangq", "wrong-password1")
    assert user_rows() == []
    set_password(a.ctx, "zhangq", "Another456", actor_id=None)
    [row] = user_rows()
    assert row.data is not None and "password_hash" in row.data
    assert "failed_attempts" not in row.data and "locked_until" not in row.data


def test_a_local_account_named_like_a_centre_account_gives_way(env: Env) -> None:
    """The administrator made at a desk before it enrolled is called ``admin``, as the centre's own administrator
    is: the centre's account is stored, the local one is renamed (keeping its password here). A desk cannot add an
    administrator to the centre: the server keeps the account only as an inactive placeholder without a password
    or rights (the records made at this desk name it) until an administrator changes it."""
    from reception.bootstrap import open_data_dir
    from reception.db.models import User
    from reception.security.accounts import add_user, authenticate

    ctx = open_data_dir(env.root / "新工位")
    try:
        local_id = add_user(ctx, "admin", "本机管理员", "admin", password="Local12345", actor_id=None)
        _client, code = add_desk(env.db, "新工位")
        result = enroll(ctx, env.server.url, code, client_factory=fast_client)
        assert result.report is not None and result.report.ok
        assert any("admin" in w and "已改为" in w for w in result.report.warnings)
        with ctx.db.read() as s:
            centre = s.scalar(select(User).where(User.username == "admin"))
            local = s.get(User, local_id)
            assert centre is not None and centre.id != local_id  # the centre's admin is here, under its own id
            assert local is not None and local.username == f"admin-{result.desk_code.lower()}"
            conflicts = s.scalar(select(func.count()).select_from(SyncConflict))
        assert conflicts == 0
        assert authenticate(ctx, local.username, "Local12345").username == local.username
        report = sync_once(ctx, client_factory=fast_client)
        assert report.ok and report.pending == 0
        held = server_records(env.db)[("user", local_id)][2]  # (the records made at this desk name it)
        assert held is not None and held["username"] == local.username
        assert held["role"] == "desk_officer" and not held["password_hash"] and held["active"] is False
    finally:
        ctx.close()
