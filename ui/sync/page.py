"""数据同步 page: the sync status, 立即同步, and the lists of pending and parked changes and open conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.db.base import to_local
from reception.sync.desk import (
    ConflictView,
    OutboxItem,
    SyncStatus,
    list_conflicts,
    list_outbox,
    retry_parked,
    sync_status,
)
from ui.sync.dialogs import ConflictDialog, EnrollDialog, table_label
from ui.sync.status import status_text
from ui.tasks import TaskManager, disable
from ui.widgets import Banner, button

OPS = {"upsert": "新增或修改", "delete": "删除", "ensure": "补传"}
KINDS = {"version": "修改冲突", "collision": "案件编号重复", "apply": "无法保存下载的记录"}


@dataclass(frozen=True, slots=True)
class SyncLists:
    status: SyncStatus
    pending: list[OutboxItem]
    parked: list[OutboxItem]
    conflicts: list[ConflictView]


def load_lists(ctx: AppContext) -> SyncLists:
    return SyncLists(sync_status(ctx), list_outbox(ctx, state="pending", limit=200),
                     list_outbox(ctx, state="parked"), list_conflicts(ctx))


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    return table


def when(moment: datetime) -> str:
    return to_local(moment).strftime("%m-%d %H:%M")


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()


class SyncPage(QWidget):
    syncRequested = Signal()
    """The officer pressed 立即同步 (the window runs the cycle, so there is only ever one)."""
    enrolled = Signal(object)

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.lists: SyncLists | None = None
        self.loaded = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        title = QLabel("数据同步")
        title.setStyleSheet("font-size: 18px; font-weight: bold;")
        layout.addWidget(title)
        self.banner = Banner("info")
        layout.addWidget(self.banner)
        self.summary = QLabel("读取中…")
        self.summary.setObjectName("syncSummary")
        self.summary.setAccessibleName("同步状态")
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(self.summary)
        row = QHBoxLayout()
        self.sync_button = button("立即同步", default=True)
        self.enroll_button = button("登记到服务器…")
        self.retry_button = button("重新上传搁置项")
        self.resolve_button = button("处理所选冲突…")
        for b in (self.sync_button, self.enroll_button, self.retry_button, self.resolve_button):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.tabs = QTabWidget()
        self.pending_table = _table(["序号", "记录", "编号", "操作", "时间"], "待上传")
        self.parked_table = _table(["序号", "记录", "编号", "原因"], "已搁置")
        self.conflict_table = _table(["类型", "记录", "编号", "说明", "发现时间"], "冲突")
        self.tabs.addTab(self.pending_table, "待上传")
        self.tabs.addTab(self.parked_table, "已搁置")
        self.tabs.addTab(self.conflict_table, "冲突")
        layout.addWidget(self.tabs, 1)
        self.sync_button.clicked.connect(self.syncRequested.emit)
        self.enroll_button.clicked.connect(self.open_enroll)
        self.retry_button.clicked.connect(self.retry)
        self.resolve_button.clicked.connect(self.open_conflict)
        self.conflict_table.doubleClicked.connect(lambda _i: self.open_conflict())

    def refresh(self) -> None:
        self.tasks.run(lambda: load_lists(self.ctx), self._show, owner=self, what="sync_lists")

    def _show(self, lists: SyncLists) -> None:
        self.lists = lists
        self.loaded = True
        st = lists.status
        text, colour, tip = status_text(st, self.ctx.now())
        self.summary.setText(text.removeprefix("同步：") + ("\n" + tip if st.enrolled else ""))
        self.summary.setStyleSheet(f"color: {colour};" if colour else "")
        self.enroll_button.setVisible(not st.enrolled)
        self.sync_button.setEnabled(st.enrolled)
        if not st.enrolled:
            self.banner.show_message("本工位尚未登记到中心服务器，登记信息只保存在本机。", "warning")
        elif st.clock_warning:
            self.banner.show_message(st.clock_warning, "warning")
        else:
            self.banner.hide()
        _fill(self.pending_table, [[str(i.seq), table_label(i.table), i.record_id[:8], OPS.get(i.op, i.op),
                                    when(i.created_at)] for i in lists.pending])
        _fill(self.parked_table, [[str(i.seq), table_label(i.table), i.record_id[:8], i.error]
                                  for i in lists.parked])
        _fill(self.conflict_table, [[KINDS.get(c.kind, c.kind), table_label(c.table), c.record_id[:8], c.message,
                                     when(c.detected_at)] for c in lists.conflicts])
        self.tabs.setTabText(0, f"待上传（{st.pending}）")
        self.tabs.setTabText(1, f"已搁置（{st.parked}）")
        self.tabs.setTabText(2, f"冲突（{st.conflicts}）")
        self.retry_button.setEnabled(bool(lists.parked))
        self.resolve_button.setEnabled(bool(lists.conflicts))

    def set_running(self, running: bool) -> None:
        self.sync_button.setEnabled(not running and (self.lists is None or self.lists.status.enrolled))
        self.sync_button.setText("正在同步…" if running else "立即同步")

    def open_enroll(self) -> EnrollDialog:
        dialog = EnrollDialog(self.ctx, self.tasks, self)
        dialog.enrolled.connect(self.enrolled.emit)
        dialog.enrolled.connect(lambda _r: self.refresh())
        dialog.open()
        return dialog

    def retry(self) -> None:
        self.tasks.op(lambda: retry_parked(self.ctx), lambda _n: self.refresh(), what="retry_parked", write=True,
                      owner=self, busy=disable(self.retry_button))

    def open_conflict(self) -> ConflictDialog | None:
        if self.lists is None or not self.lists.conflicts:
            return None
        row = max(self.conflict_table.currentRow(), 0)
        dialog = ConflictDialog(self.ctx, self.tasks, self.lists.conflicts[row], self)
        dialog.resolved.connect(lambda _v: self.refresh())
        dialog.open()
        return dialog


_ = Qt
