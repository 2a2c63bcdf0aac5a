"""The 来访登记 form: the legal minimum and what practice adds (docs/domain.md §2 step 1).

The form only gathers input and shows what the core says: validation rules, routing rules and the legal-channel
table live in ``reception/``. Every input has a visible label that is its buddy, and the same text as its
accessible name; each error from the core is shown in red directly under its field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, HistoryFlag, RoutingAction
from reception.domain.errors import FieldError
from reception.domain.idnumber import parse_resident_id, validate_document
from reception.domain.phone import normalize_phone
from reception.domain.textcheck import FACTS_MAX, REQUEST_MAX
from reception.intake import service as svc
from reception.intake.dto import CaseSummary, LocalityNode, PersonMatch, RouteProposal
from reception.intake.service import IntakeInput, PersonInput
from ui.reference import Reference, refill_combo
from ui.widgets import Banner, ErrorLabel, FieldCell, button, combo_enum, field_label

MAX_FURTHER_REPRESENTATIVES = svc.MAX_REPRESENTATIVES - 1
"""Representatives besides the petitioner at the desk (the core allows five in all)."""

ROUTING_CHOICES = (
    (RoutingAction.ASSIGN, "交办"),
    (RoutingAction.FORWARD, "转送"),
    (RoutingAction.LEADER_RECEPTION, "转值班领导接访"),
    (RoutingAction.LEGAL_CHANNEL, "导入法定途径"),
)

LABELS = {
    svc.F_NAME: "姓名", svc.F_ID_TYPE: "证件类型", svc.F_ID_NUMBER: "证件号码", svc.F_GENDER: "性别",
    svc.F_PHONE: "联系电话", svc.F_ADDRESS: "住址", svc.F_CHANNEL: "信访形式", svc.F_RECEIVED_ON: "收件日期",
    svc.F_HEADCOUNT: "来访人数", svc.F_REPRESENTATIVES: "代表人", svc.F_CONTENT_CLASS: "内容分类",
    svc.F_CATEGORY: "问题类别", svc.F_LOCALITY: "问题属地", svc.F_REQUEST: "诉求", svc.F_FACTS: "事实和理由",
    svc.F_ROUTING: "处理方式", svc.F_UNIT: "责任单位", svc.F_OVERRIDE_REASON: "改派理由",
    svc.F_LEGAL_CHANNEL: "法定途径",
}  # fmt: skip
"""The core's field keys and the label of each one's input (the core's messages are shown under that input)."""

# The core's field keys in the order their inputs appear on screen.
FIELD_ORDER = (
    svc.F_NAME, svc.F_ID_TYPE, svc.F_ID_NUMBER, svc.F_GENDER, svc.F_PHONE, svc.F_ADDRESS,
    svc.F_CHANNEL, svc.F_RECEIVED_ON, svc.F_HEADCOUNT, svc.F_REPRESENTATIVES,
    svc.F_CONTENT_CLASS, svc.F_CATEGORY, svc.F_LOCALITY, svc.F_REQUEST, svc.F_FACTS,
    svc.F_ROUTING, svc.F_UNIT, svc.F_OVERRIDE_REASON, svc.F_LEGAL_CHANNEL,
)  # fmt: skip

TEXT_MAX = 4000


def _combo(items: Iterable[tuple[str, object]], placeholder: str = "") -> QComboBox:
    combo = QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    if placeholder:
        combo.setPlaceholderText(placeholder)
        combo.setCurrentIndex(-1)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


def _select_data(combo: QComboBox, data: object) -> None:
    """Select the item carrying ``data`` (an enum member is matched by its stored value); None clears."""
    if isinstance(data, Enum):
        data = data.value
    combo.setCurrentIndex(combo.findData(data) if data is not None else -1)


def _select_quietly(combo: QComboBox, data: object) -> None:
    """Select ``data`` when listed, without the change signals (a refill, not a choice)."""
    index = combo.findData(data) if data is not None else -1
    if index >= 0:
        combo.blockSignals(True)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)


def _line(placeholder: str = "", max_length: int = 200) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setMaxLength(max_length)
    edit.setClearButtonEnabled(True)
    return edit


def _text(placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(64)
    edit.setMaximumHeight(110)
    return edit


@dataclass
class RepresentativeRow:
    """One further representative of a collective visit (代表2 … 代表5)."""

    number: int
    name: QLineEdit
    id_type: QComboBox
    id_number: QLineEdit
    phone: QLineEdit
    widgets: list[QWidget]

    def set_visible(self, visible: bool) -> None:
        for w in self.widgets:
            w.setVisible(visible)

    def is_blank(self) -> bool:
        return not (self.name.text().strip() or self.id_number.text().strip() or self.phone.text().strip())

    def person(self) -> PersonInput:
        doc_type = combo_enum(self.id_type, DocumentType) or DocumentType.RESIDENT_ID
        return PersonInput(
            name=self.name.text(),
            id_type=doc_type,
            id_number="" if doc_type is DocumentType.NONE else self.id_number.text(),
            phone=self.phone.text(),
        )

    def clear(self) -> None:
        self.name.clear()
        self.id_number.clear()
        self.phone.clear()
        _select_data(self.id_type, DocumentType.RESIDENT_ID)


class _Grid(QGridLayout):
    """Label | field | label | field, each field with its error line. Label columns share one width in every
    section, so the fields line up down the whole form."""

    def __init__(self, label_width: int) -> None:
        super().__init__()
        self.setHorizontalSpacing(10)
        self.setVerticalSpacing(6)
        self.setColumnStretch(1, 1)
        self.setColumnStretch(3, 1)
        self.setColumnMinimumWidth(0, label_width)
        self.setColumnMinimumWidth(2, label_width)
        self.row = 0


class IntakeForm(QWidget):
    """Inputs of one registration. ``collect()`` builds the core's ``IntakeInput``; nothing here decides rules."""

    personChanged = Signal()
    """Name, ID or phone changed: time for a history check."""
    routingInputsChanged = Signal()
    """Category or locality changed: time for a routing proposal."""
    joinCancelled = Signal()

    def __init__(self, reference: Reference, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reference = reference
        self.inputs: dict[str, QWidget] = {}
        """Core field key → the input to focus."""
        self.errors: dict[str, ErrorLabel] = {}
        self.cells: dict[str, FieldCell] = {}
        self._proposal: RouteProposal | None = None
        self._legal_channel: str | None = None
        self._unit_touched = False
        self._routing_touched = False
        self._join: CaseSummary | None = None
        self._petitioner: PersonMatch | None = None
        self._read_only = False
        self.today = today
        """The registration day (the app's clock, ``ctx.now``): bounds and default of the 收件日期 and of the birth
        date in a resident ID."""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(10)

        self.general_error = Banner("error", self)
        self.general_error.setObjectName("banner")
        outer.addWidget(self.general_error)

        self.join_banner = Banner("info", self)
        self.cancel_join_button = self.join_banner.add_button(button("取消并入"))
        self.cancel_join_button.clicked.connect(self._cancel_join)
        outer.addWidget(self.join_banner)
        # a petitioner who comes again about the same matter may still ask to see today's duty leader
        self.join_leader_row = QWidget(self)
        join_row = QHBoxLayout(self.join_leader_row)
        join_row.setContentsMargins(8, 0, 0, 0)
        join_leader_label = QLabel("转领导接访")
        self.join_leader_check = QCheckBox("本次来访转今日值班领导接访（该事项原有的办理去向不变）")
        join_leader_label.setBuddy(self.join_leader_check)
        self.join_leader_check.setAccessibleName("转领导接访")
        join_row.addWidget(join_leader_label)
        join_row.addWidget(self.join_leader_check)
        join_row.addStretch(1)
        outer.addWidget(self.join_leader_row)
        self.join_leader_row.hide()

        self.petitioner_banner = Banner("info", self)
        self.unlink_button = self.petitioner_banner.add_button(button("取消关联"))
        self.unlink_button.clicked.connect(lambda: self.set_petitioner(None))
        outer.addWidget(self.petitioner_banner)

        outer.addWidget(self._person_section())
        outer.addWidget(self._visit_section())
        outer.addWidget(self._representatives_section())
        outer.addWidget(self._matter_section())
        outer.addWidget(self._routing_section())
        outer.addStretch(1)

        self._update_representatives()
        self._update_routing_rows()

    # -- building ---------------------------------------------------------------------------------------------------

    def _add(self, grid: _Grid, name: str, widget: QWidget, *, content: QWidget | QHBoxLayout | None = None,
             column: int = 0, span: bool = False, label: str | None = None) -> QLabel:
        """Place ``label`` (default: the field's label) and ``widget`` (with its error line) in the grid; ``name``
        is the core's field key."""
        lab = field_label(label or LABELS[name], widget)
        cell = FieldCell(content if content is not None else widget)
        grid.addWidget(lab, grid.row, column)
        if span:
            grid.addWidget(cell, grid.row, 1, 1, 3)
        else:
            grid.addWidget(cell, grid.row, column + 1)
        if span or column == 2:
            grid.row += 1
        self.inputs[name] = widget
        self.errors[name] = cell.error
        self.cells[name] = cell
        return lab

    def _counted(self, grid: _Grid, name: str, edit: QPlainTextEdit, maximum: int, object_name: str) -> QLabel:
        """A free-text field with a live character counter beside it (``n/maximum 字``, red past the maximum: the
        service refuses a longer text with a message next to the field, and what was typed stays)."""
        counter = QLabel(f"0/{maximum} 字")
        counter.setObjectName(object_name)
        counter.setAccessibleName(f"{LABELS[name]}字数")
        counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(counter)

        def update() -> None:
            n = len(edit.toPlainText())
            counter.setText(f"{n}/{maximum} 字")
            counter.setStyleSheet("color: #c62828; font-weight: bold;" if n > maximum else "")

        edit.textChanged.connect(update)
        self._add(grid, name, edit, content=row, span=True)
        return counter

    def _group(self, title: str) -> tuple[QGroupBox, _Grid]:
        box = QGroupBox(title)
        grid = _Grid(self.fontMetrics().horizontalAdvance("代表2证件号码") + 6)
        box.setLayout(grid)
        return box, grid

    def _person_section(self) -> QGroupBox:
        box, grid = self._group("信访人")
        self.name_edit = _line("如实登记姓名", 64)
        self.id_type_combo = _combo((d.label, d.value) for d in DocumentType)
        self.id_edit = _line("18位身份证号码，末位可为X", 32)
        self.gender_combo = _combo((g.label, g.value) for g in (Gender.MALE, Gender.FEMALE, Gender.UNKNOWN))
        _select_data(self.gender_combo, Gender.UNKNOWN)
        self.phone_edit = _line("手机或固定电话，如 0731-5555 0000", 32)
        self.address_edit = _line("现住址（法定登记事项）", 200)
        self._add(grid, svc.F_NAME, self.name_edit)
        self._add(grid, svc.F_ID_TYPE, self.id_type_combo, column=2)
        self._add(grid, svc.F_ID_NUMBER, self.id_edit)
        self._add(grid, svc.F_GENDER, self.gender_combo, column=2)
        self._add(grid, svc.F_PHONE, self.phone_edit)
        self._add(grid, svc.F_ADDRESS, self.address_edit, column=2)

        self.name_edit.textChanged.connect(self._on_person_text)
        self.id_edit.textChanged.connect(self._on_id_text)
        self.id_edit.textEdited.connect(self._on_id_edited)
        self.phone_edit.textChanged.connect(self._on_person_text)
        self.id_edit.editingFinished.connect(self.validate_id_live)
        self.phone_edit.editingFinished.connect(self.validate_phone_live)
        self.id_type_combo.currentIndexChanged.connect(self._on_id_type)
        for name, edit in ((svc.F_NAME, self.name_edit), (svc.F_ID_NUMBER, self.id_edit),
                           (svc.F_PHONE, self.phone_edit), (svc.F_ADDRESS, self.address_edit)):
            edit.textEdited.connect(lambda _t, n=name: self.clear_error(n))
        self.gender_combo.currentIndexChanged.connect(lambda _i: self.clear_error(svc.F_GENDER))
        return box

    def _visit_section(self) -> QGroupBox:
        box, grid = self._group("来访情况")
        self.channel_combo = _combo((c.label, c.value) for c in Channel)
        _select_data(self.channel_combo, Channel.VISIT)
        self.headcount_spin = QSpinBox()
        self.headcount_spin.setRange(1, svc.MAX_HEADCOUNT)
        self.headcount_spin.setSuffix(" 人")
        self.headcount_spin.setToolTip("集体访请填写实际到场人数，并登记推选的代表")
        self.skip_level_check = QCheckBox("越过有权处理的本级机关，直接到上级机关走访")
        self._add(grid, svc.F_CHANNEL, self.channel_combo)
        self._add(grid, svc.F_HEADCOUNT, self.headcount_spin, column=2)
        # 收件日期: letters and online petitions arrive before they are registered; the 15-day clock runs from then
        self.received_edit = QDateEdit()
        self.received_edit.setCalendarPopup(True)
        self.received_edit.setDisplayFormat("yyyy-MM-dd")
        self.received_edit.setToolTip("来信、网上信访的收到日期：登记、转送交办的15日期限自收到之日起计算")
        self.received_label = self._add(grid, svc.F_RECEIVED_ON, self.received_edit)
        grid.row += 1
        self._add(grid, "skip_level", self.skip_level_check, span=True, label="越级访")
        self.channel_combo.currentIndexChanged.connect(lambda _i: self._update_received_row())
        self.received_edit.dateChanged.connect(lambda _d: self.clear_error(svc.F_RECEIVED_ON))
        self._update_received_row()
        self.headcount_spin.valueChanged.connect(self._update_representatives)
        self.headcount_spin.valueChanged.connect(lambda _v: self.clear_error(svc.F_HEADCOUNT))
        return box

    def _representatives_section(self) -> QGroupBox:
        box, grid = self._group("代表人")
        self.representatives_box = box
        note = QLabel(
            "多人走访的，应当推选代表，代表人数不超过5人（含上方登记的信访人）。"
            "请登记其余代表，最多4人；未推选的可以不填。"
        )
        note.setWordWrap(True)
        note.setObjectName("representativesNote")
        grid.addWidget(note, grid.row, 0, 1, 4)
        grid.row += 1
        self.rep_rows: list[RepresentativeRow] = []
        for number in range(2, 2 + MAX_FURTHER_REPRESENTATIVES):
            name = _line("姓名", 64)
            id_type = _combo((d.label, d.value) for d in DocumentType)
            id_number = _line("证件号码", 32)
            phone = _line("联系电话", 32)
            widgets: list[QWidget] = []
            for column, (suffix, w) in enumerate(
                (("姓名", name), ("证件类型", id_type), ("证件号码", id_number), ("联系电话", phone))
            ):
                lab = field_label(f"代表{number}{suffix}", w)
                grid.addWidget(lab, grid.row, (column % 2) * 2)
                grid.addWidget(w, grid.row, (column % 2) * 2 + 1)
                widgets += [lab, w]
                if column % 2 == 1:
                    grid.row += 1
            for edit in (name, id_number, phone):
                edit.textEdited.connect(lambda _t: self.clear_error(svc.F_REPRESENTATIVES))
            self.rep_rows.append(RepresentativeRow(number, name, id_type, id_number, phone, widgets))
        error = ErrorLabel()
        grid.addWidget(error, grid.row, 1, 1, 3)
        grid.row += 1
        self.errors[svc.F_REPRESENTATIVES] = error
        self.inputs[svc.F_REPRESENTATIVES] = self.rep_rows[0].name
        return box

    def _matter_section(self) -> QGroupBox:
        box, grid = self._group("信访事项")
        self.content_class_combo = _combo(((c.label, c.value) for c in ContentClass), "请选择")
        self.category_combo = _combo(((c.label, c.id) for c in self.reference.categories), "请选择问题类别")
        self.category_combo.setMaxVisibleItems(20)
        self._add(grid, svc.F_CONTENT_CLASS, self.content_class_combo)
        self._add(grid, svc.F_CATEGORY, self.category_combo, column=2)
        grid.addWidget(self._legal_section(), grid.row, 1, 1, 3)  # 诉访分离, right where the category is chosen
        grid.row += 1

        self.township_combo = _combo(((n.name, n.id) for n in self.reference.localities), "乡镇（街道）")
        self.village_combo = _combo((), "村（社区），可不选")
        self.grid_combo = _combo((), "网格，可不选")
        self.village_combo.setAccessibleName("问题属地（村社区）")
        self.grid_combo.setAccessibleName("问题属地（网格）")
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.township_combo, 1)
        village_label = QLabel("村（社区）")
        village_label.setBuddy(self.village_combo)
        grid_label = QLabel("网格")
        grid_label.setBuddy(self.grid_combo)
        row.addWidget(village_label)
        row.addWidget(self.village_combo, 1)
        row.addWidget(grid_label)
        row.addWidget(self.grid_combo, 1)
        self._add(grid, svc.F_LOCALITY, self.township_combo, content=row, span=True)
        # field_label set the township combo's accessible name to 问题属地; the other two keep theirs.
        self.township_combo.currentIndexChanged.connect(self._on_township)
        self.village_combo.currentIndexChanged.connect(self._on_village)
        self.grid_combo.currentIndexChanged.connect(lambda _i: self._routing_inputs_changed())
        self.village_combo.setEnabled(False)
        self.grid_combo.setEnabled(False)

        self.request_edit = _text("如实记录信访人的请求（法定登记事项）")
        self.facts_edit = _text("信访人陈述的事实和理由（法定登记事项）")
        self.request_counter = self._counted(grid, svc.F_REQUEST, self.request_edit, REQUEST_MAX, "requestCounter")
        self.facts_counter = self._counted(grid, svc.F_FACTS, self.facts_edit, FACTS_MAX, "factsCounter")

        self.content_class_combo.currentIndexChanged.connect(lambda _i: self.clear_error(svc.F_CONTENT_CLASS))
        self.category_combo.currentIndexChanged.connect(self._on_category)
        self.request_edit.textChanged.connect(lambda: self.clear_error(svc.F_REQUEST))
        self.facts_edit.textChanged.connect(lambda: self.clear_error(svc.F_FACTS))
        return box

    def _legal_section(self) -> Banner:
        self.legal_panel = Banner("warning", self)
        self.legal_panel.setObjectName("banner")
        self.legal_button = self.legal_panel.add_button(button("导入法定途径"))
        self.legal_button.clicked.connect(self.steer_to_legal_channel)
        return self.legal_panel

    def _routing_section(self) -> QGroupBox:
        box, grid = self._group("转送交办")
        self.routing_box = box
        self.routing_combo = _combo((text, action.value) for action, text in ROUTING_CHOICES)
        _select_data(self.routing_combo, RoutingAction.ASSIGN)
        self.unit_combo = _combo(((u.name, u.id) for u in self.reference.units), "请选择责任单位")
        self.unit_combo.setMaxVisibleItems(20)
        self._add(grid, svc.F_ROUTING, self.routing_combo)
        self.unit_label = self._add(grid, svc.F_UNIT, self.unit_combo, column=2)
        self.route_hint = QLabel()
        self.route_hint.setWordWrap(True)
        self.route_hint.setObjectName("routeHint")
        self.route_hint.setStyleSheet("color: #455a64;")
        grid.addWidget(self.route_hint, grid.row, 1, 1, 3)
        grid.row += 1
        self.duty_hint = QLabel()
        self.duty_hint.setWordWrap(True)
        self.duty_hint.setObjectName("dutyLeaderHint")
        self.duty_hint.setAccessibleName("今日值班领导")
        self.duty_hint.setStyleSheet("color: #1565c0;")
        self.duty_hint.hide()
        grid.addWidget(self.duty_hint, grid.row, 1, 1, 3)
        grid.row += 1
        self.override_edit = _line("规则建议的责任单位为何不适用", 200)
        self.override_label = self._add(grid, svc.F_OVERRIDE_REASON, self.override_edit, span=True)
        self.legal_edit = _line("如：向区人民法院提起诉讼、申请劳动人事争议仲裁", 200)
        self.legal_label = self._add(grid, svc.F_LEGAL_CHANNEL, self.legal_edit, span=True)

        self.routing_combo.activated.connect(self._on_routing_picked)
        self.routing_combo.currentIndexChanged.connect(lambda _i: self._update_routing_rows())
        self.unit_combo.activated.connect(self._on_unit_picked)
        self.unit_combo.currentIndexChanged.connect(lambda _i: self._update_override())
        self.override_edit.textEdited.connect(lambda _t: self.clear_error(svc.F_OVERRIDE_REASON))
        self.legal_edit.textEdited.connect(lambda _t: self.clear_error(svc.F_LEGAL_CHANNEL))
        return box

    # -- reading the form -------------------------------------------------------------------------------------------

    @property
    def id_type(self) -> DocumentType:
        return combo_enum(self.id_type_combo, DocumentType) or DocumentType.RESIDENT_ID

    @property
    def routing_action(self) -> RoutingAction:
        return combo_enum(self.routing_combo, RoutingAction) or RoutingAction.ASSIGN

    @property
    def locality_id(self) -> str | None:
        for combo in (self.grid_combo, self.village_combo, self.township_combo):
            data = combo.currentData()
            if isinstance(data, str) and data:
                return data
        return None

    @property
    def category_id(self) -> str | None:
        data = self.category_combo.currentData()
        return data if isinstance(data, str) and data else None

    @property
    def join_case(self) -> CaseSummary | None:
        return self._join

    @property
    def petitioner(self) -> PersonMatch | None:
        return self._petitioner

    @property
    def proposal(self) -> RouteProposal | None:
        return self._proposal

    def history_query(self) -> tuple[str, str, str]:
        """(id_number, phone, name) worth a history look-up: only a complete valid ID or phone, a name of 2+."""
        id_number = ""
        text = self.id_edit.text()
        if text.strip() and self.id_type is not DocumentType.NONE:
            try:
                id_number = validate_document(self.id_type, text, today=self.today())
            except FieldError:
                id_number = ""
        phone = ""
        if self.phone_edit.text().strip():
            try:
                phone = normalize_phone(self.phone_edit.text()).number
            except FieldError:
                phone = ""
        name = "".join(self.name_edit.text().split())
        return id_number, phone, name if len(name) >= 2 else ""

    @property
    def channel(self) -> Channel:
        return combo_enum(self.channel_combo, Channel) or Channel.VISIT

    def _update_received_row(self) -> None:
        """收件日期 only for 来信 and 网上 (and not for a further visit of an existing case); it defaults to today
        and offers no day after today."""
        shown = self.channel in svc.RECEIVED_CHANNELS and self._join is None
        if shown and not self.received_label.isVisibleTo(self):
            today = self.today()
            self.received_edit.setMaximumDate(QDate(today.year, today.month, today.day))
            earliest = today - timedelta(days=svc.MAX_RECEIVED_AGE_DAYS)
            self.received_edit.setMinimumDate(QDate(earliest.year, earliest.month, earliest.day))
            self.received_edit.setDate(QDate(today.year, today.month, today.day))
        self.received_label.setVisible(shown)
        self.cells[svc.F_RECEIVED_ON].setVisible(shown)
        if not shown:
            self.clear_error(svc.F_RECEIVED_ON)

    @property
    def received_on(self) -> date | None:
        if not self.cells[svc.F_RECEIVED_ON].isVisibleTo(self):
            return None
        value = self.received_edit.date().toPython()
        assert isinstance(value, date)
        return value

    def collect(self) -> IntakeInput:
        person = PersonInput(
            name=self.name_edit.text(),
            id_type=self.id_type,
            id_number="" if self.id_type is DocumentType.NONE else self.id_edit.text(),
            gender=combo_enum(self.gender_combo, Gender) or Gender.UNKNOWN,
            phone=self.phone_edit.text(),
            address=self.address_edit.text(),
            petitioner_id=self._petitioner.petitioner_id if self._petitioner else None,
        )
        headcount = self.headcount_spin.value()
        reps = tuple(r.person() for r in self.rep_rows[: self._visible_rep_rows()] if not r.is_blank())
        unit = self.unit_combo.currentData()
        action = self.routing_action
        if self._join is not None:
            action = RoutingAction.LEADER_RECEPTION if self.join_leader_check.isChecked() else RoutingAction.ASSIGN
        return IntakeInput(
            person=person,
            channel=self.channel,
            received_on=self.received_on,
            headcount=headcount,
            content_class=combo_enum(self.content_class_combo, ContentClass),
            category_id=self.category_id,
            locality_id=self.locality_id,
            request=self.request_edit.toPlainText(),
            facts=self.facts_edit.toPlainText(),
            routing_action=action,
            unit_id=unit if isinstance(unit, str) and action is not RoutingAction.LEGAL_CHANNEL else None,
            override_reason=self.override_edit.text() if self.override_edit.isVisibleTo(self) else "",
            legal_channel=self.legal_edit.text() if action is RoutingAction.LEGAL_CHANNEL else "",
            skip_level=self.skip_level_check.isChecked(),
            representatives=reps,
            join_case_id=self._join.id if self._join else None,
        )

    # -- errors -----------------------------------------------------------------------------------------------------

    def show_errors(self, errors: Iterable[FieldError]) -> QWidget | None:
        """Show each message under its field; returns (and focuses) the first bad field on screen."""
        self.clear_errors()
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(e.field, []).append(e.message)
        unplaced: list[str] = []
        for field, messages in by_field.items():
            label = self.errors.get(field)
            if label is None or not self._field_shown(field):
                unplaced.extend(messages)
            else:
                label.show_message("\n".join(messages))
        if unplaced:
            self.general_error.show_message("\n".join(unplaced), "error")
        first = next((f for f in FIELD_ORDER if f in by_field and f in self.inputs and self._field_shown(f)), None)
        if first is None:
            return None
        widget = self.inputs[first]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return widget

    def _field_shown(self, field: str) -> bool:
        widget = self.inputs.get(field)
        return widget is not None and widget.isVisibleTo(self)

    def clear_error(self, field: str) -> None:
        label = self.errors.get(field)
        if label is not None:
            label.clear_message()

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear_message()
        self.general_error.hide()

    def error_text(self, field: str) -> str:
        """The message shown under ``field`` (empty when none)."""
        label = self.errors.get(field)
        return label.text() if label is not None and label.isVisibleTo(self) else ""

    def validate_id_live(self) -> None:
        text = self.id_edit.text()
        if not text.strip() or self.id_type is DocumentType.NONE:
            self.clear_error(svc.F_ID_NUMBER)
            return
        try:
            validate_document(self.id_type, text, today=self.today())
        except FieldError as exc:
            self.errors[svc.F_ID_NUMBER].show_message(exc.message)
        else:
            self.clear_error(svc.F_ID_NUMBER)

    def validate_phone_live(self) -> None:
        text = self.phone_edit.text()
        if not text.strip():
            self.clear_error(svc.F_PHONE)
            return
        try:
            normalize_phone(text)
        except FieldError as exc:
            self.errors[svc.F_PHONE].show_message(exc.message)
        else:
            self.clear_error(svc.F_PHONE)

    # -- history: join a case, use a known person -------------------------------------------------------------------

    def set_join_case(self, case: CaseSummary | None) -> None:
        self._join = case
        self.join_leader_check.setChecked(False)
        self.join_leader_row.setVisible(case is not None)
        if case is None:
            self.join_banner.hide()
        else:
            lines = [
                f"本次来访将并入案件 {case.case_no}（{case.category or '未分类'}，{case.status_label}），"
                f"记为该事项第{case.visit_count + 1}次来访，不新开事项。"
            ]
            if HistoryFlag.CONCLUDED in case.flags:
                lines.append("该事项已复核终结：本次来访如实登记，回执将注明不再受理。")
            elif HistoryFlag.IN_HANDLING in case.flags:
                lines.append("该事项已受理、正在办理中：本次来访登记后通报办理单位，不再重复受理。")
            self.join_banner.show_message("\n".join(lines))
        self.routing_box.setEnabled(case is None and not self._read_only)
        self.clear_error(svc.F_ROUTING)
        self._update_received_row()

    def _cancel_join(self) -> None:
        self.set_join_case(None)
        self.joinCancelled.emit()

    def set_petitioner(self, match: PersonMatch | None) -> None:
        """Use an earlier petitioner's record: fill what is known, keep what the officer typed."""
        self._petitioner = match
        if match is None:
            self.petitioner_banner.hide()
            return
        self.name_edit.setText(match.name)
        try:
            doc = DocumentType.parse(match.id_type)
        except ValueError:
            doc = None
        if doc is not None and doc is not self.id_type:
            _select_data(self.id_type_combo, doc)
        with contextlib.suppress(ValueError):
            _select_data(self.gender_combo, Gender.parse(match.gender))
        if match.address and not self.address_edit.text().strip():
            self.address_edit.setText(match.address)
        ident = match.id_masked or match.phone_masked or "无证件"
        self.petitioner_banner.show_message(
            f"已关联历史信访人：{match.name}（{ident}），保存时更新其登记信息，不另建信访人。"
        )

    # -- routing ----------------------------------------------------------------------------------------------------

    def set_duty_leader(self, text: str) -> None:
        """Today's duty leader (from the roster), so a walk-in can be sent to the leader's reception."""
        self.duty_hint.setText(text)
        self.duty_hint.setVisible(bool(text))

    def set_route_info(self, proposal: RouteProposal | None, legal_channel: str | None) -> None:
        """Show the rule table's proposal (prefilling the unit unless the officer chose one) and 诉访分离."""
        self._proposal = proposal
        self._legal_channel = legal_channel
        if proposal is not None:
            if not self._unit_touched:
                _select_data(self.unit_combo, proposal.unit_id)
            if not self._routing_touched:
                with contextlib.suppress(ValueError):
                    _select_data(self.routing_combo, RoutingAction.parse(proposal.action))
            self.route_hint.setText(f"建议：{proposal.explanation}")
        elif self.category_id:
            self.route_hint.setText("分派规则中没有与该类别、属地对应的责任单位，请人工选择。")
        else:
            self.route_hint.setText("选择问题类别和问题属地后，按分派规则建议责任单位。")
        if legal_channel:
            self.legal_panel.show_message(
                f"诉访分离：该类事项依法应当通过“{legal_channel}”等法定途径解决，不作为信访事项受理。"
                "请向信访人说明并出具告知，可选择“导入法定途径”。"
            )
        else:
            self.legal_panel.hide()
        self._update_override()

    def steer_to_legal_channel(self) -> None:
        _select_data(self.routing_combo, RoutingAction.LEGAL_CHANNEL)
        self._routing_touched = True
        if self._legal_channel and not self.legal_edit.text().strip():
            self.legal_edit.setText(self._legal_channel)
        self.clear_error(svc.F_LEGAL_CHANNEL)
        self.legal_edit.setFocus()

    def _on_routing_picked(self, _index: int) -> None:
        self._routing_touched = True
        if self.routing_action is RoutingAction.LEGAL_CHANNEL and self._legal_channel \
                and not self.legal_edit.text().strip():
            self.legal_edit.setText(self._legal_channel)
        self.clear_error(svc.F_ROUTING)

    def _on_unit_picked(self, _index: int) -> None:
        self._unit_touched = True
        self.clear_error(svc.F_UNIT)

    def _update_routing_rows(self) -> None:
        legal = self.routing_action is RoutingAction.LEGAL_CHANNEL
        for w in (self.unit_label, self.cells[svc.F_UNIT]):
            w.setVisible(not legal)
        self.route_hint.setVisible(not legal)
        for w in (self.legal_label, self.cells[svc.F_LEGAL_CHANNEL]):
            w.setVisible(legal)
        self._update_override()

    def _update_override(self) -> None:
        action = self.routing_action
        unit = self.unit_combo.currentData()
        needed = (
            action in (RoutingAction.ASSIGN, RoutingAction.FORWARD)
            and self._proposal is not None
            and isinstance(unit, str)
            and unit != self._proposal.unit_id
        )
        for w in (self.override_label, self.cells[svc.F_OVERRIDE_REASON]):
            w.setVisible(needed)
        if needed and self._proposal is not None:
            self.override_edit.setPlaceholderText(f"与规则建议（{self._proposal.unit_name}）不同，必须说明改派理由")

    # -- reactions --------------------------------------------------------------------------------------------------

    def _routing_inputs_changed(self) -> None:
        self.clear_error(svc.F_LOCALITY)
        self.routingInputsChanged.emit()

    def _on_category(self, _index: int) -> None:
        self.clear_error(svc.F_CATEGORY)
        self.routingInputsChanged.emit()

    def _fill_children(self, combo: QComboBox, nodes: tuple[LocalityNode, ...]) -> None:
        combo.blockSignals(True)
        combo.clear()
        for node in nodes:
            combo.addItem(node.name, node.id)
        combo.setCurrentIndex(-1)
        combo.setEnabled(bool(nodes) and not self._read_only)
        combo.blockSignals(False)

    def _node(self, nodes: tuple[LocalityNode, ...], node_id: object) -> LocalityNode | None:
        return next((n for n in nodes if n.id == node_id), None)

    def _on_township(self, _index: int) -> None:
        township = self._node(self.reference.localities, self.township_combo.currentData())
        self._fill_children(self.village_combo, township.children if township else ())
        self._fill_children(self.grid_combo, ())
        self._routing_inputs_changed()

    def _on_village(self, _index: int) -> None:
        township = self._node(self.reference.localities, self.township_combo.currentData())
        village = self._node(township.children, self.village_combo.currentData()) if township else None
        self._fill_children(self.grid_combo, village.children if village else ())
        self._routing_inputs_changed()

    def set_reference(self, reference: Reference) -> None:
        """New reference data (after enrolment, or a sync that changed it): the category, locality and unit lists are
        filled again; what was typed and chosen stays (a choice that is no longer listed is cleared)."""
        old, self.reference = self.reference, reference
        changed = False
        if reference.categories != old.categories:
            changed |= refill_combo(self.category_combo, ((c.label, c.id) for c in reference.categories))
        if reference.localities != old.localities:
            township = refill_combo(self.township_combo, ((n.name, n.id) for n in reference.localities))
            village, grid = self.village_combo.currentData(), self.grid_combo.currentData()
            t_node = self._node(reference.localities, self.township_combo.currentData())
            self._fill_children(self.village_combo, t_node.children if t_node else ())
            _select_quietly(self.village_combo, village)
            v_node = self._node(t_node.children, self.village_combo.currentData()) if t_node else None
            self._fill_children(self.grid_combo, v_node.children if v_node else ())
            _select_quietly(self.grid_combo, grid)
            changed |= township or self.village_combo.currentData() != village or self.grid_combo.currentData() != grid
        if reference.units != old.units:
            refill_combo(self.unit_combo, ((u.name, u.id) for u in reference.units))
            self._update_override()
        if changed or reference.units != old.units:
            self.routingInputsChanged.emit()  # the rule table's proposal, for the lists as they are now

    def _on_person_text(self, _text: str) -> None:
        self.personChanged.emit()

    def _on_id_text(self, text: str) -> None:
        """A complete resident ID fills 性别 (the 17th digit: odd for men, even for women)."""
        if self.id_type is DocumentType.RESIDENT_ID and len("".join(text.split())) in (15, 18):
            try:
                parsed = parse_resident_id(text, today=self.today())
            except FieldError:
                pass
            else:
                _select_data(self.gender_combo, parsed.gender)
        self.personChanged.emit()

    def _on_id_edited(self, _text: str) -> None:
        self.clear_error(svc.F_ID_NUMBER)
        if self._petitioner is not None:
            # a different number is a different person: never overwrite the linked record with it
            self.set_petitioner(None)

    def _on_id_type(self, _index: int) -> None:
        none = self.id_type is DocumentType.NONE
        self.id_edit.setEnabled(not none and not self._read_only)
        self.id_edit.setPlaceholderText(
            "无证件，可不填" if none
            else "18位身份证号码，末位可为X" if self.id_type is DocumentType.RESIDENT_ID
            else "证件上的号码"
        )
        self.clear_error(svc.F_ID_TYPE)
        self.clear_error(svc.F_ID_NUMBER)
        self.personChanged.emit()

    def _visible_rep_rows(self) -> int:
        return max(0, min(MAX_FURTHER_REPRESENTATIVES, self.headcount_spin.value() - 1))

    def _update_representatives(self) -> None:
        shown = self._visible_rep_rows()
        self.representatives_box.setVisible(shown > 0)
        for i, row in enumerate(self.rep_rows):
            row.set_visible(i < shown)

    # -- whole-form state -------------------------------------------------------------------------------------------

    def set_read_only(self, read_only: bool) -> None:
        """After a save the form is frozen until 新登记, so the same visit is not saved twice."""
        self._read_only = read_only
        for box in self.findChildren(QGroupBox):
            box.setEnabled(not read_only)
        self.routing_box.setEnabled(not read_only and self._join is None)
        self.legal_button.setEnabled(not read_only)
        self.cancel_join_button.setEnabled(not read_only)
        self.join_leader_check.setEnabled(not read_only)
        self.unlink_button.setEnabled(not read_only)

    def reset(self) -> None:
        """Empty form for the next person (新登记)."""
        self.set_read_only(False)
        for edit in (self.name_edit, self.id_edit, self.phone_edit, self.address_edit, self.override_edit,
                     self.legal_edit):
            edit.clear()
        self.request_edit.clear()
        self.facts_edit.clear()
        _select_data(self.id_type_combo, DocumentType.RESIDENT_ID)
        _select_data(self.gender_combo, Gender.UNKNOWN)
        _select_data(self.channel_combo, Channel.VISIT)
        self.headcount_spin.setValue(1)
        self.skip_level_check.setChecked(False)
        for row in self.rep_rows:
            row.clear()
        self.content_class_combo.setCurrentIndex(-1)
        self.category_combo.setCurrentIndex(-1)
        self.township_combo.setCurrentIndex(-1)
        _select_data(self.routing_combo, RoutingAction.ASSIGN)
        self.unit_combo.setCurrentIndex(-1)
        self._unit_touched = False
        self._routing_touched = False
        self.set_join_case(None)
        self.set_petitioner(None)
        self.set_route_info(None, None)
        self.clear_errors()
        self.name_edit.setFocus()

    def is_dirty(self) -> bool:
        """Has anything been typed or chosen?"""
        return bool(
            self.name_edit.text().strip() or self.id_edit.text().strip() or self.phone_edit.text().strip()
            or self.address_edit.text().strip() or self.request_edit.toPlainText().strip()
            or self.facts_edit.toPlainText().strip() or self.category_id or self.locality_id
        )

    def focus_first(self) -> None:
        self.name_edit.setFocus()


__all__ = ["FIELD_ORDER", "ROUTING_CHOICES", "IntakeForm"]
