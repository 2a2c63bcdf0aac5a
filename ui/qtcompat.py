"""Work-arounds for bugs of the Qt binding. Keep each one small, detected at run time, and explained.

``emit``: in PySide6 6.12.0, ``SignalInstance.emit()`` returns ``True`` without taking a reference to it, so each
call from Python drops one reference to ``True``. On CPython 3.11 ``True`` is not immortal: after a few hundred
emits the interpreter aborts with "bool_dealloc: deallocating True or False" (found by the UI test suite; a desk
officer would hit it after a few hundred keystrokes). Every emit in ``ui/`` goes through ``emit()`` below, which
puts the lost reference back, only when a probe at import time shows that this binding has the bug.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal()


def _emit_steals_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        _incref(True)  # repair what the probe itself took
    probe.deleteLater()
    return lost >= 8


EMIT_STEALS_REFERENCE = _emit_steals_a_reference()


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``, safe with the PySide6 6.12 reference leak."""
    result = signal.emit(*args)  # type: ignore[func-returns-value]  # the stubs say None; it returns a bool
    if EMIT_STEALS_REFERENCE and result is not None:
        _incref(result)
