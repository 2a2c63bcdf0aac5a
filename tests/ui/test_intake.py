"""The intake form driven like an officer would: typing, choosing, clicking; checked against the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from reception.db.models import Case, Petitioner, Visit, VisitPerson
from reception.domain.enums import CaseStatus, HistoryFlag
from reception.intake.cases import case_detail
from reception.security.crypto import blind_index
from tests.clock import Clock
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import NEW_ID, NEW_ID_2, by_name, choose, click, fill_valid, shown_errors, type_into, valid_id
from ui.intake.page import IntakePage
from ui.main_window import MainWindow


def _case_count(window: MainWindow) -> int:
    with window.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


def _page(window: MainWindow) -> IntakePage:
    return window.intake_page


def test_valid_save_stores_the_case_and_archives_the_receipt(qtbot: QtBot, window: MainWindow,
                                                              printed: PrintRecorder) -> None:
    page = _page(window)
    before = _case_count(window)
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存")

    result = page.result
    assert result is not None and result.is_new_case, shown_errors(page)
    assert page.saved_panel.isVisible()
    assert result.case_no in page.saved_panel.case_no.text()
    assert result.query_code in page.saved_panel.query_code.text()
    assert _case_count(window) == before + 1
    with window.ctx.db.read() as s:
        case = s.scalar(select(Case).where(Case.case_no == result.case_no))
        assert case is not None
        assert case.request == "要求物业公司限期修复3栋电梯"
        assert case.status == CaseStatus.ASSIGNED.value
        assert case.unit_id is not None
    archived = window.ctx.paths.receipts / f"{result.case_no}.pdf"
    assert archived.is_file() and archived.read_bytes().startswith(b"%PDF")
    assert Path(result.receipt_path or "") == archived
    assert printed.calls == []  # 保存 alone prints nothing
    # saved: the form is frozen until 新登记, so the same visit cannot be saved twice
    assert not by_name(page, QPushButton, "保存").isEnabled()
    assert not page.form.name_edit.isEnabled()


def test_save_and_print_opens_the_archived_receipt(qtbot: QtBot, window: MainWindow, printed: PrintRecorder) -> None:
    page = _page(window)
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存并打印回执")
    assert page.result is not None
    assert len(printed.calls) == 1
    path, data = printed.calls[0]
    assert path == window.ctx.paths.receipts / f"{page.result.case_no}.pdf"
    assert data.startswith(b"%PDF")
    click(qtbot, page, "打印回执")  # print again from the success panel
    assert len(printed.calls) == 2


def test_ctrl_s_saves_and_new_form_clears(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    fill_valid(qtbot, page.form)
    qtbot.keyClick(page.form.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert page.result is not None
    click(qtbot, page, "新登记")
    assert page.result is None
    assert page.form.name_edit.text() == "" and page.form.category_id is None
    assert page.form.name_edit.isEnabled()
    assert not page.saved_panel.isVisible()


def test_invalid_id_is_shown_under_the_field_and_nothing_is_saved(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    before = _case_count(window)
    good = valid_id("11010119800101031")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check digit
    fill_valid(qtbot, page.form, id_number=bad)
    click(qtbot, page, "保存")

    assert page.result is None
    assert _case_count(window) == before
    message = page.form.error_text("id_number")
    assert "校验位" in message
    assert page.form.errors["id_number"].isVisible()
    # the message sits directly under its field, in the same cell
    id_edit = by_name(page.form, QLineEdit, "证件号码")
    assert page.form.errors["id_number"].parentWidget() is id_edit.parentWidget()
    assert page.form.errors["id_number"].y() > id_edit.y()
    # nothing typed is lost
    assert id_edit.text() == bad
    assert by_name(page.form, QLineEdit, "姓名").text() == "夏丽云"
    assert by_name(page.form, QPlainTextEdit, "诉求").toPlainText() == "要求物业公司限期修复3栋电梯"
    assert id_edit.hasFocus() or window.focusWidget() is id_edit
    assert page.error_banner.isVisible()
    # correcting the number clears its message and saving works
    id_edit.clear()
    type_into(qtbot, id_edit, good)
    assert page.form.error_text("id_number") == ""
    click(qtbot, page, "保存")
    assert page.result is not None


def test_missing_legal_minimum_reports_every_field(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    click(qtbot, page, "保存")
    assert page.result is None
    for field in ("name", "address", "content_class", "category", "locality", "request", "facts"):
        assert page.form.error_text(field), field
    assert by_name(page.form, QLineEdit, "姓名").hasFocus() or window.focusWidget() is page.form.name_edit


def test_live_validation_of_id_and_phone(qtbot: QtBot, window: MainWindow) -> None:
    form = _page(window).form
    phone = by_name(form, QLineEdit, "联系电话")
    type_into(qtbot, phone, "12345")
    qtbot.keyClick(phone, Qt.Key.Key_Return)
    assert form.error_text("phone")
    id_edit = by_name(form, QLineEdit, "证件号码")
    type_into(qtbot, id_edit, "43050219870315")  # too short
    qtbot.keyClick(id_edit, Qt.Key.Key_Return)
    assert "18位" in form.error_text("id_number")
    phone.clear()
    type_into(qtbot, phone, "0731-55550000")
    qtbot.keyClick(phone, Qt.Key.Key_Return)
    assert form.error_text("phone") == ""


def test_resident_id_fills_gender(qtbot: QtBot, window: MainWindow) -> None:
    form = _page(window).form
    gender = by_name(form, QComboBox, "性别")
    assert gender.currentText() == "未说明"
    type_into(qtbot, by_name(form, QLineEdit, "证件号码"), NEW_ID_2)
    assert gender.currentText() == "女"


def test_no_document_saves_without_id(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    choose(by_name(page.form, QComboBox, "证件类型"), "无证件")
    assert not page.form.id_edit.isEnabled()
    fill_valid(qtbot, page.form, id_number="", name="罗塘生", phone="13700001111")
    click(qtbot, page, "保存")
    assert page.result is not None, page.form.general_error.label.text()
    with window.ctx.db.read() as s:
        # the phone is stored encrypted: found through its blind index, read back in clear through the ORM
        person = s.scalar(select(Petitioner).where(Petitioner.name == "罗塘生",
                                                   Petitioner.phone_bidx == blind_index("13700001111", "phone")))
        assert person is not None and person.id_number is None and person.id_type == "none"
        assert person.phone == "13700001111"


def test_collective_visit_records_representatives(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    form = page.form
    assert not form.representatives_box.isVisible()
    spin = by_name(form, QSpinBox, "来访人数")
    spin.setValue(3)
    assert form.representatives_box.isVisible()
    note = form.findChild(QLabel, "representativesNote")
    assert note is not None and "代表人数不超过5人" in note.text()
    # two further representatives for three people; a fourth row only appears for more people
    assert by_name(form, QLineEdit, "代表3姓名")
    assert not [w for w in form.findChildren(QLineEdit) if w.accessibleName() == "代表4姓名" and w.isVisibleTo(form)]
    fill_valid(qtbot, form, name="唐建国", id_number=valid_id("11010119600202011"))
    type_into(qtbot, by_name(form, QLineEdit, "代表2姓名"), "唐四海")
    type_into(qtbot, by_name(form, QLineEdit, "代表2证件号码"), valid_id("11010119610303021"))
    type_into(qtbot, by_name(form, QLineEdit, "代表2联系电话"), "13600002222")
    type_into(qtbot, by_name(form, QLineEdit, "代表3姓名"), "罗湖生")
    choose(by_name(form, QComboBox, "代表3证件类型"), "无证件")
    click(qtbot, page, "保存")

    result = page.result
    assert result is not None, page.form.error_text("representatives")
    detail = case_detail(window.ctx, result.case_id)
    visit = detail.visits[0]
    assert visit.headcount == 3 and visit.is_collective
    names = [p[0] for p in visit.persons]
    assert names == ["唐建国", "唐四海", "罗湖生"]
    assert all(p[3] for p in visit.persons)  # all representatives


def test_representative_errors_are_shown_in_the_section(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    form = page.form
    by_name(form, QSpinBox, "来访人数").setValue(2)
    fill_valid(qtbot, form)
    type_into(qtbot, by_name(form, QLineEdit, "代表2证件号码"), "123")
    click(qtbot, page, "保存")
    assert page.result is None
    assert "第2位代表" in form.error_text("representatives")
    assert by_name(form, QLineEdit, "代表2证件号码").text() == "123"


def test_repeat_visit_is_joined_to_the_earlier_case(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存")
    first = page.result
    assert first is not None
    click(qtbot, page, "新登记")
    cases_before = _case_count(window)

    type_into(qtbot, by_name(page.form, QLineEdit, "证件号码"), NEW_ID)
    qtbot.waitUntil(lambda: bool(page.history.person_cards), timeout=3000)
    card = page.history.person_cards[0]
    assert card.person.matched_by[0] == "id_number"
    assert [c.case.case_no for c in card.case_cards] == [first.case_no]
    assert "110101********" in card.person.id_masked  # masked, never the full number
    flags = [b.text() for b in card.case_cards[0].findChildren(QLabel) if b.objectName().startswith("flag_")]
    assert HistoryFlag.IN_HANDLING.label in flags

    join = by_name(page.history, QPushButton, "并入此事项")
    qtbot.mouseClick(join, Qt.MouseButton.LeftButton)
    assert page.form.join_case is not None and page.form.join_case.case_no == first.case_no
    assert page.form.join_banner.isVisible() and first.case_no in page.form.join_banner.label.text()
    assert not page.form.routing_box.isEnabled()

    fill_valid(qtbot, page.form, id_number="", request="再次要求尽快修复电梯")
    click(qtbot, page, "保存")
    second = page.result
    assert second is not None, page.form.general_error.label.text()
    assert not second.is_new_case
    assert second.case_no == first.case_no and second.visit_no == 2
    assert _case_count(window) == cases_before  # no duplicate case
    with window.ctx.db.read() as s:
        visits = s.scalars(select(Visit).where(Visit.case_id == first.case_id)).all()
        assert sorted(v.visit_no for v in visits) == [1, 2]
        people = s.scalars(
            select(VisitPerson.petitioner_id).join(Visit, Visit.id == VisitPerson.visit_id)
            .where(Visit.case_id == first.case_id)
        ).all()
        assert len(set(people)) == 1  # the same petitioner, not a duplicate person
    assert (window.ctx.paths.receipts / f"{first.case_no}-V2.pdf").is_file()


def test_repeat_visit_can_be_sent_to_the_duty_leader(qtbot: QtBot, window: MainWindow) -> None:
    from reception.leader.service import leader_queue

    page = _page(window)
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存")
    first = page.result
    assert first is not None
    click(qtbot, page, "新登记")
    type_into(qtbot, by_name(page.form, QLineEdit, "证件号码"), NEW_ID)
    qtbot.waitUntil(lambda: bool(page.history.person_cards), timeout=3000)
    click(qtbot, page.history, "并入此事项")
    check = by_name(page.form, QCheckBox, "转领导接访")
    assert check.isVisible() and not check.isChecked()
    check.setChecked(True)
    fill_valid(qtbot, page.form, id_number="", request="对进度不满，要求面见值班领导")
    click(qtbot, page, "保存")
    second = page.result
    assert second is not None and second.case_no == first.case_no
    queue = leader_queue(window.ctx, window.ctx.now().date())
    assert [q.visit_id for q in queue if q.case_id == first.case_id] == [second.visit_id]
    click(qtbot, page, "新登记")
    assert not page.form.join_leader_row.isVisible()


def test_join_can_be_cancelled(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存")
    click(qtbot, page, "新登记")
    type_into(qtbot, by_name(page.form, QLineEdit, "证件号码"), NEW_ID)
    qtbot.waitUntil(lambda: bool(page.history.person_cards), timeout=3000)
    click(qtbot, page.history, "并入此事项")
    assert page.form.join_case is not None
    click(qtbot, page.form, "取消并入")
    assert page.form.join_case is None
    assert not page.form.join_banner.isVisible()
    assert page.form.routing_box.isEnabled()
    assert by_name(page.history, QPushButton, "并入此事项").isEnabled()


def test_use_person_from_history_links_the_petitioner(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存")
    click(qtbot, page, "新登记")
    type_into(qtbot, by_name(page.form, QLineEdit, "联系电话"), "13912345678")
    qtbot.waitUntil(lambda: bool(page.history.person_cards), timeout=3000)
    assert page.history.person_cards[0].person.matched_by == ("phone",)
    click(qtbot, page.history, "使用此人信息")
    assert page.form.petitioner is not None
    assert page.form.name_edit.text() == "夏丽云"
    assert page.form.address_edit.text().startswith("示范区翠园街道")
    assert page.form.petitioner_banner.isVisible()


def test_name_lookup_needs_two_characters(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    type_into(qtbot, by_name(page.form, QLineEdit, "姓名"), "夏")
    qtbot.wait(400)
    assert page.history.person_cards == []
    assert page.form.history_query() == ("", "", "")


def test_routing_proposal_and_override_reason(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    form = page.form
    fill_valid(qtbot, form, category="城乡建设 / 物业管理", township="火车南站街道")
    unit = by_name(form, QComboBox, "责任单位")
    assert unit.currentText() == "火车南站街道"  # prefilled by the rule (属地管理)
    assert "按规则" in form.route_hint.text()
    assert not form.override_edit.isVisibleTo(form)
    # the officer picks another unit: a reason becomes required
    other = unit.findText("区住房和城乡建设局")
    unit.setCurrentIndex(other)
    unit.activated.emit(other)
    reason = by_name(form, QLineEdit, "改派理由")
    click(qtbot, page, "保存")
    assert page.result is None
    assert "改派理由" in form.error_text("override_reason")
    type_into(qtbot, reason, "涉及小区维修资金，由住建局牵头")
    click(qtbot, page, "保存")
    assert page.result is not None
    with window.ctx.db.read() as s:
        case = s.get(Case, page.result.case_id)
        assert case is not None and case.routing_override_reason == "涉及小区维修资金，由住建局牵头"


def test_legal_channel_panel_steers_the_matter(qtbot: QtBot, window: MainWindow) -> None:
    page = _page(window)
    form = page.form
    fill_valid(qtbot, form, category="依法应通过法定途径解决的事项 / 劳动人事争议",
               request="与用人单位劳动合同纠纷，要求赔偿", facts="公司单方解除劳动合同")
    assert form.legal_panel.isVisible()
    assert "劳动人事争议仲裁委员会" in form.legal_panel.label.text()
    click(qtbot, form, "导入法定途径")
    assert by_name(form, QComboBox, "处理方式").currentText() == "导入法定途径"
    legal = by_name(form, QLineEdit, "法定途径")
    assert "仲裁" in legal.text()
    assert not form.unit_combo.isVisibleTo(form)
    click(qtbot, page, "保存")
    assert page.result is not None
    with window.ctx.db.read() as s:
        case = s.get(Case, page.result.case_id)
        assert case is not None and case.status == CaseStatus.LEGAL_CHANNEL.value
        assert "仲裁" in case.legal_channel


def test_locality_cascade(qtbot: QtBot, window: MainWindow) -> None:
    form = _page(window).form
    township = by_name(form, QComboBox, "问题属地")
    village = by_name(form, QComboBox, "问题属地（村社区）")
    grid = by_name(form, QComboBox, "问题属地（网格）")
    assert not village.isEnabled() and not grid.isEnabled()
    choose(township, "翠园街道")
    assert village.isEnabled() and village.findText("尚书茗苑社区") >= 0
    assert form.locality_id == township.currentData()
    choose(village, "尚书茗苑社区")
    assert grid.isEnabled() and grid.count() >= 3
    choose(grid, "第2网格")
    assert form.locality_id == grid.currentData()
    choose(township, "学院路街道")
    assert grid.count() == 0 and not grid.isEnabled()
    assert form.locality_id == township.currentData()


def test_every_input_is_labelled_for_assistive_technology(window: MainWindow) -> None:
    page = _page(window)
    form = page.form
    form.headcount_spin.setValue(5)  # show the representative rows too
    labels = form.findChildren(QLabel)
    buddies = {id(label.buddy()) for label in labels if label.buddy() is not None}
    inputs: list[QWidget] = []
    for cls in (QLineEdit, QComboBox, QSpinBox, QPlainTextEdit, QCheckBox, QDateEdit):
        inputs += [w for w in form.findChildren(cls) if not _inside_spinbox(w)]
    assert len(inputs) > 30
    for widget in inputs:
        assert widget.accessibleName(), f"{type(widget).__name__} without an accessible name"
        assert id(widget) in buddies, f"{widget.accessibleName()} has no QLabel buddy"
    # the label text equals the accessible name for the form's own fields
    for label in labels:
        buddy = label.buddy()
        if buddy is not None and buddy.accessibleName() not in ("问题属地（村社区）", "问题属地（网格）"):
            assert label.text() == buddy.accessibleName()
    for name in ("姓名", "证件类型", "证件号码", "性别", "联系电话", "住址", "问题属地", "信访形式", "来访人数",
                 "内容分类", "问题类别", "诉求", "事实和理由", "责任单位", "处理方式"):
        assert by_name(form, QWidget, name)
    for b in window.findChildren(QPushButton):
        assert b.accessibleName() == b.text(), b.text()
    assert by_name(page, QPushButton, "保存")
    assert by_name(page, QPushButton, "保存并打印回执")


def _inside_spinbox(widget: QWidget) -> bool:
    """QSpinBox and QDateEdit have an internal QLineEdit; it is the spin box that carries the name."""
    return isinstance(widget, QLineEdit) and isinstance(widget.parentWidget(), QAbstractSpinBox)


def test_save_and_history_through_real_background_threads(qtbot: QtBot, data_dir: Path, printed: PrintRecorder,
                                                           clock: Clock) -> None:
    """The same flow as the desk runs it: look-ups and the save on worker threads, results on the GUI thread."""
    from ui.app import create_main_window

    win = create_main_window(data_dir, printer=printed, now=clock)  # the default, threaded TaskManager
    win.confirm_on_close = False
    qtbot.addWidget(win)
    win.show()
    page = win.intake_page
    fill_valid(qtbot, page.form)
    qtbot.waitUntil(lambda: page.form.proposal is not None, timeout=5000)  # the routing proposal arrives
    assert by_name(page.form, QComboBox, "责任单位").currentText() == "翠园街道"
    click(qtbot, page, "保存并打印回执")
    qtbot.waitUntil(lambda: page.result is not None, timeout=10000)
    assert page.result is not None and page.result.is_new_case
    case_no = page.result.case_no
    assert len(printed.calls) == 1
    click(qtbot, page, "新登记")
    type_into(qtbot, by_name(page.form, QLineEdit, "证件号码"), NEW_ID)
    qtbot.waitUntil(lambda: bool(page.history.person_cards), timeout=5000)
    assert page.history.person_cards[0].case_cards[0].case.case_no == case_no
    win.close()
    assert win.tasks.pending == 0


def test_request_counter_and_a_too_long_request_shown_under_its_field(qtbot: QtBot, window: MainWindow) -> None:
    from reception.domain.textcheck import REQUEST_MAX

    page = _page(window)
    before = _case_count(window)
    fill_valid(qtbot, page.form)
    request = by_name(page.form, QPlainTextEdit, "诉求")
    counter = page.form.findChild(QLabel, "requestCounter")
    assert counter is not None and counter.isVisible()
    assert counter.text() == f"{len('要求物业公司限期修复3栋电梯')}/{REQUEST_MAX} 字"
    long_text = "要求" * (REQUEST_MAX // 2) + "尽快"
    request.setPlainText(long_text)
    assert counter.text() == f"{REQUEST_MAX + 2}/{REQUEST_MAX} 字"
    click(qtbot, page, "保存")
    assert page.result is None and _case_count(window) == before
    assert f"最多{REQUEST_MAX}个字" in page.form.error_text("request")
    assert page.form.errors["request"].isVisible()
    assert request.toPlainText() == long_text  # nothing typed is lost
    request.setPlainText(long_text[:REQUEST_MAX])
    click(qtbot, page, "保存")
    assert page.result is not None, shown_errors(page)
