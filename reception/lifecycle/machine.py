"""The case lifecycle as an explicit state machine over the append-only case events (docs/domain.md §2 steps 5–10).

Pure: no database. ``fold(events)`` replays a case's events into a ``CaseState``; ``plan(state, transition, today)``
checks a transition against that state and returns the event to append and the new status, or raises
``LifecycleError`` with a Chinese message; ``clocks(state, ...)`` lists the clocks running in that state.

States (``CaseStatus``) and the transitions between them::

    registered ──reply_on_the_spot (duty leader: 现场解决 / 解释说明, delivered in person)──▶ replied
    registered ──route──▶ assigned / forwarded ──sign──▶ signed ──accept──▶ accepted ──start──▶ in_handling
        ▲                      │  │                        │ │                 │  └──extend──▶ extended
        └─────────object───────┘  └─────accept / reject────┘ └──reject──▶ not_accepted
    accepted / in_handling / extended ──reply──▶ replied ──evaluate──▶ replied ──close──▶ closed
    replied / closed ──request_review──▶ in_review ──review_decided──▶ replied (复查意见) ──request_recheck──▶
    in_recheck ──recheck_decided──▶ final   (a hearing 听证 pauses the re-check clock: start_hearing / end_hearing)
    replied on the spot, rated dissatisfied ──route──▶ assigned / forwarded (the matter reaches a unit after all)
    dissatisfied evaluation / overdue ──supervise──▶ (supervision open) ──answer(not resolved)──▶ in_handling
    any state of an imported case ──undo_import (its whole import undone after sync)──▶ void (terminal, no clock)

Counting starts from each clock's own event (received, routed, signed for, accepted, reply delivered, review or
recheck requested, supervised); see ``reception.domain.deadlines``. The Art. 23 clocks of a routed case (notice 15
days, objection 5 working days) run from the unit's receipt as recorded when it signs for the case (签收); until
then only the local sign-for clock runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from reception.domain.deadlines import (
    ClockAssessment,
    ClockKind,
    RollPolicy,
    Thresholds,
    add_calendar_days,
    add_working_days,
    assess,
    due_date,
    get_clock,
)
from reception.domain.enums import CaseStatus, ContentClass, LabelledEnum
from reception.domain.errors import ReceptionError
from reception.domain.workcalendar import WorkCalendar

MAX_EXTENSION_DAYS = 30


class LifecycleError(ReceptionError):
    """A transition that the law or the case's current state does not allow."""

    key = "lifecycle"


class ReplyOutcome(LabelledEnum):
    """处理意见书的结论."""

    SUPPORT = ("support", "支持")
    EXPLAIN = ("explain", "解释说明")
    REJECT = ("reject", "不予支持")


class Rating(LabelledEnum):
    """满意度评价."""

    SATISFIED = ("satisfied", "满意")
    BASICALLY = ("basically", "基本满意")
    DISSATISFIED = ("dissatisfied", "不满意")


class EvaluationChannel(LabelledEnum):
    SMS = ("sms", "短信")
    PHONE = ("phone", "电话回访")
    DESK = ("desk", "窗口")
    ONLINE = ("online", "网上")


class DeliveryMeans(LabelledEnum):
    """处理意见书送达方式."""

    IN_PERSON = ("in_person", "当面送达")
    POST = ("post", "邮寄送达")
    ONLINE = ("online", "网上送达")
    SMS = ("sms", "短信告知")
    OTHER = ("other", "其他方式")


class SupervisionReason(LabelledEnum):
    DISSATISFIED = ("dissatisfied", "群众不满意")
    OVERDUE = ("overdue", "超期未办结")
    MANUAL = ("manual", "督查交办")


class EventKind(StrEnum):
    """The kinds of case events (``case_event.kind``). The lifecycle's steps are planned here (``plan``) and replayed
    by ``fold``; the record kinds (``RECORD_KINDS``) note what happened without changing the case's state."""

    # registration and routing
    RECEIVED = "received"
    ASSIGNED = "assigned"
    FORWARDED = "forwarded"
    LEGAL_CHANNEL = "legal_channel"
    TO_LEADER = "to_leader"
    ACCUSED_UNIT = "accused_unit"
    # the unit
    SIGNED = "signed"
    OBJECTED = "objected"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    HANDLING_STARTED = "handling_started"
    EXTENDED = "extended"
    # replies and the petitioner's answer
    REPLIED = "replied"
    REPLIED_ON_SPOT = "replied_on_spot"
    EVALUATED = "evaluated"
    CLOSED = "closed"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_DECIDED = "review_decided"
    RECHECK_REQUESTED = "recheck_requested"
    RECHECK_DECIDED = "recheck_decided"
    HEARING_STARTED = "hearing_started"
    HEARING_ENDED = "hearing_ended"
    # supervision
    SUPERVISED = "supervised"
    SUPERVISION_RESOLVED = "supervision_resolved"
    SUPERVISION_RETURNED = "supervision_returned"
    # kinds of earlier versions, still replayed
    IN_HANDLING = "in_handling"
    FINAL = "final"
    # records: what happened, without a change of state
    VISIT_ADDED = "visit_added"
    VISIT_TO_LEADER = "visit_to_leader"
    LEADER_REPLY = "leader_reply"
    CORRECTED = "corrected"
    DOWN_VISIT = "down_visit"
    BACKLOG_LISTED = "backlog_listed"
    BACKLOG_RESOLVED = "backlog_resolved"
    OWNERSHIP_ENDED = "ownership_ended"
    UNIT_PROGRESS = "unit_progress"
    UNIT_FEEDBACK = "unit_feedback"
    # merging (``reception.merge``): on the surviving case; its receipt date becomes the earliest of the merged
    MERGED = "merged"
    UNMERGED = "unmerged"
    # the ledger import (``reception.ledger``): an administrator undid the whole import after it had synced
    IMPORT_UNDONE = "import_undone"


RECORD_KINDS: frozenset[EventKind] = frozenset({
    EventKind.VISIT_ADDED, EventKind.VISIT_TO_LEADER, EventKind.LEADER_REPLY, EventKind.CORRECTED,
    EventKind.DOWN_VISIT, EventKind.BACKLOG_LISTED, EventKind.BACKLOG_RESOLVED, EventKind.OWNERSHIP_ENDED,
    EventKind.UNIT_PROGRESS, EventKind.UNIT_FEEDBACK})
"""Events that ``fold`` passes over: they note what happened (a further visit, a leader's reception record, a
correction, a unit's progress report) without changing the case's state."""
STEP_KINDS: frozenset[EventKind] = frozenset(EventKind) - RECORD_KINDS
"""Events that change the case's state (``fold`` acts on them): only the lifecycle writes them."""
MERGE_KINDS: frozenset[EventKind] = frozenset({EventKind.MERGED, EventKind.UNMERGED})
"""A merge of another case into this one, or its undoing (``reception.merge``): the status is unchanged, the receipt
date (``received_on`` of the data: the earliest of the cases merged) governs the clocks that count from receipt.
Written by ``lifecycle.service.record_merge`` for a ``case_merge`` record, which the server checks it against."""
INTAKE_KINDS: frozenset[EventKind] = frozenset({EventKind.RECEIVED})
"""Written once, when the case is registered (by the desk that registers it)."""
LEGACY_KINDS: frozenset[EventKind] = frozenset({EventKind.IN_HANDLING, EventKind.FINAL})
"""Replayed from the data of earlier versions; never written now."""


# --- transitions: what the user asks for ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """转送 / 交办 to a unit (also after an objection, or after the duty leader received the case)."""

    unit_id: str
    assign: bool = True
    """True: 交办 (with a deadline and a result report); False: 转送."""
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    """What the event keeps besides (the desk's routing at registration: ``{"overridden": "1"}`` when the unit is
    not the one the routing rules proposed)."""


@dataclass(frozen=True)
class SendToLeader:
    """转值班领导接访: the matter goes to the duty leader (``unit_id``: the unit asked to attend, if any)."""

    unit_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class SteerToLegalChannel:
    """诉访分离: the matter belongs to a legal channel (``channel``, told to the petitioner); it leaves the petition
    procedure and its clocks. ``data``: what the event keeps besides (who steered it: ``{"by": "leader"}``)."""

    channel: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordAccusedUnit:
    """检举控告类: the accused unit; the case may never be routed to it nor shown to it."""

    unit_id: str
    note: str = ""


@dataclass(frozen=True)
class SignFor:
    """The unit signs for a routed case (签收); ``received_on`` is the day it received it (default: today)."""

    received_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class Object:
    """异议退回: the unit says the case is outside its competence, within 5 working days of receiving it."""

    reason: str
    note: str = ""


@dataclass(frozen=True)
class Accept:
    """受理. ``simple``: 简易办理 (10 working days)."""

    simple: bool = False
    note: str = ""


@dataclass(frozen=True)
class Reject:
    """不予受理, with the reason and the right channel the petitioner is told about."""

    reason: str
    channel: str
    note: str = ""


@dataclass(frozen=True)
class StartHandling:
    note: str = ""


@dataclass(frozen=True)
class Extend:
    """延期: at most 30 days, approved by the unit head, within the 60 days, the petitioner told why."""

    days: int
    approved_by: str
    reason: str
    petitioner_told: bool
    note: str = ""


@dataclass(frozen=True)
class Reply:
    """处理意见书 (or, in review, 复查意见; in re-check, 复核意见), delivered on a date by some means."""

    outcome: ReplyOutcome
    basis: str
    delivered_on: date
    means: DeliveryMeans
    note: str = ""


@dataclass(frozen=True)
class ReplyOnTheSpot:
    """The duty leader's reply given on the spot (现场答复) that settles the matter at the desk: 现场解决 (the request
    is met: ``ReplyOutcome.SUPPORT``) or 解释说明 (``ReplyOutcome.EXPLAIN``). It is the case's reply, delivered in
    person on the day, with the leader's reception record as its written record (``reception_id``); evaluation and
    closing follow as after any reply. It is not a 处理意见书, so 复查 does not follow from it: a dissatisfied
    petitioner's matter is routed to a unit instead."""

    outcome: ReplyOutcome
    reply: str
    reception_id: str
    leader: str = ""
    note: str = ""


@dataclass(frozen=True)
class StartHearing:
    """复核听证 begins: the re-check clock stops counting (hearing time is not counted, Art. 36)."""

    started_on: date
    note: str = ""


@dataclass(frozen=True)
class EndHearing:
    """复核听证 ends: the re-check clock counts again; the hearing's days (start to end inclusive) are added."""

    ended_on: date
    note: str = ""


@dataclass(frozen=True)
class Evaluate:
    """满意度评价, as given by the petitioner and recorded by someone other than the handler."""

    rating: Rating
    channel: EvaluationChannel
    note: str = ""


@dataclass(frozen=True)
class Close:
    """销号."""

    note: str = ""


@dataclass(frozen=True)
class RequestReview:
    """复查请求, received on ``requested_on`` by the reviewing body."""

    requested_on: date
    body: str
    note: str = ""


@dataclass(frozen=True)
class RequestRecheck:
    """复核请求."""

    requested_on: date
    body: str
    note: str = ""


@dataclass(frozen=True)
class Supervise:
    """督办: an overdue or otherwise troubling case, with a supervision note. ``supervision_id`` is set by the
    service (the row it creates)."""

    note: str
    reason: SupervisionReason = SupervisionReason.MANUAL
    supervision_id: str = ""


@dataclass(frozen=True)
class AnswerSupervision:
    """The unit's feedback to a supervision: resolved, or not (it then goes back to the handling unit)."""

    supervision_id: str
    resolved: bool
    note: str


@dataclass(frozen=True)
class UndoImport:
    """撤销导入: the case came from an old ledger whose whole import an administrator undid after it had synced
    (``ledger.undo_import``). The case becomes 已撤销 (``CaseStatus.VOID``): terminal, no clock, no open
    supervision, left out of every list and figure. ``import_id``: the ``ledger_import`` it came from."""

    import_id: str
    reason: str
    note: str = ""


Transition = (Route | SendToLeader | SteerToLegalChannel | RecordAccusedUnit | SignFor | Object | Accept | Reject
              | StartHandling | Extend | Reply | ReplyOnTheSpot | Evaluate | Close | RequestReview | RequestRecheck
              | StartHearing | EndHearing | Supervise | AnswerSupervision | UndoImport)


# --- the state folded from events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A stored case event, as the machine sees it."""

    kind: str
    on: date
    actor_id: str | None = None
    unit_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class OpenSupervision:
    id: str
    unit_id: str | None
    since: date
    reason: str
    round: int = 1


@dataclass
class CaseState:
    status: CaseStatus = CaseStatus.REGISTERED
    content_class: str = ""
    received_on: date | None = None
    unit_id: str | None = None
    routed_on: date | None = None
    unit_received_on: date | None = None
    signed: bool = False
    accepted_on: date | None = None
    simple: bool = False
    extension_days: int = 0
    reply_level: str = ""
    """"first" (处理意见书), "review" (复查意见) or "recheck" (复核意见) — the last reply delivered."""
    reply_delivered_on: date | None = None
    on_the_spot: bool = False
    """The last reply was the duty leader's, given on the spot (no unit, no 处理意见书)."""
    evaluated: str = ""
    """The rating given since the last reply ("" when none yet)."""
    evaluated_on: date | None = None
    review_requested_on: date | None = None
    recheck_requested_on: date | None = None
    reviewing_body: str = ""
    hearing_since: date | None = None
    """A 复核 hearing in progress since this day (the re-check clock is paused)."""
    hearing_days: int = 0
    """Days of finished hearings, not counted in the re-check clock."""
    accused_units: set[str] = field(default_factory=set)
    handlers: set[str] = field(default_factory=set)
    """Users who handled the case (signed, accepted, extended, replied): they may not record its evaluation."""
    supervisions: dict[str, OpenSupervision] = field(default_factory=dict)

    @property
    def restricted(self) -> bool:
        return self.content_class == ContentClass.ACCUSATION.value

    @property
    def on_the_spot_rejected(self) -> bool:
        """The petitioner was not satisfied with the leader's on-the-spot reply: the matter must go to a unit."""
        return (self.status is CaseStatus.REPLIED and self.on_the_spot
                and self.evaluated == "dissatisfied")


HANDLER_KINDS: frozenset[EventKind] = frozenset({
    EventKind.SIGNED, EventKind.ACCEPTED, EventKind.NOT_ACCEPTED, EventKind.HANDLING_STARTED, EventKind.EXTENDED,
    EventKind.REPLIED, EventKind.REPLIED_ON_SPOT, EventKind.REVIEW_DECIDED})


def fold(events: Iterable[Event], *, content_class: str = "") -> CaseState:
    """Replay a case's events (in order) into its state."""
    s = CaseState(content_class=content_class)
    for e in events:
        fold_one(s, e)
    return s


_REPLY_LEVELS = {EventKind.REPLIED: "first", EventKind.REPLIED_ON_SPOT: "first", EventKind.REVIEW_DECIDED: "review",
                 EventKind.RECHECK_DECIDED: "recheck"}


def fold_one(s: CaseState, e: Event) -> None:
    """Apply one event to ``s`` in place."""
    k, d = e.kind, e.data
    if e.actor_id and k in HANDLER_KINDS:
        s.handlers.add(e.actor_id)
    if k == EventKind.RECEIVED:
        s.received_on = date.fromisoformat(d["received_on"]) if d.get("received_on") else e.on
    elif k in (EventKind.MERGED, EventKind.UNMERGED):
        if d.get("received_on"):
            s.received_on = date.fromisoformat(d["received_on"])
    elif k in (EventKind.ASSIGNED, EventKind.FORWARDED):
        s.status = CaseStatus.ASSIGNED if k == EventKind.ASSIGNED else CaseStatus.FORWARDED
        # the unit's own receipt is recorded when it signs for the case; until then only the sign-for clock runs
        s.unit_id, s.routed_on, s.unit_received_on, s.signed = e.unit_id, e.on, None, False
        if s.on_the_spot:  # a dissatisfied on-the-spot reply: the matter now goes to a unit
            s.reply_level, s.reply_delivered_on, s.on_the_spot, s.evaluated, s.evaluated_on = "", None, False, "", None
    elif k == EventKind.LEGAL_CHANNEL:
        s.status = CaseStatus.LEGAL_CHANNEL
    elif k == EventKind.TO_LEADER:
        s.status = CaseStatus.REGISTERED
    elif k == EventKind.ACCUSED_UNIT:
        if e.unit_id:
            s.accused_units.add(e.unit_id)
    elif k == EventKind.SIGNED:
        s.status, s.signed = CaseStatus.SIGNED, True
        s.unit_received_on = date.fromisoformat(d["received_on"]) if d.get("received_on") else e.on
    elif k == EventKind.OBJECTED:
        s.status = CaseStatus.REGISTERED
        s.unit_id = s.routed_on = s.unit_received_on = None
        s.signed = False
    elif k == EventKind.ACCEPTED:
        s.status, s.accepted_on, s.simple = CaseStatus.ACCEPTED, e.on, bool(d.get("simple"))
    elif k == EventKind.NOT_ACCEPTED:
        s.status = CaseStatus.NOT_ACCEPTED
    elif k in (EventKind.HANDLING_STARTED, EventKind.IN_HANDLING):
        s.status = CaseStatus.IN_HANDLING
    elif k == EventKind.EXTENDED:
        s.status, s.extension_days = CaseStatus.EXTENDED, int(d.get("days", 0))
    elif k in (EventKind.REPLIED, EventKind.REPLIED_ON_SPOT, EventKind.REVIEW_DECIDED, EventKind.RECHECK_DECIDED):
        s.reply_level = _REPLY_LEVELS[EventKind(k)]
        s.reply_delivered_on = date.fromisoformat(d["delivered_on"]) if d.get("delivered_on") else e.on
        s.on_the_spot = k == EventKind.REPLIED_ON_SPOT
        s.evaluated, s.evaluated_on = "", None
        s.hearing_since = None
        s.status = CaseStatus.FINAL if k == EventKind.RECHECK_DECIDED else CaseStatus.REPLIED
    elif k == EventKind.EVALUATED:
        s.evaluated, s.evaluated_on = str(d.get("rating", "")), e.on
    elif k == EventKind.CLOSED:
        s.status = CaseStatus.CLOSED
    elif k == EventKind.REVIEW_REQUESTED:
        s.status = CaseStatus.IN_REVIEW
        s.review_requested_on = date.fromisoformat(d["requested_on"]) if d.get("requested_on") else e.on
        s.reviewing_body = str(d.get("body", ""))
    elif k == EventKind.RECHECK_REQUESTED:
        s.status = CaseStatus.IN_RECHECK
        s.recheck_requested_on = date.fromisoformat(d["requested_on"]) if d.get("requested_on") else e.on
        s.reviewing_body = str(d.get("body", ""))
        s.hearing_since, s.hearing_days = None, 0
    elif k == EventKind.HEARING_STARTED:
        s.hearing_since = date.fromisoformat(d["started_on"]) if d.get("started_on") else e.on
    elif k == EventKind.HEARING_ENDED:
        if s.hearing_since is not None:
            ended = date.fromisoformat(d["ended_on"]) if d.get("ended_on") else e.on
            s.hearing_days += hearing_length(s.hearing_since, ended)
        s.hearing_since = None
    elif k == EventKind.IMPORT_UNDONE:
        s.status = CaseStatus.VOID
        s.supervisions.clear()
        s.hearing_since = None
    elif k == EventKind.FINAL:  # demo data of earlier versions
        s.status = CaseStatus.FINAL
    elif k == EventKind.SUPERVISED:
        sid = str(d.get("supervision_id", ""))
        s.supervisions[sid] = OpenSupervision(sid, e.unit_id, e.on, str(d.get("reason", "")))
    elif k == EventKind.SUPERVISION_RESOLVED:
        s.supervisions.pop(str(d.get("supervision_id", "")), None)
    elif k == EventKind.SUPERVISION_RETURNED:
        sup = s.supervisions.get(str(d.get("supervision_id", "")))
        if sup is not None:
            sup.since, sup.round = e.on, sup.round + 1
        if s.status is CaseStatus.REPLIED:
            s.status = CaseStatus.IN_HANDLING
            s.reply_delivered_on = None
            s.evaluated = ""


def hearing_length(started: date, ended: date) -> int:
    """Days a hearing takes out of the re-check clock: its first to its last day, both included."""
    return (ended - started).days + 1


# --- the rules -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The lifecycle's local rules (stored as the ``lifecycle`` setting)."""

    roll: RollPolicy = RollPolicy.NON_WORKING_DAYS
    thresholds: Thresholds = Thresholds()
    evaluation_days: int = 30
    supervision_days: int = 30
    sign_days: int = 3
    """Working days a unit has to sign for a routed case (a local rule; the Art. 23 clocks start at signing)."""
    on_spot_restart: bool = False
    """A 不满意 rating of a leader's on-the-spot reply restarts the 15-day Art. 22 clock (route to a unit) from the
    rating day: a local rule. Default False: the clock counts from receipt, as 《信访工作条例》第二十二条 says (the
    条例 provides for no restart; README, "Clocks")."""


@dataclass(frozen=True)
class Planned:
    """What a legal transition does: the event to append and the case's new status."""

    kind: str
    status: CaseStatus
    note: str
    unit_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    notify: str = ""
    """The notice template to put in the outbox ("" for none)."""


ROUTABLE = {CaseStatus.REGISTERED}
ROUTED = {CaseStatus.ASSIGNED, CaseStatus.FORWARDED}
RECEIVED_BY_UNIT = ROUTED | {CaseStatus.SIGNED}
HANDLING = {CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING, CaseStatus.EXTENDED}


def _fail(message: str, key: str) -> LifecycleError:
    return LifecycleError(message, key=key)


def _need(ok: bool, message: str, key: str) -> None:
    if not ok:
        raise _fail(message, key)


def _text(value: str, what: str, key: str) -> str:
    value = value.strip()
    _need(bool(value), f"请填写{what}", key)
    return value


def handling_due(s: CaseState, cal: WorkCalendar, st: Settings) -> date:
    """The handling clock's due date: 60 days (or 10 working days) from acceptance, plus the extension."""
    assert s.accepted_on is not None
    if s.simple:
        return due_date("simple_track", s.accepted_on, cal, st.roll)
    if s.extension_days:
        # the extension counts from the original (unrolled) last day
        original = due_date("handling", s.accepted_on, cal, RollPolicy.NONE)
        return add_calendar_days(original, s.extension_days, cal, st.roll)
    return due_date("handling", s.accepted_on, cal, st.roll)


def recheck_due(s: CaseState, cal: WorkCalendar, st: Settings, *, on: date | None = None) -> date:
    """The re-check decision's due date: 30 days from the request, plus the days of hearings (not counted).
    While a hearing runs, the days up to ``on`` (default: its first day) are added provisionally."""
    assert s.recheck_requested_on is not None
    paused = s.hearing_days
    if s.hearing_since is not None:
        paused += hearing_length(s.hearing_since, max(on or s.hearing_since, s.hearing_since))
    return add_calendar_days(s.recheck_requested_on, get_clock("recheck_decision").amount + paused, cal, st.roll)


def evaluation_due(s: CaseState, cal: WorkCalendar, st: Settings) -> date:
    assert s.reply_delivered_on is not None
    return add_calendar_days(s.reply_delivered_on, st.evaluation_days, cal, st.roll)


@dataclass(frozen=True)
class _Asked:
    """What a planner is given besides the state and the transition: the day, the calendar, the rules, who asks."""

    today: date
    cal: WorkCalendar
    st: Settings
    actor_id: str | None


def plan(s: CaseState, t: Transition, today: date, cal: WorkCalendar, st: Settings, *,
         actor_id: str | None = None) -> Planned:
    """Check ``t`` against state ``s`` on ``today``; the event to append, or ``LifecycleError``."""
    planner = _PLANNERS.get(type(t))
    if planner is None:
        raise TypeError(f"unknown transition {t!r}")
    return planner(s, t, _Asked(today, cal, st, actor_id))


RegistrationRouting = Route | SendToLeader | SteerToLegalChannel
"""The steps the desk may take as it registers a case (处理方式 on the intake form)."""
_NO_CALENDAR = WorkCalendar(use_package=False)


def plan_registration(t: RegistrationRouting, today: date, *, content_class: str = "",
                      actor_id: str | None = None) -> Planned:
    """The routing step the desk takes as it registers a case, checked against the just-registered case (status
    登记, no unit): the same planners as ``plan``. Routing reads neither the calendar nor the deadline rules, so the
    intake, which registers without them, needs neither."""
    if not isinstance(t, Route | SendToLeader | SteerToLegalChannel):
        raise TypeError(f"not a routing step {t!r}")
    return plan(CaseState(content_class=content_class, received_on=today), t, today, _NO_CALENDAR, Settings(),
                actor_id=actor_id)


# routing: the centre sends the matter to a unit, the duty leader, or a legal channel

def _plan_route(s: CaseState, t: Route, a: _Asked) -> Planned:
    status = s.status
    _need(status in ROUTABLE or s.on_the_spot_rejected, f"案件当前为“{status.label}”，不能再转送、交办",
          "route_state")
    _need(t.unit_id not in s.accused_units, "检举控告类事项不得转送、交办给被检举控告的单位", "route_accused")
    kind = EventKind.ASSIGNED if t.assign else EventKind.FORWARDED
    status_to = CaseStatus.ASSIGNED if t.assign else CaseStatus.FORWARDED
    return Planned(kind, status_to, t.note, unit_id=t.unit_id, data=dict(t.data), notify="routed")


def _plan_to_leader(s: CaseState, t: SendToLeader, a: _Asked) -> Planned:
    _need(s.status in ROUTABLE, f"案件当前为“{s.status.label}”，不能再转值班领导接访", "to_leader_state")
    return Planned(EventKind.TO_LEADER, CaseStatus.REGISTERED, t.note, unit_id=t.unit_id)


def _plan_legal_channel(s: CaseState, t: SteerToLegalChannel, a: _Asked) -> Planned:
    _need(s.status in ROUTABLE, f"案件当前为“{s.status.label}”，不能再导入法定途径", "legal_channel_state")
    channel = _text(t.channel, "应当通过的法定途径", "legal_channel_required")
    return Planned(EventKind.LEGAL_CHANNEL, CaseStatus.LEGAL_CHANNEL, channel, data=dict(t.data))


def _plan_accused(s: CaseState, t: RecordAccusedUnit, a: _Asked) -> Planned:
    _need(s.restricted, "只有检举控告类事项需要记录被检举控告单位", "accused_not_accusation")
    _need(t.unit_id != s.unit_id or s.status not in RECEIVED_BY_UNIT | HANDLING,
          "该事项正由被检举控告的单位办理，请先退回重新转送", "accused_is_handler")
    return Planned(EventKind.ACCUSED_UNIT, s.status, t.note, unit_id=t.unit_id)


# the unit: sign for, object, accept or reject, handle, extend

def _plan_sign(s: CaseState, t: SignFor, a: _Asked) -> Planned:
    _need(s.status in ROUTED, f"案件当前为“{s.status.label}”，没有待签收的转送、交办", "sign_state")
    received = t.received_on or a.today
    _need(received <= a.today, "收到日期不能晚于今天", "sign_future")
    assert s.routed_on is not None
    _need(received >= s.routed_on, "收到日期不能早于转送、交办日期", "sign_before_route")
    return Planned(EventKind.SIGNED, CaseStatus.SIGNED, t.note, unit_id=s.unit_id,
                   data={"received_on": received.isoformat()})


def _plan_object(s: CaseState, t: Object, a: _Asked) -> Planned:
    _need(s.status in RECEIVED_BY_UNIT, f"案件当前为“{s.status.label}”，不能异议退回", "object_state")
    if s.signed:  # not yet signed for: the unit objects on receiving it, which is in time
        assert s.unit_received_on is not None
        last = due_date("objection", s.unit_received_on, a.cal, a.st.roll)
        _need(a.today <= last, f"已超过异议期限（收到之日起5个工作日，至{last:%Y年%m月%d日}），不能退回",
              "object_late")
    reason = _text(t.reason, "不属于本单位职权范围的理由", "object_reason")
    return Planned(EventKind.OBJECTED, CaseStatus.REGISTERED, t.note or reason, unit_id=s.unit_id,
                   data={"reason": reason})


def _plan_accept(s: CaseState, t: Accept, a: _Asked) -> Planned:
    _need(s.status in RECEIVED_BY_UNIT, _not_yet(s.status, "受理"), "accept_state")
    return Planned(EventKind.ACCEPTED, CaseStatus.ACCEPTED, t.note, unit_id=s.unit_id,
                   data={"simple": 1 if t.simple else 0}, notify="accepted")


def _plan_reject(s: CaseState, t: Reject, a: _Asked) -> Planned:
    _need(s.status in RECEIVED_BY_UNIT, _not_yet(s.status, "作出不予受理决定"), "reject_state")
    reason = _text(t.reason, "不予受理的理由", "reject_reason")
    channel = _text(t.channel, "应当通过的途径", "reject_channel")
    return Planned(EventKind.NOT_ACCEPTED, CaseStatus.NOT_ACCEPTED, t.note or reason, unit_id=s.unit_id,
                   data={"reason": reason, "channel": channel}, notify="not_accepted")


def _plan_start(s: CaseState, t: StartHandling, a: _Asked) -> Planned:
    _need(s.status is CaseStatus.ACCEPTED, _not_yet(s.status, "开始办理", accept_first=True), "start_state")
    return Planned(EventKind.HANDLING_STARTED, CaseStatus.IN_HANDLING, t.note, unit_id=s.unit_id)


def _plan_extend(s: CaseState, t: Extend, a: _Asked) -> Planned:
    _need(s.status in HANDLING, _not_yet(s.status, "延期", accept_first=True), "extend_state")
    _need(not s.extension_days, "该事项已经延期一次，不能再次延期", "extend_twice")
    _need(not s.simple, "简易办理事项不适用延期，请转为普通程序办理", "extend_simple")
    _need(1 <= t.days <= MAX_EXTENSION_DAYS, f"延长期限不得超过{MAX_EXTENSION_DAYS}日", "extend_days")
    due = handling_due(s, a.cal, a.st)
    _need(a.today <= due, f"办理期限已于{due:%Y年%m月%d日}届满，应在期限内决定延期", "extend_late")
    approver = _text(t.approved_by, "批准延期的负责人", "extend_approver")
    reason = _text(t.reason, "延期理由", "extend_reason")
    _need(t.petitioner_told, "延期须告知信访人延期理由", "extend_not_told")
    new_due = handling_due(_with(s, extension_days=t.days), a.cal, a.st)
    return Planned(EventKind.EXTENDED, CaseStatus.EXTENDED, t.note or reason, unit_id=s.unit_id,
                   data={"days": t.days, "approved_by": approver, "reason": reason, "due": new_due.isoformat()},
                   notify="extended")


# replies: the unit's 处理意见书, the 复查 / 复核 opinions, the duty leader's on-the-spot reply

def _plan_reply(s: CaseState, t: Reply, a: _Asked) -> Planned:
    status = s.status
    kind: EventKind
    if status is CaseStatus.IN_REVIEW:
        kind, level, notify = EventKind.REVIEW_DECIDED, "review", "review_decided"
    elif status is CaseStatus.IN_RECHECK:
        _need(s.hearing_since is None, "听证尚未结束，请先记录听证结束再出具复核意见", "reply_in_hearing")
        kind, level, notify = EventKind.RECHECK_DECIDED, "recheck", "recheck_decided"
    else:
        _need(status in HANDLING, _not_yet(status, "出具处理意见书", accept_first=True), "reply_state")
        kind, level, notify = EventKind.REPLIED, "first", "replied"
    basis = _text(t.basis, "处理意见的依据", "reply_basis")
    _need(t.delivered_on <= a.today, "送达日期不能晚于今天", "reply_future")
    started = {"first": s.accepted_on, "review": s.review_requested_on, "recheck": s.recheck_requested_on}[level]
    _need(started is None or t.delivered_on >= started, "送达日期不能早于受理（请求）日期", "reply_early")
    status_to = CaseStatus.FINAL if level == "recheck" else CaseStatus.REPLIED
    return Planned(kind, status_to, t.note, unit_id=s.unit_id,
                   data={"outcome": t.outcome.value, "basis": basis, "delivered_on": t.delivered_on.isoformat(),
                         "means": t.means.value, "level": level}, notify=notify)


def _plan_on_the_spot(s: CaseState, t: ReplyOnTheSpot, a: _Asked) -> Planned:
    _need(s.status in ROUTABLE, f"案件当前为“{s.status.label}”，现场答复只记入接访记录，不改变办理流程",
          "on_spot_state")
    _need(t.outcome in (ReplyOutcome.SUPPORT, ReplyOutcome.EXPLAIN), "现场答复只能是现场解决或解释说明",
          "on_spot_outcome")
    reply = _text(t.reply, "现场答复内容", "on_spot_reply")
    return Planned(EventKind.REPLIED_ON_SPOT, CaseStatus.REPLIED, t.note or reply,
                   data={"outcome": t.outcome.value, "basis": reply, "delivered_on": a.today.isoformat(),
                         "means": DeliveryMeans.IN_PERSON.value, "level": "first",
                         "reception_id": t.reception_id, "leader": t.leader}, notify="replied_on_spot")


def _plan_start_hearing(s: CaseState, t: StartHearing, a: _Asked) -> Planned:
    _need(s.status is CaseStatus.IN_RECHECK, "只有复核中的事项才能组织听证", "hearing_state")
    _need(s.hearing_since is None, "听证正在进行，请先记录听证结束", "hearing_twice")
    assert s.recheck_requested_on is not None
    _need(s.recheck_requested_on <= t.started_on <= a.today, "听证开始日期应在收到复核请求之后、不晚于今天",
          "hearing_date")
    due = recheck_due(s, a.cal, a.st)
    _need(t.started_on <= due, f"复核期限已于{due:%Y年%m月%d日}届满，不能再组织听证", "hearing_late")
    return Planned(EventKind.HEARING_STARTED, s.status, t.note, data={"started_on": t.started_on.isoformat()})


def _plan_end_hearing(s: CaseState, t: EndHearing, a: _Asked) -> Planned:
    _need(s.status is CaseStatus.IN_RECHECK and s.hearing_since is not None, "没有正在进行的听证", "hearing_none")
    assert s.hearing_since is not None
    _need(s.hearing_since <= t.ended_on <= a.today, "听证结束日期应在听证开始之后、不晚于今天", "hearing_end_date")
    days = hearing_length(s.hearing_since, t.ended_on)
    return Planned(EventKind.HEARING_ENDED, s.status, t.note, data={"ended_on": t.ended_on.isoformat(), "days": days})


# the petitioner's answer: evaluation, closing, 复查 and 复核 requests

def _plan_evaluate(s: CaseState, t: Evaluate, a: _Asked) -> Planned:
    status = s.status
    _need(status is CaseStatus.REPLIED and s.reply_delivered_on is not None,
          "处理意见书尚未送达，不能评价" if status not in (CaseStatus.CLOSED, CaseStatus.FINAL)
          else f"案件已{status.label}，不能再评价", "evaluate_state")
    _need(not s.evaluated, "本次答复已有评价，不能重复评价", "evaluate_twice")
    _need(a.actor_id is None or a.actor_id not in s.handlers,
          "承办人不得代替信访人作出满意度评价，请由其他工作人员回访记录", "evaluate_by_handler")
    return Planned(EventKind.EVALUATED, status, t.note, unit_id=s.unit_id,
                   data={"rating": t.rating.value, "channel": t.channel.value})


def _plan_close(s: CaseState, t: Close, a: _Asked) -> Planned:
    status = s.status
    if status is CaseStatus.NOT_ACCEPTED:
        return Planned(EventKind.CLOSED, CaseStatus.CLOSED, t.note, unit_id=s.unit_id)
    _need(status is CaseStatus.REPLIED, _not_yet(status, "销号", accept_first=True, reply_first=True), "close_state")
    assert s.reply_delivered_on is not None
    window_end = evaluation_due(s, a.cal, a.st)
    _need(bool(s.evaluated) or a.today > window_end,
          f"尚未取得满意度评价，评价期至{window_end:%Y年%m月%d日}届满前不能销号", "close_no_evaluation")
    _need(not s.supervisions, "督办事项尚未反馈办结，不能销号", "close_supervised")
    _need(not s.on_the_spot_rejected, "信访人对现场答复不满意，应交办责任单位办理，不能销号",
          "close_on_spot_dissatisfied")
    return Planned(EventKind.CLOSED, CaseStatus.CLOSED, t.note, unit_id=s.unit_id)


def _plan_review(s: CaseState, t: RequestReview, a: _Asked) -> Planned:
    _need(s.status in (CaseStatus.REPLIED, CaseStatus.CLOSED) and s.reply_level == "first",
          "只有对已送达的处理意见书才能请求复查", "review_state")
    _need(not s.on_the_spot, "现场答复不是处理意见书，不能请求复查；信访人不满意的，应交办责任单位办理",
          "review_on_spot")
    assert s.reply_delivered_on is not None
    last = due_date("review_request", s.reply_delivered_on, a.cal, a.st.roll)
    _need(s.reply_delivered_on <= t.requested_on <= a.today, "复查请求日期有误", "review_date")
    _need(t.requested_on <= last, f"已超过请求复查期限（收到处理意见书之日起30日，至{last:%Y年%m月%d日}）",
          "review_late")
    body = _text(t.body, "复查机关", "review_body")
    return Planned(EventKind.REVIEW_REQUESTED, CaseStatus.IN_REVIEW, t.note,
                   data={"requested_on": t.requested_on.isoformat(), "body": body}, notify="review_requested")


def _plan_recheck(s: CaseState, t: RequestRecheck, a: _Asked) -> Planned:
    _need(s.status in (CaseStatus.REPLIED, CaseStatus.CLOSED) and s.reply_level == "review",
          "只有对已送达的复查意见才能请求复核", "recheck_state")
    assert s.reply_delivered_on is not None
    last = due_date("recheck_request", s.reply_delivered_on, a.cal, a.st.roll)
    _need(s.reply_delivered_on <= t.requested_on <= a.today, "复核请求日期有误", "recheck_date")
    _need(t.requested_on <= last, f"已超过请求复核期限（收到复查意见之日起30日，至{last:%Y年%m月%d日}）",
          "recheck_late")
    body = _text(t.body, "复核机关", "recheck_body")
    return Planned(EventKind.RECHECK_REQUESTED, CaseStatus.IN_RECHECK, t.note,
                   data={"requested_on": t.requested_on.isoformat(), "body": body}, notify="recheck_requested")


# supervision: 督办 and the unit's feedback

def _plan_supervise(s: CaseState, t: Supervise, a: _Asked) -> Planned:
    _need(s.status.is_open and s.status is not CaseStatus.NOT_ACCEPTED, f"案件已{s.status.label}，不能督办",
          "supervise_state")
    _need(s.unit_id is not None, "案件尚未交办到责任单位，不能督办", "supervise_no_unit")
    note = _text(t.note, "督办意见", "supervise_note")
    return Planned(EventKind.SUPERVISED, s.status, note, unit_id=s.unit_id,
                   data={"supervision_id": t.supervision_id, "reason": t.reason.value})


def _plan_answer(s: CaseState, t: AnswerSupervision, a: _Asked) -> Planned:
    sup = s.supervisions.get(t.supervision_id)
    _need(sup is not None, "该督办事项不存在或已办结", "supervision_closed")
    assert sup is not None
    note = _text(t.note, "反馈情况", "supervision_note")
    if t.resolved:
        return Planned(EventKind.SUPERVISION_RESOLVED, s.status, note, unit_id=sup.unit_id,
                       data={"supervision_id": t.supervision_id})
    back = CaseStatus.IN_HANDLING if s.status is CaseStatus.REPLIED else s.status
    return Planned(EventKind.SUPERVISION_RETURNED, back, note, unit_id=sup.unit_id,
                   data={"supervision_id": t.supervision_id, "round": sup.round + 1})


# the ledger import undone after sync

def _plan_undo_import(s: CaseState, t: UndoImport, a: _Asked) -> Planned:
    _need(s.status is not CaseStatus.VOID, "该信访事项的导入已经撤销", "undo_import_twice")
    _need(bool(t.import_id.strip()), "缺少所撤销的导入编号", "undo_import_id")
    reason = _text(t.reason, "撤销导入的原因", "undo_import_reason")
    return Planned(EventKind.IMPORT_UNDONE, CaseStatus.VOID, t.note or reason, unit_id=s.unit_id,
                   data={"import_id": t.import_id.strip(), "reason": reason})


_PLANNERS: dict[type, Callable[[CaseState, Any, _Asked], Planned]] = {
    Route: _plan_route, SendToLeader: _plan_to_leader, SteerToLegalChannel: _plan_legal_channel,
    RecordAccusedUnit: _plan_accused, SignFor: _plan_sign, Object: _plan_object, Accept: _plan_accept,
    Reject: _plan_reject, StartHandling: _plan_start, Extend: _plan_extend, Reply: _plan_reply,
    ReplyOnTheSpot: _plan_on_the_spot, StartHearing: _plan_start_hearing, EndHearing: _plan_end_hearing,
    Evaluate: _plan_evaluate, Close: _plan_close, RequestReview: _plan_review, RequestRecheck: _plan_recheck,
    Supervise: _plan_supervise, AnswerSupervision: _plan_answer, UndoImport: _plan_undo_import,
}
"""Each transition's planner: the checks of the law and of the case's state, then the event it appends."""


def _with(s: CaseState, **changes: Any) -> CaseState:
    from dataclasses import replace

    return replace(s, **changes)


def _not_yet(status: CaseStatus, action: str, *, accept_first: bool = False, reply_first: bool = False) -> str:
    if status in (CaseStatus.CLOSED, CaseStatus.FINAL, CaseStatus.LEGAL_CHANNEL, CaseStatus.NOT_ACCEPTED):
        return f"案件已{status.label}，不能{action}"
    if reply_first and status in HANDLING:
        return f"处理意见书尚未送达，不能{action}"
    if accept_first and status in ROUTABLE | RECEIVED_BY_UNIT:
        return f"尚未受理，不能{action}"
    if status in ROUTABLE:
        return f"案件尚未转送、交办，不能{action}"
    return f"案件当前为“{status.label}”，不能{action}"


# --- the clocks running in a state ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningClock:
    """A clock of a case: which one, for which unit, from when to when (``ref``: the supervision it belongs to)."""

    key: str
    kind: ClockKind
    start: date
    due: date
    unit_id: str | None
    extended_by: int = 0
    allowed: int | None = None
    ref: str = ""
    paused_days: int = 0
    """Days not counted (复核 hearings that ended)."""
    paused_since: date | None = None
    """A hearing in progress since this day: the clock is paused (``kind`` PAUSED) and its due date provisional."""


def clocks(s: CaseState, cal: WorkCalendar, st: Settings) -> list[RunningClock]:
    """The clocks running (duties) or open (windows) in state ``s``. Windows stay listed after they expire until
    the state moves on, so a case can say "评价期已届满"."""
    out: list[RunningClock] = []
    status = s.status
    if status is CaseStatus.VOID:
        return out  # (an import undone: no duty, no window)
    duty, window = ClockKind.DUTY, ClockKind.WINDOW
    if status is CaseStatus.REGISTERED and s.received_on is not None:
        out.append(RunningClock("register_route", duty, s.received_on,
                                due_date("register_route", s.received_on, cal, st.roll), None))
    elif status is CaseStatus.REPLIED and s.on_the_spot_rejected and s.evaluated_on is not None:
        # not satisfied with the leader's reply: the centre must route the matter to a unit, within the 15 days
        # from receipt (Art. 22), or from the rating day where the centre's local rule says so (``on_spot_restart``)
        start = s.evaluated_on if st.on_spot_restart or s.received_on is None else s.received_on
        out.append(RunningClock("register_route", duty, start, due_date("register_route", start, cal, st.roll),
                                None))
    elif status in ROUTED and s.routed_on is not None:
        out.append(RunningClock("sign_for", duty, s.routed_on, add_working_days(s.routed_on, st.sign_days, cal),
                                s.unit_id, allowed=st.sign_days))
    elif status is CaseStatus.SIGNED and s.unit_received_on is not None:
        start = s.unit_received_on
        out.append(RunningClock("routed_notice", duty, start, due_date("routed_notice", start, cal, st.roll),
                                s.unit_id))
        out.append(RunningClock("objection", window, start, due_date("objection", start, cal, st.roll), s.unit_id))
    elif status in HANDLING and s.accepted_on is not None and not s.reply_level:
        # (after a reply, a case sent back by supervision runs on the supervision's clock instead)
        key = "simple_track" if s.simple else "handling"
        out.append(RunningClock(key, duty, s.accepted_on, handling_due(s, cal, st), s.unit_id,
                                extended_by=s.extension_days))
    elif status is CaseStatus.IN_REVIEW and s.review_requested_on is not None:
        out.append(RunningClock("review_decision", duty, s.review_requested_on,
                                due_date("review_decision", s.review_requested_on, cal, st.roll), None))
    elif status is CaseStatus.IN_RECHECK and s.recheck_requested_on is not None:
        out.append(RunningClock("recheck_decision", ClockKind.PAUSED if s.hearing_since else duty,
                                s.recheck_requested_on, recheck_due(s, cal, st), None,
                                paused_days=s.hearing_days, paused_since=s.hearing_since))
    if status in (CaseStatus.REPLIED, CaseStatus.CLOSED) and s.reply_delivered_on is not None:
        start = s.reply_delivered_on
        if s.reply_level == "first" and not s.on_the_spot:
            out.append(RunningClock("review_request", window, start,
                                    due_date("review_request", start, cal, st.roll), s.unit_id))
        elif s.reply_level == "review":
            out.append(RunningClock("recheck_request", window, start,
                                    due_date("recheck_request", start, cal, st.roll), s.unit_id))
        if status is CaseStatus.REPLIED and not s.evaluated:
            out.append(RunningClock("evaluation", window, start, evaluation_due(s, cal, st), s.unit_id,
                                    allowed=st.evaluation_days))
    for sup in s.supervisions.values():
        out.append(RunningClock("supervision", duty, sup.since,
                                add_calendar_days(sup.since, st.supervision_days, cal, st.roll), sup.unit_id,
                                allowed=st.supervision_days, ref=sup.id))
    return out


def intake_state(status: CaseStatus, registered_on: date, unit_id: str | None,
                 received_on: date | None = None) -> CaseState:
    """The state of a case just registered by the intake service (routed, if at all, on the day it was
    registered; received on ``received_on`` — 收件日期 of a letter or online petition — or on that day)."""
    routed = status in ROUTED
    return CaseState(status=status, received_on=received_on or registered_on, unit_id=unit_id if routed else None,
                     routed_on=registered_on if routed else None)


def assess_clock(c: RunningClock, on: date, cal: WorkCalendar, st: Settings) -> ClockAssessment:
    if c.paused_since is not None:  # a hearing in progress: the due date moves on with every day of it
        paused = c.paused_days + hearing_length(c.paused_since, max(on, c.paused_since))
        due = add_calendar_days(c.start, get_clock(c.key).amount + paused, cal, st.roll)
        counted_pause = c.paused_days + max(0, hearing_length(c.paused_since, on)) if on >= c.paused_since \
            else c.paused_days
        return assess(c.key, c.start, due, on, cal, allowed=c.allowed, kind=c.kind, thresholds=st.thresholds,
                      paused_days=counted_pause, paused=True)
    return assess(c.key, c.start, c.due, on, cal, allowed=c.allowed, kind=c.kind, thresholds=st.thresholds,
                  extended_by=c.extended_by, paused_days=c.paused_days)


# --- an event's step and its columns: replaying what others recorded ---------------------------------------------


def case_columns(kind: str, unit_id: str | None, note: str) -> dict[str, Any]:
    """The columns of the case row (``petition_case``) that an event of ``kind`` sets besides ``status`` (which is
    the planned or replayed status): a routing step's unit and routing action, the legal channel it names, and an
    objection's cleared unit. What the desk's lifecycle writes into its case row, and the server into its record."""
    if kind == EventKind.OBJECTED:
        return {"unit_id": None}
    if kind in (EventKind.ASSIGNED, EventKind.FORWARDED):
        return {"unit_id": unit_id, "routing_action": "assign" if kind == EventKind.ASSIGNED else "forward"}
    if kind == EventKind.TO_LEADER:
        return {"unit_id": unit_id, "routing_action": "leader_reception"}
    if kind == EventKind.LEGAL_CHANNEL:
        return {"legal_channel": note, "routing_action": "legal_channel"}
    return {}


PROJECTED_COLUMNS: frozenset[str] = frozenset({"status", "unit_id", "routing_action", "legal_channel"})
"""The case row's columns its events determine (``case_columns`` and the replayed status)."""


def transition_for(e: Event, note: str = "") -> Transition | None:
    """The step that records event ``e`` (what ``plan`` is asked for to append it), to check an event recorded
    elsewhere by replaying it; None for an event no step makes (records, the registration, kinds of earlier versions).
    ``LifecycleError`` (key ``event_malformed``) when its data cannot be such a step's."""
    k, d = e.kind, e.data

    def day(key: str) -> date:
        value = d.get(key)
        return date.fromisoformat(str(value)) if value else e.on

    def text(key: str) -> str:
        return str(d.get(key) or "")

    try:
        if k in (EventKind.ASSIGNED, EventKind.FORWARDED):
            return Route(e.unit_id or "", k == EventKind.ASSIGNED, note, dict(d))
        if k == EventKind.TO_LEADER:
            return SendToLeader(e.unit_id, note)
        if k == EventKind.LEGAL_CHANNEL:
            return SteerToLegalChannel(note, dict(d))
        if k == EventKind.ACCUSED_UNIT:
            return RecordAccusedUnit(e.unit_id or "", note)
        if k == EventKind.SIGNED:
            return SignFor(day("received_on"), note)
        if k == EventKind.OBJECTED:
            return Object(text("reason"), note)
        if k == EventKind.ACCEPTED:
            return Accept(bool(d.get("simple")), note)
        if k == EventKind.NOT_ACCEPTED:
            return Reject(text("reason"), text("channel"), note)
        if k == EventKind.HANDLING_STARTED:
            return StartHandling(note)
        if k == EventKind.EXTENDED:
            return Extend(int(d.get("days") or 0), text("approved_by"), text("reason"), True, note)
        if k in (EventKind.REPLIED, EventKind.REVIEW_DECIDED, EventKind.RECHECK_DECIDED):
            return Reply(ReplyOutcome.parse(text("outcome")), text("basis"), day("delivered_on"),
                         DeliveryMeans.parse(text("means")), note)
        if k == EventKind.REPLIED_ON_SPOT:
            return ReplyOnTheSpot(ReplyOutcome.parse(text("outcome")), text("basis"), text("reception_id"),
                                  text("leader"), note)
        if k == EventKind.EVALUATED:
            return Evaluate(Rating.parse(text("rating")), EvaluationChannel.parse(text("channel")), note)
        if k == EventKind.CLOSED:
            return Close(note)
        if k == EventKind.REVIEW_REQUESTED:
            return RequestReview(day("requested_on"), text("body"), note)
        if k == EventKind.RECHECK_REQUESTED:
            return RequestRecheck(day("requested_on"), text("body"), note)
        if k == EventKind.HEARING_STARTED:
            return StartHearing(day("started_on"), note)
        if k == EventKind.HEARING_ENDED:
            return EndHearing(day("ended_on"), note)
        if k == EventKind.SUPERVISED:
            return Supervise(note, SupervisionReason.parse(text("reason") or SupervisionReason.MANUAL.value),
                             text("supervision_id"))
        if k in (EventKind.SUPERVISION_RESOLVED, EventKind.SUPERVISION_RETURNED):
            return AnswerSupervision(text("supervision_id"), k == EventKind.SUPERVISION_RESOLVED, note)
        if k == EventKind.IMPORT_UNDONE:
            return UndoImport(text("import_id"), text("reason"), note)
    except (ValueError, TypeError) as exc:
        raise LifecycleError(f"事件“{k}”的内容不完整或有误，不是办理流程的一步", key="event_malformed") from exc
    return None
