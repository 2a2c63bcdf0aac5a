"""The case list's one search box, through the real widgets: every kind of query, paging, a search that finds
nothing and its next steps, and the receipt's QR code typed by a keyboard-wedge scanner on any page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from reception.intake.cases import recent_cases
from tests.ui.helpers import NEW_ID, by_name, click, fill_valid, type_into
from ui.cases.page import NOTHING_FOUND, CaseListPage
from ui.main_window import PAGE_CASES, PAGE_INTAKE, MainWindow
from ui.scanner import ScannerFilter

NAME = "欧阳秀珍"
PHONE = "13907393958"


def _save(qtbot: QtBot, window: MainWindow) -> tuple[str, str]:
    page = window.intake_page
    fill_valid(qtbot, page.form, name=NAME, phone=PHONE)
    click(qtbot, page, "保存")
    assert page.result is not None
    return page.result.case_no, page.result.query_code


def _search(qtbot: QtBot, cases: CaseListPage, text: str) -> list[str]:
    box = by_name(cases, QLineEdit, "搜索")
    box.clear()
    type_into(qtbot, box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    return [c.case_no for c in cases.model.rows()]


def test_every_kind_of_query_through_the_case_list(qtbot: QtBot, window: MainWindow) -> None:
    case_no, code = _save(qtbot, window)
    window.show_page(PAGE_CASES)
    cases = window.cases_page
    exact = {"案件编号": case_no, "查询码": code, "证件号码": NEW_ID, "电话": PHONE}
    for what, text in exact.items():
        assert _search(qtbot, cases, text) == [case_no], what
        assert "完全相符的在前" in cases.status.text()
    part = case_no.split("-", 1)[1]  # the number without its desk prefix: every desk's case of that day and counter
    found = _search(qtbot, cases, part)
    assert case_no in found and all(no.endswith("-" + part) for no in found)
    for payload in (f"XF:{case_no}:{code}", f"https://xf.example.cn/q/{case_no}?c={code}"):
        assert _search(qtbot, cases, payload) == [case_no]  # (typed at scanner speed: the case opens too)
        assert cases.dialog is not None and cases.dialog.isVisible()
        cases.dialog.reject()
    for what, text in {"电话尾号": PHONE[-4:], "证件后四位": NEW_ID[-4:], "证件后六位": NEW_ID[-6:],
                       "名字中间两字": "阳秀", "名字后两字": "秀珍", "拼音首字母": "oyxz",
                       "住址中的小区和楼栋": "尚书茗苑3栋", "住址中的两字": "茗苑"}.items():
        found = _search(qtbot, cases, text)
        assert case_no in found, what
    # masked as ever: the tail the officer typed is all that shows of the phone
    row = next(c for c in cases.model.rows() if c.case_no == case_no)
    assert row.phone_masked == PHONE[:3] + "****" + PHONE[-4:] and "*" in row.id_masked
    tail = _search(qtbot, cases, PHONE[-4:])
    assert all(c.phone_masked.endswith(PHONE[-4:]) or c.id_masked.endswith(PHONE[-4:])
               for c in cases.model.rows()), tail


def test_nothing_found_offers_the_history_check_and_a_new_intake(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page(PAGE_CASES)
    cases = window.cases_page
    assert _search(qtbot, cases, NEW_ID) == []  # nobody with this ID yet
    assert cases.status.text() == NOTHING_FOUND
    history, new = cases.history_button, cases.new_intake_button
    assert history.isVisible() and new.isVisible()
    assert history.accessibleName() == history.text() == "查询来访历史"
    click(qtbot, cases, "查询来访历史")
    assert window.pages.currentIndex() == PAGE_INTAKE
    assert by_name(window.intake_page.form, QLineEdit, "证件号码").text() == NEW_ID  # the history panel looks it up
    window.intake_page.new_form(confirm=False)  # (else 新建 asks first whether to drop what the form holds)
    window.show_page(PAGE_CASES)
    assert _search(qtbot, cases, "秀秀秀") == [] and cases.new_intake_button.isVisible()
    click(qtbot, cases, "新建来访登记")
    assert window.pages.currentIndex() == PAGE_INTAKE
    # a search that finds something hides the next steps again
    window.show_page(PAGE_CASES)
    first = recent_cases(window.ctx)[0]
    assert _search(qtbot, cases, first.case_no) == [first.case_no]
    assert not cases.history_button.isVisible() and not cases.new_intake_button.isVisible()


def test_results_come_a_page_at_a_time(qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = recent_cases(window.ctx, limit=500)
    surnames: dict[str, set[str]] = {}
    for c in rows:
        surnames.setdefault(c.petitioner_names[:1], set()).add(c.case_no)
    surname, nos = max(surnames.items(), key=lambda kv: len(kv[1]))
    assert len(nos) >= 3
    monkeypatch.setattr("ui.cases.page.PAGE_SIZE", 2)
    window.show_page(PAGE_CASES)
    cases = window.cases_page
    seen = _search(qtbot, cases, surname)
    page = cases.last_page
    assert page is not None and page.pages >= 2 and len(seen) == 2
    assert cases.next_button.isVisible() and not cases.previous_button.isEnabled()
    assert f"第1/{page.pages}页" in cases.status.text()
    while cases.next_button.isEnabled():
        click(qtbot, cases, "下一页")
        seen += [c.case_no for c in cases.model.rows()]
    assert len(seen) == len(set(seen)) == page.total
    assert nos <= set(seen)
    click(qtbot, cases, "上一页")
    assert cases.last_page is not None and cases.last_page.page_no == page.pages - 1


def test_a_scanned_receipt_opens_its_case_from_any_page(qtbot: QtBot, window: MainWindow) -> None:
    case_no, code = _save(qtbot, window)
    window.intake_page.new_form(confirm=False)
    name = by_name(window.intake_page.form, QLineEdit, "姓名")
    type_into(qtbot, name, "张")  # the officer had started the next intake
    name.setFocus()
    for payload in (f"XF:{case_no}:{code}", f"http://192.168.1.20:8080/xf/q/{case_no}?c={code}"):
        qtbot.keyClicks(name, payload)  # the scanner types the payload, then Enter
        qtbot.keyClick(name, Qt.Key.Key_Return)
        dialog = window.cases_page.dialog
        assert dialog is not None and dialog.isVisible(), payload
        assert dialog.detail is not None and dialog.detail.summary.case_no == case_no
        assert name.text() == "张"  # the scanned characters were taken back out of the field
        assert window.pages.currentIndex() == PAGE_INTAKE  # the intake stays where it was
        dialog.reject()
    # from the statistics page too, with nothing focused in particular
    window.show_page(4)
    window.activateWindow()
    qtbot.keyClicks(window, f"XF:{case_no}:{code}")
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.cases_page.dialog is not None and window.cases_page.dialog.isVisible()
    window.cases_page.dialog.reject()


def test_typing_by_hand_is_never_a_scan_and_a_forged_receipt_is_refused(qtbot: QtBot, window: MainWindow) -> None:
    case_no, code = _save(qtbot, window)
    window.intake_page.new_form(confirm=False)
    scanner = window.findChild(ScannerFilter)
    assert scanner is not None
    ticks = iter(range(10_000))
    scanner.clock = lambda: next(ticks) * 0.2  # a person: 200 ms between keys
    name = by_name(window.intake_page.form, QLineEdit, "姓名")
    name.setFocus()
    qtbot.keyClicks(name, f"XF:{case_no}:{code}")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert window.cases_page.dialog is None or not window.cases_page.dialog.isVisible()
    assert name.text() == f"XF:{case_no}:{code}"  # left as typed
    name.clear()
    import time

    scanner.clock = time.monotonic
    qtbot.keyClicks(name, f"XF:{case_no}:WRONG234")  # a receipt whose code is not the case's
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert window.cases_page.dialog is None or not window.cases_page.dialog.isVisible()
    assert window.pages.currentIndex() == PAGE_CASES
    assert "查询码与该案件不符" in window.cases_page.status.text()
