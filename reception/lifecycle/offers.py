"""Which lifecycle steps a case offers, to whom: the one table the desk's case detail, the server's unit workbench
and the public query page render their buttons from.

A step is offered (shown) in the statuses it belongs to, or while a clock of its own runs (督办反馈 while a
supervision does; 转送交办 after a dissatisfied on-the-spot reply, whose routing clock runs again); a running 复核
hearing shows 听证结束 and hides 听证开始 and 出具复核意见. An offered step is *enabled* when the role has its
permission (``TRANSITION_PERMISSION``) and the state machine would take it now: the step is tried with neutral
inputs (``machine.plan`` with today's dates), so a late objection or a second extension comes back disabled with
the machine's own Chinese reason. Whatever the user then types is checked again when the step is applied.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from reception.domain.enums import CaseStatus
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle import machine as m
from reception.lifecycle.machine import CaseState, LifecycleError, Settings
from reception.security.permissions import LABELS as PERMISSION_LABELS
from reception.security.permissions import Permission

HEARING = "hearing"
"""The mark among the running clocks while a 复核 hearing pauses the re-check clock."""


class Step(StrEnum):
    ROUTE = "route"
    SIGN_FOR = "sign_for"
    OBJECT = "object"
    ACCEPT = "accept"
    REJECT = "reject"
    START_HANDLING = "start_handling"
    EXTEND = "extend"
    REPLY = "reply"
    REVIEW_REPLY = "review_reply"
    RECHECK_REPLY = "recheck_reply"
    EVALUATE = "evaluate"
    CLOSE = "close"
    REQUEST_REVIEW = "request_review"
    REQUEST_RECHECK = "request_recheck"
    START_HEARING = "start_hearing"
    END_HEARING = "end_hearing"
    SUPERVISE = "supervise"
    ANSWER_SUPERVISION = "answer_supervision"


TRANSITION_PERMISSION: dict[type, Permission] = {
    m.Route: Permission.ROUTE,
    m.SendToLeader: Permission.ROUTE,
    m.SteerToLegalChannel: Permission.ROUTE,
    m.RecordAccusedUnit: Permission.ROUTE,
    m.SignFor: Permission.HANDLE,
    m.Object: Permission.HANDLE,
    m.Accept: Permission.HANDLE,
    m.Reject: Permission.HANDLE,
    m.StartHandling: Permission.HANDLE,
    m.Extend: Permission.HANDLE,
    m.Reply: Permission.HANDLE,
    m.ReplyOnTheSpot: Permission.LEADER_REPLY,
    m.StartHearing: Permission.HANDLE,
    m.EndHearing: Permission.HANDLE,
    m.Evaluate: Permission.EVALUATE,
    m.RequestReview: Permission.EVALUATE,
    m.RequestRecheck: Permission.EVALUATE,
    m.Close: Permission.CLOSE,
    m.Supervise: Permission.SUPERVISE,
    m.AnswerSupervision: Permission.ANSWER_SUPERVISION,
    m.UndoImport: Permission.ADMIN,
}
"""Who may ask for each transition (``reception.security.permissions``); unit staff only on their unit's cases."""


_HANDLING = frozenset({CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING, CaseStatus.EXTENDED})
_ROUTED = frozenset({CaseStatus.ASSIGNED, CaseStatus.FORWARDED})


@dataclass(frozen=True)
class StepRule:
    """When a step is offered, and the transition it makes."""

    step: Step
    label: str
    """The button's text (Simplified Chinese)."""
    transition: type
    statuses: frozenset[CaseStatus]
    when_clock: str = ""
    """Also offered, whatever the status, while this clock runs on the case."""
    requires: str = ""
    excludes: str = ""
    """Offered only with / without this mark among the running clocks (``HEARING``)."""

    @property
    def permission(self) -> Permission:
        return TRANSITION_PERMISSION[self.transition]

    def shown(self, status: CaseStatus | None, running: Collection[str]) -> bool:
        return ((status in self.statuses or bool(self.when_clock and self.when_clock in running))
                and (not self.requires or self.requires in running)
                and (not self.excludes or self.excludes not in running))


STEPS: tuple[StepRule, ...] = (
    StepRule(Step.ROUTE, "转送交办", m.Route, frozenset({CaseStatus.REGISTERED}), when_clock="register_route"),
    StepRule(Step.SIGN_FOR, "签收", m.SignFor, _ROUTED),
    StepRule(Step.OBJECT, "异议退回", m.Object, _ROUTED | {CaseStatus.SIGNED}),
    StepRule(Step.ACCEPT, "受理", m.Accept, _ROUTED | {CaseStatus.SIGNED}),
    StepRule(Step.REJECT, "不予受理", m.Reject, _ROUTED | {CaseStatus.SIGNED}),
    StepRule(Step.START_HANDLING, "开始办理", m.StartHandling, frozenset({CaseStatus.ACCEPTED})),
    StepRule(Step.EXTEND, "延期", m.Extend, frozenset({CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING})),
    StepRule(Step.REPLY, "出具处理意见", m.Reply, _HANDLING),
    StepRule(Step.REVIEW_REPLY, "出具复查意见", m.Reply, frozenset({CaseStatus.IN_REVIEW})),
    StepRule(Step.RECHECK_REPLY, "出具复核意见", m.Reply, frozenset({CaseStatus.IN_RECHECK}), excludes=HEARING),
    StepRule(Step.EVALUATE, "评价", m.Evaluate, frozenset({CaseStatus.REPLIED})),
    StepRule(Step.CLOSE, "销号", m.Close, frozenset({CaseStatus.REPLIED, CaseStatus.NOT_ACCEPTED})),
    StepRule(Step.REQUEST_REVIEW, "请求复查", m.RequestReview, frozenset(), when_clock="review_request"),
    StepRule(Step.REQUEST_RECHECK, "请求复核", m.RequestRecheck, frozenset(), when_clock="recheck_request"),
    StepRule(Step.START_HEARING, "听证开始", m.StartHearing, frozenset({CaseStatus.IN_RECHECK}), excludes=HEARING),
    StepRule(Step.END_HEARING, "听证结束", m.EndHearing, frozenset({CaseStatus.IN_RECHECK}), requires=HEARING),
    StepRule(Step.SUPERVISE, "督办", m.Supervise,
             _HANDLING | _ROUTED | {CaseStatus.SIGNED, CaseStatus.REPLIED, CaseStatus.IN_REVIEW,
                                    CaseStatus.IN_RECHECK}),
    StepRule(Step.ANSWER_SUPERVISION, "督办反馈", m.AnswerSupervision, frozenset(), when_clock="supervision"),
)
RULES: dict[Step, StepRule] = {r.step: r for r in STEPS}
BY_LABEL: dict[str, StepRule] = {r.label: r for r in STEPS}
STEP_PERMISSIONS: dict[str, Permission] = {r.label: r.permission for r in STEPS}
"""Each step's button text and the permission it needs (the desk's role checks render from it)."""


def rules_shown(status: str | CaseStatus, running: Collection[str] = frozenset()) -> list[StepRule]:
    """The steps a case in ``status`` with the clocks ``running`` (their keys, and ``HEARING``) offers, in order."""
    try:
        st = status if isinstance(status, CaseStatus) else CaseStatus.parse(status)
    except ValueError:
        return []
    return [r for r in STEPS if r.shown(st, running)]


def running_marks(state: CaseState, cal: WorkCalendar, settings: Settings) -> frozenset[str]:
    """The keys of the clocks running in ``state``, with ``HEARING`` while a 复核 hearing is in progress."""
    keys = {c.key for c in m.clocks(state, cal, settings)}
    if state.hearing_since is not None:
        keys.add(HEARING)
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class Offer:
    """A step a case offers: its button text, the permission it needs, and whether it can be taken now."""

    step: Step
    label: str
    permission: Permission
    enabled: bool
    reason: str = ""
    """Why not ("" when enabled): the role's missing permission, or the state machine's reason."""


def probe(rule: StepRule, state: CaseState, today: date) -> m.Transition:
    """The step with neutral inputs (today's dates, placeholder texts): what ``offered`` asks the machine."""
    t = rule.transition
    if t is m.Route:
        return m.Route("")
    if t is m.SignFor:
        return m.SignFor(today)
    if t is m.Object:
        return m.Object("-")
    if t is m.Accept:
        return m.Accept()
    if t is m.Reject:
        return m.Reject("-", "-")
    if t is m.StartHandling:
        return m.StartHandling()
    if t is m.Extend:
        return m.Extend(1, "-", "-", True)
    if t is m.Reply:
        return m.Reply(m.ReplyOutcome.SUPPORT, "-", today, m.DeliveryMeans.IN_PERSON)
    if t is m.Evaluate:
        return m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.DESK)
    if t is m.Close:
        return m.Close()
    if t is m.RequestReview:
        return m.RequestReview(today, "-")
    if t is m.RequestRecheck:
        return m.RequestRecheck(today, "-")
    if t is m.StartHearing:
        return m.StartHearing(today)
    if t is m.EndHearing:
        return m.EndHearing(today)
    if t is m.Supervise:
        return m.Supervise("-")
    if t is m.AnswerSupervision:
        return m.AnswerSupervision(next(iter(state.supervisions), ""), True, "-")
    raise TypeError(f"no probe for {t!r}")


def offered(state: CaseState, *, today: date, cal: WorkCalendar, settings: Settings,
            permissions: Collection[Permission] | None = None, actor_id: str | None = None,
            running: Collection[str] | None = None) -> list[Offer]:
    """The steps ``state`` offers, each enabled or not with the reason. ``permissions``: the role's (None: the
    system, which may do everything); ``actor_id``: who would act (the machine's rule that a handler may not record
    the evaluation); ``running``: the running clocks' keys when the caller has them (default: from ``state``)."""
    marks = running_marks(state, cal, settings) if running is None else running
    out: list[Offer] = []
    for rule in rules_shown(state.status, marks):
        if permissions is not None and rule.permission not in permissions:
            out.append(Offer(rule.step, rule.label, rule.permission, False,
                             f"您的角色无权{PERMISSION_LABELS[rule.permission]}"))
            continue
        try:
            m.plan(state, probe(rule, state, today), today, cal, settings, actor_id=actor_id)
        except LifecycleError as exc:
            out.append(Offer(rule.step, rule.label, rule.permission, False, exc.message))
            continue
        out.append(Offer(rule.step, rule.label, rule.permission, True))
    return out
