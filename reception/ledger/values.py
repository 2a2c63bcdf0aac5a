"""The values people typed into ledgers: dates in every spelling, results (办理结果) and ratings (满意度)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's serial dates (the 1900 system, with its phantom 29 February 1900 folded in)."""
SERIAL_MIN, SERIAL_MAX = 18264, 73051
"""Serial numbers read as dates: 1950-01-01 to 2099-12-31 (a number outside is not a date)."""

_DATE_RE = re.compile(
    r"^\s*(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T\s]?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*分?(?:\s*[:：]?\s*(\d{1,2})\s*秒)?"
    r"(?:[:：](\d{1,2}))?)?\s*$"
)
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def text_of(value: Any) -> str:
    """A cell as text: numbers without a spurious ``.0`` (an ID or phone Excel stored as a number), stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


def parse_moment(value: Any, *, default_time: time = time(9, 0)) -> datetime | None:
    """A ledger date (with its time when one is given), naive local time; None when it cannot be read.

    Reads date and datetime cells, Excel serial numbers (as numbers or as text, 1950–2099), ``2021-03-05``,
    ``2021/3/5``, ``2021.3.5``, ``2021年3月5日``, ``20210305``, each optionally followed by ``14:30``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, default_time)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _serial(float(value), default_time)
    text = str(value).strip()
    if not text:
        return None
    m = _DATE_RE.match(text)
    try:
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
            if m[4] is not None:
                return datetime(y, mo, d, int(m[4]), int(m[5]), int(m[6] or m[7] or 0))
            return datetime.combine(date(y, mo, d), default_time)
        m = _COMPACT_RE.match(text)
        if m:
            return datetime.combine(date(int(m[1]), int(m[2]), int(m[3])), default_time)
    except ValueError:  # 2021-02-30, 25:00
        return None
    try:
        return _serial(float(text), default_time)
    except ValueError:
        return None


def _serial(number: float, default_time: time) -> datetime | None:
    if not SERIAL_MIN <= number <= SERIAL_MAX:
        return None
    day = EXCEL_EPOCH + timedelta(days=int(number))
    fraction = number - int(number)
    if fraction:
        seconds = round(fraction * 86400)
        return datetime.combine(day, time()) + timedelta(seconds=seconds)
    return datetime.combine(day, default_time)


class Outcome(StrEnum):
    """How far a historical case had gone, read from its 办理结果."""

    ROUTED = "routed"
    """交办 / 转送 only (or no result written): the unit has it."""
    ACCEPTED = "accepted"
    IN_HANDLING = "in_handling"
    REPLIED = "replied"
    CLOSED = "closed"
    NOT_ACCEPTED = "not_accepted"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {Outcome.ROUTED: "已交办", Outcome.ACCEPTED: "已受理", Outcome.IN_HANDLING: "办理中",
                  Outcome.REPLIED: "已答复", Outcome.CLOSED: "已办结（销号）", Outcome.NOT_ACCEPTED: "不予受理"}

_OUTCOME_WORDS: tuple[tuple[Outcome, tuple[str, ...]], ...] = (
    (Outcome.NOT_ACCEPTED, ("不予受理", "不受理")),
    (Outcome.CLOSED, ("办结", "结案", "销号", "已解决", "办毕", "息访", "化解")),
    (Outcome.REPLIED, ("答复", "回复", "告知")),
    (Outcome.IN_HANDLING, ("办理中", "在办", "处理中", "正在", "调查中", "核查中")),
    (Outcome.ACCEPTED, ("受理",)),
    (Outcome.ROUTED, ("交办", "转送", "转办", "移交", "转交")),
)


def parse_outcome(text: str) -> Outcome | None:
    """The stage a result text names; ``ROUTED`` for an empty one, None when no word is recognised."""
    text = text.strip()
    if not text:
        return Outcome.ROUTED
    for outcome, words in _OUTCOME_WORDS:
        if any(w in text for w in words):
            return outcome
    return None


_RATINGS = (("不满意", "dissatisfied"), ("基本满意", "basically"), ("满意", "satisfied"))


def parse_rating(text: str) -> str | None:
    """``satisfied`` / ``basically`` / ``dissatisfied`` (the lifecycle's ``Rating`` values), or None."""
    for word, value in _RATINGS:
        if word in text:
            return value
    return None
