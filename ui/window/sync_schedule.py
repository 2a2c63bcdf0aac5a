"""When the desk syncs: every minute and after each save while enrolled, one cycle at a time, off the writer
thread; its state in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from reception.context import AppContext
from ui.icons import IconLabel
from ui.sync.status import status_text
from ui.tasks import TaskManager

if TYPE_CHECKING:
    from reception.sync.desk import SyncReport, SyncStatus
    from ui.sync.page import SyncPage

SYNC_INTERVAL_MS = 60_000
"""Background sync every minute (and after each save), when the desk is enrolled."""


class SyncSchedule(QObject):
    """Runs ``sync_once`` in the background; a request while a cycle runs is remembered and run once after it.
    The status label (同步状态) is read again around each cycle; ``pulled`` is emitted when a cycle brought records
    from the centre (what they changed reaches the pages through ``TaskManager.changes``)."""

    pulled = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, label: QLabel, icon: IconLabel,
                 sync_page: Callable[[], SyncPage | None], page_in_front: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.label = label
        self.icon = icon
        self.sync_page = sync_page
        """The sync page, None until it is first shown (it then asks ``running``)."""
        self.page_in_front = page_in_front
        self.enrolled = False
        self.running = False
        self.again = False
        self.stopped = False
        self.timer = QTimer(self)
        self.timer.setInterval(SYNC_INTERVAL_MS)
        self.timer.timeout.connect(self.sync_now)

    def start(self) -> None:
        self.timer.start()
        self.refresh_status(then_sync=True)

    def stop(self) -> None:
        self.stopped = True
        self.timer.stop()

    def refresh_status(self, *, then_sync: bool = False) -> None:
        """Read the sync state (pending, conflicts, offline since...) into the status bar, in the background."""
        from reception.sync.desk import sync_status

        def done(st: SyncStatus) -> None:
            self.enrolled = st.enrolled
            text, colour, tip = status_text(st, self.ctx.now(), running=self.running)
            self.label.setText(text)
            self.label.setStyleSheet(f"color: {colour};" if colour else "")
            self.label.setToolTip(tip)
            self.icon.set_concept(sync_icon(st, running=self.running))
            if then_sync and st.enrolled:
                self.sync_now()

        def failed(_exc: BaseException) -> None:
            self.label.setText("同步：无法读取状态")
            self.icon.set_concept("sync_problem")

        self.tasks.run(lambda: sync_status(self.ctx), done, failed, owner=self, what="sync_status")

    def sync_now(self) -> None:
        """One sync cycle in the background (never on the writer thread: saves are not held up by the network)."""
        if not self.enrolled or self.stopped:
            return
        if self.running:
            self.again = True
            return
        from reception.sync.desk import sync_once

        self.running = True
        if (page := self.sync_page()) is not None:
            page.set_running(True)
        self.refresh_status()

        def finish() -> None:
            self.running = False
            page = self.sync_page()
            if page is not None:
                page.set_running(False)
            self.refresh_status()
            if page is not None and self.page_in_front():
                page.refresh()
            if self.again:
                self.again = False
                self.sync_now()

        def done(report: SyncReport) -> None:
            if report.pulled:
                self.pulled.emit()
            finish()

        def failed(_exc: BaseException) -> None:
            finish()  # (the error is in sync_status: shown as 最近错误, never a dialog every minute)

        self.tasks.run(lambda: sync_once(self.ctx), done, failed, owner=self, what="sync")


def sync_icon(st: SyncStatus, *, running: bool) -> str:
    """The status bar's sync state as an icon concept of ``ui.icons``."""
    if not st.enrolled:
        return "sync_standalone"
    if running:
        return "sync_running"
    if st.offline_since is not None:
        return "sync_offline"
    if st.conflicts or st.parked or st.last_error:
        return "sync_problem"
    if st.pending:
        return "sync_pending"
    return "sync_ok"
