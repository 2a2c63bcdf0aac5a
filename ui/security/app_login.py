"""The desk app's start: sign in before the main window opens; afterwards the forced password change and the lock
after inactivity. ``ui.app.create_main_window(data_dir, user=…)`` skips all of this for tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reception.context import AppContext
    from reception.security.accounts import SignedIn
    from ui.main_window import MainWindow

# (the core, SQLAlchemy and the models are imported once the data directory is opened: after the first paint)

NO_PASSWORD_MESSAGE = ("本机尚未设置任何账户密码。请系统管理员在命令行运行"
                       "“reception user add 用户名 姓名 --role admin”或“reception user passwd 用户名”。")


def sign_in_at_start(data: AppContext | Callable[[], AppContext], *, demo: bool = False,
                     username: str | None = None,
                     exit_when_shown: bool = False) -> tuple[SignedIn | None, AppContext | None]:
    """Show the login dialog; returns the signed-in user (None when the user chose 退出) and the data directory,
    open (None when it was never opened), which stays open for the main window.

    ``data`` is the opened data directory, or how to open it (``open_data_dir``): then the dialog is painted first
    and the directory opened right after, on the GUI thread, before any input reaches the dialog (a 登录 pressed
    sooner opens it first). A failure to open (a wrong data key…) closes the dialog and is raised here.
    ``exit_when_shown``: bench/bench_startup.py prints "window shown" after the first paint, "ready" once the
    directory is open, and leaves."""
    from PySide6.QtCore import QTimer

    from ui.security.login import LoginDialog
    from ui.tasks import TaskManager

    tasks = TaskManager()
    opened: list[AppContext] = []
    failure: list[BaseException] = []

    def attach(ctx: AppContext) -> None:
        from reception.db.settings import load_desk_settings
        from reception.security.accounts import any_password_set

        opened.append(ctx)
        with ctx.db.read() as session:
            dialog.desk_id = load_desk_settings(session).desk_id or None
        dialog.ctx = ctx
        if not any_password_set(ctx):
            dialog.error.show_message(NO_PASSWORD_MESSAGE)

    def open_now() -> None:
        if opened or failure or not callable(data):
            return
        try:
            attach(data())
        except BaseException as exc:  # raised once the dialog's loop has ended
            failure.append(exc)
            dialog.reject()

    def after_first_paint() -> None:
        dialog.repaint()
        if exit_when_shown:
            print("window shown", flush=True)
        open_now()
        if exit_when_shown:
            print("ready", flush=True)
            dialog.reject()
        elif not failure:
            QTimer.singleShot(0, prepare_main_window)

    try:
        dialog = LoginDialog(None, tasks, demo=demo)
        if not callable(data):
            attach(data)
        dialog.prepare = open_now
        if username:
            dialog.username_edit.setText(username)
            dialog.password_edit.setFocus()
        QTimer.singleShot(0, after_first_paint)
        accepted = dialog.exec() == LoginDialog.DialogCode.Accepted
        if failure:
            raise failure[0]
        return (dialog.user if accepted else None), (opened[0] if opened else None)
    except BaseException:
        if opened and callable(data):  # (opened here: closed here)
            opened[0].close()
        raise
    finally:
        tasks.shutdown(wait=True)


def prepare_main_window() -> None:
    """Import the main window's modules, load its icon font and have PySide6 create its lazy classes while the user
    types the password (CPU that would otherwise come between 登录 and the window); a failure here is left for the
    real use to report."""
    import logging

    try:
        import ui.main_window  # noqa: F401
        from ui.app import realize_qt_classes
        from ui.icons import prepare

        prepare()
        realize_qt_classes()  # (else the first frame after 登录 does it)
    except Exception:
        logging.getLogger(__name__).warning("main window modules could not be imported ahead", exc_info=True)


def after_sign_in(window: MainWindow, signed: SignedIn) -> None:
    """A reset password must be changed before work starts; then the inactivity lock is armed."""
    from ui.security.login import ChangePasswordDialog

    if signed.must_change_password:
        dialog = ChangePasswordDialog(window.ctx, window.tasks, signed.user_id, required=True, parent=window)
        if dialog.exec() != ChangePasswordDialog.DialogCode.Accepted:
            window.confirm_on_close = False
            window.close()
            sys.exit(0)
    from reception.security.accounts import lock_minutes

    window.account.arm_inactivity_lock(lock_minutes(window.ctx))
