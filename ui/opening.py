"""Opening the data directory before the first window, with visible progress.

Most starts open the directory after the login dialog is painted (``reception.startstate``). The others must open
it first: a database to migrate (with its backup first), a newer one to refuse, a search index to fill after an
upgrade (``INDEX_VERSION``: about two minutes at a million visits). Those run ``open_data_dir`` on a worker thread
while this small window says what is being done, with a count where there is one; it appears only when opening
takes longer than ``SHOW_AFTER_MS``, so an ordinary start never flashes it. It cannot be cancelled: a migration or
an index build stopped half-way is rolled back and would start again at the next start.

The result (or the core's error, ``ReceptionError`` included) is returned or raised on the GUI thread, as a plain
call to ``open_data_dir`` would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from reception.context import AppContext

SHOW_AFTER_MS = 400
TITLE = "正在打开数据"


class _Relay(QObject):
    """Carries the worker's news to the GUI thread (queued: the worker never touches a widget)."""

    progress = Signal(str, int, int)
    finished = Signal()


class OpeningDialog(QDialog):
    """The window itself: a sentence and a bar (busy while the total is unknown)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.setModal(True)
        self.message = QLabel("正在打开数据…")
        self.message.setObjectName("openingMessage")
        self.message.setWordWrap(True)
        self.message.setMinimumWidth(420)
        self.bar = QProgressBar()
        self.bar.setObjectName("openingProgress")
        self.bar.setAccessibleName("打开进度")
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.note = QLabel("数据量大时需要几分钟，请勿关闭电脑。完成后自动进入登录。")
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.bar)
        layout.addWidget(self.note)

    def show_progress(self, text: str, done: int, total: int) -> None:
        self.message.setText(text)
        self.message.setAccessibleName(text)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setTextVisible(True)
        else:
            self.bar.setRange(0, 0)
            self.bar.setTextVisible(False)

    def reject(self) -> None:  # Esc: opening cannot be stopped half-way
        return


def open_with_progress(data_dir: Path, *, opener: Callable[..., AppContext] | None = None,
                       show_after_ms: int = SHOW_AFTER_MS,
                       on_dialog: Callable[[OpeningDialog], None] | None = None) -> AppContext:
    """``open_data_dir(data_dir)`` on a worker thread, the GUI responsive and, after ``show_after_ms``, the progress
    window shown. ``opener`` (tests) stands in for ``open_data_dir``; ``on_dialog`` hears of the window once shown."""
    if opener is None:
        from reception.bootstrap import open_data_dir

        opener = open_data_dir
    relay = _Relay()
    dialog = OpeningDialog()
    result: list[AppContext] = []
    failure: list[BaseException] = []
    loop = QEventLoop()

    def work() -> None:
        try:
            result.append(opener(data_dir, progress=lambda text, done, total: relay.progress.emit(text, done, total)))
        except BaseException as exc:  # handed to the GUI thread and raised there
            failure.append(exc)
        finally:
            relay.finished.emit()

    def show() -> None:
        if not result and not failure:
            dialog.show()
            if on_dialog is not None:
                on_dialog(dialog)

    relay.progress.connect(dialog.show_progress, Qt.ConnectionType.QueuedConnection)
    relay.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(show)
    timer.start(max(0, show_after_ms))
    worker = threading.Thread(target=work, name="desk-open", daemon=True)
    worker.start()
    loop.exec()
    worker.join()
    timer.stop()
    dialog.hide()
    dialog.deleteLater()
    relay.deleteLater()
    if failure:
        raise failure[0]
    return result[0]
