"""更正登记 from the case detail, clicked by qtbot: the button only for those who may, errors next to the fields,
and a correction that changes the printed receipt reprints it marked 更正 (read back with pypdf)."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from reception.intake.cases import search_cases
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import by_name, click, fill_valid, sign_in, type_into
from ui.cases.correction import CorrectionDialog
from ui.cases.detail import CaseDetailDialog
from ui.main_window import PAGE_CASES, MainWindow


def _register_and_open(qtbot: QtBot, window: MainWindow) -> tuple[str, CaseDetailDialog]:
    page = window.intake_page
    fill_valid(qtbot, page.form, name="紫更正", phone="13912345678")
    click(qtbot, page, "保存")
    assert page.result is not None
    case_no = page.result.case_no
    return case_no, _open(window, case_no)


def _open(window: MainWindow, case_no: str) -> CaseDetailDialog:
    case = next(c for c in search_cases(window.ctx, case_no) if c.case_no == case_no)
    window.show_page(PAGE_CASES)
    return window.cases_page.open_case(case)


def test_a_correction_that_changes_the_receipt_reprints_it_marked_correction(qtbot: QtBot, window: MainWindow,
                                                                            printed: PrintRecorder) -> None:
    case_no, detail = _register_and_open(qtbot, window)
    correct = by_name(detail, QPushButton, "更正登记")  # the desk officer's own registration, today
    click(qtbot, detail, "更正登记")
    dialog = detail.correction_dialog
    assert isinstance(dialog, CorrectionDialog) and dialog.isVisible()
    phone = by_name(dialog, QLineEdit, "联系电话")
    assert phone.text() == "13912345678"
    assert by_name(dialog, QLineEdit, "姓名").isReadOnly()  # who the petitioner is: the supervisor's to correct
    assert by_name(dialog, QLineEdit, "证件号码").isReadOnly()
    phone.clear()
    type_into(qtbot, phone, "1391234")
    request = by_name(dialog, QPlainTextEdit, "诉求")
    request.setPlainText("要求物业公司限期修复5栋电梯")
    before = len(printed.calls)
    click(qtbot, dialog, "保存更正")
    assert dialog.isVisible() and dialog.error_text("phone")  # next to the field, and what was typed stays
    assert phone.text() == "1391234" and request.toPlainText() == "要求物业公司限期修复5栋电梯"
    assert len(printed.calls) == before
    phone.clear()
    type_into(qtbot, phone, "13987654321")
    click(qtbot, dialog, "保存更正")
    assert not dialog.isVisible()
    assert len(printed.calls) == before + 1
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.calls[-1][1])).pages)
    assert "更正" in text and "补打" not in text
    assert "139****4321" in text and "5栋电梯" in text and case_no in text
    assert "联系电话" in detail.message.label.text() and "更正" in detail.message.label.text()
    # the case detail shows the corrected wording and the step in 办理过程
    assert detail.detail is not None and detail.detail.request == "要求物业公司限期修复5栋电梯"
    assert any(e.label == "更正登记" for e in detail.detail.events)
    assert correct.isVisibleTo(detail)
    detail.close()


def test_the_next_day_only_a_supervisor_sees_the_button_and_corrects_the_name(qtbot: QtBot, window: MainWindow,
                                                                             printed: PrintRecorder) -> None:
    case_no, detail = _register_and_open(qtbot, window)
    detail.close()
    later = window.ctx.now() + timedelta(days=1)
    window.ctx.now = lambda: later
    detail = _open(window, case_no)
    assert not detail.correct_button.isVisibleTo(detail)
    detail.close()
    from reception.intake.correction import correction_rights

    unit_cy = sign_in(window, "unit_cy")  # a unit's staff never correct the centre's registration
    assert not correction_rights(window.ctx, detail.case.id, actor_id=unit_cy).any
    sign_in(window, "supervisor")
    detail = _open(window, case_no)
    click(qtbot, detail, "更正登记")
    dialog = detail.correction_dialog
    assert isinstance(dialog, CorrectionDialog)
    name = by_name(dialog, QLineEdit, "姓名")
    assert not name.isReadOnly()
    name.clear()
    type_into(qtbot, name, "紫更政")
    click(qtbot, dialog, "保存更正")
    assert "请说明理由" in dialog.error_text("reason") and name.text() == "紫更政"
    type_into(qtbot, by_name(dialog, QLineEdit, "更正理由"), "姓名录入错误，已核对身份证原件")
    before = len(printed.calls)
    click(qtbot, dialog, "保存更正")
    assert not dialog.isVisible() and len(printed.calls) == before + 1
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.calls[-1][1])).pages)
    assert "紫更政" in text and "更正" in text
    detail.close()
