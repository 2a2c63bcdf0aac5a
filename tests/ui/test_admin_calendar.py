"""The administration screens of issue 13 (节假日表, 接访领导名录, 领导请假外出), driven by qtbot on the demo data with
a fixed clock (2 December 2026, before the 2027 arrangement is known)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QPlainTextEdit, QSpinBox, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from reception.db.base import CHINA_TZ
from reception.domain import workcalendar
from reception.roster import holidays
from reception.roster import service as roster
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import by_name, click, sign_in, type_into
from tests.unit.test_calendar_2027 import ARRANGEMENT_2027
from ui.admin.holidays import HolidayAdminDialog
from ui.admin.leaders import AbsencesAdminDialog, LeadersAdminDialog
from ui.app import create_main_window
from ui.main_window import MainWindow
from ui.tasks import TaskManager

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=CHINA_TZ)


@pytest.fixture(autouse=True)
def package_without_2027(monkeypatch: pytest.MonkeyPatch) -> None:
    original = workcalendar._package_knows
    monkeypatch.setattr(workcalendar, "_package_knows", lambda y: y < 2027 and original(y))


class Answers:
    def __init__(self) -> None:
        self.questions: list[str] = []
        self.answer = True
        self.file = ""

    def confirm(self, _parent: QWidget, _title: str, text: str) -> bool:
        self.questions.append(text)
        return self.answer

    def choose(self, _parent: QWidget) -> str:
        return self.file


@pytest.fixture
def win(qtbot: QtBot, data_dir: Path, printed: PrintRecorder) -> Iterator[MainWindow]:
    w = create_main_window(data_dir, tasks=TaskManager(synchronous=True), printer=printed, now=lambda: NOW)
    w.confirm_on_close = False
    qtbot.addWidget(w)
    yield w
    w.close()


def menu_texts(w: MainWindow) -> list[str]:
    return [a.text() for a in w.calendar_admin_actions if a.isVisible()]


def test_the_entries_are_for_administrators_only(win: MainWindow) -> None:
    sign_in(win, "liuxy")
    assert menu_texts(win) == []
    sign_in(win, "admin")
    assert menu_texts(win) == ["节假日表…", "接访领导名录…", "领导请假外出…"]
    win.calendar_admin_actions[0].trigger()
    dialog = win.admin_dialog
    assert isinstance(dialog, HolidayAdminDialog)
    # a change made there refreshes the window's deadline counts (the status bar agrees with the lists at once)
    win.deadline_status.setText("")
    dialog.calendarChanged.emit()
    from reception.lifecycle.service import due_soon, overdue

    late, soon = overdue(win.ctx, limit=500), due_soon(win.ctx, limit=500, sync=False)
    assert win.deadline_status.text() == f"期限提醒：超期{late.total_text}件，临期{soon.total_text}件"
    dialog.close()


def test_holiday_table_import_confirm_and_edit(qtbot: QtBot, win: MainWindow, tmp_path: Path) -> None:
    sign_in(win, "admin")
    answers = Answers()
    dialog = HolidayAdminDialog(win.ctx, win.tasks, win.reference.user_id, win, confirm=answers.confirm,
                                choose_file=answers.choose)
    qtbot.addWidget(dialog)
    dialog.show()
    by_name(dialog, QSpinBox, "年度").setValue(2027)
    state = by_name(dialog, QLabel, "年度状态")
    table = by_name(dialog, QTableWidget, "节假日列表")
    assert state.text().startswith("推算") and "调休安排未知" in state.text()
    assert table.rowCount() == 13  # the statutory days of 2027, computed
    assert table.item(0, 0).text() == "2027-01-01" and table.item(0, 2).text() == "休息（法定）"
    differences = by_name(dialog, QPlainTextEdit, "与法定节假日、国务院公布安排的差异").toPlainText()
    assert "共13天" in differences and "以国务院公布的放假安排为准" in differences

    bad = tmp_path / "bad.csv"
    bad.write_text("日期,是否上班,名称\n2027年13月1日,休,元旦\n", encoding="utf-8")
    answers.file = str(bad)
    click(qtbot, dialog, "导入文件…")
    assert "无法识别日期" in by_name(dialog, QLabel, "错误信息").text()
    assert table.rowCount() == 13

    good = tmp_path / "2027.csv"
    good.write_bytes(ARRANGEMENT_2027.encode("gbk"))  # saved by Excel on a Chinese Windows
    answers.file = str(good)
    click(qtbot, dialog, "导入文件…")
    assert "已重新计算期限" in by_name(dialog, QLabel, "操作结果").text()
    assert table.rowCount() == 28 and "已录入28天" in state.text()
    differences = by_name(dialog, QPlainTextEdit, "与法定节假日、国务院公布安排的差异").toPlainText()
    assert "调休放假" in differences and "2027-02-09春节" in differences and "调休上班：2027-02-13春节" in differences

    shorter = tmp_path / "shorter.csv"
    shorter.write_text("\n".join(ARRANGEMENT_2027.splitlines()[:-2]) + "\n", encoding="utf-8")
    answers.file, answers.answer = str(shorter), False
    click(qtbot, dialog, "导入文件…")
    assert len(answers.questions) == 1 and "2027-09-26 上班 国庆节" in answers.questions[0]
    assert "2027-10-09 上班 国庆节" in answers.questions[0]
    assert table.rowCount() == 28 and "已取消导入" in by_name(dialog, QLabel, "操作结果").text()
    answers.answer = True
    click(qtbot, dialog, "导入文件…")
    assert table.rowCount() == 26

    # one day edited: 8 October (a Friday) off as well
    by_name(dialog, QDateEdit, "日期").setDate(QDate(2027, 10, 8))
    by_name(dialog, QComboBox, "安排").setCurrentIndex(0)
    name = by_name(dialog, QLineEdit, "名称")
    name.clear()
    type_into(qtbot, name, "国庆节")
    click(qtbot, dialog, "保存该日")
    assert table.rowCount() == 27
    assert any(table.item(r, 0).text() == "2027-10-08" for r in range(table.rowCount()))

    click(qtbot, dialog, "确认本年度安排")
    assert "确认2027年" in answers.questions[-1]
    assert state.text().startswith("正式（管理员已确认）")
    assert win.ctx.calendar.knows(2027) and not win.ctx.calendar.is_workday(date(2027, 10, 8))
    with win.ctx.db.read() as s:
        assert holidays.year_status(s, 2027).confirmed


def test_leaders_directory(qtbot: QtBot, win: MainWindow) -> None:
    sign_in(win, "admin")
    dialog = LeadersAdminDialog(win.ctx, win.tasks, win.reference.user_id, win)
    qtbot.addWidget(dialog)
    dialog.show()
    table = by_name(dialog, QTableWidget, "领导列表")
    before = table.rowCount()
    click(qtbot, dialog, "新增领导")
    assert "请填写领导姓名和职务" in by_name(dialog, QLabel, "错误信息").text()
    type_into(qtbot, by_name(dialog, QLineEdit, "姓名"), "钱新民")
    type_into(qtbot, by_name(dialog, QLineEdit, "职务"), "副区长")
    by_name(dialog, QDateEdit, "生效日期").setDate(QDate(2027, 1, 1))
    click(qtbot, dialog, "新增领导")
    assert table.rowCount() == before + 1
    assert "自2027-01-01起参加轮值" in by_name(dialog, QLabel, "操作结果").text()
    newcomer = next(x for x in roster.leaders(win.ctx) if x.name == "钱新民")
    assert not newcomer.member_on(date(2026, 12, 31)) and newcomer.member_on(date(2027, 1, 4))

    dialog.select("钱新民")
    type_into(qtbot, by_name(dialog, QLineEdit, "新职务"), "区政府党组成员")
    click(qtbot, dialog, "修改职务")
    assert next(x for x in roster.leaders(win.ctx) if x.name == "钱新民").title == "区政府党组成员"

    dialog.select("钱新民")
    by_name(dialog, QDateEdit, "最后接访日").setDate(QDate(2027, 3, 31))
    click(qtbot, dialog, "退出轮值")
    left = next(x for x in roster.leaders(win.ctx) if x.name == "钱新民")
    assert left.member_on(date(2027, 3, 31)) and not left.member_on(date(2027, 4, 1))
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "钱新民")
    assert "2027-01-01至2027-03-31" in table.item(row, 4).text()


def test_absences(qtbot: QtBot, win: MainWindow) -> None:
    sign_in(win, "admin")
    dialog = AbsencesAdminDialog(win.ctx, win.tasks, win.reference.user_id, win)
    qtbot.addWidget(dialog)
    dialog.show()
    combo = by_name(dialog, QComboBox, "领导")
    assert combo.count() >= 1
    leader_id = combo.currentData()
    table = by_name(dialog, QTableWidget, "请假外出列表")
    before = table.rowCount()
    by_name(dialog, QDateEdit, "开始日期").setDate(QDate(2027, 1, 11))
    by_name(dialog, QDateEdit, "结束日期").setDate(QDate(2027, 1, 8))
    click(qtbot, dialog, "登记请假外出")
    assert "结束日期不能早于开始日期" in by_name(dialog, QLabel, "错误信息").text()
    by_name(dialog, QDateEdit, "结束日期").setDate(QDate(2027, 1, 15))
    type_into(qtbot, by_name(dialog, QLineEdit, "事由"), "出差")
    click(qtbot, dialog, "登记请假外出")
    assert table.rowCount() == before + 1
    leader = next(x for x in roster.leaders(win.ctx) if x.id == leader_id)
    assert leader.absence_on(date(2027, 1, 12)) and not leader.absence_on(date(2027, 1, 18))
    table.selectRow(table.rowCount() - 1)
    click(qtbot, dialog, "删除所选")
    assert table.rowCount() == before


def test_roster_page_cancels_and_moves_a_published_day_that_became_a_holiday(qtbot: QtBot, win: MainWindow,
                                                                            tmp_path: Path) -> None:
    from ui.main_window import PAGE_ROSTER

    sign_in(win, "admin")
    roster.generate_month(win.ctx, "2027-02")
    roster.publish_month(win.ctx, "2027-02", by="admin", force=True)
    good = tmp_path / "2027.csv"
    good.write_text(ARRANGEMENT_2027, encoding="utf-8")
    change = holidays.import_year(win.ctx, 2027, good, by="admin")
    assert [c[:10] for c in change.roster_conflicts][:3] == ["2027-02-09", "2027-02-10", "2027-02-11"]
    win.show_page(PAGE_ROSTER)
    page = win.roster_page
    page.set_month(2027, 2)
    page.select_day(date(2027, 2, 9))
    click(qtbot, page, "取消/改期")
    dialog = page.adjust_dialog
    assert dialog is not None
    assert by_name(dialog, QComboBox, "日期").currentData() == "2027-02-09"
    click(qtbot, dialog, "确定")
    assert "请填写调整原因" in dialog.error.text()
    type_into(qtbot, by_name(dialog, QLineEdit, "理由"), "春节调休放假")
    type_into(qtbot, by_name(dialog, QLineEdit, "批准人"), "王主任")
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible() and page.status_label.text().endswith("已发布第2版")
    assert "取消：2月9日" in page.changes_list.item(0).text()

    page.select_day(date(2027, 2, 10))
    click(qtbot, page, "取消/改期")
    dialog = page.adjust_dialog
    assert dialog is not None
    by_name(dialog, QComboBox, "处理").setCurrentIndex(1)
    by_name(dialog, QDateEdit, "改至日期").setDate(QDate(2027, 2, 7))  # a day off: refused, in the dialog
    type_into(qtbot, by_name(dialog, QLineEdit, "理由"), "调休")
    type_into(qtbot, by_name(dialog, QLineEdit, "批准人"), "王主任")
    click(qtbot, dialog, "确定")
    assert "2027-02-07 为春节" in dialog.error.text()
    by_name(dialog, QDateEdit, "改至日期").setDate(QDate(2027, 2, 13))  # the make-up Saturday
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible() and page.status_label.text().endswith("已发布第3版")
    assert [c[:10] for c in roster.published_conflicts(win.ctx, "2027-02")] == ["2027-02-11"]
