"""Leaders' work beyond the desk, as tabs of the 领导接访 page: 约访 (appointments), 下访 (down-visits with their
cases), 积案与包案 (backlog cases and case ownership).

Each tab is a read-only list loaded in the background with the buttons for its steps; each step is a small dialog of
labelled inputs (label = buddy = accessible name) whose core ``FieldErrors`` appear under their inputs, keeping
what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.errors import FieldError, FieldErrors
from reception.leader import beyond as core
from reception.leader.service import AppointmentInput, LeaderChoice, leader_choices
from ui.tasks import TaskManager, disable, error_message
from ui.widgets import Banner, FieldCell, button, confirm_row, field_label

HARD_MARK = "骨头案"
F_HARD = "hard"
"""The 骨头案 check box of 列为积案 (a choice, never in error)."""

LABELS = {core.F_CASES: "带案案件编号", core.F_CASE_NO: "案件编号", core.F_LEADER: "领导", core.F_DAY: "日期",
          core.F_PLACE: "地点", core.F_PURPOSE: "下访事由", core.F_RESULT: "下访成效", core.F_HOUSEHOLDS: "走访户数",
          core.F_REASON: "列为积案原因", core.F_RESOLUTION: "化解情况", core.F_RESOLVED_ON: "化解日期",
          core.F_TIME: "约访时间", core.F_HEADCOUNT: "人数", core.F_NOTE: "说明"}
"""The core's field keys and the label of each one's input."""


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(edit: QDateEdit) -> date:
    value = edit.date().toPython()
    assert isinstance(value, date)
    return value


def date_edit(d: date) -> QDateEdit:
    edit = QDateEdit(_qdate(d))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def text_edit(placeholder: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(64)
    return edit


def leader_combo(leaders: Sequence[LeaderChoice], placeholder: str = "请选择领导") -> QComboBox:
    combo = QComboBox()
    combo.setPlaceholderText(placeholder)
    for c in leaders:
        combo.addItem(c.label, c.id)
    combo.setCurrentIndex(-1)
    return combo


def table(headers: list[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setAccessibleName(name)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    t.verticalHeader().hide()
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def fill(t: QTableWidget, rows: Sequence[Sequence[str]], keys: Sequence[str]) -> None:
    """Rows of text; each row's first cell carries its record id (UserRole)."""
    t.setRowCount(len(rows))
    for r, (row, key) in enumerate(zip(rows, keys, strict=True)):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text if len(text) > 20 else "")
            if c == 0:
                item.setData(Qt.ItemDataRole.UserRole, key)
            t.setItem(r, c, item)
    t.resizeRowsToContents()


def selected_key(t: QTableWidget) -> str | None:
    rows = t.selectionModel().selectedRows()
    if not rows:
        return None
    item = t.item(rows[0].row(), 0)
    key = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
    return key if isinstance(key, str) else None


class FormDialog(QDialog):
    """A step of labelled inputs; 确定 runs ``submit`` (returning the core call) in the background."""

    saved = Signal(object)

    def __init__(self, title: str, tasks: TaskManager, intro: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.setWindowTitle(title)
        self.setMinimumWidth(500)
        self.inputs: dict[str, QWidget] = {}
        self.cells: dict[str, FieldCell] = {}
        self.result_: object = None
        layout = QVBoxLayout(self)
        self.message = Banner("info", self)
        self.intro = intro
        if intro:
            self.message.show_message(intro, "info")
        layout.addWidget(self.message)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        layout.addLayout(self.form)
        self.ok_button, self.cancel_button = confirm_row(layout, "确定", self.submit, self.reject)
        self.call: Callable[[], object] | None = None

    def add(self, name: str, widget: QWidget) -> QWidget:
        cell = FieldCell(widget)
        self.inputs[name] = widget
        self.cells[name] = cell
        if isinstance(widget, QCheckBox):
            widget.setAccessibleName(widget.text())
            label = QLabel("")
            label.setBuddy(widget)
            self.form.addRow(label, cell)
        else:
            self.form.addRow(field_label(LABELS[name], widget), cell)
        return widget

    def show_errors(self, errors: Sequence[FieldError]) -> None:
        unplaced: list[str] = []
        first: QWidget | None = None
        for e in errors:
            cell = self.cells.get(e.field)
            if cell is None:
                unplaced.append(e.message)
                continue
            cell.error.show_message(e.message)
            first = first or self.inputs[e.field]
        if unplaced:
            self.message.show_message("\n".join(unplaced), "error")
        if first is not None:
            first.setFocus()

    def clear_errors(self) -> None:
        for cell in self.cells.values():
            cell.error.clear_message()
        if self.intro:
            self.message.show_message(self.intro, "info")
        else:
            self.message.hide()

    def submit(self) -> None:
        assert self.call is not None
        self.clear_errors()

        def ok(result: object) -> None:
            self.result_ = result
            self.saved.emit(result)
            self.accept()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FieldErrors):
                self.show_errors(exc.errors)
            else:
                self.message.show_message(error_message(exc), "error")

        self.tasks.op(self.call, ok, what=self.windowTitle(), write=True, owner=self, on_error=failed,
                      busy=disable(self.ok_button))


class BeyondTab(QWidget):
    """A list with its step buttons and a status line; ``load`` runs in the background."""

    changed = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.loaded = False
        self.leaders: list[LeaderChoice] = []
        self.dialog: FormDialog | None = None
        self.actor: Callable[[], str | None] = lambda: None
        """Who records the steps (the page sets the signed-in user)."""
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 8, 0, 0)
        self.bar = QHBoxLayout()
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #546e7a;")
        self.bar.addWidget(self.hint, 1)
        self.refresh_button = button("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        self.layout_.addLayout(self.bar)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #1565c0;")
        self.message = Banner("info", self)
        self.layout_.addWidget(self.message)

    def add_button(self, text: str, slot: Callable[[], object]) -> None:
        b = button(text)
        b.clicked.connect(slot)
        self.bar.insertWidget(self.bar.count(), b)

    def finish_bar(self) -> None:
        self.bar.addWidget(self.refresh_button)
        self.layout_.addWidget(self.status)

    def today(self) -> date:
        return self.ctx.now().date()

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.refresh()

    def refresh(self) -> None:
        ctx, today = self.ctx, self.today()
        self.status.setText("正在读取…")

        def read() -> tuple[list[LeaderChoice], Any]:
            return leader_choices(ctx, today), self.load()

        def done(result: tuple[list[LeaderChoice], Any]) -> None:
            self.loaded = True
            self.leaders, data = result
            self.show_data(data)

        self.tasks.op(read, done, what=type(self).__name__, owner=self, message=self.status.setText,
                      prefix="读取失败：")

    def load(self) -> Any:
        raise NotImplementedError

    def show_data(self, data: Any) -> None:
        raise NotImplementedError

    def open_dialog(self, dialog: FormDialog, success: str) -> FormDialog:
        def saved(_result: object) -> None:
            self.message.show_message(success, "success")
            self.refresh()
            self.changed.emit()

        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(saved)
        self.dialog = dialog
        dialog.open()
        return dialog


# --- 约访 ------------------------------------------------------------------------------------------------------------


class AppointmentsTab(BeyondTab):
    DAYS_AHEAD = 60

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(ctx, tasks, "约访：领导约定日期、时间、地点接待信访人，约访当天列入接访队列。", parent)
        self.add_button("新建约访", self.new_appointment)
        self.finish_bar()
        self.table = table(["日期", "时间", "案件编号", "接访领导", "地点", "人数", "案件状态", "说明"], "约访列表")
        self.layout_.insertWidget(2, self.table, 1)
        self.rows: list[core.AppointmentRow] = []

    def load(self) -> list[core.AppointmentRow]:
        today = self.today()
        return core.appointments(self.ctx, today, today + timedelta(days=self.DAYS_AHEAD), actor_id=self.actor())

    def show_data(self, data: list[core.AppointmentRow]) -> None:
        self.rows = data
        fill(self.table, [[f"{r.day:%Y-%m-%d}", r.time or "—", r.case_no, r.leader, r.place, str(r.headcount),
                           r.status_label, r.note] for r in data], [r.id for r in data])
        self.status.setText(f"今后{self.DAYS_AHEAD}日内约访{len(data)}件" if data else "今后暂无约访。")

    def new_appointment(self) -> FormDialog:
        d = FormDialog("新建约访", self.tasks, "约访当天，该案件列入领导接访队列。", self)
        case_no = d.add(core.F_CASE_NO, QLineEdit())
        assert isinstance(case_no, QLineEdit)
        case_no.setPlaceholderText("如 JD01-20261128-0001")
        day = date_edit(self.today() + timedelta(days=1))
        day.setMinimumDate(_qdate(self.today()))
        d.add(core.F_DAY, day)
        time = QLineEdit()
        time.setPlaceholderText("时:分，如 09:30")
        d.add(core.F_TIME, time)
        leader = leader_combo(self.leaders)
        d.add(core.F_LEADER, leader)
        place = QLineEdit("区信访接待中心")
        d.add(core.F_PLACE, place)
        heads = QSpinBox()
        heads.setRange(1, 500)
        heads.setSuffix(" 人")
        d.add(core.F_HEADCOUNT, heads)
        note = QLineEdit()
        d.add(core.F_NOTE, note)
        ctx, actor = self.ctx, self.actor()

        def call() -> str:
            data = leader.currentData()
            form = AppointmentInput("", _pydate(day), time.text(), data if isinstance(data, str) else None,
                                    place.text(), heads.value(), note.text())
            return core.schedule_by_case_no(ctx, case_no.text(), form, actor_id=actor)

        d.call = call
        return self.open_dialog(d, "已新建约访。")


# --- 下访 ------------------------------------------------------------------------------------------------------------


class DownVisitsTab(BeyondTab):
    DAYS_BACK = 365

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(ctx, tasks, "下访：领导带案下访（无会周）、走访群众，记录所带案件和下访成效。", parent)
        self.add_button("新建下访", self.new_down_visit)
        self.finish_bar()
        self.table = table(["日期", "下访领导", "地点", "下访事由", "带案", "走访户数", "下访成效"], "下访列表")
        self.layout_.insertWidget(2, self.table, 1)
        self.rows: list[core.DownVisitRow] = []

    def load(self) -> list[core.DownVisitRow]:
        today = self.today()
        return core.down_visits(self.ctx, today - timedelta(days=self.DAYS_BACK), today + timedelta(days=60),
                                actor_id=self.actor())

    def show_data(self, data: list[core.DownVisitRow]) -> None:
        self.rows = data
        fill(self.table, [[f"{r.day:%Y-%m-%d}", r.leader, r.place, r.purpose, r.case_nos or "—", str(r.households),
                           r.result] for r in data], [r.id for r in data])
        cases = sum(len(r.cases) for r in data)
        self.status.setText(f"近一年下访{len(data)}次，带案{cases}件" if data else "近一年暂无下访记录。")

    def new_down_visit(self) -> FormDialog:
        d = FormDialog("新建下访", self.tasks, "所带案件的办理过程中记入“领导带案下访”。", self)
        leader = leader_combo(self.leaders)
        d.add(core.F_LEADER, leader)
        day = date_edit(self.today())
        d.add(core.F_DAY, day)
        place = QLineEdit()
        place.setPlaceholderText("乡镇（街道）、村（社区）或单位")
        d.add(core.F_PLACE, place)
        cases = QLineEdit()
        cases.setPlaceholderText("多个编号用逗号或空格分开")
        d.add(core.F_CASES, cases)
        purpose = text_edit("如：无会周带案下访、化解群体性矛盾")
        d.add(core.F_PURPOSE, purpose)
        result = text_edit("下访后填写")
        d.add(core.F_RESULT, result)
        homes = QSpinBox()
        homes.setRange(0, 100000)
        homes.setSuffix(" 户")
        d.add(core.F_HOUSEHOLDS, homes)
        ctx, actor = self.ctx, self.actor()

        def call() -> str:
            data = leader.currentData()
            form = core.DownVisitInput(data if isinstance(data, str) else None, _pydate(day), place.text(),
                                       cases.text(), purpose.toPlainText(), result.toPlainText(), homes.value())
            return core.create_down_visit(ctx, form, actor_id=actor)

        d.call = call
        return self.open_dialog(d, "已记录下访。")


# --- 积案与包案 -------------------------------------------------------------------------------------------------


class BacklogTab(BeyondTab):
    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(ctx, tasks, "积案：长期未化解的信访事项（骨头案优先），化解后记录化解情况；"
                                     "包案：领导包案的事项，化解或办结后结束包案。", parent)
        self.add_button("列为积案", self.new_backlog)
        self.add_button("化解积案", self.resolve_selected)
        self.add_button("结束包案", self.end_selected_ownership)
        self.finish_bar()
        self.table = table(["案件编号", "类型", "列入日期", "列为积案原因", "责任领导", "案件状态", "化解日期",
                            "化解情况"], "积案列表")
        self.owners = table(["案件编号", "包案领导", "包案日期", "案件状态"], "包案列表")
        backlog_title = QLabel("积案")
        backlog_title.setStyleSheet("font-weight: bold;")
        owners_title = QLabel("领导包案")
        owners_title.setStyleSheet("font-weight: bold;")
        self.layout_.insertWidget(2, backlog_title)
        self.layout_.insertWidget(3, self.table, 3)
        self.layout_.insertWidget(4, owners_title)
        self.layout_.insertWidget(5, self.owners, 2)
        self.rows: list[core.BacklogRow] = []
        self.owner_rows: list[core.OwnershipRow] = []

    def load(self) -> tuple[list[core.BacklogRow], list[core.OwnershipRow]]:
        actor = self.actor()
        return core.backlog(self.ctx, actor_id=actor), core.ownerships(self.ctx, actor_id=actor)

    def show_data(self, data: tuple[list[core.BacklogRow], list[core.OwnershipRow]]) -> None:
        self.rows, self.owner_rows = data
        fill(self.table, [[r.case_no, HARD_MARK if r.hard else "积案", f"{r.listed_on:%Y-%m-%d}", r.reason, r.leader,
                           r.status_label, f"{r.resolved_on:%Y-%m-%d}" if r.resolved_on else "未化解", r.resolution]
                          for r in self.rows], [r.id for r in self.rows])
        for r, row in enumerate(self.rows):
            cell = self.table.item(r, 1)
            if cell is not None and row.hard and not row.resolved:
                cell.setForeground(QBrush(QColor("#b71c1c")))
        fill(self.owners, [[o.case_no, o.leader, f"{o.since:%Y-%m-%d}", o.status_label] for o in self.owner_rows],
             [o.id for o in self.owner_rows])
        open_rows = [r for r in self.rows if not r.resolved]
        hard = sum(1 for r in open_rows if r.hard)
        done = len(self.rows) - len(open_rows)
        self.status.setText(f"未化解积案{len(open_rows)}件（骨头案{hard}件），已化解{done}件；"
                            f"领导包案{len(self.owner_rows)}件")

    def new_backlog(self) -> FormDialog:
        d = FormDialog("列为积案", self.tasks, "责任领导默认为该案件的包案领导。", self)
        case_no = QLineEdit()
        d.add(core.F_CASE_NO, case_no)
        reason = text_edit("如：历时多年、多次重复访、涉及多个部门")
        d.add(core.F_REASON, reason)
        hard = QCheckBox("骨头案（疑难复杂、长期未化解）")
        d.add(F_HARD, hard)
        leader = leader_combo(self.leaders, "默认为包案领导")
        d.add(core.F_LEADER, leader)
        ctx, actor = self.ctx, self.actor()

        def call() -> str:
            data = leader.currentData()
            return core.list_backlog_case(ctx, core.BacklogInput(case_no.text(), reason.toPlainText(),
                                                                 hard.isChecked(),
                                                                 data if isinstance(data, str) else None),
                                          actor_id=actor)

        d.call = call
        return self.open_dialog(d, "已列为积案。")

    def resolve_selected(self) -> FormDialog | None:
        key = selected_key(self.table)
        row = next((r for r in self.rows if r.id == key), None)
        if row is None or row.resolved:
            self.message.show_message("请先在积案列表中选择一件未化解的积案。", "warning")
            return None
        d = FormDialog(f"化解积案 — {row.case_no}", self.tasks, "化解后，该案件的领导包案随之结束。", self)
        text = text_edit("如何化解、信访人态度")
        d.add(core.F_RESOLUTION, text)
        day = date_edit(self.today())
        d.add(core.F_RESOLVED_ON, day)
        ctx, backlog_id, actor = self.ctx, row.id, self.actor()

        def call() -> core.BacklogRow:
            return core.resolve_backlog_case(ctx, backlog_id, text.toPlainText(), _pydate(day), actor_id=actor)

        d.call = call
        return self.open_dialog(d, f"积案 {row.case_no} 已化解。")

    def end_selected_ownership(self) -> FormDialog | None:
        key = selected_key(self.owners)
        row = next((o for o in self.owner_rows if o.id == key), None)
        if row is None:
            self.message.show_message("请先在领导包案列表中选择一件。", "warning")
            return None
        d = FormDialog(f"结束包案 — {row.case_no}", self.tasks, f"{row.leader}自{row.since:%Y-%m-%d}包案。", self)
        day = date_edit(self.today())
        d.add(core.F_DAY, day)
        note = QLineEdit()
        note.setPlaceholderText("如：已化解、已办结、改由其他领导包案")
        d.add(core.F_NOTE, note)
        ctx, ownership_id, actor = self.ctx, row.id, self.actor()

        def call() -> None:
            core.end_ownership(ctx, ownership_id, _pydate(day), note.text(), actor_id=actor)

        d.call = call
        return self.open_dialog(d, f"{row.case_no} 的包案已结束。")


__all__ = ["AppointmentsTab", "BacklogTab", "BeyondTab", "DownVisitsTab", "FormDialog"]
