"""管理 → 台账导入, clicked as a supervisor and an administrator would: file and sheet, the guessed columns, the dry
run's report, the import with its progress (in the background: the window keeps answering), cancel, undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QProgressBar, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from reception.db.models import LedgerRow
from tests.ui.helpers import by_name, choose, click, sign_in, type_into
from tests.unit.ledger.files import write_xlsx
from ui.admin.menu import open_ledger_import
from ui.ledger.wizard import LedgerImportDialog
from ui.main_window import MainWindow
from ui.tasks import TaskManager

pytestmark = pytest.mark.dated


def _rows(window: MainWindow) -> int:
    with window.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(LedgerRow)) or 0


def _choose_file(qtbot: QtBot, dialog: LedgerImportDialog, path: Path) -> None:
    edit = by_name(dialog, QLineEdit, "台账文件")
    type_into(qtbot, edit, str(path))
    edit.editingFinished.emit()
    qtbot.waitUntil(lambda: by_name(dialog, QComboBox, "工作表").count() == 2)


def _table(table: QTableWidget) -> list[list[str]]:
    def text(r: int, c: int) -> str:
        item = table.item(r, c)
        return item.text() if item is not None else ""

    return [[text(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_menu_entry_for_administrators_and_supervisors_only(window: MainWindow) -> None:
    sign_in(window, "liuxy")
    assert not window.ledger_action.isVisible()
    sign_in(window, "supervisor")
    assert window.ledger_action.isVisible() and window.ledger_action.isEnabled()
    sign_in(window, "admin")
    assert window.ledger_action.isVisible()


def test_supervisor_imports_a_ledger(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    sign_in(window, "supervisor")
    dialog = open_ledger_import(window)
    click(qtbot, dialog, "下一步")
    assert dialog.file_error.text() == "请选择台账文件"  # the message next to the field, nothing lost
    path = write_xlsx(tmp_path / "台账2021.xlsx")
    _choose_file(qtbot, dialog, path)
    assert [by_name(dialog, QComboBox, "工作表").itemText(i) for i in range(2)] == ["2021年台账", "说明"]
    click(qtbot, dialog, "下一步")
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1)
    # the columns guessed from the two-row header with merged cells
    assert by_name(dialog, QComboBox, "姓名").currentText() == "A列 信访人信息/姓名"
    assert by_name(dialog, QComboBox, "责任单位").currentText() == "H列 办理情况/责任单位"
    assert by_name(dialog, QComboBox, "住址").currentText() == "（不导入）"
    choose(by_name(dialog, QComboBox, "默认问题类别"), "生态环境 / 噪声扰民")
    type_into(qtbot, by_name(dialog, QLineEdit, "方案名称"), "示范区台账")
    click(qtbot, dialog, "保存方案")
    click(qtbot, dialog, "检查（试导入）")
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2)
    assert dialog.report_summary.text() == "共9行：可导入4行，有错误5行，已导入过0行"
    report = _table(by_name(dialog, QTableWidget, "检查结果"))
    assert report[0][:3] == ["7", "错误", "身份证号"] and "校验" in report[0][3]
    assert {r[0] for r in report if r[1] == "错误"} == {"7", "8", "9", "10", "11"}
    assert _rows(window) == 0  # the dry run wrote nothing
    click(qtbot, dialog, "开始导入")
    qtbot.waitUntil(lambda: by_name(dialog, QPushButton, "完成").isEnabled())
    bar = by_name(dialog, QProgressBar, "导入进度")
    assert (bar.value(), bar.maximum()) == (4, 4)
    assert dialog.result_label.text().startswith("导入完成：共9行，导入4行")
    assert _rows(window) == 4
    click(qtbot, dialog, "完成")
    assert not dialog.isVisible()

    # next time: the saved profile, and the same file adds nothing
    again = open_ledger_import(window)
    _choose_file(qtbot, again, path)
    click(qtbot, again, "下一步")
    qtbot.waitUntil(lambda: again.stack.currentIndex() == 1)
    profile = by_name(again, QComboBox, "映射方案")
    choose(profile, "示范区台账")
    profile.activated.emit(profile.currentIndex())
    assert by_name(again, QComboBox, "默认问题类别").currentText() == "生态环境 / 噪声扰民"
    click(qtbot, again, "检查（试导入）")
    qtbot.waitUntil(lambda: again.stack.currentIndex() == 2)
    assert again.report_summary.text() == "共9行：可导入0行，有错误5行，已导入过4行"
    assert not by_name(again, QPushButton, "开始导入").isEnabled()
    assert not again.undo_button.isVisible()  # supervisors cannot undo


def test_background_import_cancel_and_undo_by_administrator(qtbot: QtBot, window: MainWindow,
                                                            tmp_path: Path) -> None:
    sign_in(window, "admin")
    tasks = TaskManager()  # real worker threads: the dialog must stay responsive
    user = window.reference.user
    assert user is not None
    dialog = LedgerImportDialog(window.ctx, tasks, user.id, user.role, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.batch_rows = 1
    try:
        _choose_file(qtbot, dialog, write_xlsx(tmp_path / "台账.xlsx"))
        click(qtbot, dialog, "下一步")
        qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 1)
        choose(by_name(dialog, QComboBox, "默认问题类别"), "生态环境 / 噪声扰民")
        click(qtbot, dialog, "检查（试导入）")
        qtbot.waitUntil(lambda: dialog.stack.currentIndex() == 2, timeout=20000)
        click(qtbot, dialog, "开始导入")
        click(qtbot, dialog, "取消导入")  # at once: the worker stops before its next batch
        qtbot.waitUntil(lambda: dialog.summary is not None, timeout=30000)
        assert dialog.summary is not None and dialog.summary.cancelled
        assert dialog.summary.imported < 4 and _rows(window) == dialog.summary.imported
        assert dialog.result_label.text().startswith("导入已取消")
        click(qtbot, dialog, "完成")
        dialog.show()
        dialog.stack.setCurrentIndex(0)
        qtbot.waitUntil(lambda: dialog.imports_table.rowCount() == 1)
        assert _table(dialog.imports_table)[0][3] == "已取消（部分导入）"
        dialog.imports_table.selectRow(0)
        click(qtbot, dialog, "撤销所选导入")
        qtbot.waitUntil(lambda: dialog.undo_status.text().startswith("已撤销"), timeout=20000)
        assert _rows(window) == 0
    finally:
        tasks.shutdown()


def test_review_list_shows_doubtful_matches_masked(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    from reception.db.models import Petitioner
    from reception.domain.enums import DocumentType
    from reception.ledger import service
    from tests.unit.ledger.files import ID_ZHANG

    with window.ctx.db.write() as s:
        s.add(Petitioner(name="张叁丰", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                         phone="", address=""))
    path = write_xlsx(tmp_path / "台账.xlsx")
    service.run_import(window.ctx, service.LedgerSource(path, defaults={"category": "HB01"}), actor_id=None)
    sign_in(window, "supervisor")
    dialog = open_ledger_import(window)
    table = by_name(dialog, QTableWidget, "待核对")
    rows = _table(table)
    assert [r[:3] for r in rows] == [["台账.xlsx", "4", "张某丰"], ["台账.xlsx", "5", "张某丰"]]
    assert rows[0][3] == "身份证号已登记在另一姓名下，未导入，请核对（该行未导入）"
    click(qtbot, dialog, "不导入此行")
    assert dialog.review_status.text() == "请先选择一条待核对记录"
    table.selectRow(0)
    click(qtbot, dialog, "不导入此行")
    assert dialog.review_status.text() == "已处理"
    assert [r[1] for r in _table(table)] == ["5"]


def test_administrator_undoes_a_synced_import_in_the_background(qtbot: QtBot, window: MainWindow,
                                                                tmp_path: Path) -> None:
    """After sync the same button marks the import's cases 已撤销 (lifecycle steps the next sync sends) and says so
    in counts; the undo runs on the task manager's worker, the window stays responsive."""
    from reception.db.models import Case, SyncRow, Visit
    from reception.domain.enums import CaseStatus
    from reception.ledger import service

    service.run_import(window.ctx, service.LedgerSource(write_xlsx(tmp_path / "台账.xlsx"),
                                                        defaults={"category": "HB01"}), actor_id=None)
    with window.ctx.db.write() as s:  # what a push leaves behind: the server has the cases and visits
        imported = set(s.scalars(select(LedgerRow.case_id)))
        cases = s.scalar(select(func.count()).select_from(Case))
        for table, model in (("petition_case", Case), ("visit", Visit)):
            for rid in s.scalars(select(model.id).where(model.id.not_in(
                    s.scalars(select(SyncRow.record_id).where(SyncRow.table_name == table)).all()))):
                s.add(SyncRow(table_name=table, record_id=rid, version=1))
    sign_in(window, "admin")
    tasks = TaskManager()
    user = window.reference.user
    assert user is not None
    dialog = LedgerImportDialog(window.ctx, tasks, user.id, user.role, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        qtbot.waitUntil(lambda: dialog.imports_table.rowCount() == 1)
        assert dialog.undo_button.isVisible()
        assert dialog.undo_button.accessibleName() == "撤销所选导入"
        click(qtbot, dialog, "撤销所选导入")
        assert dialog.undo_status.text() == "请先选择一次导入"
        dialog.imports_table.selectRow(0)
        click(qtbot, dialog, "撤销所选导入")
        qtbot.waitUntil(lambda: dialog.undo_status.text().startswith("已撤销"), timeout=20000)
        assert dialog.undo_status.text() == ("已撤销：该次导入已同步，4件信访事项（来访4次）已标记为“已撤销”，"
                                             "将随下次同步通知其他工位")
        qtbot.waitUntil(lambda: _table(dialog.imports_table)[0][3] == "已撤销", timeout=20000)
        with window.ctx.db.read() as s:
            assert set(s.scalars(select(Case.status).where(Case.id.in_(imported)))) == {CaseStatus.VOID.value}
            assert s.scalar(select(func.count()).select_from(Case)) == cases  # nothing deleted
        click(qtbot, dialog, "撤销所选导入")  # again: the core's refusal, in Chinese, next to the button
        qtbot.waitUntil(lambda: dialog.undo_status.text() == "该次导入已经撤销", timeout=20000)
    finally:
        tasks.shutdown()
