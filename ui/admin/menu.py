"""The main window's 管理 menu: 基础数据… and 工位与账户… (administrators), 台账导入… and 合并信访人… (administrators
and supervisors), 合并记录… with 撤销合并 (administrators); the core refuses anyone else anyway."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from reception.security.permissions import Permission, permissions_of

if TYPE_CHECKING:
    from ui.admin.accounts import AccountsAdmin
    from ui.admin.reference import ReferenceAdmin
    from ui.ledger.wizard import LedgerImportDialog
    from ui.main_window import MainWindow
    from ui.merge.petitioners import PetitionerMergeDialog
    from ui.merge.records import MergeRecordsDialog

LEDGER_ROLES = frozenset({"admin", "supervisor"})


def install_admin_menu(window: MainWindow) -> None:
    window.admin_menu = window.menuBar().addMenu("管理")
    window.reference_action = window._action("基础数据…", None, lambda: open_reference_admin(window))
    window.accounts_action = window._action("工位与账户…", None, lambda: open_accounts_admin(window))
    window.admin_menu.addActions([window.reference_action, window.accounts_action])
    window.ledger_action = window._action("台账导入…", None, lambda: open_ledger_import(window))
    window.admin_menu.addAction(window.ledger_action)
    window.admin_menu.addSeparator()
    window.merge_people_action = window._action("合并信访人…", None, lambda: open_petitioner_merge(window))
    window.merge_records_action = window._action("合并记录…", None, lambda: open_merge_records(window))
    window.admin_menu.addActions([window.merge_people_action, window.merge_records_action])


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
    may_merge = user is not None and Permission.MERGE in permissions_of(user.role)
    for action, shown in ((getattr(window, "merge_people_action", None), may_merge),
                          (getattr(window, "merge_records_action", None), allowed)):
        if action is not None:
            action.setEnabled(shown)
            action.setVisible(shown)


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


def open_petitioner_merge(window: MainWindow) -> PetitionerMergeDialog:
    """合并信访人…: two records of one person into one; the cases list and the history are read again after."""
    from ui.merge.petitioners import PetitionerMergeDialog

    dialog = PetitionerMergeDialog(window.ctx, window.tasks, window.reference.user_id or None,
                                   window.reference.desk_id or None, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.merged.connect(lambda _r: window.statusBar().showMessage("已合并信访人记录。", 5000))
    window.petitioner_merge_dialog = dialog
    dialog.open()
    return dialog


def open_merge_records(window: MainWindow) -> MergeRecordsDialog:
    from ui.merge.records import MergeRecordsDialog

    user = window.reference.user
    dialog = MergeRecordsDialog(window.ctx, window.tasks, window.reference.user_id or None,
                                window.reference.desk_id or None, user.role if user is not None else None,
                                parent=window)
    window.merge_records_dialog = dialog
    dialog.show()
    return dialog
