"""Pop-up deadline reminders (期限提醒) in the desk window: a dismissible, non-modal banner at the top of the pages.

It appears at start with the centre's overdue and due-soon counts, and again whenever the background refresh finds
clocks that were not overdue / due soon before (a new case turned amber or red). It never blocks the officer: it
is a panel, not a dialog, and 知道了 hides it until something new comes up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from reception.lifecycle.service import count_text
from ui.widgets import Banner, button

ClockKey = tuple[str, str, str]
"""(case id, clock key, supervision id): one running clock."""


@dataclass(frozen=True, slots=True)
class Reminder:
    overdue: int
    due_soon: int
    new_overdue: int
    new_due_soon: int
    first: bool

    @property
    def worth_showing(self) -> bool:
        return (self.new_overdue + self.new_due_soon) > 0

    @property
    def text(self) -> str:
        if self.first:
            return (f"期限提醒：当前超期{count_text(self.overdue)}件、临期{count_text(self.due_soon)}件，"
                    "请及时督促责任单位办理。")
        parts = []
        if self.new_overdue:
            parts.append(f"新增超期{self.new_overdue}件")
        if self.new_due_soon:
            parts.append(f"新增临期{self.new_due_soon}件")
        totals = f"共超期{count_text(self.overdue)}件、临期{count_text(self.due_soon)}件"
        return f"期限提醒：{'，'.join(parts)}（{totals}）。"


@dataclass
class ReminderTracker:
    """Remembers which clocks were already reported, so only new ones raise the banner again."""

    seen_overdue: set[ClockKey] = field(default_factory=set)
    seen_due_soon: set[ClockKey] = field(default_factory=set)
    started: bool = False

    def update(self, overdue: Iterable[ClockKey], due_soon: Iterable[ClockKey], *, overdue_total: int,
               due_soon_total: int) -> Reminder:
        late, soon = set(overdue), set(due_soon)
        first = not self.started
        new_late = len(late - self.seen_overdue)
        new_soon = len(soon - self.seen_due_soon - late)
        self.seen_overdue |= late
        self.seen_due_soon |= soon
        self.started = True
        return Reminder(overdue_total, due_soon_total, new_late, new_soon, first)


class ReminderBanner(Banner):
    """The banner itself: the message, 查看超期案件 / 查看临期提醒, and 知道了 to dismiss it."""

    showOverdue = Signal()
    showDueSoon = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("warning", parent)
        self.setObjectName("banner")
        self.setAccessibleName("期限提醒")
        self.overdue_button = self.add_button(button("查看超期案件"))
        self.due_soon_button = self.add_button(button("查看临期提醒"))
        self.dismiss_button = self.add_button(button("知道了"))
        self.overdue_button.clicked.connect(self._overdue)
        self.due_soon_button.clicked.connect(self._due_soon)
        self.dismiss_button.clicked.connect(self.hide)
        self.reminder: Reminder | None = None

    def remind(self, reminder: Reminder) -> None:
        self.reminder = reminder
        if not reminder.worth_showing:
            return
        self.show_message(reminder.text, "error" if reminder.overdue else "warning")
        self.overdue_button.setVisible(reminder.overdue > 0)
        self.due_soon_button.setVisible(reminder.due_soon > 0)

    def _overdue(self) -> None:
        self.hide()
        self.showOverdue.emit()

    def _due_soon(self) -> None:
        self.hide()
        self.showDueSoon.emit()


__all__ = ["Reminder", "ReminderBanner", "ReminderTracker"]
