"""Benchmark: the statistics on a generated data directory (``generate_fast.py``): a one-year report, the dashboard
refresh, the half-year ranking and a drill-down. Targets (issue 7): report ≤ 1 s over 1,000,000 visits, dashboard
refresh ≤ 300 ms.

    .venv/bin/python bench/bench_stats.py --data-dir DIR [--from 2025-07-01 --to 2026-06-30] [--on 2026-06-30]
                                          [--repeat 7] [--live]

What is timed (wall time, median and worst of ``--repeat`` runs after one warm-up, and the median process CPU time,
which other processes sharing the CPUs disturb less):

1. ``open_data_dir`` (the first run upgrades the schema to 0006: a new index on case_event — timed once);
2. the cold cache build for the year (``cache.ensure``: every day aggregated once; what the first report after the
   upgrade pays);
3. the one-year report with a current cache (``period_report``: the check that the cache is current, the sums over
   ``stats_day``, the live small-table counts, the tables);
4. the dashboard (``dashboard(on=…)``: today, month so far, due-soon and overdue, the 12-month trend, breakdowns)
   with a current cache, and — what a desk sees during office hours — right after a new registration (today is then
   invalidated by the trigger and recomputed live);
5. the half-year ranking (一考一评) and a drill-down (the first 500 registrations of the year, with the total);
6. with ``--live``: the same report computed without the cache (for comparison; slow at this size).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from reception.bootstrap import open_data_dir  # noqa: E402
from reception.db.base import CHINA_TZ  # noqa: E402
from reception.db.models import Case, CaseEvent, Visit  # noqa: E402
from reception.stats import cache, periods  # noqa: E402
from reception.stats.dashboard import dashboard  # noqa: E402
from reception.stats.drill import drill  # noqa: E402
from reception.stats.ranking import unit_ranking  # noqa: E402
from reception.stats.report import period_report  # noqa: E402


def timed(label: str, fn: Callable[[], Any], repeat: int, target_ms: float | None = None,
          before: Callable[[], Any] | None = None) -> Any:
    result = None
    samples: list[float] = []
    cpu: list[float] = []
    for i in range(repeat + 1):
        if before is not None:
            before()
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        ms = 1000 * (time.perf_counter() - t)
        if i:  # the first run warms the page cache
            samples.append(ms)
            cpu.append(1000 * (time.process_time() - c))
    med, worst = statistics.median(samples), max(samples)
    verdict = "" if target_ms is None else ("ok" if worst <= target_ms else ("ok (median)" if med <= target_ms
                                                                             else "MISS"))
    target = f"≤ {target_ms:.0f} ms" if target_ms else ""
    print(f"{label:56s} median {med:7.1f} ms  worst {worst:7.1f} ms  cpu {statistics.median(cpu):7.1f} ms"
          f"  {target:>9s} {verdict}")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--from", dest="start", type=date.fromisoformat, default=date(2025, 7, 1))
    ap.add_argument("--to", dest="end", type=date.fromisoformat, default=date(2026, 6, 30))
    ap.add_argument("--on", type=date.fromisoformat, default=None, help="the dashboard's day (default: --to)")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--live", action="store_true", help="also time the report without the cache")
    args = ap.parse_args()
    on = args.on or args.end
    moment = datetime(on.year, on.month, on.day, 16, 0, tzinfo=CHINA_TZ)

    t = time.perf_counter()
    ctx = open_data_dir(args.data_dir, now=lambda: moment)
    print(f"open_data_dir (schema upgrade if needed): {time.perf_counter() - t:.1f} s")
    with ctx.db.read() as s:
        visits = s.scalar(select(func.count()).select_from(Visit)) or 0
        in_year = s.scalar(select(func.count()).select_from(Visit)
                           .where(Visit.visited_on >= args.start, Visit.visited_on <= args.end)) or 0
        cases = s.scalar(select(func.count()).select_from(Case)) or 0
        events = s.scalar(select(func.count()).select_from(CaseEvent)) or 0
    size = ctx.paths.database.stat().st_size / 1e6
    print(f"data: {visits:,} visits ({in_year:,} in the period), {cases:,} cases, {events:,} case events, "
          f"{size:,.0f} MB")
    period = periods.of(args.start, args.end)

    t, c = time.perf_counter(), time.process_time()
    built = cache.ensure(ctx, args.start, args.end)
    print(f"cold cache build: {built} days aggregated in {time.perf_counter() - t:.1f} s "
          f"(cpu {time.process_time() - c:.1f} s)")
    cache.ensure(ctx, periods.last_months(on, 12).start, on)

    report = timed(f"one-year report ({period.label})", lambda: period_report(ctx, period), args.repeat, 1000)
    timed("dashboard refresh (cache current)", lambda: dashboard(ctx, on=on, sync=False), args.repeat, 300)

    def register_one() -> None:
        """A registration on the dashboard's day: the trigger invalidates today in the cache."""
        with ctx.db.write() as s:
            case_id = s.scalar(select(Visit.case_id).where(Visit.visited_on == on).limit(1))
            count = s.scalar(select(func.max(Visit.visit_no)).where(Visit.case_id == case_id)) or 0
            first = s.scalars(select(Visit).where(Visit.case_id == case_id).limit(1)).one()
            s.add(Visit(case_id=case_id, visit_no=count + 1, channel="visit", visited_at=moment, visited_on=on,
                        desk_id=first.desk_id, officer_id=first.officer_id, headcount=1, is_repeat=True))

    timed("dashboard refresh after a new registration today", lambda: dashboard(ctx, on=on, sync=False),
          args.repeat, 300, before=register_one)
    timed("one-year report after a new registration today", lambda: period_report(ctx, period), args.repeat, 1000,
          before=register_one)
    half = periods.half_of(on)
    cache.ensure(ctx, half.start, half.end)
    timed(f"half-year ranking 一考一评 ({half.label})", lambda: unit_ranking(ctx, half), args.repeat)
    listed = timed("drill-down: registrations of the year (first 500 + total)",
                   lambda: drill(ctx, "registrations", period), max(1, args.repeat // 3))
    print(f"  drill-down total {listed.total:,}, rows {len(listed.rows)}")
    if args.live:
        timed("one-year report without the cache (live SQL only)",
              lambda: period_report(ctx, period, use_cache=False), 1)
    print("\nfigures of the report:")
    for f in report.figures:
        print(f"  {f.name:12s} {f.text}")
    ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
