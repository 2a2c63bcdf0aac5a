"""Repeatable push and pull measurements: build a sync scene once, then replay it many times and print medians.

One full ``bench_sync.py`` run takes minutes to generate its intakes and measures each phase once, and on a small
shared machine its figures (and its baselines') move by ±25 % from run to run. This tool snapshots the scene (a
PostgreSQL database kept as a template, and the two desks' data directories) and replays the push and the pull
from the identical state as often as asked, in the same run as the same baselines, so a change can be judged.

    python bench/replay_sync.py snapshot --workdir DIR [--intakes 2000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
    python bench/replay_sync.py run --workdir DIR [--repeat 5]

``snapshot``: a fresh server database (``CREATE DATABASE``: the role needs CREATEDB), the demo reference data, two
enrolled desks; desk A registers the intakes offline (its outbox fills). ``run``: each repeat restores the database
from the template and desk A's directory, times desk A's ``sync_once`` (the push), then restores desk B and times
its ``sync_once`` (the pull of everything A pushed); then the baselines, as ``bench_sync.py`` runs them: the same
records COPYed into a plain PostgreSQL table with raw psycopg (the push's goal is at most 3x that) and
executemany-inserted with SQLAlchemy, and Core-inserted into an empty desk database (the pull's goal: at most 2x).
On Linux it also prints the CPU seconds of the desk, the server and the server's PostgreSQL backends per push and
pull, and of the baselines (from ``/proc``): on a shared machine the steadier measure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _admin(base: str, sql: str) -> None:
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _db_url(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _cpu(pid: int) -> float:
    """CPU seconds of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


class _Backends:
    """CPU seconds of the PostgreSQL backends connected to one database (the server's pool): read from ``/proc``
    by the pids ``pg_stat_activity`` lists, so other sessions' work on the same PostgreSQL is not counted."""

    def __init__(self, base: str, name: str) -> None:
        self.engine = create_engine(base, isolation_level="AUTOCOMMIT")
        self.name = name

    def snapshot(self) -> dict[int, float]:
        with self.engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": self.name})
            return {pid: _cpu(pid) for (pid,) in pids}

    @staticmethod
    def since(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    def close(self) -> None:
        self.engine.dispose()


def _spy(out: Path, label: str, server_pid: int) -> list[subprocess.Popen[bytes]]:
    """py-spy (``pip install py-spy``) sampling the server and this process (the desk), as collapsed stacks
    (``OUT/server-LABEL.txt``, ``OUT/desk-LABEL.txt``); summarise them with ``bench/spy_summary.py``."""
    out.mkdir(parents=True, exist_ok=True)
    spies = []
    for who, pid in (("server", server_pid), ("desk", os.getpid())):
        spies.append(subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
                                       "--output", str(out / f"{who}-{label}.txt"), "--nonblocking"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1.0)  # (py-spy attaches)
    return spies


def _unspy(spies: list[subprocess.Popen[bytes]]) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    for spy in spies:
        spy.wait(timeout=60)


def snapshot(args: argparse.Namespace) -> int:
    from bench_sync import bulk_intakes

    from reception.server.db import open_server_database
    from reception.server.service import import_reference
    from tests.sync.harness import ServerProcess, make_reference, new_desk

    work: Path = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    (work / "scene").mkdir(parents=True)
    name = args.name
    for db in (name, f"{name}_snap"):
        _admin(args.pg, f'DROP DATABASE IF EXISTS "{db}"')
    _admin(args.pg, f'CREATE DATABASE "{name}"')
    url = _db_url(args.pg, name)
    db = open_server_database(url)
    import_reference(db, make_reference(work / "scene" / "reference"))
    server = ServerProcess(url, work).start()
    try:
        a = new_desk(db, server.url, work / "scene" / "desk-a", "一号窗口", seed=1)
        b = new_desk(db, server.url, work / "scene" / "desk-b", "二号窗口", seed=2)
        t0 = time.perf_counter()
        bulk_intakes(a.ctx, args.intakes, 1)
        print(f"generated {args.intakes} intakes in {time.perf_counter() - t0:.1f} s")
        a.close()
        b.close()
    finally:
        server.stop()
        db.dispose()
    _admin(args.pg, f'CREATE DATABASE "{name}_snap" TEMPLATE "{name}"')
    (work / "scene.json").write_text(json.dumps({"pg": args.pg, "name": name, "intakes": args.intakes}),
                                     encoding="utf-8")
    print(f"scene saved in {work}")
    return 0


def _restore(work: Path, desk: str) -> None:
    shutil.rmtree(work / "live" / desk, ignore_errors=True)
    shutil.copytree(work / "scene" / desk, work / "live" / desk)


def run(args: argparse.Namespace) -> int:
    from bench_sync import desk_bulk_baseline, pg_bulk_baseline, pg_copy_baseline

    from reception import heap
    from reception.bootstrap import open_data_dir
    from reception.db.models import SyncPeer
    from reception.server.models import Record
    from reception.sync.client import SyncClient
    from reception.sync.desk import sync_once
    from tests.sync.harness import ServerProcess

    heap.settle()  # (as the desk app does once its window is up)

    work: Path = args.workdir
    scene = json.loads((work / "scene.json").read_text(encoding="utf-8"))
    base, name = scene["pg"], scene["name"]
    url = _db_url(base, name)

    def client(server_url: str, token: str) -> SyncClient:
        return SyncClient(server_url, token, retries=2, backoff=0.2, timeout=300)

    push_s: list[float] = []
    pull_s: list[float] = []
    cpu: list[tuple[float, float, float]] = []
    pull_cpu: list[tuple[float, float, float]] = []
    rows: list[dict[str, Any]] = []
    backends = _Backends(base, name)
    for i in range(args.repeat):
        _admin(base, f'DROP DATABASE IF EXISTS "{name}"')
        _admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{name}_snap"')
        for desk in ("desk-a", "desk-b"):
            _restore(work, desk)
        _admin(base, "CHECKPOINT")  # (the copied database and desks written out first: fewer stray disk waits)
        if hasattr(os, "sync"):
            os.sync()
        server = ServerProcess(url, work).start()
        assert server.proc is not None
        pid = server.proc.pid
        try:
            for desk, times in (("desk-a", push_s), ("desk-b", pull_s)):
                ctx = open_data_dir(work / "live" / desk)  # (opening may upgrade the copy: not timed)
                with ctx.db.write() as s:  # the scene's server had another port
                    peer = s.get(SyncPeer, 1)
                    assert peer is not None
                    peer.server_url = server.url
                spies = _spy(args.profile, f"{desk}-{i + 1}", pid) if args.profile else []
                s0, g0, d0 = _cpu(pid), backends.snapshot(), time.process_time()
                t0 = time.perf_counter()
                report = sync_once(ctx, client_factory=client)
                times.append(time.perf_counter() - t0)
                _unspy(spies)
                (cpu if desk == "desk-a" else pull_cpu).append(
                    (time.process_time() - d0, _cpu(pid) - s0, backends.since(g0, backends.snapshot())))
                assert report.ok, report.error
                ctx.close()
            print(f"repeat {i + 1}: push {push_s[-1]:.2f} s, pull {pull_s[-1]:.2f} s "
                  f"(CPU desk / server / PostgreSQL: push {cpu[-1][0]:.2f} / {cpu[-1][1]:.2f} / {cpu[-1][2]:.2f} s, "
                  f"pull {pull_cpu[-1][0]:.2f} / {pull_cpu[-1][1]:.2f} / {pull_cpu[-1][2]:.2f} s)")
        finally:
            server.stop()
        if not rows:
            engine = create_engine(url)
            with engine.connect() as conn:
                rows = [{"table_name": t, "record_id": r, "data": d} for t, r, d in conn.execute(
                    select(Record.table_name, Record.record_id, Record.data).where(Record.origin != "admin"))]
            engine.dispose()

    backends.close()
    bulk_pg = [pg_bulk_baseline(url, rows) for _ in range(args.repeat)]
    copy_pg: list[float] = []
    copy_cpu: list[float] = []  # this process (JSON, the COPY stream) and its PostgreSQL backend
    for _ in range(args.repeat):
        copy_baseline = pg_copy_baseline(url, rows, cpu=True)
        copy_pg.append(copy_baseline[0])
        copy_cpu.append(copy_baseline[1])
    bulk_desk: list[float] = []
    desk_cpu: list[float] = []
    for i in range(args.repeat):
        shutil.rmtree(work / "live" / f"bulk-{i}", ignore_errors=True)
        desk_baseline = desk_bulk_baseline(work / "live" / f"bulk-{i}", rows, cpu=True)
        bulk_desk.append(desk_baseline[0])
        desk_cpu.append(desk_baseline[1])

    med = statistics.median
    print(f"{scene['intakes']} intakes, {len(rows)} records, {args.repeat} repeats (medians):")
    print(f"  push {med(push_s):.2f} s vs raw psycopg COPY into PostgreSQL {med(copy_pg):.2f} s "
          f"-> {med(push_s) / med(copy_pg):.1f}x (goal <= 3x); SQLAlchemy executemany {med(bulk_pg):.2f} s "
          f"-> {med(push_s) / med(bulk_pg):.1f}x; runs {', '.join(f'{x:.2f}' for x in push_s)}")
    print(f"  pull {med(pull_s):.2f} s vs Core insert into a desk database {med(bulk_desk):.2f} s "
          f"-> {med(pull_s) / med(bulk_desk):.1f}x (goal <= 2x); runs {', '.join(f'{x:.2f}' for x in pull_s)}")
    print(f"  baseline runs: COPY {', '.join(f'{x:.2f}' for x in copy_pg)}; "
          f"desk insert {', '.join(f'{x:.2f}' for x in bulk_desk)}")
    if any(c[1] for c in cpu):
        print(f"  push CPU seconds (median): desk {med(c[0] for c in cpu):.2f}, server {med(c[1] for c in cpu):.2f}, "
              f"PostgreSQL {med(c[2] for c in cpu):.2f}")
        print(f"  pull CPU seconds (median): desk {med(c[0] for c in pull_cpu):.2f}, "
              f"server {med(c[1] for c in pull_cpu):.2f}, PostgreSQL {med(c[2] for c in pull_cpu):.2f}")
        push_total, pull_total = med(sum(c) for c in cpu), med(sum(c) for c in pull_cpu)
        print(f"  CPU seconds, all processes (median; steadier than wall time on a loaded machine): push "
              f"{push_total:.2f} vs COPY {med(copy_cpu):.2f} -> {push_total / med(copy_cpu):.1f}x; pull "
              f"{pull_total:.2f} vs desk insert {med(desk_cpu):.2f} -> {pull_total / med(desk_cpu):.1f}x")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("snapshot", help="build the scene once")
    s.add_argument("--workdir", type=Path, required=True)
    s.add_argument("--intakes", type=int, default=2000)
    s.add_argument("--pg", default=os.environ.get("RECEPTION_TEST_PG_URL", DEFAULT_PG))
    s.add_argument("--name", default="reception_replay", help="database name (and NAME_snap for the template)")
    s.set_defaults(handler=snapshot)
    r = sub.add_parser("run", help="replay the push and the pull")
    r.add_argument("--workdir", type=Path, required=True)
    r.add_argument("--repeat", type=int, default=5)
    r.add_argument("--profile", type=Path, help="sample the server and the desk with py-spy into this directory")
    r.set_defaults(handler=run)
    args = ap.parse_args()
    os.environ["RECEPTION_TOKEN_STORE"] = "file"
    os.environ.setdefault("RECEPTION_SERVER_KEY_FILE", str(args.workdir / "server-data.key"))
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
