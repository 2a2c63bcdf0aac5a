"""Small building blocks shared by the pages: labelled fields with an error line, banners, flag badges."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from reception.domain.enums import CaseStatus, HistoryFlag, LabelledEnum
from reception.intake.dto import CaseSummary

E = TypeVar("E", bound=LabelledEnum)

ERROR_COLOUR = "#c62828"

FLAG_COLOURS: dict[HistoryFlag, str] = {
    HistoryFlag.REPEAT: "#e65100",  # orange
    HistoryFlag.SKIP_LEVEL: "#6a1b9a",  # purple
    HistoryFlag.IN_HANDLING: "#1565c0",  # blue
    HistoryFlag.CONCLUDED: "#b71c1c",  # dark red
}

BANNER_STYLES = {
    "success": ("#e8f5e9", "#2e7d32"),
    "info": ("#e3f2fd", "#1565c0"),
    "warning": ("#fff8e1", "#f9a825"),
    "error": ("#ffebee", "#c62828"),
}


def shown_flags(case: CaseSummary) -> tuple[HistoryFlag, ...]:
    """The flags to badge on a case in lists. The core marks every earlier case 重复访 (a further visit would be a
    repeat); a list shows it only once the case really has more than one visit, so the badge keeps its meaning."""
    return tuple(f for f in case.flags if f is not HistoryFlag.REPEAT or case.visit_count > 1)


def is_open_case(case: CaseSummary) -> bool:
    try:
        return CaseStatus.parse(case.status).is_open
    except ValueError:  # a status from a newer version: count it as open, the safe side at the desk
        return True


def field_label(text: str, buddy: QWidget) -> QLabel:
    """A visible label for ``buddy``; the buddy's accessible name is the label text, exactly."""
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    label.setContentsMargins(0, 4, 0, 0)
    buddy.setAccessibleName(text)
    return label


def combo_enum(combo: QComboBox, cls: type[E]) -> E | None:
    """The enum member behind the current item. Items store the member's value: Qt turns ``str`` subclasses
    (our StrEnums) into plain strings, so the member itself cannot be stored."""
    data = combo.currentData()
    if not isinstance(data, str):
        return None
    try:
        return cls.parse(data)
    except ValueError:
        return None


def button(text: str, *, default: bool = False) -> QPushButton:
    """A push button whose accessible name equals its text (no mnemonics: shortcuts live on actions)."""
    b = QPushButton(text)
    b.setAccessibleName(text)
    b.setAutoDefault(default)
    from ui.icons import BUTTON_ICONS, icon

    concept = BUTTON_ICONS.get(text)
    if concept:  # the main actions carry the app's icon for them (the text and the name stay as they were)
        b.setIcon(icon(concept))
    return b


class ErrorLabel(QLabel):
    """A red message line directly under a field; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.clear()
        self.hide()


class FieldCell(QWidget):
    """An input (or a row of inputs) with its error line underneath."""

    def __init__(self, content: QWidget | QLayout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if isinstance(content, QLayout):
            layout.addLayout(content)
        else:
            layout.addWidget(content)
        self.error = ErrorLabel(self)
        layout.addWidget(self.error)


def reason_row(layout: QFormLayout | QBoxLayout, label: str) -> tuple[QLineEdit, FieldCell]:
    """A required one-line text (合并理由, 撤销理由…): its labelled row (``field_label``: buddy and accessible
    name) with the error line under it, which editing the text clears. Into ``layout`` if it is a form; a box layout
    gets a form of its own holding just this row. Returns the line edit and its cell (``cell.error.show_message``)."""
    edit = QLineEdit()
    cell = FieldCell(edit)
    edit.textEdited.connect(lambda _t: cell.error.clear_message())
    if isinstance(layout, QFormLayout):
        layout.addRow(field_label(label, edit), cell)
    else:
        form = QFormLayout()
        form.addRow(field_label(label, edit), cell)
        layout.addLayout(form)
    return edit, cell


def search_row(layout: QBoxLayout, label: str, on_search: Callable[[], object], *, placeholder: str = "",
               max_length: int | None = None) -> tuple[QLineEdit, QPushButton, FieldCell]:
    """A labelled search box with its 查找 button beside it (Enter in the box searches too) and an error line under
    both (nothing found, a failed search), in a form of its own added to ``layout``. Returns (box, 查找, cell)."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    if max_length is not None:
        edit.setMaxLength(max_length)
    find = button("查找")
    find.clicked.connect(on_search)
    edit.returnPressed.connect(on_search)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(find)
    cell = FieldCell(row)
    form = QFormLayout()
    form.addRow(field_label(label, edit), cell)
    layout.addLayout(form)
    return edit, find, cell


def button_row(layout: QBoxLayout, *buttons: QPushButton, leading: Sequence[QWidget] = ()) -> QHBoxLayout:
    """A row of ``buttons`` on the right (after ``leading``, which stay on the left), added to ``layout``."""
    row = QHBoxLayout()
    for widget in leading:
        row.addWidget(widget)
    row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    layout.addLayout(row)
    return row


def confirm_row(layout: QBoxLayout, text: str, on_confirm: Callable[[], object], on_cancel: Callable[[], object], *,
                cancel_text: str = "取消", leading: Sequence[QWidget] = ()) -> tuple[QPushButton, QPushButton]:
    """A dialog's closing row: ``text`` (the default button, so Enter confirms) then 取消, on the right. Each button's
    accessible name is its text. Pass the dialog's ``reject`` as ``on_cancel``: Esc rejects a dialog too, so the two
    stay one. Returns (confirm, cancel)."""
    confirm = button(text, default=True)
    cancel = button(cancel_text)
    confirm.clicked.connect(on_confirm)
    cancel.clicked.connect(on_cancel)
    button_row(layout, confirm, cancel, leading=leading)
    return confirm, cancel


class Banner(QFrame):
    """A coloured panel with a message and optional buttons on the right."""

    def __init__(self, kind: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 8, 10, 8)
        self._layout.addWidget(self.label, 1)
        self.set_kind(kind)
        self.hide()

    def set_kind(self, kind: str) -> None:
        background, border = BANNER_STYLES[kind]
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border: 1px solid {border}; border-radius: 4px; }}"
        )

    def add_button(self, b: QPushButton) -> QPushButton:
        self._layout.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
        return b

    def show_message(self, text: str, kind: str | None = None) -> None:
        if kind is not None:
            self.set_kind(kind)
        self.label.setText(text)
        self.show()

    def show_error(self, text: str) -> None:
        """An operation's Chinese error message (``TaskManager.op(message=banner.show_error)``)."""
        self.show_message(text, "error")


class FlagBadge(QLabel):
    """A history flag (重复访, 越级访, 已受理办理中, 复核终结) in its own colour."""

    def __init__(self, flag: HistoryFlag, parent: QWidget | None = None) -> None:
        super().__init__(flag.label, parent)
        colour = FLAG_COLOURS.get(flag, "#455a64")
        self.setObjectName(f"flag_{flag.value}")
        self.setStyleSheet(
            f"color: white; background: {colour}; border-radius: 3px; padding: 1px 6px;"
        )
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
