"""One read-only table model for every list in the desk app, in the style of Vorta's archive table model.

A model is a list of plain rows (dataclasses from the core) and a tuple of ``Column`` descriptions: column constants
in each module name the positions, ``set_rows`` resets, ``SortRole`` gives raw comparable values to a
``QSortFilterProxyModel`` and ``ObjectRole`` gives the row itself, so callers never index rows through a proxy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

SortRole = Qt.ItemDataRole.UserRole + 1
"""Raw, comparable values for QSortFilterProxyModel (dates as ordinals, counts as numbers)."""
ObjectRole = Qt.ItemDataRole.UserRole + 2
"""The row object itself."""


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    display: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    colour: Callable[[T], str] | None = None
    """A key of the model's ``COLOURS``: the cell takes that background and foreground."""
    tooltip: Callable[[T], str | None] | None = None
    right: bool = False
    icon: Callable[[T], QIcon | None] | None = None
    """The cell's icon (``ui.icons``), beside its text: the case list's states."""


class RowTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table of plain rows described by ``COLUMNS``."""

    COLUMNS: Sequence[Column[Any]] = ()
    COLOURS: Mapping[str, tuple[str | None, str | None]] = {}
    """Colour key → (background, foreground); either may be None."""

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
            colours = self.COLOURS.get(col.colour(row))
            colour = None if colours is None else colours[0 if role == Qt.ItemDataRole.BackgroundRole else 1]
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.DecorationRole and col.icon is not None:
            return col.icon(row)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(row) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
