"""``reception import-ledger``: dry run, import, re-import, saved profiles, undo, from the command line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reception.cli import main
from reception.ledger.service import list_imports
from tests.unit.conftest import Desk
from tests.unit.ledger.files import ID_LI, ID_ZHANG, write_csv_gbk, write_xlsx

pytestmark = pytest.mark.dated


def test_dry_run_then_import_then_reimport(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    path = write_xlsx(tmp_path / "台账.xlsx")
    root = str(desk.ctx.paths.root)
    assert main(["import-ledger", str(path), "--dry-run", "--category", "HB01", "--data-dir", root]) == 1
    out = capsys.readouterr().out
    assert "工作表：2021年台账；表头第2行起共2行" in out
    assert "  姓名 ← 第1列“信访人信息/姓名”" in out
    assert "第7行 错误 身份证号：" in out
    assert out.strip().endswith("共9行：可导入4行，有错误5行，已导入过0行")
    assert list_imports(desk.ctx) == []
    assert main(["import-ledger", str(path), "--category", "HB01", "--save-profile", "2021台账",
                 "--data-dir", root]) == 0
    out = capsys.readouterr().out
    assert "导入完成：共9行，导入4行（新建信访事项4件、信访人3人）" in out
    assert "已保存映射方案“2021台账”" in out
    # the saved profile (with its default category) fits the CSV export of the same ledger: nothing new
    csv_path = write_csv_gbk(tmp_path / "台账.csv")
    assert main(["import-ledger", str(csv_path), "--profile", "2021台账", "--data-dir", root]) == 0
    assert "导入4行" not in (out := capsys.readouterr().out) and "已导入过4行" in out
    # no personal data in the log
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (ID_ZHANG, ID_LI, "13800138000", "张三"):
        assert secret not in logged
    assert main(["ledger", "list", "--data-dir", root]) == 0
    listing = capsys.readouterr().out
    first = [line for line in listing.splitlines() if "台账.xlsx" in line][0].split()[0]
    assert main(["ledger", "undo", first, "--data-dir", root]) == 0
    assert "已撤销：删除信访事项4件、来访4次、信访人3人" in capsys.readouterr().out


def test_explicit_column_map_and_unknown_profile(desk: Desk, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx")
    root = str(desk.ctx.paths.root)
    assert main(["import-ledger", str(path), "--dry-run", "--map", "反映问题=E", "--map", "问题类别=F",
                 "--category", "HB01", "--data-dir", root]) == 1
    assert "  反映问题 ← 第5列“反映问题”" in capsys.readouterr().out
    assert main(["import-ledger", str(path), "--profile", "没有", "--data-dir", root]) == 2
    assert "没有名为“没有”的映射方案" in capsys.readouterr().err
    assert main(["import-ledger", str(tmp_path / "none.xlsx"), "--data-dir", root]) == 2
    assert "无法" in capsys.readouterr().err
