"""Labelled inputs with their error line underneath, and the core's field errors shown where they belong."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QFormLayout, QWidget

from reception.domain.errors import FieldError, FieldErrors
from ui.tasks import error_message
from ui.widgets import ErrorLabel, FieldCell, field_label

W = TypeVar("W", bound=QWidget)

# The labels of the desk-setup fields (reception.setup's keys), shared by the first-run wizard and 工位与账户.
CENTRE_LABEL = "中心名称"
DESK_NAME_LABEL = "本工位名称"
DESK_CODE_LABEL = "工位代码"
CONFIRM_LABEL = "确认密码"


class FieldForm(QFormLayout):
    """A form whose every field has a visible label (its accessible name) and an error line right under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors: dict[str, ErrorLabel] = {}
        self.fields: dict[str, QWidget] = {}
        self.general = ErrorLabel()
        self.general.setObjectName("formError")

    def add(self, key: str, label: str, widget: W) -> W:
        """``widget`` labelled ``label``; the core's errors of field ``key`` are shown under it."""
        cell = FieldCell(widget)
        self.errors[key] = cell.error
        self.fields[key] = widget
        self.addRow(field_label(label, widget), cell)
        return widget

    def add_general(self) -> None:
        self.addRow("", self.general)

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear_message()
        self.general.clear_message()

    def show_error(self, exc: BaseException) -> None:
        """Each field's message next to it; anything else in the general line. Focus goes to the first field."""
        errors = exc.errors if isinstance(exc, FieldErrors) else [exc] if isinstance(exc, FieldError) else []
        first: QWidget | None = None
        shown = False
        for error in errors:
            if error.field in self.errors:
                self.errors[error.field].show_message(error.message)
                first = first or self.fields[error.field]
                shown = True
            else:
                self.general.show_message(error.message)
                shown = True
        if not shown:
            self.general.show_message(error_message(exc))
        if first is not None:
            first.setFocus()

    def error_text(self, key: str) -> str:
        """The message shown under field ``key`` (empty when none)."""
        error = self.errors.get(key)
        return error.text() if error is not None and not error.isHidden() else ""
