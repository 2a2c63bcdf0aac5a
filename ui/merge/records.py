"""Merges listed, and 撤销合并 (administrators): the list of a case's merges in its detail, the whole list under
管理 → 合并记录…, and the undo dialog with its required 撤销理由 (``reception.merge.undo_case_merge`` /
``undo_petitioner_merge``; the core checks the permission again)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.db.base import to_local
from reception.domain.errors import FieldError
from reception.merge.service import (
    CASE,
    UNDO_REASON_FIELD,
    MergeListing,
    MergeResult,
    all_merges,
    undo_case_merge,
    undo_petitioner_merge,
)
from reception.security.permissions import Permission, allowed
from ui.tasks import TaskManager, disable, error_message
from ui.widgets import Banner, button, confirm_row, reason_row

UNDO_TEXT = "撤销合并"
OPEN_UNDO_TEXT = "撤销合并…"
KIND_LABELS = {CASE: "案件", "petitioner": "信访人"}
HEADERS = ["类型", "合并时间", "状态", "保留", "并入", "合并理由"]
"""The reason last: it takes the room left (and wraps), the rest fit their contents."""


def may_undo(role: str | None) -> bool:
    return role is not None and allowed(role, Permission.ADMIN)


def state_text(m: MergeListing) -> str:
    return "已撤销" if m.record.undone else "有效"


def describe(m: MergeListing) -> list[tuple[str, str]]:
    """The merge to undo, as rows of label and value."""
    kind = KIND_LABELS.get(m.kind, m.kind)
    return [(f"保留的{kind}", m.survivor_label), (f"并入的{kind}", m.merged_label),
            ("合并时间", f"{to_local(m.record.made_at):%Y-%m-%d %H:%M}"), ("合并理由", m.record.reason)]


def consequence(m: MergeListing) -> str:
    return ("撤销后，两条记录重新分开，各自显示自己的来访和案件" +
            ("；\n并入的案件重新按自己的受理日期计算期限。" if m.kind == CASE else "。"))


def _value(text: str) -> QLabel:
    label = QLabel(text or "—")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class UndoMergeDialog(QDialog):
    undone = Signal(object)
    """The ``MergeResult`` of the undo once stored."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, merge: MergeListing, actor_id: str | None,
                 desk_id: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.merge, self.actor_id, self.desk_id = ctx, tasks, merge, actor_id, desk_id
        self.setWindowTitle("撤销合并")
        self.resize(540, 0)  # (no minimum of its own: the layout sets the minimum, so nothing is cut off)
        layout = QVBoxLayout(self)
        self.message = Banner("info", self)
        layout.addWidget(self.message)
        self.what = QGroupBox("要撤销的合并")
        what_form = QFormLayout(self.what)
        what_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for label, text in describe(merge):
            value = _value(text)
            value.setWordWrap(label == "合并理由")  # (the rest are short: unwrapped, they are never cut off)
            what_form.addRow(label, value)
        layout.addWidget(self.what)
        note = _value(consequence(merge))
        note.setWordWrap(False)
        note.setStyleSheet("color: #546e7a;")
        layout.addWidget(note)
        self.reason_edit, self.reason_cell = reason_row(layout, UNDO_REASON_FIELD)
        self.confirm_button, self.cancel_button = confirm_row(layout, UNDO_TEXT, self.confirm, self.reject)

    def confirm(self) -> None:
        self.reason_cell.error.clear_message()
        self.message.hide()
        ctx, merge_id, reason = self.ctx, self.merge.record.id, self.reason_edit.text()
        actor, desk = self.actor_id, self.desk_id
        undo = undo_case_merge if self.merge.kind == CASE else undo_petitioner_merge

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FieldError) and exc.field == UNDO_REASON_FIELD:
                self.reason_cell.error.show_message(exc.message)
                self.reason_edit.setFocus()
            else:
                self.message.show_error(error_message(exc))

        self.tasks.op(lambda: undo(ctx, merge_id, reason=reason, actor_id=actor, desk_id=desk), self._done,
                      what="undo merge", write=True, owner=self, on_error=failed,
                      busy=disable(self.confirm_button))

    def _done(self, result: MergeResult) -> None:
        self.undone.emit(result)
        self.accept()


class MergeList(QWidget):
    """Merges in a table, newest first, with 撤销合并… for administrators (hidden from anyone else)."""

    undone = Signal(object)

    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None, desk_id: str | None,
                 role: str | None, *, headers: list[str] | None = None, name: str = "合并记录",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.actor_id, self.desk_id = ctx, tasks, actor_id, desk_id
        self.merges: list[MergeListing] = []
        self.undo_dialog: UndoMergeDialog | None = None
        self.headers = headers or HEADERS
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(self.headers))
        self.table.setHorizontalHeaderLabels(self.headers)
        self.table.setAccessibleName(name)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        self.empty = QLabel("没有合并记录。")
        self.empty.setStyleSheet("color: #607d8b;")
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        row.addStretch(1)
        self.undo_button = button(OPEN_UNDO_TEXT)
        self.undo_button.clicked.connect(self.open_undo)
        self.undo_button.setVisible(may_undo(role))
        row.addWidget(self.undo_button)
        layout.addLayout(row)
        self.set_merges([])

    def _cells(self, m: MergeListing) -> list[str]:
        cells = {"类型": KIND_LABELS.get(m.kind, m.kind), "合并时间": f"{to_local(m.record.made_at):%Y-%m-%d %H:%M}",
                 "保留": m.survivor_label, "并入": m.merged_label, "并入的案件": m.merged_label,
                 "合并理由": m.record.reason, "状态": state_text(m)}
        return [cells[h] for h in self.headers]

    def set_merges(self, merges: list[MergeListing]) -> None:
        self.merges = merges
        self.table.setRowCount(len(merges))
        for r, m in enumerate(merges):
            for c, text in enumerate(self._cells(m)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(merges))
        self.empty.setVisible(not merges)
        self._selection_changed()

    def selected(self) -> MergeListing | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.merges[min(rows)] if rows and min(rows) < len(self.merges) else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.undo_button.setEnabled(chosen is not None and not chosen.record.undone)

    def open_undo(self) -> UndoMergeDialog | None:
        chosen = self.selected()
        if chosen is None or chosen.record.undone:
            return None
        dialog = UndoMergeDialog(self.ctx, self.tasks, chosen, self.actor_id, self.desk_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.undone.connect(self.undone.emit)
        self.undo_dialog = dialog
        dialog.open()
        return dialog


class MergeRecordsDialog(QDialog):
    """管理 → 合并记录…: every merge of cases and petitioners, with 撤销合并… (administrators)."""

    changed = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None, desk_id: str | None,
                 role: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.actor_id = ctx, tasks, actor_id
        self.setWindowTitle("合并记录")
        from ui.geometry import fit_to_screen

        fit_to_screen(self, 860, 480, centred=False)
        layout = QVBoxLayout(self)
        self.message = Banner("info", self)
        layout.addWidget(self.message)
        self.list = MergeList(ctx, tasks, actor_id, desk_id, role, parent=self)
        self.list.undone.connect(self._undone)
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.refresh_button = button("刷新")
        self.refresh_button.clicked.connect(self.load)
        self.close_button = button("关闭")
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.load()

    def load(self, after: Callable[[], None] | None = None) -> None:
        ctx, actor = self.ctx, self.actor_id

        def done(merges: list[MergeListing]) -> None:
            self.list.set_merges(merges)
            if after is not None:
                after()

        self.tasks.op(lambda: all_merges(ctx, actor_id=actor), done, what="merge records", owner=self,
                      message=self.message.show_error)

    def _undone(self, _result: MergeResult) -> None:
        self.load(lambda: self.message.show_message("已撤销合并，两条记录已重新分开。", "success"))
        self.changed.emit()
