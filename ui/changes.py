"""The Qt side of ``reception.changes``: one ``changed`` signal, on the GUI thread, that every page subscribes to.

The core's hub calls us on whichever thread committed (the writer, the sync's reader, or the GUI thread itself in
tests). Changes are gathered in a thread-safe queue and emitted once, merged, when the GUI thread next runs its
events, or at once by ``flush`` (``TaskManager`` flushes before it delivers a task's result, so a page that
handles a result already knows what the task changed). Workers never emit the signal themselves.
"""

from __future__ import annotations

import queue
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from reception.changes import ChangeHub, ChangeSet

_WAKE = QEvent.Type(QEvent.registerEventType())


class ChangeBroadcast(QObject):
    """``changed(ChangeSet)``: something was committed (or, by ``notify``, re-read) that screens show."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: queue.SimpleQueue[ChangeSet] = queue.SimpleQueue()
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, hub: ChangeHub) -> None:
        """Listen to one database's hub (one at a time: attaching again replaces the previous one)."""
        self.detach()
        self._unsubscribe = hub.subscribe(self._from_any_thread)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def notify(self, changes: ChangeSet) -> None:
        """On the GUI thread: what was queued, then ``changes``, emitted now (e.g. the directory was read again)."""
        self.flush(changes)

    def flush(self, extra: ChangeSet | None = None) -> None:
        """Emit what arrived since the last emission (and ``extra``), merged into one ``ChangeSet``; nothing when
        nothing changed."""
        merged = extra or ChangeSet()
        while True:
            try:
                merged = merged | self._pending.get_nowait()
            except queue.Empty:
                break
        if merged:
            self.changed.emit(merged)

    def _from_any_thread(self, changes: ChangeSet) -> None:
        if not shiboken6.isValid(self):  # the window that listened is gone
            self.detach()
            return
        self._pending.put(changes)
        QCoreApplication.postEvent(self, QEvent(_WAKE))

    def event(self, event: QEvent) -> bool:
        if event.type() == _WAKE:
            self.flush()
            return True
        return super().event(event)

