"""The change broadcast: a write on one page (or from outside any page, as the sync's) makes the other pages read
again when they are next shown, and only then; changes from worker threads arrive on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from reception.bootstrap import open_data_dir
from reception.changes import Change, ChangeSet, attach_changes
from reception.db.models import Unit
from tests.clock import UI_NOW, Clock
from tests.ui.helpers import fill_valid, sign_in
from tests.ui.test_leader_page import send_to_leader
from ui.main_window import PAGE_CASES, PAGE_INTAKE, PAGE_LEADER, PAGE_STATISTICS, MainWindow
from ui.tasks import TaskManager


def case_numbers(window: MainWindow) -> list[str]:
    return [c.case_no for c in window.cases_page.model.rows()]


def test_a_save_on_the_intake_page_refreshes_the_case_list_when_shown(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page(PAGE_CASES)
    before = case_numbers(window)
    generation = window.cases_page._generation
    window.show_page(PAGE_INTAKE)
    window.show_page(PAGE_CASES)
    assert window.cases_page._generation == generation  # nothing changed: not read again
    window.show_page(PAGE_INTAKE)
    fill_valid(qtbot, window.intake_page.form, name="甄可鉴")
    window.intake_page.save(print_receipt=False)
    result = window.intake_page.result
    assert result is not None and result.case_no not in before
    assert window.cases_page._generation == generation  # hidden: it waits until it is shown
    window.show_page(PAGE_CASES)
    assert window.cases_page._generation == generation + 1
    assert result.case_no in case_numbers(window)


def test_a_write_outside_the_pages_reaches_the_leader_queue(qtbot: QtBot, window: MainWindow) -> None:
    sign_in(window, "leader")
    window.show_page(PAGE_LEADER)
    queued = {q.case_no for q in window.leader_page.model.rows()}
    window.show_page(PAGE_STATISTICS)
    case_no = send_to_leader(window)  # the core, not a page (as a pulled record would be)
    assert case_no not in queued
    qtbot.waitUntil(lambda: window.leader_page._changed, timeout=3000)  # the broadcast is posted, then delivered
    window.show_page(PAGE_LEADER)
    assert case_no in {q.case_no for q in window.leader_page.model.rows()}


def test_a_directory_change_reaches_the_status_bar_and_the_pages(qtbot: QtBot, window: MainWindow) -> None:
    generation = window.roster_page._generation
    window.show_page(2)  # 领导接访排班: read once
    assert window.roster_page._generation == generation + 1
    window.show_page(PAGE_INTAKE)
    window.leader_status.setText("")
    window.tasks.changes.notify(ChangeSet.of(Change.REFERENCE))
    assert window.leader_status.text().startswith("今日接访领导")  # read again at once
    window.show_page(2)
    assert window.roster_page._generation == generation + 2


def test_changes_from_worker_threads_arrive_merged_on_the_gui_thread(qtbot: QtBot, tmp_path: Path) -> None:
    ctx = open_data_dir(tmp_path, now=Clock(UI_NOW))
    tasks = TaskManager()
    try:
        tasks.changes.attach(attach_changes(ctx.db))
        seen: list[tuple[ChangeSet, int]] = []
        tasks.changes.changed.connect(lambda c: seen.append((c, threading.get_ident())))
        done: list[int] = []

        def add(code: str) -> int:
            with ctx.db.write() as s:
                s.add(Unit(code=code, name=f"机构{code}", kind="department", sort_order=900))
            return 1

        tasks.run_write(lambda: add("U91"), done.append)
        tasks.run_write(lambda: add("U92"), done.append)
        qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
        assert seen and all(c == ChangeSet.of(Change.REFERENCE) for c, _ in seen)
        assert {t for _, t in seen} == {threading.get_ident()}
        assert len(seen) <= 2  # merged: never more emissions than commits
    finally:
        tasks.shutdown()
        tasks.changes.detach()
        ctx.close()
