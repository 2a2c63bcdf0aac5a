"""The history panel beside the intake form: earlier petitioners matching what is typed, and their cases."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from reception.domain.enums import Gender
from reception.intake.dto import CaseSummary, HistoryResult, PersonMatch
from ui.widgets import FlagBadge, button, is_open_case, shown_flags

MATCH_LABELS = {"id_number": "证件号码", "phone": "联系电话", "name": "姓名"}
IDLE_TEXT = "输入完整的证件号码、联系电话或姓名后，自动查询此人此事是否来访过。"


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

    def _clear_cards(self) -> None:
        for card in self.person_cards:
            self.cards_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self.person_cards = []

    def clear(self) -> None:
        self.result = HistoryResult()
        self._clear_cards()
        self.status.setText(IDLE_TEXT)

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
        cases = {c.id: c for person in result.persons for c in person.cases}
        open_cases = sum(1 for c in cases.values() if is_open_case(c))
        text = f"找到{len(result.persons)}位可能是同一人的信访人"
        if open_cases:
            text += f"，其中未办结事项{open_cases}件。同一事项再次来访请“并入此事项”，不要重复立案。"
        else:
            text += "。"
        self.status.setText(text)
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
        self.show_result(self.result, joined_case_id=joined_case_id, linked_petitioner_id=linked_petitioner_id)
