"""设置 → 查询网址 (issue 15): the public query page's address, checked next to the field, saved, and then in the
printed receipt's QR code (the modules read back from the archived PDF are the code of the page's address)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from reception.db.settings import load_desk_settings
from reception.domain.case_numbers import query_url
from tests.ui.helpers import by_name, click, fill_valid
from tests.unit.test_receipts import qr_matrix, read_printed_qr
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog

BASE = "https://xfzx.example.gov.cn/xf"


def open_dialog(qtbot: QtBot, window: MainWindow) -> SettingsDialog:
    dialog = SettingsDialog(window.ctx, window.reference, window.tasks, window, printers=lambda: [])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.settingsSaved.connect(window._settings_saved)  # (as the main window connects the dialog it opens)
    return dialog


@pytest.mark.parametrize(("typed", "message"), [
    ("https://信访.example.gov.cn", "只能包含英文字母"),
    ("xfzx.example.gov.cn", "https://"),
    ("https://xfzx.example.gov.cn/query?x=1", "不能带“?”"),
    ("https://xfzx.example.gov.cn/#top", "不能带“?”"),
    ("https://xfzx example.gov.cn", "格式不正确"),
])
def test_a_bad_query_address_is_refused_next_to_the_field(qtbot: QtBot, window: MainWindow, typed: str,
                                                          message: str) -> None:
    dialog = open_dialog(qtbot, window)
    edit = by_name(dialog, QLineEdit, "查询网址")
    edit.setText(typed)
    click(qtbot, dialog, "保存")
    error = dialog.query_url_cell.error
    assert error.isVisible() and message in error.text()
    assert dialog.isVisible() and edit.text() == typed  # (nothing lost)
    with window.ctx.db.read() as session:
        assert load_desk_settings(session).query_base_url == ""


def test_the_query_address_is_saved_and_printed_in_the_receipt_qr(qtbot: QtBot, window: MainWindow,
                                                                  data_dir: Path) -> None:
    dialog = open_dialog(qtbot, window)
    edit = by_name(dialog, QLineEdit, "查询网址")
    label = next(w for w in dialog.findChildren(QLabel) if w.text() == "查询网址")
    assert label.buddy() is edit and edit.accessibleName() == label.text()
    edit.setText(f"  {BASE}  ")
    click(qtbot, dialog, "保存")
    assert not dialog.isVisible()
    with window.ctx.db.read() as session:
        assert load_desk_settings(session).query_base_url == BASE
    again = open_dialog(qtbot, window)  # shown again: what was saved
    assert by_name(again, QLineEdit, "查询网址").text() == BASE
    again.reject()

    page = window.intake_page
    fill_valid(qtbot, page.form)
    page.save(print_receipt=False)
    result = page.result
    assert result is not None and result.receipt_path
    expected = qr_matrix(query_url(BASE, result.case_no, result.query_code))
    printed = read_printed_qr(Path(result.receipt_path).read_bytes(), len(expected))
    assert printed == expected
    # (and not the first receipts' text: a different code)
    assert printed != qr_matrix(f"XF:{result.case_no}:{result.query_code}")
