"""Table models of the case-tracking tabs: due-soon / overdue clocks, supervision (督办) and the SMS outbox.

In the style of Vorta's archive table model (column constants, ``set_rows`` with a reset, a sort role for
``QSortFilterProxyModel`` and an object role so callers never index rows through a proxy). Clock cells read
"允许N日，已过M日，剩K日" on a green / amber / red background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from reception.db.base import to_local
from reception.domain.deadlines import ClockUnit, get_clock
from reception.lifecycle.notify import NoticeRow
from reception.lifecycle.service import ClockRow, SupervisionRow
from ui.cases.model import ObjectRole, SortRole

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

# colour name -> (background, foreground)
CLOCK_COLOURS: dict[str, tuple[str, str]] = {
    "green": ("#e8f5e9", "#1b5e20"),
    "amber": ("#fff3e0", "#e65100"),
    "red": ("#ffebee", "#b71c1c"),
    "expired": ("#eceff1", "#455a64"),
}
COLOUR_LABELS = {"green": "正常", "amber": "临期", "red": "已超期", "expired": "已届满"}


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


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    display: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    colour: Callable[[T], str] | None = None
    """The clock colour name ("green" …) whose background and foreground the cell takes."""
    tooltip: Callable[[T], str] | None = None
    right: bool = False


class RowTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table of plain rows described by ``COLUMNS``."""

    COLUMNS: Sequence[Column[Any]] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[T]:
        return list(self._rows)

    def row_object(self, row: int) -> T:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section].header
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (not index.isValid() or not 0 <= index.row() < len(self._rows)
                or not 0 <= index.column() < len(self.COLUMNS)):
            return None
        row = self._rows[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(row)
        if role == SortRole:
            return col.sort(row) if col.sort is not None else col.display(row)
        if role == ObjectRole:
            return row
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and col.colour is not None:
            colours = CLOCK_COLOURS.get(col.colour(row))
            if colours is None:
                return None
            return QBrush(QColor(colours[0 if role == Qt.ItemDataRole.BackgroundRole else 1]))
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(row) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


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


class ClockTableModel(RowTableModel[ClockRow]):
    COLUMNS = (
        Column[ClockRow]("案件编号", lambda r: r.case_no),
        Column[ClockRow]("案件状态", lambda r: r.status_label),
        Column[ClockRow]("时限", lambda r: r.label),
        Column[ClockRow]("责任单位", lambda r: r.unit_name or "—"),
        Column[ClockRow]("起算日", lambda r: _day(r.start), sort=lambda r: r.start.toordinal()),
        Column[ClockRow]("到期日", lambda r: _day(r.due) + ("（未确认）" if r.unconfirmed else ""),
                         sort=lambda r: r.due.toordinal(),
                         tooltip=lambda r: "到期日所在年度的节假日安排尚未确认" if r.unconfirmed else ""),
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


class SupervisionTableModel(RowTableModel[SupervisionRow]):
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


class OutboxTableModel(RowTableModel[NoticeRow]):
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
