"""The dialogs' shared rows (``ui.widgets.reason_row``, ``confirm_row``, ``search_row``), clicked and typed into by
qtbot: the reason is labelled (buddy, accessible name), its error stands under it and goes when the text is edited;
the closing row is the confirming button then 取消 on the right, Enter confirms, Esc and 取消 cancel; the search box
searches on Enter and on 查找."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.helpers import by_name, click, type_into
from ui.widgets import FieldCell, confirm_row, reason_row, search_row


class _Dialog(QDialog):
    """A dialog built the way the merge dialogs are: a reason, then 确认合并 / 取消; it counts what was pressed."""

    def __init__(self, **row: object) -> None:
        super().__init__()
        self.confirmed = 0
        self.cancelled = 0
        layout = QVBoxLayout(self)
        self.reason_edit, self.reason_cell = reason_row(layout, "合并理由")
        self.confirm_button, self.cancel_button = confirm_row(layout, "确认合并", self._confirm, self._cancel,
                                                              **row)  # type: ignore[arg-type]

    def _confirm(self) -> None:
        self.confirmed += 1

    def _cancel(self) -> None:
        self.cancelled += 1
        self.reject()


def _shown(qtbot: QtBot, **row: object) -> _Dialog:
    dialog = _Dialog(**row)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _label_of(root: QWidget, buddy: QWidget) -> QLabel:
    labels = [label for label in root.findChildren(QLabel) if label.buddy() is buddy]
    assert len(labels) == 1
    return labels[0]


def test_the_reason_is_labelled_and_its_error_stands_under_it_until_edited(qtbot: QtBot) -> None:
    dialog = _shown(qtbot)
    edit = by_name(dialog, QLineEdit, "合并理由")
    assert edit is dialog.reason_edit
    label = _label_of(dialog, edit)
    assert label.text() == "合并理由" and label.isVisible()
    cell = dialog.reason_cell
    assert isinstance(cell, FieldCell) and edit.parent() is cell  # the error line is the field's own
    cell.error.show_message("请填写合并理由")
    assert cell.error.isVisible() and cell.error.text() == "请填写合并理由"
    edit_box, error_box = edit.geometry(), cell.error.geometry()
    assert error_box.top() >= edit_box.bottom() and error_box.left() == edit_box.left()  # right under the field
    type_into(qtbot, edit, "同")
    assert edit.text() == "同"
    assert not cell.error.isVisible() and cell.error.text() == ""


def test_a_reason_row_joins_a_form_it_is_given(qtbot: QtBot) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    form = QFormLayout(root)
    form.addRow("案件", QLineEdit())
    edit, cell = reason_row(form, "撤销理由")
    assert form.rowCount() == 2
    field, label_item = form.itemAt(1, QFormLayout.ItemRole.FieldRole), form.itemAt(1, QFormLayout.ItemRole.LabelRole)
    assert field is not None and label_item is not None and field.widget() is cell
    label = label_item.widget()
    assert isinstance(label, QLabel) and label.buddy() is edit and label.text() == "撤销理由"
    assert edit.accessibleName() == "撤销理由"


def test_the_closing_row_is_confirm_then_cancel_on_the_right(qtbot: QtBot) -> None:
    dialog = _shown(qtbot)
    confirm = by_name(dialog, QPushButton, "确认合并")
    cancel = by_name(dialog, QPushButton, "取消")
    assert (confirm, cancel) == (dialog.confirm_button, dialog.cancel_button)
    assert (confirm.text(), cancel.text()) == ("确认合并", "取消")
    assert confirm.isDefault() and confirm.autoDefault() and not cancel.autoDefault()
    dialog.resize(640, dialog.height())
    qtbot.waitUntil(lambda: dialog.width() == 640)
    assert confirm.geometry().right() < cancel.geometry().left()
    assert cancel.geometry().right() > dialog.width() - 30  # on the right, at their own width: a stretch before them
    assert confirm.geometry().left() > dialog.width() // 2
    assert (confirm.width(), cancel.width()) == (confirm.sizeHint().width(), cancel.sizeHint().width())


def test_enter_confirms_and_the_dialog_stays(qtbot: QtBot) -> None:
    dialog = _shown(qtbot)
    dialog.reason_edit.setFocus()
    QTest.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    assert (dialog.confirmed, dialog.cancelled) == (1, 0)
    assert dialog.isVisible()
    click(qtbot, dialog, "确认合并")
    assert dialog.confirmed == 2


def test_esc_cancels(qtbot: QtBot) -> None:
    dialog = _shown(qtbot)
    dialog.reason_edit.setFocus()
    QTest.keyClick(dialog.reason_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.confirmed == 0


def test_cancel_calls_on_cancel(qtbot: QtBot) -> None:
    dialog = _shown(qtbot)
    click(qtbot, dialog, "取消")
    assert (dialog.confirmed, dialog.cancelled) == (0, 1)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


def test_another_cancel_text_and_a_button_on_the_left(qtbot: QtBot) -> None:
    from ui.widgets import button

    other = button("单机使用（暂不登记）")
    dialog = _shown(qtbot, cancel_text="以后再说", leading=[other])
    later = by_name(dialog, QPushButton, "以后再说")
    assert later is dialog.cancel_button and later.text() == "以后再说"
    assert by_name(dialog, QPushButton, "单机使用（暂不登记）") is other
    dialog.resize(640, dialog.height())
    qtbot.waitUntil(lambda: dialog.width() == 640)
    assert other.geometry().left() < 30  # on the left, the stretch between it and the closing buttons
    assert other.geometry().right() < dialog.width() // 2 < dialog.confirm_button.geometry().left()
    assert dialog.confirm_button.geometry().left() < later.geometry().left()
    chain: list[str] = []
    w = dialog.nextInFocusChain()
    while w is not None and w is not dialog:
        if isinstance(w, QPushButton):
            chain.append(w.text())
        w = w.nextInFocusChain()
    assert chain == ["单机使用（暂不登记）", "确认合并", "以后再说"]  # Tab goes left to right
    click(qtbot, dialog, "以后再说")
    assert dialog.cancelled == 1


def test_the_search_row_searches_on_enter_and_on_its_button(qtbot: QtBot) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    searched: list[str] = []
    edit, find, cell = search_row(layout, "查找信访人", lambda: searched.append(edit.text()), placeholder="姓名",
                                  max_length=8)
    root.show()
    qtbot.waitExposed(root)
    assert by_name(root, QLineEdit, "查找信访人") is edit and by_name(root, QPushButton, "查找") is find
    assert _label_of(root, edit).text() == "查找信访人"
    assert (edit.placeholderText(), edit.maxLength()) == ("姓名", 8)
    assert find.geometry().left() > edit.geometry().right()  # the button beside the box
    type_into(qtbot, edit, "zhang")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    click(qtbot, root, "查找")
    assert searched == ["zhang", "zhang"]
    cell.error.show_message("没有找到相符的信访人")
    assert edit.parent() is cell and cell.error.geometry().top() >= edit.geometry().bottom()
