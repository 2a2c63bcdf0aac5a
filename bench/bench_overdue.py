"""Benchmark: the overdue, due-soon and supervision lists (centre and per unit) on a generated data directory.

    .venv/bin/python bench/bench_overdue.py --data-dir DIR [--in-place] [--pad-clocks N] [--supervise N]
                                            [--on YYYY-MM-DD] [--repeat N]

* By default the database is copied to a temporary directory first (the upgrade to the lifecycle schema and the
  clock rows are written there, the source stays as it was); ``--in-place`` works on DIR itself.
* First ``sync_clocks`` writes the running clocks of every case registered by the intake service (a one-time
  catch-up, timed); then a second, incremental ``sync_clocks`` (what every list call pays) is timed.
* ``--supervise N`` puts the N most overdue cases on the supervision list through the lifecycle API (timed per case).
* ``--pad-clocks N`` adds N synthetic clock rows (copies of existing ones) to emulate a larger data set's index.
* Each list (first page of 200 and its total) is timed ``--repeat`` times; best and median wall time are printed.
  The target of the issue is < 200 ms with 1,000,000 visits.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from reception.bootstrap import AppContext, open_data_dir  # noqa: E402
from reception.db.models import Case, CaseClock, Unit, Visit  # noqa: E402
from reception.lifecycle import service as lc  # noqa: E402

DB_NAME = "reception.sqlite3"


def _copy(source: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="bench-overdue-"))
    src = sqlite3.connect(source / DB_NAME)
    dst = sqlite3.connect(target / DB_NAME)
    with dst:
        src.backup(dst)  # a consistent copy even if the source is in WAL mode
    src.close()
    dst.close()
    return target


def _time(label: str, fn: Callable[[], Any], repeat: int) -> Any:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    total = getattr(result, "total", result[0] if isinstance(result, tuple) else "")
    print(f"  {label:<44} best {min(times):8.1f} ms  median {statistics.median(times):8.1f} ms  rows {total}")
    return result


def _pad(ctx: AppContext, n: int) -> None:
    con = sqlite3.connect(ctx.paths.database)
    with con:
        have = con.execute("select count(*) from case_clock").fetchone()[0]
        while n > 0 and have:
            chunk = min(n, have)
            con.execute(
                "insert into case_clock (id, case_id, clock_key, kind, unit_id, started_on, due_on, amber_on, allowed,"
                " extended_by, ref) select lower(hex(randomblob(16))), case_id, clock_key, kind, unit_id,"
                " started_on, due_on, amber_on, allowed, extended_by, ref from case_clock limit ?",
                (chunk,),
            )
            n -= chunk
    con.execute("analyze")
    con.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument("--pad-clocks", type=int, default=0)
    parser.add_argument("--supervise", type=int, default=200)
    parser.add_argument("--on", type=date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = args.data_dir if args.in_place else _copy(args.data_dir)
    try:
        t0 = time.perf_counter()
        ctx = open_data_dir(root)
        print(f"open + migrate: {time.perf_counter() - t0:.1f} s  ({root})")
        with ctx.db.read() as s:
            visits = s.scalar(select(func.count()).select_from(Visit)) or 0
            cases = s.scalar(select(func.count()).select_from(Case)) or 0
            latest = s.scalar(select(func.max(Case.registered_on)))
            unit_id = s.scalar(select(Case.unit_id).where(Case.unit_id.is_not(None))
                               .group_by(Case.unit_id).order_by(func.count().desc()).limit(1))
            unit_name = s.scalar(select(Unit.name).where(Unit.id == unit_id))
        on = args.on or latest or date.today()
        print(f"{visits:,} visits, {cases:,} cases; lists as of {on}; busiest unit {unit_name}")
        t0 = time.perf_counter()
        written = lc.sync_clocks(ctx)
        print(f"sync_clocks, first catch-up: {written:,} cases in {time.perf_counter() - t0:.1f} s")
        if args.pad_clocks:
            t0 = time.perf_counter()
            _pad(ctx, args.pad_clocks)
            print(f"padded with {args.pad_clocks:,} synthetic clock rows in {time.perf_counter() - t0:.1f} s")
        with ctx.db.read() as s:
            rows = s.scalar(select(func.count()).select_from(CaseClock)) or 0
        print(f"case_clock rows: {rows:,}")
        if args.supervise:
            t0 = time.perf_counter()
            n = lc.supervise_overdue(ctx, actor_id=None, on=on, limit=args.supervise)
            dt = time.perf_counter() - t0
            print(f"supervise_overdue: {n} cases in {dt:.2f} s ({dt / max(n, 1) * 1000:.1f} ms per case)")
        r = args.repeat
        print("lists (first page of 200 + total):")
        _time("sync_clocks (incremental, nothing new)", lambda: (lc.sync_clocks(ctx),), r)
        _time("overdue, centre", lambda: lc.overdue(ctx, on=on, sync=False), r)
        _time("overdue, centre, page 50", lambda: lc.overdue(ctx, on=on, offset=10_000, sync=False), r)
        _time("overdue, one unit", lambda: lc.overdue(ctx, on=on, unit_id=unit_id, sync=False), r)
        _time("due soon, centre", lambda: lc.due_soon(ctx, on=on, sync=False), r)
        _time("due soon, one unit", lambda: lc.due_soon(ctx, on=on, unit_id=unit_id, sync=False), r)
        _time("supervision, centre", lambda: lc.supervision_list(ctx, on=on), r)
        _time("supervision, one unit", lambda: lc.supervision_list(ctx, on=on, unit_id=unit_id), r)
        _time("overdue, centre, with sync", lambda: lc.overdue(ctx, on=on), r)
        ctx.close()
    finally:
        if not args.in_place:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
