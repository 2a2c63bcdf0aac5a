"""The ``reception`` command, run as a real process and in-process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from reception.cli import main
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, resident_id, save

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "reception", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_init_demo_then_export_and_reprint(tmp_path: Path) -> None:
    data = tmp_path / "演示 数据"  # spaces and Chinese in the path, as on a Windows desktop
    done = run_cli("init", "--data-dir", str(data), "--demo")
    assert done.returncode == 0, done.stderr
    assert (data / "reception.sqlite3").exists()

    out = tmp_path / "export.json"
    done = run_cli("export", "--data-dir", str(data), "--format", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    cases = json.loads(out.read_text(encoding="utf-8"))
    assert len(cases) >= 50
    assert all(c["visits"] and c["visits"][0]["petitioners"] for c in cases)
    assert any(len(c["visits"]) > 1 for c in cases)
    assert any(v["is_collective"] for c in cases for v in c["visits"])
    assert any(c["status"] == "final" for c in cases)

    case_no = cases[0]["case_no"]
    pdf = tmp_path / "补打.pdf"
    done = run_cli("receipt", case_no, "--data-dir", str(data), "-o", str(pdf))
    assert done.returncode == 0, done.stderr
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert case_no in text and "补打" in text


def test_demo_is_not_seeded_twice(tmp_path: Path) -> None:
    assert main(["init", "--data-dir", str(tmp_path), "--demo"]) == 0
    from reception.bootstrap import open_data_dir
    from reception.demo import seed_demo

    ctx = open_data_dir(tmp_path)
    assert seed_demo(ctx) == 0
    ctx.close()


def test_unknown_case_number_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--data-dir", str(tmp_path)]) == 0
    assert main(["receipt", "XX01-20260101-0001", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.pdf")]) == 2
    assert "未找到" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_export_to_stdout(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    save(desk, form(desk))
    assert main(["export", "--data-dir", str(desk.ctx.paths.root)]) == 0
    cases = json.loads(capsys.readouterr().out)
    assert cases[0]["visits"][0]["petitioners"][0]["id_number"] == resident_id()


def test_no_personal_data_in_logs(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = save(desk, form(desk), receipt=True)
    from reception.intake.history import lookup_history

    lookup_history(desk.ctx, id_number=resident_id(), phone="13812345678", name="夏明云", user_id=desk.officer_id)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert result.case_no in logged
    for secret in (resident_id(), "13812345678", "夏明云", "尚书茗苑3栋"):
        assert secret not in logged
