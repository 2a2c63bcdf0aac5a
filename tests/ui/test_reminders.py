"""期限提醒 pop-up: a non-modal, dismissible banner at start and when the background refresh finds new overdue or
due-soon clocks."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reception.lifecycle.service import due_soon, overdue
from tests.ui.helpers import click
from ui.cases.page import TAB_DUE_SOON, TAB_OVERDUE
from ui.main_window import PAGE_CASES, MainWindow
from ui.reminders import ReminderTracker


def test_tracker_reports_only_new_clocks() -> None:
    t = ReminderTracker()
    first = t.update([("a", "handling", "")], [("b", "handling", "")], overdue_total=1, due_soon_total=1)
    assert first.first and first.worth_showing and first.text.startswith("期限提醒：当前超期1件、临期1件")
    again = t.update([("a", "handling", "")], [("b", "handling", "")], overdue_total=1, due_soon_total=1)
    assert not again.worth_showing
    # b turned red, c turned amber: both new; b is no longer counted as due soon
    later = t.update([("a", "handling", ""), ("b", "handling", "")], [("c", "sign_for", "")], overdue_total=2,
                     due_soon_total=1)
    assert (later.new_overdue, later.new_due_soon) == (1, 1)
    assert later.text == "期限提醒：新增超期1件，新增临期1件（共超期2件、临期1件）。"
    nothing = ReminderTracker().update([], [], overdue_total=0, due_soon_total=0)
    assert not nothing.worth_showing


def test_banner_at_start_is_not_modal_and_can_be_dismissed(qtbot: QtBot, window: MainWindow) -> None:
    banner = window.reminder_banner
    late, soon = overdue(window.ctx, limit=1).total, due_soon(window.ctx, limit=1).total
    assert late + soon > 0  # the demo has older matters running out
    assert banner.isVisible() and banner.accessibleName() == "期限提醒"
    assert f"当前超期{late}件、临期{soon}件" in banner.label.text()
    assert QApplication.activeModalWidget() is None
    click(qtbot, banner, "知道了")
    assert not banner.isVisible()
    window.refresh_deadlines()  # nothing new: it stays away
    assert not banner.isVisible()


def test_new_overdue_cases_raise_it_again_and_lead_to_the_list(qtbot: QtBot, window: MainWindow) -> None:
    banner = window.reminder_banner
    click(qtbot, banner, "知道了")
    moment = window.ctx.now() + timedelta(days=40)
    window.ctx.now = lambda: moment
    window.refresh_deadlines()
    assert banner.isVisible() and "新增超期" in banner.label.text(), banner.label.text()
    click(qtbot, banner, "查看超期案件")
    assert not banner.isVisible()
    assert window.pages.currentIndex() == PAGE_CASES
    assert window.cases_page.tabs.currentIndex() == TAB_OVERDUE
    assert TAB_DUE_SOON != TAB_OVERDUE
