"""The main window: title, navigation, the statistics page (no placeholders left), status bar, shortcuts,
settings, start-up."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

from reception.db.settings import load_desk_settings
from reception.domain.enums import ReceiptLayout
from reception.roster.service import duty_leaders_on
from tests.clock import UI_NOW, Clock
from tests.ui.helpers import by_name, choose, click, fill_valid
from ui import app
from ui.main_window import NAV_ITEMS, PAGE_INTAKE, PAGE_STATISTICS, MainWindow


def test_title_navigation_and_status_bar(window: MainWindow) -> None:
    assert window.windowTitle() == "信访接待一站式服务台"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == list(NAV_ITEMS)
    assert NAV_ITEMS == ("来访登记", "案件查询", "领导接访排班", "领导接访", "统计分析", "数据同步")
    status = [label.text() for label in window.statusBar().findChildren(QLabel)]
    assert "工位：一号接待窗口（JD01）" in status
    assert "当前用户：刘晓燕（接待窗口工作人员）" in status
    assert duty_leaders_on(window.ctx, window.ctx.now().date()).label in status
    assert "同步：单机模式" in status


def test_only_the_first_page_is_built_with_the_window(qtbot: QtBot, window: MainWindow) -> None:
    """The other pages are built when first needed (bench_main_window: memory and the wait after 登录), in their
    place in the stack, by the navigation and by the shortcuts; the status bar and the sync's schedule run from the
    start without them, and the sync page built during a sync shows it running."""
    from ui.main_window import PAGE_CASES, PAGE_LEADER, PAGE_ROSTER, PAGE_SYNC
    from ui.roster.page import RosterPage
    from ui.sync.page import SyncPage

    assert [window.page_set.built(i) is not None for i in range(len(NAV_ITEMS))] == [True] + [False] * 5
    assert window.pages.count() == len(NAV_ITEMS) and window.pages.currentWidget() is window.intake_page
    assert window.sync.timer.isActive() and window.status.deadline_timer.isActive()
    assert window.sync_status.text() == "同步：单机模式" and "超期" in window.deadline_status.text()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.page_set.built(PAGE_CASES) is window.pages.widget(PAGE_CASES) is window.pages.currentWidget()
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.nav.visualItemRect(window.nav.item(PAGE_ROSTER)).center())
    roster = window.pages.currentWidget()
    assert isinstance(roster, RosterPage) and window.roster_page is roster and window.pages.indexOf(roster) == 2
    assert window.page_set.built(PAGE_LEADER) is None and window.page_set.built(PAGE_SYNC) is None
    window.sync.running = True  # (a sync under way when the page is first built)
    window.show_page(PAGE_SYNC)
    page = window.pages.currentWidget()
    assert isinstance(page, SyncPage) and window.sync_page is page
    assert page.sync_button.text() == "正在同步…" and not page.sync_button.isEnabled()
    window.sync.running = False
    assert window.pages.count() == len(NAV_ITEMS)


def test_no_area_is_a_placeholder_any_more(window: MainWindow) -> None:
    from ui.stats.page import StatsPage

    window.nav.setCurrentRow(PAGE_STATISTICS)
    page = window.pages.currentWidget()
    assert isinstance(page, StatsPage) and page.findChild(QLabel, "placeholderNotice") is None


def test_shortcuts(qtbot: QtBot, window: MainWindow, printed: object) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.cases_page
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentIndex() == PAGE_INTAKE
    page = window.intake_page
    fill_valid(qtbot, page.form)
    qtbot.keyClick(page.form.name_edit, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert page.result is not None
    assert len(getattr(printed, "calls", [])) == 1
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert page.result is None and page.form.name_edit.text() == ""


def test_settings_dialog_stores_the_receipt_paper(qtbot: QtBot, window: MainWindow) -> None:
    window.open_settings()
    dialog = window.settings_dialog
    paper = by_name(dialog, QComboBox, "回执纸张")
    assert [paper.itemText(i) for i in range(paper.count())] == ["A4", "A5", "80毫米热敏纸"]
    choose(paper, "80毫米热敏纸")
    click(qtbot, dialog, "保存")
    with window.ctx.db.read() as s:
        assert load_desk_settings(s).layout is ReceiptLayout.THERMAL_80
    assert window.reference.settings.layout is ReceiptLayout.THERMAL_80
    # the next receipt uses it: thermal paper is 80 mm wide
    page = window.intake_page
    fill_valid(qtbot, page.form)
    click(qtbot, page, "保存")
    assert page.result is not None and page.result.receipt_path
    from pypdf import PdfReader

    width = float(PdfReader(page.result.receipt_path).pages[0].mediabox.width)
    assert abs(width - 80 / 25.4 * 72) < 2


def test_settings_dialog_sets_the_roll_over_rule(qtbot: QtBot, window: MainWindow) -> None:
    from reception.domain.deadlines import RollPolicy
    from tests.ui.helpers import sign_in

    window.open_settings()  # the desk officer sees the rule but may not change it
    assert not by_name(window.settings_dialog, QComboBox, "期限末日顺延").isEnabled()
    window.settings_dialog.reject()
    sign_in(window, "admin")
    window.open_settings()
    dialog = window.settings_dialog
    roll = by_name(dialog, QComboBox, "期限末日顺延")
    assert roll.isEnabled()
    assert roll.currentText() == RollPolicy.NON_WORKING_DAYS.label  # the default
    assert [roll.itemText(i) for i in range(roll.count())] == [p.label for p in RollPolicy]
    choose(roll, RollPolicy.HOLIDAYS_ONLY.label)
    click(qtbot, dialog, "保存")
    with window.ctx.db.read() as s:
        assert load_desk_settings(s).roll_policy is RollPolicy.HOLIDAYS_ONLY
    assert window.reference.settings.roll_policy is RollPolicy.HOLIDAYS_ONLY
    window.open_settings()
    assert by_name(window.settings_dialog, QComboBox, "期限末日顺延").currentText() == RollPolicy.HOLIDAYS_ONLY.label
    window.settings_dialog.reject()


def test_window_for_a_fresh_data_dir_says_desk_not_set(qtbot: QtBot, tmp_path: Path) -> None:
    from ui.tasks import TaskManager

    win = app.create_main_window(tmp_path / "empty", tasks=TaskManager(synchronous=True), now=Clock(UI_NOW))
    win.confirm_on_close = False
    qtbot.addWidget(win)
    status = [label.text() for label in win.statusBar().findChildren(QLabel)]
    assert "工位：未设置" in status and "当前用户：未登录" in status
    assert (tmp_path / "empty" / "reception.sqlite3").is_file()  # migrated on open
    win.close()


def test_data_dir_choice_keeps_demo_data_apart(monkeypatch: object, tmp_path: Path) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    try:
        mp.delenv("RECEPTION_DATA_DIR", raising=False)
        demo = app.choose_data_dir(argparse.Namespace(data_dir=None, demo=True))
        real = app.choose_data_dir(argparse.Namespace(data_dir=None, demo=False))
        assert demo != real and demo.name.endswith("-demo")
        explicit = app.choose_data_dir(argparse.Namespace(data_dir=str(tmp_path), demo=True))
        assert explicit == tmp_path.resolve()
    finally:
        mp.undo()
    args = app.parse_args(["--data-dir", str(tmp_path), "--demo", "-platform", "offscreen"])
    assert args.data_dir == str(tmp_path) and args.demo and args.qt_args == ["-platform", "offscreen"]


def test_seed_demo_only_into_an_empty_dir(tmp_path: Path, demo_template: Path) -> None:
    assert not app.seed_demo_if_empty(demo_template)  # has a database: left alone


def test_status_bar_raises_deadline_counts_at_start(window: MainWindow) -> None:
    from PySide6.QtWidgets import QLabel

    label = window.findChild(QLabel, "deadlineStatus")
    assert label is not None and label.accessibleName() == "期限提醒"
    assert re.fullmatch(r"期限提醒：超期\d+件，临期\d+件", label.text()), label.text()
