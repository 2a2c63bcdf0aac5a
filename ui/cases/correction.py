"""更正登记: the dialog that corrects a saved registration (``reception.intake.correction``).

Opened from the case detail's 更正登记 button (shown only to those who may correct the case now). Every input has
its label; the core's messages go under the input they name; what was typed stays when saving fails. Name and ID
number are editable only for a supervisor (with 更正理由). When the receipt's printed content changed, the corrected
receipt (marked 更正) goes to the printer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.errors import FieldErrors
from reception.domain.masking import mask_id
from reception.intake.correction import (
    F_PERSON,
    F_REASON,
    CorrectionInput,
    CorrectionResult,
    PersonOnFile,
    Registration,
    correct_registration,
    describe,
    registration,
)
from reception.intake.service import F_ADDRESS, F_FACTS, F_ID_NUMBER, F_NAME, F_PHONE, F_REQUEST
from ui.printing import PrintFn
from ui.tasks import TaskManager, error_message, log_failure
from ui.widgets import Banner, FieldCell, confirm_row, field_label

SAVE_TEXT = "保存更正"
PERSON_FIELDS = (F_NAME, F_ID_NUMBER, F_PHONE, F_ADDRESS)
LABELS = {F_PERSON: "信访人", F_NAME: "姓名", F_ID_NUMBER: "证件号码", F_PHONE: "联系电话", F_ADDRESS: "住址",
          F_REQUEST: "诉求", F_FACTS: "事实和理由", F_REASON: "更正理由"}
"""The core's field keys and the label of each one's input."""


class CorrectionDialog(QDialog):
    corrected = Signal(object)
    """The ``CorrectionResult`` once the correction is stored."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, printer: PrintFn, case_id: str, case_no: str,
                 actor_id: str | None, desk_id: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.printer = printer
        self.case_id = case_id
        self.actor_id = actor_id
        self.desk_id = desk_id
        self.loaded: Registration | None = None
        self.result_: CorrectionResult | None = None
        self._person_id: str | None = None
        self._typed: dict[str, dict[str, str]] = {}
        """What was typed for each person of the registration (switching the person keeps it)."""
        self.setWindowTitle(f"更正登记 — {case_no}")
        self.setObjectName("correctionDialog")
        self.setMinimumWidth(560)

        layout = QVBoxLayout(self)
        self.message = Banner("info", self)
        layout.addWidget(self.message)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #607d8b;")
        layout.addWidget(self.note)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.inputs: dict[str, QWidget] = {}
        self.cells: dict[str, FieldCell] = {}
        self.person_combo = QComboBox()
        self.person_combo.currentIndexChanged.connect(self._person_changed)
        self._add(form, F_PERSON, self.person_combo)
        for name in PERSON_FIELDS:
            edit = QLineEdit()
            edit.setMaxLength(200)
            edit.textEdited.connect(lambda _t, n=name: self.cells[n].error.clear_message())
            self._add(form, name, edit)
        for name in (F_REQUEST, F_FACTS):
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setFixedHeight(80)
            text.textChanged.connect(lambda n=name: self.cells[n].error.clear_message())
            self._add(form, name, text)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(200)
        self.reason_edit.setPlaceholderText("更正姓名、证件号码时必填，如“录入错误，已核对身份证原件”")
        self._add(form, F_REASON, self.reason_edit)
        layout.addLayout(form)
        self.save_button, self.cancel_button = confirm_row(layout, SAVE_TEXT, self.submit, self.reject)
        self.save_button.setEnabled(False)
        self.load()

    def _add(self, form: QFormLayout, name: str, widget: QWidget) -> None:
        cell = FieldCell(widget)
        self.inputs[name] = widget
        self.cells[name] = cell
        form.addRow(field_label(LABELS[name], widget), cell)

    def line(self, name: str) -> QLineEdit:
        widget = self.inputs[name]
        assert isinstance(widget, QLineEdit)
        return widget

    def text(self, name: str) -> QPlainTextEdit:
        widget = self.inputs[name]
        assert isinstance(widget, QPlainTextEdit)
        return widget

    # -- loading ----------------------------------------------------------------------------------------------------

    def load(self) -> None:
        ctx, case_id, actor = self.ctx, self.case_id, self.actor_id
        self.message.show_message("正在读取…", "info")
        self.tasks.op(lambda: registration(ctx, case_id, actor_id=actor), self._loaded, what="correction load",
                      owner=self, message=self.message.show_error)

    def _loaded(self, reg: Registration) -> None:
        self.loaded = reg
        self.message.hide()
        self.person_combo.blockSignals(True)
        self.person_combo.clear()
        for p in reg.persons:
            self.person_combo.addItem(f"{p.name}（{mask_id(p.id_number)}）" if p.id_number else p.name, p.id)
        self.person_combo.blockSignals(False)
        self.person_combo.setEnabled(len(reg.persons) > 1)
        self._show_person(reg.persons[0] if reg.persons else None)
        self.text(F_REQUEST).setPlainText(reg.request)
        self.text(F_FACTS).setPlainText(reg.facts)
        identity = reg.rights.identity
        for name in (F_NAME, F_ID_NUMBER):
            self.line(name).setReadOnly(not identity)
            self.line(name).setToolTip("" if identity else "姓名和证件号码的更正须由督查办理")
        self.note.setText("可更正联系电话、住址、诉求和事实和理由。" + (
            "更正姓名或证件号码时请填写更正理由。" if identity else
            "姓名和证件号码的更正须由督查办理（并说明理由）。"))
        self.save_button.setEnabled(True)

    def _on_file(self, person_id: str | None) -> PersonOnFile | None:
        if self.loaded is None:
            return None
        return next((p for p in self.loaded.persons if p.id == person_id), None)

    def _show_person(self, person: PersonOnFile | None) -> None:
        self._person_id = person.id if person else None
        typed = self._typed.get(self._person_id or "", {})
        values = {F_NAME: person.name, F_ID_NUMBER: person.id_number, F_PHONE: person.phone,
                  F_ADDRESS: person.address} if person else {}
        for name in PERSON_FIELDS:
            self.line(name).setText(typed.get(name, values.get(name, "")))
            self.cells[name].error.clear_message()

    def _person_changed(self, _index: int) -> None:
        if self._person_id is not None:
            self._typed[self._person_id] = {name: self.line(name).text() for name in PERSON_FIELDS}
        data = self.person_combo.currentData()
        self._show_person(self._on_file(data if isinstance(data, str) else None))

    # -- saving -----------------------------------------------------------------------------------------------------

    def collect(self) -> CorrectionInput:
        identity = self.loaded is not None and self.loaded.rights.identity
        return CorrectionInput(
            case_id=self.case_id, petitioner_id=self._person_id,
            phone=self.line(F_PHONE).text(), address=self.line(F_ADDRESS).text(),
            request=self.text(F_REQUEST).toPlainText(), facts=self.text(F_FACTS).toPlainText(),
            name=self.line(F_NAME).text() if identity else None,
            id_number=self.line(F_ID_NUMBER).text() if identity else None,
            reason=self.reason_edit.text(),
        )

    def clear_errors(self) -> None:
        for cell in self.cells.values():
            cell.error.clear_message()
        self.message.hide()

    def submit(self) -> None:
        if self.loaded is None:
            return
        self.clear_errors()
        form = self.collect()
        ctx, actor, desk = self.ctx, self.actor_id, self.desk_id
        self.save_button.setEnabled(False)
        self.tasks.run_write(lambda: correct_registration(ctx, form, actor_id=actor, desk_id=desk), self._saved,
                             self._failed, owner=self, what="correction")

    def _saved(self, result: CorrectionResult) -> None:
        self.result_ = result
        printed = ""
        if result.receipt is not None:
            from ui.cases.detail import write_temp_pdf

            path: Path = write_temp_pdf(result.receipt, result.case_no)
            try:
                self.printer(self, path)
            except Exception as exc:
                log_failure(exc, "correction receipt")
                printed = f"更正回执打印失败：{error_message(exc)}（已存档，可补打）"
            finally:
                path.unlink(missing_ok=True)
        self.corrected.emit(result)
        self.message.show_message(describe(result) + printed, "error" if printed else "success")
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, FieldErrors):
            unplaced = []
            for e in exc.errors:
                cell = self.cells.get(e.field)
                if cell is not None:
                    cell.error.show_message(e.message)
                else:
                    unplaced.append(e.message)
            if unplaced:
                self.message.show_message("\n".join(unplaced), "error")
            return
        self.message.show_message(error_message(exc), "error")

    def error_text(self, name: str) -> str:
        error = self.cells[name].error
        return error.text() if error.isVisibleTo(self) else ""
