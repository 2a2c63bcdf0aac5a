"""The 管理 menu's entries of the calendar work (issue 13): 节假日表, 接访领导名录, 领导请假外出 — administrators only.

``install_calendar_admin(window)`` adds them to the window's 管理 menu (made if no other screen made it yet); each
opens one non-modal dialog (kept on the window so a test can reach it). The core checks the permission again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from reception.security.permissions import Permission, allowed

if TYPE_CHECKING:
    from ui.main_window import MainWindow

MENU_TITLE = "管理"


def admin_menu(window: MainWindow) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text() == MENU_TITLE:
            return menu
    return window.menuBar().addMenu(MENU_TITLE)


def is_admin(window: MainWindow) -> bool:
    user = window.reference.user
    return user is not None and allowed(user.role, Permission.ADMIN)


def install_calendar_admin(window: MainWindow) -> None:
    menu = admin_menu(window)
    actions: list[QAction] = []
    entries = (("节假日表…", open_holidays), ("接访领导名录…", open_leaders), ("领导请假外出…", open_absences))
    for text, opener in entries:
        action = window._action(text, None, lambda _checked=False, f=opener: f(window))
        actions.append(action)
    menu.addActions(actions)
    window.calendar_admin_actions = actions
    update_calendar_admin(window)


def update_calendar_admin(window: MainWindow) -> None:
    """Show the entries to administrators only (at start and whenever another user signs in)."""
    actions: list[QAction] = getattr(window, "calendar_admin_actions", [])
    if not actions:
        return
    admin = is_admin(window)
    for action in actions:
        action.setVisible(admin)
        action.setEnabled(admin)
    menu = admin_menu(window)
    menu.menuAction().setVisible(any(a.isVisible() for a in menu.actions()))


def _by(window: MainWindow) -> str:
    user = window.reference.user
    return user.id if user is not None else ""


def _show(window: MainWindow, dialog: QWidget) -> None:
    window.admin_dialog = dialog
    dialog.show()


def open_holidays(window: MainWindow) -> None:
    from ui.admin.holidays import HolidayAdminDialog

    if not is_admin(window):
        return
    dialog = HolidayAdminDialog(window.ctx, window.tasks, _by(window), parent=window)
    dialog.calendarChanged.connect(window.refresh_deadlines)  # the status bar agrees with the lists at once
    dialog.calendarChanged.connect(window.refresh_duty_leader)
    _show(window, dialog)


def open_leaders(window: MainWindow) -> None:
    from ui.admin.leaders import LeadersAdminDialog

    if not is_admin(window):
        return
    _show(window, LeadersAdminDialog(window.ctx, window.tasks, _by(window), parent=window))


def open_absences(window: MainWindow) -> None:
    from ui.admin.leaders import AbsencesAdminDialog

    if not is_admin(window):
        return
    _show(window, AbsencesAdminDialog(window.ctx, window.tasks, _by(window), parent=window))
