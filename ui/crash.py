"""The desk app's last line of defence: an unexpected exception is logged (without personal data) and the officer
sees a Chinese message, instead of the app dying silently or a traceback nobody reads.

``install_crash_handler`` replaces ``sys.excepthook`` (exceptions raised in Qt slots and at the top level) and
``threading.excepthook`` (worker threads). The log gets the exception's type and its stack (file, line, function)
from ``reception.security.logsafe.safe_traceback`` — never the exception's message, which may quote what a user
typed (a name, an ID number). The message box is shown on the UI thread whichever thread failed, one at a time.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from reception import APP_TITLE
from reception.security.logsafe import safe_traceback

log = logging.getLogger("reception.crash")

CRASH_TEXT = "程序遇到意外错误，刚才的操作可能没有完成。"
CRASH_DETAIL = ("错误已记录到日志（不含个人信息）：\n{log}\n\n"
                "已保存的数据不受影响。可以继续使用；如果反复出现，请联系系统管理员并提供该日志文件。")


class CrashHandler(QObject):
    """Logs unexpected exceptions and tells the user; ``shown`` holds the message boxes opened (tests read it)."""

    _report = Signal(str)

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.count = 0
        self.box: QMessageBox | None = None
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # -- hooks --------------------------------------------------------------------------------------------------------

    def install(self) -> CrashHandler:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        return self

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self.thread_excepthook:
            threading.excepthook = self._previous_thread_hook

    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        self.handle(exc_type, exc, tb, where="main")

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name}")

    # -- what happens -------------------------------------------------------------------------------------------------

    def handle(self, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None, *,
               where: str) -> None:
        self.count += 1
        with contextlib.suppress(Exception):  # a crash handler must not crash
            log.error("unexpected error (%s):\n%s", where, safe_traceback(exc_type, exc, tb))
        # a signal emitted from a worker thread is delivered on the UI thread (queued)
        self._report.emit(where)

    def _show(self, _where: str) -> None:
        if QApplication.instance() is None:
            return
        if self.box is not None and self.box.isVisible():
            return  # one message at a time: a burst of errors is one message
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Critical, APP_TITLE, CRASH_TEXT, QMessageBox.StandardButton.Ok,
                          parent if isinstance(parent, QWidget) else None)
        box.setObjectName("crashMessage")
        box.setInformativeText(CRASH_DETAIL.format(log=str(self.log_file) if self.log_file else "（未能写入日志）"))
        box.finished.connect(self._forget)
        self.box = box
        box.open()

    def _forget(self) -> None:
        box, self.box = self.box, None
        if box is not None:
            box.deleteLater()


def install_crash_handler(log_file: Path | None) -> CrashHandler:
    """Install the hooks for the running QApplication (the handler is parented to it)."""
    app = QApplication.instance()
    return CrashHandler(log_file, app).install()
