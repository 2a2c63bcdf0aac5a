"""The 领导接访 page beyond today's queue: 现场解决 closing the loop on the spot, and the 约访, 下访 and 积案与包案 tabs
driven through their dialogs (labelled inputs, errors under the fields), checked against the database."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import BacklogCase, Case, CaseClock, CaseOwnership, DownVisit
from reception.leader import beyond as core
from reception.leader import service as ls
from tests.ui.helpers import by_name, choose, click, type_into
from tests.ui.test_leader_page import open_page, select_case, send_to_leader
from ui.leader.beyond import FormDialog
from ui.main_window import MainWindow


def _accessible(dialog: FormDialog) -> None:
    buddies = {id(lab.buddy()): lab.text() for lab in dialog.findChildren(QLabel) if lab.buddy() is not None}
    for w in dialog.inputs.values():
        assert id(w) in buddies, w.accessibleName()
        if isinstance(w, QCheckBox):
            assert w.accessibleName() == w.text()
        else:
            assert buddies[id(w)] == w.accessibleName() != ""
    for b in dialog.findChildren(QPushButton):
        assert b.accessibleName() == b.text()


def test_resolved_on_the_spot_is_the_cases_reply(qtbot: QtBot, window: MainWindow) -> None:
    case_no = send_to_leader(window, name="邝国梁", headcount=1)
    page = open_page(window)
    select_case(page, case_no)
    type_into(qtbot, by_name(page, QPlainTextEdit, "现场答复"), "当场协调物业公司今日修复电梯")
    choose(by_name(page, QComboBox, "处理结果"), "现场解决")
    choose(by_name(page, QComboBox, "信访人态度"), "满意")
    click(qtbot, page, "保存接访记录")
    assert "已答复" in page.banner.label.text(), page.banner.label.text()
    with window.ctx.db.read() as s:
        case = s.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None and case.status == "replied"
        keys = set(s.scalars(select(CaseClock.clock_key).where(CaseClock.case_id == case.id)))
    assert keys == {"evaluation"}  # the intake clock stopped; the evaluation window runs


def test_appointments_tab(qtbot: QtBot, window: MainWindow) -> None:
    page = open_page(window)
    page.show_tab(1)
    tab = page.appointments_tab
    assert tab.isVisible() and len(tab.rows) == 3  # the demo's appointments
    click(qtbot, tab, "新建约访")
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    _accessible(dialog)
    click(qtbot, dialog, "确定")
    assert dialog.isVisible()
    assert dialog.cells["case_no"].error.text() == "请填写一个案件编号"
    assert dialog.cells["leader"].error.text() == "请选择领导"
    case_no = send_to_leader(window, name="邝国华")
    type_into(qtbot, by_name(dialog, QLineEdit, "案件编号"), case_no)
    by_name(dialog, QComboBox, "领导").setCurrentIndex(0)
    type_into(qtbot, by_name(dialog, QLineEdit, "约访时间"), "25:00")
    click(qtbot, dialog, "确定")
    assert "时间格式" in dialog.cells["time"].error.text()
    assert by_name(dialog, QLineEdit, "案件编号").text() == case_no  # kept
    by_name(dialog, QLineEdit, "约访时间").setText("16:30")
    today = window.ctx.now().date()
    by_name(dialog, QDateEdit, "日期").setDate(QDate(today.year, today.month, today.day))
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible()
    assert "已新建约访" in tab.message.label.text()
    assert [r.time for r in tab.rows if r.case_no == case_no] == ["16:30"]
    # today's appointment joins the leader's queue
    assert any(q.case_no == case_no and q.source == "appointment" for q in page.model.rows())


def test_down_visits_tab(qtbot: QtBot, window: MainWindow) -> None:
    page = open_page(window)
    page.show_tab(2)
    tab = page.down_visits_tab
    assert len(tab.rows) == 3 and all(r.cases for r in tab.rows)
    before = len(tab.rows)
    click(qtbot, tab, "新建下访")
    dialog = tab.dialog
    assert dialog is not None
    _accessible(dialog)
    by_name(dialog, QComboBox, "领导").setCurrentIndex(1)
    type_into(qtbot, by_name(dialog, QLineEdit, "地点"), "雨溪街道唐四社区")
    taken = tab.rows[0].cases[0].case_no
    type_into(qtbot, by_name(dialog, QLineEdit, "带案案件编号"), f"{taken}, JD09-20200101-0009")
    click(qtbot, dialog, "确定")
    assert dialog.cells["cases"].error.text() == "未找到案件编号：JD09-20200101-0009"
    by_name(dialog, QLineEdit, "带案案件编号").setText(taken)
    by_name(dialog, QPlainTextEdit, "下访事由").setPlainText("无会周带案下访")
    by_name(dialog, QPlainTextEdit, "下访成效").setPlainText("现场答复群众诉求")
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible()
    assert len(tab.rows) == before + 1 and tab.rows[0].place == "雨溪街道唐四社区"
    with window.ctx.db.read() as s:
        assert s.scalar(select(DownVisit).where(DownVisit.place == "雨溪街道唐四社区")) is not None


def test_backlog_and_ownership_tab(qtbot: QtBot, window: MainWindow) -> None:
    page = open_page(window)
    page.show_tab(3)
    tab = page.backlog_tab
    assert [r.hard for r in tab.rows if not r.resolved] == [True, False] and any(r.resolved for r in tab.rows)
    assert len(tab.owner_rows) == 1
    assert "骨头案1件" in tab.status.text()
    click(qtbot, tab, "化解积案")  # nothing selected
    assert "请先在积案列表中选择" in tab.message.label.text()
    tab.table.selectRow(0)  # the 骨头案
    hard = tab.rows[0]
    click(qtbot, tab, "化解积案")
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    _accessible(dialog)
    click(qtbot, dialog, "确定")
    assert dialog.cells["resolution"].error.text() == "请写明化解情况"
    by_name(dialog, QPlainTextEdit, "化解情况").setPlainText("包案领导协调解决，信访人息诉罢访")
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible()
    with window.ctx.db.read() as s:
        row = s.get(BacklogCase, hard.id)
        assert row is not None and row.resolved_on == window.ctx.now().date()
        # the 骨头案 was owned by a leader: the ownership ended with the resolution
        assert s.scalar(select(CaseOwnership.ended_on).where(CaseOwnership.case_id == hard.case_id)) is not None
    assert tab.owner_rows == []

    click(qtbot, tab, "列为积案")
    dialog = tab.dialog
    assert dialog is not None
    _accessible(dialog)
    other = next(r for r in core.appointments(window.ctx, window.ctx.now().date(),
                                              window.ctx.now().date().replace(year=2100)))
    type_into(qtbot, by_name(dialog, QLineEdit, "案件编号"), other.case_no)
    by_name(dialog, QPlainTextEdit, "列为积案原因").setPlainText("多次重复来访")
    by_name(dialog, QCheckBox, "骨头案（疑难复杂、长期未化解）").setChecked(True)
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible()
    assert any(r.case_no == other.case_no and r.hard for r in tab.rows)


def test_ending_an_ownership_by_hand(qtbot: QtBot, window: MainWindow) -> None:
    page = open_page(window)
    page.show_tab(3)
    tab = page.backlog_tab
    tab.owners.selectRow(0)
    own = tab.owner_rows[0]
    click(qtbot, tab, "结束包案")
    dialog = tab.dialog
    assert dialog is not None
    _accessible(dialog)
    click(qtbot, dialog, "确定")
    assert "请写明结束包案的原因" in dialog.cells["note"].error.text()
    by_name(dialog, QLineEdit, "说明").setText("改由区长包案")
    click(qtbot, dialog, "确定")
    assert not dialog.isVisible() and tab.owner_rows == []
    assert ls.case_owner(window.ctx, own.case_id) is None


def test_beyond_tabs_have_named_buttons(window: MainWindow) -> None:
    page = open_page(window)
    for index in (1, 2, 3):
        page.show_tab(index)
        widget = page.tabs.widget(index)
        assert isinstance(widget, QWidget)
        for b in widget.findChildren(QPushButton):
            assert b.accessibleName() == b.text()
