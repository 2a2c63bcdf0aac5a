"""统计首页: today and this month at a glance, due-soon and overdue, the monthly trend (QtCharts) and this month's
breakdowns by township/street, category and unit. Computed in the background; every figure, bar and breakdown row
opens the list of cases behind it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.stats import periods
from reception.stats.dashboard import GLANCE_KEYS, Dashboard, dashboard
from reception.stats.drill import DrillList, drill, drill_filtered
from reception.stats.periods import Period
from ui.stats.common import DrillDialog, FigureTile, TableModel, table_view
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, button, field_label

BLUE = QColor("#4472c4")
ORANGE = QColor("#ed7d31")


def _bar_chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setMargins(chart.margins())
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(260)
    return chart, view


class DashboardView(QWidget):
    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.data: Dashboard | None = None
        self.drill_dialog: DrillDialog | None = None
        self.actor_id: str | None = None
        """The signed-in user: drill-downs list only the cases they may see."""
        self.loading = False

        self.day_edit = QDateEdit()
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("yyyy-MM-dd")
        today = ctx.now().date()
        self.day_edit.setDate(QDate(today.year, today.month, today.day))
        self.refresh_button = button("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        self.status = QLabel("")
        self.status.setObjectName("dashboardStatus")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: the first statistics of a large database take a while
        self.busy.setMaximumWidth(160)
        self.busy.setAccessibleName("正在统计")
        self.busy.hide()
        self.banner = Banner("error")
        top = QHBoxLayout()
        top.addWidget(field_label("统计日期", self.day_edit))
        top.addWidget(self.day_edit)
        top.addWidget(self.refresh_button)
        top.addWidget(self.busy)
        top.addWidget(self.status, 1)

        self.tiles: dict[tuple[str, str], FigureTile] = {}
        glance = QGridLayout()
        glance.setHorizontalSpacing(8)
        glance.setVerticalSpacing(8)
        self.today_label = QLabel("今日")
        self.month_label = QLabel("本月")
        for row, (scope, label) in enumerate((("today", self.today_label), ("month", self.month_label))):
            label.setStyleSheet("font-weight: bold; font-size: 14px;")
            glance.addWidget(label, row, 0)
            for col, key in enumerate(GLANCE_KEYS, start=1):
                tile = FigureTile(key, scope)
                tile.drill.connect(lambda k, s=scope: self.open_drill(k, s))
                self.tiles[(scope, key)] = tile
                glance.addWidget(tile, row, col)
        clocks = QLabel("时限")
        clocks.setStyleSheet("font-weight: bold; font-size: 14px;")
        glance.addWidget(clocks, 2, 0)
        for col, key in enumerate(("due_soon", "overdue"), start=1):
            tile = FigureTile(key, "now")
            tile.drill.connect(lambda k: self.open_drill(k, "now"))
            self.tiles[("now", key)] = tile
            glance.addWidget(tile, 2, col)

        self.trend_chart, self.trend_view = _bar_chart("近12个月来访与新登记事项")
        self.trend_view.setAccessibleName("逐月趋势图")
        self.town_chart, self.town_view = _bar_chart("本月新登记事项：按乡镇（街道）")
        self.town_view.setAccessibleName("乡镇（街道）分布图")
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.trend_view)
        charts.addWidget(self.town_view)
        charts.setSizes([600, 400])

        self.breakdown_tabs = QTabWidget()
        self.breakdown_tabs.setAccessibleName("本月分布")
        self.breakdown_models: list[TableModel] = []
        for title in ("按乡镇（街道）", "按问题类别", "按责任单位"):
            model = TableModel(self)
            view = table_view(f"本月{title}", model)
            view.clicked.connect(lambda index, m=model: self._breakdown_clicked(m, index))
            self.breakdown_models.append(model)
            self.breakdown_tabs.addTab(view, title)
        self.breakdown_tabs.setMinimumHeight(180)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addLayout(glance)
        layout.addWidget(charts, 1)
        layout.addWidget(QLabel("本月新登记事项分布（单击一行查看明细）"))
        layout.addWidget(self.breakdown_tabs, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    @property
    def day(self) -> date:
        d = self.day_edit.date()
        return date(d.year(), d.month(), d.day())

    # -- loading -----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute the dashboard of the chosen day off the UI thread."""
        day = self.day
        self.loading = True
        self.refresh_button.setEnabled(False)
        self.status.setText("正在统计…（首次统计大量数据时需要较长时间）")
        self.busy.show()
        self.banner.hide()
        self.tasks.op(lambda: dashboard(self.ctx, on=day, sync=False), self._loaded, what="stats_dashboard",
                      owner=self, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        self.busy.hide()
        self.refresh_button.setEnabled(True)
        self.status.setText("")
        self.banner.show_message(f"统计失败：{error_message(exc)}")

    def _loaded(self, d: Dashboard) -> None:
        self.loading = False
        self.busy.hide()
        self.data = d
        self.refresh_button.setEnabled(True)
        self.status.setText(f"统计时间：{d.generated_at:%H:%M:%S}")
        self.today_label.setText(f"今日\n{d.on:%m-%d}")
        self.month_label.setText(f"本月\n{d.month.start:%m-%d}起")
        for f in d.today_figures:
            self.tiles[("today", f.key)].set_figure(f)
        for f in d.month_figures:
            self.tiles[("month", f.key)].set_figure(f)
        self.tiles[("now", "due_soon")].set_figure(d.due_soon, alert=bool(d.due_soon.value))
        self.tiles[("now", "overdue")].set_figure(d.overdue, alert=bool(d.overdue.value))
        self._draw_trend(d)
        self._draw_towns(d)
        for model, table in zip(self.breakdown_models, d.breakdowns, strict=True):
            model.set_table(table)

    def _draw_trend(self, d: Dashboard) -> None:
        chart = self.trend_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        visits = QBarSet("来访（批次）")
        visits.setColor(BLUE)
        cases = QBarSet("新登记事项（件）")
        cases.setColor(ORANGE)
        for m in d.trend:
            visits.append(m.visits)
            cases.append(m.new_cases)
        series = QBarSeries()
        series.append(visits)
        series.append(cases)
        series.clicked.connect(lambda index, _set: self._month_clicked(index))
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([f"{m.month}月" for m in d.trend])
        y = QValueAxis()
        y.setLabelFormat("%d")
        y.setRange(0, max([1] + [m.visits for m in d.trend] + [m.new_cases for m in d.trend]))
        y.applyNiceNumbers()
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def _draw_towns(self, d: Dashboard) -> None:
        chart = self.town_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        table = d.breakdowns[0]
        rows = list(reversed(table.rows))
        filters = list(reversed(table.row_filters))
        bars = QBarSet("新登记事项（件）")
        bars.setColor(BLUE)
        for r in rows:
            bars.append(float(r[1]))
        series = QHorizontalBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        series.clicked.connect(lambda index, _set: self._open_filtered(table.drill_key, filters[index], rows[index][0]))
        chart.addSeries(series)
        y = QBarCategoryAxis()
        y.append([str(r[0]) for r in rows] or ["（无）"])
        y.setTruncateLabels(False)  # township names are short: show them whole rather than as "…"
        x = QValueAxis()
        x.setLabelFormat("%d")
        x.setRange(0, max([1] + [int(r[1]) for r in rows]))
        x.applyNiceNumbers()
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(y)
        series.attachAxis(x)
        chart.legend().setVisible(False)

    # -- drill-down --------------------------------------------------------------------------------------------------

    def period_of(self, scope: str) -> Period:
        if self.data is None:
            day = self.day
            return periods.day_range(day, day)
        return {"today": self.data.today, "month": self.data.month, "now": self.data.today}[scope]

    def open_drill(self, key: str, scope: str) -> None:
        period = self.period_of(scope)
        self._run_drill(lambda: drill(self.ctx, key, period, actor_id=self.actor_id), "")

    def _month_clicked(self, index: int) -> None:
        if self.data is None or not 0 <= index < len(self.data.trend):
            return
        m = self.data.trend[index]
        period = periods.month(m.year, m.month)
        self._run_drill(lambda: drill(self.ctx, "registrations", period, actor_id=self.actor_id), "")

    def _breakdown_clicked(self, model: TableModel, index: QModelIndex) -> None:
        filt = model.row_filter(index.row())
        if filt is None or model.table is None:
            return
        self._open_filtered(model.table.drill_key, filt, str(model.table.rows[index.row()][0]))

    def _open_filtered(self, key: str, filt: dict[str, str], label: str) -> None:
        if self.data is None:
            return
        period = self.data.month
        self._run_drill(lambda: drill_filtered(self.ctx, key, period, filt, actor_id=self.actor_id),
                        f"　{label}")

    def _run_drill(self, fn: Callable[[], DrillList], scope: str) -> None:
        def show(listed: DrillList) -> None:
            if self.drill_dialog is not None:
                self.drill_dialog.close()
            self.drill_dialog = DrillDialog(listed, self, scope=scope)
            self.drill_dialog.show()

        self.tasks.op(fn, show, what="stats_drill", owner=self, message=self.banner.show_message)
