"""统计分析 page: three tabs over ``reception.stats`` — 统计首页 (dashboard), 统计报告 (period report) and 一考一评."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from reception.changes import Change, ChangeSet
from reception.context import AppContext
from ui.printing import PrintFn
from ui.stats.common import SavePathFn
from ui.stats.dashboard import DashboardView
from ui.stats.ranking import RankingView
from ui.stats.report import ReportView
from ui.tasks import TaskManager

TAB_DASHBOARD, TAB_REPORT, TAB_RANKING = 0, 1, 2


class StatsPage(QWidget):
    def __init__(self, ctx: AppContext, tasks: TaskManager, printer: PrintFn, parent: QWidget | None = None,
                 *, save_path: SavePathFn | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dashboard = DashboardView(ctx, tasks)
        self.report = ReportView(ctx, tasks, printer, save_path=save_path)
        self.ranking = RankingView(ctx, tasks, save_path=save_path)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("统计分析")
        self.tabs.addTab(self.dashboard, "统计首页")
        self.tabs.addTab(self.report, "统计报告")
        self.tabs.addTab(self.ranking, "一考一评")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.loaded = False
        self._changed = False
        tasks.changes.changed.connect(self._on_changes)

    def set_actor(self, actor_id: str | None) -> None:
        """The signed-in user, for whom every drill-down and export is read (the core filters by it)."""
        self.dashboard.actor_id = self.report.actor_id = self.ranking.actor_id = actor_id

    def set_save_path(self, fn: SavePathFn) -> None:
        self.report.save_path = fn
        self.ranking.save_path = fn

    def ensure_loaded(self) -> None:
        """First show (and after a registration elsewhere): compute the dashboard in the background."""
        if not self.loaded or self._changed:
            self.loaded, self._changed = True, False
            self.dashboard.refresh()

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Change.CASES, Change.LEADER, Change.REFERENCE):
            self._changed = True

    def _tab_changed(self, index: int) -> None:
        if index == TAB_RANKING:
            self.ranking.ensure_loaded()
