"""办理: the lifecycle steps a case detail offers (转送交办, 签收, 异议退回, 受理, 不予受理, 开始办理, 延期,
出具处理意见, 评价, 销号, 请求复查, 请求复核, 听证开始, 听证结束, 督办, 督办反馈).

Each step is a small dialog of labelled inputs (the label text is the input's accessible name) that builds one
``machine`` transition and applies it in the background. A ``LifecycleError`` is shown in Chinese under the input it
is about (by its key), or at the top of the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.enums import LabelledEnum
from reception.lifecycle import machine as m
from reception.lifecycle.offers import HEARING as OFFER_HEARING
from reception.lifecycle.offers import rules_shown
from reception.lifecycle.service import TransitionResult, apply
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, FieldCell, confirm_row, field_label

Values = dict[str, object]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str
    """"line", "text", "date", "days", "check", "choice", or "pick" (choices known only for the case at hand:
    the units, the case's open supervisions; given to the dialog as ``options``)."""
    keys: tuple[str, ...] = ()
    """The ``LifecycleError`` keys shown under this input."""
    choices: type[LabelledEnum] | None = None
    default: object = None


@dataclass(frozen=True)
class Action:
    """A step's dialog: its inputs and the transition they build. When it is offered, and with which permission,
    the core says (``reception.lifecycle.offers``, by the step's ``text``)."""

    text: str
    fields: tuple[Field, ...]
    build: Callable[[Values], m.Transition]
    intro: str = ""


NOTE = Field("note", "说明", "line")


def _s(v: Values, name: str) -> str:
    return str(v.get(name, "") or "")


class RouteMode(LabelledEnum):
    ASSIGN = ("assign", "交办（限期办理并报告结果）")
    FORWARD = ("forward", "转送")


class SupervisionAnswer(LabelledEnum):
    RESOLVED = ("resolved", "已办结")
    RETURNED = ("returned", "未解决，退回责任单位重新办理")


HEARING = OFFER_HEARING
"""The mark the detail adds to the running clocks while a 复核 hearing pauses the re-check clock."""

REPLY_FIELDS = (Field("outcome", "处理结论", "choice", choices=m.ReplyOutcome),
                Field("basis", "处理依据", "text", ("reply_basis", "reply_in_hearing")),
                Field("delivered_on", "送达日期", "date", ("reply_future", "reply_early")),
                Field("means", "送达方式", "choice", choices=m.DeliveryMeans), NOTE)


def _d(v: Values, name: str) -> date:
    value = v[name]
    assert isinstance(value, date)
    return value


def _reply(v: Values) -> m.Transition:
    return m.Reply(m.ReplyOutcome.parse(_s(v, "outcome")), _s(v, "basis"), _d(v, "delivered_on"),
                   m.DeliveryMeans.parse(_s(v, "means")), _s(v, "note"))


ACTIONS: tuple[Action, ...] = (
    Action("转送交办",
           (Field("unit_id", "责任单位", "pick", ("route_accused", "route_state")),
            Field("mode", "方式", "choice", choices=RouteMode), NOTE),
           lambda v: m.Route(_s(v, "unit_id"), _s(v, "mode") == RouteMode.ASSIGN.value, _s(v, "note")),
           "转送、交办到有权处理的责任单位；交办的须限期报告办理结果。"),
    Action("签收",
           (Field("received_on", "收到日期", "date", ("sign_future", "sign_before_route")), NOTE),
           lambda v: m.SignFor(_d(v, "received_on"), _s(v, "note")),
           "责任单位签收转送、交办的信访事项。告知（15日）和异议（5个工作日）期限自收到之日起计算。"),
    Action("异议退回",
           (Field("reason", "退回理由", "text", ("object_reason", "object_late")), NOTE),
           lambda v: m.Object(_s(v, "reason"), _s(v, "note")),
           "不属于本单位职权范围的，应自收到之日起5个工作日内提出异议并说明理由，退回重新转送、交办。"),
    Action("受理",
           (Field("simple", "简易办理（10个工作日内办结）", "check"), NOTE),
           lambda v: m.Accept(bool(v.get("simple")), _s(v, "note")),
           "受理后自受理之日起60日内办结（简易办理10个工作日）。"),
    Action("不予受理",
           (Field("reason", "不予受理理由", "text", ("reject_reason",)),
            Field("channel", "应当通过的途径", "line", ("reject_channel",)), NOTE),
           lambda v: m.Reject(_s(v, "reason"), _s(v, "channel"), _s(v, "note")),
           "不予受理须说明理由，并告知信访人应当通过的法定途径。"),
    Action("开始办理", (NOTE,),
           lambda v: m.StartHandling(_s(v, "note")),
           "记录责任单位开始调查办理。"),
    Action("延期",
           (Field("days", "延长天数", "days", ("extend_days", "extend_late"), default=30),
            Field("approved_by", "批准人", "line", ("extend_approver",)),
            Field("reason", "延期理由", "text", ("extend_reason",)),
            Field("told", "已告知信访人延期理由", "check", ("extend_not_told",)), NOTE),
           lambda v: m.Extend(int(str(v.get("days") or 0)), _s(v, "approved_by"), _s(v, "reason"),
                              bool(v.get("told")), _s(v, "note")),
           "延期不得超过30日，须经负责人批准并告知信访人。"),
    Action("出具处理意见", REPLY_FIELDS, _reply, "处理意见书送达信访人的日期和方式。"),
    Action("出具复查意见", REPLY_FIELDS, _reply,
           "复查意见送达信访人的日期和方式；信访人不服的，可自收到之日起30日内请求复核。"),
    Action("出具复核意见", REPLY_FIELDS, _reply,
           "复核意见送达后，信访人仍以同一事实和理由提出的，不再受理。"),
    Action("评价",
           (Field("rating", "满意度", "choice", ("evaluate_by_handler",), choices=m.Rating),
            Field("channel", "评价方式", "choice", choices=m.EvaluationChannel), NOTE),
           lambda v: m.Evaluate(m.Rating.parse(_s(v, "rating")), m.EvaluationChannel.parse(_s(v, "channel")),
                                _s(v, "note")),
           "记录信访人的满意度评价（承办人不得代为评价）。"),
    Action("销号", (NOTE,),
           lambda v: m.Close(_s(v, "note")),
           "处理意见书已送达并取得评价（或评价期届满）后销号。"),
    Action("请求复查",
           (Field("requested_on", "收到请求日期", "date", ("review_date", "review_late")),
            Field("body", "复查机关", "line", ("review_body",)), NOTE),
           lambda v: m.RequestReview(_d(v, "requested_on"), _s(v, "body"), _s(v, "note")),
           "信访人对处理意见不服的，可自收到处理意见书之日起30日内请求复查；复查机关自收到之日起30日内提出复查意见。"),
    Action("请求复核",
           (Field("requested_on", "收到请求日期", "date", ("recheck_date", "recheck_late")),
            Field("body", "复核机关", "line", ("recheck_body",)), NOTE),
           lambda v: m.RequestRecheck(_d(v, "requested_on"), _s(v, "body"), _s(v, "note")),
           "信访人对复查意见不服的，可自收到之日起30日内请求复核；复核机关自收到之日起30日内提出复核意见。"),
    Action("听证开始",
           (Field("started_on", "听证开始日期", "date", ("hearing_date", "hearing_late", "hearing_twice")), NOTE),
           lambda v: m.StartHearing(_d(v, "started_on"), _s(v, "note")),
           "复核机关举行听证的，听证所需时间不计算在复核期限内：自听证开始之日暂停计时。"),
    Action("听证结束",
           (Field("ended_on", "听证结束日期", "date", ("hearing_end_date", "hearing_none")), NOTE),
           lambda v: m.EndHearing(_d(v, "ended_on"), _s(v, "note")),
           "听证结束后恢复计时，听证期间（含开始和结束当日）不计入复核期限。"),
    Action("督办",
           (Field("note", "督办意见", "text", ("supervise_note",)),),
           lambda v: m.Supervise(_s(v, "note"), m.SupervisionReason.MANUAL),
           "督办后责任单位应在30日内反馈办理情况。"),
    Action("督办反馈",
           (Field("supervision_id", "督办事项", "pick", ("supervision_closed",)),
            Field("answer", "反馈结论", "choice", choices=SupervisionAnswer),
            Field("note", "反馈情况", "text", ("supervision_note",))),
           lambda v: m.AnswerSupervision(_s(v, "supervision_id"), _s(v, "answer") == SupervisionAnswer.RESOLVED.value,
                                         _s(v, "note")),
           "责任单位反馈督办事项的办理情况；未解决的退回责任单位重新办理，重新计算30日反馈期限。"),
)


def actions_for(status: str, running: frozenset[str] | set[str] = frozenset()) -> list[Action]:
    """The steps that make sense for a case in ``status`` with the clocks ``running`` (their keys), in the core's
    order and by its rules (``reception.lifecycle.offers``)."""
    by_text = {a.text: a for a in ACTIONS}
    return [by_text[r.label] for r in rules_shown(status, running) if r.label in by_text]


class ActionDialog(QDialog):
    """One lifecycle step: its inputs, 确定 / 取消, errors under the inputs."""

    applied = Signal(object)
    """The ``TransitionResult`` of the step once it is stored."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, case_id: str, case_no: str, action: Action,
                 actor_id: str | None, parent: QWidget | None = None, *,
                 options: dict[str, list[tuple[str, str]]] | None = None) -> None:
        super().__init__(parent)
        self.options = options or {}
        self.ctx = ctx
        self.tasks = tasks
        self.case_id = case_id
        self.action = action
        self.actor_id = actor_id
        self.result_: TransitionResult | None = None
        self.setWindowTitle(f"{action.text} — {case_no}")
        self.setObjectName("lifecycleActionDialog")
        self.setMinimumWidth(480)

        layout = QVBoxLayout(self)
        self.message = Banner("error", self)
        if action.intro:
            self.message.show_message(action.intro, "info")
        layout.addWidget(self.message)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.inputs: dict[str, QWidget] = {}
        self.cells: dict[str, FieldCell] = {}
        today = ctx.now().date()
        for f in action.fields:
            widget = self._input(f, today, self.options.get(f.name, []))
            cell = FieldCell(widget)
            self.inputs[f.name] = widget
            self.cells[f.name] = cell
            if f.kind == "check":
                widget.setAccessibleName(f.label)
                form.addRow("", cell)
            else:
                form.addRow(field_label(f.label, widget), cell)
        # a long step (结案: several dates, texts and choices) scrolls; 确定 / 取消 stay on screen
        fields = QWidget()
        fields.setLayout(form)
        form.setContentsMargins(0, 0, 6, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(fields)
        from ui.geometry import available_area

        room = available_area(parent).height() - 200  # the title bar, the banner and the buttons
        self.scroll_area.setMinimumHeight(min(fields.sizeHint().height(), max(room, 160)))
        self.scroll_area.setMinimumWidth(fields.sizeHint().width() + 12)
        layout.addWidget(self.scroll_area, 1)
        self.ok_button, self.cancel_button = confirm_row(layout, "确定", self.submit, self.reject)

    @staticmethod
    def _input(f: Field, today: date, options: list[tuple[str, str]]) -> QWidget:
        if f.kind == "text":
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setFixedHeight(72)
            return text
        if f.kind == "date":
            edit = QDateEdit(QDate(today.year, today.month, today.day))
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            return edit
        if f.kind == "days":
            spin = QSpinBox()
            spin.setRange(1, m.MAX_EXTENSION_DAYS)
            spin.setSuffix(" 日")
            spin.setValue(int(str(f.default or 1)))
            return spin
        if f.kind == "check":
            return QCheckBox(f.label)
        if f.kind == "choice":
            combo = QComboBox()
            assert f.choices is not None
            for member in f.choices:
                combo.addItem(member.label, member.value)
            return combo
        if f.kind == "pick":
            combo = QComboBox()
            combo.setMaxVisibleItems(20)
            for label, value in options:
                combo.addItem(label, value)
            combo.setCurrentIndex(0 if len(options) == 1 else -1)
            combo.setPlaceholderText("请选择")
            return combo
        return QLineEdit()

    def values(self) -> Values:
        out: Values = {}
        for name, w in self.inputs.items():
            if isinstance(w, QPlainTextEdit):
                out[name] = w.toPlainText()
            elif isinstance(w, QDateEdit):
                out[name] = w.date().toPython()
            elif isinstance(w, QSpinBox):
                out[name] = w.value()
            elif isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                out[name] = w.currentData()
            elif isinstance(w, QLineEdit):
                out[name] = w.text()
        return out

    def clear_errors(self) -> None:
        for cell in self.cells.values():
            cell.error.clear_message()
        if self.action.intro:
            self.message.show_message(self.action.intro, "info")
        else:
            self.message.hide()

    def show_error(self, exc: BaseException) -> None:
        text = error_message(exc)
        key = getattr(exc, "key", "")
        for f in self.action.fields:
            if key and key in f.keys:
                self.cells[f.name].error.show_message(text)
                self.inputs[f.name].setFocus()
                self.message.hide()
                return
        self.message.show_message(text, "error")

    def submit(self) -> None:
        self.clear_errors()
        missing = [f for f in self.action.fields if f.kind == "pick" and not self.values().get(f.name)]
        if missing:
            f = missing[0]
            self.cells[f.name].error.show_message(f"请选择{f.label}")
            self.inputs[f.name].setFocus()
            return
        try:
            transition = self.action.build(self.values())
        except (ValueError, KeyError, AssertionError):
            self.message.show_message("请完整填写各项内容。", "error")
            return
        ctx, case_id, actor = self.ctx, self.case_id, self.actor_id
        self.ok_button.setEnabled(False)

        def done(result: TransitionResult) -> None:
            self.ok_button.setEnabled(True)
            self.result_ = result
            self.applied.emit(result)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.ok_button.setEnabled(True)
            self.show_error(exc)

        self.tasks.run(lambda: apply(ctx, case_id, transition, actor_id=actor), done, failed, write=True,
                       owner=self, what=f"lifecycle {type(transition).__name__}")
