"""A bounded push fuzz: thousands of malformed mutations (each a real record with one thing broken: a wrong type, a
number out of range, an unreadable date, a ciphertext-looking value, a control character, a missing field, a strange
record id, an unknown table) pushed by an enrolled desk. The server answers every one (rejected with a reason, or
stored when it is in fact well-formed), and afterwards every desk's sync, and ``reception sync``, still completes:
a fresh desk, the fuzzing desk, and one that holds local changes."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from reception.cli import main
from tests.sync.conftest import Env
from tests.sync.harness import desk_rows
from tests.sync.test_poison import raw_push

pytestmark = pytest.mark.slow
ROUNDS = 6
BATCH = 250

JUNK: list[Any] = [None, "", "senc1:QUJD", "enc1:QUJD", 10**20, -(2**40), True, 3.5, float("1e308"), "x" * 5000,
                   {"a": {"b": [1, 2, {"c": None}]}}, [1, 2], "2026-13-45", "2026-02-30T25:61:00", "\x00", "a\x1bb",
                   "\u202e反转", "../../etc", "D01-20260101-0001", "0", 0, -1, {"days": 10**9}, "9999-12-31"]


def _broken(rng: random.Random, table: str, rid: str, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    op = rng.choice(["upsert", "upsert", "upsert", "delete", "ensure"])
    choice = rng.random()
    if choice < 0.6 and data:
        column = rng.choice(sorted(data))
        data[column] = rng.choice(JUNK)
        if column in ("id", "key", "day", "year", "month") and rng.random() < 0.5:
            rid = str(data[column]) if data[column] is not None else rid
    elif choice < 0.7 and data:
        data.pop(rng.choice(sorted(data)))
    elif choice < 0.8:
        rid = rng.choice(["", "a/b", "x" * 64, "1|2|3", "../x", str(uuid.uuid4()), "2026-01-01"])
    elif choice < 0.9:
        table = rng.choice(["no_such_table", "desk", "sync_peer", "setting", "case_number_counter", table])
    else:
        data = {k: rng.choice(JUNK) for k in data}
    if data.get("id") is not None and rng.random() < 0.5:
        data["id"] = rid = str(uuid.uuid4()) if table not in ("holiday_day", "holiday_year") else rid
    return {"mutation_id": str(uuid.uuid4()), "table": table[:64], "record_id": str(rid)[:64], "op": op,
            "base_version": rng.choice([0, 0, 1, 2, 2**31 - 2]), "data": None if op == "delete" and
            rng.random() < 0.5 else data}


def test_desks_still_sync_after_a_push_fuzz(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    a = env.desk("一号窗口", seed=41)
    a.intake(8)
    assert a.sync().ok
    rows = sorted(desk_rows(a.ctx).items())
    rng = random.Random(20261202)
    statuses: dict[str, int] = {}
    for _ in range(ROUNDS):
        batch = [_broken(rng, t, r, d) for (t, r), d in (rng.choice(rows) for _ in range(BATCH))]
        for result in raw_push(env, a, batch):
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            assert result["status"] != "rejected" or result.get("reason")
    assert sum(statuses.values()) == ROUNDS * BATCH
    assert statuses.get("rejected", 0) > ROUNDS * BATCH // 2, statuses  # (most of them are malformed)

    b = env.desk("二号窗口", seed=42)  # a fresh desk: enrolment's first sync pulls everything the fuzz left
    c = env.desk("三号窗口", seed=43)
    c.intake(2)  # with local changes of its own to push
    for desk in (b, a, c, b):
        report = desk.sync()
        assert report.ok, (desk.name, report)
    assert main(["sync", "--data-dir", str(b.ctx.paths.root)]) == 0
    assert "已上传" in capsys.readouterr().out
