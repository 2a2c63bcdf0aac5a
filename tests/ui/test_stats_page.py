"""统计分析 page driven with qtbot on the demo data: the dashboard's figures and drill-down, the period report with
its exports and printing, the ranking with editable weights, the accessibility rule and the table models."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reception.stats import periods
from reception.stats.dashboard import dashboard
from reception.stats.indicators import REPORT_KEYS
from reception.stats.ranking import get_weights
from reception.stats.report import period_report
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import by_name, choose, click, sign_in, type_into
from ui.main_window import PAGE_STATISTICS, MainWindow
from ui.stats.page import TAB_RANKING, TAB_REPORT, StatsPage


class SaveAnswers:
    """Stands in for the save dialog: answers with a path in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.asked: list[str] = []

    def __call__(self, _parent: QWidget, suggested: str, kind: str) -> Path | None:
        self.asked.append(suggested)
        return self.folder / f"out.{kind}"


def open_page(window: MainWindow) -> StatsPage:
    window.nav.setCurrentRow(PAGE_STATISTICS)
    page = window.pages.currentWidget()
    assert isinstance(page, StatsPage)
    return page


def test_dashboard_shows_the_core_figures_and_lists_the_cases_behind_them(qtbot: QtBot, window: MainWindow) -> None:
    page = open_page(window)
    view = page.dashboard
    assert view.data is not None  # computed when the page was first shown
    assert not view.busy.isVisible() and view.status.text().startswith("统计时间")
    expected = dashboard(window.ctx, on=window.ctx.now().date(), sync=False)
    for scope, figures in (("today", expected.today_figures), ("month", expected.month_figures)):
        for f in figures:
            tile = view.tiles[(scope, f.key)]
            assert tile.text().split("\n") == [f.name, f"{f.text} {f.unit}"]
            assert tile.accessibleName() == tile.text()
    assert view.tiles[("now", "overdue")].text().endswith(f"{expected.overdue.value} 件")
    month_visits = expected.value("month", "visits")
    assert month_visits and month_visits > 0
    qtbot.mouseClick(view.tiles[("month", "visits")], Qt.MouseButton.LeftButton)
    dialog = view.drill_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.model.rowCount() == month_visits and f"共{month_visits}条" in dialog.heading.text()
    names = [dialog.model.row_object(i).petitioner for i in range(dialog.model.rowCount())]
    assert all("某" in n for n in names)  # masked
    # a breakdown row lists that township's new cases
    towns = view.breakdown_models[0]
    assert towns.rowCount() == len(expected.breakdowns[0].rows)
    table = view.breakdown_tabs.widget(0)
    first = towns.index(0, 0)
    table.clicked.emit(first)
    assert view.drill_dialog is not dialog and view.drill_dialog is not None
    assert view.drill_dialog.model.rowCount() == expected.breakdowns[0].rows[0][1]
    # the charts have their series
    assert len(view.trend_chart.series()) == 1 and view.trend_chart.series()[0].count() == 2
    assert len(view.town_chart.series()) == 1
    view.drill_dialog.close()
    dialog.close()


def test_report_period_errors_preview_drill_export_and_print(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                             printed: PrintRecorder) -> None:
    page = open_page(window)
    answers = SaveAnswers(tmp_path)
    page.set_save_path(answers)
    page.tabs.setCurrentIndex(TAB_REPORT)
    view = page.report
    choose(by_name(view, QComboBox, "统计期间"), "自定义")
    by_name(view, QDateEdit, "开始日期").setDate(QDate(2026, 7, 1))
    by_name(view, QDateEdit, "结束日期").setDate(QDate(2026, 6, 1))
    click(qtbot, view, "生成报告")
    assert view.report is None and view.chooser.error.isVisible()
    assert view.chooser.error.text() == "结束日期不能早于开始日期"
    assert not by_name(view, QPushButton, "导出Excel").isEnabled()

    today = window.ctx.now().date()
    choose(by_name(view, QComboBox, "统计期间"), "年度")
    assert not view.chooser.error.isVisible()
    by_name(view, QSpinBox, "年份").setValue(today.year)
    click(qtbot, view, "生成报告")
    assert view.report is not None and view.report.period == periods.year(today.year)
    expected = period_report(window.ctx, periods.year(today.year))
    figures = view.models["figures"]
    assert figures.rowCount() == len(REPORT_KEYS)
    shown = {figures.data(figures.index(i, 1)): figures.data(figures.index(i, 2)) for i in range(figures.rowCount())}
    assert shown == {f.name: f.text for f in expected.figures}
    # a figure's row lists its cases
    i = list(REPORT_KEYS).index("registrations")
    by_name(view, type(view.tabs.widget(0)), "主要指标").clicked.emit(figures.index(i, 0))
    assert view.drill_dialog is not None
    assert view.drill_dialog.listed.total == expected.value("registrations")

    click(qtbot, view, "导出Excel")
    wb = load_workbook(tmp_path / "out.xlsx")
    assert wb.sheetnames[0] == "主要指标" and "统计口径" in wb.sheetnames
    assert answers.asked[-1] == f"信访工作统计报告-{today.year}年度.xlsx"
    click(qtbot, view, "导出PDF")
    text = "".join((p.extract_text() or "") for p in PdfReader(tmp_path / "out.pdf").pages)
    assert "信访工作统计报告" in "".join(text.split())
    assert "已导出" in view.banner.label.text()
    click(qtbot, view, "打印")
    assert len(printed.calls) == 1
    path, data = printed.calls[0]
    assert not path.exists()  # the temporary file is removed after printing
    assert "信访工作统计报告" in "".join((PdfReader(io.BytesIO(data)).pages[0].extract_text() or "").split())
    view.drill_dialog.close()


def test_ranking_weights_are_edited_with_errors_next_to_the_field(qtbot: QtBot, window: MainWindow) -> None:
    page = open_page(window)
    page.tabs.setCurrentIndex(TAB_RANKING)
    view = page.ranking
    assert view.ranking is not None and view.town_model.rowCount() > 0 and view.dept_model.rowCount() > 0
    edit = by_name(view, QLineEdit, "按期受理率")
    assert edit.text() == "20"
    edit.clear()
    type_into(qtbot, edit, "abc")
    click(qtbot, view, "保存权重")
    error = view.weight_errors["accept_rate"]
    assert error.isVisible() and error.text() == "按期受理率的权重应为数字"
    assert edit.text() == "abc"  # what was typed is kept
    assert get_weights(window.ctx).accept_rate == 20
    edit.clear()
    type_into(qtbot, edit, "40")
    assert not error.isVisible()
    click(qtbot, view, "保存权重")  # the weights are the whole centre's: a desk officer may not change them
    assert get_weights(window.ctx).accept_rate == 20
    assert edit.text() == "40" and "无权" in view.banner.label.text()
    sign_in(window, "admin")
    click(qtbot, view, "保存权重")
    assert get_weights(window.ctx).accept_rate == 40
    assert "权重已保存" in view.banner.label.text()
    assert view.ranking.weights.accept_rate == 40
    first = view.dept_model.row_object(0)
    assert first[0] == 1  # ranked first
    view.dept_view.clicked.emit(view.dept_model.index(0, 0))
    assert view.drill_dialog is not None and view.drill_dialog.listed.total == first[2]
    view.drill_dialog.close()


def test_every_input_has_a_label_and_buttons_are_named(window: MainWindow) -> None:
    page = open_page(window)
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        tab = page.tabs.widget(index)
        inputs = [w for cls in (QComboBox, QLineEdit, QDateEdit, QSpinBox) for w in tab.findChildren(cls)
                  if w.isVisibleTo(tab) and not isinstance(w.parent(), (QComboBox, QDateEdit, QSpinBox))]
        assert inputs or index == 0
        buddies = {id(label.buddy()): label for label in tab.findChildren(QLabel) if label.buddy() is not None}
        for widget in inputs:
            label = buddies.get(id(widget))
            assert label is not None, f"{widget.accessibleName()} has no QLabel buddy"
            assert label.text() == widget.accessibleName()
        for b in tab.findChildren(QPushButton):
            assert b.accessibleName() == b.text(), b.text()


def test_table_models(qtmodeltester: ModelTester, window: MainWindow) -> None:
    page = open_page(window)
    view = page.dashboard
    for model in view.breakdown_models:
        qtmodeltester.check(model)
    qtbot_dialog_key = ("month", "registrations")
    view.tiles[qtbot_dialog_key].click()
    assert view.drill_dialog is not None
    qtmodeltester.check(view.drill_dialog.model)
    view.drill_dialog.close()
