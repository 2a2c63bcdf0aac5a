"""Statutory time limits of the petition procedure and the date arithmetic behind them (docs/domain.md §3).

Counting rules (《民法典》第二百零一条、第二百零三条 and the 《信访工作条例》):

* "日" (calendar days): the start day is not counted, so the last day is ``start + days``.
  When the last day is a day off, it moves to the next working day according to ``RollPolicy``:

  - ``NON_WORKING_DAYS`` (default): any day off (public holiday, its 调休 rest days, ordinary Saturday/Sunday)
    rolls. This follows the reading of 法定休假日 in 《民法典》第二百零三条 used by the courts, which includes
    weekends, and is the convention users expect ("due on a Sunday" is never shown).
  - ``HOLIDAYS_ONLY``: only public holidays (and their 调休 rest days) roll; an ordinary weekend does not.
  - ``NONE``: never roll.

  A make-up working weekend (调休上班) is a working day and never rolls.
* "工作日" (working days): the start day is not counted; only working days of the official calendar count,
  including make-up working weekends. The last day is therefore always a working day.

Dates in years the calendar does not know (``WorkCalendar.knows``) are computed with Monday–Friday working days
and must be shown as 未确认: ``deadline()`` reports them in ``Deadline.unconfirmed_years``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from reception.domain.enums import LabelledEnum
from reception.domain.workcalendar import WorkCalendar

__all__ = [
    "ALL_CLOCKS",
    "DEFAULT_ROLL",
    "LOCAL_CLOCKS",
    "STATUTORY_CLOCKS",
    "ClockAssessment",
    "ClockColour",
    "ClockKind",
    "Thresholds",
    "assess",
    "ClockEvent",
    "ClockUnit",
    "Deadline",
    "RollPolicy",
    "StatutoryClock",
    "add_calendar_days",
    "add_working_days",
    "deadline",
    "due_date",
    "elapsed",
    "get_clock",
    "roll_forward",
    "working_days_between",
]


class RollPolicy(LabelledEnum):
    """What happens when the last day of a calendar-day limit is a day off (a setting; see module doc)."""

    NONE = ("none", "不顺延")
    HOLIDAYS_ONLY = ("holidays_only", "遇法定节假日顺延至下一个工作日")
    NON_WORKING_DAYS = ("non_working_days", "遇节假日或休息日顺延至下一个工作日")


DEFAULT_ROLL = RollPolicy.NON_WORKING_DAYS


class ClockUnit(LabelledEnum):
    CALENDAR = ("calendar", "日")
    WORKING = ("working", "工作日")


class ClockEvent(LabelledEnum):
    """The recorded event a clock starts from (each clock is separate: store events, not one "created")."""

    RECEIVED = ("received", "收到信访事项之日")
    ROUTED = ("routed", "转送、交办之日")
    UNIT_RECEIVED = ("unit_received", "责任单位收到转送、交办事项之日")
    ACCEPTED = ("accepted", "受理之日")
    HANDLING_DUE = ("handling_due", "原办理期限届满之日")
    REPLY_DELIVERED = ("reply_delivered", "收到书面答复之日")
    REVIEW_REQUESTED = ("review_requested", "收到复查请求之日")
    REVIEW_OPINION_DELIVERED = ("review_opinion_delivered", "收到复查意见之日")
    RECHECK_REQUESTED = ("recheck_requested", "收到复核请求之日")
    SUPERVISED = ("supervised", "督办（或督办退回）之日")


@dataclass(frozen=True)
class StatutoryClock:
    """One legal time limit.

    ``maximum`` marks a limit that is an upper bound chosen case by case (the extension: "不得超过30日");
    ``basis_confirmed`` is False where the article number still needs checking against the official text.
    """

    key: str
    label: str
    amount: int
    unit: ClockUnit
    starts_from: ClockEvent
    basis: str
    maximum: bool = False
    basis_confirmed: bool = True
    note: str = ""

    @property
    def description(self) -> str:
        """e.g. ``自受理之日起60日内`` / ``自责任单位收到转送、交办事项之日起5个工作日内``."""
        unit = "个工作日" if self.unit is ClockUnit.WORKING else "日"
        return f"自{self.starts_from.label}起{self.amount}{unit}内"


_REGULATION = "《信访工作条例》"

_CLOCKS: tuple[StatutoryClock, ...] = (
    StatutoryClock(
        "register_route", "登记并转送、交办", 15, ClockUnit.CALENDAR, ClockEvent.RECEIVED,
        f"{_REGULATION}第二十二条",
    ),
    StatutoryClock(
        "direct_notice", "直接收到的信访事项书面告知信访人", 15, ClockUnit.CALENDAR, ClockEvent.RECEIVED,
        f"{_REGULATION}第二十三条", note="能够当场告知的，应当当场书面告知",
    ),
    StatutoryClock(
        "routed_notice", "转送、交办事项书面告知信访人接收情况", 15, ClockUnit.CALENDAR,
        ClockEvent.UNIT_RECEIVED, f"{_REGULATION}第二十三条",
    ),
    StatutoryClock(
        "objection", "不属于本单位职权范围的提出异议", 5, ClockUnit.WORKING, ClockEvent.UNIT_RECEIVED,
        f"{_REGULATION}第二十三条",
    ),
    StatutoryClock(
        "handling", "办结并书面答复", 60, ClockUnit.CALENDAR, ClockEvent.ACCEPTED,
        f"{_REGULATION}第三十四条", basis_confirmed=False,
    ),
    StatutoryClock(
        "extension", "延长办理期限", 30, ClockUnit.CALENDAR, ClockEvent.HANDLING_DUE,
        f"{_REGULATION}第三十四条", maximum=True, basis_confirmed=False,
        note="经本机关、单位负责人批准，在办理期限内决定并告知信访人延期理由；从未顺延的原期限起算",
    ),
    StatutoryClock(
        "review_request", "请求复查", 30, ClockUnit.CALENDAR, ClockEvent.REPLY_DELIVERED,
        f"{_REGULATION}第三十五条",
    ),
    StatutoryClock(
        "review_decision", "作出复查意见", 30, ClockUnit.CALENDAR, ClockEvent.REVIEW_REQUESTED,
        f"{_REGULATION}第三十五条",
    ),
    StatutoryClock(
        "recheck_request", "请求复核", 30, ClockUnit.CALENDAR, ClockEvent.REVIEW_OPINION_DELIVERED,
        f"{_REGULATION}第三十六条",
    ),
    StatutoryClock(
        "recheck_decision", "作出复核意见", 30, ClockUnit.CALENDAR, ClockEvent.RECHECK_REQUESTED,
        f"{_REGULATION}第三十六条", note="听证所需时间不计算在内；复核后不再受理",
    ),
    StatutoryClock(
        "simple_track", "简易办理", 10, ClockUnit.WORKING, ClockEvent.ACCEPTED,
        "《信访事项简易办理办法》", basis_confirmed=False, note="适用于事实清楚、责任明确、争议不大的初次信访事项",
    ),
)  # fmt: skip

STATUTORY_CLOCKS: Mapping[str, StatutoryClock] = MappingProxyType({c.key: c for c in _CLOCKS})
"""The statutory clocks by key, in procedural order."""


_LOCAL: tuple[StatutoryClock, ...] = (
    StatutoryClock(
        "sign_for", "签收转送、交办事项", 3, ClockUnit.WORKING, ClockEvent.ROUTED,
        "本地工作规定（签收时限可设置）", basis_confirmed=False,
        note="责任单位签收时记录收到日期，告知（15日）和异议（5个工作日）期限自收到之日起计算",
    ),
    StatutoryClock(
        "evaluation", "满意度评价期", 30, ClockUnit.CALENDAR, ClockEvent.REPLY_DELIVERED,
        "本地工作规定（天数可设置）", basis_confirmed=False,
        note="评价期满未评价的，可以销号；处理意见书送达后起算",
    ),
    StatutoryClock(
        "supervision", "督办反馈", 30, ClockUnit.CALENDAR, ClockEvent.SUPERVISED,
        "本地工作规定（督办）", basis_confirmed=False, note="责任单位自督办之日起30日内反馈办理结果",
    ),
)  # fmt: skip

LOCAL_CLOCKS: Mapping[str, StatutoryClock] = MappingProxyType({c.key: c for c in _LOCAL})
"""Clocks set by local rules, not by the regulation (shown as such)."""

ALL_CLOCKS: Mapping[str, StatutoryClock] = MappingProxyType({**STATUTORY_CLOCKS, **LOCAL_CLOCKS})


def get_clock(key: str) -> StatutoryClock:
    try:
        return ALL_CLOCKS[key]
    except KeyError:
        raise KeyError(f"unknown statutory clock: {key!r}") from None


def roll_forward(d: date, cal: WorkCalendar, roll: RollPolicy = DEFAULT_ROLL) -> date:
    """``d``, or the next working day when ``d`` is a day off that ``roll`` moves."""
    if roll is RollPolicy.NONE:
        return d
    if roll is RollPolicy.HOLIDAYS_ONLY:
        return cal.next_workday(d) if cal.is_holiday(d) else d
    return d if cal.is_workday(d) else cal.next_workday(d)


def add_calendar_days(start: date, days: int, cal: WorkCalendar, roll: RollPolicy = DEFAULT_ROLL) -> date:
    """The last day of a limit of ``days`` calendar days ("日") counted from ``start`` (start day excluded)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return roll_forward(start + timedelta(days=days), cal, roll)


def add_working_days(start: date, n: int, cal: WorkCalendar) -> date:
    """The ``n``-th working day after ``start`` (start day excluded; make-up working weekends count).

    ``n == 0`` returns ``start``; a negative ``n`` counts backwards (the ``-n``-th working day before ``start``),
    for reminders "N working days before".
    """
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    day = start
    while remaining:
        day += step
        if cal.is_workday(day):
            remaining -= 1
    return day


def working_days_between(a: date, b: date, cal: WorkCalendar) -> int:
    """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``.

    The inverse of ``add_working_days``: ``working_days_between(a, add_working_days(a, n, cal), cal) == n``.
    """
    if b < a:
        return -working_days_between(b, a, cal)
    return cal.count_workdays(a + timedelta(days=1), b)


def due_date(
    clock_key: str,
    start: date,
    cal: WorkCalendar,
    roll: RollPolicy = DEFAULT_ROLL,
    *,
    amount: int | None = None,
) -> date:
    """The last day of the statutory clock ``clock_key`` started on ``start``.

    ``amount`` may shorten a ``maximum`` clock (an extension of fewer than 30 days); it may never exceed the
    statutory amount. ``roll`` applies to calendar-day clocks only.
    """
    clock = get_clock(clock_key)
    n = clock.amount if amount is None else amount
    if not 0 <= n <= clock.amount:
        raise ValueError(f"amount must be between 0 and {clock.amount} for clock {clock_key!r}")
    if clock.unit is ClockUnit.WORKING:
        return add_working_days(start, n, cal)
    return add_calendar_days(start, n, cal, roll)


@dataclass(frozen=True)
class Deadline:
    """A computed due date with what is needed to show it honestly."""

    clock: StatutoryClock
    start: date
    due: date
    unconfirmed_years: tuple[int, ...] = ()

    @property
    def confirmed(self) -> bool:
        """False when the count crossed a year whose holidays are not confirmed: show "未确认"."""
        return not self.unconfirmed_years


def deadline(
    clock_key: str,
    start: date,
    cal: WorkCalendar,
    roll: RollPolicy = DEFAULT_ROLL,
    *,
    amount: int | None = None,
) -> Deadline:
    """``due_date`` together with the clock and the unconfirmed years the count went through."""
    due = due_date(clock_key, start, cal, roll, amount=amount)
    return Deadline(get_clock(clock_key), start, due, tuple(cal.unconfirmed_years(start, due)))


def elapsed(clock_key: str, start: date, on: date, cal: WorkCalendar) -> int:
    """How much of the clock has been used on day ``on`` (days or working days after ``start``), for
    "N allowed, M elapsed" displays. Negative when ``on`` is before ``start``."""
    if get_clock(clock_key).unit is ClockUnit.WORKING:
        return working_days_between(start, on, cal)
    return (on - start).days


# --- assessing a running clock: "N days allowed, M elapsed" in green / amber / red ------------------------------


class ClockKind(LabelledEnum):
    """A duty must be done by its due date (overdue when missed); a window is a right that simply expires."""

    DUTY = ("duty", "办理时限")
    WINDOW = ("window", "申请期限")
    PAUSED = ("paused", "暂停计时")
    """A duty whose counting is suspended (a 复核 hearing): never overdue while paused."""


class ClockColour(LabelledEnum):
    GREEN = ("green", "正常")
    AMBER = ("amber", "临期")
    RED = ("red", "已超期")
    EXPIRED = ("expired", "已届满")
    """A window whose last day has passed (not a fault of anyone)."""
    PAUSED = ("paused", "暂停计时")
    """A duty suspended for a hearing (听证期间不计入)."""


@dataclass(frozen=True)
class Thresholds:
    """When a running clock turns amber: at most ``amber_days`` left, or at most ``amber_fraction`` of it."""

    amber_days: int = 3
    amber_fraction: float = 0.2

    def window(self, allowed: int) -> int:
        """How many units (days or working days) before the due date a clock of ``allowed`` turns amber; never
        the whole clock, so a short one (the 3 working days to sign for a case) starts green."""
        return min(max(self.amber_days, int(allowed * self.amber_fraction)), max(allowed - 1, 0))


@dataclass(frozen=True)
class ClockAssessment:
    """One clock on one day: allowed N (days or working days), elapsed M, left, colour, and the honest caveats."""

    key: str
    label: str
    kind: ClockKind
    unit: ClockUnit
    start: date
    due: date
    allowed: int
    elapsed: int
    left: int
    colour: ClockColour
    amber_from: date
    """The first day the clock shows amber (stored with the clock so the due-soon list is a range query)."""
    unconfirmed_years: tuple[int, ...]
    basis: str
    extended_by: int = 0
    paused_days: int = 0
    """Days not counted (hearings), up to the assessed day."""

    @property
    def paused(self) -> bool:
        return self.colour is ClockColour.PAUSED

    @property
    def overdue(self) -> bool:
        return self.colour is ClockColour.RED

    @property
    def text(self) -> str:
        """e.g. ``允许60日，已用12日，剩余48日`` / ``允许5个工作日，已用7个工作日，超期2个工作日``."""
        u = "个工作日" if self.unit is ClockUnit.WORKING else "日"
        tail = f"剩余{self.left}{u}" if self.left >= 0 else f"超期{-self.left}{u}"
        if self.kind is ClockKind.WINDOW and self.left < 0:
            tail = "已届满"
        if self.paused:
            tail = "听证期间暂停计时"
        elif self.paused_days:
            tail += f"（听证{self.paused_days}日不计入）"
        return f"允许{self.allowed}{u}，已用{self.elapsed}{u}，{tail}"


def _count(unit: ClockUnit, a: date, b: date, cal: WorkCalendar) -> int:
    if unit is ClockUnit.WORKING:
        return working_days_between(a, b, cal)
    return (b - a).days


def assess(
    key: str,
    start: date,
    due: date,
    on: date,
    cal: WorkCalendar,
    *,
    allowed: int | None = None,
    kind: ClockKind = ClockKind.DUTY,
    thresholds: Thresholds = Thresholds(),
    extended_by: int = 0,
    paused_days: int = 0,
    paused: bool = False,
) -> ClockAssessment:
    """Assess clock ``key`` started on ``start`` and due on ``due`` (already rolled/extended) on day ``on``.

    ``allowed`` defaults to the clock's amount plus ``extended_by``. ``left`` counts from ``on`` to ``due`` in the
    clock's unit (negative when overdue); the clock is red only after its last day (the due day itself is amber).
    """
    clock = get_clock(key)
    n = (clock.amount + extended_by) if allowed is None else allowed
    left = _count(clock.unit, on, due, cal)
    spent = max(0, _count(clock.unit, start, on, cal) - paused_days)
    window = thresholds.window(n)
    if clock.unit is ClockUnit.WORKING:
        amber_from = add_working_days(due, -window, cal) if window else due
    else:
        amber_from = due - timedelta(days=window)
    amber_from = max(amber_from, start)
    if paused:
        colour = ClockColour.PAUSED
    elif on > due:
        colour = ClockColour.EXPIRED if kind is ClockKind.WINDOW else ClockColour.RED
    elif on >= amber_from:
        colour = ClockColour.AMBER
    else:
        colour = ClockColour.GREEN
    return ClockAssessment(
        key=key, label=clock.label, kind=kind, unit=clock.unit, start=start, due=due, allowed=n, elapsed=spent,
        left=left, colour=colour, amber_from=amber_from,
        unconfirmed_years=tuple(cal.unconfirmed_years(start, due)), basis=clock.basis, extended_by=extended_by,
        paused_days=paused_days,
    )
