"""The lifecycle steps added to the case detail: 开始办理, 异议退回 and 转送交办, 复查 / 复核 with a hearing, 督办反馈,
and resending failed notices from the 短信通知 tab. Driven through the real dialogs; checked against the database."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import Case, Notification, Supervision
from reception.domain.enums import CaseStatus
from reception.lifecycle import machine as m
from reception.lifecycle.notify import RecordingGateway, outbox_counts
from reception.lifecycle.service import apply
from tests.ui.helpers import by_name, choose, click, sign_in
from tests.ui.test_case_tracking import _cases_page, _clock_texts, _new_case
from ui.cases.actions import ActionDialog
from ui.cases.detail import CaseDetailDialog
from ui.cases.page import TAB_OUTBOX
from ui.main_window import MainWindow


def _step(qtbot: QtBot, dialog: CaseDetailDialog, name: str) -> ActionDialog:
    click(qtbot, dialog, name)
    action = dialog.action_dialog
    assert action is not None and action.isVisible() and action.action.text == name
    return action


def _buttons(dialog: CaseDetailDialog) -> list[str]:
    return [b.text() for b in dialog.action_buttons]


def test_start_handling(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    sign_in(window, "supervisor")  # records the units' steps at the centre (the desk officer may not)
    for t in (m.SignFor(), m.Accept()):
        apply(window.ctx, case.id, t, actor_id=None)
    dialog = _cases_page(window).open_case(case)
    assert "开始办理" in _buttons(dialog)
    action = _step(qtbot, dialog, "开始办理")
    type_note = by_name(action, QLineEdit, "说明")
    type_note.setText("已调取物业维修记录")
    click(qtbot, action, "确定")
    assert not action.isVisible()
    assert dialog.status_label.text() == CaseStatus.IN_HANDLING.label
    assert "开始办理" not in _buttons(dialog)


def test_objection_needs_a_reason_and_the_case_is_routed_again(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    sign_in(window, "supervisor")  # records the units' steps at the centre (the desk officer may not)
    dialog = _cases_page(window).open_case(case)
    action = _step(qtbot, dialog, "异议退回")
    click(qtbot, action, "确定")
    assert action.isVisible()
    assert action.cells["reason"].error.text() == "请填写不属于本单位职权范围的理由"
    by_name(action, QPlainTextEdit, "退回理由").setPlainText("电梯维修属物业服务合同纠纷，应由住建部门处理")
    click(qtbot, action, "确定")
    assert not action.isVisible()
    assert dialog.status_label.text() == CaseStatus.REGISTERED.label
    assert _buttons(dialog)[0] == "转送交办"
    assert any(t.startswith("允许15日") for t in _clock_texts(dialog))

    route = _step(qtbot, dialog, "转送交办")
    click(qtbot, route, "确定")  # no unit chosen yet
    assert route.cells["unit_id"].error.text() == "请选择责任单位"
    choose(by_name(route, QComboBox, "责任单位"), "区住房和城乡建设局")
    click(qtbot, route, "确定")
    assert not route.isVisible()
    assert dialog.status_label.text() == CaseStatus.ASSIGNED.label
    with window.ctx.db.read() as s:
        row = s.get(Case, case.id)
        assert row is not None and row.status == "assigned" and row.routing_action == "assign"


def test_review_recheck_with_a_hearing(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    sign_in(window, "supervisor")  # records the units' steps at the centre (the desk officer may not)
    today = window.ctx.now().date()
    for t in (m.SignFor(), m.Accept(),
              m.Reply(m.ReplyOutcome.REJECT, "《物业管理条例》", today, m.DeliveryMeans.IN_PERSON)):
        apply(window.ctx, case.id, t, actor_id=None)
    dialog = _cases_page(window).open_case(case)
    # offered while the petitioner's window runs: 复查 after the reply (复核 only after a 复查意见)
    assert "请求复查" in _buttons(dialog) and "请求复核" not in _buttons(dialog)

    review = _step(qtbot, dialog, "请求复查")
    assert by_name(review, QDateEdit, "收到请求日期").date().toPython() == today
    click(qtbot, review, "确定")
    assert review.cells["body"].error.text() == "请填写复查机关"
    by_name(review, QLineEdit, "复查机关").setText("区人民政府")
    click(qtbot, review, "确定")
    assert dialog.status_label.text() == CaseStatus.IN_REVIEW.label, review.message.label.text()
    assert "出具复查意见" in _buttons(dialog) and "出具处理意见" not in _buttons(dialog), _buttons(dialog)

    decide = _step(qtbot, dialog, "出具复查意见")
    by_name(decide, QPlainTextEdit, "处理依据").setPlainText("维持原处理意见")
    click(qtbot, decide, "确定")
    assert dialog.status_label.text() == CaseStatus.REPLIED.label
    assert "请求复查" not in _buttons(dialog)
    recheck = _step(qtbot, dialog, "请求复核")
    by_name(recheck, QLineEdit, "复核机关").setText("市人民政府")
    click(qtbot, recheck, "确定")
    assert dialog.status_label.text() == CaseStatus.IN_RECHECK.label

    hearing = _step(qtbot, dialog, "听证开始")
    by_name(hearing, QDateEdit, "听证开始日期").setDate(by_name(hearing, QDateEdit, "听证开始日期").date().addDays(1))
    click(qtbot, hearing, "确定")  # tomorrow: refused under the date
    assert "听证开始日期应在收到复核请求之后" in hearing.cells["started_on"].error.text()
    by_name(hearing, QDateEdit, "听证开始日期").setDate(by_name(hearing, QDateEdit, "听证开始日期").date().addDays(-1))
    click(qtbot, hearing, "确定")
    assert not hearing.isVisible()
    assert "听证开始" not in _buttons(dialog) and "听证结束" in _buttons(dialog)
    assert any(t.endswith("听证期间暂停计时") for t in _clock_texts(dialog)), _clock_texts(dialog)
    assert "出具复核意见" not in _buttons(dialog)  # not while the hearing runs
    end = _step(qtbot, dialog, "听证结束")
    click(qtbot, end, "确定")
    assert not end.isVisible()
    assert "听证开始" in _buttons(dialog) and "听证结束" not in _buttons(dialog)
    texts = _clock_texts(dialog)
    assert any(t.startswith("允许30日") and "暂停" not in t for t in texts), texts
    remarks = [dialog.clocks.item(r, 4).text() for r in range(dialog.clocks.rowCount())]
    assert "听证1日不计入" in remarks
    decide = _step(qtbot, dialog, "出具复核意见")
    by_name(decide, QPlainTextEdit, "处理依据").setPlainText("维持")
    click(qtbot, decide, "确定")
    assert dialog.status_label.text() == CaseStatus.FINAL.label


def test_supervision_feedback_returns_the_case_with_a_new_round(qtbot: QtBot, window: MainWindow) -> None:
    case = _new_case(qtbot, window)
    sign_in(window, "supervisor")  # records the units' steps at the centre (the desk officer may not)
    for t in (m.SignFor(), m.Accept(), m.Supervise("请加快办理并反馈")):
        apply(window.ctx, case.id, t, actor_id=None)
    dialog = _cases_page(window).open_case(case)
    assert "督办反馈" in _buttons(dialog)
    answer = _step(qtbot, dialog, "督办反馈")
    combo = by_name(answer, QComboBox, "督办事项")
    assert combo.count() == 1 and combo.currentIndex() == 0 and "前反馈" in combo.currentText()
    choose(by_name(answer, QComboBox, "反馈结论"), "未解决，退回责任单位重新办理")
    click(qtbot, answer, "确定")
    assert answer.cells["note"].error.text() == "请填写反馈情况"
    by_name(answer, QPlainTextEdit, "反馈情况").setPlainText("反馈材料不充分，请重新核查")
    click(qtbot, answer, "确定")
    assert not answer.isVisible()
    with window.ctx.db.read() as s:
        sup = s.scalar(select(Supervision).where(Supervision.case_id == case.id))
        assert sup is not None and (sup.state, sup.round) == ("open", 2)
    answer = _step(qtbot, dialog, "督办反馈")
    choose(by_name(answer, QComboBox, "反馈结论"), "已办结")
    by_name(answer, QPlainTextEdit, "反馈情况").setPlainText("已重新核查并答复")
    click(qtbot, answer, "确定")
    assert "督办反馈" not in _buttons(dialog)
    with window.ctx.db.read() as s:
        sup = s.scalar(select(Supervision).where(Supervision.case_id == case.id))
        assert sup is not None and sup.state == "resolved"


def test_failed_notices_are_resent(qtbot: QtBot, window: MainWindow) -> None:
    page = _cases_page(window)
    tab = page.outbox_tab
    page.gateway = RecordingGateway(fail_phones={"13912345678"})
    case = _new_case(qtbot, window)  # phone 13912345678
    apply(window.ctx, case.id, m.Accept(), actor_id=None)
    page.show_tab(TAB_OUTBOX)
    assert by_name(tab, QPushButton, "重发失败通知").isEnabled() == bool(outbox_counts(window.ctx).get("failed"))
    click(qtbot, tab, "发送待发通知")
    failed = outbox_counts(window.ctx).get("failed", 0)
    assert failed >= 1
    resend = by_name(tab, QPushButton, "重发失败通知")
    assert resend.isEnabled()
    working = RecordingGateway()
    page.gateway = working
    click(qtbot, tab, "重发失败通知")
    assert len(working.sent) >= 1  # every failed notice with a phone went out; those without one fail again
    assert outbox_counts(window.ctx).get("failed", 0) == failed - len(working.sent)
    with window.ctx.db.read() as s:
        notice = s.scalar(select(Notification).where(Notification.case_id == case.id))
        assert notice is not None and notice.status == "sent" and notice.attempts == 2
    assert "本次重发成功" in tab.status.text()
