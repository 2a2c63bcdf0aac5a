"""Who is signed in at the window: the 账户 menu, buttons greyed out by role, the lock after inactivity.

Greying out is a courtesy: the core services refuse anyway (``reception.security.permissions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from reception.security.permissions import Permission, permissions_of

if TYPE_CHECKING:
    from ui.main_window import MainWindow

ACTION_PERMISSIONS: dict[str, Permission] = {
    "转送交办": Permission.ROUTE,
    "签收": Permission.HANDLE,
    "异议退回": Permission.HANDLE,
    "受理": Permission.HANDLE,
    "不予受理": Permission.HANDLE,
    "开始办理": Permission.HANDLE,
    "延期": Permission.HANDLE,
    "出具处理意见": Permission.HANDLE,
    "出具复查意见": Permission.HANDLE,
    "出具复核意见": Permission.HANDLE,
    "听证开始": Permission.HANDLE,
    "听证结束": Permission.HANDLE,
    "评价": Permission.EVALUATE,
    "请求复查": Permission.EVALUATE,
    "请求复核": Permission.EVALUATE,
    "销号": Permission.CLOSE,
    "督办": Permission.SUPERVISE,
    "督办反馈": Permission.ANSWER_SUPERVISION,
}
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


def apply_permissions(window: MainWindow) -> None:
    """Enable what the signed-in user may do, disable the rest (with a tooltip saying why)."""
    register = may(window, Permission.REGISTER)
    _enable(window.intake_page, register)
    for action in (window.new_action, window.save_action, window.save_print_action):
        action.setEnabled(register)
    leader = window.leader_page
    leader.may_record = may(window, Permission.LEADER_REPLY)
    leader.save_button.setToolTip("" if leader.may_record else NOT_ALLOWED)
    if not leader.may_record:
        leader.save_button.setEnabled(False)
    roster = window.roster_page
    roster.may_manage = may(window, Permission.ROSTER)
    roster._update_actions()
    audit_action = getattr(window, "audit_action", None)
    if audit_action is not None:
        audit_action.setEnabled(may(window, Permission.VIEW_AUDIT))
    from ui.admin.calendar_menu import update_calendar_admin

    update_calendar_admin(window)


def apply_case_actions(window_or_none: MainWindow | None, buttons: list[QWidget], role: str | None) -> None:
    """The case detail's step buttons: enabled only for steps the user's role allows."""
    allowed = permissions_of(role) if role else frozenset()
    for b in buttons:
        text = b.accessibleName()
        needed = ACTION_PERMISSIONS.get(text)
        _enable(b, needed is None or needed in allowed)


def install_account_actions(window: MainWindow) -> None:
    """The 账户 menu: 修改密码, 锁定屏幕, 审计日志 (supervisors and administrators)."""
    menu = window.menuBar().addMenu("账户")
    window.password_action = window._action("修改密码…", None, lambda: open_change_password(window))
    window.lock_action = window._action("锁定屏幕", "Ctrl+L", lambda: lock_window(window))
    window.audit_action = window._action("审计日志…", None, lambda: open_audit_viewer(window))
    menu.addActions([window.password_action, window.lock_action, window.audit_action])


def open_change_password(window: MainWindow) -> None:
    from ui.security.login import ChangePasswordDialog

    user = window.reference.user
    if user is None:
        return
    dialog = ChangePasswordDialog(window.ctx, window.tasks, user.id, parent=window)
    dialog.accepted.connect(lambda: window.statusBar().showMessage("密码已修改", 5000))
    window.password_dialog = dialog
    dialog.open()


def open_audit_viewer(window: MainWindow) -> None:
    from ui.security.audit_viewer import AuditViewer

    viewer = AuditViewer(window.ctx, window.tasks, window.reference.user_id or None, parent=window)
    window.audit_viewer = viewer
    viewer.show()
    viewer.refresh()


def lock_window(window: MainWindow) -> None:
    """Hide everything and ask the signed-in user's password again (the lock screen)."""
    from ui.security.login import LoginDialog

    user = window.reference.user
    if user is None or getattr(window, "lock_dialog", None) is not None:
        return
    central = window.centralWidget()
    if central is not None:
        central.hide()
    dialog = LoginDialog(window.ctx, window.tasks, username=user.username, desk_id=window.reference.desk_id or None,
                         parent=window)
    window.lock_dialog = dialog

    def unlocked() -> None:
        window.lock_dialog = None
        if central is not None:
            central.show()

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
        if self.minutes > 0 and event.type() in self.INPUT_EVENTS and getattr(self.window, "lock_dialog", None) is None:
            self.timer.start()
        return False
