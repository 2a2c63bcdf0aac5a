"""案件查询: one search box for whatever the petitioner brings (case number or its date-counter part, query code, the
receipt's QR, an ID number or phone in full or their last digits, part of a name, pinyin initials), paged; today's
registrations; open a case; and the case-tracking tabs (临期提醒, 超期案件, 督办, 短信通知) refreshed in the
background. A receipt scanned anywhere in the app (``ui.scanner``) opens its case here (``open_scanned``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
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

from reception.changes import Change, ChangeSet
from reception.context import AppContext
from reception.intake.cases import cases_registered_on, recent_cases, search_cases
from reception.intake.dto import CaseSummary
from reception.lifecycle.notify import RecordingGateway, SmsGateway
from reception.lifecycle.service import count_text
from reception.search.query import Kind, classify
from reception.search.service import PAGE_SIZE, SearchPage, search
from ui.cases.detail import CaseDetailDialog
from ui.cases.model import COL_CASE_NO, COL_REGISTERED, CaseTableModel, ObjectRole, SortRole
from ui.cases.tracking import DueSoonTab, OutboxTab, OverdueTab, SupervisionTab, TrackingTab
from ui.printing import PrintFn
from ui.reference import Reference
from ui.tasks import TaskManager, error_message
from ui.widgets import button

if TYPE_CHECKING:
    from ui.main_window import MainWindow

TAB_LIST = 0
TAB_DUE_SOON = 1
TAB_OVERDUE = 2
TAB_SUPERVISION = 3
TAB_OUTBOX = 4

REFRESH_MS = 3 * 60 * 1000
"""The tracking tabs refresh themselves every three minutes while the page lives."""
PLACEHOLDER = "案件编号、查询码、扫描回执二维码、姓名（任意两字）、证件号码或电话（可输后四位）"
NOTHING_FOUND = "没有找到相符的案件。可按证件号码或电话查询此人的来访历史，或新建来访登记。"


class CaseListPage(QWidget):
    newIntakeRequested = Signal()
    """新建来访登记 after a search that found nothing."""
    historyRequested = Signal(str)
    """查询来访历史: the intake page's history check, with the ID number or phone typed here ('' if none)."""
    pageRequested = Signal()
    """A scanned receipt could not be opened: show this page (its status line says why)."""

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
        self._changed = False
        """A write (here, elsewhere, or pulled by the sync) changed what the list shows: read again when shown."""
        tasks.changes.changed.connect(self._on_changes)
        self._mode: tuple[str, str] = ("recent", "")
        self._offset = 0
        self.last_page: SearchPage | None = None
        """The last search's page (total, page number, how the text was read)."""
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
        self.search_edit.setPlaceholderText(PLACEHOLDER)
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
        status_bar = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("caseListStatus")
        self.status.setWordWrap(True)
        self.history_button = button("查询来访历史")
        self.new_intake_button = button("新建来访登记")
        self.previous_button = button("上一页")
        self.next_button = button("下一页")
        status_bar.addWidget(self.status, 1)
        for b in (self.history_button, self.new_intake_button, self.previous_button, self.next_button):
            b.setVisible(False)
            status_bar.addWidget(b)
        layout.addLayout(status_bar)

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
        self.previous_button.clicked.connect(lambda: self._page_step(-1))
        self.next_button.clicked.connect(lambda: self._page_step(1))
        self.history_button.clicked.connect(self._history_requested)
        self.new_intake_button.clicked.connect(self.newIntakeRequested.emit)
        self.today_button.clicked.connect(self.show_today)
        self.recent_button.clicked.connect(self.load_recent)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

    # -- loading ----------------------------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    def _on_changes(self, changes: ChangeSet) -> None:
        if self._loaded and changes.touches(Change.CASES, Change.REFERENCE):
            self._changed = True

    def ensure_loaded(self, *, recent: bool = True) -> None:
        """When shown: the first read, or a read again of what the list shows when something changed since."""
        if self._changed:
            self._changed = False
            self.refresh()
        if not self._loaded:
            self._loaded = True
            if recent:
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

    def connect_window(self, window: MainWindow) -> None:
        """The next steps this page offers lead to the intake page (called once by the main window)."""
        from ui.main_window import PAGE_CASES

        self.newIntakeRequested.connect(window.new_intake)
        self.historyRequested.connect(lambda text: _history_at_intake(window, text))
        self.pageRequested.connect(lambda: window.show_page(PAGE_CASES))

    def refresh(self) -> None:
        kind, text = self._mode
        if kind == "search":
            self._run_search(text, self._offset)
        elif kind == "today":
            self.show_today()
        else:
            self.load_recent()

    def _show_steps(self, *, nothing: bool = False, page: SearchPage | None = None) -> None:
        self.history_button.setVisible(nothing)
        self.new_intake_button.setVisible(nothing)
        paged = page is not None and page.pages > 1
        self.previous_button.setVisible(paged)
        self.next_button.setVisible(paged)
        if page is not None:
            self.previous_button.setEnabled(page.has_previous)
            self.next_button.setEnabled(page.has_next)

    def _run(self, fn: Callable[[], list[CaseSummary]], title: str, mode: tuple[str, str]) -> None:
        self._generation += 1
        generation = self._generation
        self._mode = mode
        self._show_steps()
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

        def said(text: str) -> None:
            if generation == self._generation:  # (not when another search has started since)
                self.status.setText(text)

        self.tasks.op(fn, done, what="case search", owner=self, message=said, prefix="查询失败：")

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
        self._run_search(text, 0)

    def _page_step(self, step: int) -> None:
        kind, text = self._mode
        if kind == "search" and self.last_page is not None:
            self._run_search(text, max(0, self.last_page.offset + step * self.last_page.page_size))

    def _run_search(self, text: str, offset: int, *, scanned: bool = False) -> None:
        """One page of the search service's results (the typed text goes to the core only: never to a log)."""
        self._generation += 1
        generation = self._generation
        self._mode = ("search", text)
        self._offset = offset
        self._show_steps()
        if self.reference.user is None:
            self.model.set_rows([])
            self.status.setText("未登录")
            return
        self.status.setText("正在查询…")
        ctx, user = self.ctx, self._user()

        def done(page: SearchPage) -> None:
            if generation != self._generation:
                return
            self.last_page = page
            self._offset = page.offset
            self.model.set_rows(list(page.rows))
            self.table.resizeColumnsToContents()
            if scanned and page.qr_case_id is not None and page.rows:
                self.status.setText(f"已扫描回执：{page.rows[0].case_no}")
                self.open_case(page.rows[0])
                return
            if page.qr_mismatch:
                self.status.setText("回执二维码中的查询码与该案件不符，请核对回执或手工输入案件编号。")
            elif not page.rows:
                self.status.setText(NOTHING_FOUND)
                self._show_steps(nothing=True)
            else:
                how = "、".join(dict.fromkeys(h.matched for h in page.hits))
                more = "（结果过多，只列出最相关的部分，请输入更多内容）" if page.capped else ""
                pages = f"，第{page.page_no}/{page.pages}页" if page.pages > 1 else ""
                self.status.setText(f"查询结果：共{page.total}件{pages}，按{how}匹配，完全相符的在前{more}")
                self._show_steps(page=page)
            if scanned:
                self.pageRequested.emit()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.setText(f"查询失败：{error_message(exc)}")
                if scanned:
                    self.pageRequested.emit()

        self.tasks.run(lambda: search(ctx, text, offset=offset, page_size=PAGE_SIZE, user_id=user), done, failed,
                       owner=self, what="case search")

    def open_scanned(self, payload: str) -> None:
        """A receipt's QR code scanned anywhere in the app: open its case at once (after checking its query code);
        otherwise show this page with the reason."""
        self.search_edit.setText(payload)
        self.tabs.setCurrentIndex(TAB_LIST)
        self.ensure_loaded(recent=False)  # (the list shows this search, not the recent cases)
        self._run_search(payload, 0, scanned=True)

    def _history_requested(self) -> None:
        kind, text = self._mode
        readings = classify(text) if kind == "search" else ()
        full = next((r.value for r in readings if r.kind in (Kind.ID_NUMBER, Kind.PHONE)), "")
        self.historyRequested.emit(full)

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

        self.tasks.op(lambda: search_cases(ctx, case_no, user_id=user), found, what="open tracked case", owner=self)

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


def _history_at_intake(window: MainWindow, text: str) -> None:
    """查询来访历史: the intake page, the ID number (or phone) typed in the search put in its field when the form is
    empty there, so the history panel looks the person up."""
    from reception.search.query import Kind as K
    from reception.search.query import classify as read
    from ui.main_window import PAGE_INTAKE

    window.show_page(PAGE_INTAKE)
    form = window.intake_page.form
    kind = next((r.kind for r in read(text)), None) if text else None
    edit = form.phone_edit if kind is K.PHONE and not form.phone_edit.text() else form.id_edit
    if text and not edit.text():
        edit.setText(text)
    edit.setFocus()
