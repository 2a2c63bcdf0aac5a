"""Who is signed in at the window: the 账户 menu (切换用户, 注销, 修改密码, 锁定屏幕, 审计日志), pages shown and buttons
enabled by role, the lock after inactivity.

Hiding and greying out are a courtesy: the core services filter and refuse anyway
(``reception.security.permissions``). Another user signing in (切换用户, or another account at the lock screen)
never silently loses an unsaved registration: the intake form is kept or discarded as the user answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from reception.lifecycle.offers import STEP_PERMISSIONS
from reception.security.permissions import Permission, permissions_of

if TYPE_CHECKING:
    from ui.main_window import MainWindow

ACTION_PERMISSIONS: dict[str, Permission] = dict(STEP_PERMISSIONS)
"""The case detail's lifecycle buttons and the permission each needs (as ``lifecycle.service`` checks it; a test
checks that every step of ``ui.cases.actions.ACTIONS`` is listed)."""

NOT_ALLOWED = "您的角色无权使用此功能"


def user_permissions(window: MainWindow) -> frozenset[Permission]:
    user = window.reference.user
    return permissions_of(user.role) if user is not None else frozenset()


def may(window: MainWindow, permission: Permission) -> bool:
    return permission in user_permissions(window)


def _enable(widget: QWidget | None, allowed: bool) -> None:
    if widget is None:
        return
    widget.setEnabled(allowed)
    widget.setToolTip("" if allowed else NOT_ALLOWED)


P = Permission
PAGE_ACCESS: dict[str, frozenset[Permission]] = {
    "来访登记": frozenset({P.REGISTER}),
    "案件查询": frozenset({P.VIEW_CASES}),
    "领导接访排班": frozenset({P.REGISTER, P.LEADER_REPLY, P.LEADER_WORK, P.ROSTER, P.ADMIN}),
    "领导接访": frozenset({P.LEADER_REPLY, P.LEADER_WORK}),
    "统计分析": frozenset({P.REGISTER, P.LEADER_REPLY, P.SUPERVISE, P.ADMIN}),
    "数据同步": frozenset(Permission),
}
"""Each navigation entry and the permissions of which any one shows it: a page a role may not use is not shown (a
unit's staff: 案件查询 and 数据同步 only; nobody signed in: none)."""


def page_allowed(window: MainWindow, title: str) -> bool:
    return bool(PAGE_ACCESS.get(title, frozenset()) & user_permissions(window))


def apply_pages(window: MainWindow) -> None:
    """Show the navigation entries the user may use, hide the others; off a hidden page to the first shown."""
    from ui.main_window import NAV_ITEMS

    shown: list[int] = []
    for index, title in enumerate(NAV_ITEMS):
        item = window.nav.item(index)
        if item is None:
            continue
        ok = page_allowed(window, title)
        item.setHidden(not ok)
        if ok:
            shown.append(index)
    current = window.nav.currentRow()
    if shown and current not in shown:
        window.show_page(shown[0])


def apply_permissions(window: MainWindow) -> None:
    """Show the pages and enable what the signed-in user may do, disable the rest (with a tooltip saying why)."""
    apply_pages(window)
    register = may(window, Permission.REGISTER)
    _enable(window.intake_page, register)
    for action in (window.new_action, window.save_action, window.save_print_action):
        action.setEnabled(register)
    from ui.main_window import PAGE_LEADER, PAGE_ROSTER

    for index in (PAGE_LEADER, PAGE_ROSTER):
        if window.page_set.built(index) is not None:  # (a page built later gets them then)
            apply_page_permissions(window, index)
    account: AccountMenu | None = getattr(window, "account", None)  # (not yet while the window is being built)
    if account is not None:
        account.audit_action.setEnabled(may(window, Permission.VIEW_AUDIT))
    from ui.admin.menu import apply_admin_permissions

    apply_admin_permissions(window)
    from ui.admin.calendar_menu import update_calendar_admin

    update_calendar_admin(window)


def apply_page_permissions(window: MainWindow, index: int) -> None:
    """What the signed-in user may do on one page (the leader's reception, the roster); with every permission
    change (``apply_permissions``), and when the page is built on first use."""
    from ui.main_window import PAGE_LEADER, PAGE_ROSTER

    if index == PAGE_LEADER:
        leader = window.leader_page
        leader.may_record = may(window, Permission.LEADER_REPLY)
        leader.save_button.setToolTip("" if leader.may_record else NOT_ALLOWED)
        if not leader.may_record:
            leader.save_button.setEnabled(False)
    if index == PAGE_ROSTER:
        roster = window.roster_page
        roster.may_manage = may(window, Permission.ROSTER)
        roster._update_actions()


def apply_case_actions(window_or_none: MainWindow | None, buttons: list[QWidget], role: str | None) -> None:
    """The case detail's step buttons: enabled only for steps the user's role allows."""
    allowed = permissions_of(role) if role else frozenset()
    for b in buttons:
        text = b.accessibleName()
        needed = ACTION_PERMISSIONS.get(text)
        _enable(b, needed is None or needed in allowed)


class AccountMenu:
    """The 账户 menu's actions, the dialogs it has open and the lock after inactivity, for one window (which holds
    it as ``window.account``)."""

    def __init__(self, window: MainWindow) -> None:
        self.switch_action = window._action("切换用户…", None, lambda: change_user(window), "switch_user")
        self.sign_out_action = window._action("注销", None, lambda: change_user(window, sign_out=True), "sign_out")
        self.password_action = window._action("修改密码…", None, lambda: open_change_password(window), "password")
        self.lock_action = window._action("锁定屏幕", "Ctrl+L", lambda: lock_window(window), "lock")
        self.audit_action = window._action("审计日志…", None, lambda: open_audit_viewer(window), "audit")
        self.draft_question: QMessageBox | None = None
        """The 保留 / 放弃 / 取消 question about an unsaved registration, while it is open."""
        self.lock_dialog: QWidget | None = None
        """The sign-in over the hidden window (锁定屏幕, 切换用户, 注销), while it is open."""
        self.password_dialog: QWidget | None = None
        self.audit_viewer: QWidget | None = None
        self.inactivity_lock: InactivityLock | None = None
        self._window = window

    def arm_inactivity_lock(self, minutes: int) -> None:
        """Lock the window after ``minutes`` without input (0: never); armed once someone has signed in."""
        if self.inactivity_lock is None:
            self.inactivity_lock = InactivityLock(self._window, minutes)
        else:
            self.inactivity_lock.set_minutes(minutes)

    def set_lock_minutes(self, minutes: int) -> None:
        """The settings changed the lock's delay (nothing happens before the lock is armed)."""
        if self.inactivity_lock is not None:
            self.inactivity_lock.set_minutes(minutes)


def install_account_actions(window: MainWindow) -> AccountMenu:
    """The 账户 menu: 切换用户, 注销, 修改密码, 锁定屏幕, 审计日志 (supervisors and administrators)."""
    menu = window.menuBar().addMenu("账户")
    account = AccountMenu(window)
    menu.addActions([account.switch_action, account.sign_out_action])
    menu.addSeparator()
    menu.addActions([account.password_action, account.lock_action, account.audit_action])
    return account


# -- another user at the desk -----------------------------------------------------------------------------------------

KEEP, DISCARD, CANCEL = "保留", "放弃", "取消"


def has_unsaved_intake(window: MainWindow) -> bool:
    page = window.intake_page
    return page.result is None and page.form.is_dirty()


def ask_about_draft(window: MainWindow, then: Callable[[], None], *, can_cancel: bool = True) -> None:
    """An unsaved registration on the intake form: ask 保留 (the form stays as typed, for whoever registers next),
    放弃 (cleared) or 取消 (nothing happens); then ``then()`` unless cancelled. A saved one is simply cleared."""
    page = window.intake_page
    if not has_unsaved_intake(window):
        if page.result is not None:
            page.new_form()  # saved: the next user starts on an empty form
        then()
        return
    box = QMessageBox(QMessageBox.Icon.Question, "未保存的登记",
                      "来访登记表中有尚未保存的内容。\n"
                      "保留：表中内容留在登记表中，可继续登记后保存；\n放弃：清空登记表"
                      + ("；\n取消：不切换用户。" if can_cancel else "。"), parent=window)
    box.setObjectName("draftQuestion")
    buttons: dict[str, QPushButton] = {}
    for text, role in ((KEEP, QMessageBox.ButtonRole.AcceptRole), (DISCARD, QMessageBox.ButtonRole.DestructiveRole),
                       (CANCEL, QMessageBox.ButtonRole.RejectRole)):
        if text == CANCEL and not can_cancel:
            continue
        b = box.addButton(text, role)
        b.setAccessibleName(text)
        buttons[text] = b
    box.setDefaultButton(buttons[KEEP])
    if can_cancel:
        box.setEscapeButton(buttons[CANCEL])

    def answered(clicked: object) -> None:
        window.account.draft_question = None
        if clicked is buttons[DISCARD]:
            page.new_form()
            then()
        elif clicked is buttons[KEEP]:
            then()

    box.buttonClicked.connect(answered)
    window.account.draft_question = box
    box.open()


def change_user(window: MainWindow, *, sign_out: bool = False) -> None:
    """账户 → 切换用户 / 注销: settle the intake form first, then hide the window behind a sign-in for any account.
    切换用户 can be cancelled (the user stays signed in); after 注销 nobody is signed in until someone signs in."""
    if window.reference.user is None or window.account.lock_dialog is not None:
        return
    ask_about_draft(window, lambda: _sign_in_again(window, sign_out=sign_out))


def _sign_in_again(window: MainWindow, *, sign_out: bool) -> None:
    from reception.security.accounts import sign_out as record_sign_out
    from ui.security.login import LoginDialog

    previous = window.reference.user
    central = window.centralWidget()
    if central is not None:
        central.hide()
    if sign_out and previous is not None:
        window.tasks.run_write(lambda: record_sign_out(window.ctx, previous.id, desk_id=window.reference.desk_id
                                                       or None), owner=window, what="sign_out")
        window.set_reference(replace(window.reference, user=None))
    dialog = LoginDialog(window.ctx, window.tasks, desk_id=window.reference.desk_id or None, parent=window,
                         mode="signed_out" if sign_out else "switch")
    window.account.lock_dialog = dialog

    def signed_in() -> None:
        window.account.lock_dialog = None
        user = dialog.user
        if user is not None and (sign_out or previous is None or user.user_id != previous.id):
            if previous is not None and not sign_out and user.user_id != previous.id:
                window.tasks.run_write(lambda: record_sign_out(window.ctx, previous.id, desk_id=window.reference.desk_id
                                                               or None, detail="switch"),
                                       owner=window, what="sign_out")
            window.switch_user(user.user_id)
            _after_sign_in(window, user)
        if central is not None:
            central.show()

    def gave_up() -> None:
        window.account.lock_dialog = None
        if sign_out:  # 退出程序: nobody is signed in, the window closes
            window.confirm_on_close = False
            window.close()
        elif central is not None:
            central.show()  # 取消: the previous user carries on

    dialog.accepted.connect(signed_in)
    dialog.rejected.connect(gave_up)
    dialog.open()


def _after_sign_in(window: MainWindow, user: object) -> None:
    """A reset password must be changed before work starts (as at start-up)."""
    from reception.security.accounts import SignedIn
    from ui.security.login import ChangePasswordDialog

    if isinstance(user, SignedIn) and user.must_change_password:
        dialog = ChangePasswordDialog(window.ctx, window.tasks, user.user_id, required=True, parent=window)
        window.account.password_dialog = dialog
        dialog.open()


def open_change_password(window: MainWindow) -> None:
    from ui.security.login import ChangePasswordDialog

    user = window.reference.user
    if user is None:
        return
    dialog = ChangePasswordDialog(window.ctx, window.tasks, user.id, parent=window)
    dialog.accepted.connect(lambda: window.statusBar().showMessage("密码已修改", 5000))
    window.account.password_dialog = dialog
    dialog.open()


def open_audit_viewer(window: MainWindow) -> None:
    from ui.security.audit_viewer import AuditViewer

    viewer = AuditViewer(window.ctx, window.tasks, window.reference.user_id or None, parent=window)
    window.account.audit_viewer = viewer
    viewer.show()
    viewer.refresh()


def lock_window(window: MainWindow) -> None:
    """Hide everything and ask for a password again (the lock screen): the signed-in user's name is filled in; another
    account may sign in instead, and then the window is theirs (an unsaved registration: 保留 or 放弃)."""
    from reception.security.accounts import sign_out as record_sign_out
    from ui.security.login import LoginDialog

    user = window.reference.user
    if user is None or window.account.lock_dialog is not None:
        return
    central = window.centralWidget()
    if central is not None:
        central.hide()
    from reception.security.accounts import forget_signer

    forget_signer(window.ctx)  # (an administrator's signing key is dropped while the screen is locked)
    dialog = LoginDialog(window.ctx, window.tasks, username=user.username, desk_id=window.reference.desk_id or None,
                         parent=window)
    window.account.lock_dialog = dialog

    def show_again() -> None:
        if central is not None:
            central.show()

    def unlocked() -> None:
        window.account.lock_dialog = None
        other = dialog.user
        if other is None or other.user_id == user.id:
            show_again()
            return
        window.tasks.run_write(lambda: record_sign_out(window.ctx, user.id, desk_id=window.reference.desk_id or None,
                                                       detail="switch"), owner=window, what="sign_out")
        window.switch_user(other.user_id)
        _after_sign_in(window, other)
        if has_unsaved_intake(window) and may(window, Permission.REGISTER):
            show_again()
            ask_about_draft(window, lambda: None, can_cancel=False)
        else:
            show_again()

    dialog.accepted.connect(unlocked)
    dialog.open()


class InactivityLock(QObject):
    """Locks the window after ``minutes`` without keyboard or mouse input anywhere in the application."""

    INPUT_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                              QEvent.Type.Wheel})

    def __init__(self, window: MainWindow, minutes: int) -> None:
        super().__init__(window)
        self.window = window
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: lock_window(window))
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        if minutes > 0:
            self.timer.setInterval(minutes * 60_000)
            self.timer.start()
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if self.minutes > 0 and event.type() in self.INPUT_EVENTS and self.window.account.lock_dialog is None:
            self.timer.start()
        return False
