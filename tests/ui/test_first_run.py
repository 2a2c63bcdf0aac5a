"""First start of a desk that is not enrolled: the enrolment dialog offered to an administrator, 单机使用 remembered,
a quiet hint for a desk officer, and never for a demo directory or an enrolled desk (that last one, against a real
server, is in test_enrol_reload.py). The app composes it as ``ui.app.main`` does: window shown, then
``offer_enrolment``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from reception.sync.first_start import CHOICE_KEY, EnrolmentOffer, enrolment_offer
from tests.ui.enrol_helpers import Windows, fresh_desk, visible_enroll_dialogs, windows
from tests.ui.helpers import by_name, click
from ui.app import seed_demo_if_empty
from ui.main_window import PAGE_SYNC
from ui.sync.first_run import HINT_TEXT, offer_enrolment

__all__ = ["windows"]  # (the fixture)


def test_offered_to_an_administrator_and_standalone_remembered(qtbot: QtBot, tmp_path: Path,
                                                               windows: Windows) -> None:
    root = tmp_path / "desk"
    admin, _officer = fresh_desk(root)
    win = windows.start(root, admin, offer=False)
    assert visible_enroll_dialogs() == []  # the window alone never asks (create_main_window, the test fixtures)
    offer_enrolment(win)
    assert win.enrolment_offer is EnrolmentOffer.DIALOG
    dialog = win.enroll_dialog
    assert dialog is not None and visible_enroll_dialogs() == [dialog]
    assert dialog.isModal() and dialog.parent() is win  # over the shown main window, not instead of it
    assert "尚未登记" in dialog.findChild(QLabel, "enrollHeading").text()  # type: ignore[union-attr]
    for name in ("登记", "单机使用（暂不登记）", "以后再说"):
        assert by_name(dialog, QPushButton, name).isEnabled()
    dialog.grab().save(str(tmp_path / "first-run-enroll.png"))

    click(qtbot, dialog, "单机使用（暂不登记）")
    assert not dialog.isVisible()
    assert "单机使用" in win.statusBar().currentMessage()
    with win.ctx.db.read() as session:
        from reception.db.models import Setting

        row = session.get(Setting, CHOICE_KEY)
        assert row is not None and row.value["choice"] == "standalone" and row.value["by"] == admin
    # the 数据同步 page still offers enrolment for later
    win.show_page(PAGE_SYNC)
    assert win.sync_page.enroll_button.isVisible()
    windows.close(win)

    again = windows.start(root, admin)
    assert again.enrolment_offer is EnrolmentOffer.NONE
    assert visible_enroll_dialogs() == [] and again.statusBar().currentMessage() == ""


def test_later_asks_again_at_the_next_start(qtbot: QtBot, tmp_path: Path, windows: Windows) -> None:
    root = tmp_path / "desk"
    admin, _officer = fresh_desk(root)
    win = windows.start(root, admin)
    dialog = win.enroll_dialog
    assert dialog is not None and dialog.isVisible()
    by_name(dialog, QLineEdit, "服务器地址").setText("ftp://wrong")  # a bad address: a message, nothing lost
    click(qtbot, dialog, "登记")
    assert "https://" in dialog.server_error.text() and dialog.isVisible()
    assert by_name(dialog, QLineEdit, "服务器地址").text() == "ftp://wrong"
    click(qtbot, dialog, "以后再说")
    assert not dialog.isVisible()
    windows.close(win)
    assert windows.start(root, admin).enrolment_offer is EnrolmentOffer.DIALOG


def test_a_desk_officer_gets_a_quiet_hint(tmp_path: Path, windows: Windows) -> None:
    root = tmp_path / "desk"
    _admin, officer = fresh_desk(root)
    win = windows.start(root, officer)
    assert win.enrolment_offer is EnrolmentOffer.HINT
    assert visible_enroll_dialogs() == []
    assert win.statusBar().currentMessage() == HINT_TEXT


def test_never_for_a_demo_directory(tmp_path: Path, data_dir: Path, windows: Windows) -> None:
    # the directory --demo seeds (ui.app.seed_demo_if_empty) is marked: its administrator is not asked
    demo = tmp_path / "demo"
    assert seed_demo_if_empty(demo)
    win = windows.start(demo, _user_id(demo, "admin"))
    assert win.enrolment_offer is EnrolmentOffer.NONE and visible_enroll_dialogs() == []
    assert win.statusBar().currentMessage() == ""
    # a demo directory from before the marker: --demo says so
    admin = _user_id(data_dir, "admin")
    win = windows.start(data_dir, admin, demo=True)
    assert win.enrolment_offer is EnrolmentOffer.NONE and visible_enroll_dialogs() == []
    assert enrolment_offer(win.ctx, admin) is EnrolmentOffer.DIALOG  # (without --demo and unmarked, it would ask)


def _user_id(data_dir: Path, username: str) -> str:
    from reception.bootstrap import open_data_dir
    from reception.intake import directory

    ctx = open_data_dir(data_dir)
    try:
        with ctx.db.read() as session:
            user = directory.user_by_username(session, username)
            assert user is not None
            return user.id
    finally:
        ctx.close()
