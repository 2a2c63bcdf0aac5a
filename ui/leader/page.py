"""领导接访: today's queue of visits the desk sent to the duty leader (and appointments) on the left; the selected
case and the reception record (现场答复) on the right. Every core call runs through the TaskManager.

Every input has a visible label that is its buddy and has the same text as its accessible name; the core's field
errors appear in red under their fields and typed text is kept (also when another row is selected meanwhile:
each row keeps its draft until it is saved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate, QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.changes import Change, ChangeSet
from reception.context import AppContext
from reception.domain.errors import FieldError, FieldErrors
from reception.intake.dto import CaseDetail
from reception.leader import service as svc
from reception.leader.service import LeaderChoice, Outcome, QueueItem, QueueState, Reaction, RecordInput
from ui.leader.beyond import AppointmentsTab, BacklogTab, BeyondTab, DownVisitsTab
from ui.leader.model import COL_CATEGORY, COL_PETITIONER, COL_STATE, ObjectRole, QueueModel
from ui.reference import Reference, refill_combo
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, ErrorLabel, FieldCell, button, combo_enum, field_label

LABELS = {svc.F_LEADER: "接访领导", svc.F_REPLY: "现场答复", svc.F_OUTCOME: "处理结果", svc.F_UNIT: "责任单位",
          svc.F_DUE: "办理期限", svc.F_LEGAL_CHANNEL: "法定途径", svc.F_PRESENT: "到场单位",
          svc.F_REACTION: "信访人态度", svc.F_FOLLOW_UP: "后续要求"}
"""The core's field keys and the label of each one's input."""
FIELD_ORDER = (svc.F_LEADER, svc.F_REPLY, svc.F_OUTCOME, svc.F_UNIT, svc.F_DUE, svc.F_LEGAL_CHANNEL,
               svc.F_PRESENT, svc.F_REACTION, svc.F_FOLLOW_UP)
DEFAULT_DUE_DAYS = 15
ROUTING_OUTCOMES = frozenset({Outcome.ASSIGNED, Outcome.OWNED})
"""Outcomes that can hand the case to a unit: 交办 must, 包案 may name the lead unit (牵头单位)."""
NO_UNIT = "（不选责任单位）"
SAVE_TEXT = "保存接访记录"


@dataclass
class Draft:
    """What was typed for one queue item, kept while another item is shown."""

    leader_id: str | None
    reply: str
    outcome: str | None
    unit_id: str | None
    due: QDate
    legal_channel: str
    present: str
    reaction: str | None
    follow_up: str


def _combo(placeholder: str = "") -> QComboBox:
    combo = QComboBox()
    if placeholder:
        combo.setPlaceholderText(placeholder)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


def _text(placeholder: str, height: int) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(height)
    edit.setMaximumHeight(height * 3 // 2)
    return edit


def _select(combo: QComboBox, data: str | None) -> None:
    combo.setCurrentIndex(combo.findData(data) if data is not None else -1)


class ReceptionForm(QWidget):
    """The reception record: one labelled input per field of ``RecordInput``, each with its error line."""

    def __init__(self, reference: Reference, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self._read_only = False
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self._grid = grid

        self.leader_combo = _combo("请选择接访领导")
        self.reply_edit = _text("如实记录领导当场作出的答复", 72)
        self.outcome_combo = _combo("请选择")
        for o in Outcome:
            self.outcome_combo.addItem(o.label, o.value)
        self.outcome_combo.setCurrentIndex(-1)
        self.unit_combo = _combo("请选择责任单位")
        self.unit_combo.addItem(NO_UNIT, "")  # 包案 without naming a lead unit; 交办 refuses it
        for u in reference.units:
            self.unit_combo.addItem(u.name, u.id)
        self.unit_combo.setCurrentIndex(-1)
        self.due_edit = QDateEdit()
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd")
        self.legal_edit = QLineEdit()
        self.legal_edit.setMaxLength(200)
        self.legal_edit.setPlaceholderText("如：向区人民法院提起诉讼、申请劳动仲裁、申请行政复议")
        self.present_edit = QLineEdit()
        self.present_edit.setMaxLength(400)
        self.present_edit.setPlaceholderText("多个单位用顿号“、”分隔")
        self.reaction_combo = _combo("请选择")
        for r in Reaction:
            self.reaction_combo.addItem(r.label, r.value)
        self.reaction_combo.setCurrentIndex(-1)
        self.follow_edit = _text("领导对责任单位、接待中心的后续要求（可不填）", 48)

        row = 0
        row = self._add(row, 0, svc.F_LEADER, self.leader_combo, span=3)
        row = self._add(row, 0, svc.F_REPLY, self.reply_edit, span=3)
        self._add(row, 0, svc.F_OUTCOME, self.outcome_combo)
        row = self._add(row, 2, svc.F_REACTION, self.reaction_combo)
        self._add(row, 0, svc.F_UNIT, self.unit_combo)
        row = self._add(row, 2, svc.F_DUE, self.due_edit)
        row = self._add(row, 0, svc.F_LEGAL_CHANNEL, self.legal_edit, span=3)
        row = self._add(row, 0, svc.F_PRESENT, self.present_edit, span=3)
        self._add(row, 0, svc.F_FOLLOW_UP, self.follow_edit, span=3)

        self.leader_combo.currentIndexChanged.connect(lambda _i: self.clear_error(svc.F_LEADER))
        self.reply_edit.textChanged.connect(lambda: self.clear_error(svc.F_REPLY))
        self.outcome_combo.currentIndexChanged.connect(self._on_outcome)
        self.unit_combo.currentIndexChanged.connect(lambda _i: self.clear_error(svc.F_UNIT))
        self.due_edit.dateChanged.connect(lambda _d: self.clear_error(svc.F_DUE))
        self.legal_edit.textEdited.connect(lambda _t: self.clear_error(svc.F_LEGAL_CHANNEL))
        self.present_edit.textEdited.connect(lambda _t: self.clear_error(svc.F_PRESENT))
        self.reaction_combo.currentIndexChanged.connect(lambda _i: self.clear_error(svc.F_REACTION))
        self.follow_edit.textChanged.connect(lambda: self.clear_error(svc.F_FOLLOW_UP))
        self._on_outcome(-1)

    def _add(self, row: int, column: int, name: str, widget: QWidget, *, span: int = 1) -> int:
        cell = FieldCell(widget)
        self._grid.addWidget(field_label(LABELS[name], widget), row, column)
        self._grid.addWidget(cell, row, column + 1, 1, span)
        self.inputs[name] = widget
        self.errors[name] = cell.error
        return row + 1

    # -- values ------------------------------------------------------------------------------------------------------

    def set_leaders(self, leaders: list[LeaderChoice]) -> None:
        current = self.leader_combo.currentData()
        self.leader_combo.blockSignals(True)
        self.leader_combo.clear()
        for x in leaders:
            self.leader_combo.addItem(x.label, x.id)
        self.leader_combo.blockSignals(False)
        self._leaders = leaders
        _select(self.leader_combo, current if isinstance(current, str) else self.duty_leader_id())

    def set_units(self, reference: Reference) -> None:
        """The unit list from new reference data, keeping the unit chosen when it is still listed."""
        refill_combo(self.unit_combo, [(NO_UNIT, ""), *((u.name, u.id) for u in reference.units)])

    def duty_leader_id(self) -> str | None:
        leaders: list[LeaderChoice] = getattr(self, "_leaders", [])
        duty = next((x for x in leaders if x.on_duty), None)
        return duty.id if duty else None

    @property
    def outcome(self) -> Outcome | None:
        return combo_enum(self.outcome_combo, Outcome)

    def collect(self, item: QueueItem) -> RecordInput:
        outcome = self.outcome
        unit = self.unit_combo.currentData()
        unit_id = unit if isinstance(unit, str) and unit else None
        leader = self.leader_combo.currentData()
        return RecordInput(
            case_id=item.case_id, visit_id=item.visit_id, appointment_id=item.appointment_id,
            leader_id=leader if isinstance(leader, str) else None,
            reply=self.reply_edit.toPlainText(), outcome=outcome,
            reaction=combo_enum(self.reaction_combo, Reaction),
            unit_id=unit_id if outcome in ROUTING_OUTCOMES else None,
            due_on=(self.due_edit.date().toPython()  # type: ignore[arg-type]
                    if svc.assigns_unit(outcome, unit_id) else None),
            legal_channel=self.legal_edit.text() if outcome is Outcome.LEGAL_CHANNEL else "",
            units_present=(self.present_edit.text(),),
            follow_up=self.follow_edit.toPlainText(),
        )

    def draft(self) -> Draft:
        def data(combo: QComboBox) -> str | None:
            value = combo.currentData()
            return value if isinstance(value, str) else None

        return Draft(data(self.leader_combo), self.reply_edit.toPlainText(), data(self.outcome_combo),
                     data(self.unit_combo), self.due_edit.date(), self.legal_edit.text(), self.present_edit.text(),
                     data(self.reaction_combo), self.follow_edit.toPlainText())

    def restore(self, d: Draft) -> None:
        _select(self.leader_combo, d.leader_id)
        self.reply_edit.setPlainText(d.reply)
        _select(self.outcome_combo, d.outcome)
        _select(self.unit_combo, d.unit_id)
        self.due_edit.setDate(d.due)
        self.legal_edit.setText(d.legal_channel)
        self.present_edit.setText(d.present)
        _select(self.reaction_combo, d.reaction)
        self.follow_edit.setPlainText(d.follow_up)
        self.clear_errors()

    def show_record(self, rec: dict[str, object]) -> None:
        """A saved reception record, as it was recorded (the page shows it read-only)."""
        _select(self.leader_combo, str(rec["leader_id"]))
        self.reply_edit.setPlainText(str(rec["reply"]))
        _select(self.outcome_combo, str(rec["outcome"]))
        _select(self.unit_combo, str(rec["unit_id"]) if rec["unit_id"] else None)
        if rec["due_on"]:
            self.due_edit.setDate(QDate.fromString(str(rec["due_on"]), "yyyy-MM-dd"))
        self.legal_edit.setText(str(rec["legal_channel"]))
        present = rec["units_present"]
        self.present_edit.setText("、".join(present) if isinstance(present, list) else "")
        _select(self.reaction_combo, str(rec["reaction"]))
        self.follow_edit.setPlainText(str(rec["follow_up"]))
        self.clear_errors()

    def reset(self, today: date, unit_id: str | None = None) -> None:
        _select(self.leader_combo, self.duty_leader_id() or self.leader_combo.itemData(0))
        self.reply_edit.clear()
        self.outcome_combo.setCurrentIndex(-1)
        _select(self.unit_combo, unit_id)
        self.due_edit.setMinimumDate(QDate(today.year, today.month, today.day).addDays(1))
        due = today + timedelta(days=DEFAULT_DUE_DAYS)
        self.due_edit.setDate(QDate(due.year, due.month, due.day))
        self.legal_edit.clear()
        self.present_edit.clear()
        self.reaction_combo.setCurrentIndex(-1)
        self.follow_edit.clear()
        self.clear_errors()

    def is_dirty(self) -> bool:
        return bool(self.reply_edit.toPlainText().strip() or self.outcome_combo.currentIndex() >= 0
                    or self.present_edit.text().strip() or self.follow_edit.toPlainText().strip()
                    or self.reaction_combo.currentIndex() >= 0 or self.legal_edit.text().strip())

    def _on_outcome(self, _index: int) -> None:
        outcome = self.outcome
        assign = outcome in ROUTING_OUTCOMES and not self._read_only
        self.unit_combo.setEnabled(assign)
        self.due_edit.setEnabled(assign)
        self.legal_edit.setEnabled(outcome is Outcome.LEGAL_CHANNEL and not self._read_only)
        for name in (svc.F_OUTCOME, svc.F_UNIT, svc.F_DUE, svc.F_LEGAL_CHANNEL):
            self.clear_error(name)

    # -- errors -------------------------------------------------------------------------------------------------------

    def show_errors(self, errors: list[FieldError]) -> list[str]:
        """Each message under its field; returns the messages that belong to no field. Focuses the first field."""
        self.clear_errors()
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(e.field, []).append(e.message)
        unplaced: list[str] = []
        for name, messages in by_field.items():
            label = self.errors.get(name)
            if label is None:
                unplaced.extend(messages)
            else:
                label.show_message("\n".join(messages))
        first = next((f for f in FIELD_ORDER if f in by_field), None)
        if first is not None:
            self.inputs[first].setFocus(Qt.FocusReason.OtherFocusReason)
        return unplaced

    def clear_error(self, name: str) -> None:
        label = self.errors.get(name)
        if label is not None:
            label.clear_message()

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear_message()

    def error_text(self, name: str) -> str:
        label = self.errors.get(name)
        return label.text() if label is not None and label.isVisibleTo(self) else ""

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for widget in self.inputs.values():
            widget.setEnabled(not read_only)
        self._on_outcome(-1)


class LeaderPage(QWidget):
    """The duty leader's workspace."""

    receptionSaved = Signal(object)
    """A RecordResult, after a reception record was saved."""

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reference = reference
        self.tasks = tasks
        self.loaded = False
        self._changed = False
        """A visit sent to a leader, a reception, the roster or the directory changed: read again when shown."""
        tasks.changes.changed.connect(self._on_changes)
        self.current: QueueItem | None = None
        self.detail: CaseDetail | None = None
        self.drafts: dict[str, Draft] = {}
        self._saving = False
        self._pending_message = ""
        self.may_record = True
        """Whether the signed-in user may record receptions (``ui.security.session.apply_permissions``)."""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(8)
        head = QHBoxLayout()
        title = QLabel("领导接访")
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.counts_label = QLabel("今日接访：读取中…")
        self.counts_label.setObjectName("leaderCounts")
        self.counts_label.setAccessibleName("今日接访统计")
        self.counts_label.setStyleSheet("color: #1565c0; font-size: 14px;")
        self.refresh_button = button("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.counts_label, 1)
        head.addWidget(self.refresh_button)
        outer.addLayout(head)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        # the desk's reception first; the leaders' work beyond the desk (约访, 下访, 积案与包案) beside it
        self.tabs = QTabWidget()
        self.tabs.setObjectName("leaderTabs")
        self.tabs.addTab(split, "今日接访")
        self.appointments_tab = AppointmentsTab(ctx, tasks)
        self.down_visits_tab = DownVisitsTab(ctx, tasks)
        self.backlog_tab = BacklogTab(ctx, tasks)
        self.beyond_tabs: list[BeyondTab] = [self.appointments_tab, self.down_visits_tab, self.backlog_tab]
        for tab, text in zip(self.beyond_tabs, ("约访", "下访", "积案与包案"), strict=True):
            tab.actor = lambda: self.reference.user_id or None  # the user signed in now (set_reference)
            self.tabs.addTab(tab, text)
        self.appointments_tab.changed.connect(self.refresh)  # an appointment for today joins the queue
        self.tabs.currentChanged.connect(self._on_tab)
        outer.addWidget(self.tabs, 1)

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        queue_title = QLabel("今日接访队列")
        queue_title.setStyleSheet("font-weight: bold;")
        left_box.addWidget(queue_title)
        self.model = QueueModel(self)
        self.table = QTableView()
        self.table.setObjectName("leaderQueue")
        self.table.setAccessibleName("今日接访队列")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_CATEGORY, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_PETITIONER, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        left_box.addWidget(self.table, 1)
        self.empty_label = QLabel("今日暂无转值班领导接访的来访。")
        self.empty_label.setStyleSheet("color: #546e7a;")
        self.empty_label.hide()
        left_box.addWidget(self.empty_label)
        split.addWidget(left)

        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(8, 0, 0, 0)
        right_box.setSpacing(8)
        self.banner = Banner("info", self)
        right_box.addWidget(self.banner)

        summary = QGroupBox("案件概要")
        sgrid = QGridLayout(summary)
        sgrid.setColumnStretch(1, 1)
        self.summary_labels: dict[str, QLabel] = {}
        for row, name in enumerate(("案件编号", "信访人", "问题类别", "诉求", "事实和理由", "来访记录")):
            caption = QLabel(name)
            caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            caption.setStyleSheet("color: #546e7a;")
            value = QLabel("—")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(name)
            value.setObjectName(f"summary_{row}")
            sgrid.addWidget(caption, row, 0)
            sgrid.addWidget(value, row, 1)
            self.summary_labels[name] = value
        right_box.addWidget(summary)

        record = QGroupBox("接访记录")
        rbox = QVBoxLayout(record)
        self.form = ReceptionForm(reference)
        rbox.addWidget(self.form)
        actions = QHBoxLayout()
        actions.addStretch(1)
        self.save_button = button(SAVE_TEXT, default=True)
        self.save_button.setStyleSheet("padding: 6px 18px;")
        self.save_button.clicked.connect(self.save)
        actions.addWidget(self.save_button)
        rbox.addLayout(actions)
        right_box.addWidget(record)
        right_box.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(right)
        split.addWidget(scroll)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        split.setSizes([520, 640])
        self._show_item(None)

    # -- loading ------------------------------------------------------------------------------------------------------

    def today(self) -> date:
        return self.ctx.now().date()

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        self._on_tab(index)

    def _on_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, BeyondTab):
            widget.ensure_loaded()

    def _on_changes(self, changes: ChangeSet) -> None:
        if changes.touches(Change.CASES, Change.LEADER, Change.ROSTER, Change.REFERENCE):
            self._changed = True

    def ensure_loaded(self) -> None:
        """When shown: read the queue the first time, and again when something changed since."""
        if not self.loaded or self._changed:
            self._changed = False
            self.refresh()

    def set_reference(self, reference: Reference) -> None:
        """Another user or new reference data (the main window's ``reload_reference``): the unit list is filled
        again, and the tabs beyond the desk read their leaders again when next shown."""
        old, self.reference = self.reference, reference
        if reference.units != old.units:
            self.form.set_units(reference)
            for tab in self.beyond_tabs:
                tab.loaded = False
        if reference.user_id != old.user_id:  # another user's queue: what the last one saw is not shown
            self._stash()  # a reply being written stays as a draft of its visit
            for tab in self.beyond_tabs:  # their lists are read again for the new user when next shown
                tab.loaded = False
            self.model.set_rows([])
            self._show_item(None)
            self.loaded = False

    def refresh(self) -> None:
        """Leaders, queue and counts of today, in one background read."""
        if self.reference.user is None:  # signed out: nothing is read
            return
        today = self.today()
        ctx, actor = self.ctx, self.reference.user_id or None

        def load() -> tuple[list[LeaderChoice], list[QueueItem], svc.ReceptionCounts]:
            return (svc.leader_choices(ctx, today), svc.leader_queue(ctx, today, actor_id=actor),
                    svc.reception_counts(ctx, today, today))

        self.tasks.op(load, self._loaded, what="leader_queue", owner=self)

    def _loaded(self, result: tuple[list[LeaderChoice], list[QueueItem], svc.ReceptionCounts]) -> None:
        leaders, queue, counts = result
        self.loaded = True
        self.form.set_leaders(leaders)
        self._set_counts(counts)
        key = self.current.key if self.current else None
        self._stash()
        self.model.set_rows(queue)
        self.empty_label.setVisible(not queue)
        row = self.model.row_of(key) if key else -1
        if row < 0 and queue:
            row = next((i for i, q in enumerate(queue) if q.state is QueueState.WAITING), 0)
        if row >= 0:
            self.table.selectRow(row)
        else:
            self._show_item(None)
        if self._pending_message:
            self.banner.show_message(self._pending_message, "success")
            self._pending_message = ""

    def _set_counts(self, counts: svc.ReceptionCounts) -> None:
        self.counts_label.setText(f"今日已接访：{counts.batches}批次 / {counts.persons}人次，"
                                  f"现场答复{counts.answered_on_spot}件")

    # -- selection ----------------------------------------------------------------------------------------------------

    def _stash(self) -> None:
        if self.current is not None and self.current.state is QueueState.WAITING and self.form.is_dirty():
            self.drafts[self.current.key] = self.form.draft()

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        item = self.model.data(rows[0], ObjectRole) if rows else None
        if self.current is not None and item is not None and item.key == self.current.key \
                and item.state is self.current.state:
            self.current = item
            return
        self._stash()
        self._show_item(item)

    def _show_item(self, item: QueueItem | None) -> None:
        self.current = item
        self.detail = None
        self.banner.hide()
        for label in self.summary_labels.values():
            label.setText("—")
        if item is None:
            self.form.reset(self.today())
            self.form.set_read_only(True)
            self.save_button.setEnabled(False)
            return
        self.summary_labels["案件编号"].setText(f"{item.case_no}　{item.status_label}")
        self.summary_labels["信访人"].setText(f"{item.petitioner}（{item.headcount}人）")
        self.summary_labels["问题类别"].setText(f"{item.category}　{item.locality}")
        self.summary_labels["诉求"].setText(item.request)
        received = item.state is QueueState.RECEIVED
        draft = self.drafts.get(item.key)
        if draft is not None and not received:
            self.form.restore(draft)
        else:
            self.form.reset(self.today())
        self.form.set_read_only(received)
        self.save_button.setEnabled(not received and self.may_record)
        if received:
            unit = f"，交办{item.unit_name}" if item.unit_name else ""
            self.banner.show_message(f"已接访：{item.leader_name}，处理结果：{item.outcome_label}{unit}。", "success")
            if item.reception_id:
                rid = item.reception_id
                self.tasks.op(lambda: svc.reception_of(self.ctx, rid), self._record_loaded,
                              what="leader_reception_record", owner=self)
        case_id, user, desk = item.case_id, self.reference.user_id or None, self.reference.desk_id or None
        # the case's detail could not be read (e.g. the user may not see it): said in the page, never a dialog
        self.tasks.op(lambda: svc_case_detail(self.ctx, case_id, user, desk), self._detail_loaded,
                      what="leader_case_detail", owner=self, message=self.banner.show_error)

    def _record_loaded(self, rec: dict[str, object]) -> None:
        if self.current is not None and self.current.reception_id == rec["id"]:
            self.form.show_record(rec)

    def _detail_loaded(self, detail: CaseDetail) -> None:
        if self.current is None or detail.summary.id != self.current.case_id:
            return
        self.detail = detail
        self.summary_labels["诉求"].setText(detail.request)
        self.summary_labels["事实和理由"].setText(detail.facts or "—")
        visits = len(detail.visits)
        history = f"共{visits}次来访，{len(detail.events)}条办理记录"
        if detail.summary.flags:
            history += "　" + "、".join(f.label for f in detail.summary.flags if f.value != "repeat" or visits > 1)
        self.summary_labels["来访记录"].setText(history)

    # -- saving -------------------------------------------------------------------------------------------------------

    def save(self) -> None:
        item = self.current
        if item is None or item.state is QueueState.RECEIVED or self._saving:
            return
        form = self.form.collect(item)
        actor = self.reference.user_id or None
        ctx = self.ctx
        self._saving = True
        self.save_button.setEnabled(False)
        self.banner.hide()
        self.tasks.op(lambda: svc.record_reception(ctx, form, actor_id=actor), self._saved, what="leader_reception",
                      write=True, owner=self, on_error=self._failed)

    def _saved(self, result: svc.RecordResult) -> None:
        self._saving = False
        key = self.current.key if self.current else ""
        self.drafts.pop(key, None)
        self.form.reset(self.today())  # saved: nothing left to keep
        text = f"接访记录已保存：{result.case_no}，{result.outcome.label}"
        if result.unit_name:
            text += f"（{result.unit_name}，办理期限{result.due_on:%Y-%m-%d}）"
        text += f"；案件状态：{result.status_label}。"
        self._pending_message = text
        self.receptionSaved.emit(result)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(self.may_record and self.current is not None
                                    and self.current.state is QueueState.WAITING)
        if isinstance(exc, FieldErrors):
            unplaced = self.form.show_errors(exc.errors)
            if unplaced:
                self.banner.show_message("\n".join(unplaced), "error")
            return
        self.banner.show_message(error_message(exc), "error")


def svc_case_detail(ctx: AppContext, case_id: str, user_id: str | None, desk_id: str | None) -> CaseDetail:
    from reception.intake.cases import case_detail

    return case_detail(ctx, case_id, user_id=user_id, desk_id=desk_id)

