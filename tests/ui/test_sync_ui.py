"""数据同步 in the desk window, against a real server process: enrol through the dialog, the status bar after a
save, and a conflict resolved by merging in the conflict dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from reception.db.models import Petitioner
from reception.server.db import ServerDatabase, open_server_database
from reception.server.service import add_desk, import_reference
from reception.sync.desk import list_conflicts
from tests.sync.harness import ServerProcess, new_desk, server_records
from tests.ui.helpers import by_name, click, fill_valid
from ui.main_window import PAGE_SYNC, MainWindow
from ui.sync.dialogs import ConflictDialog, EnrollDialog


@pytest.fixture
def server(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ServerProcess,
                                                                                                  ServerDatabase]]:
    monkeypatch.setenv("RECEPTION_TOKEN_STORE", "file")
    url = f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
    db = open_server_database(url)
    import_reference(db, data_dir)  # the centre's reference data is this demo district's
    proc = ServerProcess(url, tmp_path).start()
    yield proc, db
    proc.stop()
    db.dispose()


def _status(window: MainWindow) -> str:
    return window.findChild(QLabel, "syncStatus").text()  # type: ignore[union-attr]


def _enrol(qtbot: QtBot, window: MainWindow, server: ServerProcess, db: ServerDatabase) -> None:
    window.show_page(PAGE_SYNC)
    page = window.sync_page
    assert "尚未登记" in page.banner.findChild(QLabel).text()  # type: ignore[union-attr]
    _id, code = add_desk(db, "一号接待窗口")
    dialog = page.open_enroll()
    assert isinstance(dialog, EnrollDialog)
    by_name(dialog, QLineEdit, "服务器地址").setText("ftp://wrong")
    click(qtbot, dialog, "登记")
    assert "https://" in dialog.server_error.text() and dialog.isVisible()
    by_name(dialog, QLineEdit, "服务器地址").setText(server.url)
    by_name(dialog, QLineEdit, "登记码").setText(code)
    click(qtbot, dialog, "登记")
    assert not dialog.isVisible()


def test_enrol_save_and_status_bar(qtbot: QtBot, window: MainWindow, server: tuple[ServerProcess, ServerDatabase]
                                   ) -> None:
    proc, db = server
    assert _status(window) == "同步：单机模式"
    _enrol(qtbot, window, proc, db)
    assert _status(window) == "同步：已同步", _status(window)
    page = window.sync_page
    assert page.tabs.tabText(0) == "待上传（0）" and not page.enroll_button.isVisible()
    # a save goes to the server at once, in the background
    window.show_page(0)
    fill_valid(qtbot, window.intake_page.form, name="夏丽云")
    window.intake_page.save()
    assert window.intake_page.result is not None
    assert ("petition_case", window.intake_page.result.case_id) in server_records(db)
    assert _status(window) == "同步：已同步"
    # offline: the save waits, the status bar says so
    proc.stop()
    window.intake_page.new_form(confirm=False)
    fill_valid(qtbot, window.intake_page.form, name="李建国", id_number="")
    window.intake_page.save()
    text = _status(window)
    assert "离线（自 " in text and "待上传 " in text and "（最早 " in text, text
    proc.start()
    click(qtbot, window.sync_page, "立即同步")
    assert _status(window) == "同步：已同步"


def test_conflict_resolved_by_merging(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                      server: tuple[ServerProcess, ServerDatabase]) -> None:
    proc, db = server
    _enrol(qtbot, window, proc, db)
    other = new_desk(db, proc.url, tmp_path / "other", "二号窗口")
    try:
        with window.ctx.db.read() as s:
            person = s.query(Petitioner).order_by(Petitioner.id).first()
            assert person is not None
            person_id = person.id
        with other.ctx.db.write() as s:
            p = s.get(Petitioner, person_id)
            assert p is not None
            p.address = "二号窗口核实的住址"
            p.gender = "female" if p.gender != "female" else "male"
        assert other.sync().ok
        with window.ctx.db.write() as s:
            p = s.get(Petitioner, person_id)
            assert p is not None
            p.address = "一号窗口核实的住址"
        window.sync_now()
        assert "冲突 1" in _status(window)
        window.show_page(PAGE_SYNC)
        page = window.sync_page
        assert page.tabs.tabText(2) == "冲突（1）"
        dialog = page.open_conflict()
        assert isinstance(dialog, ConflictDialog)
        assert set(dialog.choices) >= {"address", "gender"} and "updated_at" not in dialog.choices
        address = by_name(dialog, QComboBox, "采用 住址")
        address.setCurrentIndex(address.findData("local"))  # this desk's address, the other desk's gender
        click(qtbot, dialog, "按所选合并")
        assert not dialog.isVisible()
        assert list_conflicts(window.ctx) == []
        click(qtbot, page, "立即同步")
        assert _status(window) == "同步：已同步"
        assert other.sync().ok
        with other.ctx.db.read() as s:
            p = s.get(Petitioner, person_id)
            assert p is not None and p.address == "一号窗口核实的住址"
    finally:
        other.close()


def test_a_pulled_record_the_desk_cannot_read_is_parked_on_the_sync_page(
        qtbot: QtBot, window: MainWindow, server: tuple[ServerProcess, ServerDatabase]) -> None:
    from reception.server import service
    from reception.server.models import Record

    proc, db = server
    _enrol(qtbot, window, proc, db)
    with db.session() as s:  # a malformed setting (as a server of an earlier version could hold): read by no desk
        counter = service._lock_counter(s)
        counter.value += 1
        s.merge(Record(table_name="centre_setting", record_id="lifecycle", version=9, seq=counter.value,
                       deleted=False, data={"key": "lifecycle", "value": {"sign_days": "三天"},
                                            "updated_at": "2026-03-02T01:00:00+00:00"}, origin="legacy"))
    window.show_page(PAGE_SYNC)
    page = window.sync_page
    click(qtbot, page, "立即同步")
    assert "冲突 1" in _status(window), _status(window)  # the cycle completed, the record is parked
    assert page.tabs.tabText(2) == "冲突（1）"
    cells = [page.conflict_table.item(0, c).text() for c in range(4)]  # type: ignore[union-attr]
    assert cells[0] == "无法保存下载的记录" and "sign_days" in cells[3] and "无法读取下载的记录" in cells[3], cells
