"""Desks registering offline, then syncing, converge; a batch delivered twice or answered into the void is
applied once; the server restarted mid-sync loses nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from reception.db.models import Case, SyncOutbox
from tests.sync.conftest import Env
from tests.sync.harness import assert_converged, server_records


def test_two_desks_register_offline_then_converge(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    assert a.desk_code != b.desk_code  # the server hands out unique desk codes (case-number prefixes)
    env.server.stop()  # the network goes down
    a_cases = a.intake(5)
    b_cases = b.intake(4)
    report = a.sync()
    assert not report.ok and report.error.startswith("离线")
    assert a.sync().pending > 0
    env.server.start()
    for _ in range(2):
        for desk in (a, b):
            report = desk.sync()
            assert report.ok, report.error
    with a.ctx.db.read() as s:
        numbers_a = set(s.scalars(select(Case.case_no)))
    with b.ctx.db.read() as s:
        numbers_b = set(s.scalars(select(Case.case_no)))
    assert numbers_a == numbers_b and len(numbers_a) == 9
    assert {n[:3] for n in numbers_a} == {a.desk_code, b.desk_code}
    records = server_records(env.db)
    assert all(("petition_case", c) in records for c in a_cases + b_cases)
    assert_converged(env.db, [a, b])


def test_idle_cycle_moves_nothing(env: Env) -> None:
    a = env.desk("一号窗口")
    a.intake(1)
    assert a.sync().pushed > 0
    report = a.sync()
    assert report.ok and report.pushed == 0 and report.pulled == 0
    with a.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncOutbox)) == 0
