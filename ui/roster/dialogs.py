"""The swap (调换), substitution (替班) and cancel-or-move (取消/改期) dialogs: labelled pickers, a reason and who
approved it.

The dialogs only collect the choice; the page runs the core call in the background and either closes the dialog or
shows the core's Chinese message in it (``show_error``). They open with ``open()``: nothing blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reception.roster.rotation import RosterLeader
from reception.roster.service import MonthRoster, RosterDay
from ui.widgets import ErrorLabel, field_label


@dataclass(frozen=True, slots=True)
class SwapRequest:
    day: date
    leader_id: str
    other_day: date
    other_leader_id: str
    reason: str
    approved_by: str


@dataclass(frozen=True, slots=True)
class SubstituteRequest:
    day: date
    leader_id: str
    new_leader_id: str
    reason: str
    approved_by: str


def _day_text(day: RosterDay) -> str:
    names = "、".join(x.name for x in day.leaders)
    return f"{day.day.month}月{day.day.day}日 {day.weekday}　{names}"


class _RosterDialog(QDialog):
    submitted = Signal(object)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self._layout = QVBoxLayout(self)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self._layout.addLayout(self.grid)
        self.error = ErrorLabel(self)
        self.error.setObjectName("dialogError")
        self._layout.addWidget(self.error)
        self.buttons = QDialogButtonBox()
        self.ok_button = QPushButton("确定")
        self.ok_button.setAccessibleName("确定")
        self.ok_button.setDefault(True)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setAccessibleName("取消")
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self._layout.addWidget(self.buttons)
        self._row = 0

    def _add(self, text: str, widget: QWidget) -> QWidget:
        self.grid.addWidget(field_label(text, widget), self._row, 0)
        self.grid.addWidget(widget, self._row, 1)
        self._row += 1
        return widget

    @staticmethod
    def _line(placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setMaxLength(100)
        edit.setPlaceholderText(placeholder)
        return edit

    def _days_combo(self, days: list[RosterDay], selected: date | None) -> QComboBox:
        combo = QComboBox()
        for d in days:
            combo.addItem(_day_text(d), d.day.isoformat())
            if d.day == selected:
                combo.setCurrentIndex(combo.count() - 1)
        return combo

    @staticmethod
    def _fill_leaders(combo: QComboBox, day: RosterDay | None) -> None:
        combo.clear()
        for x in day.leaders if day else ():
            combo.addItem(f"{x.name}（{x.title}）", x.leader_id)

    def show_error(self, message: str) -> None:
        self.error.show_message(message)
        self.ok_button.setEnabled(True)

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def _submit(self) -> None:
        self.error.clear_message()
        request = self.request()
        if request is None:
            return
        self.set_busy(True)
        self.submitted.emit(request)

    def request(self) -> object | None:
        raise NotImplementedError


class SwapDialog(_RosterDialog):
    """调换: the leader of 日期 goes to 对调日期 and the leader of 对调日期 comes to 日期."""

    def __init__(self, roster: MonthRoster, selected: date | None, parent: QWidget | None = None) -> None:
        super().__init__("调换接访日期", parent)
        self.setObjectName("swapDialog")
        self._days = [d for d in roster.days if d.leaders]
        self._by_iso = {d.day.isoformat(): d for d in self._days}
        intro = QLabel("两位领导互换接访日期。调换记录单独保存；已发布的排班将自动发布新版本。")
        intro.setWordWrap(True)
        self.grid.addWidget(intro, self._row, 0, 1, 2)
        self._row += 1
        self.day_combo = self._days_combo(self._days, selected)
        self.leader_combo = QComboBox()
        other = next((d.day for d in self._days if d.day != selected), None)
        self.other_day_combo = self._days_combo(self._days, other)
        self.other_leader_combo = QComboBox()
        self.reason_edit = self._line("如：出差、参加会议")
        self.approver_edit = self._line("批准调换的领导")
        for text, widget in (("日期", self.day_combo), ("领导", self.leader_combo),
                             ("对调日期", self.other_day_combo), ("对调领导", self.other_leader_combo),
                             ("理由", self.reason_edit), ("批准人", self.approver_edit)):
            self._add(text, widget)
        self.day_combo.currentIndexChanged.connect(
            lambda _i: self._fill_leaders(self.leader_combo, self._picked(self.day_combo)))
        self.other_day_combo.currentIndexChanged.connect(
            lambda _i: self._fill_leaders(self.other_leader_combo, self._picked(self.other_day_combo)))
        self._fill_leaders(self.leader_combo, self._picked(self.day_combo))
        self._fill_leaders(self.other_leader_combo, self._picked(self.other_day_combo))

    def _picked(self, combo: QComboBox) -> RosterDay | None:
        data = combo.currentData()
        return self._by_iso.get(data) if isinstance(data, str) else None

    def request(self) -> SwapRequest | None:
        a, b = self._picked(self.day_combo), self._picked(self.other_day_combo)
        la, lb = self.leader_combo.currentData(), self.other_leader_combo.currentData()
        if a is None or b is None or not isinstance(la, str) or not isinstance(lb, str):
            self.error.show_message("请选择要调换的两个日期和领导")
            return None
        return SwapRequest(a.day, la, b.day, lb, self.reason_edit.text(), self.approver_edit.text())


class SubstituteDialog(_RosterDialog):
    """替班: another leader takes the 原领导's place on 日期."""

    def __init__(self, roster: MonthRoster, leaders: list[RosterLeader], selected: date | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("替班", parent)
        self.setObjectName("substituteDialog")
        self._days = [d for d in roster.days if d.leaders]
        self._by_iso = {d.day.isoformat(): d for d in self._days}
        intro = QLabel("另一位领导代替原定领导接访。替班记录单独保存；已发布的排班将自动发布新版本。")
        intro.setWordWrap(True)
        self.grid.addWidget(intro, self._row, 0, 1, 2)
        self._row += 1
        self.day_combo = self._days_combo(self._days, selected)
        self.leader_combo = QComboBox()
        self.new_leader_combo = QComboBox()
        for x in leaders:
            if x.active:
                self.new_leader_combo.addItem(f"{x.name}（{x.title}）", x.id)
        self.reason_edit = self._line("如：原定领导出差")
        self.approver_edit = self._line("批准替班的领导")
        for text, widget in (("日期", self.day_combo), ("原领导", self.leader_combo),
                             ("替班领导", self.new_leader_combo), ("理由", self.reason_edit),
                             ("批准人", self.approver_edit)):
            self._add(text, widget)
        self.day_combo.currentIndexChanged.connect(lambda _i: self._day_changed())
        self._day_changed()

    def _picked(self) -> RosterDay | None:
        data = self.day_combo.currentData()
        return self._by_iso.get(data) if isinstance(data, str) else None

    def _day_changed(self) -> None:
        day = self._picked()
        self._fill_leaders(self.leader_combo, day)
        # propose someone who is not already on duty that day
        busy = {x.leader_id for x in day.leaders} if day else set()
        for i in range(self.new_leader_combo.count()):
            if self.new_leader_combo.itemData(i) not in busy:
                self.new_leader_combo.setCurrentIndex(i)
                break

    def request(self) -> SubstituteRequest | None:
        day = self._picked()
        old, new = self.leader_combo.currentData(), self.new_leader_combo.currentData()
        if day is None or not isinstance(old, str) or not isinstance(new, str):
            self.error.show_message("请选择日期、原领导和替班领导")
            return None
        if old == new:
            self.error.show_message("替班领导不能是原领导本人")
            return None
        return SubstituteRequest(day.day, old, new, self.reason_edit.text(), self.approver_edit.text())


@dataclass(frozen=True, slots=True)
class AdjustRequest:
    day: date
    leader_id: str
    new_day: date | None
    """None: cancel the reception; a date: move it there."""
    reason: str
    approved_by: str


class AdjustDialog(_RosterDialog):
    """取消/改期: cancel a leader's reception on a day, or move it to another working day (e.g. a published day that
    became a holiday once the year's arrangement was confirmed)."""

    def __init__(self, roster: MonthRoster, selected: date | None, parent: QWidget | None = None) -> None:
        super().__init__("取消或改期", parent)
        self.setObjectName("adjustDialog")
        self._days = [d for d in roster.days if d.leaders]
        self._by_iso = {d.day.isoformat(): d for d in self._days}
        intro = QLabel("取消某日的接访安排，或改到另一个工作日。记录单独保存；已发布的排班将自动发布新版本。")
        intro.setWordWrap(True)
        self.grid.addWidget(intro, self._row, 0, 1, 2)
        self._row += 1
        self.day_combo = self._days_combo(self._days, selected)
        self.leader_combo = QComboBox()
        self.action_combo = QComboBox()
        self.action_combo.addItem("取消接访", "cancel")
        self.action_combo.addItem("改至其他日期", "move")
        self.new_day_edit = QDateEdit()
        self.new_day_edit.setCalendarPopup(True)
        self.new_day_edit.setDisplayFormat("yyyy-MM-dd")
        first = selected or (self._days[0].day if self._days else date.fromisoformat(roster.month + "-01"))
        self.new_day_edit.setDate(QDate(first.year, first.month, first.day))
        self.reason_edit = self._line("如：该日为调休放假")
        self.approver_edit = self._line("批准的领导")
        for text, widget in (("日期", self.day_combo), ("领导", self.leader_combo), ("处理", self.action_combo),
                             ("改至日期", self.new_day_edit), ("理由", self.reason_edit),
                             ("批准人", self.approver_edit)):
            self._add(text, widget)
        self.day_combo.currentIndexChanged.connect(lambda _i: self._fill_leaders(self.leader_combo, self._picked()))
        self.action_combo.currentIndexChanged.connect(lambda _i: self._action_changed())
        self._fill_leaders(self.leader_combo, self._picked())
        self._action_changed()

    def _picked(self) -> RosterDay | None:
        data = self.day_combo.currentData()
        return self._by_iso.get(data) if isinstance(data, str) else None

    def _action_changed(self) -> None:
        self.new_day_edit.setEnabled(self.action_combo.currentData() == "move")

    def request(self) -> AdjustRequest | None:
        day, leader = self._picked(), self.leader_combo.currentData()
        if day is None or not isinstance(leader, str):
            self.error.show_message("请选择日期和领导")
            return None
        new_day = None
        if self.action_combo.currentData() == "move":
            q = self.new_day_edit.date()
            new_day = date(q.year(), q.month(), q.day())
            if new_day == day.day:
                self.error.show_message("改至日期不能是原日期")
                return None
        return AdjustRequest(day.day, leader, new_day, self.reason_edit.text(), self.approver_edit.text())
