"""管理 → 基础数据: the administrative directory, handling units, the category tree and the routing rules.

One tab per kind, each a list with 新增 / 编辑 / 停用 / 启用 (records are never deleted: a retired unit is no longer
offered at intake, while the cases routed to it still show it), and for the whole workbook 下载模板 (the template:
every record this desk holds, so on a new desk the empty sheets), 导入 (all or nothing, with the report of every
problem: sheet, row, column, reason) and 导出. The rules are the core's (``reception.reference``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.enums import LocalityLevel, RoutingAction, UnitKind
from reception.reference.model import (
    ACTIVE_TEXT,
    COLUMNS,
    LEVEL_CHOICES,
    RETIRED_TEXT,
    RULE_ACTIONS,
    CategoryRow,
    Column,
    Issue,
    Kind,
    LocalityRow,
    Row,
    RuleRow,
    UnitRow,
)
from reception.reference.store import (
    ImportSummary,
    ReferenceImportError,
    export_workbook,
    import_workbook,
    rows_with_ids,
    save_row,
    set_active,
)
from ui.admin.forms import FieldForm
from ui.tasks import TaskManager, disable, error_message
from ui.widgets import Banner, button, confirm_row

ROW_TYPES: dict[Kind, type[Any]] = {Kind.LOCALITY: LocalityRow, Kind.UNIT: UnitRow, Kind.CATEGORY: CategoryRow,
                                    Kind.RULE: RuleRow}
REF_COLUMNS = {"parent_code", "locality_code", "category_code", "unit_code"}
ENUMS: dict[tuple[Kind, str], list[tuple[str, str]]] = {
    (Kind.LOCALITY, "level"): [(lv.label, lv.value) for lv in LEVEL_CHOICES],
    (Kind.UNIT, "kind"): [(k.label, k.value) for k in UnitKind],
    (Kind.RULE, "action"): [(a.label, a.value) for a in RULE_ACTIONS],
}
TEMPLATE_NAME = "基础数据导入模板.xlsx"


def shown_columns(kind: Kind) -> tuple[Column, ...]:
    return tuple(c for c in COLUMNS[kind] if c.attr != "rule_id")


def _display(kind: Kind, attr: str, value: Any, names: dict[Kind, dict[str, str]]) -> str:
    if attr == "active":
        return ACTIVE_TEXT if value else RETIRED_TEXT
    if attr == "level":
        return LocalityLevel.label_of(value)
    if attr == "kind":
        return UnitKind.label_of(value)
    if attr == "action":
        return RoutingAction.label_of(value)
    if attr in REF_COLUMNS and value:
        target = _target(kind, attr)
        name = names.get(target, {}).get(value, "")
        return f"{value} {name}".strip()
    if attr in REF_COLUMNS and not value and kind is Kind.RULE and attr == "locality_code":
        return "全区"
    return str(value)


def _target(kind: Kind, attr: str) -> Kind:
    if attr == "parent_code":
        return kind
    return {"locality_code": Kind.LOCALITY, "category_code": Kind.CATEGORY, "unit_code": Kind.UNIT}[attr]


class RowDialog(QDialog):
    """新增 / 编辑 one record: one labelled field per column (codes of other records chosen from lists)."""

    saved = Signal(str)

    def __init__(self, admin: ReferenceAdmin, kind: Kind, record_id: str | None, row: Row | None) -> None:
        super().__init__(admin)
        self.admin = admin
        self.kind = kind
        self.record_id = record_id
        self.setObjectName("referenceRowDialog")
        self.setWindowTitle(f"{'编辑' if record_id else '新增'}{kind.sheet}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.form = FieldForm()
        self.inputs: dict[str, QWidget] = {}
        for column in shown_columns(kind):
            if column.attr == "active":
                continue
            value = getattr(row, column.attr) if row is not None else None
            self.inputs[column.attr] = self.form.add(column.attr, column.header, self._input(column, value))
        self.form.add_general()
        layout.addLayout(self.form)
        self.ok_button, _cancel = confirm_row(layout, "保存", self.submit, self.reject)
        self.active = getattr(row, "active", True) if row is not None else True

    def _input(self, column: Column, value: Any) -> QWidget:
        attr = column.attr
        if (self.kind, attr) in ENUMS:
            combo = QComboBox()
            for text, data in ENUMS[(self.kind, attr)]:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
            return combo
        if attr in REF_COLUMNS:
            combo = QComboBox()
            empty = "全区" if (self.kind, attr) == (Kind.RULE, "locality_code") else "（无）"
            if not column.required:
                combo.addItem(empty, "")
            target = _target(self.kind, attr)
            for code, name, active in self.admin.choices(target):
                if active or code == value:
                    combo.addItem(f"{code} {name}" + ("" if active else "（已停用）"), code)
            combo.setCurrentIndex(max(0, combo.findData(value or "")))
            return combo
        if attr in ("sort_order", "priority"):
            spin = QSpinBox()
            spin.setRange(-9999, 9999)
            spin.setValue(int(value or 0))
            return spin
        edit = QLineEdit("" if value is None else str(value))
        return edit

    def row(self) -> Row:
        values: dict[str, Any] = {"active": self.active}
        for attr, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                values[attr] = widget.currentData() or ""
            elif isinstance(widget, QSpinBox):
                values[attr] = widget.value()
            elif isinstance(widget, QLineEdit):
                values[attr] = widget.text().strip()
        row: Row = ROW_TYPES[self.kind](**values)
        return row

    def submit(self) -> None:
        self.form.clear_errors()
        ctx, kind, record_id, row = self.admin.ctx, self.kind, self.record_id, self.row()
        actor = self.admin.actor_id

        def done(saved_id: str) -> None:
            self.saved.emit(saved_id)
            self.accept()

        self.admin.tasks.op(lambda: save_row(ctx, kind, row, record_id=record_id, actor_id=actor), done,
                            what="reference_save", write=True, owner=self, on_error=self.form.show_error,
                            busy=disable(self.ok_button))


class ReferenceTab(QWidget):
    def __init__(self, admin: ReferenceAdmin, kind: Kind) -> None:
        super().__init__()
        self.admin = admin
        self.kind = kind
        self.rows: list[tuple[str, Row]] = []
        layout = QVBoxLayout(self)
        columns = shown_columns(kind)
        self.table = QTableWidget(0, len(columns))
        self.table.setAccessibleName(f"{kind.sheet}列表")
        self.table.setHorizontalHeaderLabels([c.header for c in columns])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = button("新增…")
        self.edit_button = button("编辑…")
        self.retire_button = button("停用")
        self.restore_button = button("启用")
        for b in (self.add_button, self.edit_button, self.retire_button, self.restore_button):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.retire_button.clicked.connect(lambda: self.set_active(False))
        self.restore_button.clicked.connect(lambda: self.set_active(True))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.dialog: RowDialog | None = None
        self._selection_changed()

    def fill(self, rows: list[tuple[str, Row]], names: dict[Kind, dict[str, str]]) -> None:
        chosen = self.selected_id()
        self.rows = rows
        columns = shown_columns(self.kind)
        self.table.setRowCount(len(rows))
        for r, (rid, row) in enumerate(rows):
            for c, column in enumerate(columns):
                item = QTableWidgetItem(_display(self.kind, column.attr, getattr(row, column.attr), names))
                item.setData(Qt.ItemDataRole.UserRole, rid)
                if not getattr(row, "active", True):
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        if chosen:
            self.select(chosen)
        self._selection_changed()

    def select(self, record_id: str) -> None:
        for r, (rid, _row) in enumerate(self.rows):
            if rid == record_id:
                self.table.selectRow(r)
                return

    def select_row_where(self, **values: Any) -> None:
        """Select the first row whose attributes equal ``values`` (tests, and after a save)."""
        for rid, row in self.rows:
            if all(getattr(row, k) == v for k, v in values.items()):
                self.select(rid)
                return
        raise LookupError(values)

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def selected_row(self) -> Row | None:
        rid = self.selected_id()
        return next((row for i, row in self.rows if i == rid), None)

    def _selection_changed(self) -> None:
        row = self.selected_row()
        self.edit_button.setEnabled(row is not None)
        self.retire_button.setEnabled(row is not None and getattr(row, "active", False))
        self.restore_button.setEnabled(row is not None and not getattr(row, "active", True))

    def add(self) -> RowDialog:
        return self._open(None, None)

    def edit(self) -> RowDialog | None:
        rid, row = self.selected_id(), self.selected_row()
        return self._open(rid, row) if rid and row is not None else None

    def _open(self, rid: str | None, row: Row | None) -> RowDialog:
        dialog = RowDialog(self.admin, self.kind, rid, row)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, record_id: str) -> None:
        self.admin.changed_here(f"已保存{self.kind.sheet}", select=(self.kind, record_id))

    def set_active(self, active: bool) -> None:
        rid = self.selected_id()
        if not rid:
            return
        ctx, kind, actor = self.admin.ctx, self.kind, self.admin.actor_id

        said = f"已{'启用' if active else '停用'}"
        self.admin.tasks.op(lambda: set_active(ctx, kind, rid, active, actor_id=actor),
                            lambda _none: self.admin.changed_here(said, select=(kind, rid)), what="reference_retire",
                            write=True, owner=self, message=self.admin.banner.show_error)


class ReferenceAdmin(QDialog):
    """The 基础数据 window (non-modal). ``changed`` is emitted after every stored change (the main window then
    reads the directory again, so the intake form offers what was added and no longer what was retired)."""

    changed = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.actor_id = actor_id
        self.setObjectName("referenceAdmin")
        self.setWindowTitle("基础数据")
        self.resize(1000, 640)
        self.open_file: Callable[[], Path | None] = self._ask_open
        self.save_file: Callable[[str], Path | None] = self._ask_save
        self.all_rows: dict[Kind, list[tuple[str, Row]]] = {k: [] for k in Kind}
        layout = QVBoxLayout(self)
        self.banner = Banner("info")
        layout.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("基础数据类别")
        self.tab: dict[Kind, ReferenceTab] = {}
        for kind in Kind:
            self.tab[kind] = ReferenceTab(self, kind)
            self.tabs.addTab(self.tab[kind], kind.sheet)
        layout.addWidget(self.tabs, 1)
        self.report_label = QLabel("导入检查结果")
        self.report = QTableWidget(0, 4)
        self.report.setAccessibleName("导入检查结果")
        self.report_label.setBuddy(self.report)
        self.report.setHorizontalHeaderLabels(["工作表", "行", "列", "问题"])
        self.report.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.report.horizontalHeader().setStretchLastSection(True)
        self.report.verticalHeader().hide()
        self.report.setMaximumHeight(180)
        layout.addWidget(self.report_label)
        layout.addWidget(self.report)
        self.report_label.hide()
        self.report.hide()
        row = QHBoxLayout()
        self.template_button = button("下载模板…")
        self.import_button = button("导入…")
        self.export_button = button("导出…")
        self.close_button = button("关闭")
        for b in (self.template_button, self.import_button, self.export_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.template_button.clicked.connect(lambda: self.export(TEMPLATE_NAME))
        self.export_button.clicked.connect(lambda: self.export("基础数据.xlsx"))
        self.import_button.clicked.connect(self.import_file)
        self.close_button.clicked.connect(self.close)
        self.refresh()

    # -- data ------------------------------------------------------------------------------------------------------

    def choices(self, kind: Kind) -> list[tuple[str, str, bool]]:
        return [(getattr(r, "code", ""), getattr(r, "name", ""), r.active) for _i, r in self.all_rows[kind]]

    def refresh(self, select: tuple[Kind, str] | None = None) -> None:
        ctx = self.ctx

        def read() -> dict[Kind, list[tuple[str, Row]]]:
            with ctx.db.read() as session:
                return rows_with_ids(session)

        def done(rows: dict[Kind, list[tuple[str, Row]]]) -> None:
            self.all_rows = rows
            names = {k: {getattr(r, "code", ""): getattr(r, "name", "") for _i, r in rows[k]} for k in Kind}
            for kind, tab in self.tab.items():
                tab.fill(rows[kind], names)
            if select is not None:
                self.tab[select[0]].select(select[1])
            missing = [k.sheet for k in Kind if not any(r.active for _i, r in rows[k])]
            if missing and not self.banner.isVisible():
                self.show_message("尚无" + "、".join(missing) + "：请“下载模板”，填写后“导入”，或逐条“新增”。"
                                  "来访登记需要问题类别和属地；交办规则让系统建议责任单位。", "warning")

        self.tasks.op(read, done, what="reference_rows", owner=self, message=self.banner.show_error)

    def changed_here(self, message: str, *, select: tuple[Kind, str] | None = None) -> None:
        self.show_message(message, "success")
        self.refresh(select)
        self.changed.emit()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.banner.show_message(text, kind)

    # -- workbook --------------------------------------------------------------------------------------------------

    def _ask_open(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self, "导入基础数据", "", "Excel 工作簿 (*.xlsx)")
        return Path(name) if name else None

    def _ask_save(self, suggested: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self, "保存", suggested, "Excel 工作簿 (*.xlsx)")
        return Path(name) if name else None

    def export(self, suggested: str) -> None:
        target = self.save_file(suggested)
        if target is None:
            return
        ctx, actor = self.ctx, self.actor_id
        self.show_message("正在导出…")

        def run() -> Path:
            data = export_workbook(ctx, actor_id=actor)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            return target

        def done(path: Path) -> None:
            self.show_message(f"已保存：{path}", "success")

        def failed(exc: BaseException) -> None:
            self.show_message(error_message(exc) if not isinstance(exc, OSError) else f"无法写入文件：{target}",
                              "error")

        self.tasks.run(run, done, failed, owner=self, what="reference_export")

    def import_file(self) -> None:
        source = self.open_file()
        if source is None:
            return
        ctx, actor = self.ctx, self.actor_id
        self.show_message(f"正在检查并导入 {source.name}…")
        self.import_button.setEnabled(False)
        self.show_report([])

        def done(summary: ImportSummary) -> None:
            self.import_button.setEnabled(True)
            self.changed_here(f"已导入 {source.name}：{summary.text}")

        def failed(exc: BaseException) -> None:
            self.import_button.setEnabled(True)
            if isinstance(exc, ReferenceImportError):
                self.show_report(exc.issues)
                self.show_message(f"{source.name} 有{len(exc.issues)}处问题，未导入任何数据。请按下方列出的"
                                  "行和列修改后重新导入。", "error")
            else:
                self.show_message(error_message(exc) if not isinstance(exc, OSError)
                                  else f"无法读取文件：{source}", "error")

        self.tasks.run_write(lambda: import_workbook(ctx, source, actor_id=actor), done, failed, owner=self,
                             what="reference_import")

    def show_report(self, issues: list[Issue]) -> None:
        self.report.setRowCount(len(issues))
        for r, issue in enumerate(issues):
            for c, text in enumerate((issue.sheet, str(issue.row or ""), issue.column, issue.message)):
                self.report.setItem(r, c, QTableWidgetItem(text))
        self.report.resizeColumnsToContents()
        self.report.horizontalHeader().setStretchLastSection(True)
        self.report_label.setVisible(bool(issues))
        self.report.setVisible(bool(issues))

    def report_rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.report.item(r, c).text() for c in range(4))  # type: ignore[union-attr]
                for r in range(self.report.rowCount())]
