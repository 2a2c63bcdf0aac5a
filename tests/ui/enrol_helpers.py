"""Fresh (non-demo) desk data directories and main windows opened on them as ``ui.app.main`` opens them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reception.db.settings import load_desk_settings
from reception.security.accounts import add_user
from reception.setup import init_data_dir
from ui.app import create_main_window
from ui.main_window import MainWindow
from ui.sync.dialogs import EnrollDialog
from ui.sync.first_run import offer_enrolment
from ui.tasks import TaskManager


def fresh_desk(root: Path, desk_code: str = "D01") -> tuple[str, str]:
    """A new, non-demo data directory (as ``reception init`` makes it) with an administrator account added:
    (the administrator's id, the desk officer's id)."""
    ctx = init_data_dir(root, desk_code=desk_code)
    try:
        # (not "admin": the centre's own administrator has that user name, and a pulled account whose user name
        # is taken here cannot be applied: an 无法保存下载的记录 conflict after enrolment)
        admin = add_user(ctx, f"admin-{desk_code.lower()}", "王管理", "admin", actor_id=None)
        with ctx.db.read() as session:
            officer = load_desk_settings(session).officer_id
    finally:
        ctx.close()
    return admin, officer


class Windows:
    """Opens the real main window on a data directory, as ``ui.app.main`` does after the login dialog."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.opened: list[MainWindow] = []

    def start(self, data_dir: Path, user: str, *, demo: bool = False, offer: bool = True) -> MainWindow:
        win = create_main_window(data_dir, user=user, tasks=TaskManager(synchronous=True))
        win.confirm_on_close = False
        self.qtbot.addWidget(win)
        self.opened.append(win)
        win.show()
        self.qtbot.waitExposed(win)
        if offer:
            offer_enrolment(win, demo=demo)
        return win

    def close(self, win: MainWindow) -> None:
        for dialog in win.findChildren(EnrollDialog):
            dialog.reject()
        win.close()


@pytest.fixture
def windows(qtbot: QtBot) -> Iterator[Windows]:
    w = Windows(qtbot)
    yield w
    for win in w.opened:
        w.close(win)


def visible_enroll_dialogs() -> list[EnrollDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, EnrollDialog) and w.isVisible()]
