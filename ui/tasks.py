"""Background work for the desk app, in the style of Anki's ``aqt/taskman.py``.

- One single-thread executor for every database write (saves, audited look-ups, settings): writes never race
  each other for SQLite's write lock and run in the order the officer asked for them.
- A small pool for reads and PDF work (search, routing proposals, rendering).
- Results and errors are delivered on the GUI thread through a queued signal; workers never touch widgets.
- A default error handler shows the core's Chinese message (``ReceptionError.message``) or a generic
  "操作失败" and logs the failure without personal data (exception type and stack frames only, never the message:
  SQL errors, for instance, carry the bound parameters in their text).
- ``TaskManager(synchronous=True)`` runs everything inline, for tests.
- ``op`` is the one-line call site (Anki's ``CollectionOp``/``QueryOp``): the work, what to do with its result,
  and where its Chinese error message goes (the default: a message box), with visible progress (``busy``: buttons
  disabled or a busy bar shown while it runs; and the main window's status bar says 正在处理… while any op runs).
- ``changes`` (``ui/changes.py``) broadcasts what the committed writes changed; it is flushed before each result
  is delivered, so the pages already know what a task changed when its handler runs.
"""

from __future__ import annotations

import logging
import queue
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from reception.domain.errors import ReceptionError
from ui.changes import ChangeBroadcast

log = logging.getLogger(__name__)

T = TypeVar("T")

GENERIC_ERROR = "操作失败。请重试；如果问题仍然存在，请联系系统管理员。"
READ_WORKERS = 3

DoneFn = Callable[[Any], None]
ErrorFn = Callable[[BaseException], None]
MessageFn = Callable[[str], None]
"""Where an op's Chinese error message goes: a banner's or a label's setter (``lambda m: banner.show(m)``)."""
BusyFn = Callable[[bool], None]
"""Called with True when an op starts and False when it ends, whichever way: the op's visible progress."""


def error_message(exc: BaseException) -> str:
    """What the officer reads: the core's own Chinese message, or a generic one for anything unexpected."""
    if isinstance(exc, ReceptionError):
        return exc.message
    return GENERIC_ERROR


def disable(*widgets: QWidget) -> BusyFn:
    """An op's progress as buttons (or a form) disabled while it runs."""
    def busy(on: bool) -> None:
        for w in widgets:
            if shiboken6.isValid(w):
                w.setEnabled(not on)
    return busy


def reveal(*widgets: QWidget) -> BusyFn:
    """An op's progress as a busy bar (or a "正在…" label) shown while it runs."""
    def busy(on: bool) -> None:
        for w in widgets:
            if shiboken6.isValid(w):
                w.setVisible(on)
    return busy


def log_failure(exc: BaseException, what: str = "task") -> None:
    """Log a failure without personal data: the error's key or type and the stack frames, never its message."""
    if isinstance(exc, ReceptionError):
        log.info("%s refused: %s (%s)", what, exc.key, type(exc).__name__)
        return
    # file, line and function only: neither the message nor the source lines (which could quote a literal)
    frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__))
    log.error("%s failed: %s\n%s", what, type(exc).__name__, frames)


_WAKE = QEvent.Type(QEvent.registerEventType())


class _Bridge(QObject):
    """Lives in the GUI thread. Workers put callbacks in a thread-safe queue and post an event; the bridge runs
    the callbacks when the GUI thread handles it. (No Python objects travel through Qt, and no signal is emitted
    from a worker.)"""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def post(self, callback: Callable[[], None]) -> None:
        """Called from any thread."""
        self._callbacks.put(callback)
        QCoreApplication.postEvent(self, QEvent(_WAKE))

    def event(self, event: QEvent) -> bool:
        if event.type() == _WAKE:
            self._drain()
            return True
        return super().event(event)

    def _drain(self) -> None:
        while True:
            try:
                callback = self._callbacks.get_nowait()
            except queue.Empty:
                return
            callback()


class TaskManager(QObject):
    """Run ``fn`` in the background and hand its result to ``on_done`` on the GUI thread."""

    busyChanged = Signal(bool)
    opsChanged = Signal(int)
    """How many ops (``op``, the officer's own requests) are running: the status bar's 正在处理…."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        synchronous: bool = False,
        error_handler: ErrorFn | None = None,
    ) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.window: QWidget | None = None
        """Parent of the default error message box."""
        self.error_handler: ErrorFn = error_handler or self.show_error
        self._bridge = _Bridge()
        self._writer: ThreadPoolExecutor | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._pending = 0
        self._ops = 0
        self._closed = False
        self.changes = ChangeBroadcast(self)
        """What committed writes changed (``attach`` it to the database's hub): pages subscribe to ``changed``."""

    # -- public API -------------------------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Tasks submitted and not yet delivered."""
        return self._pending

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorFn | None = None,
        *,
        write: bool = False,
        owner: QObject | None = None,
        what: str = "task",
    ) -> None:
        """Run ``fn()`` on the writer thread (``write=True``) or the read pool; deliver on the GUI thread.

        ``on_error`` replaces the default error handler for this call. When ``owner`` has been deleted by the time
        the result arrives, nothing is delivered (the page that asked is gone).
        """
        if self._closed:
            log.warning("task submitted after shutdown: %s", what)
            return
        self._set_pending(self._pending + 1)
        if self.synchronous:
            self._execute(fn, on_done, on_error, owner, what, deliver=lambda cb: cb())
            return
        executor = self._writer_executor() if write else self._reader_executor()
        executor.submit(self._execute, fn, on_done, on_error, owner, what, self._bridge.post)

    def run_write(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorFn | None = None,
        *,
        owner: QObject | None = None,
        what: str = "write",
    ) -> None:
        self.run(fn, on_done, on_error, write=True, owner=owner, what=what)

    @property
    def ops(self) -> int:
        """Ops running (submitted by ``op`` and not yet delivered)."""
        return self._ops

    def op(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        *,
        what: str,
        write: bool = False,
        owner: QObject | None = None,
        message: MessageFn | None = None,
        prefix: str = "",
        on_error: ErrorFn | None = None,
        busy: BusyFn | None = None,
    ) -> None:
        """One background operation, with default error handling and visible progress.

        ``fn`` runs on the writer (``write=True``) or the read pool; ``on_done(result)`` on the GUI thread. A
        failure is logged without personal data and its Chinese message (``error_message``, after ``prefix``) goes
        to ``message``, or to ``on_error`` when the exception itself is wanted (a form that marks the field), or by
        default to a message box: never a traceback. ``busy(True)`` is called now and ``busy(False)`` before the
        result or the error is handled, unless ``owner`` has gone.
        """
        if self._closed:
            log.warning("op submitted after shutdown: %s", what)
            return
        if busy is not None:
            busy(True)
        self._set_ops(self._ops + 1)

        def end() -> bool:
            self._set_ops(self._ops - 1)
            if self._owner_gone(owner):
                return False
            if busy is not None:
                busy(False)
            return True

        def done(result: T) -> None:
            if end() and on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not end():
                return
            if on_error is not None:
                on_error(exc)
            elif message is not None:
                message(prefix + error_message(exc))
            else:
                self.error_handler(exc)

        self.run(fn, done, failed, write=write, what=what)  # (the owner is checked in ``end``, which must run)

    def show_error(self, exc: BaseException) -> None:
        """The default error handler: a non-blocking message box with the Chinese message."""
        box = QMessageBox(QMessageBox.Icon.Warning, "操作失败", error_message(exc), QMessageBox.StandardButton.Ok,
                          self.window)
        ok = box.button(QMessageBox.StandardButton.Ok)
        if ok is not None:  # Qt's own translations are not loaded: its "OK" would stay English
            ok.setText("确定")
            ok.setAccessibleName("确定")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setObjectName("taskErrorBox")
        box.open()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop accepting work and let queued writes finish (a save must never be cut off)."""
        self._closed = True
        for executor in (self._writer, self._readers):
            if executor is not None:
                executor.shutdown(wait=wait, cancel_futures=False)

    # -- internals ----------------------------------------------------------------------------------------------------

    def _writer_executor(self) -> ThreadPoolExecutor:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-db-write")
        return self._writer

    def _reader_executor(self) -> ThreadPoolExecutor:
        if self._readers is None:
            self._readers = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="desk-read")
        return self._readers

    def _set_ops(self, value: int) -> None:
        self._ops = value
        self.opsChanged.emit(value)

    def _set_pending(self, value: int) -> None:
        was_busy = self._pending > 0
        self._pending = value
        if was_busy != (value > 0):
            self.busyChanged.emit(value > 0)

    def _execute(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None,
        on_error: ErrorFn | None,
        owner: QObject | None,
        what: str,
        deliver: Callable[[Callable[[], None]], None],
    ) -> None:
        """Runs in the worker (or inline). Only ``deliver``-ed callbacks touch Qt objects."""
        try:
            result = fn()
        except Exception as exc:  # every failure is reported, never raised into the event loop
            failure = exc
            deliver(lambda: self._fail(failure, on_error, owner, what))
            return
        deliver(lambda: self._succeed(result, on_done, owner))

    def _owner_gone(self, owner: QObject | None) -> bool:
        return owner is not None and not shiboken6.isValid(owner)

    def _succeed(self, result: T, on_done: Callable[[T], None] | None, owner: QObject | None) -> None:
        self._set_pending(self._pending - 1)
        self.changes.flush()
        if on_done is not None and not self._owner_gone(owner):
            on_done(result)

    def _fail(self, exc: BaseException, on_error: ErrorFn | None, owner: QObject | None, what: str) -> None:
        self._set_pending(self._pending - 1)
        self.changes.flush()
        log_failure(exc, what)
        if self._owner_gone(owner):
            return
        (on_error or self.error_handler)(exc)
