"""Accounts, permissions in the core, the accusation restriction, the audit chain, protection at rest, log hygiene.

Everything runs on real SQLite files in tmp_path through the real services; tampering is done the way an intruder
would, with plain sqlite3 on the file.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reception.bootstrap import open_data_dir
from reception.db.base import CHINA_TZ
from reception.db.models import AuditEntry, Petitioner, Setting
from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, RoutingAction
from reception.domain.errors import FieldError, FieldErrors
from reception.domain.idnumber import check_digit
from reception.intake.cases import case_detail, export_cases, search_cases
from reception.intake.history import lookup_history
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.leader import service as ls
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc
from reception.roster import service as roster
from reception.security import accounts, crypto
from reception.security.accounts import AccountLocked, LoginFailed
from reception.security.audit import verify
from reception.security.permissions import PermissionDenied
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"
ID_NUMBER = "430503198001011231"
PHONE = "13812345678"
NAME = "夏明云"
ROOT = Path(__file__).resolve().parents[2]


def valid_id(body17: str) -> str:
    return body17 + check_digit(body17)


def intake(desk: Desk, *, content: ContentClass = ContentClass.CLAIM, unit: str = "ZJJ", name: str = NAME,
           id_number: str = ID_NUMBER, phone: str = PHONE, officer: str | None = None,
           render_receipt: bool = False) -> str:
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID, id_number=id_number, gender=Gender.UNKNOWN,
                           phone=phone, address="示范区翠园街道尚书茗苑3栋"),
        channel=Channel.VISIT, content_class=content, category_id=desk.category("CJ01"),
        locality_id=desk.locality(GRID), request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
        routing_action=RoutingAction.ASSIGN, unit_id=desk.unit(unit),
        override_reason="" if unit == "ZJJ" else "改由其他单位办理",
    )
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=officer or desk.officer_id,
                           render_receipt=render_receipt).case_id


# -- accounts ---------------------------------------------------------------------------------------------------------


def test_wrong_password_then_lockout_with_minutes_left_then_admin_unlock(desk: Desk) -> None:
    accounts.add_user(desk.ctx, "wangf", "王芳", "desk_officer", password="Chuangkou2026", actor_id=None)
    assert accounts.authenticate(desk.ctx, "wangf", "Chuangkou2026").display_name == "王芳"
    for _ in range(4):
        with pytest.raises(LoginFailed) as wrong:
            accounts.authenticate(desk.ctx, "wangf", "wrong-password1")
        assert wrong.value.message == accounts.WRONG_LOGIN
    with pytest.raises(AccountLocked) as locked:
        accounts.authenticate(desk.ctx, "wangf", "wrong-password1")
    assert "账户已锁定" in locked.value.message and "15分钟后再试" in locked.value.message
    # even the right password is refused while locked; the message counts down
    desk.clock.moment += timedelta(minutes=6)
    with pytest.raises(AccountLocked) as still:
        accounts.authenticate(desk.ctx, "wangf", "Chuangkou2026")
    assert "请9分钟后再试" in still.value.message
    accounts.unlock(desk.ctx, "wangf", actor_id=None)
    assert accounts.authenticate(desk.ctx, "wangf", "Chuangkou2026").username == "wangf"
    with desk.ctx.db.read() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "user")
                                                .order_by(AuditEntry.seq))]
    assert actions.count("login_failed") == 5 and "locked" in actions and actions[-1] == "login"


def test_lock_expires_and_unknown_users_get_the_same_message(desk: Desk) -> None:
    accounts.add_user(desk.ctx, "lis", "李四", "supervisor", password="Ducha2026x", actor_id=None)
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            accounts.authenticate(desk.ctx, "lis", "nope12345")
    with pytest.raises(AccountLocked):
        accounts.authenticate(desk.ctx, "lis", "nope12345")
    with pytest.raises(AccountLocked):
        accounts.authenticate(desk.ctx, "lis", "Ducha2026x")
    desk.clock.moment += timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)
    assert accounts.authenticate(desk.ctx, "lis", "Ducha2026x").role == "supervisor"
    with pytest.raises(LoginFailed) as unknown:
        accounts.authenticate(desk.ctx, "nobody", "whatever123")
    assert unknown.value.message == accounts.WRONG_LOGIN


def _answers(sign_in, tries: int) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(tries):
        try:
            sign_in()
        except (LoginFailed, AccountLocked) as exc:
            out.append(f"{type(exc).__name__}: {exc.message}")
    return out


def test_an_unknown_name_locks_like_a_real_account_so_the_form_tells_no_names(desk: Desk) -> None:
    accounts.add_user(desk.ctx, "wangf", "王芳", "desk_officer", password="Chuangkou2026", actor_id=None)
    accounts.add_user(desk.ctx, "zhaol", "赵六", "desk_officer", password="Chuangkou2026", actor_id=None)
    accounts.set_account_active(desk.ctx, "zhaol", False, actor_id=None)
    tries = accounts.MAX_FAILURES + 2
    real = _answers(lambda: accounts.authenticate(desk.ctx, "wangf", "wrong-password1"), tries)
    assert real[-1].startswith("AccountLocked")
    assert _answers(lambda: accounts.authenticate(desk.ctx, "wangfang", "wrong-password1"), tries) == real
    assert _answers(lambda: accounts.authenticate(desk.ctx, "zhaol", "Chuangkou2026"), tries) == real  # disabled
    # the lock runs out as a real one does; the names are kept as digests only, in the desk's own settings
    desk.clock.moment += timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)
    assert _answers(lambda: accounts.authenticate(desk.ctx, "wangfang", "x"), 1) == [
        f"LoginFailed: {accounts.WRONG_LOGIN}"]
    with desk.ctx.db.read() as s:
        kept = s.get(Setting, accounts.UNKNOWN_NAMES_KEY)
    assert kept is not None and "wangfang" not in json.dumps(kept.value, ensure_ascii=False)
    assert accounts.name_key("wangfang") in kept.value["names"]


def test_password_hash_is_argon2_and_reset_forces_a_change(desk: Desk) -> None:
    admin = accounts.add_user(desk.ctx, "root", "管理员", "admin", password="Guanli2026", actor_id=None)
    accounts.add_user(desk.ctx, "zhao", "赵六", "desk_officer", password="Wuliu2026x", actor_id=None)
    with desk.ctx.db.read() as s:
        stored = s.scalar(select(Setting).where(Setting.key == "security"))
        row = s.execute(select(accounts.User.password_hash).where(accounts.User.username == "zhao")).scalar_one()
    assert stored is not None and row.startswith("$argon2id$") and "Wuliu2026x" not in row
    officer = accounts.authenticate(desk.ctx, "zhao", "Wuliu2026x").user_id
    with pytest.raises(PermissionDenied):  # only an administrator resets
        accounts.reset_password(desk.ctx, "root", "Hijack2026", actor_id=officer)
    accounts.reset_password(desk.ctx, "zhao", "Temp2026ab", actor_id=admin)
    signed = accounts.authenticate(desk.ctx, "zhao", "Temp2026ab")
    assert signed.must_change_password
    with pytest.raises(FieldError) as weak:
        accounts.change_password(desk.ctx, signed.user_id, "Temp2026ab", "short1")
    assert weak.value.field == "new_password" and "至少8位" in weak.value.message
    with pytest.raises(FieldError) as old:
        accounts.change_password(desk.ctx, signed.user_id, "not-the-old-1", "Better2026x")
    assert old.value.field == "old_password"
    accounts.change_password(desk.ctx, signed.user_id, "Temp2026ab", "Better2026x")
    assert not accounts.authenticate(desk.ctx, "zhao", "Better2026x").must_change_password


def test_user_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"RECEPTION_PW": "Jiedai2026a", "PATH": ""}
    import os

    env = {**os.environ, **env}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reception", *args, "--data-dir", str(data)], cwd=ROOT,
                              capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)

    assert run("init").returncode == 0
    done = run("user", "add", "zhangs", "张三", "--role", "desk_officer", "--password-env", "RECEPTION_PW")
    assert done.returncode == 0, done.stderr
    assert run("user", "add", "cy1", "翠园经办", "--role", "unit_staff", "--no-password").returncode == 2
    assert run("user", "add", "cy1", "翠园经办", "--role", "unit_staff", "--unit", "NOPE",
               "--no-password").returncode == 2
    listed = run("user", "list")
    assert listed.returncode == 0 and "zhangs" in listed.stdout and "正常" in listed.stdout
    assert "desk" in listed.stdout and "未设密码" in listed.stdout
    assert run("user", "reset", "zhangs", "--password-env", "RECEPTION_PW").returncode == 0
    assert "须改密码" in run("user", "list").stdout
    assert run("user", "unlock", "zhangs").returncode == 0
    verified = run("audit", "verify")
    assert verified.returncode == 0 and "审计日志校验通过" in verified.stdout
    missing = run("user", "unlock", "ghost")
    assert missing.returncode == 2 and "错误：" in missing.stderr


# -- permissions in the core -----------------------------------------------------------------------------------------


def test_role_denials_at_the_service_level(desk: Desk) -> None:
    supervisor, leader = desk.user("supervisor"), desk.user("duty_leader")
    zjj_staff, cy_staff = desk.user("unit_staff", unit="ZJJ"), desk.user("unit_staff", unit="CY")
    with pytest.raises(PermissionDenied) as denied:  # a supervisor does not register petitions
        intake(desk, officer=supervisor)
    assert "无权来访登记" in denied.value.message
    case_id = intake(desk)
    with pytest.raises(PermissionDenied):  # the desk does not close cases
        lc.apply(desk.ctx, case_id, m.Close(), actor_id=desk.officer_id)
    with pytest.raises(PermissionDenied):  # the desk does not sign for a unit
        lc.apply(desk.ctx, case_id, m.SignFor(), actor_id=desk.officer_id)
    with pytest.raises(PermissionDenied) as other_unit:  # another unit's staff
        lc.apply(desk.ctx, case_id, m.SignFor(), actor_id=cy_staff)
    assert "不属于本单位" in other_unit.value.message
    assert lc.apply(desk.ctx, case_id, m.SignFor(), actor_id=zjj_staff).status == "signed"
    with pytest.raises(PermissionDenied):  # only the duty leader records a reception
        ls.record_reception(desk.ctx, ls.RecordInput(case_id=case_id, leader_id="", reply="", outcome=None,
                                                     reaction=None), actor_id=desk.officer_id)
    with pytest.raises(PermissionDenied):  # the roster is the supervisor's or the administrator's
        roster.generate_month(desk.ctx, "2026-10", by=desk.officer_id)
    assert roster.generate_month(desk.ctx, "2026-10", by=supervisor).month == "2026-10"
    with pytest.raises(PermissionDenied):
        list(export_cases(desk.ctx, actor_id=desk.officer_id))  # full personal data: administrators only
    with pytest.raises(PermissionDenied):
        lookup_history(desk.ctx, id_number=ID_NUMBER, user_id=zjj_staff)
    assert lc.apply(desk.ctx, case_id, m.Supervise("请加快办理"), actor_id=leader).status == "signed"
    # the refused attempts changed nothing
    with desk.ctx.db.read() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "transition",
                                                    AuditEntry.user_id == desk.officer_id)) is None


def test_accusation_cases_are_hidden_from_the_accused_unit(desk: Desk) -> None:
    zjj_staff, cy_staff = desk.user("unit_staff", unit="ZJJ"), desk.user("unit_staff", unit="CY")
    # an accusation against 翠园街道, handled by the housing bureau
    accusation = intake(desk, content=ContentClass.ACCUSATION, name="林检举", id_number=valid_id("43050319820202234"),
                        phone="13911472586")
    lc.apply(desk.ctx, accusation, m.RecordAccusedUnit(desk.unit("CY")), actor_id=desk.officer_id)
    # an ordinary claim routed to 翠园街道
    claim = intake(desk, unit="CY", name="周诉求", id_number=valid_id("43050319830303345"), phone="13933834471")
    # an accusation against the housing bureau, handled by 翠园街道
    against_zjj = intake(desk, content=ContentClass.ACCUSATION, unit="CY", name="吴控告",
                         id_number=valid_id("43050319840404456"), phone="13957651234")
    lc.apply(desk.ctx, against_zjj, m.RecordAccusedUnit(desk.unit("ZJJ")), actor_id=desk.officer_id)

    def seen(user: str, text: str) -> set[str]:
        return {c.id for c in search_cases(desk.ctx, text, user_id=user)}

    assert seen(desk.officer_id, "林检举") == {accusation}  # the centre sees it
    assert seen(zjj_staff, "林检举") == {accusation}  # so does the unit handling it
    assert seen(cy_staff, "林检举") == set()  # never the accused unit
    assert seen(cy_staff, "13911472586") == set()
    assert seen(cy_staff, "周诉求") == {claim}
    assert seen(cy_staff, "吴控告") == {against_zjj} and seen(zjj_staff, "吴控告") == set()
    for hidden, staff in ((accusation, cy_staff), (against_zjj, zjj_staff)):
        with pytest.raises(PermissionDenied):
            case_detail(desk.ctx, hidden, user_id=staff)
        with pytest.raises(PermissionDenied):
            lc.apply(desk.ctx, hidden, m.SignFor(), actor_id=staff)
    assert case_detail(desk.ctx, claim, user_id=cy_staff).summary.id == claim
    from reception.intake.receipt import reprint_receipt

    with pytest.raises(PermissionDenied):
        reprint_receipt(desk.ctx, search_cases(desk.ctx, "林检举")[0].case_no, officer_id=cy_staff)
    exported = {c["id"] for c in export_cases(desk.ctx, actor_id=cy_staff, masked=True)}
    assert exported == {claim, against_zjj}
    assert {c["id"] for c in export_cases(desk.ctx, actor_id=zjj_staff, masked=True)} == {accusation}


# -- the audit trail -------------------------------------------------------------------------------------------------


def _raw(desk: Desk) -> sqlite3.Connection:
    conn = sqlite3.connect(desk.ctx.paths.database)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def test_audit_is_append_only_and_the_chain_finds_an_edited_and_a_deleted_row(desk: Desk, tmp_path: Path) -> None:
    case_id = intake(desk)
    case_detail(desk.ctx, case_id, user_id=desk.officer_id, desk_id=desk.desk_id)
    lookup_history(desk.ctx, phone=PHONE, user_id=desk.officer_id, desk_id=desk.desk_id)
    with desk.ctx.db.read() as s:
        report = verify(s)
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.chain == desk.desk_id)
                                 .order_by(AuditEntry.seq)))
    assert report.ok and report.triggers
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1)) and len(entries) >= 5
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:], strict=False))
    # the desk's chain holds views and changes, never personal data in clear
    dump = json.dumps([[e.detail, e.changes] for e in entries], ensure_ascii=False)
    assert {"intake", "create", "view_case", "view_petitioner", "view_history"} <= {e.action for e in entries}
    assert ID_NUMBER not in dump and PHONE not in dump and NAME not in dump
    # the triggers refuse edits through SQL
    conn = _raw(desk)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_entry SET action = 'nothing' WHERE id = ?", (entries[1].id,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_entry WHERE id = ?", (entries[2].id,))
    # an intruder drops them, edits one entry and deletes another
    conn.execute("DROP TRIGGER audit_entry_no_update")
    conn.execute("DROP TRIGGER audit_entry_no_delete")
    conn.execute("UPDATE audit_entry SET user_id = NULL WHERE id = ?", (entries[1].id,))
    conn.execute("DELETE FROM audit_entry WHERE id = ?", (entries[3].id,))
    conn.commit()
    conn.close()
    with desk.ctx.db.read() as s:
        report = verify(s)
    assert not report.ok and not report.triggers
    problems = "\n".join(report.problems)
    assert f"第2条（{entries[1].id}）：内容与哈希不符" in problems
    assert f"第5条（{entries[4].id}）：序号不连续，应为第4条" in problems
    assert f"第5条（{entries[4].id}）：与前一条记录的哈希不衔接" in problems
    done = subprocess.run([sys.executable, "-m", "reception", "audit", "verify", "--data-dir",
                           str(desk.ctx.paths.root)], cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)
    assert done.returncode == 1 and "内容与哈希不符" in done.stdout and "审计日志校验失败" in done.stderr


def test_chains_are_per_desk_and_synced_entries_keep_their_hashes(desk: Desk) -> None:
    intake(desk)
    with desk.ctx.db.read() as s:
        mine = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    # another desk's sealed entries arriving (as a sync would apply them) are stored as they are
    with desk.ctx.db.write() as s:
        from reception.db.models import Desk as DeskRow

        other = DeskRow(code="JD09", name="九号窗口", unit_name="区信访接待中心")
        s.add(other)
        s.flush()
        first = AuditEntry(id="e1", user_id=None, desk_id=other.id, action="intake", entity="case",
                           entity_id="c1", at=datetime(2026, 9, 1, 9, tzinfo=CHINA_TZ), detail="new_case")
        first.changes = {}
        from reception.security.audit import entry_hash

        first.chain, first.seq, first.prev_hash = other.id, 1, ""
        first.hash = entry_hash(first)
        s.add(first)
    with desk.ctx.db.read() as s:
        report = verify(s)
    assert report.ok and {c.chain for c in report.chains} >= {desk.desk_id, other.id}
    assert {c.chain: c.entries for c in report.chains}[other.id] == 1
    assert mine and all(e.chain == desk.desk_id for e in mine)


# -- protection at rest ----------------------------------------------------------------------------------------------


def checkpoint(db: Path) -> None:
    """Move everything from the WAL into the main file, as SQLite does by itself from time to time."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _file_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.glob("reception.sqlite3*")))


def test_id_numbers_and_phones_are_unreadable_in_the_file_but_found_by_the_history_check(desk: Desk) -> None:
    intake(desk)
    checkpoint(desk.ctx.paths.database)
    raw = _file_bytes(desk.ctx.paths.root)
    for secret in (ID_NUMBER, PHONE, ID_NUMBER[-8:], PHONE[-8:]):
        assert secret.encode() not in raw, secret
    assert NAME.encode("utf-8") in raw  # names stay searchable by prefix (not encrypted): this proves the scan works
    conn = sqlite3.connect(desk.ctx.paths.database)
    stored = conn.execute("SELECT id_number, phone, id_number_bidx FROM petitioner").fetchone()
    conn.close()
    assert stored[0].startswith("enc1:") and stored[1].startswith("enc1:") and len(stored[2]) == 32
    by_id = lookup_history(desk.ctx, id_number=ID_NUMBER.lower()[:-1] + "1")
    assert [p.name for p in by_id.persons] == [NAME] and by_id.persons[0].matched_by == ("id_number",)
    by_phone = lookup_history(desk.ctx, phone="138-1234-5678")
    assert by_phone.persons[0].phone_masked == "138****5678"
    assert [c.case_no for c in search_cases(desk.ctx, PHONE)] == [c.case_no for c in search_cases(desk.ctx, NAME)]
    with desk.ctx.db.read() as s:  # the ORM reads plaintext
        assert s.scalar(select(Petitioner.id_number)) == ID_NUMBER
    # the upgrade backups (and any copy of the file) carry no key: a different key is refused, untouched
    desk.ctx.close()
    crypto.reset_keys()
    import os

    saved = os.environ["RECEPTION_KEY_DIR"]
    os.environ["RECEPTION_KEY_DIR"] = str(desk.ctx.paths.root.parent / "other-keys")
    try:
        with pytest.raises(crypto.DataKeyError) as wrong:
            open_data_dir(desk.ctx.paths.root)
        assert "数据密钥与该数据库不匹配" in wrong.value.message
    finally:
        os.environ["RECEPTION_KEY_DIR"] = saved
        crypto.reset_keys()


def test_plaintext_rows_from_before_the_upgrade_are_encrypted_on_open(desk: Desk) -> None:
    intake(desk)
    desk.ctx.close()
    conn = _raw(desk)  # a row as schema 0005 stored it: plaintext, no blind index; the step not yet run
    conn.execute("UPDATE petitioner SET id_number = ?, phone = ?, id_number_bidx = NULL, phone_bidx = NULL",
                 (ID_NUMBER, PHONE))
    settings = json.loads(conn.execute("SELECT value FROM setting WHERE key = 'security'").fetchone()[0])
    del settings["at_rest"]
    conn.execute("UPDATE setting SET value = ? WHERE key = 'security'", (json.dumps(settings),))
    conn.commit()
    conn.close()
    ctx = open_data_dir(desk.ctx.paths.root)
    try:
        found = lookup_history(ctx, id_number=ID_NUMBER)
        assert [p.name for p in found.persons] == [NAME]
    finally:
        ctx.close()
    checkpoint(desk.ctx.paths.database)
    raw = _file_bytes(desk.ctx.paths.root)
    assert ID_NUMBER.encode() not in raw and PHONE.encode() not in raw
    open_data_dir(desk.ctx.paths.root).close()  # idempotent: a second open finds nothing to do


def test_outbox_rows_and_conflicts_written_in_clear_before_sealing_are_sealed_on_open(desk: Desk) -> None:
    """A desk offline across the upgrade that sealed the outbox kept its waiting rows (and stored conflicts) in
    clear: the next open seals them, once, and the push still sends the clear values."""
    from reception.db.models import SyncConflict, SyncOutbox
    from reception.sync.outbox import open_personal

    desk.ctx.close()
    conn = _raw(desk)
    record = {"id": "p-old", "name": NAME, "id_type": "resident_id", "id_number": ID_NUMBER, "phone": PHONE,
              "address": "示范区翠园街道尚书茗苑3栋"}
    conn.execute("INSERT INTO sync_outbox (mutation_id, table_name, record_id, op, base_version, data, created_at, "
                 "state, attempts, error) VALUES ('m-old', 'petitioner', 'p-old', 'upsert', 0, ?, "
                 "'2026-11-30 09:00:00.000000', 'pending', 0, '')", (json.dumps(record),))
    conn.execute("INSERT INTO sync_conflict (id, kind, table_name, record_id, mutation_id, local_data, server_data, "
                 "server_version, message, detected_at, state, resolution) VALUES ('c-old', 'version', 'petitioner', "
                 "'p-old', 'm-old', ?, ?, 2, '', '2026-11-30 09:00:00.000000', 'open', '')",
                 (json.dumps(record), json.dumps(dict(record, phone="13900001111"))))
    settings = json.loads(conn.execute("SELECT value FROM setting WHERE key = 'security'").fetchone()[0])
    settings["at_rest"] = 1  # the step as the version before ran it
    conn.execute("UPDATE setting SET value = ? WHERE key = 'security'", (json.dumps(settings),))
    conn.commit()
    conn.close()
    ctx = open_data_dir(desk.ctx.paths.root)
    try:
        with ctx.db.read() as s:
            row = s.scalar(select(SyncOutbox).where(SyncOutbox.mutation_id == "m-old"))
            conflict = s.get(SyncConflict, "c-old")
            assert row is not None and conflict is not None
            assert row.data is not None and row.data["phone"].startswith(crypto.PREFIX)
            assert row.data["id_number"].startswith(crypto.PREFIX)
            assert open_personal("petitioner", row.data) == record
            assert (conflict.server_data or {})["phone"] == "13900001111"  # (opened when loaded)
            stored = s.execute(select(SyncConflict.local_data, SyncConflict.server_data)).one()
            assert all(side["phone"].startswith(crypto.PREFIX) for side in stored)
    finally:
        ctx.close()
    checkpoint(desk.ctx.paths.database)
    raw = _file_bytes(desk.ctx.paths.root)
    assert ID_NUMBER.encode() not in raw and PHONE.encode() not in raw and b"13900001111" not in raw
    open_data_dir(desk.ctx.paths.root).close()  # idempotent


# -- masking and exports ---------------------------------------------------------------------------------------------


def test_masked_export_and_the_audited_full_export(desk: Desk) -> None:
    intake(desk)
    admin = desk.user("admin")
    masked = list(export_cases(desk.ctx, actor_id=desk.officer_id, masked=True))
    person = masked[0]["visits"][0]["petitioners"][0]
    assert (person["name"], person["id_number"], person["phone"]) == ("夏某云", "430503********1231", "138****5678")
    text = json.dumps(masked, ensure_ascii=False)
    assert ID_NUMBER not in text and PHONE not in text and NAME not in text and "尚书茗苑3栋" not in text
    full = list(export_cases(desk.ctx, actor_id=admin))
    assert full[0]["visits"][0]["petitioners"][0]["id_number"] == ID_NUMBER
    with desk.ctx.db.read() as s:
        exports = [(e.user_id, e.detail) for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                                                           .order_by(AuditEntry.seq))]
    assert exports == [(desk.officer_id, "masked"), (admin, "full")]


# -- logs ------------------------------------------------------------------------------------------------------------


def test_no_personal_data_in_the_log_of_a_full_intake_scenario(desk: Desk, tmp_path: Path) -> None:
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql = logging.getLogger("sqlalchemy.engine")  # the most talkative set-up: every SQL statement logged too
    old_sql = sql.level
    sql.setLevel(logging.DEBUG)
    try:
        lookup_history(desk.ctx, id_number=ID_NUMBER, phone=PHONE, name=NAME, user_id=desk.officer_id)
        case_id = intake(desk, render_receipt=True)
        lookup_history(desk.ctx, id_number=ID_NUMBER, phone=PHONE, name=NAME, user_id=desk.officer_id)
        detail = case_detail(desk.ctx, case_id, user_id=desk.officer_id)
        search_cases(desk.ctx, PHONE, user_id=desk.officer_id)
        intake(desk, officer=desk.officer_id)  # the same person again: a linked record, a repeat visit
        with pytest.raises(FieldErrors):  # a refused form logs nothing of what was typed
            intake(desk, name="错名字", id_number=ID_NUMBER, phone="138123")
        list(export_cases(desk.ctx, masked=True))
        lc.apply(desk.ctx, case_id, m.SignFor(), actor_id=desk.user("unit_staff", unit="ZJJ"))
        accounts.add_user(desk.ctx, "logtest", "日志测试", "desk_officer", password="Rizhi2026a", actor_id=None)
        with pytest.raises(LoginFailed):
            accounts.authenticate(desk.ctx, "logtest", "Wrong2026a")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        sql.setLevel(old_sql)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert "INSERT INTO petitioner" in text  # SQL was logged at this level: the scan below means something
    assert detail.summary.case_no in text  # so were the service's own messages
    for secret in (ID_NUMBER, PHONE, NAME, ID_NUMBER[6:14], PHONE[3:], "尚书茗苑3栋", "Rizhi2026a", "Wrong2026a"):
        assert secret not in text, secret


def test_blind_index_is_keyed_and_stable() -> None:
    a = crypto.blind_index(ID_NUMBER, "id_number")
    assert a == crypto.blind_index(ID_NUMBER, "id_number") and a is not None and len(a) == 32
    assert a != crypto.blind_index(ID_NUMBER, "phone")
    import hashlib

    assert a != hashlib.sha256(ID_NUMBER.encode()).hexdigest()[:32]  # not a plain hash anyone could recompute
    sealed = crypto.encrypt(PHONE, "petitioner.phone")
    assert sealed != crypto.encrypt(PHONE, "petitioner.phone")  # a fresh nonce each time
    assert crypto.decrypt(sealed, "petitioner.phone") == PHONE
    with pytest.raises(crypto.DataKeyError):  # a ciphertext moved to another column does not decrypt
        crypto.decrypt(sealed, "petitioner.id_number")


def test_demo_accounts_sign_in_with_the_documented_password(tmp_path: Path) -> None:
    from reception.demo import seed_demo

    ctx = open_data_dir(tmp_path / "demo", now=lambda: datetime(2026, 9, 16, 9, tzinfo=CHINA_TZ))
    try:
        seed_demo(ctx, weeks=1)
        roles = {u: accounts.authenticate(ctx, u, accounts.DEMO_PASSWORD).role
                 for u in ("liuxy", "leader", "supervisor", "admin", "unit_cy")}
        with ctx.db.read() as s:
            assert verify(s).ok
    finally:
        ctx.close()
    assert roles == {"liuxy": "desk_officer", "leader": "duty_leader", "supervisor": "supervisor",
                     "admin": "admin", "unit_cy": "unit_staff"}


def test_key_backup_restores_access_after_the_key_is_lost(desk: Desk, tmp_path: Path) -> None:
    import os

    intake(desk)
    desk.ctx.close()
    env = dict(os.environ)

    def run(*args: str, key_dir: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reception", *args], cwd=ROOT, capture_output=True, text=True,
                              encoding="utf-8", env={**env, "RECEPTION_KEY_DIR": key_dir}, timeout=120)

    backup = tmp_path / "key-backup.txt"
    assert run("key", "export", "-o", str(backup), key_dir=env["RECEPTION_KEY_DIR"]).returncode == 0
    data = str(desk.ctx.paths.root)
    new_pc = str(tmp_path / "reinstalled-keys")
    lost = run("audit", "verify", "--data-dir", data, key_dir=new_pc)
    assert lost.returncode == 2 and "数据密钥与该数据库不匹配" in lost.stderr
    restored = run("key", "import", str(backup), "--data-dir", data, key_dir=new_pc)
    assert restored.returncode == 0, restored.stderr
    assert run("audit", "verify", "--data-dir", data, key_dir=new_pc).returncode == 0


def test_lists_and_the_printed_receipt_show_only_masked_values(desk: Desk) -> None:
    from pypdf import PdfReader

    case_id = intake(desk, render_receipt=True)
    listed = search_cases(desk.ctx, PHONE, user_id=desk.officer_id)
    assert [(c.id, c.id_masked, c.phone_masked) for c in listed] == [(case_id, "430503********1231", "138****5678")]
    receipt = desk.ctx.paths.root / "receipts" / f"{listed[0].case_no}.pdf"
    text = "".join(page.extract_text() or "" for page in PdfReader(receipt).pages)
    assert "430503********1231" in text and ID_NUMBER not in text and PHONE not in text


def test_a_new_installation_has_no_password_until_the_administrator_sets_one(tmp_path: Path) -> None:
    from reception.setup import init_data_dir

    ctx = init_data_dir(tmp_path / "new")
    try:
        assert not accounts.any_password_set(ctx)
        with pytest.raises(LoginFailed) as no_password:
            accounts.authenticate(ctx, "desk", "anything123")
        assert "尚未设置密码" in no_password.value.message
        accounts.set_password(ctx, "desk", "Jiedai2026a", actor_id=None)
        assert accounts.any_password_set(ctx)
        assert accounts.authenticate(ctx, "desk", "Jiedai2026a").role == "desk_officer"
    finally:
        ctx.close()


def test_the_key_lives_in_the_keyring_when_the_system_has_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Windows path (Credential Manager), with an in-memory keyring backend standing in for it."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("RECEPTION_KEYSTORE", "auto")
    monkeypatch.setenv("RECEPTION_KEY_DIR", str(tmp_path / "keys"))
    crypto.reset_keys()
    try:
        master, source = crypto.load_master_key()
        assert source == "keyring" and len(master) == 32
        assert backend.store[(crypto.KEYRING_SERVICE, crypto.KEYRING_USER)]
        assert not (tmp_path / "keys").exists()  # nothing on disk
        assert crypto.load_master_key() == (master, "keyring")  # the same key next time
        sealed = crypto.encrypt(PHONE, "petitioner.phone")
        # a backup file imported on a new PC moves into the keyring
        backend.store.clear()
        crypto.reset_keys()
        assert crypto.store_master_key(master) == "keyring"
        assert crypto.decrypt(sealed, "petitioner.phone") == PHONE
    finally:
        keyring.set_keyring(previous)
        crypto.reset_keys()


def test_a_headless_session_uses_the_key_file_without_asking_keyring(tmp_path: Path) -> None:
    """No D-Bus session bus (a Linux box without a desktop, CI): every store keyring knows on Linux talks D-Bus, so
    the key file is used and keyring's backend detection (50–200 ms at each start) is never run."""
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR",
                        "PYTHON_KEYRING_BACKEND")}
    env.update(RECEPTION_KEYSTORE="auto", RECEPTION_KEY_DIR=str(tmp_path / "keys"), XDG_CONFIG_HOME=str(tmp_path))
    code = (
        "import sys; from reception.security import crypto; "
        "master, source = crypto.load_master_key(); "
        "sys.exit(0 if source.endswith('data-key.b64') and 'keyring' not in sys.modules else 1)"
    )
    if sys.platform in ("win32", "darwin"):
        pytest.skip("the platform's own store is used there")
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0
    assert (tmp_path / "keys" / crypto.KEY_FILE).is_file()
