"""Fixtures for the desk app's UI tests: a seeded data directory and the real main window on it, both on the fixed
clock ``tests.clock.UI_NOW`` (never the wall clock)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from reception.bootstrap import open_data_dir
from reception.demo import seed_demo
from tests.clock import UI_NOW, Clock
from ui.app import create_main_window
from ui.main_window import MainWindow
from ui.tasks import TaskManager

OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"
"""The offscreen platform plugin says this whenever a top-level window gets size hints: not our warning."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district with a few weeks of cases, seeded once per session (copied for each test)."""
    root = tmp_path_factory.mktemp("demo-template")
    ctx = open_data_dir(root, now=Clock(UI_NOW))
    try:
        seed_demo(ctx, weeks=2)
    finally:
        ctx.close()
    return root


@pytest.fixture
def clock() -> Clock:
    """The desk's clock in a UI test: ``UI_NOW``, the day the demo template was seeded; a test may move it."""
    return Clock(UI_NOW)


@pytest.fixture
def data_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(demo_template, target)
    return target


class PrintRecorder:
    """Stands in for the print preview: records each PDF it is given (and its bytes: temp files are removed)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, bytes]] = []

    def __call__(self, _parent: object, path: Path) -> None:
        self.calls.append((path, path.read_bytes()))


@pytest.fixture
def printed() -> PrintRecorder:
    return PrintRecorder()


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path, printed: PrintRecorder, clock: Clock) -> Iterator[MainWindow]:
    win = create_main_window(data_dir, tasks=TaskManager(synchronous=True), printer=printed, now=clock)
    win.confirm_on_close = False
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # a test that leaves a dialog open (case detail, action dialog) must not leave it modal for the next test
    from PySide6.QtWidgets import QApplication, QDialog

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.reject()
    win.close()
