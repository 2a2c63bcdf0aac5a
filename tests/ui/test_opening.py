"""Opening the data directory before the first window (``ui.opening``): off the GUI thread, with a window that says
what is being done (an index build counts its petitioners), and the core's refusal raised as before."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from reception.domain.errors import ReceptionError
from reception.paths import DataPaths
from reception.search import INDEX_SETTING, INDEX_VERSION
from ui.app import seed_demo_if_empty
from ui.opening import OpeningDialog, open_with_progress


@pytest.fixture()
def demo_dir(tmp_path: Path) -> Path:
    seed_demo_if_empty(tmp_path)
    return tmp_path


def _stale_index(data_dir: Path) -> None:
    with sqlite3.connect(DataPaths(data_dir).database) as conn:
        conn.execute("UPDATE setting SET value = ? WHERE key = ?", (json.dumps({"version": 0}), INDEX_SETTING))


def test_an_index_build_at_open_is_shown_with_its_count_and_runs_off_the_gui_thread(
        qtbot: QtBot, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stale_index(demo_dir)
    seen: list[tuple[str, int, int]] = []
    shown: list[OpeningDialog] = []
    threads: set[str] = set()
    real = OpeningDialog.show_progress

    def record(self: OpeningDialog, text: str, done: int, total: int) -> None:
        threads.add(threading.current_thread().name)
        seen.append((text, done, total))
        real(self, text, done, total)

    monkeypatch.setattr(OpeningDialog, "show_progress", record)
    from reception.bootstrap import open_data_dir

    window_up = threading.Event()

    def opener(data_dir: Path, **kw: object) -> object:
        threads.add("opener:" + threading.current_thread().name)
        # a long open, as at a million petitioners: still opening when the window is due (a demo's index is built
        # in milliseconds, before the GUI thread would show anything)
        assert window_up.wait(timeout=30), "the window never appeared"
        return open_data_dir(data_dir, **kw)  # type: ignore[arg-type]

    def on_dialog(dialog: OpeningDialog) -> None:
        shown.append(dialog)
        window_up.set()
        if os.environ.get("OPENING_SHOTS"):
            dialog.grab().save(str(Path(os.environ["OPENING_SHOTS"]) / "opening.png"))

    ctx = open_with_progress(demo_dir, opener=opener, show_after_ms=0, on_dialog=on_dialog)  # type: ignore[arg-type]
    try:
        assert "opener:desk-open" in threads  # opened on the worker thread...
        assert threads - {"opener:desk-open"} == {threading.main_thread().name}  # ...shown on the GUI thread
        assert shown, "the window appears while opening takes long"
        builds = [(done, total) for text, done, total in seen if "检索索引" in text]
        assert builds and builds[-1][0] == builds[-1][1] > 0  # counted to the last petitioner
        assert seen[0][0].startswith("正在检查数据库版本")
        from sqlalchemy import select

        from reception.db.models import Setting

        with ctx.db.read() as session:
            row = session.get(Setting, INDEX_SETTING)
            assert row is not None and row.value["version"] == INDEX_VERSION
            assert session.scalar(select(Setting.key).where(Setting.key == INDEX_SETTING)) == INDEX_SETTING
        assert not shown[0].isVisible()  # gone once open
    finally:
        ctx.close()


def test_a_quick_open_shows_no_window(qtbot: QtBot, demo_dir: Path) -> None:
    shown: list[OpeningDialog] = []
    ctx = open_with_progress(demo_dir, show_after_ms=60_000, on_dialog=shown.append)
    ctx.close()
    assert shown == []


def test_a_newer_database_is_refused_on_the_gui_thread_and_left_untouched(qtbot: QtBot, demo_dir: Path) -> None:
    db = DataPaths(demo_dir).database
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = db.read_bytes()
    with pytest.raises(ReceptionError) as refused:
        open_with_progress(demo_dir, show_after_ms=0)
    assert refused.value.key == "database_newer"
    assert "更高版本" in refused.value.message
    assert db.read_bytes() == before


def test_escape_does_not_close_the_window(qtbot: QtBot) -> None:
    dialog = OpeningDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reject()
    assert dialog.isVisible()
    dialog.show_progress("正在重建检索索引（升级后只做一次）：500 / 1,000 位信访人", 500, 1000)
    assert (dialog.bar.maximum(), dialog.bar.value()) == (1000, 500)
    assert dialog.bar.accessibleName() == "打开进度"
    dialog.show_progress("正在更新数据库统计信息…", 0, 0)
    assert dialog.bar.maximum() == 0  # busy: no total
