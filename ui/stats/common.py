"""Pieces the statistics views share: a table model for the core's ``Table``, the drill-down dialog, figure tiles."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reception.stats.common import Figure, Table
from reception.stats.drill import DrillList, DrillRow
from ui.table_model import Column, RowTableModel
from ui.widgets import button

SavePathFn = Callable[[QWidget, str, str], Path | None]
"""(parent, suggested file name, kind "xlsx" or "pdf") → the chosen path, or None when cancelled."""


def ask_save_path(parent: QWidget, suggested: str, kind: str) -> Path | None:
    what = "Excel 工作簿 (*.xlsx)" if kind == "xlsx" else "PDF 文件 (*.pdf)"
    title = "导出Excel" if kind == "xlsx" else "导出PDF"
    path, _filter = QFileDialog.getSaveFileName(parent, title, str(Path.home() / suggested), what)
    if not path:
        return None
    return Path(path) if path.lower().endswith("." + kind) else Path(f"{path}.{kind}")


def temp_pdf(data: bytes, prefix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".pdf")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Path(name)


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class TableModel(RowTableModel[tuple[Any, ...]]):
    """A report table (headers and plain rows) as a Qt model; columns follow the table shown."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.table: Table | None = None
        self.COLUMNS: list[Column[tuple[Any, ...]]] = []

    def set_table(self, table: Table) -> None:
        self.beginResetModel()
        self.table = table
        self.COLUMNS = [_column(table, i) for i in range(len(table.headers))]
        self._rows = list(table.rows)
        self.endResetModel()

    def row_filter(self, row: int) -> dict[str, str] | None:
        if self.table is None or not 0 <= row < len(self.table.row_filters):
            return None
        return self.table.row_filters[row]


def _column(table: Table, i: int) -> Column[tuple[Any, ...]]:
    def display(r: tuple[Any, ...]) -> str:
        return "" if r[i] is None else str(r[i])

    def sort(r: tuple[Any, ...]) -> Any:
        return r[i] if isinstance(r[i], int | float) else str(r[i])

    numeric = bool(table.rows) and all(isinstance(r[i], int | float) for r in table.rows)
    return Column(table.headers[i], display, sort=sort, right=numeric)


def table_view(name: str, model: RowTableModel[Any]) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setWordWrap(True)
    return view


class DrillModel(RowTableModel[DrillRow]):
    COLUMNS = (
        Column("事项编号", lambda r: r.case_no or "—"),
        Column("日期", lambda r: f"{r.on:%Y-%m-%d}", sort=lambda r: r.on.toordinal()),
        Column("信访人", lambda r: r.petitioner),
        Column("问题类别", lambda r: r.category),
        Column("问题属地", lambda r: r.locality),
        Column("责任单位", lambda r: r.unit),
        Column("状态", lambda r: r.status_label),
        Column("说明", lambda r: r.detail),
    )


class DrillDialog(QDialog):
    """The cases behind a figure (names masked), with the figure's definition."""

    def __init__(self, listed: DrillList, parent: QWidget | None = None, *, scope: str = "") -> None:
        super().__init__(parent)
        self.listed = listed
        self.setWindowTitle(f"明细：{listed.title}")
        self.setObjectName("drillDialog")
        from ui.geometry import fit_to_screen

        fit_to_screen(self, 980, 520, centred=False)
        layout = QVBoxLayout(self)
        shown = f"，显示前{len(listed.rows)}条" if listed.truncated else ""
        self.heading = QLabel(f"{listed.title}　{listed.period.label}{scope}　共{listed.total}条{shown}")
        self.heading.setObjectName("drillHeading")
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        definition = QLabel(f"统计口径：{listed.definition}")
        definition.setWordWrap(True)
        definition.setStyleSheet("color: #546e7a;")
        self.model = DrillModel(self)
        self.model.set_rows(listed.rows)
        self.table = table_view("明细列表", self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        close = button("关闭")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addWidget(self.heading)
        layout.addWidget(definition)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)


class FigureTile(QPushButton):
    """A figure at a glance; clicking it lists the cases behind it. Its accessible name is its text."""

    drill = Signal(str)

    def __init__(self, key: str, scope: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"tile_{scope}_{key}")
        self.setMinimumSize(118, 64)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setStyleSheet(
            "QPushButton { background: #f5f8fb; border: 1px solid #cfd8dc; border-radius: 6px; padding: 6px;"
            " font-size: 13px; text-align: center; }"
            "QPushButton:hover { background: #e3f2fd; border-color: #1565c0; }"
        )
        self.clicked.connect(lambda: self.drill.emit(self.key))
        self.set_figure(None)

    def set_figure(self, f: Figure | None, *, alert: bool = False) -> None:
        if f is None:
            text = "…"
        else:
            value = f.text + ("" if f.unit in ("%",) else f" {f.unit}")
            text = f"{f.name}\n{value}"
            self.setToolTip(f"{f.definition}\n（单击查看明细）")
        self.setText(text)
        self.setAccessibleName(text)
        colour = "#c62828" if alert else "#263238"
        self.setStyleSheet(self.styleSheet().split("QPushButton { color")[0] + f"QPushButton {{ color: {colour}; }}")
