"""管理 → 工位与账户, clicked as an administrator would: a new account (the password rules next to the field), its
role changed, a password reset and an account unlocked (both then sign in), an account retired (it cannot sign in;
the administrator cannot retire themself), and this desk's centre name saved (printed on the next receipt)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import Desk, User
from reception.security.accounts import AccountLocked, LoginFailed, authenticate
from tests.ui.helpers import by_name, choose, click, sign_in, type_into
from ui.admin.accounts import AccountsAdmin
from ui.admin.menu import open_accounts_admin
from ui.main_window import MainWindow


@pytest.fixture
def accounts(window: MainWindow) -> AccountsAdmin:
    sign_in(window, "admin")
    return open_accounts_admin(window)


def test_add_set_role_reset_unlock_retire(qtbot: QtBot, window: MainWindow, accounts: AccountsAdmin) -> None:
    click(qtbot, accounts, "新增账户…")
    dialog = accounts.dialog
    assert dialog is not None
    type_into(qtbot, by_name(dialog, QLineEdit, "用户名"), "chenjing")
    type_into(qtbot, by_name(dialog, QLineEdit, "姓名"), "陈静")
    type_into(qtbot, by_name(dialog, QLineEdit, "初始密码"), "abc")
    type_into(qtbot, by_name(dialog, QLineEdit, "确认密码"), "abc")
    click(qtbot, dialog, "保存")
    assert "至少8位" in dialog.form.error_text("password")  # type: ignore[attr-defined]
    for name in ("初始密码", "确认密码"):
        by_name(dialog, QLineEdit, name).clear()
        type_into(qtbot, by_name(dialog, QLineEdit, name), "Chen2026ab")
    click(qtbot, dialog, "保存")
    assert not dialog.isVisible()
    assert accounts.state_of("chenjing") == "正常（须改密码）"
    signed = authenticate(window.ctx, "chenjing", "Chen2026ab")
    assert signed.role == "desk_officer" and signed.must_change_password

    accounts.select("chenjing")
    click(qtbot, accounts, "编辑…")
    dialog = accounts.dialog
    assert dialog is not None
    choose(by_name(dialog, QComboBox, "角色"), "督查")
    click(qtbot, dialog, "保存")
    with window.ctx.db.read() as s:
        assert s.scalar(select(User.role).where(User.username == "chenjing")) == "supervisor"

    for _ in range(5):
        with pytest.raises((LoginFailed, AccountLocked)):
            authenticate(window.ctx, "liuxy", "wrong-password1")
    accounts.refresh()
    assert accounts.state_of("liuxy").startswith("锁定至")
    accounts.select("liuxy")
    click(qtbot, accounts, "解锁")
    assert accounts.state_of("liuxy") == "正常"
    accounts.select("liuxy")
    click(qtbot, accounts, "重置密码…")
    dialog = accounts.dialog
    assert dialog is not None
    type_into(qtbot, by_name(dialog, QLineEdit, "新密码"), "Liu2026new")
    type_into(qtbot, by_name(dialog, QLineEdit, "确认密码"), "Liu2026neW")
    click(qtbot, dialog, "重置")
    assert "不一致" in dialog.form.error_text("confirm_password")  # type: ignore[attr-defined]
    by_name(dialog, QLineEdit, "确认密码").clear()
    type_into(qtbot, by_name(dialog, QLineEdit, "确认密码"), "Liu2026new")
    click(qtbot, dialog, "重置")
    assert not dialog.isVisible()
    assert authenticate(window.ctx, "liuxy", "Liu2026new").must_change_password

    accounts.select("chenjing")
    click(qtbot, accounts, "停用")
    assert accounts.state_of("chenjing") == "停用"
    with pytest.raises(LoginFailed):
        authenticate(window.ctx, "chenjing", "Chen2026ab")
    accounts.select("chenjing")
    click(qtbot, accounts, "启用")
    assert authenticate(window.ctx, "chenjing", "Chen2026ab").display_name == "陈静"
    accounts.select("admin")
    click(qtbot, accounts, "停用")
    assert "不能停用自己" in accounts.banner.label.text()
    with window.ctx.db.read() as s:
        assert s.scalar(select(User.active).where(User.username == "admin")) is True


def test_this_desks_centre_name(qtbot: QtBot, window: MainWindow, accounts: AccountsAdmin) -> None:
    centre = by_name(accounts, QLineEdit, "中心名称")
    centre.clear()
    click(qtbot, accounts, "保存工位设置")
    assert "请填写中心名称" in accounts.desk_form.error_text("centre_name")
    type_into(qtbot, centre, "示范区人民来访接待中心")
    click(qtbot, accounts, "保存工位设置")
    assert "示范区人民来访接待中心" in accounts.banner.label.text()
    with window.ctx.db.read() as s:
        desk = s.get(Desk, window.reference.desk_id)
        assert desk is not None and desk.unit_name == "示范区人民来访接待中心"
    assert window.reference.desk is not None and window.reference.desk.unit_name == "示范区人民来访接待中心"
