"""The case list: model contract, search, today's registrations, detail dialog and reprint (补打)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reception.intake.cases import recent_cases
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import NEW_ID, by_name, click, fill_valid, type_into
from ui.cases.model import (
    COL_CASE_NO,
    COL_ID,
    COL_PHONE,
    COL_REGISTERED,
    COL_VISITS,
    COLUMN_COUNT,
    CaseTableModel,
    ObjectRole,
    SortRole,
)
from ui.cases.page import PLACEHOLDER
from ui.main_window import PAGE_CASES, MainWindow


def test_case_table_model_contract(qtmodeltester: ModelTester, window: MainWindow) -> None:
    model = CaseTableModel()
    rows = recent_cases(window.ctx)
    assert rows
    model.set_rows(rows)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == len(rows) and model.columnCount() == COLUMN_COUNT
    first = model.index(0, COL_CASE_NO)
    assert first.data() == rows[0].case_no
    assert first.data(ObjectRole) is rows[0]
    assert isinstance(model.index(0, COL_REGISTERED).data(SortRole), int)
    assert isinstance(model.index(0, COL_VISITS).data(SortRole), int)
    # personal data is masked in the list
    assert "*" in model.index(0, COL_ID).data() and "*" in model.index(0, COL_PHONE).data()
    assert model.rowCount(first) == 0 and model.data(QModelIndex()) is None
    model.set_rows([])
    qtmodeltester.check(model, force_py=True)


def test_search_today_and_reprint(qtbot: QtBot, window: MainWindow, printed: PrintRecorder) -> None:
    page = window.intake_page
    fill_valid(qtbot, page.form, name="紫霞光")
    click(qtbot, page, "保存")
    saved = page.result
    assert saved is not None

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Ctrl+F: 案件查询
    cases = window.cases_page
    assert window.pages.currentIndex() == PAGE_CASES
    search = by_name(cases, QLineEdit, "搜索")
    assert search.placeholderText() == PLACEHOLDER
    assert search.hasFocus() or window.focusWidget() is search
    assert cases.model.rowCount() > 0  # recent cases shown on arrival

    for text in (saved.case_no, NEW_ID, "13912345678"):
        search.clear()
        type_into(qtbot, search, text)
        qtbot.keyClick(search, Qt.Key.Key_Return)
        assert [c.case_no for c in cases.model.rows()] == [saved.case_no], text
    search.clear()
    type_into(qtbot, search, "紫霞光")
    click(qtbot, cases, "查询")
    assert saved.case_no in [c.case_no for c in cases.model.rows()]

    click(qtbot, cases, "今日登记")
    today = [c.case_no for c in cases.model.rows()]
    assert saved.case_no in today
    assert "今日登记" in cases.status.text()

    row = next(r for r in range(cases.proxy.rowCount()) if cases.case_at(r).case_no == saved.case_no)
    index = cases.proxy.index(row, COL_CASE_NO)
    cases.table.doubleClicked.emit(index)
    dialog = cases.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.detail is not None and dialog.detail.summary.case_no == saved.case_no
    assert dialog.visits.rowCount() == 1
    assert dialog.events.rowCount() >= 2  # received, assigned
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert saved.query_code in texts

    qtbot.mouseClick(by_name(dialog, QPushButton, "补打回执"), Qt.MouseButton.LeftButton)
    assert len(printed.calls) == 1
    path, data = printed.calls[0]
    assert data.startswith(b"%PDF")
    assert not path.exists()  # the temporary copy is removed after printing
    assert path != window.ctx.paths.receipts / f"{saved.case_no}.pdf"
    assert "补打" in dialog.message.label.text()
    click(qtbot, dialog, "关闭")
    assert not dialog.isVisible()


def test_case_list_refreshes_after_a_save(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page(PAGE_CASES)
    before = window.cases_page.model.rowCount()
    window.show_page(0)
    fill_valid(qtbot, window.intake_page.form)
    click(qtbot, window.intake_page, "保存")
    window.show_page(PAGE_CASES)
    assert window.cases_page.model.rowCount() in (before, before + 1)  # capped list or one more
    assert window.intake_page.result is not None
    assert window.intake_page.result.case_no in [c.case_no for c in window.cases_page.model.rows()]
