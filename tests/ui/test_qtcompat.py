"""The PySide6 6.12 emit() reference leak must not bring the desk app down after a few hundred keystrokes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ui.qtcompat import emit

UI = Path(__file__).resolve().parents[2] / "ui"


class _Emitter(QObject):
    changed = Signal()
    value = Signal(object)


def test_emit_keeps_the_reference_count_of_true() -> None:
    source = _Emitter()
    received: list[object] = []
    source.value.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(5000):  # far more than the references True has in a fresh interpreter
        emit(source.changed)
        emit(source.value, i)
    assert abs(sys.getrefcount(True) - before) < 50
    assert len(received) == 5000


def test_ui_code_never_calls_signal_emit_directly() -> None:
    offenders = []
    for path in UI.rglob("*.py"):
        if path.name == "qtcompat.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\.emit\(", line):
                offenders.append(f"{path.relative_to(UI.parent)}:{number}")
    assert offenders == [], "use ui.qtcompat.emit(signal, ...) instead of signal.emit(...)"
