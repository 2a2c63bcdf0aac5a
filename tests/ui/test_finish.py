"""The finish a centre expects: Qt's own dialogs in Chinese, windows that fit 1366×768 and 150 % screens, the
rotating log, the crash handler, 帮助 → 关于."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from reception import __version__
from ui.app import configure_logging, install_qt_translations, standard_button_text
from ui.crash import CrashHandler
from ui.geometry import fitted_size
from ui.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def chinese_qt(qapp: QApplication) -> list[str]:
    loaded = install_qt_translations(qapp)
    assert loaded and Path(loaded[0]).name == "qtbase_zh_CN.qm"
    return loaded


def test_standard_buttons_read_chinese(chinese_qt: list[str]) -> None:
    texts = {name: standard_button_text(name) for name in ("Yes", "No", "Ok", "Cancel", "Save", "Close")}
    assert texts["Yes"].startswith("是") and texts["No"].startswith("否"), texts
    assert (texts["Ok"], texts["Cancel"], texts["Save"], texts["Close"]) == ("确定", "取消", "保存", "关闭")


def test_a_question_box_says_yes_and_no_in_chinese(qtbot: QtBot, chinese_qt: list[str]) -> None:
    box = QMessageBox(QMessageBox.Icon.Question, "退出", "当前登记尚未保存，确定退出吗？",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    texts = sorted(b.text() for b in box.buttons())
    assert texts == ["否(&N)", "是(&Y)"], texts
    assert not any("Yes" in t or "No" in t for t in texts)


def test_the_print_preview_is_chinese(qtbot: QtBot, chinese_qt: list[str]) -> None:
    dialog = QPrintPreviewDialog()
    qtbot.addWidget(dialog)
    texts = {a.text() for a in dialog.findChildren(QAction) if a.text()}
    assert {"打印", "打印设置", "下一页", "上一页", "放大", "缩小"} <= texts, texts
    assert "Print" not in texts and "Zoom in" not in texts


# -- the window fits the screen ----------------------------------------------------------------------------------------


def test_fitted_size_cuts_to_the_available_area() -> None:
    area = QRect(0, 0, 1280, 680)  # 1920×1080 at 150 %, less a 40-pixel task bar
    size = fitted_size(QSize(1280, 800), area)
    assert size.width() <= 1280 - 16 and size.height() <= 680 - 32 - 8
    assert fitted_size(QSize(900, 500), QRect(0, 0, 1920, 1040)) == QSize(900, 500)  # large screens: as asked
    assert fitted_size(QSize(400, 300), area, QSize(500, 200)) == QSize(500, 300)


def _probe(data_dir: Path, tmp_path: Path, width: int, height: int, dpr: float, *extra: str) -> dict[str, object]:
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(json.dumps({"screens": [{"name": "test", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": dpr}]}),
                      encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    out = subprocess.run([sys.executable, "-m", "tests.ui.fit_probe", str(data_dir), *extra], cwd=REPO, env=env,
                         capture_output=True, text=True, encoding="utf-8", timeout=240, check=True)
    report: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(("width", "height", "dpr"), [(1366, 768, 1.0), (1280, 720, 1.5)],
                         ids=["1366x768", "1920x1080-at-150%"])
def test_main_window_fits_the_screen(data_dir: Path, tmp_path: Path, width: int, height: int, dpr: float) -> None:
    report = _probe(data_dir, tmp_path, width, height, dpr)
    assert report["dpr"] == dpr
    x, y, w, h = report["frame"]  # type: ignore[misc]
    assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, report
    min_w, min_h = report["minimum"]  # type: ignore[misc]
    assert min_w <= width and min_h <= height - 80, report  # still fits with a task bar
    pages = report["pages"]
    assert isinstance(pages, dict) and len(pages) == 6
    assert all(off == [] for off in pages.values()), pages  # every button on screen (or in a scroll area)


def test_a_geometry_saved_on_a_large_monitor_is_cut_to_a_small_screen(data_dir: Path, tmp_path: Path) -> None:
    report = _probe(data_dir, tmp_path, 1280, 720, 1.5, "--saved-geometry", "1920x1200")
    x, y, w, h = report["frame"]  # type: ignore[misc]
    assert w <= 1280 and h <= 720 and x >= 0 and y >= 0, report


def test_geometry_is_remembered_per_data_directory(qtbot: QtBot, window: MainWindow, data_dir: Path) -> None:
    window.resize(1100, 640)
    window.close()
    ini = data_dir / "desk-ui.ini"
    assert ini.is_file() and "geometry" in ini.read_text(encoding="utf-8")


# -- log and crash handler ---------------------------------------------------------------------------------------------


@pytest.fixture
def desk_log(tmp_path: Path):  # type: ignore[no-untyped-def]
    """configure_logging on a fresh root logger (pytest's own handlers set aside for the test)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield configure_logging(tmp_path / "data")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = saved
        root.setLevel(level)


def test_log_rotates_in_the_data_directory(desk_log: Path | None) -> None:
    from logging.handlers import RotatingFileHandler

    assert desk_log is not None and desk_log.parent.name == "logs" and desk_log.name == "desk.log"
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler))
    assert handler.maxBytes == 2 * 1024 * 1024 and handler.backupCount == 5 and handler.encoding == "utf-8"
    handler.maxBytes = 2000  # rotate quickly for the test
    for i in range(100):
        logging.getLogger("reception.test").info("第%d条记录 case JD01-20260101-%04d", i, i)
    handler.flush()
    files = sorted(p.name for p in desk_log.parent.iterdir())
    assert "desk.log" in files and "desk.log.1" in files and len(files) <= 6
    assert "第99条记录" in desk_log.read_text(encoding="utf-8")


def _raise_with_personal_data() -> None:
    id_number = "110101198001010316"
    try:
        {}["x"]  # noqa: B018
    except KeyError as exc:
        raise ValueError(f"证件号码 {id_number} 夏丽云 无法处理") from exc


def test_crash_is_logged_without_personal_data_and_told_in_chinese(qtbot: QtBot, desk_log: Path | None) -> None:
    assert desk_log is not None
    handler = CrashHandler(desk_log)
    handler.install()
    try:
        try:
            _raise_with_personal_data()
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]  (what Qt does for a slot's exception)
        qtbot.waitUntil(lambda: handler.box is not None and handler.box.isVisible())
        box = handler.box
        assert box is not None
        assert box.text() == "程序遇到意外错误，刚才的操作可能没有完成。"
        assert str(desk_log) in box.informativeText() and "不含个人信息" in box.informativeText()
        # a second error while the message is up: logged, not a second box
        try:
            _raise_with_personal_data()
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        QApplication.processEvents()
        assert sum(1 for w in QApplication.topLevelWidgets() if w.objectName() == "crashMessage"
                   and w.isVisible()) == 1
        box.accept()
        qtbot.waitUntil(lambda: handler.box is None)

        # a worker thread's exception: logged, and the message comes up on the UI thread
        worker = threading.Thread(target=_raise_with_personal_data, name="worker-1")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: handler.box is not None and handler.box.isVisible())
        handler.box.accept()  # type: ignore[union-attr]
    finally:
        handler.uninstall()
    for h in logging.getLogger().handlers:
        h.flush()
    text = desk_log.read_text(encoding="utf-8")
    assert text.count("unexpected error") == 3 and "thread worker-1" in text
    assert "builtins.ValueError" in text and "caused by:" in text and "builtins.KeyError" in text
    assert "_raise_with_personal_data" in text and "test_finish.py" in text
    for secret in ("110101198001010316", "夏丽云", "证件号码"):
        assert secret not in text
    assert sys.excepthook is not handler.excepthook


# -- 帮助 → 关于 ---------------------------------------------------------------------------------------


def test_about_shows_the_version(qtbot: QtBot, window: MainWindow) -> None:
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-1] == "帮助"
    window.about_action.trigger()
    dialog = window.about_dialog
    assert dialog is not None and dialog.isVisible()
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert f"版本 {__version__}" in texts and str(window.ctx.paths.root) in texts
    dialog.close()


def test_the_app_icon_has_every_size() -> None:
    from PIL import Image

    ico = REPO / "resources" / "icons" / "app.ico"
    with Image.open(ico) as image:
        sizes = image.info["sizes"]
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(sizes)
    from ui.icons import app_icon

    icon = app_icon()
    assert not icon.isNull() and icon.pixmap(32, 32).width() == 32
