"""案件查询: search by case number, name, ID number or phone; today's registrations; open a case; and the
case-tracking tabs (临期提醒, 超期案件, 督办, 短信通知) refreshed in the background."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.intake.cases import cases_registered_on, recent_cases, search_cases
from reception.intake.dto import CaseSummary
from reception.lifecycle.notify import RecordingGateway, SmsGateway
from reception.lifecycle.service import count_text
from ui.cases.detail import CaseDetailDialog
from ui.cases.model import COL_CASE_NO, COL_REGISTERED, CaseTableModel, ObjectRole, SortRole
from ui.cases.tracking import DueSoonTab, OutboxTab, OverdueTab, SupervisionTab, TrackingTab
from ui.printing import PrintFn
from ui.reference import Reference
from ui.tasks import TaskManager, error_message
from ui.widgets import button

TAB_LIST = 0
TAB_DUE_SOON = 1
TAB_OVERDUE = 2
TAB_SUPERVISION = 3
TAB_OUTBOX = 4

REFRESH_MS = 3 * 60 * 1000
"""The tracking tabs refresh themselves every three minutes while the page lives."""


class CaseListPage(QWidget):
    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager, printer: PrintFn,
                 parent: QWidget | None = None, *, gateway: SmsGateway | None = None) -> None:
        super().__init__(parent)
        self.gateway: SmsGateway = gateway or RecordingGateway()
        """The SMS gateway of 发送待发通知 (the recording one by default; replaceable at any time)."""
        self.ctx = ctx
        self.reference = reference
        self.tasks = tasks
        self.printer = printer
        self._generation = 0
        self._loaded = False
        self._mode: tuple[str, str] = ("recent", "")
        self.dialog: CaseDetailDialog | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("案件查询")
        outer.addWidget(self.tabs)
        self.list_tab = QWidget()
        layout = QVBoxLayout(self.list_tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("案件编号、姓名、证件号码或电话")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(320)
        label = QLabel("搜索")
        label.setBuddy(self.search_edit)
        self.search_edit.setAccessibleName("搜索")
        self.search_button = button("查询")
        self.today_button = button("今日登记")
        self.recent_button = button("最近登记")
        bar.addWidget(label)
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.search_button)
        bar.addSpacing(16)
        bar.addWidget(self.today_button)
        bar.addWidget(self.recent_button)
        layout.addLayout(bar)
        self.status = QLabel()
        self.status.setObjectName("caseListStatus")
        layout.addWidget(self.status)

        self.model = CaseTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.table = QTableView()
        self.table.setAccessibleName("案件列表")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.sortByColumn(COL_REGISTERED, Qt.SortOrder.DescendingOrder)
        layout.addWidget(self.table, 1)
        hint = QLabel("双击一行查看案件详情、办理时限，补打回执、办理。证件号码和电话已遮蔽显示。")
        hint.setStyleSheet("color: #607d8b;")
        layout.addWidget(hint)

        self.tabs.addTab(self.list_tab, "案件列表")
        self.due_soon_tab = DueSoonTab(ctx, reference, tasks)
        self.overdue_tab = OverdueTab(ctx, reference, tasks)
        self.supervision_tab = SupervisionTab(ctx, reference, tasks)
        self.outbox_tab = OutboxTab(ctx, reference, tasks, lambda: self.gateway)
        self.tracking: list[TrackingTab] = [self.due_soon_tab, self.overdue_tab, self.supervision_tab,
                                            self.outbox_tab]
        for tab in self.tracking:
            index = self.tabs.addTab(tab, tab.title)
            tab.countChanged.connect(
                lambda n, i=index, t=tab.title: self.tabs.setTabText(i, f"{t} ({count_text(n)})"))
            tab.openRequested.connect(self.open_case_id)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh_tracking)

        self.search_edit.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.today_button.clicked.connect(self.show_today)
        self.recent_button.clicked.connect(self.load_recent)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

    # -- loading ----------------------------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.load_recent()
            self.refresh_tracking()  # the counts in the tab titles are the reminders
            self.timer.start()

    def refresh_tracking(self) -> None:
        for tab in self.tracking:
            tab.refresh()

    def _tab_shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, TrackingTab) and self._loaded:
            widget.refresh()

    def set_reference(self, reference: Reference) -> None:
        """Another user signed in (or the settings changed): the tabs act for them from now on, and the case list
        shows what the new user may see."""
        user_changed = reference.user_id != self.reference.user_id
        self.reference = reference
        for tab in (self.due_soon_tab, self.overdue_tab, self.supervision_tab, self.outbox_tab):
            tab.set_reference(reference)
        if user_changed and self.dialog is not None:
            self.dialog.close()  # the last user's case stays with them
        if user_changed and self._loaded:
            self.model.set_rows([])
            if reference.user is not None:
                self.refresh()

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def refresh(self) -> None:
        kind, text = self._mode
        if kind == "search":
            user = self._user()
            self._run(lambda: search_cases(self.ctx, text, user_id=user), f"“{text}”的查询结果", ("search", text))
        elif kind == "today":
            self.show_today()
        else:
            self.load_recent()

    def _run(self, fn: Callable[[], list[CaseSummary]], title: str, mode: tuple[str, str]) -> None:
        self._generation += 1
        generation = self._generation
        self._mode = mode
        if self.reference.user is None:  # signed out: nothing is read (no user is not the system)
            self.model.set_rows([])
            self.status.setText("未登录")
            return
        self.status.setText("正在查询…")

        def done(rows: list[CaseSummary]) -> None:
            if generation != self._generation:
                return
            self.model.set_rows(rows)
            self.table.resizeColumnsToContents()
            self.status.setText(f"{title}：{len(rows)}件" if rows else f"{title}：没有找到案件")

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.setText(f"查询失败：{error_message(exc)}")

        self.tasks.run(fn, done, failed, owner=self, what="case search")

    def load_recent(self) -> None:
        ctx, user = self.ctx, self._user()
        self._run(lambda: recent_cases(ctx, user_id=user), "最近登记", ("recent", ""))

    def _user(self) -> str | None:
        """The signed-in user: the core shows only the cases they may see (accusations stay hidden from the accused)."""
        return self.reference.user_id or None

    def show_today(self) -> None:
        self.tabs.setCurrentIndex(TAB_LIST)
        ctx, user = self.ctx, self._user()
        today = ctx.now().date()
        self._run(lambda: cases_registered_on(ctx, today, user_id=user), f"今日登记（{today:%Y-%m-%d}，含再次来访）",
                  ("today", ""))

    def search(self) -> None:
        text = self.search_edit.text().strip()
        if not text:
            self.load_recent()
            return
        ctx, user = self.ctx, self._user()
        self._run(lambda: search_cases(ctx, text, user_id=user), f"“{text}”的查询结果", ("search", text))

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(TAB_LIST)
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    # -- opening a case ---------------------------------------------------------------------------------------------

    def case_at(self, proxy_row: int) -> CaseSummary:
        value = self.proxy.index(proxy_row, COL_CASE_NO).data(ObjectRole)
        assert isinstance(value, CaseSummary)
        return value

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_case(self.case_at(index.row()))

    def open_case_id(self, case_id: str, case_no: str) -> None:
        """Open a case from a tracking list (which knows its id and number): its summary is read first."""
        ctx, user = self.ctx, self._user()

        def found(rows: list[CaseSummary]) -> None:
            case = next((c for c in rows if c.id == case_id), None)
            if case is not None:
                self.open_case(case)

        self.tasks.run(lambda: search_cases(ctx, case_no, user_id=user), found, owner=self, what="open tracked case")

    def open_case(self, case: CaseSummary) -> CaseDetailDialog:
        if self.dialog is not None:
            self.dialog.close()
        dialog = CaseDetailDialog(self.ctx, self.reference, self.tasks, self.printer, case, self)
        dialog.finished.connect(lambda _result: self._dialog_finished(dialog))
        dialog.caseChanged.connect(self._case_changed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_finished(self, dialog: CaseDetailDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _case_changed(self) -> None:
        """A lifecycle step was taken in the detail dialog: the lists follow."""
        self.refresh_tracking()
        if self._loaded:
            self.refresh()
