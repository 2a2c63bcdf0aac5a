"""The history panel beside the intake form: earlier petitioners matching what is typed, and their cases."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from reception.domain.enums import Gender
from reception.domain.textcheck import SEARCH_MAX
from reception.intake.dto import CaseSummary, HistoryPage, HistoryResult, PersonMatch
from reception.search.query import LABELS, Kind
from ui.widgets import ErrorLabel, FlagBadge, button, field_label, is_open_case, shown_flags

MATCH_LABELS = {**{k.value: label for k, label in LABELS.items()},
                "id_number": "证件号码", "phone": "联系电话", "name": "姓名", "name_part": LABELS[Kind.NAME]}
"""``PersonMatch.matched_by`` in Chinese: the automatic look-up's three, and every reading of the search box."""
STRONG = frozenset({"id_number", "phone", "qr", "case_no", "case_part", "query_code"})
"""Matches that name the person (or their case) for certain; any other wants the officer to check."""
IDLE_TEXT = ("输入完整的证件号码、联系电话或姓名后，自动查询此人此事是否来访过；"
             "也可在上方输入电话尾号、证件号码后几位、姓名中的字、住址、案件编号或查询码查找。")
SEARCH_LABEL = "查找历史"
SEARCH_HINT = "电话尾号、证件后4位、姓名中的字、住址、案件编号、查询码"
NOTHING_FOUND = "没有找到相符的历史记录。请核对后重新输入，或按首次来访继续登记。"


def day_text(d: date | None) -> str:
    return f"{d:%Y-%m-%d}" if d else "—"


def _label(text: str, *, bold: bool = False, muted: bool = False, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    style = []
    if bold:
        style.append("font-weight: bold;")
    if muted:
        style.append("color: #546e7a;")
    if style:
        label.setStyleSheet(" ".join(style))
    return label


def _open_advice(result: HistoryResult) -> str:
    cases = {c.id: c for person in result.persons for c in person.cases}
    open_cases = sum(1 for c in cases.values() if is_open_case(c))
    return f"其中未办结事项{open_cases}件，同一事项再次来访请“并入此事项”，不要重复立案。" if open_cases else ""


class CaseCard(QFrame):
    def __init__(self, case: CaseSummary, joined: bool, panel: HistoryPanel) -> None:
        super().__init__()
        self.case = case
        self.setObjectName("caseCard")
        self.setStyleSheet("QFrame#caseCard { background: #fafafa; border: 1px solid #cfd8dc; border-radius: 4px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        head = QHBoxLayout()
        head.addWidget(_label(case.case_no, bold=True, wrap=False))
        head.addStretch(1)
        head.addWidget(_label(case.status_label, muted=True, wrap=False))
        layout.addLayout(head)
        flags = shown_flags(case)
        if flags:
            badges = QHBoxLayout()
            badges.setSpacing(4)
            for flag in flags:
                badges.addWidget(FlagBadge(flag))
            badges.addStretch(1)
            layout.addLayout(badges)
        where = " · ".join(x for x in (case.category, case.locality) if x)
        if where:
            layout.addWidget(_label(where))
        if case.unit:
            layout.addWidget(_label(f"责任单位：{case.unit}", muted=True))
        if case.request_excerpt:
            layout.addWidget(_label(f"诉求：{case.request_excerpt}"))
        layout.addWidget(_label(
            f"登记 {day_text(case.registered_on)}，来访{case.visit_count}次，最近来访 {day_text(case.last_visit_on)}",
            muted=True,
        ))
        actions = QHBoxLayout()
        actions.addStretch(1)
        self.join_button = button("并入此事项")
        self.join_button.setAccessibleDescription(f"本次来访并入案件 {case.case_no}")
        self.join_button.setObjectName(f"join-{case.case_no}")
        self.join_button.setEnabled(not joined)
        if joined:
            self.join_button.setToolTip("本次来访已选择并入此事项")
        self.join_button.clicked.connect(lambda: panel.joinRequested.emit(case))
        actions.addWidget(self.join_button)
        layout.addLayout(actions)


class PersonCard(QFrame):
    def __init__(self, person: PersonMatch, joined_case_id: str | None, linked: bool, panel: HistoryPanel) -> None:
        super().__init__()
        self.person = person
        self.setObjectName("personCard")
        self.setStyleSheet("QFrame#personCard { background: white; border: 1px solid #90a4ae; border-radius: 6px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        head = QHBoxLayout()
        gender = Gender.label_of(person.gender) if person.gender != Gender.UNKNOWN.value else ""
        head.addWidget(_label(f"{person.name}  {gender}".strip(), bold=True, wrap=False))
        head.addStretch(1)
        how = "、".join(MATCH_LABELS.get(m, m) for m in person.matched_by)
        head.addWidget(_label(f"按{how}匹配", muted=True, wrap=False))
        layout.addLayout(head)
        if person.matched_by == ("name",):
            layout.addWidget(_label("仅姓名相同，请核对是否同一人。", muted=True))
        elif not STRONG & set(person.matched_by):
            layout.addWidget(_label("仅部分信息相符，请核对是否同一人。", muted=True))
        ids = []
        if person.id_masked:
            ids.append(f"证件 {person.id_masked}")
        if person.phone_masked:
            ids.append(f"电话 {person.phone_masked}")
        if ids:
            layout.addWidget(_label("　".join(ids)))
        layout.addWidget(_label(f"来访{person.visit_count}次，最近来访 {day_text(person.last_visit_on)}", muted=True))
        use = QHBoxLayout()
        use.addStretch(1)
        self.use_button = button("使用此人信息")
        self.use_button.setAccessibleDescription("用历史登记的信息填写信访人，并关联到此人")
        self.use_button.setEnabled(not linked)
        self.use_button.clicked.connect(lambda: panel.usePersonRequested.emit(person))
        use.addWidget(self.use_button)
        self.merge_button = button("合并信访人…")
        self.merge_button.setAccessibleDescription("把此人的另一条重复记录并入这条记录")
        self.merge_button.setVisible(panel.may_merge)  # supervisors and administrators (Permission.MERGE)
        self.merge_button.clicked.connect(lambda: panel.mergePersonRequested.emit(person))
        use.addWidget(self.merge_button)
        layout.addLayout(use)
        self.case_cards = [CaseCard(c, c.id == joined_case_id, panel) for c in person.cases]
        for card in self.case_cards:
            layout.addWidget(card)
        if not person.cases:
            layout.addWidget(_label("没有信访事项记录。", muted=True))


class HistoryPanel(QWidget):
    """Matches for what is being typed, strongest first. Emits the officer's choices; changes nothing itself."""

    joinRequested = Signal(object)
    """A CaseSummary: add this visit to that case."""
    usePersonRequested = Signal(object)
    """A PersonMatch: fill the form from this earlier petitioner."""
    searchRequested = Signal(str)
    """查找 (or Enter) in the search box: the text, to be read as the case list's search box reads it."""
    mergePersonRequested = Signal(object)
    """A PersonMatch: 合并信访人… with this record kept (shown only while ``may_merge``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.result = HistoryResult()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        title = QLabel("历史来访")
        title.setStyleSheet("font-size: 15px; font-weight: bold;")
        layout.addWidget(title)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("historySearch")
        self.search_edit.setPlaceholderText(SEARCH_HINT)
        self.search_edit.setToolTip(SEARCH_HINT)
        self.search_edit.setMaxLength(SEARCH_MAX)
        self.search_edit.setClearButtonEnabled(True)
        self.search_label = field_label(SEARCH_LABEL, self.search_edit)
        self.search_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.search_label.setContentsMargins(0, 0, 0, 0)
        self.search_button = button("查找")
        row.addWidget(self.search_label)
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.search_button)
        layout.addLayout(row)
        self.search_error = ErrorLabel(self)
        self.search_error.setObjectName("historySearchError")
        layout.addWidget(self.search_error)
        self.search_edit.returnPressed.connect(self._search)
        self.search_button.clicked.connect(self._search)
        self.search_edit.textEdited.connect(lambda _t: self.search_error.hide())
        self.status = _label(IDLE_TEXT, muted=True)
        self.status.setObjectName("historyStatus")
        layout.addWidget(self.status)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.container = QWidget()
        self.cards_layout = QVBoxLayout(self.container)
        self.cards_layout.setContentsMargins(0, 0, 4, 0)
        self.cards_layout.setSpacing(8)
        self.cards_layout.addStretch(1)
        self.scroll_area.setWidget(self.container)
        layout.addWidget(self.scroll_area, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.person_cards: list[PersonCard] = []
        self.may_merge = False

    def set_may_merge(self, may: bool) -> None:
        """Whether the signed-in user may merge petitioners: each card's 合并信访人… shown or hidden."""
        self.may_merge = may
        for card in self.person_cards:
            card.merge_button.setVisible(may)

    def _clear_cards(self) -> None:
        for card in self.person_cards:
            self.cards_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self.person_cards = []

    def clear(self, *, search_too: bool = False) -> None:
        self.result = HistoryResult()
        self._clear_cards()
        self.status.setText(IDLE_TEXT)
        if search_too:
            self.search_edit.clear()
            self.search_error.hide()

    def _search(self) -> None:
        text = self.search_edit.text()
        self.search_error.hide()
        if not text.strip():
            self.search_error.setText("请输入要查找的内容。")
            self.search_error.show()
            self.search_edit.setFocus()
            return
        self.searchRequested.emit(text)

    def show_search_error(self, message: str) -> None:
        """Text the search refused (a control character...): said under the box, the text kept."""
        self.status.setText(IDLE_TEXT if self.result.empty else self.status.text())
        self.search_error.setText(message)
        self.search_error.show()

    def show_search_result(self, page: HistoryPage, *, joined_case_id: str | None = None,
                           linked_petitioner_id: str | None = None) -> None:
        if page.empty:
            self.result = HistoryResult()
            self._clear_cards()
            self.status.setText(NOTHING_FOUND)
            return
        self.show_result(page.history, joined_case_id=joined_case_id, linked_petitioner_id=linked_petitioner_id)
        shown = len(page.history.persons)
        how = "、".join(page.readings)
        text = f"按{how}查找：" if how else ""
        if page.total > shown or page.capped:
            text += f"相符的信访人较多，仅显示最相符的{shown}位，请输入更多内容缩小范围。"
        else:
            text += f"找到{shown}位信访人。"
        self.status.setText(text + _open_advice(page.history))

    def set_searching(self) -> None:
        self.status.setText("正在查询历史记录…")

    def show_failure(self, message: str) -> None:
        self.status.setText(f"历史记录查询失败：{message}")

    def show_result(self, result: HistoryResult, *, joined_case_id: str | None = None,
                    linked_petitioner_id: str | None = None) -> None:
        self.result = result
        self._clear_cards()
        if result.empty:
            self.status.setText("未找到历史记录：此人此事为首次登记。")
            return
        self.status.setText(f"找到{len(result.persons)}位可能是同一人的信访人。" + _open_advice(result))
        for person in result.persons:
            card = PersonCard(person, joined_case_id, person.petitioner_id == linked_petitioner_id, self)
            self.cards_layout.insertWidget(self.cards_layout.count() - 1, card)
            if self.isVisible():
                card.show()  # now, not on the next turn of the event loop
            self.person_cards.append(card)

    def refresh_state(self, *, joined_case_id: str | None, linked_petitioner_id: str | None) -> None:
        """Re-draw the same result after the officer joined a case or linked a person."""
        if self.result.empty:
            return
        said = self.status.text()  # (what the look-up or the search said stays)
        self.show_result(self.result, joined_case_id=joined_case_id, linked_petitioner_id=linked_petitioner_id)
        self.status.setText(said)
