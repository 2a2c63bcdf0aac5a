"""合并案件… from the case detail, clicked by qtbot: the button only for supervisors and administrators, the other
case picked by search and shown beside this one, a missing reason said under its field, the merge stored."""

from __future__ import annotations

import random

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from reception.intake.cases import case_detail, search_cases
from tests.sync.harness import random_intake
from tests.ui.helpers import by_name, click, fill_valid, sign_in, type_into
from ui.cases.detail import CaseDetailDialog
from ui.cases.merge import CaseMergeDialog
from ui.main_window import PAGE_CASES, MainWindow


def _register(qtbot: QtBot, window: MainWindow, name: str, phone: str, id_body: str) -> str:
    from reception.domain.idnumber import check_digit

    page = window.intake_page
    fill_valid(qtbot, page.form, name=name, phone=phone, id_number=id_body + check_digit(id_body))
    click(qtbot, page, "保存")
    assert page.result is not None
    return page.result.case_no


def _open(window: MainWindow, case_no: str) -> CaseDetailDialog:
    case = next(c for c in search_cases(window.ctx, case_no) if c.case_no == case_no)
    window.show_page(PAGE_CASES)
    return window.cases_page.open_case(case)


def test_the_merge_dialog_merges_a_case_found_by_search(qtbot: QtBot, window: MainWindow) -> None:
    keep_no = _register(qtbot, window, "紫合并", "13912340001", "43050319800101771")
    away_id = random_intake(window.ctx, random.Random(5))  # another case, registered at this desk
    away_no = case_detail(window.ctx, away_id).summary.case_no
    assert away_no != keep_no
    detail = _open(window, keep_no)
    assert [b for b in detail.findChildren(QPushButton) if b.text() == "合并案件…" and b.isVisibleTo(detail)] == []
    detail.reject()
    sign_in(window, "supervisor")
    detail = _open(window, keep_no)
    click(qtbot, detail, "合并案件…")
    dialog = detail.merge_dialog
    assert isinstance(dialog, CaseMergeDialog) and dialog.isVisible()
    assert not by_name(dialog, QPushButton, "确认合并").isEnabled()
    search = by_name(dialog, QLineEdit, "查找要并入的案件")
    type_into(qtbot, search, away_no)
    click(qtbot, dialog, "查找")
    results = by_name(dialog, QTableWidget, "查找结果")
    assert dialog.search_cell.error.text() == ""
    assert results.rowCount() == 1 and results.item(0, 0).text() == away_no
    results.selectRow(0)
    assert away_no in by_name(dialog, QLabel, "并入的案件").text()
    assert keep_no in by_name(dialog, QLabel, "保留的案件").text()
    click(qtbot, dialog, "确认合并")  # no reason yet: said under the field, the dialog stays
    assert dialog.isVisible() and dialog.reason_cell.error.text() == "请填写合并理由"
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一事项重复登记")
    click(qtbot, dialog, "确认合并")
    assert not dialog.isVisible()
    merged = case_detail(window.ctx, away_id)
    assert merged.summary.case_no == keep_no and merged.merged_case_nos == (away_no,)
    assert len(merged.visits) >= 2
