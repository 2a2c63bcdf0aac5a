"""管理 → 工位与账户: this desk (centre name on the receipts, desk name and code; the server's on an enrolled desk)
and the staff accounts: 新增账户, 编辑 (name, role, unit), 重置密码 (the user changes it at the next sign-in), 解锁,
停用 / 启用 (an account cases name is never deleted). The rules are ``reception.security.accounts``'."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.db.base import to_local
from reception.domain.enums import Role
from reception.domain.errors import FieldError
from reception.security.accounts import (
    F_DISPLAY_NAME,
    F_NEW_PASSWORD,
    F_PASSWORD,
    F_ROLE,
    F_UNIT,
    F_USERNAME,
    AccountInfo,
    add_user,
    list_accounts,
    reset_password,
    set_account_active,
    unlock,
    update_account,
)
from reception.setup import F_CENTRE, F_CONFIRM, F_DESK_CODE, F_DESK_NAME, configure_desk, desk_setup
from ui.admin.forms import CENTRE_LABEL, CONFIRM_LABEL, DESK_CODE_LABEL, DESK_NAME_LABEL, FieldForm
from ui.tasks import TaskManager, disable
from ui.widgets import Banner, button, confirm_row

HEADERS = ("用户名", "姓名", "角色", "所属单位", "状态")


def _state(a: AccountInfo, now: object) -> str:
    if not a.active:
        return "停用"
    if a.locked_until is not None and now is not None and a.locked_until > now:  # type: ignore[operator]
        return f"锁定至 {to_local(a.locked_until):%H:%M}"
    if not a.has_password:
        return "未设密码"
    return "正常（须改密码）" if a.must_change_password else "正常"


class AccountDialog(QDialog):
    """新增账户 (with an initial password the user must change) or 编辑 one (name, role, unit)."""

    saved = Signal()

    def __init__(self, admin: AccountsAdmin, account: AccountInfo | None) -> None:
        super().__init__(admin)
        self.admin = admin
        self.account = account
        self.setObjectName("accountDialog")
        self.setWindowTitle("编辑账户" if account else "新增账户")
        layout = QVBoxLayout(self)
        self.form = FieldForm()
        self.username_edit = self.form.add(F_USERNAME, "用户名", QLineEdit(account.username if account else ""))
        self.username_edit.setReadOnly(account is not None)
        self.name_edit = self.form.add(F_DISPLAY_NAME, "姓名", QLineEdit(account.display_name if account else ""))
        self.role_combo = self.form.add(F_ROLE, "角色", QComboBox())
        for role in Role:
            self.role_combo.addItem(role.label, role.value)
        self.role_combo.setCurrentIndex(self.role_combo.findData(account.role if account else Role.DESK_OFFICER.value))
        self.unit_combo = self.form.add(F_UNIT, "单位", QComboBox())
        self.unit_combo.addItem("（中心工作人员）", "")
        for code, name in admin.units:
            self.unit_combo.addItem(f"{code} {name}", code)
        if account is not None and account.unit:
            self.unit_combo.setCurrentIndex(max(0, self.unit_combo.findText(account.unit, Qt.MatchFlag.MatchEndsWith)))
        self.password_edit = QLineEdit()
        self.confirm_edit = QLineEdit()
        if account is None:
            self.form.add(F_PASSWORD, "初始密码", self.password_edit)
            self.form.add(F_CONFIRM, CONFIRM_LABEL, self.confirm_edit)
            for edit in (self.password_edit, self.confirm_edit):
                edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.add_general()
        layout.addLayout(self.form)
        self.ok_button, _cancel = confirm_row(layout, "保存", self.submit, self.reject)

    def submit(self) -> None:
        self.form.clear_errors()
        ctx, actor = self.admin.ctx, self.admin.actor_id
        username, name = self.username_edit.text().strip(), self.name_edit.text()
        role, unit = str(self.role_combo.currentData()), str(self.unit_combo.currentData() or "") or None
        password, confirm = self.password_edit.text(), self.confirm_edit.text()
        if self.account is None and password != confirm:
            self.form.show_error(FieldError(F_CONFIRM, "两次输入的密码不一致"))
            return

        def run() -> None:
            if self.account is None:
                add_user(ctx, username, name, role, password=password, unit_code=unit, actor_id=actor)
            else:
                update_account(ctx, username, display_name=name, role=role, unit_code=unit, actor_id=actor)

        self.admin.tasks.op(run, lambda _r: self._done(), what="account_save", write=True, owner=self,
                            on_error=self.form.show_error,
                            busy=disable(self.ok_button))

    def _done(self) -> None:
        self.saved.emit()
        self.accept()


class ResetPasswordDialog(QDialog):
    saved = Signal()

    def __init__(self, admin: AccountsAdmin, username: str) -> None:
        super().__init__(admin)
        self.admin = admin
        self.username = username
        self.setObjectName("resetPasswordDialog")
        self.setWindowTitle(f"重置密码：{username}")
        layout = QVBoxLayout(self)
        self.form = FieldForm()
        self.password_edit = self.form.add(F_NEW_PASSWORD, "新密码", QLineEdit())
        self.confirm_edit = self.form.add(F_CONFIRM, CONFIRM_LABEL, QLineEdit())
        for edit in (self.password_edit, self.confirm_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.add_general()
        layout.addLayout(self.form)
        self.ok_button, _cancel = confirm_row(layout, "重置", self.submit, self.reject)

    def submit(self) -> None:
        self.form.clear_errors()
        password, confirm = self.password_edit.text(), self.confirm_edit.text()
        if password != confirm:
            self.form.show_error(FieldError(F_CONFIRM, "两次输入的密码不一致"))
            return
        ctx, actor, username = self.admin.ctx, self.admin.actor_id, self.username
        self.admin.tasks.op(lambda: reset_password(ctx, username, password, actor_id=actor), lambda _r: self._done(),
                            what="password_reset", write=True, owner=self, on_error=self.form.show_error,
                            busy=disable(self.ok_button))

    def _done(self) -> None:
        self.saved.emit()
        self.accept()


class AccountsAdmin(QDialog):
    """The 工位与账户 window (non-modal); ``deskChanged`` after this desk's names were saved."""

    deskChanged = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None, units: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.actor_id = actor_id
        self.units = units
        self.accounts: list[AccountInfo] = []
        self.dialog: QDialog | None = None
        self.setObjectName("accountsAdmin")
        self.setWindowTitle("工位与账户")
        self.resize(860, 600)
        layout = QVBoxLayout(self)
        self.banner = Banner("info")
        layout.addWidget(self.banner)
        desk_box = QGroupBox("本工位")
        desk_layout = QVBoxLayout(desk_box)
        self.desk_form = FieldForm()
        current = desk_setup(ctx)
        self.centre_edit = self.desk_form.add(F_CENTRE, CENTRE_LABEL, QLineEdit(current.centre_name))
        self.desk_name_edit = self.desk_form.add(F_DESK_NAME, DESK_NAME_LABEL, QLineEdit(current.desk_name))
        self.desk_code_edit = self.desk_form.add(F_DESK_CODE, DESK_CODE_LABEL, QLineEdit(current.desk_code))
        self.desk_form.add_general()
        desk_layout.addLayout(self.desk_form)
        self.desk_button = button("保存工位设置")
        desk_layout.addWidget(self.desk_button, 0, Qt.AlignmentFlag.AlignRight)
        if current.enrolled:
            for edit in (self.centre_edit, self.desk_name_edit, self.desk_code_edit):
                edit.setReadOnly(True)
            self.desk_button.setEnabled(False)
            self.desk_button.setToolTip("本工位已登记到中心服务器，工位名称和代码由服务器管理")
        layout.addWidget(desk_box)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("账户列表")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = button("新增账户…")
        self.edit_button = button("编辑…")
        self.reset_button = button("重置密码…")
        self.unlock_button = button("解锁")
        self.retire_button = button("停用")
        self.restore_button = button("启用")
        self.close_button = button("关闭")
        for b in (self.add_button, self.edit_button, self.reset_button, self.unlock_button, self.retire_button,
                  self.restore_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.desk_button.clicked.connect(self.save_desk)
        self.add_button.clicked.connect(lambda: self._open(AccountDialog(self, None)))
        self.edit_button.clicked.connect(self.edit)
        self.reset_button.clicked.connect(self.reset)
        self.unlock_button.clicked.connect(lambda: self._act(unlock, "已解锁"))
        self.retire_button.clicked.connect(lambda: self._act(
            lambda ctx, u, actor_id: set_account_active(ctx, u, False, actor_id=actor_id), "已停用"))
        self.restore_button.clicked.connect(lambda: self._act(
            lambda ctx, u, actor_id: set_account_active(ctx, u, True, actor_id=actor_id), "已启用"))
        self.close_button.clicked.connect(self.close)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.refresh()

    def refresh(self) -> None:
        ctx, actor = self.ctx, self.actor_id

        def done(accounts: list[AccountInfo]) -> None:
            chosen = self.selected()
            self.accounts = accounts
            now = ctx.now()
            self.table.setRowCount(len(accounts))
            for r, a in enumerate(accounts):
                for c, text in enumerate((a.username, a.display_name, a.role_label, a.unit, _state(a, now))):
                    item = QTableWidgetItem(text)
                    if not a.active:
                        item.setForeground(Qt.GlobalColor.gray)
                    self.table.setItem(r, c, item)
            self.table.resizeColumnsToContents()
            if chosen is not None:
                self.select(chosen.username)
            self._selection_changed()

        self.tasks.op(lambda: list_accounts(ctx, actor_id=actor), done, what="accounts", owner=self,
                      message=self.banner.show_error)

    def select(self, username: str) -> None:
        for r, a in enumerate(self.accounts):
            if a.username == username:
                self.table.selectRow(r)
                return
        raise LookupError(username)

    def selected(self) -> AccountInfo | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.accounts[min(rows)] if rows and min(rows) < len(self.accounts) else None

    def state_of(self, username: str) -> str:
        for r, a in enumerate(self.accounts):
            if a.username == username:
                return self.table.item(r, 4).text()  # type: ignore[union-attr]
        raise LookupError(username)

    def _selection_changed(self) -> None:
        a = self.selected()
        for b in (self.edit_button, self.reset_button, self.unlock_button):
            b.setEnabled(a is not None)
        self.retire_button.setEnabled(a is not None and a.active)
        self.restore_button.setEnabled(a is not None and not a.active)

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)  # type: ignore[attr-defined]
        self.dialog = dialog
        dialog.open()
        return dialog

    def _saved(self) -> None:
        self.banner.show_message("已保存", "success")
        self.refresh()

    def edit(self) -> QDialog | None:
        a = self.selected()
        return self._open(AccountDialog(self, a)) if a is not None else None

    def reset(self) -> QDialog | None:
        a = self.selected()
        return self._open(ResetPasswordDialog(self, a.username)) if a is not None else None

    def _act(self, fn: object, message: str) -> None:
        a = self.selected()
        if a is None:
            return
        ctx, actor, username = self.ctx, self.actor_id, a.username

        def done(_r: object) -> None:
            self.banner.show_message(f"{message}：{username}", "success")
            self.refresh()

        self.tasks.op(lambda: fn(ctx, username, actor_id=actor), done,  # type: ignore[operator]
                      what="account_action", write=True, owner=self, message=self.banner.show_error)

    def save_desk(self) -> None:
        self.desk_form.clear_errors()
        ctx, actor = self.ctx, self.actor_id
        centre, name, code = self.centre_edit.text(), self.desk_name_edit.text(), self.desk_code_edit.text()

        def done(_r: object) -> None:
            self.banner.show_message("工位设置已保存：回执上的登记单位为“" + centre.strip() + "”", "success")
            self.deskChanged.emit()

        self.tasks.op(lambda: configure_desk(ctx, centre_name=centre, desk_name=name, desk_code=code, actor_id=actor),
                      done, what="desk_save", write=True, owner=self, on_error=self.desk_form.show_error)
