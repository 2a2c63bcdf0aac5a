"""合并案件…: merge another case into the open one (``reception.merge``), from the case detail.

Pick the other case by search, see both side by side, confirm with a reason. Only supervisors and administrators
see the button (``Permission.MERGE``); the core checks again. A missing reason is said under the reason field, and
what was typed stays.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.errors import FieldError
from reception.intake.dto import CaseSummary
from reception.merge.service import REASON_FIELD, MergeResult, merge_cases
from reception.search.service import SearchPage, search
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, confirm_row, reason_row, search_row

SEARCH_LABEL = "查找要并入的案件"
CONFIRM_TEXT = "确认合并"


def _describe(case: CaseSummary) -> str:
    return (f"案件编号：{case.case_no}\n登记日期：{case.registered_on.isoformat()}\n信访人：{case.petitioner_names}\n"
            f"状态：{case.status_label}\n来访次数：{case.visit_count}\n诉求：{case.request_excerpt}")


class CaseMergeDialog(QDialog):
    merged = Signal(object)
    """The ``MergeResult`` once the merge is stored."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, survivor: CaseSummary, actor_id: str | None,
                 desk_id: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.survivor = ctx, tasks, survivor
        self.actor_id, self.desk_id = actor_id, desk_id
        self.candidates: list[CaseSummary] = []
        self.chosen: CaseSummary | None = None
        self.setWindowTitle(f"合并案件 - {survivor.case_no}")
        layout = QVBoxLayout(self)
        self.message = Banner("info", self)
        layout.addWidget(self.message)

        self.search_edit, self.search_button, self.search_cell = search_row(
            layout, SEARCH_LABEL, self.find_cases, placeholder="案件编号、查询码、姓名、电话或证件号码")

        self.results = QTableWidget(0, 4)
        self.results.setHorizontalHeaderLabels(["案件编号", "信访人", "登记日期", "状态"])
        self.results.setAccessibleName("查找结果")
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.itemSelectionChanged.connect(self._picked)
        layout.addWidget(self.results)

        sides = QHBoxLayout()
        keep = QGroupBox("保留的案件（本案件）")
        keep_layout = QVBoxLayout(keep)
        self.survivor_text = QLabel(_describe(survivor))
        self.survivor_text.setWordWrap(True)
        self.survivor_text.setAccessibleName("保留的案件")
        keep_layout.addWidget(self.survivor_text)
        other = QGroupBox("并入的案件（其编号成为本案件的别号）")
        other_layout = QVBoxLayout(other)
        self.merged_text = QLabel("请先查找并选择要并入的案件")
        self.merged_text.setWordWrap(True)
        self.merged_text.setAccessibleName("并入的案件")
        other_layout.addWidget(self.merged_text)
        sides.addWidget(keep, 1)
        sides.addWidget(other, 1)
        layout.addLayout(sides)

        self.reason_edit, self.reason_cell = reason_row(layout, REASON_FIELD)
        self.confirm_button, self.cancel_button = confirm_row(layout, CONFIRM_TEXT, self.confirm, self.reject)
        self.confirm_button.setEnabled(False)  # (until the other case is chosen)

    def find_cases(self) -> None:
        text = self.search_edit.text().strip()
        self.search_cell.error.clear_message()
        if not text:
            self.search_cell.error.show_message("请输入要查找的内容")
            return
        ctx, actor = self.ctx, self.actor_id

        def failed(exc: BaseException) -> None:
            self.search_cell.error.show_message(error_message(exc))

        self.tasks.op(lambda: search(ctx, text, user_id=actor), self._found, what="merge search", owner=self,
                      on_error=failed)

    def _found(self, page: SearchPage) -> None:
        self.candidates = [h.summary for h in page.hits if h.summary.id != self.survivor.id]
        self.results.setRowCount(len(self.candidates))
        for i, c in enumerate(self.candidates):
            for j, text in enumerate((c.case_no, c.petitioner_names, c.registered_on.isoformat(), c.status_label)):
                self.results.setItem(i, j, QTableWidgetItem(text))
        if not self.candidates:
            self.search_cell.error.show_message("没有找到其他案件")
        self._picked()

    def _picked(self) -> None:
        rows = {i.row() for i in self.results.selectedIndexes()}
        self.chosen = self.candidates[min(rows)] if rows and min(rows) < len(self.candidates) else None
        self.merged_text.setText(_describe(self.chosen) if self.chosen else "请先查找并选择要并入的案件")
        self.confirm_button.setEnabled(self.chosen is not None)

    def confirm(self) -> None:
        if self.chosen is None:
            return
        self.reason_cell.error.clear_message()
        self.message.hide()
        ctx, keep, away = self.ctx, self.survivor.id, self.chosen.id
        reason, actor, desk = self.reason_edit.text(), self.actor_id, self.desk_id

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FieldError) and exc.field == REASON_FIELD:
                self.reason_cell.error.show_message(exc.message)
            else:
                self.message.show_error(error_message(exc))

        self.tasks.op(lambda: merge_cases(ctx, keep, away, reason=reason, actor_id=actor, desk_id=desk),
                      self._done, what="merge cases", write=True, owner=self, on_error=failed)

    def _done(self, result: MergeResult) -> None:
        self.merged.emit(result)
        self.accept()
