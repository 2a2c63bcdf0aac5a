"""TaskManager: work off the GUI thread, results on it, errors shown in Chinese and logged without personal data."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from reception.domain.errors import FieldError, ReceptionError
from ui.tasks import GENERIC_ERROR, TaskManager, error_message


def test_results_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    tasks = TaskManager()
    gui = threading.get_ident()
    seen: dict[str, int] = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    results: list[int] = []

    def done(value: int) -> None:
        seen["done"] = threading.get_ident()
        results.append(value)

    tasks.run(work, done)
    qtbot.waitUntil(lambda: results == [42], timeout=3000)
    assert seen["worker"] != gui
    assert seen["done"] == gui
    assert tasks.pending == 0
    tasks.shutdown()


def test_writes_run_one_at_a_time_in_order(qtbot: QtBot) -> None:
    tasks = TaskManager()
    threads: set[int] = set()
    order: list[int] = []
    for i in range(20):
        def work(i: int = i) -> int:
            threads.add(threading.get_ident())
            return i

        tasks.run(work, order.append, write=True)
    qtbot.waitUntil(lambda: len(order) == 20, timeout=3000)
    assert order == list(range(20))
    assert len(threads) == 1
    tasks.shutdown()


def test_synchronous_mode_runs_inline() -> None:
    tasks = TaskManager(synchronous=True)
    results: list[str] = []
    tasks.run(lambda: threading.current_thread().name, results.append)
    assert results == [threading.current_thread().name]


def test_error_goes_to_on_error() -> None:
    tasks = TaskManager(synchronous=True)
    errors: list[BaseException] = []

    def fail() -> None:
        raise FieldError("证件号码", "身份证号码校验位不符，请逐位核对")

    tasks.run(fail, lambda _v: None, errors.append)
    assert isinstance(errors[0], FieldError)
    assert error_message(errors[0]) == "身份证号码校验位不符，请逐位核对"


def test_default_handler_shows_chinese_message_and_logs_no_personal_data(
        qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    tasks = TaskManager(synchronous=True)
    tasks.window = parent

    def fail() -> None:
        raise RuntimeError("UNIQUE constraint failed: petitioner 430502198703151234 13812345678")

    with caplog.at_level(logging.INFO, logger="ui.tasks"):
        tasks.run(fail, lambda _v: None)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and boxes[-1].text() == GENERIC_ERROR
    assert [b.text() for b in boxes[-1].buttons()] == ["确定"]  # never Qt's untranslated "OK"
    assert "RuntimeError" in caplog.text
    assert "430502198703151234" not in caplog.text and "13812345678" not in caplog.text
    for box in boxes:
        box.close()

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ui.tasks"):
        tasks.run(lambda: (_ for _ in ()).throw(ReceptionError("本机工位未设置", key="desk_not_configured")))
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes[-1].text() == "本机工位未设置"
    assert "desk_not_configured" in caplog.text
    for box in boxes:
        box.close()


def test_nothing_is_delivered_to_a_deleted_owner(qtbot: QtBot) -> None:
    tasks = TaskManager(synchronous=True)
    owner = QWidget()
    import shiboken6

    shiboken6.delete(owner)
    called: list[int] = []
    tasks.run(lambda: 1, called.append, owner=owner)
    assert called == []
    assert tasks.pending == 0


def test_op_says_the_chinese_message_where_asked_and_shows_progress(
        qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    from ui.tasks import disable

    tasks = TaskManager(synchronous=True)
    button = QWidget()
    qtbot.addWidget(button)
    progress: list[bool] = []
    running: list[int] = []
    tasks.opsChanged.connect(running.append)
    said: list[str] = []

    def busy(on: bool) -> None:
        progress.append(on)
        disable(button)(on)
        assert button.isEnabled() is not on

    def fail() -> None:
        raise RuntimeError("UNIQUE constraint failed: petitioner 430502198703151234")

    with caplog.at_level(logging.INFO, logger="ui.tasks"):
        tasks.op(fail, what="test_op", message=said.append, prefix="保存失败：", busy=busy)
    assert said == [f"保存失败：{GENERIC_ERROR}"]  # never the exception's text
    assert progress == [True, False] and button.isEnabled()
    assert running == [1, 0] and tasks.ops == 0 and tasks.pending == 0
    assert "RuntimeError" in caplog.text and "430502198703151234" not in caplog.text
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]

    results: list[int] = []
    tasks.op(lambda: 7, results.append, what="test_op", message=said.append, busy=busy)
    assert results == [7] and progress[-2:] == [True, False] and len(said) == 1


def test_op_hands_the_exception_to_on_error_or_shows_the_default_box(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    tasks = TaskManager(synchronous=True)
    tasks.window = parent
    errors: list[BaseException] = []
    said: list[str] = []

    def fail() -> None:
        raise FieldError("证件号码", "身份证号码校验位不符，请逐位核对")

    tasks.op(fail, what="test_op", on_error=errors.append, message=said.append)
    assert isinstance(errors[0], FieldError) and said == []  # the form marks the field itself
    tasks.op(fail, what="test_op")
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and boxes[-1].text() == "身份证号码校验位不符，请逐位核对"
    for box in boxes:
        box.close()


def test_op_for_a_deleted_owner_delivers_nothing_and_ends(qtbot: QtBot) -> None:
    import shiboken6

    tasks = TaskManager(synchronous=True)
    owner = QWidget()
    shiboken6.delete(owner)
    progress: list[bool] = []
    called: list[int] = []
    tasks.op(lambda: 1, called.append, what="test_op", owner=owner, busy=progress.append)
    assert called == [] and progress == [True] and tasks.ops == 0


def test_op_runs_off_the_gui_thread(qtbot: QtBot) -> None:
    tasks = TaskManager()
    gui = threading.get_ident()
    seen: list[int] = []
    results: list[int] = []
    tasks.op(lambda: seen.append(threading.get_ident()) or 1, results.append, what="test_op", write=True)
    assert tasks.ops == 1
    qtbot.waitUntil(lambda: results == [1], timeout=3000)
    assert seen[0] != gui and tasks.ops == 0
    tasks.shutdown()
