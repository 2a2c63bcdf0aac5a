"""The main window's 管理 menu: 基础数据… and 工位与账户… (administrators), 台账导入… (administrators and supervisors);
the core refuses anyone else anyway."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reception.security.permissions import Permission, permissions_of

if TYPE_CHECKING:
    from ui.admin.accounts import AccountsAdmin
    from ui.admin.reference import ReferenceAdmin
    from ui.ledger.wizard import LedgerImportDialog
    from ui.main_window import MainWindow

LEDGER_ROLES = frozenset({"admin", "supervisor"})


def install_admin_menu(window: MainWindow) -> None:
    window.admin_menu = window.menuBar().addMenu("管理")
    window.reference_action = window._action("基础数据…", None, lambda: open_reference_admin(window))
    window.accounts_action = window._action("工位与账户…", None, lambda: open_accounts_admin(window))
    window.admin_menu.addActions([window.reference_action, window.accounts_action])
    window.ledger_action = window._action("台账导入…", None, lambda: open_ledger_import(window))
    window.admin_menu.addAction(window.ledger_action)


def apply_admin_permissions(window: MainWindow) -> None:
    user = window.reference.user
    allowed = user is not None and Permission.ADMIN in permissions_of(user.role)
    for action in (getattr(window, "reference_action", None), getattr(window, "accounts_action", None)):
        if action is not None:  # (hidden from other roles, as the calendar's entries: ui.admin.calendar_menu)
            action.setEnabled(allowed)
            action.setVisible(allowed)
    ledger = getattr(window, "ledger_action", None)
    if ledger is not None:
        may_import = user is not None and user.role in LEDGER_ROLES
        ledger.setEnabled(may_import)
        ledger.setVisible(may_import)


def open_reference_admin(window: MainWindow) -> ReferenceAdmin:
    from ui.admin.reference import ReferenceAdmin

    dialog = ReferenceAdmin(window.ctx, window.tasks, window.reference.user_id or None, parent=window)
    dialog.changed.connect(lambda: window.reload_reference(only_if_changed=True))
    window.reference_admin = dialog
    dialog.show()
    return dialog


def open_accounts_admin(window: MainWindow) -> AccountsAdmin:
    from ui.admin.accounts import AccountsAdmin

    units = [(u.code, u.name) for u in window.reference.units]
    dialog = AccountsAdmin(window.ctx, window.tasks, window.reference.user_id or None, units, parent=window)
    dialog.deskChanged.connect(window.reload_reference)
    window.accounts_admin = dialog
    dialog.show()
    return dialog


def open_ledger_import(window: MainWindow) -> LedgerImportDialog:
    from ui.ledger.wizard import LedgerImportDialog

    user = window.reference.user
    dialog = LedgerImportDialog(window.ctx, window.tasks, window.reference.user_id or None,
                                user.role if user is not None else "", parent=window)
    window.ledger_dialog = dialog
    dialog.show()
    return dialog
