"""Another person at the desk: 账户 → 切换用户 / 注销, another account at the lock screen, a half-filled intake form
kept or discarded on the way; and what a unit's staff get: their pages only, their unit's notices only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from reception.security.accounts import DEMO_PASSWORD
from tests.ui.helpers import by_name, click, sign_in, type_into
from ui.main_window import NAV_ITEMS, PAGE_CASES, MainWindow
from ui.security.login import LoginDialog


def shown_pages(window: MainWindow) -> list[str]:
    return [NAV_ITEMS[i] for i in range(window.nav.count()) if not window.nav.item(i).isHidden()]


def account_menu(window: MainWindow) -> list[str]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "账户")
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def answer_draft_question(qtbot: QtBot, window: MainWindow, answer: str) -> None:
    box = window.account.draft_question
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "尚未保存" in box.text()
    assert {b.text() for b in box.findChildren(QPushButton)} >= {"保留", "放弃"}
    qtbot.mouseClick(by_name(box, QPushButton, answer), Qt.MouseButton.LeftButton)


def sign_in_at(qtbot: QtBot, dialog: LoginDialog, username: str) -> None:
    name = by_name(dialog, QLineEdit, "用户名")
    assert not name.isReadOnly()
    name.clear()
    type_into(qtbot, name, username)
    type_into(qtbot, by_name(dialog, QLineEdit, "密码"), DEMO_PASSWORD)
    click(qtbot, dialog, dialog.ok_button.text())


def test_switching_user_with_a_half_filled_form_keeps_or_discards_it_as_asked(qtbot: QtBot,
                                                                             window: MainWindow) -> None:
    assert account_menu(window)[:2] == ["切换用户…", "注销"]
    status = window.findChild(QLabel, "signedInUser")
    form = window.intake_page.form
    type_into(qtbot, by_name(form, QLineEdit, "姓名"), "夏半填")
    type_into(qtbot, by_name(form, QLineEdit, "联系电话"), "13912345678")
    central = window.centralWidget()
    assert central is not None

    window.account.switch_action.trigger()
    answer_draft_question(qtbot, window, "取消")  # nothing happens
    assert window.account.lock_dialog is None and central.isVisible() and status.text().startswith("当前用户：刘晓燕")
    assert by_name(form, QLineEdit, "姓名").text() == "夏半填"

    window.account.switch_action.trigger()
    answer_draft_question(qtbot, window, "保留")
    dialog = window.account.lock_dialog
    assert isinstance(dialog, LoginDialog) and dialog.isVisible() and not central.isVisible()
    assert dialog.windowTitle() == "切换用户" and by_name(dialog, QLineEdit, "用户名").text() == ""
    sign_in_at(qtbot, dialog, "leader")
    assert window.account.lock_dialog is None and central.isVisible()
    assert status.text().endswith("（值班领导）")  # the status bar and the permissions follow at once
    assert "来访登记" not in shown_pages(window) and "领导接访" in shown_pages(window)
    assert window.leader_page.may_record and not window.save_action.isEnabled()
    assert window.pages.currentIndex() != 0  # moved off the intake page it may not use

    window.account.switch_action.trigger()  # the kept form is not the leader's to decide: no question while hidden
    answer_draft_question(qtbot, window, "保留")
    sign_in_at(qtbot, window.account.lock_dialog, "liuxy")  # type: ignore[arg-type]
    assert status.text().startswith("当前用户：刘晓燕") and "来访登记" in shown_pages(window)
    assert by_name(form, QLineEdit, "姓名").text() == "夏半填"  # kept, as answered
    assert by_name(form, QLineEdit, "联系电话").text() == "13912345678"

    window.account.switch_action.trigger()
    answer_draft_question(qtbot, window, "放弃")
    dialog = window.account.lock_dialog
    assert isinstance(dialog, LoginDialog)
    click(qtbot, dialog, "取消")  # changed their mind about the switch: still signed in
    assert window.account.lock_dialog is None and central.isVisible() and status.text().startswith("当前用户：刘晓燕")
    assert by_name(form, QLineEdit, "姓名").text() == "" and not form.is_dirty()  # discarded, as answered


def test_sign_out_leaves_nobody_signed_in_until_another_account_signs_in(qtbot: QtBot, window: MainWindow) -> None:
    from sqlalchemy import select

    from reception.db.models import AuditEntry

    status = window.findChild(QLabel, "signedInUser")
    liuxy = window.reference.user_id
    window.account.sign_out_action.trigger()  # an empty form: no question
    assert window.account.draft_question is None
    dialog = window.account.lock_dialog
    assert isinstance(dialog, LoginDialog) and dialog.windowTitle() == "已注销"
    assert status.text() == "当前用户：未登录" and shown_pages(window) == []
    with window.ctx.db.read() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "logout", AuditEntry.user_id == liuxy))
    sign_in_at(qtbot, dialog, "unit_cy")
    assert status.text() == "当前用户：翠园街道经办人（责任单位工作人员）"
    assert shown_pages(window) == ["案件查询", "数据同步"]
    assert window.pages.currentIndex() == PAGE_CASES
    from reception.lifecycle.service import due_soon, overdue

    unit_cy = window.reference.user_id  # the reminders in the status bar are the unit's own
    late, soon = overdue(window.ctx, actor_id=unit_cy), due_soon(window.ctx, actor_id=unit_cy)
    assert overdue(window.ctx).total > late.total
    assert window.deadline_status.text() == f"期限提醒：超期{late.total_text}件，临期{soon.total_text}件"
    window.account.sign_out_action.trigger()  # and the same person may sign in again after signing out
    dialog = window.account.lock_dialog
    assert isinstance(dialog, LoginDialog) and status.text() == "当前用户：未登录"
    sign_in_at(qtbot, dialog, "unit_cy")
    assert status.text() == "当前用户：翠园街道经办人（责任单位工作人员）"


def test_another_account_may_sign_in_at_the_lock_screen(qtbot: QtBot, window: MainWindow) -> None:
    from ui.security.session import lock_window

    type_into(qtbot, by_name(window.intake_page.form, QLineEdit, "姓名"), "夏锁屏")
    lock_window(window)
    dialog = window.account.lock_dialog
    assert isinstance(dialog, LoginDialog)
    assert by_name(dialog, QLineEdit, "用户名").text() == "liuxy"
    sign_in_at(qtbot, dialog, "supervisor")
    assert window.findChild(QLabel, "signedInUser").text() == "当前用户：何督查（督查）"
    assert window.account.audit_action.isEnabled() and "来访登记" not in shown_pages(window)
    # the registration typed before the lock is the desk officer's: it stays (no supervisor may register it)
    assert window.account.draft_question is None
    assert by_name(window.intake_page.form, QLineEdit, "姓名").text() == "夏锁屏"


def test_unit_staff_window_has_no_leader_page_and_lists_only_their_units_notices(qtbot: QtBot,
                                                                                   window: MainWindow) -> None:
    from reception.lifecycle import machine as m
    from reception.lifecycle import notify
    from reception.lifecycle import service as lc
    from tests.ui.helpers import choose, fill_valid, shown_errors

    # a case routed to 翠园街道, signed for and accepted: the petitioner's notice is 翠园街道's
    page = window.intake_page
    fill_valid(qtbot, page.form, name="紫翠园")
    choose(by_name(page.form, QComboBox, "责任单位"), "翠园街道")
    if page.form.override_edit.isVisibleTo(page.form):
        type_into(qtbot, by_name(page.form, QLineEdit, "改派理由"), "属地办理")
    click(qtbot, page, "保存")
    assert page.result is not None, shown_errors(page)
    case_id = page.result.case_id
    supervisor = sign_in(window, "supervisor")
    lc.apply(window.ctx, case_id, m.SignFor(), actor_id=supervisor)
    lc.apply(window.ctx, case_id, m.Accept(), actor_id=supervisor)
    everyone = notify.outbox(window.ctx)
    assert len({n.case_id for n in everyone}) > 1

    sign_in(window, "unit_cy")
    assert "领导接访" not in shown_pages(window) and "统计分析" not in shown_pages(window)
    assert shown_pages(window) == ["案件查询", "数据同步"]
    window.show_page(PAGE_CASES)
    tab = window.cases_page.outbox_tab
    window.cases_page.show_tab(window.cases_page.tabs.indexOf(tab))
    tab.refresh()
    assert {n.case_id for n in tab.rows()} == {case_id}
    assert not tab.send_button.isVisibleTo(window) and not tab.resend_button.isVisibleTo(window)
    assert not window.cases_page.overdue_tab.unit_combo.isVisibleTo(window)
