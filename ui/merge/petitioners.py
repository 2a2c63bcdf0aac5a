"""合并信访人…: two records of one person into one (``reception.merge.merge_petitioners``).

Find the records by name, a phone's or an ID's tail (the history search: shown masked, as lists are), pick the record
to keep and the duplicate, see both side by side (visits, cases, last visit), confirm with a reason. Only supervisors
and administrators reach it (``Permission.MERGE``); the core checks again. A refusal is said next to what it is
about: a missing reason under the reason, the same record twice under the choice; what was typed stays.
"""

from __future__ import annotations

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
from reception.domain.errors import FieldError
from reception.domain.textcheck import SEARCH_MAX
from reception.intake.dto import HistoryPage, PersonMatch
from reception.merge.service import REASON_FIELD, MergeError, MergeResult, merge_petitioners, merged_away
from reception.search.service import search_history
from ui.intake.history import day_text
from ui.tasks import TaskManager, disable, error_message
from ui.widgets import Banner, ErrorLabel, button, confirm_row, reason_row, search_row

SEARCH_LABEL = "查找信访人"
SEARCH_HINT = "姓名、电话尾号、证件后4位"
CONFIRM_TEXT = "确认合并"
KEEP_TEXT = "设为保留的记录"
AWAY_TEXT = "设为并入的记录"
NONE_KEPT = "请在查找结果中选择要保留的记录"
NONE_AWAY = "请在查找结果中选择重复的记录"
HEADERS = ["姓名", "证件号码", "联系电话", "来访次数", "最近来访"]
PICK_ERRORS = frozenset({"merge_same", "merge_already_merged", "petitioner_not_found"})
"""Refusals about the two records chosen: said under the choice."""


ROWS = ["姓名", "证件号码", "联系电话", "来访次数", "最近来访", "案件"]


def describe(person: PersonMatch) -> dict[str, str]:
    """A record as its side of the dialog shows it (masked, as lists are)."""
    return {"姓名": person.name, "证件号码": person.id_masked or "—", "联系电话": person.phone_masked or "—",
            "来访次数": str(person.visit_count), "最近来访": day_text(person.last_visit_on),
            "案件": "\n".join(c.case_no for c in person.cases) or "—"}


class RecordSide(QGroupBox):
    """One of the two records, in rows of label and value (one line each: a row never wraps, so nothing is cut
    off); a hint until a record is chosen."""

    def __init__(self, title: str, name: str, hint: str) -> None:
        super().__init__(title)
        self.setAccessibleName(name)
        self.hint = hint
        layout = QVBoxLayout(self)
        self.hint_label = QLabel(hint)
        self.hint_label.setStyleSheet("color: #607d8b;")
        layout.addWidget(self.hint_label)
        self.rows = QWidget()
        form = QFormLayout(self.rows)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.values: dict[str, QLabel] = {}
        for row in ROWS:
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[row] = value
            form.addRow(f"{row}：", value)
        layout.addWidget(self.rows)
        layout.addStretch(1)
        self.show_person(None)

    def show_person(self, person: PersonMatch | None) -> None:
        self.hint_label.setVisible(person is None)
        self.rows.setVisible(person is not None)
        for row, text in (describe(person) if person else {}).items():
            self.values[row].setText(text)

    def text(self) -> str:
        """What the side shows, as one text (for reading aloud and for tests)."""
        if not self.rows.isVisibleTo(self):
            return self.hint_label.text()
        return "\n".join(f"{row}：{self.values[row].text()}" for row in ROWS)


class PetitionerMergeDialog(QDialog):
    merged = Signal(object)
    """The ``MergeResult`` once the merge is stored."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None, desk_id: str | None,
                 keep: PersonMatch | None = None, parent: QWidget | None = None, *, search_text: str = "") -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.actor_id, self.desk_id = ctx, tasks, actor_id, desk_id
        self.candidates: list[PersonMatch] = []
        self.keep: PersonMatch | None = keep
        self.away: PersonMatch | None = None
        self.setWindowTitle("合并信访人")
        self.resize(700, 0)  # (no minimum of its own: the layout sets the minimum, so nothing is cut off)
        layout = QVBoxLayout(self)
        self.message = Banner("info", self)
        layout.addWidget(self.message)
        intro = QLabel("同一人登记成了两条记录时，把重复的记录并入要保留的记录：两条记录的来访和案件合并显示，"
                       "原记录都保留，管理员可以撤销。")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.search_edit, self.search_button, self.search_cell = search_row(
            layout, SEARCH_LABEL, self.find_people, placeholder=SEARCH_HINT, max_length=SEARCH_MAX)

        self.results = QTableWidget(0, len(HEADERS))
        self.results.setHorizontalHeaderLabels(HEADERS)
        self.results.setAccessibleName("查找结果")
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().setVisible(False)
        self.results.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.results.horizontalHeader().setStretchLastSection(True)
        self.results.setMinimumHeight(130)
        self.results.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.results, 1)

        picks = QHBoxLayout()
        picks.addStretch(1)
        self.keep_button = button(KEEP_TEXT)
        self.away_button = button(AWAY_TEXT)
        self.keep_button.clicked.connect(lambda: self._pick(keep=True))
        self.away_button.clicked.connect(lambda: self._pick(keep=False))
        picks.addWidget(self.keep_button)
        picks.addWidget(self.away_button)
        layout.addLayout(picks)

        sides = QHBoxLayout()
        self.keep_side = RecordSide("保留的记录", "保留的记录", NONE_KEPT)
        self.away_side = RecordSide("并入的记录（其来访和案件归入保留的记录）", "并入的记录", NONE_AWAY)
        sides.addWidget(self.keep_side, 1)
        sides.addWidget(self.away_side, 1)
        layout.addLayout(sides)
        self.pick_error = ErrorLabel(self)
        self.pick_error.setAccessibleName("选择记录的提示")
        layout.addWidget(self.pick_error)

        self.reason_edit, self.reason_cell = reason_row(layout, REASON_FIELD)
        self.confirm_button, self.cancel_button = confirm_row(layout, CONFIRM_TEXT, self.confirm, self.reject)
        # (from a history card: that person's duplicates are likeliest under the name; from a case: its petitioner)
        self.search_edit.setText(keep.name if keep is not None else search_text)
        self._show_choice()
        self._selection_changed()

    # -- finding ----------------------------------------------------------------------------------------------------

    def find_people(self) -> None:
        text = self.search_edit.text().strip()
        self.search_cell.error.clear_message()
        if not text:
            self.search_cell.error.show_message("请输入要查找的内容")
            return
        ctx, actor, desk = self.ctx, self.actor_id, self.desk_id

        def run() -> tuple[HistoryPage, dict[str, str]]:
            page = search_history(ctx, text, user_id=actor, desk_id=desk)  # (each person shown is audited)
            return page, merged_away(ctx, [p.petitioner_id for p in page.history.persons])

        def failed(exc: BaseException) -> None:
            self.search_cell.error.show_message(error_message(exc))

        self.tasks.op(run, self._found, what="petitioner merge search", write=True, owner=self, on_error=failed)

    def _found(self, found: tuple[HistoryPage, dict[str, str]]) -> None:
        page, away = found
        # a record already merged away is read as the one it was merged into: not offered again
        self.candidates = [p for p in page.history.persons if p.petitioner_id not in away]
        self.results.setRowCount(len(self.candidates))
        for i, p in enumerate(self.candidates):
            texts = (p.name, p.id_masked or "—", p.phone_masked or "—", str(p.visit_count), day_text(p.last_visit_on))
            for j, text in enumerate(texts):
                self.results.setItem(i, j, QTableWidgetItem(text))
        if not self.candidates:
            self.search_cell.error.show_message("没有找到相符的信访人")
        elif page.total > len(page.history.persons) or page.capped:
            self.search_cell.error.show_message("相符的信访人较多，仅显示最相符的几位，请输入更多内容缩小范围")
        self._selection_changed()

    def selected(self) -> PersonMatch | None:
        rows = {i.row() for i in self.results.selectedIndexes()}
        return self.candidates[min(rows)] if rows and min(rows) < len(self.candidates) else None

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.keep_button.setEnabled(chosen)
        self.away_button.setEnabled(chosen)

    # -- choosing ---------------------------------------------------------------------------------------------------

    def _pick(self, *, keep: bool) -> None:
        person = self.selected()
        if person is None:
            return
        if keep:
            self.keep = person
        else:
            self.away = person
        self.pick_error.clear_message()
        self._show_choice()

    def _show_choice(self) -> None:
        self.keep_side.show_person(self.keep)
        self.away_side.show_person(self.away)
        self.confirm_button.setEnabled(self.keep is not None and self.away is not None)

    def confirm(self) -> None:
        if self.keep is None or self.away is None:
            return
        self.reason_cell.error.clear_message()
        self.pick_error.clear_message()
        self.message.hide()
        ctx, keep, away = self.ctx, self.keep.petitioner_id, self.away.petitioner_id
        reason, actor, desk = self.reason_edit.text(), self.actor_id, self.desk_id

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FieldError) and exc.field == REASON_FIELD:
                self.reason_cell.error.show_message(exc.message)
                self.reason_edit.setFocus()
            elif isinstance(exc, MergeError) or getattr(exc, "key", "") in PICK_ERRORS:
                self.pick_error.show_message(error_message(exc))
            else:
                self.message.show_error(error_message(exc))

        self.tasks.op(lambda: merge_petitioners(ctx, keep, away, reason=reason, actor_id=actor, desk_id=desk),
                      self._done, what="merge petitioners", write=True, owner=self, on_error=failed,
                      busy=disable(self.confirm_button))

    def _done(self, result: MergeResult) -> None:
        self.merged.emit(result)
        self.accept()
