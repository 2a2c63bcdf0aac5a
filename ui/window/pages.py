"""The main window's pages and the navigation bar that shows them; the case list is built on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStackedWidget, QWidget

from reception.context import AppContext
from ui.icons import nav_icon
from ui.intake.page import IntakePage
from ui.leader.page import LeaderPage
from ui.printing import PrintFn
from ui.reference import Reference
from ui.roster.page import RosterPage
from ui.stats.page import StatsPage
from ui.sync.page import SyncPage
from ui.tasks import TaskManager

if TYPE_CHECKING:
    from ui.cases.page import CaseListPage

PAGE_INTAKE = 0
PAGE_CASES = 1
PAGE_ROSTER = 2
PAGE_LEADER = 3
PAGE_STATISTICS = 4
PAGE_SYNC = 5

NAV_ITEMS = ("来访登记", "案件查询", "领导接访排班", "领导接访", "统计分析", "数据同步")
NAV_ICON_PX = 20
NAV_ICONS = ("nav_intake", "nav_cases", "nav_roster", "nav_leader", "nav_stats", "nav_sync")


class Pages(QObject):
    """The navigation list (导航) and the stack of pages, kept in step: choosing an entry shows its page, and a page
    shown reads what changed since it was last shown (``ensure_loaded``; the pages follow ``TaskManager.changes``)."""

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager, printer: PrintFn,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.printer = printer
        self._reference = reference
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("导航")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(NAV_ICON_PX, NAV_ICON_PX))
        self.nav.setStyleSheet(
            "QListWidget#navigation { background: #263238; color: #eceff1; border: none; font-size: 15px; }"
            "QListWidget#navigation::item { padding: 12px 10px; }"
            "QListWidget#navigation::item:selected { background: #1565c0; color: white; }"
        )
        for text, concept in zip(NAV_ITEMS, NAV_ICONS, strict=True):
            item = QListWidgetItem(nav_icon(concept), text)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
            self.nav.addItem(item)

        self.intake = IntakePage(ctx, reference, tasks, printer)
        self._cases: CaseListPage | None = None  # built on first use: keeps start-up short
        self.on_cases_built: Callable[[CaseListPage], None] | None = None
        """Called once with the case list when it is built (the window connects its next steps to its pages)."""
        self.stack = QStackedWidget()
        self.stack.addWidget(self.intake)
        self.stack.addWidget(QWidget())  # stands in for the case list until it is first shown
        self.roster = RosterPage(ctx, reference, tasks, printer)
        self.stack.addWidget(self.roster)
        self.leader = LeaderPage(ctx, reference, tasks)
        self.stack.addWidget(self.leader)
        self.stats = StatsPage(ctx, tasks, printer)
        self.stats.set_actor(reference.user_id or None)
        self.stack.addWidget(self.stats)
        self.sync = SyncPage(ctx, tasks)
        self.stack.addWidget(self.sync)
        self.nav.currentRowChanged.connect(self.show_page)

    @property
    def cases_built(self) -> CaseListPage | None:
        """The case list if it has been built (None: never shown yet)."""
        return self._cases

    def cases(self, reference: Reference) -> CaseListPage:
        """The case list, built now if it was not yet (for ``reference``)."""
        if self._cases is None:
            from ui.cases.page import CaseListPage

            page = CaseListPage(self.ctx, reference, self.tasks, self.printer)
            stand_in = self.stack.widget(PAGE_CASES)
            assert stand_in is not None
            was_current = self.stack.currentWidget() is stand_in
            self.stack.insertWidget(PAGE_CASES, page)
            self.stack.removeWidget(stand_in)
            stand_in.deleteLater()
            if was_current:
                self.stack.setCurrentWidget(page)
            self._cases = page
            if self.on_cases_built is not None:
                self.on_cases_built(page)
        return self._cases

    def set_reference(self, reference: Reference) -> None:
        self._reference = reference
        self.intake.set_reference(reference)
        self.stats.set_actor(reference.user_id or None)
        self.roster.reference = reference
        self.leader.set_reference(reference)
        if self._cases is not None:
            self._cases.set_reference(reference)

    def current(self) -> int:
        return self.stack.currentIndex()

    def show_page(self, index: int) -> None:
        if index < 0:
            return
        if self.nav.currentRow() != index:
            self.nav.setCurrentRow(index)  # re-enters through currentRowChanged
            return
        if index == PAGE_CASES:
            self.cases(self._reference)  # build it before it is shown
        self.stack.setCurrentIndex(index)
        if index == PAGE_CASES:
            self.cases(self._reference).ensure_loaded()
        if index == PAGE_ROSTER:
            self.roster.ensure_loaded()
        if index == PAGE_STATISTICS:
            self.stats.ensure_loaded()
        if index == PAGE_LEADER:
            self.leader.ensure_loaded()
        if index == PAGE_SYNC:
            self.sync.refresh()

