"""Cold start of the desk app: wall time from launching ``python main.py`` to its first window being shown.

Each run is a new process on an existing data directory (the demo district unless --data-dir is given). The app
prints "window shown" from its first event-loop turn after ``show()`` when RECEPTION_EXIT_AFTER_SHOWN is set,
then quits. The first window is the login dialog on a desk with accounts (the main window follows the sign-in),
the first-run wizard on a new desk. The login dialog also prints "ready" once its data directory is open (it is
opened right after the first paint) and the time to that is reported too.

Target (issue 18): ≤ 0.8 s with a million visits, peak memory ≤ 180 MB. Also printed: the CPU time of each process
(user + system), steadier than wall time on a shared machine. ``--baseline CHECKOUT`` starts another checkout's
``main.py`` alternately with this one on the same data (the same load for both).

    python bench/bench_startup.py [--data-dir DIR] [--runs 7] [--baseline /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float | None:
    """The largest resident set of any finished child so far (Linux and macOS; None elsewhere)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished children so far (0 where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(data_dir: Path, repo: Path = REPO) -> tuple[float, float, float | None]:
    """Wall seconds to the first frame; the CPU seconds of the whole process (to its exit just after); wall seconds
    to "ready" (the login dialog's data directory open: sign-in possible), None from a version without it."""
    cpu_before = children_cpu()
    env = dict(os.environ, RECEPTION_EXIT_AFTER_SHOWN="1", PYTHONIOENCODING="utf-8")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(repo / "main.py"), "--data-dir", str(data_dir)], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
    assert proc.stdout is not None
    shown = ready = None
    for line in proc.stdout:
        if line.strip() == "window shown":
            shown = time.perf_counter() - started
        elif line.strip() == "ready":
            ready = time.perf_counter() - started
    proc.wait(timeout=60)
    if shown is None:
        raise SystemExit(f"the app exited ({proc.returncode}) without showing its window")
    return shown, children_cpu() - cpu_before, ready


def load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def report(title: str, runs: list[tuple[float, float, float | None]]) -> None:
    times = [wall for wall, _cpu, _ready in runs]
    cpus = [cpu for _wall, cpu, _ready in runs]
    readies = [ready for _wall, _cpu, ready in runs if ready is not None]
    print(f"{title}:")
    print(f"  median {statistics.median(times) * 1000:.0f} ms   min {min(times) * 1000:.0f} ms   "
          f"max {max(times) * 1000:.0f} ms   (target ≤ 800 ms)")
    if readies:
        print(f"  ready to sign in (data directory open): median {statistics.median(readies) * 1000:.0f} ms   "
              f"min {min(readies) * 1000:.0f} ms")
    if any(cpus):
        print(f"  CPU of the process (user + system, to its exit): median {statistics.median(cpus) * 1000:.0f} ms   "
              f"min {min(cpus) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="another checkout of the app (e.g. main) started alternately with this one, same data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reception-startup-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "demo"
            subprocess.run([sys.executable, "-m", "reception", "init", "--data-dir", str(data_dir), "--demo"],
                           cwd=REPO, check=True, capture_output=True)
        one_run(data_dir)  # warm the OS file cache once: a desk PC starts the app from a warm disk most days
        ours: list[tuple[float, float, float | None]] = []
        theirs: list[tuple[float, float, float | None]] = []
        if args.baseline is not None:
            one_run(data_dir, args.baseline.resolve())
        for _ in range(args.runs):
            if args.baseline is not None:
                theirs.append(one_run(data_dir, args.baseline.resolve()))
            ours.append(one_run(data_dir))
    where = f"{args.runs} runs on {data_dir.name}, load {load()}"
    if theirs:
        report(f"baseline {args.baseline}: cold start to the first window shown, {where}", theirs)
    report(f"this checkout: cold start to the first window shown, {where}", ours)
    peak = peak_rss_mb()
    if peak is not None:
        print(f"  peak memory (largest resident set of the runs): {peak:.0f} MB   (target ≤ 180 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
