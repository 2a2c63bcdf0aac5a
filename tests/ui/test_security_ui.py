"""The login dialog, the lock screen, role-dependent buttons and the supervisors' audit viewer, clicked by qtbot."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QPushButton, QSpinBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reception.security.accounts import DEMO_PASSWORD, WRONG_LOGIN
from tests.ui.helpers import by_name, choose, click, sign_in, type_into
from ui.main_window import MainWindow
from ui.security.audit_viewer import AuditViewer
from ui.security.login import LoginDialog
from ui.security.session import lock_window, open_audit_viewer
from ui.tasks import TaskManager


def login_dialog(qtbot: QtBot, window: MainWindow, **kwargs: object) -> LoginDialog:
    dialog = LoginDialog(window.ctx, TaskManager(synchronous=True), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_login_wrong_password_then_lockout_message_then_success(qtbot: QtBot, window: MainWindow) -> None:
    dialog = login_dialog(qtbot, window, demo=True)
    assert DEMO_PASSWORD in dialog.findChild(QLabel, "demoHint").text()
    user, password = by_name(dialog, QLineEdit, "用户名"), by_name(dialog, QLineEdit, "密码")
    assert password.echoMode() == QLineEdit.EchoMode.Password
    type_into(qtbot, user, "supervisor")
    click(qtbot, dialog, "登录")
    assert dialog.error.text() == "请输入密码"
    for _ in range(4):
        type_into(qtbot, password, "wrong-pass1")
        click(qtbot, dialog, "登录")
        assert dialog.error.text() == WRONG_LOGIN and dialog.isVisible()  # (the same for an unknown name)
        assert user.text() == "supervisor" and password.text() == ""  # the name typed stays
    type_into(qtbot, password, "wrong-pass1")
    click(qtbot, dialog, "登录")
    assert "账户已锁定" in dialog.error.text() and "15分钟后再试" in dialog.error.text()
    type_into(qtbot, password, DEMO_PASSWORD)
    click(qtbot, dialog, "登录")
    assert "账户已锁定" in dialog.error.text() and dialog.user is None
    later = window.ctx.now() + timedelta(minutes=16)  # the lock has expired
    window.ctx.now = lambda: later
    type_into(qtbot, password, DEMO_PASSWORD)
    with qtbot.waitSignal(dialog.signedIn):
        click(qtbot, dialog, "登录")
    assert dialog.user is not None and dialog.user.role == "supervisor" and not dialog.isVisible()


def test_window_shows_who_is_signed_in_and_greys_out_what_the_role_may_not(qtbot: QtBot,
                                                                           window: MainWindow) -> None:
    status = window.findChild(QLabel, "signedInUser")
    assert status.text() == "当前用户：刘晓燕（接待窗口工作人员）"
    assert window.intake_page.isEnabled() and window.save_action.isEnabled()
    assert not window.account.audit_action.isEnabled() and not window.roster_page.generate_button.isEnabled()
    sign_in(window, "supervisor")
    assert status.text() == "当前用户：何督查（督查）"
    assert not window.intake_page.isEnabled() and not window.save_action.isEnabled()
    assert window.intake_page.toolTip() == "您的角色无权使用此功能"
    assert window.account.audit_action.isEnabled()
    window.roster_page.ensure_loaded()
    assert window.roster_page.generate_button.isEnabled()
    sign_in(window, "leader")
    assert window.leader_page.may_record and not window.roster_page.generate_button.isEnabled()
    sign_in(window, "liuxy")
    assert not window.leader_page.may_record and not window.leader_page.save_button.isEnabled()


def test_lock_screen_hides_the_window_until_the_same_user_types_the_password(qtbot: QtBot,
                                                                               window: MainWindow) -> None:
    lock_window(window)
    dialog = window.account.lock_dialog
    assert isinstance(dialog, LoginDialog) and dialog.isVisible()
    central = window.centralWidget()
    assert central is not None and not central.isVisible()
    name = by_name(dialog, QLineEdit, "用户名")
    assert name.text() == "liuxy" and not name.isReadOnly()  # filled in; another account may sign in instead
    dialog.tasks = TaskManager(synchronous=True)
    type_into(qtbot, by_name(dialog, QLineEdit, "密码"), "not-it-123")
    click(qtbot, dialog, "解锁")
    assert dialog.isVisible() and "用户名或密码错误" in dialog.error.text()
    type_into(qtbot, by_name(dialog, QLineEdit, "密码"), DEMO_PASSWORD)
    click(qtbot, dialog, "解锁")
    assert window.account.lock_dialog is None and central.isVisible()


def test_audit_viewer_filters_by_user_and_action(qtbot: QtBot, window: MainWindow,
                                                 qtmodeltester: ModelTester) -> None:
    # a few audited events: a history view by the desk officer, a failed sign-in
    from reception.intake.history import lookup_history
    from reception.security.accounts import LoginFailed, authenticate

    lookup_history(window.ctx, name="夏明云", user_id=window.reference.user_id)
    found = lookup_history(window.ctx, phone="13800000000", user_id=window.reference.user_id)
    assert found is not None
    with pytest.raises(LoginFailed):
        authenticate(window.ctx, "liuxy", "bad-password1")
    supervisor = sign_in(window, "supervisor")
    open_audit_viewer(window)
    viewer = window.account.audit_viewer
    assert isinstance(viewer, AuditViewer)
    qtbot.addWidget(viewer)
    viewer.tasks = TaskManager(synchronous=True)
    for name in ("起始日期", "截止日期"):
        assert by_name(viewer, QDateEdit, name).isVisible()
    qtmodeltester.check(viewer.model)
    viewer.refresh()
    all_rows = viewer.model.rows()
    assert all_rows and all(r.at >= all_rows[-1].at for r in all_rows)
    choose(by_name(viewer, QComboBox, "操作"), "登录失败")
    click(qtbot, viewer, "查询")
    rows = viewer.model.rows()
    assert rows and {r.action for r in rows} == {"login_failed"} and {r.user for r in rows} == {"刘晓燕"}
    assert viewer.status.text() == f"共{len(rows)}条记录"
    user_combo = by_name(viewer, QComboBox, "用户")
    user_combo.setCurrentIndex(user_combo.findData(supervisor))
    click(qtbot, viewer, "查询")
    assert viewer.model.rows() == [] and viewer.status.text() == "没有符合条件的记录"
    click(qtbot, viewer, "校验完整性")
    assert viewer.status.text().startswith("完整性校验通过")
    # reading the trail was itself recorded
    user_combo.setCurrentIndex(0)
    choose(by_name(viewer, QComboBox, "操作"), "全部操作")
    click(qtbot, viewer, "查询")
    assert any(r.action == "view_audit" and r.user == "何督查" for r in viewer.model.rows())
    for b in viewer.findChildren(QPushButton):
        assert b.accessibleName() == b.text()


def test_audit_viewer_is_refused_to_a_desk_officer_by_the_core(qtbot: QtBot, window: MainWindow) -> None:
    viewer = AuditViewer(window.ctx, TaskManager(synchronous=True), window.reference.user_id)
    qtbot.addWidget(viewer)
    viewer.refresh()
    assert "无权查看审计日志" in viewer.status.text() and viewer.model.rows() == []


def test_settings_lock_minutes_only_for_the_administrator(qtbot: QtBot, window: MainWindow) -> None:
    from reception.security.accounts import lock_minutes

    window.open_settings()
    dialog = window.settings_dialog
    spin = by_name(dialog, QSpinBox, "无操作自动锁定")
    assert not spin.isEnabled()
    dialog.close()
    sign_in(window, "admin")
    window.open_settings()
    dialog = window.settings_dialog
    spin = by_name(dialog, QSpinBox, "无操作自动锁定")
    assert spin.isEnabled() and spin.value() == 10
    spin.setValue(3)
    click(qtbot, dialog, "保存")
    assert lock_minutes(window.ctx) == 3


def test_case_detail_greys_out_the_steps_the_role_may_not_take(qtbot: QtBot, window: MainWindow) -> None:
    from reception.intake.cases import search_cases
    from tests.ui.helpers import fill_valid
    from ui.main_window import PAGE_CASES

    page = window.intake_page
    fill_valid(qtbot, page.form, name="紫霞光")
    click(qtbot, page, "保存")
    assert page.result is not None
    case = next(c for c in search_cases(window.ctx, page.result.case_no) if c.id == page.result.case_id)
    window.show_page(PAGE_CASES)
    dialog = window.cases_page.open_case(case)  # the desk officer: may not sign for the unit nor supervise
    states = {b.text(): b.isEnabled() for b in dialog.action_buttons}
    assert states == {"签收": False, "异议退回": False, "受理": False, "不予受理": False, "督办": False}
    assert dialog.action_buttons[0].toolTip() == "您的角色无权使用此功能"
    dialog.close()
    sign_in(window, "supervisor")
    dialog = window.cases_page.open_case(case)
    assert all(b.isEnabled() for b in dialog.action_buttons)
    dialog.close()


def test_every_case_step_button_names_the_permission_it_needs() -> None:
    from reception.lifecycle.service import TRANSITION_PERMISSION
    from ui.cases.actions import ACTIONS
    from ui.security.session import ACTION_PERMISSIONS

    assert {a.text for a in ACTIONS} == set(ACTION_PERMISSIONS)
    # and the button asks for what the core checks
    probe = {"unit_id": "u", "mode": "assign", "received_on": None, "reason": "r", "channel": "phone", "days": 30,
             "approved_by": "a", "told": True, "outcome": "support", "basis": "b", "delivered_on": None,
             "means": "post", "rating": "satisfied", "requested_on": None, "body": "b", "started_on": None,
             "ended_on": None, "supervision_id": "s", "answer": "resolved", "note": "n", "simple": False}
    values = {k: (date(2026, 9, 1) if v is None else v) for k, v in probe.items()}
    for action in ACTIONS:
        transition = action.build(values)
        assert TRANSITION_PERMISSION[type(transition)] is ACTION_PERMISSIONS[action.text], action.text
