"""The receipt's QR code read by a hand-held scanner, anywhere in the app.

A USB or Bluetooth scanner in keyboard-wedge mode types the code's payload as keystrokes, a few milliseconds apart,
then Enter. ``ScannerFilter`` watches every key press of the application (an application-level event filter, so it
works on every page and in every dialog) and recognises such a burst: printable characters arriving faster than a
person types (``MAX_GAP_S`` apart at most), ended by Enter, that read as a receipt payload
(``reception.search.query.parse_qr``: ``XF:<case no>:<query code>`` or ``<base URL>/q/<case no>?c=<query code>``).
Then the Enter is swallowed, the burst is taken back out of the line edit it was typed into, and ``scanned`` is
emitted with the payload; ``install_scanner`` makes the main window open the case.

Typing by hand is never taken for a scan: a person's keystrokes are 80 ms or more apart, so the burst breaks, and
anything that is not a receipt payload passes through untouched (the Enter included). The payload is never logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from reception.search.query import parse_qr

if TYPE_CHECKING:
    from ui.main_window import MainWindow

MAX_GAP_S = 0.05
"""Scanners type a character every 1–20 ms; 50 ms leaves room for a busy desk PC. People type 80–300 ms apart."""
MIN_LENGTH = 16
"""The shortest payload: ``XF:`` + a case number (2 + 1 + 8 + 1 + 4 characters) + ``:`` + a code."""
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ScannerFilter(QObject):
    scanned = Signal(str)
    """A receipt payload was scanned (the raw text, for ``reception.search``)."""

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.monotonic,
                 max_gap_s: float = MAX_GAP_S, active: Callable[[], bool] = lambda: True) -> None:
        super().__init__(parent)
        self.clock = clock
        self.active = active
        """Whether scans are taken now (the main window is open: a closed one leaves the keys alone)."""
        self.max_gap_s = max_gap_s
        self._buffer: list[str] = []
        self._last_at = 0.0
        self._last_receiver: QWidget | None = None
        self._last_key: tuple[int, str] | None = None

    def _propagated(self, widget: QWidget, key: tuple[int, str]) -> bool:
        """The same key press handed on to a parent (an ignored key event travels up the widget tree; the
        application's filter sees each delivery): counted once."""
        last = self._last_receiver
        try:
            return (key == self._last_key and last is not None and widget is not last
                    and widget.isAncestorOf(last) and self.clock() - self._last_at < 0.002)
        except RuntimeError:  # the last receiver was deleted
            return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(watched, QWidget) or not self.active():
            return False
        assert isinstance(event, QKeyEvent)
        key = (event.key(), event.text())
        if self._propagated(watched, key):
            return self._last_key_consumed
        now = self.clock()
        if now - self._last_at > self.max_gap_s:
            self._buffer.clear()
        self._last_at, self._last_receiver, self._last_key = now, watched, key
        self._last_key_consumed = False
        if event.key() in ENTER_KEYS:
            payload = _payload_in("".join(self._buffer))
            self._buffer.clear()
            if payload:
                self._take_back(watched, payload)
                self._last_key_consumed = True
                self.scanned.emit(payload)
                return True
            return False
        text = event.text()
        if text and text.isprintable() and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                                                     | Qt.KeyboardModifier.AltModifier):
            self._buffer.append(text)
        else:
            self._buffer.clear()
        return False

    _last_key_consumed = False

    @staticmethod
    def _take_back(widget: QWidget, payload: str) -> None:
        """Remove the scanned characters from the field they were typed into (what was there before stays)."""
        focus = QApplication.focusWidget() or widget
        if isinstance(focus, QLineEdit) and focus.text().endswith(payload):
            focus.setText(focus.text()[: -len(payload)])
        elif isinstance(focus, QPlainTextEdit | QTextEdit) and focus.toPlainText().endswith(payload):
            cursor = focus.textCursor()
            for _ in payload:
                cursor.deletePreviousChar()


def _payload_in(burst: str) -> str:
    """The receipt payload a burst of keystrokes ends with ('' if none): the burst may begin with a key the officer
    pressed just before the scan."""
    lowered = burst.lower()
    for start in (i for i in range(len(burst)) if lowered.startswith(("xf:", "http://", "https://"), i)):
        candidate = burst[start:]
        if len(candidate) >= MIN_LENGTH and parse_qr(candidate) is not None:
            return candidate
    return ""


def install_scanner(window: MainWindow) -> ScannerFilter:
    """Watch the whole application for scanned receipts; each one opens its case over the current page."""
    app = QApplication.instance()
    assert app is not None
    scanner = ScannerFilter(window, active=window.isVisible)  # (removed from the application with the window)
    app.installEventFilter(scanner)
    scanner.scanned.connect(lambda payload: window.cases_page.open_scanned(payload))
    return scanner
