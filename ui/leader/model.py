"""The leader's queue as a table model (column constants, ``set_rows`` with reset, sort and object roles)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from reception.leader.service import QueueItem, QueueState

Index = QModelIndex | QPersistentModelIndex

COL_TIME = 0
COL_CASE_NO = 1
COL_PETITIONER = 2
COL_HEADCOUNT = 3
COL_CATEGORY = 4
COL_STATE = 5

HEADERS = {
    COL_TIME: "时间",
    COL_CASE_NO: "案件编号",
    COL_PETITIONER: "信访人",
    COL_HEADCOUNT: "人数",
    COL_CATEGORY: "问题类别",
    COL_STATE: "状态",
}
COLUMN_COUNT = len(HEADERS)

SortRole = Qt.ItemDataRole.UserRole + 1
ObjectRole = Qt.ItemDataRole.UserRole + 2
"""The row's QueueItem, so callers never index rows through a proxy."""

WAITING_COLOUR = "#e65100"
RECEIVED_COLOUR = "#2e7d32"


def _time(q: QueueItem) -> str:
    return f"{q.at:%H:%M}" + ("　约访" if q.source == "appointment" else "")


def _state(q: QueueItem) -> str:
    if q.state is QueueState.RECEIVED:
        return f"已接访（{q.outcome_label}）" if q.outcome_label else "已接访"
    return q.state.label


_DISPLAY: dict[int, Callable[[QueueItem], str]] = {
    COL_TIME: _time,
    COL_CASE_NO: lambda q: q.case_no,
    COL_PETITIONER: lambda q: q.petitioner,
    COL_HEADCOUNT: lambda q: str(q.headcount),
    COL_CATEGORY: lambda q: q.category,
    COL_STATE: _state,
}


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueItem] = []

    def set_rows(self, rows: Sequence[QueueItem]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[QueueItem]:
        return list(self._rows)

    def row_object(self, row: int) -> QueueItem:
        return self._rows[row]

    def row_of(self, key: str) -> int:
        """The row of the item with ``key`` (visit, appointment or case id); -1 when absent."""
        return next((i for i, q in enumerate(self._rows) if q.key == key), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(section)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            getter = _DISPLAY.get(column)
            return getter(item) if getter is not None else None
        if role == SortRole:
            if column == COL_TIME:
                return item.at.timestamp()
            if column == COL_HEADCOUNT:
                return item.headcount
            getter = _DISPLAY.get(column)
            return getter(item) if getter is not None else None
        if role == ObjectRole:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_HEADCOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATE:
            return QColor(RECEIVED_COLOUR if item.state is QueueState.RECEIVED else WAITING_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_PETITIONER, COL_CATEGORY):
            return f"诉求：{item.request}" if item.request else None
        return None
