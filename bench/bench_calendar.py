"""Benchmark: the clock recompute after a change of the holiday calendar (issue 13: at most 5 s a year at 1M visits).

    .venv/bin/python bench/bench_calendar.py --data-dir DIR [--in-place] [--year 2027] [--repeat 3]

Make DIR with ``generate_fast.py --end 2027-06-30`` (a year of work across the turn of 2026/27, so 2027 is the
provisional year of the issue). By default the database is copied to a temporary directory first (the source stays
as it was); ``--in-place`` works on DIR itself. Timed, each in one write transaction as the app runs them
(``reception.roster.holidays.import_year`` / ``confirm`` / ``edit_day`` → ``lifecycle.service.
recompute_clocks_in_session``):

* importing an arrangement of ``--year`` (the made-up 2027 arrangement of the tests: bridge days and make-up
  weekends, so many due dates move), then confirming it (the provisional marks go), then one day edited;
* the recompute of every clock (no year filter: what a pulled change or a new roll-over rule costs);
* for comparison, the full replay of every case from its events (``rebuild_clocks_in_session``), once.

``--pad-clocks N`` copies existing clock rows (the way ``bench_overdue.py`` does) so a smaller generated directory
stands in for a larger year's clock table: the recompute reads only ``case_clock`` (and the few cases it replays).

Prints wall and CPU times (the machine may be shared: CPU time is what the work itself costs), the clock rows checked
and changed, and the database's size.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from reception.bootstrap import open_data_dir  # noqa: E402
from reception.db.models import Case, CaseClock, Visit  # noqa: E402
from reception.lifecycle import service as lc  # noqa: E402
from reception.roster import holidays  # noqa: E402

DB_NAME = "reception.sqlite3"

ARRANGEMENT_2027 = [  # (the tests' arrangement, tests/unit/test_calendar_2027.py)
    ("2027-01-01", False, "元旦"), *((f"2027-02-{d:02d}", False, "春节") for d in range(5, 12)),
    ("2027-02-13", True, "春节"), ("2027-02-14", True, "春节"), ("2027-04-05", False, "清明节"),
    *((f"2027-05-0{d}", False, "劳动节") for d in range(1, 6)), ("2027-05-08", True, "劳动节"),
    ("2027-06-09", False, "端午节"), ("2027-09-15", False, "中秋节"),
    *((f"2027-10-0{d}", False, "国庆节") for d in range(1, 8)), ("2027-09-26", True, "国庆节"),
    ("2027-10-09", True, "国庆节"),
]


def _copy(source: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="bench-calendar-"))
    src = sqlite3.connect(source / DB_NAME)
    dst = sqlite3.connect(target / DB_NAME)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def _report(label: str, seconds: float, checked: int, changed: int, cpu: float) -> None:
    print(f"  {label:<52} {seconds:8.2f} s wall {cpu:7.2f} s CPU   checked {checked:>9,}   changed {changed:>9,}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--in-place", action="store_true")
    ap.add_argument("--year", type=int, default=2027)
    ap.add_argument("--repeat", type=int, default=1, help="repeat the all-clocks recompute")
    ap.add_argument("--no-rebuild", action="store_true", help="skip the full replay (slow at 1M)")
    ap.add_argument("--pad-clocks", type=int, default=0,
                    help="add N copies of existing clock rows (as bench_overdue.py) to emulate a larger year's table")
    args = ap.parse_args()
    root = args.data_dir if args.in_place else _copy(args.data_dir)
    try:
        ctx = open_data_dir(root)
        if args.pad_clocks:
            from bench.bench_overdue import _pad

            _pad(ctx, args.pad_clocks)
        with ctx.db.read() as s:
            visits = s.scalar(select(func.count()).select_from(Visit)) or 0
            cases = s.scalar(select(func.count()).select_from(Case)) or 0
            clocks = s.scalar(select(func.count()).select_from(CaseClock)) or 0
            touching = s.scalar(select(func.count()).select_from(CaseClock).where(
                CaseClock.started_on <= date(args.year, 12, 31), CaseClock.due_on >= date(args.year, 1, 1))) or 0
        size = (root / DB_NAME).stat().st_size / 2**20
        print(f"{visits:,} visits, {cases:,} cases, {clocks:,} clock rows ({touching:,} through {args.year}), "
              f"{size:,.0f} MB")
        rows = [holidays.HolidayEntry(date.fromisoformat(d), w, n, "import") for d, w, n in ARRANGEMENT_2027
                if d.startswith(str(args.year))] or [holidays.HolidayEntry(date(args.year, 1, 1), False, "元旦",
                                                                             "import")]
        steps = []
        t0, c0 = time.perf_counter(), time.process_time()
        change = holidays.import_year(ctx, args.year, rows, by="", force=True)
        steps.append((f"import {args.year} ({len(rows)} days) + recompute", time.perf_counter() - t0, change.clocks,
                      time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        change = holidays.confirm(ctx, args.year, by="bench")
        steps.append((f"confirm {args.year} + recompute", time.perf_counter() - t0, change.clocks,
                      time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        change = holidays.edit_day(ctx, date(args.year, 2, 12), False, "春节", by="")
        steps.append((f"edit one day ({args.year}-02-12 off) + recompute", time.perf_counter() - t0, change.clocks,
                      time.process_time() - c0))
        for label, seconds, result, cpu in steps:
            _report(label, seconds, result.checked, result.changed, cpu)
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            result = lc.recompute_clocks(ctx)
            _report("recompute every clock (nothing changed)", time.perf_counter() - t0, result.checked,
                    result.changed, time.process_time() - c0)
        if not args.no_rebuild:
            t0 = time.perf_counter()
            with ctx.db.write() as s:
                written = lc.rebuild_clocks_in_session(s, ctx.calendar, today=ctx.now().date())
            print(f"  {'full replay of every case (reference)':<52} {time.perf_counter() - t0:8.2f} s   "
                  f"cases {written:>9,}")
        ctx.close()
    finally:
        if not args.in_place:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
