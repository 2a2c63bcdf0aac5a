"""Finding widgets the way assistive technology does (by accessible name) and filling the intake form."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from reception.domain.idnumber import check_digit
from ui.intake.page import IntakePage
from ui.main_window import MainWindow

W = TypeVar("W", bound=QWidget)


def by_name(root: QWidget, cls: type[W], name: str) -> W:
    """The one visible widget of type ``cls`` under ``root`` whose accessible name is ``name``."""
    found = [w for w in root.findChildren(cls) if w.accessibleName() == name and w.isVisibleTo(root)]
    assert len(found) == 1, f"expected one {cls.__name__} named {name!r}, found {len(found)}"
    return found[0]


def all_by_name(root: QWidget, cls: type[W], name: str) -> list[W]:
    return [w for w in root.findChildren(cls) if w.accessibleName() == name and w.isVisibleTo(root)]


def valid_id(body17: str) -> str:
    return body17 + check_digit(body17)


NEW_ID = valid_id("11010119800101031")
"""A man's resident ID from a region the demo data never uses (Beijing, Dongcheng)."""
NEW_ID_2 = valid_id("11010119750505042")


def type_into(qtbot: QtBot, widget: QLineEdit | QPlainTextEdit, text: str) -> None:
    """Type like a keyboard (an input method for Chinese): one key event per character."""
    widget.setFocus()
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
        else:  # QTest only maps ASCII to keys; an input method delivers the text with Key_unknown
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier,
                                                         char))


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not a choice of {combo.accessibleName()}"
    combo.setCurrentIndex(index)


def click(qtbot: QtBot, root: QWidget, name: str) -> None:
    qtbot.mouseClick(by_name(root, QPushButton, name), Qt.MouseButton.LeftButton)


def fill_valid(qtbot: QtBot, form: QWidget, *, name: str = "夏丽云", id_number: str = NEW_ID,
               phone: str = "13912345678", category: str = "城乡建设 / 物业管理", township: str = "翠园街道",
               request: str = "要求物业公司限期修复3栋电梯", facts: str = "电梯多次停运，物业未及时维修") -> None:
    """Fill every required field of the intake form with valid values (as an officer would)."""
    type_into(qtbot, by_name(form, QLineEdit, "姓名"), name)
    if id_number:
        type_into(qtbot, by_name(form, QLineEdit, "证件号码"), id_number)
    type_into(qtbot, by_name(form, QLineEdit, "联系电话"), phone)
    type_into(qtbot, by_name(form, QLineEdit, "住址"), "示范区翠园街道尚书茗苑3栋2单元")
    choose(by_name(form, QComboBox, "内容分类"), "申诉求决类")
    choose(by_name(form, QComboBox, "问题类别"), category)
    choose(by_name(form, QComboBox, "问题属地"), township)
    by_name(form, QPlainTextEdit, "诉求").setPlainText(request)
    by_name(form, QPlainTextEdit, "事实和理由").setPlainText(facts)


def shown_errors(page: IntakePage) -> dict[str, str]:
    """Every message the intake page shows (for assertion messages)."""
    form = page.form
    out = {field: label.text() for field, label in form.errors.items() if label.isVisibleTo(form)}
    if page.error_banner.isVisibleTo(page):
        out["(banner)"] = page.error_banner.label.text()
    if form.general_error.isVisibleTo(form):
        out["(general)"] = form.general_error.label.text()
    return out


def sign_in(window: MainWindow, username: str) -> str:
    """Sign ``username`` (a demo account) in at the window, as the login dialog would; returns the user's id."""
    from reception.intake import directory

    with window.ctx.db.read() as session:
        user = directory.user_by_username(session, username)
    assert user is not None, username
    window.switch_user(user.id)
    return user.id
