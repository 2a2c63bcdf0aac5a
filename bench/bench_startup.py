"""Cold start of the desk app: wall time from launching ``python main.py`` to its main window being shown.

Each run is a new process on an existing data directory (the demo district unless --data-dir is given). The app
prints "window shown" from its first event-loop turn after ``show()`` when RECEPTION_EXIT_AFTER_SHOWN is set,
then quits. Target (issue 2): ≤ 1.5 s on the development machine.

    python bench/bench_startup.py [--data-dir DIR] [--runs 7]
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


def one_run(data_dir: Path) -> float:
    env = dict(os.environ, RECEPTION_EXIT_AFTER_SHOWN="1", PYTHONIOENCODING="utf-8")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
    assert proc.stdout is not None
    shown = None
    for line in proc.stdout:
        if line.strip() == "window shown":
            shown = time.perf_counter() - started
            break
    proc.wait(timeout=60)
    if shown is None:
        raise SystemExit(f"the app exited ({proc.returncode}) without showing its window")
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reception-startup-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "demo"
            subprocess.run([sys.executable, "-m", "reception", "init", "--data-dir", str(data_dir), "--demo"],
                           cwd=REPO, check=True, capture_output=True)
        one_run(data_dir)  # warm the OS file cache once: a desk PC starts the app from a warm disk most days
        times = [one_run(data_dir) for _ in range(args.runs)]
    print(f"cold start to shown main window, {args.runs} runs on {data_dir.name}:")
    print(f"  median {statistics.median(times) * 1000:.0f} ms   min {min(times) * 1000:.0f} ms   "
          f"max {max(times) * 1000:.0f} ms   (target ≤ 1500 ms)")
    peak = peak_rss_mb()
    if peak is not None:
        print(f"  peak memory (largest resident set of the runs): {peak:.0f} MB   (target ≤ 180 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
