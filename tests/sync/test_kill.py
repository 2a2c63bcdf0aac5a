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


def _kill_during_sync(desk: DeskHandle, rng: random.Random, marker: str, *, push_batch: int = 7,
                      pull_batch: int = 5) -> None:
    """Start a desk process syncing in small batches; after a random number of its batches, wait a random few
    milliseconds (so the kill lands anywhere: mid-request, between the server's commit and the desk's, ...) and
    kill it."""
    desk.ctx.db.dispose()  # (the worker opens the same file; this process's pool is reopened afterwards)
    env = dict(os.environ, PYTHONPATH=str(ROOT), WORKER_PUSH_BATCH=str(push_batch),
               WORKER_PULL_BATCH=str(pull_batch))
    proc = subprocess.Popen([sys.executable, "-m", "tests.sync.desk_worker", str(desk.ctx.paths.root)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("ready"), line
    wanted, seen = rng.randint(2, 5), 0
    deadline = time.monotonic() + 10
    while seen < wanted and time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            break
        seen += line.startswith(marker)
    time.sleep(rng.uniform(0.0, 0.03))
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
    for run in range(RUNS):
        # a push interrupted: a has offline intakes, its process dies somewhere in the cycle
        a.intake(8)
        before = _pending(a)
        _kill_during_sync(a, rng, "pushed-batch", push_batch=3)
        mid_push += 0 < _pending(a) < before
        # a pull interrupted: b pulls what a pushed so far, in small batches, and dies somewhere in it
        before, high = _cursor(b), high_seq(env.db)
        _kill_during_sync(b, rng, "pulling-batch", pull_batch=4)
        mid_pull += before < _cursor(b) < high
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
