"""登录 / 锁定: the sign-in dialog at start-up and the lock screen after inactivity; 修改密码.

The password check (Argon2, about 50 ms) runs on the task manager's writer thread: a failed attempt is counted and
committed there. The message under the password says what happened in Chinese (wrong password with the attempts
left, locked with the minutes remaining); what was typed in the user name stays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from reception import APP_TITLE
from reception.domain.errors import FieldError
from ui.tasks import TaskManager, disable, error_message
from ui.widgets import ErrorLabel, button, field_label

if TYPE_CHECKING:
    from reception.context import AppContext
    from reception.security.accounts import SignedIn

# (reception.security.accounts, and with it SQLAlchemy and the models, is imported where it is used: the login
# dialog at start-up is shown before the data directory is opened, see ui.security.app_login)

AGAIN = "new_password_again"
"""The 再次输入新密码 field (checked here, before the core is asked)."""


def demo_hint() -> str:
    from reception.security import DEMO_PASSWORD

    return ("演示账户：liuxy（接待窗口）、leader（值班领导）、supervisor（督查）、admin（管理员）、"
            f"unit_cy（翠园街道），密码均为 {DEMO_PASSWORD}")


MODES = {
    # mode: (window title, heading, button, second button or "", Escape closes it)
    "login": (f"{APP_TITLE} — 登录", "请登录", "登录", "退出", True),
    "lock": ("屏幕已锁定", "屏幕已锁定，请输入密码解锁（其他人员可用自己的账户登录）", "解锁", "", False),
    "switch": ("切换用户", "请新用户登录", "登录", "取消", True),
    "signed_out": ("已注销", "已注销，请登录", "登录", "退出程序", False),
}


class LoginDialog(QDialog):
    """Sign in: at start-up (``login``), at the lock screen (``lock``: the signed-in user's name filled in, another
    account may sign in instead), to switch user (``switch``) or after signing out (``signed_out``). ``username``
    alone means the lock screen."""

    signedIn = Signal(object)
    """The ``SignedIn`` user."""

    def __init__(self, ctx: AppContext | None, tasks: TaskManager, *, username: str | None = None,
                 demo: bool = False, desk_id: str | None = None, parent: QWidget | None = None,
                 mode: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        """None until the data directory is open (the dialog at start-up: ``prepare`` opens it)."""
        self.prepare: Callable[[], None] | None = None
        """Called before a sign-in when ``ctx`` is still None; it sets ``ctx`` (and ``desk_id``)."""
        self.tasks = tasks
        self.desk_id = desk_id
        self.mode = mode or ("lock" if username else "login")
        window_title, heading, ok_text, other_text, escapable = MODES[self.mode]
        self.escapable = escapable
        self.locked_for = username if self.mode == "lock" else None
        self.user: SignedIn | None = None
        self.setObjectName("loginDialog")
        self.setWindowTitle(window_title)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        title = QLabel(heading)
        title.setWordWrap(True)
        title.setStyleSheet("font-size: 18px; font-weight: bold;")
        layout.addWidget(title)
        form = QFormLayout()
        self.username_edit = QLineEdit(username or "")
        form.addRow(field_label("用户名", self.username_edit), self.username_edit)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(field_label("密码", self.password_edit), self.password_edit)
        layout.addLayout(form)
        self.error = ErrorLabel(self)
        self.error.setObjectName("loginError")
        layout.addWidget(self.error)
        if demo:
            hint = QLabel(demo_hint())
            hint.setObjectName("demoHint")
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #607d8b;")
            layout.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        self.ok_button = button(ok_text, default=True)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        row.addWidget(self.ok_button)
        if other_text:
            self.cancel_button = button(other_text)
            self.cancel_button.clicked.connect(self.reject)
            row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.password_edit.returnPressed.connect(self.submit)
        (self.password_edit if username else self.username_edit).setFocus()

    def submit(self) -> None:
        username, password = self.username_edit.text().strip(), self.password_edit.text()
        if not username:
            self.error.show_message("请输入用户名")
            self.username_edit.setFocus()
            return
        if not password:
            self.error.show_message("请输入密码")
            self.password_edit.setFocus()
            return
        if self.ctx is None and self.prepare is not None:
            self.prepare()  # (the start-up dialog's data directory, when 登录 comes before it was opened)
        ctx, desk = self.ctx, self.desk_id
        if ctx is None:  # (the opening failed: prepare said why and closed the dialog)
            return
        from reception.security.accounts import authenticate

        self.tasks.op(lambda: authenticate(ctx, username, password, desk_id=desk), self._done, what="sign_in",
                      write=True, owner=self, on_error=self._failed, busy=disable(self.ok_button))

    def _done(self, user: SignedIn) -> None:
        self.password_edit.clear()
        self.user = user
        self.error.clear_message()
        self.signedIn.emit(user)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.password_edit.clear()
        self.password_edit.setFocus()
        self.error.show_message(error_message(exc))

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        from PySide6.QtGui import QKeyEvent

        # the lock screen (and the one after signing out) cannot be dismissed with Escape
        if not self.escapable and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]


class ChangePasswordDialog(QDialog):
    """修改密码 (required after an administrator's reset)."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, user_id: str, *, required: bool = False,
                 parent: QWidget | None = None) -> None:
        from reception.security.accounts import F_NEW_PASSWORD, F_OLD_PASSWORD

        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.user_id = user_id
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle("修改密码")
        layout = QVBoxLayout(self)
        if required:
            note = QLabel("管理员已重置您的密码，请设置新密码后继续。")
            note.setWordWrap(True)
            layout.addWidget(note)
        form = QFormLayout()
        self.old_edit, self.new_edit, self.again_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.errors: dict[str, ErrorLabel] = {}
        for key, text, edit in ((F_OLD_PASSWORD, "原密码", self.old_edit), (F_NEW_PASSWORD, "新密码", self.new_edit),
                                (AGAIN, "再次输入新密码", self.again_edit)):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.addWidget(edit)
            self.errors[key] = ErrorLabel(cell)
            cell_layout.addWidget(self.errors[key])
            form.addRow(field_label(text, edit), cell)
        layout.addLayout(form)
        hint = QLabel("至少8位，须同时包含字母和数字，不能包含用户名。")
        hint.setStyleSheet("color: #607d8b;")
        layout.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        self.ok_button = button("确定", default=True)
        self.ok_button.clicked.connect(self.submit)
        row.addWidget(self.ok_button)
        if not required:
            cancel = button("取消")
            cancel.clicked.connect(self.reject)
            row.addWidget(cancel)
        layout.addLayout(row)

    def submit(self) -> None:
        for label in self.errors.values():
            label.clear_message()
        old, new, again = self.old_edit.text(), self.new_edit.text(), self.again_edit.text()
        if new != again:
            self.errors[AGAIN].show_message("两次输入的新密码不一致")
            return
        from reception.security.accounts import change_password

        ctx, user_id = self.ctx, self.user_id
        self.tasks.op(lambda: change_password(ctx, user_id, old, new), lambda _r: self.accept(),
                      what="change_password", write=True, owner=self, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        from reception.security.accounts import F_NEW_PASSWORD

        if isinstance(exc, FieldError) and exc.field in self.errors:
            self.errors[exc.field].show_message(exc.message)
        else:
            self.errors[F_NEW_PASSWORD].show_message(error_message(exc))
