"""Handling units' accounts on the server: the desk's password policy and lockout, sessions in the database (idle
expiry, sign-out, shared by server processes), the ``reception server add-unit-user`` command, the change of a
password someone else gave."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reception.domain.errors import FieldError
from reception.security.accounts import LOCK_MINUTES, MAX_FAILURES, AccountLocked, LoginFailed
from reception.server import unit_accounts
from reception.server.db import ServerDatabase, open_server_database
from reception.server.models import UnitAudit, UnitUser, WebSession
from reception.server.service import hash_secret, import_reference
from tests.clock import UNIT_NOW

ROOT = Path(__file__).resolve().parents[2]
NOW = UNIT_NOW


@pytest.fixture
def db(server_db_url: str, reference_dir: Path) -> Iterator[ServerDatabase]:
    d = open_server_database(server_db_url)
    import_reference(d, reference_dir)
    try:
        yield d
    finally:
        d.dispose()


def test_unit_user_signs_in_then_locks_after_five_wrong_passwords(db: ServerDatabase) -> None:
    unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=NOW)
    with pytest.raises(FieldError, match="至少8位"):
        unit_accounts.add_unit_user(db, "CY", "cy_li", "李强", "unit_head", "short1", now=NOW)
    with pytest.raises(FieldError, match="已存在"):
        unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=NOW)
    cookie, session = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    assert session.account.unit_name == "翠园街道" and session.account.role_label == "工作人员"
    # only the cookie's hash is stored
    with db.read() as s:
        stored = [r.token_hash for r in s.query(WebSession)]
    assert stored == [hash_secret(cookie)] and cookie not in stored
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            unit_accounts.sign_in(db, "cy_chen", "wrong-password1", now=NOW)
    with pytest.raises(AccountLocked, match=f"{LOCK_MINUTES}分钟后再试"):
        unit_accounts.sign_in(db, "cy_chen", "wrong-password1", now=NOW)
    with pytest.raises(AccountLocked):  # the right password is refused while locked
        unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW + timedelta(minutes=5))
    # an unknown account gets the same answer as a wrong password
    with pytest.raises(LoginFailed) as unknown:
        unit_accounts.sign_in(db, "nobody", "Cuiyuan2026", now=NOW)
    assert "用户名或密码错误" in unknown.value.message
    later = NOW + timedelta(minutes=LOCK_MINUTES, seconds=1)
    assert unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=later)[1].account.username == "cy_chen"
    with db.read() as s:
        actions = [a.action for a in s.query(UnitAudit).order_by(UnitAudit.at)]
    assert actions.count("login") == 2 and "locked" in actions and actions.count("login_failed") >= MAX_FAILURES


def test_an_unknown_name_locks_like_a_real_account(db: ServerDatabase) -> None:
    """Without it the form told which accounts exist: a real one answered 账户已锁定 after five wrong passwords, an
    unknown name never. Its failures are kept in the database (every server process counts them together)."""
    from reception.server import admin_accounts
    from reception.server.models import Throttle

    unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=NOW)

    def answers(sign_in, name: str) -> list[str]:  # type: ignore[no-untyped-def]
        out = []
        for i in range(MAX_FAILURES + 2):
            try:
                sign_in(db, name, "wrong-password1", now=NOW + timedelta(seconds=i))
            except (LoginFailed, AccountLocked) as exc:
                out.append(f"{type(exc).__name__}: {exc.message}")
        return out

    real = answers(unit_accounts.sign_in, "cy_chen")
    assert real[-1].startswith("AccountLocked")
    assert answers(unit_accounts.sign_in, "cy_chenn") == real
    assert answers(admin_accounts.sign_in, "cy_chen") == real  # no administrator of that name: locks all the same
    with db.read() as s:
        keys = [t.key for t in s.query(Throttle)]
    assert sum(k.startswith("login-unknown:unit:") for k in keys) == 1
    assert sum(k.startswith("login-unknown:admin:") for k in keys) == 1 and not any("cy_chen" in k for k in keys)
    later = NOW + timedelta(minutes=LOCK_MINUTES, seconds=10)
    with pytest.raises(LoginFailed):  # the lock runs out as a real account's does
        unit_accounts.sign_in(db, "cy_chenn", "wrong-password1", now=later)


def test_session_idles_out_and_ends_at_sign_out(db: ServerDatabase) -> None:
    unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=NOW)
    cookie, _ = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    assert unit_accounts.resolve(db, cookie, now=NOW + timedelta(minutes=20)) is not None
    # each request moves the idle deadline on: 20 + 25 minutes is still within 30 of the last request
    assert unit_accounts.resolve(db, cookie, now=NOW + timedelta(minutes=45)) is not None
    assert unit_accounts.resolve(db, cookie, now=NOW + timedelta(minutes=45) + unit_accounts.IDLE
                                 + timedelta(seconds=1)) is None
    with db.read() as s:
        assert s.query(WebSession).count() == 0  # (an expired session is deleted)
    cookie, _ = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    unit_accounts.end(db, cookie, now=NOW)
    assert unit_accounts.resolve(db, cookie, now=NOW) is None
    assert unit_accounts.resolve(db, "forged-cookie", now=NOW) is None
    # a disabled account's sessions stop at once
    cookie, _ = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    with db.session() as s:
        s.query(UnitUser).update({UnitUser.active: False})
    assert unit_accounts.resolve(db, cookie, now=NOW) is None



def test_abandoned_sessions_are_removed_at_the_next_sign_in_of_their_kind(db: ServerDatabase) -> None:
    """A browser closed without 退出 leaves its row; the next sign-in (unit or administrator) removes the expired
    rows of its own table, and an expiry is not audited as a sign-out."""
    from reception.server import admin_accounts
    from reception.server.models import AdminSession

    unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=NOW)
    admin_accounts.add_web_admin(db, "zhangwei", "张伟", "Guanli2026x", now=NOW)
    unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    admin_accounts.sign_in(db, "zhangwei", "Guanli2026x", now=NOW)
    later = NOW + unit_accounts.IDLE + timedelta(minutes=1)
    kept, _ = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=later)
    with db.read() as s:
        assert [r.token_hash for r in s.query(WebSession)] == [hash_secret(kept)]
        assert s.query(AdminSession).count() == 1  # (another table: removed at an administrator's sign-in)
    admin_accounts.sign_in(db, "zhangwei", "Guanli2026x", now=later)
    with db.read() as s:
        assert s.query(AdminSession).count() == 1
        assert "logout" not in [a.action for a in s.query(UnitAudit)]


def test_a_given_password_is_changed_by_its_user_under_the_desks_rules(db: ServerDatabase) -> None:
    user_id = unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=NOW,
                                          must_change=True)
    unit_accounts.add_unit_user(db, "CY", "cy_li", "李强", "unit_staff", "Cuiyuan2027", now=NOW)
    assert not unit_accounts.sign_in(db, "cy_li", "Cuiyuan2027", now=NOW)[1].account.must_change_password
    other, _ = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    cookie, session = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    assert session.account.must_change_password
    resolved = unit_accounts.resolve(db, cookie, now=NOW)
    assert resolved is not None and resolved.account.must_change_password

    def refused(old: str, new: str, confirm: str) -> FieldError:
        with pytest.raises(FieldError) as caught:
            unit_accounts.change_password(db, user_id, old, new, confirm, keep_token=cookie, now=NOW)
        return caught.value

    wrong = refused("Wrong2026x", "Xinmima2027", "Xinmima2027")
    assert (wrong.field, wrong.message) == ("old_password", "当前密码不正确")
    with db.read() as s:
        assert s.scalar(select(UnitUser.failed_attempts).where(UnitUser.id == user_id)) == 1
    same = refused("Cuiyuan2026", "Cuiyuan2026", "Cuiyuan2026")
    assert (same.field, same.message) == ("new_password", "新密码不能与当前密码相同")
    assert refused("Cuiyuan2026", "short1", "short1").field == "new_password"
    assert "不能包含用户名" in refused("Cuiyuan2026", "cy_chen2027", "cy_chen2027").message
    mismatch = refused("Cuiyuan2026", "Xinmima2027", "Xinmima2028")
    assert (mismatch.field, mismatch.message) == ("confirm", "两次输入的新密码不一致")
    with db.read() as s:
        user = s.get(UnitUser, user_id)
        # (nothing changed; the right current password, typed since the wrong one, cleared the count)
        assert user is not None and user.must_change_password and user.failed_attempts == 0
    unit_accounts.change_password(db, user_id, "Cuiyuan2026", "Xinmima2027", "Xinmima2027", keep_token=cookie,
                                  now=NOW)
    changed = unit_accounts.resolve(db, cookie, now=NOW)
    assert changed is not None and not changed.account.must_change_password
    assert unit_accounts.resolve(db, other, now=NOW) is None  # the account's other sessions ended
    with pytest.raises(LoginFailed):
        unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=NOW)
    assert not unit_accounts.sign_in(db, "cy_chen", "Xinmima2027", now=NOW)[1].account.must_change_password
    # wrong current passwords count towards the lock
    for _ in range(MAX_FAILURES - 1):
        refused("Wrong2026x", "Another2027", "Another2027")
    with pytest.raises(AccountLocked):
        unit_accounts.change_password(db, user_id, "Wrong2026x", "Another2027", "Another2027", now=NOW)
    with db.read() as s:
        trail = [(a.action, a.detail) for a in s.query(UnitAudit).where(UnitAudit.user_id == user_id)
                 .order_by(UnitAudit.at)]
    assert ("password_changed", "cy_chen") in trail and ("locked", f"change_password minutes={LOCK_MINUTES}") in trail
    assert "Xinmima2027" not in str(trail)
    # the command line's password needs no change
    with db.session() as s:
        s.query(UnitUser).update({UnitUser.must_change_password: True})
    unit_accounts.set_password(db, "cy_chen", "Ziji2027abc", now=NOW)
    assert not unit_accounts.sign_in(db, "cy_chen", "Ziji2027abc", now=NOW)[1].account.must_change_password


@pytest.mark.parametrize("server_db_url", ["sqlite"], indirect=True)
def test_add_unit_user_command(db: ServerDatabase, server_db_url: str, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), UNIT_PW="Xueyuan2026")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reception", "server", *args, "--db", server_db_url],
                              cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)

    ok = run("add-unit-user", "XYL", "xyl_head", "--name", "王立", "--role", "unit_head", "--password-env", "UNIT_PW")
    assert ok.returncode == 0, ok.stderr
    assert "单位负责人" in ok.stdout and "/unit" in ok.stdout
    missing = run("add-unit-user", "NOPE", "x_user", "--name", "某人", "--password-env", "UNIT_PW")
    assert missing.returncode != 0 and "没有单位“NOPE”" in missing.stderr
    listed = run("list-unit-users")
    assert "学院路街道\txyl_head\t王立\t单位负责人\t可用" in listed.stdout
    signed_in = unit_accounts.sign_in(db, "xyl_head", "Xueyuan2026", now=NOW)[1].account
    assert signed_in.is_head and signed_in.must_change_password  # (an administrator gave the password)
