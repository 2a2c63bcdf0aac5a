"""The 来访登记 page: the form, the history panel beside it, saving and printing the receipt."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.enums import HistoryFlag
from reception.domain.errors import FieldError, FieldErrors, ReceptionError
from reception.intake import directory
from reception.intake.dto import CaseSummary, HistoryPage, HistoryResult, IntakeResult, PersonMatch, RouteProposal
from reception.intake.history import lookup_history
from reception.intake.service import register_intake
from reception.search.service import search_history
from ui.icons import icon
from ui.intake.form import IntakeForm
from ui.intake.history import HistoryPanel
from ui.printing import PrintFn
from ui.reference import Reference
from ui.tasks import GENERIC_ERROR, TaskManager, error_message, log_failure
from ui.widgets import Banner, button

log = logging.getLogger(__name__)

HISTORY_DEBOUNCE_MS = 250


def route_info(ctx: AppContext, category_id: str, locality_id: str | None) -> tuple[RouteProposal | None, str | None]:
    """The routing rule's proposal and the category's legal channel (诉访分离), in one short read."""
    with ctx.db.read() as session:
        return (directory.propose_route(session, category_id, locality_id),
                directory.legal_channel_for(session, category_id))


class SavedPanel(QFrame):
    """After a save: the case number and query code, big enough to read out to the petitioner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("savedPanel")
        self.setStyleSheet(
            "QFrame#savedPanel { background: #e8f5e9; border: 1px solid #2e7d32; border-radius: 6px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        text = QVBoxLayout()
        self.title = QLabel("登记成功")
        self.title.setStyleSheet("color: #2e7d32; font-weight: bold;")
        numbers = QHBoxLayout()
        numbers.setSpacing(24)
        self.case_no = QLabel()
        self.case_no.setObjectName("savedCaseNo")
        self.query_code = QLabel()
        self.query_code.setObjectName("savedQueryCode")
        for label in (self.case_no, self.query_code):
            label.setStyleSheet("font-size: 20px; font-weight: bold; color: #1b5e20;")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            numbers.addWidget(label)
        numbers.addStretch(1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        text.addWidget(self.title)
        text.addLayout(numbers)
        text.addWidget(self.detail)
        layout.addLayout(text, 1)
        self.print_button = button("打印回执")
        self.preview_button = button("打印预览")
        self.new_button = button("新登记")
        layout.addWidget(self.print_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.preview_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_result(self, result: IntakeResult) -> None:
        self.case_no.setText(f"案件编号  {result.case_no}")
        self.query_code.setText(f"查询码  {result.query_code}")
        lines = []
        if result.is_new_case:
            lines.append("已新建信访事项，请将回执交给信访人。")
        else:
            lines.append(f"已并入原信访事项，记为第{result.visit_no}次来访。")
        if HistoryFlag.CONCLUDED in result.flags:
            lines.append("该事项已复核终结，回执注明不再受理。")
        elif HistoryFlag.IN_HANDLING in result.flags:
            lines.append("该事项正在办理中，不重复受理。")
        if result.receipt_path:
            lines.append(f"回执已存档：{Path(result.receipt_path).name}")
        if result.receipt_error:
            lines.append(result.receipt_error)
        self.detail.setText("\n".join(lines))
        self.print_button.setEnabled(bool(result.receipt_path))
        self.preview_button.setEnabled(bool(result.receipt_path))
        self.show()


class IntakePage(QWidget):
    caseSaved = Signal(object)
    """An IntakeResult, after each successful save."""

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager, printer: PrintFn,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reference = reference
        self.tasks = tasks
        self.printer = printer
        self.previewer: PrintFn = printer
        """打印预览 (the main window gives the desk printer's preview; the same as ``printer`` otherwise)."""
        self.result: IntakeResult | None = None
        self._saving = False
        self._history_gen = 0
        self._history_key: tuple[str, str, str] | None = None
        self._route_gen = 0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)

        self.saved_panel = SavedPanel(self)
        self.saved_panel.new_button.clicked.connect(self.new_form)
        self.saved_panel.print_button.clicked.connect(lambda: self.print_saved())
        self.saved_panel.preview_button.clicked.connect(lambda: self.print_saved(preview=True))
        layout.addWidget(self.saved_panel)
        self.error_banner = Banner("error", self)
        layout.addWidget(self.error_banner)

        self.form = IntakeForm(reference, lambda: ctx.now().date())
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self.form)
        self.form.setContentsMargins(0, 0, 8, 0)

        # never scroll sideways: the form keeps its full width and the history panel gives way
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setMinimumWidth(
            self.form.minimumSizeHint().width() + self.scroll_area.verticalScrollBar().sizeHint().width() + 4
        )
        self.history = HistoryPanel()
        self.history.setMinimumWidth(240)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.scroll_area)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([820, 340])
        layout.addWidget(splitter, 1)

        bar = QHBoxLayout()
        hint = QLabel("Ctrl+S 保存　Ctrl+P 保存并打印回执　Ctrl+N 新登记")
        hint.setStyleSheet("color: #607d8b;")
        bar.addWidget(hint)
        bar.addStretch(1)
        self.save_button = button("保存")
        self.save_print_button = button("保存并打印回执", default=True)
        self.save_print_button.setObjectName("primaryButton")
        self.save_print_button.setIcon(icon("save_print", colour="white"))
        self.save_print_button.setStyleSheet(
            "QPushButton#primaryButton { background: #1565c0; color: white; border: 1px solid #0d47a1;"
            " border-radius: 3px; padding: 5px 14px; font-weight: bold; }"
            "QPushButton#primaryButton:disabled { background: #90a4ae; border-color: #78909c; }"
            "QPushButton#primaryButton:focus { border: 2px solid #ffb300; }"
        )
        self.save_button.setMinimumWidth(96)
        self.save_print_button.setMinimumWidth(140)
        self.save_button.clicked.connect(lambda: self.save(print_receipt=False))
        self.save_print_button.clicked.connect(lambda: self.save(print_receipt=True))
        bar.addWidget(self.save_button)
        bar.addWidget(self.save_print_button)
        layout.addLayout(bar)

        self._history_timer = QTimer(self)
        self._history_timer.setSingleShot(True)
        self._history_timer.setInterval(HISTORY_DEBOUNCE_MS)
        self._history_timer.timeout.connect(self.lookup_history)
        self.form.personChanged.connect(self._history_timer.start)
        self.form.routingInputsChanged.connect(self.request_route)
        self.form.joinCancelled.connect(self._refresh_history_state)
        self.history.joinRequested.connect(self.join_case)
        self.history.usePersonRequested.connect(self.use_person)
        self.history.searchRequested.connect(self.search_history)
        self.history.mergePersonRequested.connect(self.open_petitioner_merge)
        self.merge_dialog: QWidget | None = None
        self._last_search = ""
        self._allow_merge()
        self.form.set_route_info(None, None)

    def set_reference(self, reference: Reference) -> None:
        """Another user, new settings or new reference data: saves act for them, the form lists the new data."""
        self.reference = reference
        self.form.set_reference(reference)
        self._allow_merge()

    def _allow_merge(self) -> None:
        from reception.security.permissions import Permission, allowed

        user = self.reference.user
        self.history.set_may_merge(user is not None and allowed(user.role, Permission.MERGE))

    def open_petitioner_merge(self, person: PersonMatch) -> QWidget:
        """合并信访人… from a history card, that record kept; once merged the history is read again."""
        from ui.merge.petitioners import PetitionerMergeDialog

        dialog = PetitionerMergeDialog(self.ctx, self.tasks, self.reference.user_id or None,
                                       self.reference.desk_id or None, keep=person, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.merged.connect(self._petitioners_merged)
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _petitioners_merged(self, _result: object) -> None:
        if self._last_search:
            self.search_history(self._last_search)
        else:
            self._history_key = None
            self.lookup_history()

    # -- history ----------------------------------------------------------------------------------------------------

    def lookup_history(self) -> None:
        key = self.form.history_query()
        if key == self._history_key:
            return
        self._history_key = key
        self._last_search = ""
        self._history_gen += 1
        generation = self._history_gen
        id_number, phone, name = key
        if not any(key):
            self.history.clear()
            return
        self.history.set_searching()
        ctx, user, desk = self.ctx, self.reference.user_id or None, self.reference.desk_id or None

        def run() -> HistoryResult:
            return lookup_history(ctx, id_number=id_number, phone=phone, name=name, user_id=user, desk_id=desk)

        def done(result: HistoryResult) -> None:
            if generation == self._history_gen:
                self.history.show_result(result, joined_case_id=self._joined_id(),
                                         linked_petitioner_id=self._linked_id())

        def failed(exc: BaseException) -> None:
            if generation == self._history_gen:
                self._history_key = None
                self.history.show_failure(error_message(exc))

        # audited (who looked at whose record), so it goes through the writer
        self.tasks.run(run, done, failed, write=True, owner=self, what="history lookup")

    def search_history(self, text: str) -> None:
        """The history panel's search box: earlier petitioners by whatever the petitioner brings (a phone's tail, part
        of a name or an address, a case number, a query code), read as the case list's search box reads it."""
        self._history_gen += 1
        generation = self._history_gen
        self._last_search = text
        self.history.set_searching()
        ctx, user, desk = self.ctx, self.reference.user_id or None, self.reference.desk_id or None

        def run() -> HistoryPage:
            return search_history(ctx, text, user_id=user, desk_id=desk)

        def done(page: HistoryPage) -> None:
            if generation == self._history_gen:
                self.history.show_search_result(page, joined_case_id=self._joined_id(),
                                                linked_petitioner_id=self._linked_id())

        def failed(exc: BaseException) -> None:
            if generation != self._history_gen:
                return
            if isinstance(exc, FieldError):  # text the search cannot read: said under the box, the text kept
                self.history.show_search_error(exc.message)
            else:
                self.history.show_failure(error_message(exc))

        self.tasks.run(run, done, failed, write=True, owner=self, what="history search")

    def _joined_id(self) -> str | None:
        return self.form.join_case.id if self.form.join_case else None

    def _linked_id(self) -> str | None:
        return self.form.petitioner.petitioner_id if self.form.petitioner else None

    def _refresh_history_state(self) -> None:
        self.history.refresh_state(joined_case_id=self._joined_id(), linked_petitioner_id=self._linked_id())

    def join_case(self, case: CaseSummary) -> None:
        self.form.set_join_case(case)
        self._refresh_history_state()

    def use_person(self, person: PersonMatch) -> None:
        self.form.set_petitioner(person)
        self._refresh_history_state()

    # -- routing proposal -------------------------------------------------------------------------------------------

    def request_route(self) -> None:
        self._route_gen += 1
        generation = self._route_gen
        category, locality = self.form.category_id, self.form.locality_id
        if not category:
            self.form.set_route_info(None, None)
            return
        ctx = self.ctx

        def done(info: tuple[RouteProposal | None, str | None]) -> None:
            if generation == self._route_gen:
                self.form.set_route_info(*info)

        def failed(exc: BaseException) -> None:
            if generation == self._route_gen:
                self.form.set_route_info(None, None)
                self.form.route_hint.setText(f"无法取得分派建议：{error_message(exc)}")

        self.tasks.run(lambda: route_info(ctx, category, locality), done, failed, owner=self, what="route proposal")

    # -- saving -----------------------------------------------------------------------------------------------------

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        enabled = not saving and self.result is None
        self.save_button.setEnabled(enabled)
        self.save_print_button.setEnabled(enabled)

    def save(self, *, print_receipt: bool = False) -> None:
        """Validate and save through the core; on success show the numbers, optionally print the receipt."""
        if self._saving:
            return
        if self.result is not None:
            if print_receipt:
                self.print_saved()
            return
        form_input = self.form.collect()
        self.form.clear_errors()
        self.error_banner.hide()
        self._set_saving(True)
        ctx = self.ctx
        desk_id, officer_id = self.reference.desk_id, self.reference.user_id

        def run() -> IntakeResult:
            return register_intake(ctx, form_input, desk_id=desk_id, officer_id=officer_id)

        self.tasks.op(run, lambda result: self._saved(result, print_receipt), what="intake save", write=True,
                      owner=self, on_error=self._save_failed)

    def _saved(self, result: IntakeResult, print_receipt: bool) -> None:
        self.result = result
        self._set_saving(False)
        self.form.set_read_only(True)
        # the record is saved: no more look-ups or joins for this form until 新登记
        self._history_timer.stop()
        self._history_gen += 1
        self.history.setEnabled(False)
        self.saved_panel.show_result(result)
        self.saved_panel.new_button.setFocus()
        self.caseSaved.emit(result)
        if print_receipt:
            if result.receipt_path:
                self.print_file(Path(result.receipt_path))
            else:
                self.error_banner.show_message(result.receipt_error or "回执未生成，可在案件列表中补打。", "error")

    def _save_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        if isinstance(exc, FieldErrors):
            widget = self.form.show_errors(exc.errors)
            if widget is not None:
                self.scroll_area.ensureWidgetVisible(widget, 40, 60)
            count = len({e.field for e in exc.errors})
            self.error_banner.show_message(f"有{count}处需要更正，请查看标红的提示。登记内容均已保留。", "error")
        else:
            self.error_banner.show_message(f"未保存：{error_message(exc)}", "error")

    # -- printing ---------------------------------------------------------------------------------------------------

    def print_saved(self, *, preview: bool = False) -> None:
        if self.result is not None and self.result.receipt_path:
            self.print_file(Path(self.result.receipt_path), preview=preview)

    def print_file(self, path: Path, *, preview: bool = False) -> None:
        try:
            (self.previewer if preview else self.printer)(self.window(), path)
        except ReceptionError as exc:
            log_failure(exc, "print")
            self.error_banner.show_message(exc.message, "error")
        except Exception as exc:  # a printer driver problem must not lose the saved record
            log_failure(exc, "print")
            self.error_banner.show_message(f"打印失败：{GENERIC_ERROR}记录已保存，可在案件列表中补打回执。", "error")

    # -- new form ---------------------------------------------------------------------------------------------------

    def new_form(self, *, confirm: bool = False) -> None:
        if confirm and self.result is None and self.form.is_dirty():
            answer = QMessageBox.question(self, "新登记", "当前登记尚未保存，确定清空并开始新登记吗？")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.result = None
        self._set_saving(False)
        self.saved_panel.hide()
        self.error_banner.hide()
        self.form.reset()
        self.history.setEnabled(True)
        self._history_timer.stop()
        self._history_key = None
        self._history_gen += 1
        self._route_gen += 1
        self.history.clear(search_too=True)
        self.scroll_area.verticalScrollBar().setValue(0)
        self.form.focus_first()
