"""The roster's rules as data (a synced ``centre_setting`` row, editable by the administrator) and the pure date rules.

- 书记接访日: the party secretary and the district head receive together on the last Tuesday of each month
  (``FREQ=MONTHLY;BYDAY=-1TU``; weekday and ordinal are settings). When that day is not a working day the
  ``secretary_day_clash`` policy decides: ``skip`` (none that month), ``previous`` (the working day before) or
  ``next`` (the working day after, which may fall in the next month: it then belongs to that month's calendar).
- 无会周 (no-meeting week), two definitions, chosen by ``no_meeting_week``:
  ``last_seven_days`` (default): the last seven calendar days of the month (e.g. 24–30 April, 25–31 May). Always
  inside the month, always seven days, independent of holidays.
  ``week_of_last_workday``: the Monday–Sunday week that contains the month's last working day, limited to the
  days of that month (e.g. 26–31 October 2026 when the 31st is a Saturday).
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from reception.db.settings import load_centre_setting, save_centre_setting
from reception.domain.errors import FieldError
from reception.domain.workcalendar import WorkCalendar

ROSTER_KEY = "roster"

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class ClashPolicy(StrEnum):
    SKIP = "skip"
    PREVIOUS = "previous"
    NEXT = "next"

    @property
    def label(self) -> str:
        return {"skip": "当月不安排", "previous": "提前至前一个工作日", "next": "顺延至后一个工作日"}[self.value]


class NoMeetingWeek(StrEnum):
    LAST_SEVEN_DAYS = "last_seven_days"
    WEEK_OF_LAST_WORKDAY = "week_of_last_workday"


@dataclass(frozen=True, slots=True)
class RosterRules:
    leaders_per_day: int = 1
    """Leaders of the daily rotation at the centre on each working day."""
    secretary_title: str = "区委书记"
    head_title: str = "区长"
    secretary_day_weekday: int = 1
    """0 = Monday … 6 = Sunday (Tuesday)."""
    secretary_day_ordinal: int = -1
    """1…4 = first…fourth, -1 = last (BYDAY=-1TU)."""
    secretary_day_clash: str = ClashPolicy.PREVIOUS.value
    secretary_day_replaces_duty: bool = True
    """On the 书记接访日 the two principals are the day's leaders (no rotation slot that day)."""
    principals_in_rotation: bool = False
    """Whether the party secretary and the district head also take daily rotation turns."""
    no_meeting_week: str = NoMeetingWeek.LAST_SEVEN_DAYS.value
    place: str = "区信访接待中心（区政务服务中心一楼）"
    hours: str = "上午9:00—12:00，下午14:30—17:30"
    notice_title: str = "区级领导接访安排表"

    @property
    def clash(self) -> ClashPolicy:
        return ClashPolicy(self.secretary_day_clash)

    @property
    def week_rule(self) -> NoMeetingWeek:
        return NoMeetingWeek(self.no_meeting_week)

    @property
    def secretary_day_rrule(self) -> str:
        return f"FREQ=MONTHLY;BYDAY={self.secretary_day_ordinal}{_RRULE_DAYS[self.secretary_day_weekday]}"

    def validate(self) -> None:
        errors: list[str] = []
        if not 1 <= self.leaders_per_day <= 5:
            errors.append("每日接访领导人数应为1至5人")
        if not 0 <= self.secretary_day_weekday <= 6:
            errors.append("书记接访日的星期应为0至6")
        if self.secretary_day_ordinal not in (1, 2, 3, 4, -1):
            errors.append("书记接访日应为当月第1至4个或最后一个")
        try:
            ClashPolicy(self.secretary_day_clash)
        except ValueError:
            errors.append("书记接访日遇节假日的处理应为 skip、previous 或 next")
        try:
            NoMeetingWeek(self.no_meeting_week)
        except ValueError:
            errors.append("无会周的定义应为 last_seven_days 或 week_of_last_workday")
        if errors:
            raise FieldError("roster_rules", "；".join(errors), key="roster_rules_invalid")


def load_roster_rules(session: Session) -> RosterRules:
    stored = load_centre_setting(session, ROSTER_KEY)
    if stored is None:
        return RosterRules()
    known = {f.name for f in fields(RosterRules)}
    values: dict[str, Any] = {k: v for k, v in stored.items() if k in known}
    try:
        rules = RosterRules(**values)
        rules.validate()
    except (TypeError, FieldError):
        return RosterRules()
    return rules


def save_roster_rules(session: Session, rules: RosterRules) -> None:
    """Store the rules for the whole centre (a synced centre setting)."""
    rules.validate()
    save_centre_setting(session, ROSTER_KEY, asdict(rules))


# -- months ------------------------------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    """"2026-02" → (2026, 2)."""
    try:
        y, m = text.strip().split("-")
        year, month = int(y), int(m)
        if len(y) != 4 or not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise FieldError("month", f"月份格式应为 YYYY-MM：{text}", key="month_invalid") from None
    return year, month


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, _cal.monthrange(year, month)[1] + 1)]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


# -- 书记接访日 ----------------------------------------------------------------------------------------------------


def nominal_secretary_day(year: int, month: int, rules: RosterRules) -> date:
    """The rule's day before any holiday policy (the last Tuesday by default)."""
    days = [d for d in month_days(year, month) if d.weekday() == rules.secretary_day_weekday]
    if rules.secretary_day_ordinal == -1:
        return days[-1]
    return days[rules.secretary_day_ordinal - 1]


def secretary_day(cal: WorkCalendar, year: int, month: int, rules: RosterRules) -> date | None:
    """The 书记接访日 belonging to ``month`` after the clash policy (None: skipped)."""
    nominal = nominal_secretary_day(year, month, rules)
    if cal.is_workday(nominal):
        return nominal
    policy = rules.clash
    if policy is ClashPolicy.SKIP:
        return None
    if policy is ClashPolicy.PREVIOUS:
        return cal.previous_workday(nominal)
    return cal.next_workday(nominal)


def secretary_days_in(cal: WorkCalendar, year: int, month: int, rules: RosterRules) -> dict[date, date]:
    """The 书记接访日 falling in ``month`` (moved days included, even from a neighbouring month) → nominal day."""
    out: dict[date, date] = {}
    for delta in (-1, 0, 1):
        y, m = shift_month(year, month, delta)
        actual = secretary_day(cal, y, m, rules)
        if actual is not None and (actual.year, actual.month) == (year, month):
            out[actual] = nominal_secretary_day(y, m, rules)
    return out


def secretary_day_reason(actual: date, nominal: date, rules: RosterRules) -> str:
    if actual == nominal:
        return "书记接访日"
    moved = "提前" if actual < nominal else "顺延"
    return f"书记接访日（原定{nominal.month}月{nominal.day}日为节假日，{moved}）"


# -- 无会周 --------------------------------------------------------------------------------------------------------


def no_meeting_week(cal: WorkCalendar, year: int, month: int, rules: RosterRules) -> tuple[date, date]:
    """First and last day (inclusive) of the month's 无会周."""
    days = month_days(year, month)
    last = days[-1]
    if rules.week_rule is NoMeetingWeek.LAST_SEVEN_DAYS:
        return last - timedelta(days=6), last
    workdays = [d for d in days if cal.is_workday(d)]
    anchor = workdays[-1] if workdays else last
    monday = anchor - timedelta(days=anchor.weekday())
    return max(monday, days[0]), min(monday + timedelta(days=6), last)
