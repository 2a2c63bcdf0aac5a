"""接访领导名录 and 请假外出: the administrator's screens for the leaders directory and the leaders' absences.

The directory: add a leader (from an effective date), change a title, retire a leader after a last day (published
roster months never change: the next generated months follow). Absences: a leader's leave or trips (start, end,
reason), which the roster generation respects and the published roster flags. All writes run on the writer thread
through ``reception.roster.service`` (which checks the permission); errors are shown in Chinese in the dialog.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.roster import service
from reception.roster.rotation import RosterLeader
from ui.tasks import TaskManager
from ui.widgets import ErrorLabel, button, field_label


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def _date_edit(d: date) -> QDateEdit:
    edit = QDateEdit(_qdate(d))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _membership_text(x: RosterLeader, today: date) -> str:
    if not x.active:
        return "已停用"
    if not x.periods:
        return "轮值中"
    now = "轮值中" if x.member_on(today) else "不在轮值"
    spans = "；".join(f"{p.start.isoformat() if p.start else '…'}至{p.end.isoformat() if p.end else '…'}"
                      for p in x.periods)
    return f"{now}（{spans}）"


class _Base(QDialog):
    def __init__(self, ctx: AppContext, tasks: TaskManager, by: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.by = ctx, tasks, by
        self.leader_rows: list[RosterLeader] = []
        self.error = ErrorLabel()
        self.error.setAccessibleName("错误信息")
        self.result_label = QLabel()
        self.result_label.setAccessibleName("操作结果")
        self.result_label.setWordWrap(True)

    def _write(self, fn: object, message: str, what: str) -> None:
        self.error.clear_message()

        def done(_result: object) -> None:
            self.result_label.setText(message)
            self.refresh()

        self.tasks.op(fn, done, what=what, write=True, owner=self, message=self.error.show_message)  # type: ignore[arg-type]

    def refresh(self) -> None:  # pragma: no cover (overridden)
        raise NotImplementedError


class LeadersAdminDialog(_Base):
    """接访领导名录: add, change title, retire with an effective date."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, by: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, tasks, by, parent)
        self.setObjectName("leadersAdmin")
        self.setWindowTitle("接访领导名录")
        self.resize(860, 560)
        today = ctx.now().date()
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName("领导列表")
        self.table.setHorizontalHeaderLabels(["姓名", "职务", "排序", "电话", "轮值"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)

        add = QGridLayout()
        add.addWidget(QLabel("新增领导"), 0, 0)
        self.name_edit, self.title_edit, self.phone_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.rank_spin = QSpinBox()
        self.rank_spin.setRange(0, 999)
        self.from_edit = _date_edit(today)
        self.rotation_check = QCheckBox("参加轮值")
        self.rotation_check.setAccessibleName("参加轮值")
        self.rotation_check.setChecked(True)
        for col, (text, widget) in enumerate((("姓名", self.name_edit), ("职务", self.title_edit),
                                              ("排序", self.rank_spin), ("电话", self.phone_edit),
                                              ("生效日期", self.from_edit))):
            add.addWidget(field_label(text, widget), 1 + col // 3, 2 * (col % 3))
            add.addWidget(widget, 1 + col // 3, 2 * (col % 3) + 1)
        add.addWidget(self.rotation_check, 2, 4)
        self.add_button = button("新增领导")
        self.add_button.clicked.connect(self.add)
        add.addWidget(self.add_button, 2, 5)
        layout.addLayout(add)

        change = QHBoxLayout()
        self.new_title_edit = QLineEdit()
        change.addWidget(field_label("新职务", self.new_title_edit))
        change.addWidget(self.new_title_edit)
        self.title_button = button("修改职务")
        self.title_button.clicked.connect(self.change_title)
        change.addWidget(self.title_button)
        self.last_day_edit = _date_edit(today)
        change.addWidget(field_label("最后接访日", self.last_day_edit))
        change.addWidget(self.last_day_edit)
        self.retire_button = button("退出轮值")
        self.retire_button.clicked.connect(self.retire)
        change.addWidget(self.retire_button)
        layout.addLayout(change)
        layout.addWidget(self.error)
        layout.addWidget(self.result_label)
        close = button("关闭")
        close.clicked.connect(self.close)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        self.leader_rows = service.leaders(self.ctx)
        today = self.ctx.now().date()
        self.table.setRowCount(len(self.leader_rows))
        for r, x in enumerate(self.leader_rows):
            for c, text in enumerate((x.name, x.title, str(x.rank_order), x.phone, _membership_text(x, today))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def selected(self) -> RosterLeader | None:
        rows = self.table.selectionModel().selectedRows()
        return self.leader_rows[rows[0].row()] if rows else None

    def select(self, name: str) -> None:
        for r, x in enumerate(self.leader_rows):
            if x.name == name:
                self.table.selectRow(r)
                return
        raise LookupError(name)

    def add(self) -> None:
        name, title = self.name_edit.text().strip(), self.title_edit.text().strip()
        if not name or not title:
            self.error.show_message("请填写领导姓名和职务")
            return
        start = _pydate(self.from_edit.date())
        rank, phone, rotation = self.rank_spin.value(), self.phone_edit.text().strip(), self.rotation_check.isChecked()

        def run() -> str:
            return service.add_leader(self.ctx, name, title, rank_order=rank, phone=phone, active_from=start,
                                      in_rotation=rotation, by=self.by)

        self._write(run, f"已新增{name}（{title}），自{start.isoformat()}起参加轮值" if rotation
                    else f"已新增{name}（{title}）", "leader_add")
        self.name_edit.clear()
        self.title_edit.clear()
        self.phone_edit.clear()

    def change_title(self) -> None:
        leader = self.selected()
        title = self.new_title_edit.text().strip()
        if leader is None:
            self.error.show_message("请先在列表中选择一位领导")
            return
        if not title:
            self.error.show_message("请填写新职务")
            return
        self._write(lambda: service.change_title(self.ctx, leader.id, title, by=self.by),
                    f"{leader.name}的职务已改为{title}（已发布的排班保留原职务）", "leader_title")

    def retire(self) -> None:
        leader = self.selected()
        if leader is None:
            self.error.show_message("请先在列表中选择一位领导")
            return
        last = _pydate(self.last_day_edit.date())
        self._write(lambda: service.end_membership(self.ctx, leader.id, last, by=self.by),
                    f"{leader.name}自{last.isoformat()}后不再参加轮值（已发布的排班不变）", "leader_retire")


class AbsencesAdminDialog(_Base):
    """请假外出: a leader's absences (the roster skips them; published days in them are flagged)."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, by: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, tasks, by, parent)
        self.setObjectName("absencesAdmin")
        self.setWindowTitle("领导请假外出")
        self.resize(720, 480)
        today = ctx.now().date()
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.leader_combo = QComboBox()
        self.leader_combo.currentIndexChanged.connect(lambda _i: self._show_absences())
        top.addWidget(field_label("领导", self.leader_combo))
        top.addWidget(self.leader_combo, 1)
        layout.addLayout(top)
        self.table = QTableWidget(0, 3)
        self.table.setAccessibleName("请假外出列表")
        self.table.setHorizontalHeaderLabels(["开始日期", "结束日期", "事由"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        form = QHBoxLayout()
        self.start_edit, self.end_edit = _date_edit(today), _date_edit(today)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("请假、出差、培训……")
        for text, widget in (("开始日期", self.start_edit), ("结束日期", self.end_edit), ("事由", self.reason_edit)):
            form.addWidget(field_label(text, widget))
            form.addWidget(widget)
        self.add_button = button("登记请假外出")
        self.add_button.clicked.connect(self.add)
        form.addWidget(self.add_button)
        layout.addLayout(form)
        self.remove_button = button("删除所选")
        self.remove_button.clicked.connect(self.remove)
        layout.addWidget(self.remove_button)
        layout.addWidget(self.error)
        layout.addWidget(self.result_label)
        close = button("关闭")
        close.clicked.connect(self.close)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        current = self.leader_combo.currentData()
        self.leader_rows = service.leaders(self.ctx)
        self.leader_combo.blockSignals(True)
        self.leader_combo.clear()
        for x in self.leader_rows:
            self.leader_combo.addItem(f"{x.name}（{x.title}）", x.id)
        index = self.leader_combo.findData(current) if current else 0
        self.leader_combo.setCurrentIndex(max(index, 0))
        self.leader_combo.blockSignals(False)
        self._show_absences()

    def _leader(self) -> RosterLeader | None:
        lid = self.leader_combo.currentData()
        return next((x for x in self.leader_rows if x.id == lid), None)

    def _show_absences(self) -> None:
        leader = self._leader()
        rows = list(leader.absences) if leader else []
        self.table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            for c, text in enumerate((a.start.isoformat(), a.end.isoformat(), a.reason)):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def add(self) -> None:
        leader = self._leader()
        if leader is None:
            self.error.show_message("请先新增接访领导")
            return
        start, end = _pydate(self.start_edit.date()), _pydate(self.end_edit.date())
        if end < start:
            self.error.show_message("结束日期不能早于开始日期")
            return
        reason = self.reason_edit.text().strip() or "请假"
        self._write(lambda: service.add_absence(self.ctx, leader.id, start, end, reason, by=self.by),
                    f"已登记{leader.name}{start.isoformat()}至{end.isoformat()}{reason}", "leader_absence")

    def remove(self) -> None:
        leader = self._leader()
        rows = self.table.selectionModel().selectedRows()
        if leader is None or not rows:
            self.error.show_message("请先选择要删除的请假外出记录")
            return
        absence = leader.absences[rows[0].row()]
        self._write(lambda: service.remove_absence(self.ctx, absence.id, by=self.by),
                    f"已删除{leader.name}{absence.start.isoformat()}至{absence.end.isoformat()}的{absence.reason}",
                    "leader_absence_remove")
