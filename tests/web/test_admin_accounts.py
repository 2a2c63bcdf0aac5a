"""The administrators' page for the handling units' accounts (``/admin``) in a real browser against a real
``reception server`` process (SQLite, and PostgreSQL when RECEPTION_TEST_PG_URL is set): an administrator made by
``reception server add-web-admin`` opens a unit account, and that user then signs in at ``/unit`` and must first
change the password the administrator gave (修改初始密码); passwords reset (typed, or generated and shown once),
disable / enable, unlock; a unit user cannot reach the page; a form without its anti-forgery token changes
nothing. The server's clock starts at ``tests.clock.SERVER_NOW`` (not ``dated``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.domain.errors import FieldError
from reception.security.accounts import LOCK_MINUTES, MAX_FAILURES, AccountLocked, LoginFailed
from reception.server import admin_accounts, unit_accounts
from reception.server.admin_accounts import COOKIE
from reception.server.db import ServerDatabase, open_server_database
from reception.server.models import AdminAudit, AdminSession, UnitAudit, UnitUser
from reception.server.service import hash_secret, import_reference
from reception.server.unit_accounts import IDLE
from tests.clock import SERVER_NOW
from tests.sync.conftest import Env
from tests.web.test_unit_workbench import login

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PW = "Guanli2026x"


@pytest.fixture
def server_args() -> tuple[str, ...]:
    return ("--now", SERVER_NOW.isoformat())


def server_command(web_env: Env, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reception", "server", "--now", SERVER_NOW.isoformat(), *args,
                           "--db", web_env.server.db_url], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture
def admin(web_env: Env) -> None:
    done = server_command(web_env, "add-web-admin", "zhangwei", "--name", "张伟", "--password-env", "ADMIN_PW",
                          ADMIN_PW=ADMIN_PW)
    assert done.returncode == 0, done.stderr
    assert "/admin" in done.stdout


def admin_login(page: Any, base: str, username: str = "zhangwei", password: str = ADMIN_PW) -> None:
    page.goto(f"{base}/admin")
    assert page.url.endswith("/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def sign_in_to_change(page: Any, base: str, username: str, password: str) -> None:
    """Sign in at /unit with a password someone else gave: the change page, not the workbench."""
    page.goto(f"{base}/unit")
    assert page.url.endswith("/unit/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/unit/password")
    assert page.get_by_role("heading", name="修改初始密码").is_visible()


def change_password(page: Any, old: str, new: str, confirm: str | None = None) -> None:
    page.get_by_label("当前密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码").fill(new if confirm is None else confirm)
    page.get_by_role("button", name="修改密码").click()


def field_error(page: Any, name: str) -> str:
    """The message said next to a field of the change page (inside the field's own block, and the input described
    by it)."""
    block = page.locator(".field", has=page.locator(f"#{name}"))
    assert f"{name}_error" in (page.locator(f"#{name}").get_attribute("aria-describedby") or "")
    assert page.locator(f"#{name}").get_attribute("aria-invalid") == "true"
    text: str = block.locator(f"#{name}_error").inner_text()
    return text


def card(page: Any, username: str) -> Any:
    return page.locator(f"#account-{username}")


def add_account(page: Any, unit: str, username: str, name: str, role: str, password: str = "") -> None:
    form = page.locator("#add-account")
    form.get_by_label("所属单位").select_option(unit)
    form.get_by_label("用户名").fill(username)
    form.get_by_label("姓名").fill(name)
    form.get_by_label("角色").select_option(role)
    form.get_by_label("初始密码（留空则自动生成）").fill(password)
    form.get_by_role("button", name="开设账户").click()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_admin_opens_a_unit_account_that_then_signs_in_at_unit(web_env: Env, admin: None, new_page: Any,
                                                                shot: Any, viewport: str) -> None:
    base = web_env.server.url
    page = new_page(viewport)
    admin_login(page, base)
    page.wait_for_url(f"{base}/admin")
    assert "系统管理员 · 张伟" in page.locator("nav.unit-nav").inner_text()
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"
    # bad input: a short password, said next to the form, what was typed kept (the password never)
    add_account(page, "CY", "cy_zhao", "赵敏", "unit_head", "short1")
    form = page.locator("#add-account")
    assert "密码至少8位" in form.locator(".notice.bad").inner_text()
    assert form.get_by_label("用户名").input_value() == "cy_zhao"
    assert form.get_by_label("姓名").input_value() == "赵敏"
    assert form.get_by_label("角色").input_value() == "unit_head"
    assert form.get_by_label("初始密码（留空则自动生成）").input_value() == ""
    with web_env.db.read() as s:
        assert s.scalar(select(UnitUser.id).where(UnitUser.username == "cy_zhao")) is None
    # a generated initial password, shown once
    add_account(page, "CY", "cy_zhao", "赵敏", "unit_head")
    assert "已创建单位账户“cy_zhao”" in page.locator(".notice.good").inner_text()
    password = page.locator("#shown-password").inner_text().strip()
    assert len(password) == 12
    row = card(page, "cy_zhao")
    assert "翠园街道" in row.inner_text() and "单位负责人" in row.inner_text()
    assert row.locator(".account-state").inner_text() == "可用"
    shot(page, f"admin-accounts-{viewport}")
    page.goto(f"{base}/admin")
    assert page.locator("#shown-password").count() == 0 and password not in page.content()
    # the unit user signs in at /unit with it, and must first choose a password of their own
    unit_page = new_page(viewport)
    sign_in_to_change(unit_page, base, "cy_zhao", password)
    nav = unit_page.locator("nav.unit-nav")
    assert "赵敏（单位负责人）" in nav.inner_text() and nav.get_by_role("link", name="待办案件").count() == 0
    for label in ("当前密码", "确认新密码"):
        assert unit_page.get_by_label(label).get_attribute("type") == "password"
    assert unit_page.get_by_label("新密码", exact=True).get_attribute("type") == "password"
    shot(unit_page, f"unit-password-{viewport}")
    for address in ("/unit", "/unit?f=overdue", "/unit/cases/anything", "/unit/login"):
        unit_page.goto(f"{base}{address}")
        assert unit_page.url == f"{base}/unit/password", address
    # a wrong current password: said next to that field, nothing changed
    change_password(unit_page, "Wrong2026pw", "Ziji2026abc")
    assert field_error(unit_page, "old_password") == "当前密码不正确"
    assert unit_page.locator("#new_password_error").count() == 0
    shot(unit_page, f"unit-password-wrong-{viewport}")
    change_password(unit_page, password, password)
    assert field_error(unit_page, "new_password") == "新密码不能与当前密码相同"
    change_password(unit_page, password, "Ziji2026abc", "Ziji2026abd")
    assert field_error(unit_page, "confirm") == "两次输入的新密码不一致"
    change_password(unit_page, password, "short1")
    assert field_error(unit_page, "new_password") == "密码至少8位"
    # a form without its token changes nothing
    forged = unit_page.request.post(f"{base}/unit/password", form={
        "old_password": password, "new_password": "Ziji2026abc", "confirm": "Ziji2026abc"})
    assert forged.status == 400 and "密码未修改" in forged.text()
    # a valid change reaches the workbench
    change_password(unit_page, password, "Ziji2026abc")
    unit_page.wait_for_url(f"{base}/unit")
    assert unit_page.get_by_role("heading", name="修改初始密码").count() == 0
    assert unit_page.locator("nav.unit-nav").get_by_role("link", name="待办案件").is_visible()
    # signed out (that still works) and in again with the new password: straight to the workbench
    unit_page.locator("nav.unit-nav").get_by_role("button", name="退出登录").click()
    unit_page.wait_for_url(f"{base}/unit/login")
    login(unit_page, base, "cy_zhao", "Ziji2026abc")
    assert "赵敏（单位负责人）" in unit_page.locator("nav.unit-nav").inner_text()
    # the page stays there for a change by choice (not forced: the workbench stays open)
    unit_page.locator("nav.unit-nav").get_by_role("link", name="修改密码").click()
    unit_page.wait_for_url(f"{base}/unit/password")
    assert unit_page.get_by_role("heading", name="修改密码").is_visible()
    unit_page.goto(f"{base}/unit")
    assert unit_page.url == f"{base}/unit"
    # audited: the administrator's own trail and the unit's
    with web_env.db.read() as s:
        actions = [(a.action, a.target) for a in s.scalars(select(AdminAudit).order_by(AdminAudit.at))]
        unit_trail = [(a.action, a.detail)
                      for a in s.scalars(select(UnitAudit).where(UnitAudit.action == "user_added"))]
    assert ("admin_added", "zhangwei") in actions and ("login", "zhangwei") in actions
    assert ("unit_user_added", "cy_zhao") in actions
    assert unit_trail == [("user_added", "cy_zhao unit_head")]
    assert password not in str(actions) + str(unit_trail)
    with web_env.db.read() as s:
        changes = [(a.action, a.detail) for a in s.scalars(select(UnitAudit).where(UnitAudit.action.in_(
            ["password_changed", "login_failed"])).order_by(UnitAudit.at))]
    assert changes == [("login_failed", "change_password attempt=1"), ("password_changed", "cy_zhao")]


def test_reset_disable_enable_and_unlock(web_env: Env, admin: None, new_page: Any, shot: Any) -> None:
    base = web_env.server.url
    unit_accounts.add_unit_user(web_env.db, "XYL", "xyl_wang", "王立", "unit_staff", "Xueyuan2026")
    # five wrong passwords at /unit lock the account
    unit_page = new_page("phone")
    for _ in range(5):
        unit_page.goto(f"{base}/unit/login")
        unit_page.get_by_label("用户名").fill("xyl_wang")
        unit_page.get_by_label("密码").fill("wrong-password1")
        unit_page.get_by_role("button", name="登录").click()
    assert "账户已锁定" in unit_page.locator(".notice.bad").inner_text()
    page = new_page("desktop")
    admin_login(page, base)
    row = card(page, "xyl_wang")
    with web_env.db.read() as s:
        until = s.scalar(select(UnitUser.locked_until).where(UnitUser.username == "xyl_wang")).astimezone(CHINA_TZ)
    # (on the server's clock, which started at SERVER_NOW and has run on since)
    assert SERVER_NOW + timedelta(minutes=LOCK_MINUTES) <= until < SERVER_NOW + timedelta(minutes=LOCK_MINUTES + 5)
    assert row.locator(".account-state").inner_text() == f"已锁定（至{until:%H:%M}，密码连续输错）"
    shot(page, "admin-locked-account")
    row.get_by_role("button", name="解锁").click()
    assert "账户“xyl_wang”已解锁" in page.locator(".notice.good").inner_text()
    assert card(page, "xyl_wang").locator(".account-state").inner_text() == "可用"
    login(unit_page, base, "xyl_wang", "Xueyuan2026")
    # a typed new password: the old one no longer works, the account's sessions end
    card(page, "xyl_wang").get_by_label("新密码（留空则自动生成）").fill("xyl")
    card(page, "xyl_wang").get_by_role("button", name="重设密码").click()
    assert "密码至少8位" in card(page, "xyl_wang").locator(".notice.bad").inner_text()
    card(page, "xyl_wang").get_by_label("新密码（留空则自动生成）").fill("Xinmima2027")
    card(page, "xyl_wang").get_by_role("button", name="重设密码").click()
    assert "已重设账户“xyl_wang”的密码" in page.locator(".notice.good").inner_text()
    assert page.locator("#shown-password").count() == 0  # (typed, so not shown)
    unit_page.goto(f"{base}/unit")
    assert unit_page.url.endswith("/unit/login")
    # (a reset password is the administrator's: changed at the next sign-in; signing out works from that page)
    sign_in_to_change(unit_page, base, "xyl_wang", "Xinmima2027")
    unit_page.get_by_role("button", name="退出登录").click()
    unit_page.wait_for_url(f"{base}/unit/login")
    unit_page.goto(f"{base}/unit/password")
    assert unit_page.url.endswith("/unit/login")
    sign_in_to_change(unit_page, base, "xyl_wang", "Xinmima2027")
    change_password(unit_page, "Xinmima2027", "Ziji2027wang")
    unit_page.wait_for_url(f"{base}/unit")
    # disabled: signed out at once, refused at sign-in like an unknown name; enabled again, it works
    card(page, "xyl_wang").get_by_role("button", name="停用").click()
    assert card(page, "xyl_wang").locator(".account-state").inner_text() == "已停用"
    unit_page.goto(f"{base}/unit")
    assert unit_page.url.endswith("/unit/login")
    unit_page.get_by_label("用户名").fill("xyl_wang")
    unit_page.get_by_label("密码").fill("Ziji2027wang")
    unit_page.get_by_role("button", name="登录").click()
    assert "用户名或密码错误" in unit_page.locator(".notice.bad").inner_text()
    card(page, "xyl_wang").get_by_role("button", name="启用").click()
    assert card(page, "xyl_wang").locator(".account-state").inner_text() == "可用"
    login(unit_page, base, "xyl_wang", "Ziji2027wang")
    # a generated password, shown once
    card(page, "xyl_wang").get_by_role("button", name="重设密码").click()
    generated = page.locator("#shown-password").inner_text().strip()
    regenerated = unit_accounts.sign_in(web_env.db, "xyl_wang", generated, now=SERVER_NOW)[1].account
    assert regenerated.username == "xyl_wang" and regenerated.must_change_password
    with web_env.db.read() as s:
        actions = [a.action for a in s.scalars(select(AdminAudit).where(AdminAudit.target == "xyl_wang"))]
    assert sorted(actions) == sorted(["user_unlocked", "password_reset", "user_disabled", "user_enabled",
                                      "password_reset"])


def test_a_unit_user_cannot_reach_the_admin_page(web_env: Env, admin: None, new_page: Any) -> None:
    base = web_env.server.url
    unit_accounts.add_unit_user(web_env.db, "CY", "cy_chen", "陈明", "unit_head", "Cuiyuan2026")
    page = new_page("phone")
    login(page, base, "cy_chen", "Cuiyuan2026")
    answer = page.goto(f"{base}/admin")
    assert answer is not None and page.url.endswith("/admin/login") and "cy_chen" not in page.content()
    # a unit account's password is not an administrator's
    page.get_by_label("用户名").fill("cy_chen")
    page.get_by_label("密码").fill("Cuiyuan2026")
    page.get_by_role("button", name="登录").click()
    assert "用户名或密码错误" in page.locator(".notice.bad").inner_text()
    # nor is its session, even sent under the administrators' cookie name
    unit_cookie = next(c for c in page.context.cookies() if c["name"] == unit_accounts.COOKIE)
    page.context.add_cookies([{"name": COOKIE, "value": unit_cookie["value"], "url": f"{base}/admin"}])
    page.goto(f"{base}/admin")
    assert page.url.endswith("/admin/login")
    token = page.locator("input[name=csrf]").first.input_value()
    forged = page.request.post(f"{base}/admin/users", form={
        "csrf": token, "action": "add", "unit": "CY", "username": "cy_evil", "display_name": "某人",
        "role": "unit_head", "password": "Evil2026pass"}, max_redirects=0)
    assert forged.status == 403 and "请先以系统管理员身份登录" in forged.text()
    with web_env.db.read() as s:
        assert s.scalar(select(UnitUser.id).where(UnitUser.username == "cy_evil")) is None


def test_a_form_without_its_token_changes_nothing(web_env: Env, admin: None, new_page: Any) -> None:
    base = web_env.server.url
    unit_accounts.add_unit_user(web_env.db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026")
    page = new_page("desktop")
    admin_login(page, base)
    page.wait_for_url(f"{base}/admin")
    with web_env.db.read() as s:
        user_id = s.scalar(select(UnitUser.id).where(UnitUser.username == "cy_chen"))
    for form in ({"action": "add", "unit": "CY", "username": "cy_new", "display_name": "某人", "role": "unit_staff",
                  "password": "Newpass2026"},
                 {"action": "disable", "user_id": user_id},
                 {"action": "password", "user_id": user_id, "new_password": "Other2026pw"}):
        for token in ({}, {"csrf": "forged"}):
            answer = page.request.post(f"{base}/admin/users", form={**form, **token})
            assert answer.status == 400 and "未作任何更改" in answer.text()
    # another session's token is refused too: the token is bound to this session
    other = new_page("phone")
    admin_login(other, base)
    other_token = other.locator("#add-account input[name=csrf]").input_value()
    answer = page.request.post(f"{base}/admin/users", form={"action": "disable", "user_id": user_id,
                                                            "csrf": other_token})
    assert answer.status == 400
    with web_env.db.read() as s:
        assert s.scalar(select(UnitUser.id).where(UnitUser.username == "cy_new")) is None
        user = s.get(UnitUser, user_id)
        assert user is not None and user.active
    assert unit_accounts.sign_in(web_env.db, "cy_chen", "Cuiyuan2026", now=SERVER_NOW)[1].account.username == "cy_chen"


@pytest.fixture
def server_db(server_db_url: str, reference_dir: Path) -> Iterator[ServerDatabase]:
    d = open_server_database(server_db_url)
    import_reference(d, reference_dir)
    try:
        yield d
    finally:
        d.dispose()


def test_admin_sign_in_locks_after_five_wrong_passwords_and_sessions_idle_out(server_db: ServerDatabase) -> None:
    db, now = server_db, SERVER_NOW
    admin_accounts.add_web_admin(db, "zhangwei", "张伟", ADMIN_PW, now=now)
    with pytest.raises(FieldError, match="已存在"):
        admin_accounts.add_web_admin(db, "zhangwei", "张伟", ADMIN_PW, now=now)
    with pytest.raises(FieldError, match="不能包含用户名"):
        admin_accounts.add_web_admin(db, "liqiang", "李强", "liqiang2026", now=now)
    cookie, session = admin_accounts.sign_in(db, "zhangwei", ADMIN_PW, now=now)
    with db.read() as s:
        assert [r.token_hash for r in s.query(AdminSession)] == [hash_secret(cookie)]
    # a unit's session table knows nothing of it, and the administrators' knows nothing of a unit's
    assert unit_accounts.resolve(db, cookie, now=now) is None
    unit_accounts.add_unit_user(db, "CY", "cy_chen", "陈明", "unit_staff", "Cuiyuan2026", now=now)
    unit_cookie, _ = unit_accounts.sign_in(db, "cy_chen", "Cuiyuan2026", now=now)
    assert admin_accounts.resolve(db, unit_cookie, now=now) is None
    # idle for longer than IDLE: gone
    assert admin_accounts.resolve(db, cookie, now=now + timedelta(minutes=20)) == session
    assert admin_accounts.resolve(db, cookie, now=now + timedelta(minutes=20) + IDLE + timedelta(seconds=1)) is None
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            admin_accounts.sign_in(db, "zhangwei", "wrong-password1", now=now)
    with pytest.raises(AccountLocked, match=f"{LOCK_MINUTES}分钟后再试"):
        admin_accounts.sign_in(db, "zhangwei", "wrong-password1", now=now)
    with pytest.raises(AccountLocked):
        admin_accounts.sign_in(db, "zhangwei", ADMIN_PW, now=now + timedelta(minutes=1))
    with pytest.raises(LoginFailed, match="用户名或密码错误"):  # an unknown name: the same answer
        admin_accounts.sign_in(db, "nobody", ADMIN_PW, now=now)
    later = now + timedelta(minutes=LOCK_MINUTES, seconds=1)
    cookie, _ = admin_accounts.sign_in(db, "zhangwei", ADMIN_PW, now=later)
    admin_accounts.end(db, cookie, now=later)
    assert admin_accounts.resolve(db, cookie, now=later) is None
    with db.read() as s:
        trail = [(a.action, a.target) for a in s.scalars(select(AdminAudit).order_by(AdminAudit.at))]
    assert trail.count(("login", "zhangwei")) == 2 and ("locked", "zhangwei") in trail
    assert ("login_failed", "nobody") in trail and ("logout", "zhangwei") in trail
    assert ADMIN_PW not in str(trail)


def test_web_admin_password_reset_disable_and_enable_from_the_command_line(web_env: Env, admin: None) -> None:
    db = open_server_database(web_env.server.db_url)
    try:
        cookie, _ = admin_accounts.sign_in(db, "zhangwei", ADMIN_PW, now=SERVER_NOW)
        for _ in range(MAX_FAILURES):
            with pytest.raises((LoginFailed, AccountLocked)):
                admin_accounts.sign_in(db, "zhangwei", "wrong-password1", now=SERVER_NOW)
        new_pw = "Xinmima2026y"
        done = server_command(web_env, "web-admin-password", "zhangwei", "--password-env", "NEW_PW", NEW_PW="short")
        assert done.returncode != 0 and "密码" in done.stderr
        done = server_command(web_env, "web-admin-password", "zhangwei", "--password-env", "NEW_PW", NEW_PW=new_pw)
        assert done.returncode == 0, done.stderr
        assert admin_accounts.resolve(db, cookie, now=SERVER_NOW) is None  # its sessions ended
        with pytest.raises(LoginFailed):
            admin_accounts.sign_in(db, "zhangwei", ADMIN_PW, now=SERVER_NOW)
        cookie, _ = admin_accounts.sign_in(db, "zhangwei", new_pw, now=SERVER_NOW)  # unlocked, the new password
        done = server_command(web_env, "disable-web-admin", "zhangwei")
        assert done.returncode == 0, done.stderr
        assert admin_accounts.resolve(db, cookie, now=SERVER_NOW) is None
        with pytest.raises(LoginFailed):
            admin_accounts.sign_in(db, "zhangwei", new_pw, now=SERVER_NOW)
        done = server_command(web_env, "enable-web-admin", "zhangwei")
        assert done.returncode == 0, done.stderr
        admin_accounts.sign_in(db, "zhangwei", new_pw, now=SERVER_NOW)
        done = server_command(web_env, "disable-web-admin", "nobody")
        assert done.returncode != 0 and "没有管理员" in done.stderr
        with db.read() as s:
            trail = [(a.admin_id, a.action, a.target) for a in s.scalars(select(AdminAudit).order_by(AdminAudit.at))]
        for action in ("admin_password_reset", "admin_disabled", "admin_enabled"):
            assert (admin_accounts.CLI, action, "zhangwei") in trail
        assert new_pw not in str(trail)
    finally:
        db.dispose()
