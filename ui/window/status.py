"""The main window's status bar: this desk, the signed-in user, today's duty leader, the deadline reminders (with
the 期限提醒 banner), the sync state and 正在处理… while an officer's operation runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from reception.changes import Change, ChangeSet
from reception.context import AppContext
from reception.roster.service import duty_leaders_on  # (read as the window is built: imported with this module)
from ui.icons import IconLabel, status_item
from ui.reference import Reference
from ui.reminders import ReminderBanner, ReminderTracker
from ui.tasks import TaskManager

if TYPE_CHECKING:
    from reception.lifecycle.service import ClockList
    from reception.roster.service import DutyToday

DEADLINE_REFRESH_MS = 5 * 60 * 1000
REMINDER_ROWS = 500
"""How many of the nearest overdue / due-soon clocks the reminder compares between refreshes."""
BUSY_DELAY_MS = 400
"""正在处理… shows only for operations that take longer than this (a quick save does not flicker)."""


class DeskStatus(QObject):
    """Builds the status bar's labels and keeps them current; ``dutyRead`` carries today's duty leader line to the
    intake form."""

    dutyRead = Signal(str)

    def __init__(self, ctx: AppContext, tasks: TaskManager, bar: QStatusBar, banner_parent: QWidget,
                 reference: Callable[[], Reference], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.reference = reference
        self.desk = QLabel()
        self.user = QLabel()
        self.leader = QLabel("今日值班领导：读取中…")
        self.leader.setObjectName("dutyLeaderStatus")
        self.leader.setAccessibleName("今日值班领导")
        self.deadline = QLabel("期限提醒：读取中…")
        self.deadline.setObjectName("deadlineStatus")
        self.deadline.setAccessibleName("期限提醒")
        self.sync = QLabel("同步：单机模式")
        self.sync.setObjectName("syncStatus")
        self.sync.setAccessibleName("同步状态")
        self.busy = QProgressBar()
        self.busy.setObjectName("busyIndicator")
        self.busy.setAccessibleName("正在处理")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.setFormat("正在处理…")
        self.busy.hide()
        self.icons: dict[str, IconLabel] = {}
        for key, concept, label in (("desk", "desk", self.desk), ("user", "user", self.user),
                                    ("leader", "duty_leader", self.leader), ("deadline", "deadline_unknown",
                                                                             self.deadline),
                                    ("sync", "sync_standalone", self.sync)):
            box, mark = status_item(concept, label)
            self.icons[key] = mark
            bar.addPermanentWidget(box)
        bar.addWidget(self.busy)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.busy.setVisible(self.tasks.ops > 0))
        tasks.opsChanged.connect(self._ops_changed)

        self.banner = ReminderBanner(banner_parent)  # 期限提醒: non-modal, dismissible
        self.tracker = ReminderTracker()
        self.deadline_timer = QTimer(self)
        self.deadline_timer.setInterval(DEADLINE_REFRESH_MS)
        self.deadline_timer.timeout.connect(self.refresh_deadlines)
        tasks.changes.changed.connect(self._on_changes)

    def start(self) -> None:
        self.update_identity()
        self.refresh_duty_leader()
        self.refresh_deadlines()
        self.deadline_timer.start()

    def _ops_changed(self, running: int) -> None:
        if running > 0:
            if not self.busy.isVisible() and not self._busy_timer.isActive():
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Change.ROSTER, Change.REFERENCE):  # today's duty leader may be someone else now
            self.refresh_duty_leader()

    def user_changed(self) -> None:
        """Another user signed in: what the reminders show is theirs."""
        self.tracker = ReminderTracker()
        self.banner.hide()
        self.refresh_deadlines()

    # -- who and where -----------------------------------------------------------------------------------------------

    def update_identity(self) -> None:
        from reception.domain.enums import Role

        ref = self.reference()
        desk, user = ref.desk, ref.user
        self.desk.setText(f"工位：{desk.name}（{desk.code}）" if desk else "工位：未设置")
        self.user.setText(f"当前用户：{user.display_name}（{Role.label_of(user.role)}）" if user
                          else "当前用户：未登录")
        self.user.setObjectName("signedInUser")
        self.user.setAccessibleName("当前用户")
        for label, ok in ((self.desk, desk is not None), (self.user, user is not None)):
            label.setStyleSheet("" if ok else "color: #c62828;")

    def refresh_duty_leader(self) -> None:
        """Today's duty leader from the roster, in the status bar and on the intake page (read in the background)."""
        today = self.ctx.now().date()

        def done(duty: DutyToday) -> None:
            label = duty.label
            self.leader.setText(label)
            self.leader.setToolTip(f"接访地点：{duty.place}　时间：{duty.hours}" if duty.leaders else "")
            place = f"　接访地点：{duty.place}" if duty.leaders and duty.place else ""
            self.dutyRead.emit(label + place)

        def failed(_exc: BaseException) -> None:
            self.leader.setText("今日值班领导：无法读取排班")

        self.tasks.run(lambda: duty_leaders_on(self.ctx, today), done, failed, owner=self, what="duty_today")

    # -- deadlines ---------------------------------------------------------------------------------------------------

    def refresh_deadlines(self) -> None:
        """Overdue and due-soon counts of what the signed-in user may see (the centre's staff: the whole centre; a
        unit's staff: their unit's), raised at start and refreshed in the background."""
        from reception.lifecycle.service import due_soon, overdue

        ref = self.reference()
        actor = ref.user_id or None
        if ref.user is None:
            self.deadline.setText("期限提醒：未登录")
            self.deadline.setStyleSheet("")
            self.icons["deadline"].set_concept("deadline_unknown")
            return

        def count() -> tuple[ClockList, ClockList]:
            late = overdue(self.ctx, limit=REMINDER_ROWS, actor_id=actor)
            return late, due_soon(self.ctx, limit=REMINDER_ROWS, sync=False, actor_id=actor)

        def done(lists: tuple[ClockList, ClockList]) -> None:
            late_list, soon_list = lists
            late, soon = late_list.total, soon_list.total
            self.banner.remind(self.tracker.update(
                ((r.case_id, r.clock, r.supervision_id) for r in late_list.rows),
                ((r.case_id, r.clock, r.supervision_id) for r in soon_list.rows), overdue_total=late,
                due_soon_total=soon))
            self.deadline.setText(f"期限提醒：超期{late_list.total_text}件，临期{soon_list.total_text}件")
            colour = "#c62828" if late else ("#ef6c00" if soon else "#2e7d32")
            self.deadline.setStyleSheet(f"color: {colour};")
            self.deadline.setToolTip("详见“案件查询”中的“临期提醒”“超期案件”")
            self.icons["deadline"].set_concept(
                "deadline_late" if late else ("deadline_soon" if soon else "deadline_ok"))

        def failed(_exc: BaseException) -> None:
            self.deadline.setText("期限提醒：无法读取")
            self.icons["deadline"].set_concept("deadline_unknown")

        self.tasks.run_write(count, done, failed, owner=self, what="deadline_counts")
