"""统计报告: choose a period (年度 / 上半年 / 下半年 / 季度 / 月份 / 自定义), preview every table of the report,
list the cases behind a figure or a row, export Excel / PDF and print (the same print path as the receipts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QModelIndex
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.errors import FieldError
from reception.stats import periods
from reception.stats.drill import DrillList, drill, drill_filtered
from reception.stats.periods import Period
from reception.stats.report import PeriodReport, period_report
from ui.printing import PrintFn
from ui.stats.common import (
    DrillDialog,
    SavePathFn,
    TableModel,
    ask_save_path,
    remove_quietly,
    table_view,
    temp_pdf,
)
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, ErrorLabel, FieldCell, button, field_label

KINDS = (("year", "年度"), ("h1", "上半年"), ("h2", "下半年"), ("quarter", "季度"), ("month", "月份"),
         ("range", "自定义"))
TAB_TITLES = {"figures": "主要指标", "by_township": "按乡镇（街道）", "by_category": "按问题类别",
              "by_unit": "按责任单位", "monthly": "逐月情况"}


@dataclass(frozen=True, slots=True)
class Exported:
    report: PeriodReport
    details: tuple[DrillList, ...]


def with_details(ctx: AppContext, period: Period, actor_id: str | None = None) -> Exported:
    """The report and the detail lists the exports append (积案、督办、包案), read together."""
    from reception.stats.export import DETAIL_KEYS

    report = period_report(ctx, period)
    return Exported(report, tuple(drill(ctx, k, period, actor_id=actor_id) for k in DETAIL_KEYS))


class PeriodChooser(QWidget):
    """The period inputs, each with its label; ``period()`` raises ``FieldError`` for an impossible range."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind_combo = QComboBox()
        for value, label in KINDS:
            self.kind_combo.addItem(label, value)
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(today.year)
        self.quarter_combo = QComboBox()
        for q in range(1, 5):
            self.quarter_combo.addItem(f"第{'一二三四'[q - 1]}季度", q)
        self.quarter_combo.setCurrentIndex((today.month - 1) // 3)
        self.month_combo = QComboBox()
        for m in range(1, 13):
            self.month_combo.addItem(f"{m}月", m)
        self.month_combo.setCurrentIndex(today.month - 1)
        self.start_edit = QDateEdit()
        self.end_edit = QDateEdit()
        for edit, d in ((self.start_edit, date(today.year, 1, 1)), (self.end_edit, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate(d.year, d.month, d.day))
        self.error = ErrorLabel()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        items = (("统计期间", self.kind_combo), ("年份", self.year_spin), ("季度", self.quarter_combo),
                 ("月份", self.month_combo), ("开始日期", self.start_edit))
        for col, (text, w) in enumerate(items):
            grid.addWidget(field_label(text, w), 0, 2 * col)
            grid.addWidget(w, 0, 2 * col + 1)
        end_cell = FieldCell(self.end_edit)
        grid.addWidget(field_label("结束日期", self.end_edit), 0, 10)
        grid.addWidget(end_cell, 0, 11)
        grid.addWidget(self.error, 1, 8, 1, 4)
        self.kind_combo.currentIndexChanged.connect(self._update)
        for edit in (self.start_edit, self.end_edit):
            edit.dateChanged.connect(lambda _d: self.error.clear_message())
        self.kind_combo.setCurrentIndex(1 if today.month <= 6 else 2)
        self._update()

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def _update(self) -> None:
        kind = self.kind
        self.year_spin.setEnabled(kind != "range")
        self.quarter_combo.setEnabled(kind == "quarter")
        self.month_combo.setEnabled(kind == "month")
        self.start_edit.setEnabled(kind == "range")
        self.end_edit.setEnabled(kind == "range")
        self.error.clear_message()

    def period(self) -> Period:
        y = self.year_spin.value()
        kind = self.kind
        if kind == "year":
            return periods.year(y)
        if kind in ("h1", "h2"):
            return periods.half(y, 1 if kind == "h1" else 2)
        if kind == "quarter":
            return periods.quarter(y, int(self.quarter_combo.currentData()))
        if kind == "month":
            return periods.month(y, int(self.month_combo.currentData()))
        s, e = self.start_edit.date(), self.end_edit.date()
        return periods.of(date(s.year(), s.month(), s.day()), date(e.year(), e.month(), e.day()))

    def checked_period(self) -> Period | None:
        """The period, or None with the message shown next to the dates."""
        try:
            return self.period()
        except FieldError as exc:
            self.error.show_message(exc.message)
            return None


class ReportView(QWidget):
    def __init__(self, ctx: AppContext, tasks: TaskManager, printer: PrintFn, parent: QWidget | None = None,
                 *, save_path: SavePathFn | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.printer = printer
        self.save_path: SavePathFn = save_path or ask_save_path
        self.report: PeriodReport | None = None
        self.drill_dialog: DrillDialog | None = None
        self.actor_id: str | None = None
        """The signed-in user: drill-downs and exported detail lists hold only the cases they may see."""

        self.chooser = PeriodChooser(ctx.now().date())
        self.run_button = button("生成报告", default=True)
        self.xlsx_button = button("导出Excel")
        self.pdf_button = button("导出PDF")
        self.print_button = button("打印")
        self.run_button.clicked.connect(self.generate)
        self.xlsx_button.clicked.connect(lambda: self.export("xlsx"))
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self.print_button.clicked.connect(self.print_report)
        actions = QHBoxLayout()
        for b in (self.run_button, self.xlsx_button, self.pdf_button, self.print_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.banner = Banner("info")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.setAccessibleName("正在统计")
        self.busy.hide()
        actions.insertWidget(4, self.busy)
        self.title = QLabel("选择统计期间后点击“生成报告”。")
        self.title.setObjectName("reportTitle")
        self.title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("报告内容")
        self.models: dict[str, TableModel] = {}
        for key, title in TAB_TITLES.items():
            model = TableModel(self)
            view = table_view(title, model)
            view.clicked.connect(lambda index, m=model: self._row_clicked(m, index))
            self.models[key] = model
            self.tabs.addTab(view, title)
        hint = QLabel("单击指标或分布表中的一行，查看其背后的信访事项（姓名已脱敏）。")
        hint.setStyleSheet("color: #546e7a;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser)
        layout.addLayout(actions)
        layout.addWidget(self.banner)
        layout.addWidget(self.title)
        layout.addWidget(hint)
        layout.addWidget(self.tabs, 1)
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.run_button.setEnabled(not busy)
        for b in (self.xlsx_button, self.pdf_button, self.print_button):
            b.setEnabled(not busy and self.report is not None)

    def show_error(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.banner.show_message(error_message(exc), "error")

    # -- report ------------------------------------------------------------------------------------------------------

    def generate(self) -> None:
        period = self.chooser.checked_period()
        if period is None:
            return
        self.banner.show_message(f"正在统计{period.label}…", "info")
        self.tasks.op(lambda: period_report(self.ctx, period), self._shown, what="stats_report", owner=self,
                      message=self.banner.show_error, busy=self._set_busy)

    def _shown(self, report: PeriodReport) -> None:
        self.report = report
        p = report.period
        self.title.setText(f"信访工作统计报告　{p.label}（{p.start:%Y-%m-%d}至{p.end:%Y-%m-%d}）")
        for table in report.tables:
            if table.key in self.models:
                self.models[table.key].set_table(table)
        self.banner.hide()
        self._set_busy(False)

    def _row_clicked(self, model: TableModel, index: QModelIndex) -> None:
        filt = model.row_filter(index.row())
        if filt is None or model.table is None or self.report is None:
            return
        period = self.report.period
        if "key" in filt:
            key, kw, scope = filt["key"], dict[str, str](), ""
        else:
            key, kw, scope = model.table.drill_key, filt, f"　{model.table.rows[index.row()][0]}"

        def show(listed: DrillList) -> None:
            if self.drill_dialog is not None:
                self.drill_dialog.close()
            self.drill_dialog = DrillDialog(listed, self, scope=scope)
            self.drill_dialog.show()

        actor = self.actor_id
        self.tasks.op(lambda: drill_filtered(self.ctx, key, period, kw, actor_id=actor), show, what="stats_drill",
                      owner=self, on_error=self.show_error)

    # -- export and print --------------------------------------------------------------------------------------------

    def export(self, kind: str) -> None:
        if self.report is None:
            return
        period = self.report.period
        path = self.save_path(self, f"信访工作统计报告-{period.label}.{kind}", kind)
        if path is None:
            return

        def write() -> Path:
            from reception.stats.export import report_pdf, report_xlsx

            e = with_details(self.ctx, period, self.actor_id)
            data = report_xlsx(e.report, e.details) if kind == "xlsx" else report_pdf(e.report, e.details)
            path.write_bytes(data)
            return path

        def failed(exc: BaseException) -> None:
            if isinstance(exc, OSError):
                self.banner.show_message(f"无法保存到 {path}：文件可能正被打开，或没有写入权限。", "error")
            else:
                self.show_error(exc)

        self.tasks.op(write, lambda p: self.banner.show_message(f"已导出：{p}", "info"), what=f"stats_export_{kind}",
                      owner=self, on_error=failed, busy=self._set_busy)

    def print_report(self) -> None:
        if self.report is None:
            return
        period = self.report.period

        def render() -> Path:
            from reception.stats.export import report_pdf

            e = with_details(self.ctx, period, self.actor_id)
            return temp_pdf(report_pdf(e.report, e.details), "stats-report-")

        def done(path: Path) -> None:
            try:
                self.printer(self.window(), path)
            except Exception as exc:  # a printer driver problem: say so, never a traceback
                self.show_error(exc)
            finally:
                remove_quietly(path)

        self.tasks.op(render, done, what="stats_print", owner=self, message=self.banner.show_error, busy=self._set_busy)
