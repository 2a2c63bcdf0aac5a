"""The desk app's start: sign in before the main window opens; afterwards the forced password change and the lock
after inactivity. ``ui.app.create_main_window(data_dir, user=…)`` skips all of this for tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reception.bootstrap import open_data_dir
from reception.db.settings import load_desk_settings
from reception.security.accounts import SignedIn, any_password_set, lock_minutes

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def sign_in_at_start(data_dir: Path, *, demo: bool = False, username: str | None = None,
                     exit_when_shown: bool = False) -> SignedIn | None:
    """Show the login dialog; the signed-in user, or None when the user chose 退出."""
    from PySide6.QtCore import QTimer

    from ui.security.login import LoginDialog
    from ui.tasks import TaskManager

    ctx = open_data_dir(data_dir)
    tasks = TaskManager()
    try:
        with ctx.db.read() as session:
            desk_id = load_desk_settings(session).desk_id or None
        dialog = LoginDialog(ctx, tasks, demo=demo, desk_id=desk_id)
        if not any_password_set(ctx):
            dialog.error.show_message("本机尚未设置任何账户密码。请系统管理员在命令行运行"
                                      "“reception user add 用户名 姓名 --role admin”或“reception user passwd 用户名”。")
        if username:
            dialog.username_edit.setText(username)
            dialog.password_edit.setFocus()
        if exit_when_shown:  # bench/bench_startup.py: the login dialog is the first frame
            def _shown() -> None:
                print("window shown", flush=True)
                dialog.reject()

            QTimer.singleShot(0, _shown)
        accepted = dialog.exec() == LoginDialog.DialogCode.Accepted
        return dialog.user if accepted else None
    finally:
        tasks.shutdown(wait=True)
        ctx.close()


def after_sign_in(window: MainWindow, signed: SignedIn) -> None:
    """A reset password must be changed before work starts; then the inactivity lock is armed."""
    from ui.security.login import ChangePasswordDialog

    if signed.must_change_password:
        dialog = ChangePasswordDialog(window.ctx, window.tasks, signed.user_id, required=True, parent=window)
        if dialog.exec() != ChangePasswordDialog.DialogCode.Accepted:
            window.confirm_on_close = False
            window.close()
            sys.exit(0)
    window.account.arm_inactivity_lock(lock_minutes(window.ctx))
