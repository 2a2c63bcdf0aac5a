"""Benchmark: generate the leaders' roster of a whole year (12 months, each continuing the rotation).

    .venv/bin/python bench/bench_roster.py [YEAR] [--repeat N]

Prints the best and median wall time of ``generate_months`` over a fresh demo directory; the target is < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reception.bootstrap import open_data_dir  # noqa: E402
from reception.demo import seed_reference  # noqa: E402
from reception.roster import service  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("year", nargs="?", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    months = [f"{args.year}-{m:02d}" for m in range(1, 13)]
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        ctx = open_data_dir(Path(tmp))
        with ctx.db.write() as s:
            seed_reference(s)
        for _ in range(args.repeat):
            start = time.perf_counter()
            results = service.generate_months(ctx, months)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        service.publish_month(ctx, months[0], by="bench", force=True)
        publish = time.perf_counter() - start
        ctx.close()
    slots = sum(r.slots for r in results)
    print(f"roster generate {args.year} (12 months, {slots} slots): best {min(times) * 1000:.0f} ms, "
          f"median {statistics.median(times) * 1000:.0f} ms over {len(times)} runs; publish one month "
          f"{publish * 1000:.0f} ms")
    return 0 if min(times) < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
