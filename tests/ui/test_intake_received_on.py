"""收件日期 on the intake form: only for 来信 and 网上, labelled, bounded, stored, and its clock runs from it."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import Case, CaseClock
from reception.domain.deadlines import due_date
from tests.ui.helpers import all_by_name, by_name, choose, click, fill_valid, shown_errors
from ui.main_window import MainWindow


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def test_received_on_only_for_letters_and_online(qtbot: QtBot, window: MainWindow) -> None:
    form = window.intake_page.form
    assert all_by_name(form, QDateEdit, "收件日期") == []
    for channel in ("来信", "网上"):
        choose(by_name(form, QComboBox, "信访形式"), channel)
        edit = by_name(form, QDateEdit, "收件日期")
        label = next(lab for lab in form.findChildren(QLabel) if lab.buddy() is edit)
        assert label.text() == "收件日期" and label.isVisibleTo(form)
        today = window.ctx.now().date()
        assert edit.date() == _qdate(today) and edit.maximumDate() == _qdate(today)
    for channel in ("来电", "来访"):
        choose(by_name(form, QComboBox, "信访形式"), channel)
        assert all_by_name(form, QDateEdit, "收件日期") == []
        assert form.collect().received_on is None
    window.intake_page.grab().save(str(window.ctx.paths.root / "intake.png"))


def test_a_letter_is_saved_with_its_received_date_and_clock(qtbot: QtBot, window: MainWindow) -> None:
    page = window.intake_page
    fill_valid(qtbot, page.form)
    choose(by_name(page.form, QComboBox, "信访形式"), "来信")
    choose(by_name(page.form, QComboBox, "处理方式"), "转值班领导接访")
    received = window.ctx.now().date() - timedelta(days=6)
    by_name(page.form, QDateEdit, "收件日期").setDate(_qdate(received))
    click(qtbot, page, "保存")
    assert page.result is not None, shown_errors(page)
    with window.ctx.db.read() as s:
        case = s.scalar(select(Case).where(Case.case_no == page.result.case_no))
        assert case is not None and case.received_on == received and case.registered_on == received + timedelta(6)
        due = s.scalar(select(CaseClock.due_on).where(CaseClock.case_id == case.id,
                                                      CaseClock.clock_key == "register_route"))
    assert due == due_date("register_route", received, window.ctx.calendar)


def test_a_date_after_registration_is_refused_next_to_the_field(qtbot: QtBot, window: MainWindow) -> None:
    page = window.intake_page
    fill_valid(qtbot, page.form)
    choose(by_name(page.form, QComboBox, "信访形式"), "网上")
    # the form was opened "today"; the registration happens on an earlier clock (e.g. a desk clock put back)
    earlier = window.ctx.now() - timedelta(days=3)
    window.ctx.now = lambda: earlier
    click(qtbot, page, "保存")
    assert page.result is None
    assert "收件日期不能晚于今天" in page.form.error_text("received_on")
    assert by_name(page.form, QDateEdit, "收件日期").hasFocus()
    assert page.form.name_edit.text() == "夏丽云"  # nothing typed is lost
