"""The desk process killed at random points in the middle of a push and of a pull, several runs each: after a
normal sync every record is on the server exactly once, every desk converges, the databases are intact."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

from sqlalchemy import func, select

from reception.db.models import SyncOutbox, SyncPeer
from reception.server.service import high_seq
from tests.sync.conftest import Env
from tests.sync.harness import ROOT, DeskHandle, assert_converged, server_records

RUNS = 4  # per direction: 8 kills per database


def _kill_during_sync(desk: DeskHandle, delay: float, *, push_batch: int = 7, pull_batch: int = 5) -> None:
    desk.ctx.db.dispose()  # (the worker opens the same file; this process's pool is reopened afterwards)
    env = dict(os.environ, PYTHONPATH=str(ROOT), WORKER_PUSH_BATCH=str(push_batch),
               WORKER_PULL_BATCH=str(pull_batch))
    proc = subprocess.Popen([sys.executable, "-m", "tests.sync.desk_worker", str(desk.ctx.paths.root)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("ready"), line
    time.sleep(delay)
    proc.kill()  # SIGKILL / TerminateProcess: no clean-up of any kind
    proc.communicate()


def _pending(desk: DeskHandle) -> int:
    with desk.ctx.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(SyncOutbox)) or 0)


def _cursor(desk: DeskHandle) -> int:
    with desk.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None
        return peer.cursor


def test_desk_killed_mid_push_and_mid_pull(env: Env) -> None:
    rng = random.Random(20261128)
    a = env.desk("一号窗口", seed=51)
    b = env.desk("二号窗口", seed=52)
    mid_push = mid_pull = 0
    # random kill times, the window narrowed towards the cycle after a kill that came too early or too late
    push_window, pull_window = [0.0, 1.5], [0.0, 1.0]
    for run in range(RUNS):
        # a push interrupted: a has offline intakes, its process dies somewhere in the cycle
        a.intake(8)
        before = _pending(a)
        delay = rng.uniform(*push_window)
        _kill_during_sync(a, delay, push_batch=3)
        after = _pending(a)
        mid_push += 0 < after < before
        if after == before:
            push_window[0] = delay
        elif after == 0:
            push_window[1] = delay
        # a pull interrupted: b pulls what a pushed so far, in small batches, and dies somewhere in it
        before, high = _cursor(b), high_seq(env.db)
        delay = rng.uniform(*pull_window)
        _kill_during_sync(b, delay, pull_batch=4)
        cursor = _cursor(b)
        mid_pull += before < cursor < high
        if cursor == before:
            pull_window[0] = delay
        elif cursor >= high:
            pull_window[1] = delay
        if run % 2:
            b.intake(2)
    for _ in range(2):
        assert a.sync().ok
        assert b.sync().ok
    records = server_records(env.db)
    assert sum(1 for k in records if k[0] == "petition_case") == RUNS * 8 + (RUNS // 2) * 2
    assert_converged(env.db, [a, b])
    print(f"killed mid-push {mid_push}/{RUNS}, mid-pull {mid_pull}/{RUNS}")
    assert mid_push and mid_pull  # at least one kill of each kind landed inside the cycle
