"""The case list's table model (in the style of Vorta's archive table model)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from reception.services.dto import CaseSummary
from ui.widgets import shown_flags

Index = QModelIndex | QPersistentModelIndex

COL_CASE_NO = 0
COL_REGISTERED = 1
COL_PETITIONER = 2
COL_ID = 3
COL_PHONE = 4
COL_CATEGORY = 5
COL_LOCALITY = 6
COL_UNIT = 7
COL_STATUS = 8
COL_VISITS = 9
COL_LAST_VISIT = 10
COL_FLAGS = 11

HEADERS = {
    COL_CASE_NO: "案件编号",
    COL_REGISTERED: "登记日期",
    COL_PETITIONER: "信访人",
    COL_ID: "证件号码",
    COL_PHONE: "联系电话",
    COL_CATEGORY: "问题类别",
    COL_LOCALITY: "问题属地",
    COL_UNIT: "责任单位",
    COL_STATUS: "状态",
    COL_VISITS: "来访次数",
    COL_LAST_VISIT: "最近来访",
    COL_FLAGS: "提示",
}
COLUMN_COUNT = len(HEADERS)

SortRole = Qt.ItemDataRole.UserRole + 1
"""Raw, comparable values for QSortFilterProxyModel (dates as dates, counts as numbers)."""
ObjectRole = Qt.ItemDataRole.UserRole + 2
"""The row's CaseSummary, so callers never index rows through a proxy."""


def _day(d: date) -> str:
    return f"{d:%Y-%m-%d}"


_DISPLAY: dict[int, Callable[[CaseSummary], str]] = {
    COL_CASE_NO: lambda c: c.case_no,
    COL_REGISTERED: lambda c: _day(c.registered_on),
    COL_PETITIONER: lambda c: c.petitioner_names,
    COL_ID: lambda c: c.id_masked,
    COL_PHONE: lambda c: c.phone_masked,
    COL_CATEGORY: lambda c: c.category,
    COL_LOCALITY: lambda c: c.locality,
    COL_UNIT: lambda c: c.unit,
    COL_STATUS: lambda c: c.status_label,
    COL_VISITS: lambda c: str(c.visit_count),
    COL_LAST_VISIT: lambda c: _day(c.last_visit_on),
    COL_FLAGS: lambda c: "、".join(f.label for f in shown_flags(c)),
}


class CaseTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseSummary] = []

    def set_rows(self, rows: Sequence[CaseSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_object(self, row: int) -> CaseSummary:
        return self._rows[row]

    def rows(self) -> list[CaseSummary]:
        return list(self._rows)

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
        case = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(case, column)
        if role == SortRole:
            return self._sort_value(case, column)
        if role == ObjectRole:
            return case
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_VISITS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_CATEGORY, COL_UNIT, COL_PETITIONER):
            return f"诉求：{case.request_excerpt}" if case.request_excerpt else None
        return None

    def _display(self, case: CaseSummary, column: int) -> str | None:
        getter = _DISPLAY.get(column)
        return getter(case) if getter is not None else None

    def _sort_value(self, case: CaseSummary, column: int) -> Any:
        if column == COL_REGISTERED:
            return case.registered_on.toordinal()
        if column == COL_LAST_VISIT:
            return case.last_visit_on.toordinal()
        if column == COL_VISITS:
            return case.visit_count
        return self._display(case, column)
