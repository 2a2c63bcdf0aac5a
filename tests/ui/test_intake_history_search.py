"""The intake history panel's search box, driven as an officer would: typed text read as the case list's search box
reads it (a phone's tail, an ID's last digits, part of a name or an address, a case number, a query code), the
people found masked, and their cases ready to join; nothing found says so and what to do next."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from tests.ui.helpers import NEW_ID, by_name, click, fill_valid, type_into
from ui.intake.history import NOTHING_FOUND, SEARCH_LABEL, HistoryPanel, PersonCard
from ui.intake.page import IntakePage
from ui.main_window import MainWindow

PHONE = "13912347391"


def _saved(qtbot: QtBot, window: MainWindow) -> tuple[IntakePage, str, str]:
    page = window.intake_page
    fill_valid(qtbot, page.form, name="欧阳丽云", phone=PHONE)
    click(qtbot, page, "保存")
    assert page.result is not None
    case_no, code = page.result.case_no, page.result.query_code
    click(qtbot, page, "新登记")
    return page, case_no, code


def _find(qtbot: QtBot, panel: HistoryPanel, text: str, *, enter: bool = True) -> list[PersonCard]:
    edit = by_name(panel, QLineEdit, SEARCH_LABEL)
    edit.clear()
    type_into(qtbot, edit, text)
    panel.status.setText("")
    if enter:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    else:
        click(qtbot, panel, "查找")
    qtbot.waitUntil(lambda: panel.status.text() not in ("", "正在查询历史记录…"), timeout=5000)
    return panel.person_cards


def _names(cards: list[PersonCard]) -> list[str]:
    return [c.person.name for c in cards]


def test_every_kind_of_text_finds_the_earlier_visit(qtbot: QtBot, window: MainWindow,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    page, case_no, code = _saved(qtbot, window)
    panel = page.history
    edit = by_name(panel, QLineEdit, SEARCH_LABEL)
    label = next(lb for lb in panel.findChildren(QLabel) if lb.buddy() is edit)
    assert label.text() == edit.accessibleName() == SEARCH_LABEL
    assert by_name(panel, QPushButton, "查找").accessibleName() == "查找"

    cards = _find(qtbot, panel, "7391")  # 手机尾号
    assert _names(cards) == ["欧阳丽云"]
    person = cards[0].person
    assert person.matched_by == ("phone_suffix",) and person.phone_masked == "139****7391"
    assert NEW_ID not in person.id_masked and person.id_masked.endswith(NEW_ID[-4:])
    shown = "\n".join(lb.text() for lb in cards[0].findChildren(QLabel))
    assert "按电话尾号匹配" in shown and "请核对是否同一人" in shown and PHONE not in shown
    assert panel.status.text().startswith("按电话尾号") and "找到1位信访人" in panel.status.text()
    assert [c.case.case_no for c in cards[0].case_cards] == [case_no]

    assert "欧阳丽云" in _names(_find(qtbot, panel, NEW_ID[-4:], enter=False))  # 证件号码后4位, by the button
    assert "欧阳丽云" in _names(_find(qtbot, panel, "阳丽"))  # 2 characters from the middle of the name
    assert "欧阳丽云" in _names(_find(qtbot, panel, "尚书茗苑3栋"))  # part of the address
    # (a QR payload typed as fast as a scanner types it, then Enter, opens the case itself: ``ui.scanner``; pasted
    # in and 查找 clicked, it finds the person like the case number)
    for text in (case_no, code.lower(), f"XF:{case_no}:{code}"):
        cards = _find(qtbot, panel, text, enter=not text.startswith("XF:"))
        assert _names(cards) == ["欧阳丽云"], text
        shown = "\n".join(lb.text() for lb in cards[0].findChildren(QLabel))
        assert "请核对是否同一人" not in shown, text  # (a case number or code names the case for certain)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for typed in ("7391", NEW_ID[-4:], "阳丽", "尚书茗苑"):  # what was typed is never logged
        assert typed not in logged, typed
    # the number without its desk prefix: the same day's case of the same counter at other desks too
    cards = _find(qtbot, panel, case_no.split("-", 1)[1])
    assert "欧阳丽云" in _names(cards)
    assert all(c.case_cards[0].case.case_no.endswith(case_no.split("-", 1)[1]) for c in cards)


def test_a_found_person_and_case_can_be_used_and_joined(qtbot: QtBot, window: MainWindow) -> None:
    page, case_no, _code = _saved(qtbot, window)
    _find(qtbot, page.history, "7391")
    click(qtbot, page.history, "使用此人信息")
    assert page.form.petitioner is not None and page.form.name_edit.text() == "欧阳丽云"
    click(qtbot, page.history, "并入此事项")
    assert page.form.join_case is not None and page.form.join_case.case_no == case_no


def test_nothing_found_and_bad_text_are_said_in_chinese(qtbot: QtBot, window: MainWindow) -> None:
    page, _case_no, _code = _saved(qtbot, window)
    panel = page.history
    assert _find(qtbot, panel, "0000") == []
    assert panel.status.text() == NOTHING_FOUND and "首次来访继续登记" in NOTHING_FOUND
    assert _find(qtbot, panel, "查无此人") == [] and panel.status.text() == NOTHING_FOUND
    edit = by_name(panel, QLineEdit, SEARCH_LABEL)
    edit.clear()
    click(qtbot, panel, "查找")
    assert panel.search_error.isVisible() and panel.search_error.text() == "请输入要查找的内容。"
    edit.setText("丽云\x01")
    click(qtbot, panel, "查找")
    qtbot.waitUntil(lambda: panel.search_error.isVisible(), timeout=5000)
    assert "控制字符" in panel.search_error.text() and edit.text() == "丽云\x01"  # said; the text kept
    type_into(qtbot, edit, "x")
    assert not panel.search_error.isVisible()
    _find(qtbot, panel, "7391")
    assert panel.person_cards
    page.new_form()  # (Ctrl+N, 新登记): the next petitioner starts from an empty panel
    assert edit.text() == "" and panel.person_cards == [] and not panel.search_error.isVisible()
