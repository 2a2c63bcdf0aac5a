"""Desks registering offline, then syncing, converge; a batch delivered twice or answered into the void is
applied once; the server restarted mid-sync loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reception.db.models import Case, SyncOutbox
from reception.sync.desk import SyncReport
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, assert_converged, server_records


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


def test_same_batch_delivered_twice_is_applied_once(env: Env) -> None:
    from tests.sync.harness import FaultTransport, faulty_client

    a = env.desk("一号窗口")
    a.intake(3)
    before = server_records(env.db)
    transport = FaultTransport("duplicate")
    report = sync_with(a, faulty_client(transport))
    assert report.ok and report.pushed > 0 and transport.pushes >= 1
    after = server_records(env.db)
    new = {k: v for k, v in after.items() if k not in before}
    assert len(new) == report.pushed  # every mutation applied once: one record each, all at version 1
    assert all(v[0] == 1 for v in new.values())
    assert_converged(env.db, [a])


def test_response_lost_after_commit_then_retry(env: Env) -> None:
    from tests.sync.harness import FaultTransport, faulty_client

    a = env.desk("一号窗口")
    b = env.desk("二号窗口", seed=3)
    a.intake(4)
    transport = FaultTransport("lose", times=1)
    report = sync_with(a, faulty_client(transport))  # no retry inside the cycle: the cycle fails
    assert not report.ok and report.pending > 0
    committed = server_records(env.db)
    assert any(k[0] == "petition_case" for k in committed)  # the server did commit the lost batch
    report = a.sync()  # the same mutation ids again: answered from the stored results
    assert report.ok and report.pending == 0
    assert server_records(env.db).keys() == committed.keys()  # nothing applied twice
    transport = FaultTransport("lose", times=1)
    a.intake(2)
    report = sync_with(a, faulty_client(transport, retries=2))  # retried inside the cycle this time
    assert report.ok and report.pending == 0
    b.sync()
    a.sync()
    assert_converged(env.db, [a, b])


def test_server_restarted_mid_sync(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import reception.sync.desk.push as engine

    monkeypatch.setattr(engine, "PUSH_BATCH", 10)
    a = env.desk("一号窗口")
    b = env.desk("二号窗口", seed=5)
    a.intake(25)
    restarter = threading.Timer(0.4, env.server.restart)
    restarter.start()
    first = a.sync()
    restarter.join()
    for _ in range(3):
        report = a.sync()
        if report.ok and report.pending == 0:
            break
    assert report.ok, (first, report)
    assert b.sync().ok and a.sync().ok
    assert_converged(env.db, [a, b])


def sync_with(desk: DeskHandle, factory: object) -> SyncReport:
    from reception.sync.desk import sync_once

    return sync_once(desk.ctx, client_factory=factory)  # type: ignore[arg-type]
