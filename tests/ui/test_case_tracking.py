"""Case tracking in 案件查询: due-soon, overdue, supervision and outbox tabs; clocks and steps in the detail."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reception.domain.enums import CaseStatus
from reception.intake.cases import search_cases
from reception.intake.dto import CaseSummary
from reception.lifecycle import machine as m
from reception.lifecycle.notify import RecordingGateway, outbox, outbox_counts
from reception.lifecycle.service import apply, overdue, supervision_list
from tests.ui.helpers import by_name, click, fill_valid, sign_in, type_into
from ui.cases.actions import ACTIONS, ActionDialog
from ui.cases.detail import CaseDetailDialog
from ui.cases.model import ObjectRole, SortRole
from ui.cases.page import TAB_DUE_SOON, TAB_OUTBOX, TAB_OVERDUE, TAB_SUPERVISION, CaseListPage
from ui.cases.tracking_models import (
    CLOCK_COL_PROGRESS,
    CLOCK_COLOURS,
    OUT_COL_STATUS,
    SUP_COL_LEFT,
    ClockTableModel,
    OutboxTableModel,
    SupervisionTableModel,
    clock_text,
)
from ui.main_window import PAGE_CASES, MainWindow

LATER = timedelta(days=90)
"""Far enough ahead that the demo cases in handling (60 days from acceptance) are overdue."""


def _later(window: MainWindow) -> datetime:
    moment = window.ctx.now() + LATER
    window.ctx.now = lambda: moment
    return moment


def _cases_page(window: MainWindow) -> CaseListPage:
    window.show_page(PAGE_CASES)
    return window.cases_page


def _new_case(qtbot: QtBot, window: MainWindow) -> CaseSummary:
    page = window.intake_page
    fill_valid(qtbot, page.form, name="紫霞光")
    click(qtbot, page, "保存")
    assert page.result is not None
    return next(c for c in search_cases(window.ctx, page.result.case_no) if c.id == page.result.case_id)


def _clock_texts(dialog: CaseDetailDialog) -> list[str]:
    return [dialog.clocks.item(r, 1).text() for r in range(dialog.clocks.rowCount())]


def _colour(brush: object) -> str:
    assert isinstance(brush, QBrush)
    return brush.color().name()


def test_clock_text() -> None:
    assert clock_text(15, 3, 12) == "允许15日，已过3日，剩12日"
    assert clock_text(5, 7, -2, working=True) == "允许5个工作日，已过7个工作日，超期2个工作日"
    assert clock_text(30, 31, -1, window=True) == "允许30日，已过31日，已届满"


def test_tracking_models_contract(qtmodeltester: ModelTester, window: MainWindow) -> None:
    _later(window)
    rows = overdue(window.ctx).rows
    assert rows
    clocks = ClockTableModel()
    clocks.set_rows(rows)
    qtmodeltester.check(clocks, force_py=True)
    index = clocks.index(0, CLOCK_COL_PROGRESS)
    assert index.data(ObjectRole) is rows[0]
    assert isinstance(index.data(SortRole), int)
    assert _colour(index.data(Qt.ItemDataRole.BackgroundRole)) == CLOCK_COLOURS["red"][0]

    case = rows[0]
    apply(window.ctx, case.case_id, m.Supervise("请加快办理"), actor_id=None)
    total, sups = supervision_list(window.ctx)
    assert total >= 1
    supervision = SupervisionTableModel()
    supervision.set_rows(sups)
    qtmodeltester.check(supervision, force_py=True)
    assert supervision.index(0, SUP_COL_LEFT).data().startswith("剩")

    notices = OutboxTableModel()
    notices.set_rows(outbox(window.ctx))
    assert notices.rowCount() > 0
    qtmodeltester.check(notices, force_py=True)
    for model in (clocks, supervision, notices):
        model.set_rows([])
        qtmodeltester.check(model, force_py=True)


def test_overdue_and_due_soon_tabs(qtbot: QtBot, window: MainWindow) -> None:
    _later(window)
    page = _cases_page(window)
    expected = overdue(window.ctx)
    assert expected.total > 0
    assert page.tabs.tabText(TAB_OVERDUE) == f"超期案件 ({expected.total})"  # counted on arrival
    assert page.tabs.tabText(TAB_DUE_SOON).startswith("临期提醒 (")
    page.show_tab(TAB_OVERDUE)
    tab = page.overdue_tab
    shown = {r.case_no for r in tab.rows()}
    assert expected.rows[0].case_no in shown
    row = next(r for r in range(tab.proxy.rowCount()) if tab.row_at(r).case_no == expected.rows[0].case_no)
    cell = tab.proxy.index(row, CLOCK_COL_PROGRESS)
    assert "超期" in cell.data() and cell.data().startswith("允许")
    assert _colour(cell.data(Qt.ItemDataRole.BackgroundRole)) == CLOCK_COLOURS["red"][0]

    # the unit filter: 全部 and each unit
    combo = by_name(tab, QComboBox, "责任单位")
    assert combo.itemText(0) == "全部" and combo.count() > 1
    unit = expected.rows[0].unit_id
    combo.setCurrentIndex(combo.findData(unit))
    assert tab.rows() and all(r.unit_id == unit for r in tab.rows())
    assert page.tabs.tabText(TAB_OVERDUE) == f"超期案件 ({overdue(window.ctx, unit_id=unit).total})"

    # double-click opens the case's detail, with its red clock
    tab.table.doubleClicked.emit(tab.proxy.index(0, 0))
    dialog = page.dialog
    assert dialog is not None and dialog.case.case_no == tab.row_at(0).case_no
    assert any("超期" in t for t in _clock_texts(dialog))
    dialog.close()

    # the timer refreshes every tab
    assert page.timer.isActive()
    page.timer.timeout.emit()
    assert page.supervision_tab.total is not None


def test_detail_clocks_and_lifecycle_steps(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    sign_in(window, "supervisor")  # records the unit's steps at the centre (the desk officer may not)
    page = _cases_page(window)
    dialog = page.open_case(case)
    texts = _clock_texts(dialog)
    assert any(t.startswith("允许3个工作日，已过0个工作日") for t in texts), texts  # 签收 (local rule)
    assert dialog.clock_box.title() == "办理时限" and dialog.action_box.title() == "办理"
    names = [b.text() for b in dialog.action_buttons]
    assert names == ["签收", "异议退回", "受理", "不予受理", "督办"]
    green = dialog.clocks.item(0, 1).background().color().name()
    assert green == CLOCK_COLOURS["green"][0]

    click(qtbot, dialog, "签收")
    action = dialog.action_dialog
    assert action is not None and action.isVisible()
    today = window.ctx.now().date()
    assert by_name(action, QDateEdit, "收到日期").date() == QDate(today.year, today.month, today.day)
    click(qtbot, action, "确定")
    assert not action.isVisible()
    assert dialog.status_label.text() == CaseStatus.SIGNED.label
    texts = _clock_texts(dialog)  # the Art. 23 clocks start at signing
    assert any(t.startswith("允许15日，已过0日") for t in texts), texts
    assert [b.text() for b in dialog.action_buttons] == ["异议退回", "受理", "不予受理", "督办"]

    click(qtbot, dialog, "受理")
    action = dialog.action_dialog
    assert action is not None
    click(qtbot, action, "确定")
    assert dialog.status_label.text() == CaseStatus.ACCEPTED.label
    texts = _clock_texts(dialog)
    assert any(t.startswith("允许60日，已过0日，剩60日") for t in texts), texts
    assert "延期" in [b.text() for b in dialog.action_buttons]
    assert dialog.events.rowCount() >= 4  # received, assigned, signed, accepted
    assert "已受理" in dialog.message.label.text()


def test_illegal_step_shows_the_chinese_message(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    sign_in(window, "supervisor")
    page = _cases_page(window)
    dialog = page.open_case(case)
    click(qtbot, dialog, "不予受理")
    action = dialog.action_dialog
    assert action is not None
    type_into(qtbot, by_name(action, QLineEdit, "应当通过的途径"), "行政复议")
    click(qtbot, action, "确定")
    assert action.isVisible()
    error = action.cells["reason"].error
    assert error.isVisibleTo(action) and error.text() == "请填写不予受理的理由"
    by_name(action, QPlainTextEdit, "不予受理理由").setPlainText("属于行政复议受理范围")
    click(qtbot, action, "确定")
    assert not action.isVisible()
    assert dialog.status_label.text() == CaseStatus.NOT_ACCEPTED.label

    # a step the state does not allow any more: the machine's message at the top of the dialog
    accept = next(a for a in ACTIONS if a.text == "受理")
    stale = ActionDialog(window.ctx, window.tasks, case.id, case.case_no, accept, None, dialog)
    qtbot.addWidget(stale)
    stale.show()
    click(qtbot, stale, "确定")
    assert stale.message.isVisible()
    assert stale.message.label.text() == "案件已不予受理，不能受理"


def test_outbox_tab_sends_pending_notices(qtbot: QtBot, window: MainWindow) -> None:
    page = _cases_page(window)
    gateway = RecordingGateway()
    page.gateway = gateway
    pending = outbox_counts(window.ctx).get("pending", 0)
    assert pending > 0
    page.show_tab(TAB_OUTBOX)
    tab = page.outbox_tab
    assert page.tabs.tabText(TAB_OUTBOX) == f"短信通知 ({pending})"
    statuses = [tab.proxy.index(r, OUT_COL_STATUS).data() for r in range(tab.proxy.rowCount())]
    assert "待发送" in statuses
    row = statuses.index("待发送")
    assert _colour(tab.proxy.index(row, OUT_COL_STATUS).data(Qt.ItemDataRole.BackgroundRole)) == \
        CLOCK_COLOURS["amber"][0]
    assert "待发送" in tab.status.text() and "已发送" in tab.status.text()
    click(qtbot, tab, "发送待发通知")
    assert len(gateway.sent) == pending
    assert outbox_counts(window.ctx).get("pending", 0) == 0
    statuses = {tab.proxy.index(r, OUT_COL_STATUS).data() for r in range(tab.proxy.rowCount())}
    assert "待发送" not in statuses and "已发送" in statuses
    assert page.tabs.tabText(TAB_OUTBOX) == "短信通知 (0)"
    assert f"本次发送成功{pending}条" in tab.status.text()
    assert not by_name(tab, QPushButton, "发送待发通知").isEnabled()


def test_supervision_tab_lists_a_supervised_case(qtbot: QtBot, window: MainWindow) -> None:
    _later(window)
    page = _cases_page(window)
    row = overdue(window.ctx).rows[0]
    apply(window.ctx, row.case_id, m.Supervise("请加快办理并反馈"), actor_id=None)
    page.show_tab(TAB_SUPERVISION)
    tab = page.supervision_tab
    assert row.case_no in [r.case_no for r in tab.rows()]
    assert page.tabs.tabText(TAB_SUPERVISION).startswith("督办 (")


def test_action_dialogs_accessibility(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    for action in ACTIONS:
        dialog = ActionDialog(window.ctx, window.tasks, case.id, case.case_no, action, None)
        qtbot.addWidget(dialog)
        dialog.show()
        buddies = {id(label.buddy()): label.text() for label in dialog.findChildren(QLabel) if label.buddy()}
        inputs: list[QWidget] = []
        for cls in (QLineEdit, QPlainTextEdit, QComboBox, QDateEdit, QSpinBox, QCheckBox):
            inputs += [w for w in dialog.findChildren(cls)
                       if not (isinstance(w, QLineEdit) and isinstance(w.parentWidget(), QAbstractSpinBox))]
        assert len(inputs) == len(action.fields), action.text
        for w in inputs:
            assert w.accessibleName(), f"{action.text}: {type(w).__name__} without an accessible name"
            if isinstance(w, QCheckBox):
                assert w.accessibleName() == w.text()
            else:
                assert buddies.get(id(w)) == w.accessibleName(), f"{action.text}: {w.accessibleName()}"
        for b in dialog.findChildren(QPushButton):
            assert b.accessibleName() == b.text()
        dialog.close()
    page = _cases_page(window)
    dialog = page.open_case(case)
    for b in page.findChildren(QPushButton) + dialog.findChildren(QPushButton):
        assert b.accessibleName() == b.text(), b.text()
