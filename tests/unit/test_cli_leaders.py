"""The administrator maintains leaders and records swaps and substitutions from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reception.bootstrap import open_data_dir
from reception.cli import main
from reception.roster import service


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def leader_on(data: Path, capsys: pytest.CaptureFixture[str], day: str) -> str:
    code, out, _ = run(capsys, "roster", "show", day[:7], "--data-dir", str(data), "--json")
    assert code == 0
    entry = next(d for d in json.loads(out)["days"] if d["date"] == day)
    return str(entry["leaders"][0]["name"])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    assert main(["init", "--data-dir", str(tmp_path), "--demo"]) == 0
    return tmp_path


def test_absence_keeps_the_leader_off_the_generated_month(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "leaders", "absence", "刘卫东", "2027-06-01", "2027-06-30", "--reason", "出差",
                       "--data-dir", str(data))
    assert code == 0 and "出差" in out
    assert run(capsys, "roster", "generate", "2027-06", "--data-dir", str(data))[0] == 0
    _, out, _ = run(capsys, "roster", "show", "2027-06", "--data-dir", str(data), "--json")
    names = {x["name"] for d in json.loads(out)["days"] for x in d["leaders"]}
    assert "刘卫东" not in names and names
    _, listing, _ = run(capsys, "leaders", "list", "--data-dir", str(data))
    assert "刘卫东" in listing and "出差" in listing


def test_swap_on_a_published_month_creates_a_new_version(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "roster", "generate", "2027-06", "--data-dir", str(data))
    assert run(capsys, "roster", "publish", "2027-06", "--by", "admin", "--confirm-unconfirmed",
               "--data-dir", str(data))[0] == 0
    first, second = leader_on(data, capsys, "2027-06-07"), leader_on(data, capsys, "2027-06-08")
    code, out, _ = run(capsys, "roster", "swap", "2027-06-07", first, "2027-06-08", second, "--reason", "会议冲突",
                       "--approved-by", "王建国", "--data-dir", str(data))
    assert code == 0 and "已发布第2版" in out
    assert (leader_on(data, capsys, "2027-06-07"), leader_on(data, capsys, "2027-06-08")) == (second, first)
    _, out, _ = run(capsys, "roster", "show", "2027-06", "--data-dir", str(data), "--json", "--version", "1")
    entry = next(d for d in json.loads(out)["days"] if d["date"] == "2027-06-07")
    assert entry["leaders"][0]["name"] == first  # version 1 is untouched


def test_substitute_and_unknown_leader(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "roster", "generate", "2027-06", "--data-dir", str(data))
    on_duty = leader_on(data, capsys, "2027-06-10")
    other = "郑国平" if on_duty != "郑国平" else "孙立群"
    code, out, _ = run(capsys, "roster", "substitute", "2027-06-10", on_duty, other, "--reason", "外出",
                       "--approved-by", "王建国", "--data-dir", str(data))
    assert code == 0 and "草稿" in out
    assert leader_on(data, capsys, "2027-06-10") == other
    code, _, err = run(capsys, "leaders", "leave", "无此人", "2027-06-30", "--data-dir", str(data))
    assert code == 2 and "无此人" in err


def test_new_leader_joins_from_a_date(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "leaders", "add", "钱新民", "副区长", "--from", "2027-07-01", "--data-dir", str(data))
    assert code == 0
    ctx = open_data_dir(data)
    try:
        newcomer = next(x for x in service.leaders(ctx) if x.name == "钱新民")
        assert not newcomer.member_on(date(2027, 6, 30)) and newcomer.member_on(date(2027, 7, 1))
    finally:
        ctx.close()
