"""Environment errors are not bugs: a server whose disk is full or read-only answers 503 with the reason, the desk
and the command line show it in Chinese, there is no traceback anywhere, and nothing is half-written (the
enrolment code still works once there is room). The disks are small tmpfs mounts (root only: skipped otherwise);
a lost PostgreSQL and a locked SQLite database are real errors too."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from reception.bootstrap import open_data_dir
from reception.envfail import DISK_FULL, LOCKED, environment_reason
from reception.server.db import open_server_database
from reception.server.service import add_desk
from reception.sync.desk import SyncError, enroll
from tests.sync.conftest import Env
from tests.sync.harness import ROOT, ServerProcess, fast_client


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode(errors='replace')[:200]}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler.bin"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reception", *args], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)


def test_a_full_then_read_only_server_disk(small_disk: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{(small_disk / 'server.sqlite3').as_posix()}"
    db = open_server_database(url)
    _client, code = add_desk(db, "一号窗口")
    db.dispose()
    server = ServerProcess(url, tmp_path).start()
    ctx = open_data_dir(tmp_path / "desk")
    try:
        filler = _fill(small_disk)
        with pytest.raises(SyncError) as refused:
            enroll(ctx, server.url, code, client_factory=fast_client)
        assert DISK_FULL in refused.value.message, refused.value.message
        cli = _cli("server", "add-desk", "二号窗口", "--db", url)
        assert cli.returncode == 3 and DISK_FULL in cli.stderr, cli.stderr
        assert "Traceback" not in cli.stderr
        filler.unlink()  # room again: the same code still enrols (nothing was half-written)
        result = enroll(ctx, server.url, code, client_factory=fast_client, first_sync=False)
        assert result.desk_code == "D01"
        server.stop()  # (a mount in use cannot be made read-only: the server's files are open)
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        cli = _cli("server", "add-desk", "三号窗口", "--db", url)
        assert cli.returncode == 3 and "Traceback" not in cli.stderr, cli.stderr
        assert "只读" in cli.stderr or "无法打开" in cli.stderr, cli.stderr
        cli = _cli("init", "--data-dir", str(small_disk / "desk"))
        assert cli.returncode == 3 and "Traceback" not in cli.stderr, cli.stderr
        assert "只读" in cli.stderr, cli.stderr
    finally:
        ctx.close()
        server.stop()
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=False)
    log = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert "Traceback" not in log, log[-2000:]


def test_a_lost_postgresql_is_a_message_not_a_traceback() -> None:
    cli = _cli("server", "list-desks", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    assert cli.returncode == 3, cli.stderr
    assert "数据库服务器的连接中断" in cli.stderr and "Traceback" not in cli.stderr


def test_a_locked_database_is_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            other.execute("INSERT INTO t VALUES (1)")
        assert environment_reason(raised.value) == LOCKED
        wrapped = OperationalError("INSERT", {}, raised.value)
        assert environment_reason(wrapped) == LOCKED
        assert environment_reason(ValueError("a bug")) == ""
    finally:
        other.close()
        holder.close()


def test_a_full_desk_disk_is_a_message_in_the_sync_report(env: Env, tmp_path: Path) -> None:
    from tests.sync.harness import new_desk

    if env.db.dialect != "sqlite":
        pytest.skip("the desk's disk does not depend on the server's database")
    mnt = tmp_path / "desk-disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        a = new_desk(env.db, env.server.url, mnt / "desk", "一号窗口", seed=5)
        b = env.desk("二号窗口", seed=6)
        try:
            b.intake(30)
            assert b.sync().ok
            _fill(mnt)
            report = a.sync()
            assert not report.ok and DISK_FULL in report.error, report
        finally:
            a.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
