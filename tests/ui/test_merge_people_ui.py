"""合并信访人… and 撤销合并, clicked by qtbot on real SQLite data: two records of one person found by name (masked),
picked, refused when the same record is picked twice, without a reason or without the permission; merged, and the
merged-away record no longer offered; then undone by an administrator from 管理 → 合并记录… (a required 撤销理由),
and the record offered again. A case merge undone from the case detail. Each dialog is rendered to a PNG."""

from __future__ import annotations

import os
import random
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableWidget, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import AuditEntry, Petitioner, PetitionerMerge
from reception.intake.cases import case_detail, search_cases
from reception.merge.service import merge_cases
from tests.sync.harness import random_intake
from tests.ui.helpers import by_name, click, fill_valid, sign_in, type_into
from ui.admin.menu import open_petitioner_merge
from ui.cases.detail import CaseDetailDialog
from ui.main_window import PAGE_CASES, PAGE_INTAKE, MainWindow
from ui.merge.petitioners import PetitionerMergeDialog
from ui.merge.records import MergeRecordsDialog, UndoMergeDialog

NAME = "紫合一"


def _shot(widget: QWidget, name: str, tmp_path: Path) -> None:
    """The dialog as drawn (``MERGEUI_SHOTS=/dir`` keeps them for a person to look at)."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # (the layout's pending requests: as the event loop would before painting)
    folder = Path(os.environ.get("MERGEUI_SHOTS") or tmp_path)
    assert widget.grab().save(str(folder / f"mergeui-{name}.png"))


def _texts(root: QWidget) -> str:
    return "\n".join(label.text() for label in root.findChildren(QLabel))


def _register(qtbot: QtBot, window: MainWindow, name: str, phone: str, id_body: str) -> str:
    from reception.domain.idnumber import check_digit

    window.show_page(PAGE_INTAKE)
    page = window.intake_page
    if page.result is not None:  # the previous one saved: start the next
        click(qtbot, page, "新登记")
    fill_valid(qtbot, page.form, name=name, phone=phone, id_number=id_body + check_digit(id_body))
    click(qtbot, page, "保存")
    assert page.result is not None
    return page.result.case_no


def _petitioner_ids(window: MainWindow, name: str) -> list[str]:
    with window.ctx.db.read() as s:
        return list(s.scalars(select(Petitioner.id).where(Petitioner.name == name)))


def _search(qtbot: QtBot, dialog: PetitionerMergeDialog, text: str) -> QTableWidget:
    edit = by_name(dialog, QLineEdit, "查找信访人")
    edit.clear()
    type_into(qtbot, edit, text)
    click(qtbot, dialog, "查找")
    return by_name(dialog, QTableWidget, "查找结果")


def _row_of(results: QTableWidget, phone_tail: str) -> int:
    rows = [r for r in range(results.rowCount()) if results.item(r, 2).text().endswith(phone_tail)]
    assert len(rows) == 1, [results.item(r, 2).text() for r in range(results.rowCount())]
    return rows[0]


def test_two_records_of_one_person_merge_and_an_administrator_undoes_it(qtbot: QtBot, window: MainWindow,
                                                                         tmp_path: Path) -> None:
    _register(qtbot, window, NAME, "13912340011", "43050319800101771")
    _register(qtbot, window, NAME, "13912340022", "43050319800101793")
    ids = _petitioner_ids(window, NAME)
    assert len(ids) == 2
    assert not window.merge_people_action.isVisible() and not window.merge_records_action.isVisible()
    sign_in(window, "supervisor")
    assert window.merge_people_action.isVisible() and not window.merge_records_action.isVisible()
    window.merge_people_action.trigger()
    dialog = window.petitioner_merge_dialog
    assert isinstance(dialog, PetitionerMergeDialog) and dialog.isVisible()
    assert not by_name(dialog, QPushButton, "确认合并").isEnabled()
    results = _search(qtbot, dialog, NAME)
    assert results.rowCount() == 2
    texts = [results.item(r, c).text() for r in range(2) for c in (1, 2)]
    assert not any("13912340011" in t or "4305031980010177" in t for t in texts)  # masked in the list
    keep_row, away_row = _row_of(results, "0011"), _row_of(results, "0022")
    results.selectRow(keep_row)
    click(qtbot, dialog, "设为保留的记录")
    results.selectRow(keep_row)
    click(qtbot, dialog, "设为并入的记录")
    kept = dialog.keep_side.text()
    assert NAME in kept and "来访次数：1" in kept and "0011" in kept and "13912340011" not in kept
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一人两次登记")
    click(qtbot, dialog, "确认合并")  # the same record twice: said under the choice, nothing stored
    assert dialog.isVisible() and dialog.pick_error.text() == "不能把信访人与其自身合并"
    results.selectRow(away_row)
    click(qtbot, dialog, "设为并入的记录")
    assert dialog.pick_error.text() == "" and "0022" in dialog.away_side.text()
    by_name(dialog, QLineEdit, "合并理由").clear()
    click(qtbot, dialog, "确认合并")  # no reason: said under the reason
    assert dialog.isVisible() and dialog.reason_cell.error.text() == "请填写合并理由"
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一人两次登记，电话不同")
    _shot(dialog, "petitioner-merge", tmp_path)
    click(qtbot, dialog, "确认合并")
    assert not dialog.isVisible()
    with window.ctx.db.read() as s:
        rows = {p.id: p.merged_into for p in s.scalars(select(Petitioner).where(Petitioner.id.in_(ids)))}
        merges = list(s.scalars(select(PetitionerMerge)))
        audited = s.scalar(select(AuditEntry).where(AuditEntry.action == "merge", AuditEntry.entity == "petitioner"))
    keep_id = next(i for i, into in rows.items() if into is None)
    assert sorted(rows.values(), key=str) == sorted([None, keep_id], key=str)
    assert len(merges) == 1 and merges[0].survivor_id == keep_id and merges[0].reason == "同一人两次登记，电话不同"
    assert audited is not None  # (the outbox: tests/unit/test_merge.py, this desk is not enrolled)

    # the merged-away record is no longer offered
    dialog = open_petitioner_merge(window)
    results = _search(qtbot, dialog, NAME)
    assert results.rowCount() == 1 and results.item(0, 2).text().endswith("0011")
    dialog.reject()

    # an administrator undoes it from 管理 → 合并记录…
    sign_in(window, "admin")
    assert window.merge_records_action.isVisible()
    window.merge_records_action.trigger()
    records = window.merge_records_dialog
    assert isinstance(records, MergeRecordsDialog)
    table = by_name(records, QTableWidget, "合并记录")
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "信访人")
    assert table.item(row, 2).text() == "有效" and NAME in table.item(row, 4).text()
    assert "43050319800101793" not in table.item(row, 4).text()  # (the ID masked)
    undo_button = by_name(records, QPushButton, "撤销合并…")
    assert not undo_button.isEnabled()
    table.selectRow(row)
    click(qtbot, records, "撤销合并…")
    undo = records.list.undo_dialog
    assert isinstance(undo, UndoMergeDialog) and undo.isVisible()
    assert NAME in _texts(undo.what) and "同一人两次登记，电话不同" in _texts(undo.what)
    click(qtbot, undo, "撤销合并")  # no reason
    assert undo.isVisible() and undo.reason_cell.error.text() == "请填写撤销理由"
    type_into(qtbot, by_name(undo, QLineEdit, "撤销理由"), "核实后不是同一人")
    _shot(undo, "undo", tmp_path)
    click(qtbot, undo, "撤销合并")
    assert not undo.isVisible()
    table = by_name(records, QTableWidget, "合并记录")
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "信访人")
    assert table.item(row, 2).text() == "已撤销"
    assert records.message.label.text() == "已撤销合并，两条记录已重新分开。"
    table.selectRow(row)
    assert not by_name(records, QPushButton, "撤销合并…").isEnabled()  # (undone: nothing left to undo)
    _shot(records, "records", tmp_path)
    records.accept()
    with window.ctx.db.read() as s:
        assert all(p.merged_into is None for p in s.scalars(select(Petitioner).where(Petitioner.id.in_(ids))))

    # and the record is offered again
    dialog = open_petitioner_merge(window)
    assert _search(qtbot, dialog, NAME).rowCount() == 2
    dialog.reject()


def test_merge_refused_without_the_permission_and_reached_from_the_history_card(qtbot: QtBot, window: MainWindow,
                                                                                 tmp_path: Path) -> None:
    _register(qtbot, window, NAME, "13912340011", "43050319800101771")
    _register(qtbot, window, NAME, "13912340022", "43050319800101793")
    officer = window.reference.user_id
    assert officer and window.reference.user is not None and window.reference.user.role == "desk_officer"
    # the officer sees no 合并信访人… on a history card
    window.show_page(PAGE_INTAKE)
    page = window.intake_page
    click(qtbot, page, "新登记")
    type_into(qtbot, by_name(page.history, QLineEdit, "查找历史"), NAME)
    click(qtbot, page.history, "查找")
    assert len(page.history.person_cards) == 2
    assert not any(c.merge_button.isVisibleTo(page.history) for c in page.history.person_cards)
    # and the core refuses an officer who reaches the dialog anyway
    dialog = PetitionerMergeDialog(window.ctx, window.tasks, officer, window.reference.desk_id or None,
                                   parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    results = _search(qtbot, dialog, NAME)
    results.selectRow(0)
    click(qtbot, dialog, "设为保留的记录")
    results.selectRow(1)
    click(qtbot, dialog, "设为并入的记录")
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一人")
    click(qtbot, dialog, "确认合并")
    assert dialog.isVisible() and "无权合并案件或信访人" in dialog.message.label.text()
    assert dialog.message.isVisible()
    _shot(dialog, "refused", tmp_path)
    dialog.reject()
    with window.ctx.db.read() as s:
        assert s.scalar(select(PetitionerMerge.id)) is None

    # an administrator at the intake page merges from the card (supervisors do not register: they use 管理 →
    # 合并信访人… or the case detail): that record kept, its name already in the search box
    sign_in(window, "admin")
    window.show_page(PAGE_INTAKE)
    click(qtbot, page.history, "查找")
    card = next(c for c in page.history.person_cards if c.person.phone_masked.endswith("0022"))
    assert card.merge_button.isVisibleTo(page.history)
    _shot(page.history, "history-card", tmp_path)
    qtbot.mouseClick(card.merge_button, Qt.MouseButton.LeftButton)
    dialog = page.merge_dialog
    assert isinstance(dialog, PetitionerMergeDialog) and dialog.isVisible()
    assert by_name(dialog, QLineEdit, "查找信访人").text() == NAME
    assert "0022" in dialog.keep_side.text()
    click(qtbot, dialog, "查找")
    results = by_name(dialog, QTableWidget, "查找结果")
    results.selectRow(_row_of(results, "0011"))
    click(qtbot, dialog, "设为并入的记录")
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一人")
    click(qtbot, dialog, "确认合并")
    assert not dialog.isVisible()
    assert page.history.status.text().startswith("按")  # (the history search was run again)
    with window.ctx.db.read() as s:
        merge = s.scalar(select(PetitionerMerge))
    assert merge is not None
    assert merge.survivor_id == card.person.petitioner_id


def _open(window: MainWindow, case_no: str) -> CaseDetailDialog:
    case = next(c for c in search_cases(window.ctx, case_no) if c.case_no == case_no)
    window.show_page(PAGE_CASES)
    return window.cases_page.open_case(case)


def _listed(qtbot: QtBot, window: MainWindow, text: str) -> list[str]:
    """The case numbers the case list shows for a search."""
    window.show_page(PAGE_CASES)
    page = window.cases_page
    page.search_edit.clear()
    type_into(qtbot, page.search_edit, text)
    page.search()
    return [c.case_no for c in page.model.rows()]


def test_an_administrator_undoes_a_case_merge_from_the_case_detail(qtbot: QtBot, window: MainWindow,
                                                                    tmp_path: Path) -> None:
    keep_no = _register(qtbot, window, "紫合并", "13912340001", "43050319800101771")
    away_id = random_intake(window.ctx, random.Random(5))
    away_no = case_detail(window.ctx, away_id).summary.case_no
    keep_id = next(c.id for c in search_cases(window.ctx, keep_no) if c.case_no == keep_no)
    merge_cases(window.ctx, keep_id, away_id, reason="同一事项重复登记", actor_id=sign_in(window, "supervisor"))
    assert _listed(qtbot, window, away_no) == [keep_no]  # the old number finds the surviving case only
    # a supervisor sees the merge in the detail, but no undo
    detail = _open(window, keep_no)
    assert detail.tabs.isTabVisible(detail.merges_tab)
    detail.tabs.setCurrentIndex(detail.merges_tab)
    merged = by_name(detail, QTableWidget, "合并的案件")
    assert merged.rowCount() == 1 and merged.item(0, 0).text() == away_no and merged.item(0, 2).text() == "有效"
    assert not detail.merge_list.undo_button.isVisibleTo(detail.merge_list)
    detail.reject()
    # the merged-away case (an old receipt's QR, a link) opens as the surviving case, saying so
    from reception.intake.history import summarise_cases

    with window.ctx.db.read() as s:
        (away_summary,) = summarise_cases(s, [away_id])
    detail = window.cases_page.open_case(away_summary)
    assert f"案件 {away_no} 已并入案件 {keep_no}，此处显示合并后的案件" in _texts(detail.summary)
    detail.reject()

    sign_in(window, "admin")
    detail = _open(window, keep_no)
    texts = [w.text() for w in detail.summary.findChildren(QLabel)]
    assert away_no in texts  # the 并入的案件 row
    detail.tabs.setCurrentIndex(detail.merges_tab)
    merged = by_name(detail, QTableWidget, "合并的案件")
    merged.selectRow(0)
    _shot(detail, "case-detail-merges", tmp_path)
    click(qtbot, detail, "撤销合并…")
    undo = detail.merge_list.undo_dialog
    assert isinstance(undo, UndoMergeDialog)
    assert away_no in _texts(undo.what) and keep_no in _texts(undo.what)
    type_into(qtbot, by_name(undo, QLineEdit, "撤销理由"), "并非同一事项")
    _shot(undo, "undo-case", tmp_path)
    click(qtbot, undo, "撤销合并")
    assert not undo.isVisible()
    merged = by_name(detail, QTableWidget, "合并的案件")  # (the undone merge stays listed, as history)
    assert merged.rowCount() == 1 and merged.item(0, 2).text() == "已撤销"
    merged.selectRow(0)
    assert not by_name(detail, QPushButton, "撤销合并…").isEnabled()
    assert detail.message.label.text() == "已撤销合并，两个案件已重新分开。"
    assert away_no not in [w.text() for w in detail.summary.findChildren(QLabel) if w.isVisibleTo(detail)]
    detail.reject()
    back = case_detail(window.ctx, away_id)
    assert back.summary.case_no == away_no and back.opened_as == ""
    assert any(c.case_no == away_no for c in search_cases(window.ctx, away_no))
    assert _listed(qtbot, window, away_no) == [away_no]  # its own again in the case list


def test_a_supervisor_merges_a_case_s_petitioner_from_the_case_detail(qtbot: QtBot, window: MainWindow) -> None:
    first_no = _register(qtbot, window, NAME, "13912340011", "43050319800101771")
    _register(qtbot, window, NAME, "13912340022", "43050319800101793")
    detail = _open(window, first_no)
    assert not detail.merge_people_button.isVisibleTo(detail)  # (an officer)
    detail.reject()
    sign_in(window, "supervisor")
    detail = _open(window, first_no)
    click(qtbot, detail, "合并信访人…")
    dialog = detail.merge_dialog
    assert isinstance(dialog, PetitionerMergeDialog) and dialog.isVisible()
    assert by_name(dialog, QLineEdit, "查找信访人").text() == NAME
    click(qtbot, dialog, "查找")
    results = by_name(dialog, QTableWidget, "查找结果")
    results.selectRow(_row_of(results, "0011"))
    click(qtbot, dialog, "设为保留的记录")
    results.selectRow(_row_of(results, "0022"))
    click(qtbot, dialog, "设为并入的记录")
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一人两次登记")
    click(qtbot, dialog, "确认合并")
    assert not dialog.isVisible() and detail.isVisible()
    ids = _petitioner_ids(window, NAME)
    with window.ctx.db.read() as s:
        marks = sorted(str(p.merged_into) for p in s.scalars(select(Petitioner).where(Petitioner.id.in_(ids))))
    assert marks.count("None") == 1 and len(marks) == 2


def _accessible(dialog: QWidget) -> None:
    """Every input has a visible label as its buddy, named as the label; every button is named as its text."""
    buddies = {label.buddy(): label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None}
    for edit in dialog.findChildren(QLineEdit):
        assert edit in buddies and edit.accessibleName() == buddies[edit], edit.accessibleName()
    for b in dialog.findChildren(QPushButton):
        assert b.text() and b.accessibleName() == b.text(), b.text()
    for table in dialog.findChildren(QTableWidget):
        assert table.accessibleName()


def test_the_merge_dialogs_name_their_inputs_and_buttons(qtbot: QtBot, window: MainWindow) -> None:
    _register(qtbot, window, NAME, "13912340011", "43050319800101771")
    _register(qtbot, window, NAME, "13912340022", "43050319800101793")
    sign_in(window, "admin")
    dialog = open_petitioner_merge(window)
    _accessible(dialog)
    results = _search(qtbot, dialog, NAME)
    results.selectRow(0)
    click(qtbot, dialog, "设为保留的记录")
    results.selectRow(1)
    click(qtbot, dialog, "设为并入的记录")
    type_into(qtbot, by_name(dialog, QLineEdit, "合并理由"), "同一人")
    click(qtbot, dialog, "确认合并")
    window.merge_records_action.trigger()
    records = window.merge_records_dialog
    assert isinstance(records, MergeRecordsDialog)
    _accessible(records)
    by_name(records, QTableWidget, "合并记录").selectRow(0)
    undo = records.list.open_undo()
    assert undo is not None
    _accessible(undo)
    undo.reject()
    records.accept()
