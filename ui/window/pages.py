"""The main window's pages and the navigation bar that shows them. Only the page shown first (来访登记) is built with
the window; each of the others is built, and its module imported, when it is first needed: navigated to, or asked
for (``page``). Until then a blank widget stands in for it in the stack, so the stack's indexes stay the
navigation's (bench/bench_main_window.py: the main window's memory and the wait after 登录)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStackedWidget, QWidget

from reception.context import AppContext
from ui.icons import nav_icon
from ui.intake.page import IntakePage
from ui.printing import PrintFn
from ui.reference import Reference
from ui.tasks import TaskManager

if TYPE_CHECKING:
    from ui.cases.page import CaseListPage
    from ui.leader.page import LeaderPage
    from ui.roster.page import RosterPage
    from ui.stats.page import StatsPage
    from ui.sync.page import SyncPage

P = TypeVar("P", bound=QWidget)

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
        self._built: dict[int, QWidget] = {PAGE_INTAKE: self.intake}
        self.on_built: Callable[[int, QWidget], None] | None = None
        """Called once with each page when it is built (the window connects its signals and permissions)."""
        self.stack = QStackedWidget()
        self.stack.addWidget(self.intake)
        for _index in range(PAGE_CASES, PAGE_SYNC + 1):
            self.stack.addWidget(QWidget())  # stands in for the page until it is first needed
        self.nav.currentRowChanged.connect(self.show_page)

    def built(self, index: int) -> QWidget | None:
        """The page at ``index`` if it has been built (None: not needed yet)."""
        return self._built.get(index)

    def page(self, index: int, reference: Reference | None = None) -> QWidget:
        """The page at ``index``, built now if it was not yet (for ``reference``, by default the pages' own)."""
        page = self._built.get(index)
        if page is None:
            page = self._build(index, reference or self._reference)
            stand_in = self.stack.widget(index)
            assert stand_in is not None
            was_current = self.stack.currentWidget() is stand_in
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(stand_in)
            stand_in.deleteLater()
            if was_current:
                self.stack.setCurrentWidget(page)
            self._built[index] = page
            if self.on_built is not None:
                self.on_built(index, page)
        return page

    def _build(self, index: int, reference: Reference) -> QWidget:
        ctx, tasks = self.ctx, self.tasks
        if index == PAGE_CASES:
            from ui.cases.page import CaseListPage

            return CaseListPage(ctx, reference, tasks, self.printer)
        if index == PAGE_ROSTER:
            from ui.roster.page import RosterPage

            return RosterPage(ctx, reference, tasks, self.printer)
        if index == PAGE_LEADER:
            from ui.leader.page import LeaderPage

            return LeaderPage(ctx, reference, tasks)
        if index == PAGE_STATISTICS:
            from ui.stats.page import StatsPage

            stats = StatsPage(ctx, tasks, self.printer)
            stats.set_actor(reference.user_id or None)
            return stats
        if index == PAGE_SYNC:
            from ui.sync.page import SyncPage

            return SyncPage(ctx, tasks)
        raise IndexError(index)

    def _typed(self, index: int, kind: type[P], reference: Reference | None = None) -> P:
        page = self.page(index, reference)
        assert isinstance(page, kind)
        return page

    @property
    def cases_built(self) -> CaseListPage | None:
        """The case list if it has been built (None: never shown yet)."""
        return self.cases(self._reference) if PAGE_CASES in self._built else None

    def cases(self, reference: Reference) -> CaseListPage:
        """The case list, built now if it was not yet (for ``reference``)."""
        from ui.cases.page import CaseListPage

        return self._typed(PAGE_CASES, CaseListPage, reference)

    @property
    def roster(self) -> RosterPage:
        from ui.roster.page import RosterPage

        return self._typed(PAGE_ROSTER, RosterPage)

    @property
    def leader(self) -> LeaderPage:
        from ui.leader.page import LeaderPage

        return self._typed(PAGE_LEADER, LeaderPage)

    @property
    def stats(self) -> StatsPage:
        from ui.stats.page import StatsPage

        return self._typed(PAGE_STATISTICS, StatsPage)

    @property
    def sync(self) -> SyncPage:
        from ui.sync.page import SyncPage

        return self._typed(PAGE_SYNC, SyncPage)

    def set_reference(self, reference: Reference) -> None:
        """Hand the built pages the new reference data; a page built later is built for it."""
        self._reference = reference
        self.intake.set_reference(reference)
        if PAGE_STATISTICS in self._built:
            self.stats.set_actor(reference.user_id or None)
        if PAGE_ROSTER in self._built:
            self.roster.reference = reference
        if PAGE_LEADER in self._built:
            self.leader.set_reference(reference)
        if PAGE_CASES in self._built:
            self.cases(reference).set_reference(reference)

    def current(self) -> int:
        return self.stack.currentIndex()

    def show_page(self, index: int) -> None:
        if index < 0:
            return
        if self.nav.currentRow() != index:
            self.nav.setCurrentRow(index)  # re-enters through currentRowChanged
            return
        self.page(index)  # built before it is shown
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
