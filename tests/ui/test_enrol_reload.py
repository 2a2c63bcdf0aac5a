"""Enrolment from the first-run dialog against a real server process, and no restart afterwards: the window reads
the centre's reference data and its desk settings again (the intake form's lists, the leader page's and the case
list's unit lists, the status bar's desk), and a later sync that brings changed reference data updates them too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from reception.bootstrap import open_data_dir
from reception.db.models import Category
from reception.intake import directory
from reception.server.db import ServerDatabase, open_server_database
from reception.server.service import add_desk, import_reference
from reception.sync.desk import sync_status
from reception.sync.first_start import EnrolmentOffer
from tests.sync.harness import ServerProcess, make_reference
from tests.ui.enrol_helpers import Windows, fresh_desk, visible_enroll_dialogs, windows
from tests.ui.helpers import by_name, choose, click, fill_valid, shown_errors, type_into
from ui.main_window import PAGE_CASES, PAGE_INTAKE, PAGE_LEADER
from ui.reference import leaf_choices

__all__ = ["windows"]  # (the fixture)


@pytest.fixture
def centre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ServerProcess, ServerDatabase, Path]]:
    """A real server whose reference data is the demo district's, published from the centre's data directory."""
    monkeypatch.setenv("RECEPTION_TOKEN_STORE", "file")
    ref = make_reference(tmp_path / "centre")
    url = f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
    db = open_server_database(url)
    import_reference(db, ref)
    proc = ServerProcess(url, tmp_path).start()
    yield proc, db, ref
    proc.stop()
    db.dispose()


def centre_lists(ref: Path) -> tuple[list[str], list[str], list[str]]:
    """(category leaves as the form labels them, unit names, township names) of the centre's reference data."""
    ctx = open_data_dir(ref)
    try:
        with ctx.db.read() as s:
            return ([c.label for c in leaf_choices(directory.category_tree(s))],
                    [u.name for u in directory.units(s)], [n.name for n in directory.locality_tree(s)])
    finally:
        ctx.close()


def items(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_enrol_at_first_start_then_no_restart(qtbot: QtBot, tmp_path: Path, windows: Windows,
                                              centre: tuple[ServerProcess, ServerDatabase, Path]) -> None:
    proc, db, ref = centre
    root = tmp_path / "desk"
    admin, _officer = fresh_desk(root, "T01")  # (the server will issue D01: a code this desk does not have yet)
    win = windows.start(root, admin)
    form = win.intake_page.form
    # a fresh standalone desk: no reference data of the centre yet
    assert items(form.category_combo) == [] and items(form.unit_combo) == [] and items(form.township_combo) == []
    assert win.desk_status.text() == "工位：一号接待窗口（T01）"
    win.show_page(PAGE_CASES)  # built (with its unit filter) and loaded before enrolment
    win.show_page(PAGE_LEADER)
    assert win.leader_page.form.unit_combo.count() == 1  # (only 不指定)
    win.show_page(PAGE_INTAKE)
    type_into(qtbot, by_name(form, QLineEdit, "姓名"), "夏丽云")  # typed before enrolling: it stays

    assert win.enrolment_offer is EnrolmentOffer.DIALOG
    dialog = win.enroll_dialog
    assert dialog is not None and dialog.isVisible()
    _client, code = add_desk(db, "三号接待窗口")
    by_name(dialog, QLineEdit, "服务器地址").setText(proc.url)
    by_name(dialog, QLineEdit, "登记码").setText(code)
    click(qtbot, dialog, "登记")
    assert not dialog.isVisible(), dialog.error.text()

    st = sync_status(win.ctx)
    assert st.enrolled and st.desk_code not in ("", "T01")
    categories, units, townships = centre_lists(ref)
    assert len(categories) > 10 and len(units) > 5
    # without a restart: the centre's lists in the intake form, the leader page, the case list's filters
    assert items(form.category_combo) == categories
    assert items(form.unit_combo) == units
    assert items(form.township_combo) == townships
    assert items(win.leader_page.form.unit_combo)[1:] == units
    assert items(win.cases_page.overdue_tab.unit_combo) == ["全部", *units]
    assert by_name(form, QLineEdit, "姓名").text() == "夏丽云"
    # the status bar: the server's desk row (its code and name) and the sync state
    assert win.desk_status.text() == f"工位：三号接待窗口（{st.desk_code}）"
    assert win.reference.desk is not None and win.reference.desk.code == st.desk_code
    assert win.sync_status.text() == "同步：已同步"
    assert "已登记为工位" in win.statusBar().currentMessage()
    assert win.reference.user is not None and win.reference.user.id == admin  # still the one signed in

    # an intake with the centre's category and unit, numbered with the new desk code, goes to the centre
    form.name_edit.clear()
    fill_valid(qtbot, form, name="夏丽云")
    choose(form.unit_combo, units[0])
    win.intake_page.save(print_receipt=False)
    result = win.intake_page.result
    assert result is not None, shown_errors(win.intake_page)
    assert result.case_no.startswith(f"{st.desk_code}-")

    # the next start of this desk is not asked again: it is enrolled
    windows.close(win)
    again = windows.start(root, admin)
    assert again.enrolment_offer is EnrolmentOffer.NONE and visible_enroll_dialogs() == []
    assert again.desk_status.text() == f"工位：三号接待窗口（{st.desk_code}）"


def test_sync_that_brings_new_reference_data_reloads_it(qtbot: QtBot, tmp_path: Path, windows: Windows,
                                                        centre: tuple[ServerProcess, ServerDatabase, Path]) -> None:
    proc, db, ref = centre
    root = tmp_path / "desk"
    admin, _officer = fresh_desk(root)
    win = windows.start(root, admin)
    dialog = win.enroll_dialog
    assert dialog is not None
    _client, code = add_desk(db, "三号接待窗口")
    by_name(dialog, QLineEdit, "服务器地址").setText(proc.url)
    by_name(dialog, QLineEdit, "登记码").setText(code)
    click(qtbot, dialog, "登记")
    assert not dialog.isVisible(), dialog.error.text()
    form = win.intake_page.form
    chosen = items(form.category_combo)[3]
    choose(form.category_combo, chosen)

    # a sync that brings nothing new leaves the lists alone
    before = win.reference
    win.sync_now()
    assert win.reference is before

    # the centre adds a category (published from its data directory as an administrator does)
    centre_ctx = open_data_dir(ref)
    try:
        with centre_ctx.db.write() as s:
            parent = s.query(Category).filter(Category.parent_id.is_(None)).order_by(Category.sort_order).first()
            assert parent is not None
            s.add(Category(parent_id=parent.id, code="ZZ99", name="新增测试类别", sort_order=999))
            parent_name = parent.name
    finally:
        centre_ctx.close()
    import_reference(db, ref)
    win.sync_now()
    assert f"{parent_name} / 新增测试类别" in items(form.category_combo)
    assert form.category_combo.currentText() == chosen  # what the officer had chosen stays chosen
    assert win.reference is not before
