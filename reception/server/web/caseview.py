"""A case in plain words for the petitioner (the public query page): status, steps with dates, running clocks as
"允许N日，已过M日", what they may do next and by when, the masked name. Pure: the records come in, text goes out.

Never shown: ID number, phone, address, request or facts, officers' names, the accused unit of an accusation,
the units' internal notes. An accusation case (检举控告类) shows only its status and the dates of its steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reception.domain.deadlines import ClockAssessment, ClockKind, ClockUnit
from reception.domain.enums import CaseStatus
from reception.domain.masking import mask_name
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle import machine
from reception.lifecycle.machine import EvaluationChannel, Rating, ReplyOutcome, Settings
from reception.server.casework import machine_event
from reception.server.web.casedata import PublicCase


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class Step:
    on: date
    text: str

    @property
    def when(self) -> str:
        return cn_date(self.on)


@dataclass(frozen=True)
class ClockLine:
    label: str
    text: str
    """允许N日，已过M日."""
    due: str
    """截止日期 and how it stands (剩余 / 超期 / 已届满)."""
    colour: str


@dataclass
class CaseView:
    case_no: str
    name: str
    """The petitioner's name masked (夏某云)."""
    status: str
    status_note: str
    restricted: bool
    steps: list[Step] = field(default_factory=list)
    clocks: list[ClockLine] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    can_evaluate: bool = False
    evaluation_due: str = ""
    evaluation_note: str = ""
    """Why no evaluation form is shown (already rated, window over, not yet replied), "" when the form is."""
    opened_as: str = ""
    """The number of the receipt this page was opened by when that case was merged into this one ("" if not)."""

    @property
    def merge_note(self) -> str:
        return f"您查询的事项（{self.opened_as}）已与 {self.case_no} 合并办理，以下为合并后的办理进度。" \
            if self.opened_as else ""

    @property
    def opened_by(self) -> str:
        """The case number the receipt's query code belongs to (the evaluation form posts it back)."""
        return self.opened_as or self.case_no


STATUS_NOTES: dict[CaseStatus, str] = {
    CaseStatus.REGISTERED: "您的信访事项已登记，中心正在确定办理单位。",
    CaseStatus.FORWARDED: "您的信访事项已转送有关单位，等待该单位签收。",
    CaseStatus.ASSIGNED: "您的信访事项已交办责任单位，等待该单位签收。",
    CaseStatus.SIGNED: "责任单位已签收，将告知您是否受理。",
    CaseStatus.ACCEPTED: "责任单位已受理，正在办理。",
    CaseStatus.IN_HANDLING: "责任单位正在办理。",
    CaseStatus.EXTENDED: "经批准延期办理，责任单位正在办理。",
    CaseStatus.NOT_ACCEPTED: "有关单位决定不予受理。",
    CaseStatus.REPLIED: "处理意见书已送达。",
    CaseStatus.CLOSED: "本事项已办结销号。",
    CaseStatus.IN_REVIEW: "复查机关正在复查。",
    CaseStatus.IN_RECHECK: "复核机关正在复核。",
    CaseStatus.FINAL: "复核意见已作出，本事项办理终结。",
    CaseStatus.LEGAL_CHANNEL: "本事项应通过法定途径解决。",
    CaseStatus.VOID: "该事项已撤销（历史台账导入有误），不作为信访事项办理。",
}

GENERIC_STEPS: dict[str, str] = {
    "received": "登记", "visit_added": "再次来访登记", "assigned": "交办办理", "forwarded": "转送办理",
    "legal_channel": "导入法定途径", "to_leader": "转接访领导", "visit_to_leader": "转接访领导",
    "signed": "签收", "objected": "退回重新转送、交办", "accepted": "受理", "not_accepted": "不予受理",
    "handling_started": "开始办理", "extended": "延期办理", "replied": "处理意见书送达",
    "replied_on_spot": "当面答复", "review_requested": "收到复查请求", "review_decided": "复查意见送达",
    "recheck_requested": "收到复核请求", "recheck_decided": "复核意见送达", "hearing_started": "复核听证开始",
    "hearing_ended": "复核听证结束", "evaluated": "满意度评价", "closed": "办结销号",
    "merged": "与另一登记事项合并办理", "unmerged": "撤销合并办理",
}
"""What an accusation case shows of each step: its name and date, nothing else."""

CLOCK_LABELS: dict[str, str] = {
    "register_route": "中心登记并转送、交办",
    "sign_for": "责任单位签收",
    "routed_notice": "责任单位告知您是否受理",
    "handling": "责任单位办结并书面答复",
    "simple_track": "简易办理办结",
    "review_decision": "作出复查意见",
    "recheck_decision": "作出复核意见",
    "review_request": "您可请求复查的期限",
    "recheck_request": "您可请求复核的期限",
    "evaluation": "满意度评价期",
    "supervision": "督办反馈",
}
"""The clocks the petitioner sees, in plain words (the unit's objection window is the unit's own business)."""


def _d(value: Any, fallback: date) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return fallback


def _step(kind: str, on: date, data: dict[str, Any], note: str, unit: str) -> Step | None:
    """A step in full (not accusation) mode, or None for events the petitioner is not shown."""
    d = data
    outcome = ReplyOutcome.label_of(str(d.get("outcome", ""))) if d.get("outcome") else ""
    where = unit or "有关单位"
    if kind == "received":
        return Step(_d(d.get("received_on"), on), f"{note}登记" if note else "登记")
    if kind == "visit_added":
        return Step(on, "再次来访，已登记")
    if kind in ("merged", "unmerged"):  # (the other case's number and the reason are the centre's business)
        return Step(on, GENERIC_STEPS[kind])
    if kind in ("to_leader", "visit_to_leader"):
        return Step(on, "转值班领导接待")
    if kind == "assigned":
        return Step(on, f"交办{where}办理")
    if kind == "forwarded":
        return Step(on, f"转送{where}办理")
    if kind == "legal_channel":
        return Step(on, f"属于法定途径处理的事项，请通过{note}依法提出" if note else "导入法定途径")
    if kind == "signed":
        return Step(_d(d.get("received_on"), on), f"{where}签收")
    if kind == "objected":
        return Step(on, f"{where}认为不属于其职权范围，退回中心重新转送、交办")
    if kind == "accepted":
        limit = "10个工作日" if d.get("simple") else "60日"
        return Step(on, f"{where}受理，将自受理之日起{limit}内办结并书面答复")
    if kind == "not_accepted":
        reason, channel = str(d.get("reason", "")), str(d.get("channel", ""))
        text = f"{where}决定不予受理"
        if reason:
            text += f"。理由：{reason}"
        if channel:
            text += f"。请通过{channel}依法提出"
        return Step(on, text)
    if kind == "handling_started":
        return Step(on, f"{where}开始办理")
    if kind == "extended":
        due = _d(d.get("due"), on)
        text = f"经批准延期{d.get('days', '')}日，办理期限延至{cn_date(due)}"
        if d.get("reason"):
            text += f"。延期理由：{d['reason']}"
        return Step(on, text)
    if kind == "replied":
        return Step(_d(d.get("delivered_on"), on), f"处理意见书送达（{outcome}）")
    if kind == "replied_on_spot":
        return Step(_d(d.get("delivered_on"), on), f"接访领导当面答复（{outcome}）")
    if kind == "review_requested":
        return Step(_d(d.get("requested_on"), on), "收到您的复查请求")
    if kind == "review_decided":
        return Step(_d(d.get("delivered_on"), on), f"复查意见送达（{outcome}）")
    if kind == "recheck_requested":
        return Step(_d(d.get("requested_on"), on), "收到您的复核请求")
    if kind == "recheck_decided":
        return Step(_d(d.get("delivered_on"), on), f"复核意见送达（{outcome}）")
    if kind == "hearing_started":
        return Step(_d(d.get("started_on"), on), "复核听证开始（听证期间不计入复核期限）")
    if kind == "hearing_ended":
        return Step(_d(d.get("ended_on"), on), "复核听证结束")
    if kind == "evaluated":
        rating = Rating.label_of(str(d.get("rating", ""))) if d.get("rating") else ""
        channel = EvaluationChannel.label_of(str(d.get("channel", ""))) if d.get("channel") else ""
        return Step(on, f"满意度评价：{rating}" + (f"（{channel}）" if channel else ""))
    if kind == "supervised":
        why = "因您对处理意见不满意，" if d.get("reason") == "dissatisfied" else ""
        return Step(on, f"{why}中心督办，要求责任单位重新核查办理")
    if kind == "supervision_returned":
        return Step(on, "督办未办结，退回责任单位继续办理")
    if kind == "supervision_resolved":
        return Step(on, "督办事项已反馈办结")
    if kind == "closed":
        return Step(on, "办结销号")
    return None  # (accused_unit, the units' own progress notes, anything new: not for the public page)


def _clock_line(key: str, a: ClockAssessment) -> ClockLine:
    u = "个工作日" if a.unit is ClockUnit.WORKING else "日"
    text = f"允许{a.allowed}{u}，已过{a.elapsed}{u}"
    if a.paused:
        state = "听证期间暂停计时"
    elif a.left >= 0:
        state = f"剩余{a.left}{u}"
    elif a.kind is ClockKind.WINDOW:
        state = "已届满"
    else:
        state = f"已超期{-a.left}{u}"
    return ClockLine(CLOCK_LABELS.get(key, a.label), text, f"截止{cn_date(a.due)}，{state}", a.colour.value)


def build(case: PublicCase, *, name: str, units: dict[str, str], today: date, cal: WorkCalendar,
          settings: Settings) -> CaseView:
    """The page's content for ``case`` on ``today``."""
    state = case.state
    status = state.status
    view = CaseView(case_no=str(case.data.get("case_no", "")), name=mask_name(name), status=status.label,
                    status_note=STATUS_NOTES.get(status, ""), restricted=state.restricted, opened_as=case.opened_as)
    for e in case.events:
        ev = machine_event(e)
        if view.restricted:
            label = GENERIC_STEPS.get(ev.kind)
            if label:
                view.steps.append(Step(ev.on, label))
            continue
        step = _step(ev.kind, ev.on, dict(ev.data), str(e.get("note") or "") if ev.kind in ("received",
                     "legal_channel") else "", units.get(ev.unit_id or "", ""))
        if step is not None:
            view.steps.append(step)
    if view.restricted:
        view.status_note = ""
        view.evaluation_note = "检举控告类事项请到区信访接待中心窗口或拨打12345了解办理情况、作出评价。"
        return view
    running = [(c, machine.assess_clock(c, today, cal, settings)) for c in machine.clocks(state, cal, settings)]
    view.clocks = [_clock_line(c.key, a) for c, a in running if c.key in CLOCK_LABELS
                   and not (c.kind is ClockKind.WINDOW and a.left < 0 and c.key != "evaluation")]
    by_key = {c.key: a for c, a in running}
    view.next_steps = _next_steps(case, by_key, today)
    _evaluation(view, case, by_key, today, cal, settings)
    return view


def _next_steps(case: PublicCase, clocks: dict[str, ClockAssessment], today: date) -> list[str]:
    s, out = case.state, []
    status = s.status

    def due(key: str) -> str:
        return cn_date(clocks[key].due) if key in clocks else ""

    if status is CaseStatus.REGISTERED and "register_route" in clocks:
        out.append(f"中心将在{due('register_route')}前将您的事项转送、交办有关单位。")
    elif status in (CaseStatus.ASSIGNED, CaseStatus.FORWARDED):
        out.append("有关单位签收后，将在15日内告知您是否受理。")
    elif status is CaseStatus.SIGNED and "routed_notice" in clocks:
        out.append(f"有关单位将在{due('routed_notice')}前告知您是否受理。")
    elif status in (CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING, CaseStatus.EXTENDED):
        key = "simple_track" if "simple_track" in clocks else "handling"
        if key in clocks:
            out.append(f"责任单位应在{due(key)}前办结并向您出具书面处理意见书。")
    elif status is CaseStatus.NOT_ACCEPTED:
        out.append("您可按不予受理告知书载明的途径依法提出。")
    elif status is CaseStatus.LEGAL_CHANNEL:
        channel = str(case.data.get("legal_channel") or "")
        out.append(f"请通过{channel}依法提出。" if channel else "请通过法定途径依法提出。")
    elif status is CaseStatus.IN_REVIEW and "review_decision" in clocks:
        out.append(f"复查机关应在{due('review_decision')}前作出复查意见。")
    elif status is CaseStatus.IN_RECHECK and "recheck_decision" in clocks:
        out.append(f"复核机关应在{due('recheck_decision')}前作出复核意见（听证期间不计入）。")
    elif status is CaseStatus.FINAL:
        out.append("复核意见为最终意见。以同一事实和理由再次提出的，不再受理。")
    if "review_request" in clocks:
        a = clocks["review_request"]
        if a.left >= 0:
            out.append(f"如对处理意见不服，您可在{cn_date(a.due)}前（收到处理意见书之日起30日内）"
                       "向原办理机关的上一级机关请求复查。")
    if "recheck_request" in clocks:
        a = clocks["recheck_request"]
        if a.left >= 0:
            out.append(f"如对复查意见不服，您可在{cn_date(a.due)}前（收到复查意见之日起30日内）"
                       "向复查机关的上一级机关请求复核。")
    if s.supervisions:
        out.append("中心已督办，责任单位须重新核查办理并反馈。")
    return out


def _evaluation(view: CaseView, case: PublicCase, clocks: dict[str, ClockAssessment], today: date,
                cal: WorkCalendar, settings: Settings) -> None:
    s = case.state
    if s.status is CaseStatus.REPLIED and s.reply_delivered_on is not None:
        window_end = machine.evaluation_due(s, cal, settings)
        view.evaluation_due = cn_date(window_end)
        if s.evaluated:
            view.evaluation_note = f"您已对本次答复作出评价：{Rating.label_of(s.evaluated)}。每次答复只能评价一次。"
        elif today > window_end:
            view.evaluation_note = f"评价期已于{cn_date(window_end)}届满，不能再在网上评价。"
        else:
            view.can_evaluate = True
    elif s.status in (CaseStatus.CLOSED, CaseStatus.FINAL):
        view.evaluation_note = "本事项已办结，不能再评价。"
    elif s.status is not CaseStatus.LEGAL_CHANNEL:
        view.evaluation_note = "处理意见书送达后，您可在评价期内在此评价办理情况。"
