"""Guard against Qt-binding reference leaks that abort the interpreter (PySide6 6.12.0 on CPython 3.11).

That release dropped one reference to ``None`` for every signal delivered to a Python slot, and one to ``True`` on
every ``emit()``. ``None`` and ``True`` are not immortal before CPython 3.12, so the desk app died with
"none_dealloc" after a few thousand keystrokes. pyproject.toml excludes that release; this test fails if any
installed binding leaks again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    changed = Signal()
    value = Signal(object)


ROUNDS = 2000


def test_signals_into_python_slots_keep_none_and_true_alive(qtbot: QtBot) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    seen: list[str] = []
    edit.textChanged.connect(seen.append)
    source = _Emitter()
    values: list[object] = []
    source.value.connect(values.append)
    source.changed.connect(lambda: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(ROUNDS):
        edit.setText(str(i))
        source.changed.emit()
        source.value.emit(i)
    assert len(seen) == ROUNDS and len(values) == ROUNDS
    assert abs(sys.getrefcount(None) - none_before) < ROUNDS // 10
    assert abs(sys.getrefcount(True) - true_before) < ROUNDS // 10
