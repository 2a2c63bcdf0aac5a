"""领导接访 page driven like a leader's secretary would: the queue, an on-the-spot reply assigning a unit, errors
next to their fields, the accessibility rule and the queue model."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import Case, CaseEvent, LeaderReception, Unit
from reception.domain.enums import Channel, ContentClass, DocumentType, RoutingAction
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.leader import service as ls
from reception.leader.service import QueueState
from tests.ui.helpers import by_name, choose, click, sign_in, type_into
from ui.leader.model import COL_STATE
from ui.leader.page import LeaderPage
from ui.main_window import PAGE_LEADER, MainWindow

UNIT = "区住房和城乡建设局"
FORM_FIELDS = ("接访领导", "现场答复", "处理结果", "责任单位", "办理期限", "法定途径", "到场单位", "信访人态度",
               "后续要求")


def send_to_leader(window: MainWindow, *, name: str = "邝国栋", headcount: int = 3) -> str:
    ref = window.reference
    category = next(c.id for c in ref.categories if c.label.endswith("物业管理"))
    township = next(n for n in ref.localities if n.name == "翠园街道")
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.NONE, phone="13912345678",
                           address="示范区翠园街道尚书茗苑3栋"),
        channel=Channel.VISIT, headcount=headcount, content_class=ContentClass.CLAIM, category_id=category,
        locality_id=township.id, request="要求物业公司限期修复3栋电梯", facts="电梯多次停运，物业未及时维修。",
        routing_action=RoutingAction.LEADER_RECEPTION,
    )
    return register_intake(window.ctx, form, desk_id=ref.desk_id, officer_id=ref.settings.officer_id,
                           render_receipt=False).case_no


def open_page(window: MainWindow) -> LeaderPage:
    sign_in(window, "leader")  # the duty leader records the reception
    window.nav.setCurrentRow(PAGE_LEADER)
    page = window.pages.currentWidget()
    assert isinstance(page, LeaderPage)
    return page


def select_case(page: LeaderPage, case_no: str) -> None:
    row = next(i for i, q in enumerate(page.model.rows()) if q.case_no == case_no)
    page.table.selectRow(row)
    assert page.current is not None and page.current.case_no == case_no


def test_leader_records_an_on_the_spot_reply_and_assigns_a_unit(qtbot: QtBot, window: MainWindow) -> None:
    case_no = send_to_leader(window)
    page = open_page(window)
    select_case(page, case_no)
    assert by_name(page, QLabel, "案件编号").text().startswith(case_no)
    assert "修复3栋电梯" in by_name(page, QLabel, "诉求").text()
    assert "共1次来访" in by_name(page, QLabel, "来访记录").text()
    leader = by_name(page, QComboBox, "接访领导")
    assert leader.currentIndex() >= 0  # prefilled (today's duty leader when there is one)
    unit_combo = by_name(page, QComboBox, "责任单位")
    due = by_name(page, QDateEdit, "办理期限")
    assert not unit_combo.isEnabled() and not due.isEnabled()

    type_into(qtbot, by_name(page, QPlainTextEdit, "现场答复"), "责成区住建局督促物业两周内修复电梯")
    choose(by_name(page, QComboBox, "处理结果"), "领导包案")  # 包案 may name the lead unit in the same step
    assert unit_combo.isEnabled() and due.isEnabled() and unit_combo.itemText(0) == "（不选责任单位）"
    choose(by_name(page, QComboBox, "处理结果"), "交办责任单位")
    assert unit_combo.isEnabled() and due.isEnabled()
    assert not by_name(page, QLineEdit, "法定途径").isEnabled()
    choose(unit_combo, UNIT)
    today = window.ctx.now().date()
    due_on = today + timedelta(days=14)
    due.setDate(QDate(due_on.year, due_on.month, due_on.day))
    type_into(qtbot, by_name(page, QLineEdit, "到场单位"), "区住建局、翠园街道")
    choose(by_name(page, QComboBox, "信访人态度"), "基本满意")
    by_name(page, QPlainTextEdit, "后续要求").setPlainText("每周报告维修进展")
    click(qtbot, page, "保存接访记录")

    assert "接访记录已保存" in page.banner.label.text() and "已交办" in page.banner.label.text()
    with window.ctx.db.read() as s:
        case = s.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None and case.status == "assigned"
        unit = s.get(Unit, case.unit_id)
        assert unit is not None and unit.name == UNIT
        rec = s.scalar(select(LeaderReception).where(LeaderReception.case_id == case.id))
        assert rec is not None and rec.outcome == "assigned" and rec.due_on == due_on and rec.headcount == 3
        assert rec.units_present == "区住建局、翠园街道" and rec.reaction == "basically"
        assert rec.reply == "责成区住建局督促物业两周内修复电梯"
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert "leader_reply" in kinds and "assigned" in kinds
    row = next(i for i, q in enumerate(page.model.rows()) if q.case_no == case_no)
    item = page.model.row_object(row)
    assert item.state is QueueState.RECEIVED
    assert page.model.index(row, COL_STATE).data().startswith("已接访")
    counts = ls.reception_counts(window.ctx, today, today)
    assert f"{counts.batches}批次 / {counts.persons}人次" in page.counts_label.text()
    assert counts.persons >= 3
    # the received item is shown read-only
    select_case(page, case_no)
    assert not by_name(page, QPushButton, "保存接访记录").isEnabled()
    assert by_name(page, QPlainTextEdit, "现场答复").toPlainText() == "责成区住建局督促物业两周内修复电梯"
    assert by_name(page, QComboBox, "责任单位").currentText() == UNIT
    assert not any(w.isEnabled() for w in page.form.inputs.values())


def test_invalid_save_shows_the_message_next_to_the_field_and_keeps_the_text(qtbot: QtBot,
                                                                             window: MainWindow) -> None:
    case_no = send_to_leader(window)
    page = open_page(window)
    select_case(page, case_no)
    type_into(qtbot, by_name(page, QLineEdit, "到场单位"), "翠园街道")
    choose(by_name(page, QComboBox, "处理结果"), "导入法定途径")
    click(qtbot, page, "保存接访记录")
    assert page.form.error_text("reply") == "请记录领导的现场答复"
    assert "法定途径" in page.form.error_text("legal_channel")
    assert page.form.error_text("reaction") == "请选择信访人态度"
    assert by_name(page, QLineEdit, "到场单位").text() == "翠园街道"  # typed text is never lost
    with window.ctx.db.read() as s:
        assert s.scalars(select(LeaderReception)).first() is None
    # typing clears the message; a draft survives selecting another row and coming back
    type_into(qtbot, by_name(page, QPlainTextEdit, "现场答复"), "依法")
    assert page.form.error_text("reply") == ""
    other = send_to_leader(window, name="龚晓梅", headcount=1)
    page.refresh()
    select_case(page, other)
    assert by_name(page, QPlainTextEdit, "现场答复").toPlainText() == ""
    select_case(page, case_no)
    assert by_name(page, QPlainTextEdit, "现场答复").toPlainText() == "依法"
    assert by_name(page, QLineEdit, "到场单位").text() == "翠园街道"


def test_every_input_is_labelled_for_assistive_technology(window: MainWindow) -> None:
    send_to_leader(window)
    page = open_page(window)
    inputs = [w for w in page.form.findChildren(QWidget)
              if isinstance(w, (QLineEdit, QPlainTextEdit, QComboBox, QDateEdit)) and w.parent() is not None
              and not isinstance(w.parent(), (QComboBox, QDateEdit))]
    names = sorted(w.accessibleName() for w in inputs)
    assert names == sorted(FORM_FIELDS)
    buddies = {id(label.buddy()): label for label in page.form.findChildren(QLabel) if label.buddy() is not None}
    for widget in inputs:
        label = buddies.get(id(widget))
        assert label is not None, f"{widget.accessibleName()} has no QLabel buddy"
        assert label.text() == widget.accessibleName()
    for b in page.findChildren(QPushButton):
        assert b.accessibleName() == b.text(), b.text()
    assert by_name(page, QPushButton, "保存接访记录")


def test_queue_model(qtmodeltester: ModelTester, window: MainWindow) -> None:
    send_to_leader(window)
    send_to_leader(window, name="龚晓梅", headcount=1)
    page = open_page(window)
    assert page.model.rowCount() >= 2
    qtmodeltester.check(page.model)
