"""The commands: reception server add-desk / list-desks / revoke-desk, reception enroll, reception sync."""

from __future__ import annotations

import re

import pytest

from reception.cli import main
from tests.sync.conftest import Env
from tests.sync.harness import random_intake


def test_enroll_and_sync_from_the_command_line(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", env.db.url]
    assert main(["server", "add-desk", "三号接待窗口", *db]) == 0
    out = capsys.readouterr().out
    code = re.search(r"一次性登记码：(\S+)", out)
    assert code is not None
    data_dir = str(env.root / "desk3")
    assert main(["enroll", "--data-dir", data_dir, "--server", env.server.url, "--code", code.group(1)]) == 0
    out = capsys.readouterr().out
    assert "已登记：工位代码 D" in out and "已下载" in out
    from reception.bootstrap import open_data_dir

    ctx = open_data_dir(env.root / "desk3")
    import random

    random_intake(ctx, random.Random(1))
    ctx.close()
    assert main(["sync", "--data-dir", data_dir, "--status"]) == 0
    assert "待上传" in capsys.readouterr().out
    assert main(["sync", "--data-dir", data_dir]) == 0
    out = capsys.readouterr().out
    assert re.search(r"已上传 [1-9]\d* 条", out) and "未解决冲突 0 个" in out
    assert main(["server", "list-desks", *db]) == 0
    out = capsys.readouterr().out
    assert "三号接待窗口" in out and "已登记" in out
    assert main(["server", "revoke-desk", "三号接待窗口", *db]) == 0
    capsys.readouterr()
    assert main(["sync", "--data-dir", data_dir]) == 1
    assert "停用" in capsys.readouterr().out
