"""Table models of the case-tracking tabs: due-soon / overdue clocks, supervision (督办) and the SMS outbox.

In the style of Vorta's archive table model (column constants, ``set_rows`` with a reset, a sort role for
``QSortFilterProxyModel`` and an object role so callers never index rows through a proxy). Clock cells read
"允许N日，已过M日，剩K日" on a green / amber / red background.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from reception.db.base import to_local
from reception.domain.deadlines import ClockUnit, get_clock
from reception.domain.workcalendar import PROVISIONAL_NOTE
from reception.lifecycle.notify import NoticeRow
from reception.lifecycle.service import ClockRow, SupervisionRow
from ui.table_model import Column, RowTableModel

T = TypeVar("T")

# colour name -> (background, foreground)
CLOCK_COLOURS: dict[str, tuple[str | None, str | None]] = {
    "green": ("#e8f5e9", "#1b5e20"),
    "amber": ("#fff3e0", "#e65100"),
    "red": ("#ffebee", "#b71c1c"),
    "expired": ("#eceff1", "#455a64"),
    "paused": ("#e3f2fd", "#0d47a1"),
}
COLOUR_LABELS = {"green": "正常", "amber": "临期", "red": "已超期", "expired": "已届满", "paused": "暂停计时"}


def clock_text(allowed: int, elapsed: int, left: int, *, working: bool = False, window: bool = False) -> str:
    """``允许15日，已过3日，剩12日`` / ``允许5个工作日，已过7个工作日，超期2个工作日`` / ``…，已届满``."""
    u = "个工作日" if working else "日"
    tail = f"剩{left}{u}" if left >= 0 else ("已届满" if window else f"超期{-left}{u}")
    return f"允许{allowed}{u}，已过{elapsed}{u}，{tail}"


def left_text(left: int) -> str:
    return f"剩{left}日" if left >= 0 else f"超期{-left}日"


def is_working(clock_key: str) -> bool:
    try:
        return get_clock(clock_key).unit is ClockUnit.WORKING
    except (KeyError, ValueError):
        return False


def _day(d: date | None) -> str:
    return f"{d:%Y-%m-%d}" if d else ""


def _when(moment: datetime | None) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment else ""


class ClockColours(RowTableModel[T]):
    COLOURS = CLOCK_COLOURS


# --- due soon / overdue ----------------------------------------------------------------------------------------

CLOCK_COL_CASE_NO = 0
CLOCK_COL_STATUS = 1
CLOCK_COL_CLOCK = 2
CLOCK_COL_UNIT = 3
CLOCK_COL_START = 4
CLOCK_COL_DUE = 5
CLOCK_COL_PROGRESS = 6
CLOCK_COL_STATE = 7


def clock_row_text(r: ClockRow) -> str:
    return clock_text(r.allowed, r.elapsed, r.left, working=is_working(r.clock))


class ClockTableModel(ClockColours[ClockRow]):
    COLUMNS = (
        Column[ClockRow]("案件编号", lambda r: r.case_no),
        Column[ClockRow]("案件状态", lambda r: r.status_label),
        Column[ClockRow]("时限", lambda r: r.label),
        Column[ClockRow]("责任单位", lambda r: r.unit_name or "—"),
        Column[ClockRow]("起算日", lambda r: _day(r.start), sort=lambda r: r.start.toordinal()),
        Column[ClockRow]("到期日", lambda r: _day(r.due) + ("（推算）" if r.unconfirmed else ""),
                         sort=lambda r: r.due.toordinal(),
                         tooltip=lambda r: PROVISIONAL_NOTE if r.unconfirmed else ""),
        Column[ClockRow]("办理时限", clock_row_text, sort=lambda r: r.left, colour=lambda r: r.colour),
        Column[ClockRow]("提示", lambda r: COLOUR_LABELS.get(r.colour, r.colour), sort=lambda r: r.left,
                         colour=lambda r: r.colour),
    )


# --- supervision -----------------------------------------------------------------------------------------------

SUP_COL_CASE_NO = 0
SUP_COL_UNIT = 1
SUP_COL_REASON = 2
SUP_COL_NOTE = 3
SUP_COL_OPENED = 4
SUP_COL_ROUND = 5
SUP_COL_DUE = 6
SUP_COL_LEFT = 7
SUP_COL_STATE = 8

SUPERVISION_STATES = {"open": "督办中", "resolved": "已办结"}


class SupervisionTableModel(ClockColours[SupervisionRow]):
    COLUMNS = (
        Column[SupervisionRow]("案件编号", lambda r: r.case_no),
        Column[SupervisionRow]("责任单位", lambda r: r.unit_name or "—"),
        Column[SupervisionRow]("督办原因", lambda r: r.reason_label),
        Column[SupervisionRow]("督办意见", lambda r: r.note, tooltip=lambda r: r.note),
        Column[SupervisionRow]("督办日期", lambda r: _day(r.opened_on), sort=lambda r: r.opened_on.toordinal()),
        Column[SupervisionRow]("轮次", lambda r: f"第{r.round}轮", sort=lambda r: r.round, right=True),
        Column[SupervisionRow]("反馈期限", lambda r: _day(r.due), sort=lambda r: r.due.toordinal()),
        Column[SupervisionRow]("剩余", lambda r: left_text(r.left), sort=lambda r: r.left, colour=lambda r: r.colour),
        Column[SupervisionRow]("状态", lambda r: SUPERVISION_STATES.get(r.state, r.state)),
    )


# --- the SMS outbox --------------------------------------------------------------------------------------------

OUT_COL_STATUS = 0
OUT_COL_CASE_NO = 1
OUT_COL_KIND = 2
OUT_COL_CREATED = 3
OUT_COL_SENT = 4
OUT_COL_ATTEMPTS = 5
OUT_COL_ERROR = 6
OUT_COL_TEXT = 7

NOTICE_STATES = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
NOTICE_COLOURS = {"pending": "amber", "sent": "green", "failed": "red"}
NOTICE_KINDS = {
    "routed": "转送交办告知",
    "accepted": "受理告知",
    "not_accepted": "不予受理告知",
    "extended": "延期告知",
    "replied": "处理意见告知",
    "review_requested": "复查请求收到",
    "review_decided": "复查意见告知",
    "recheck_requested": "复核请求收到",
    "recheck_decided": "复核意见告知",
}


class OutboxTableModel(ClockColours[NoticeRow]):
    COLUMNS = (
        Column[NoticeRow]("状态", lambda r: NOTICE_STATES.get(r.status, r.status),
                          colour=lambda r: NOTICE_COLOURS.get(r.status, "")),
        Column[NoticeRow]("案件编号", lambda r: r.case_no),
        Column[NoticeRow]("通知事项", lambda r: NOTICE_KINDS.get(r.template, r.template)),
        Column[NoticeRow]("生成时间", lambda r: _when(r.created_at), sort=lambda r: r.created_at.timestamp()),
        Column[NoticeRow]("发送时间", lambda r: _when(r.sent_at),
                          sort=lambda r: r.sent_at.timestamp() if r.sent_at else 0.0),
        Column[NoticeRow]("发送次数", lambda r: str(r.attempts), sort=lambda r: r.attempts, right=True),
        Column[NoticeRow]("失败原因", lambda r: r.error),
        Column[NoticeRow]("短信内容", lambda r: r.text, tooltip=lambda r: r.text),
    )
