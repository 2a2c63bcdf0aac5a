"""The wait after 登录: building and showing the desk's main window once the password is accepted.

``bench_startup.py`` times the first window (the login dialog); this times what follows it, which no other bench
covers. Each run is a new process on an existing data directory (the demo district unless --data-dir is given; a
copy is never made, nothing is written but what a sign-in writes). In the child, with the data directory already open
and the imports of the login dialog done (as they are while the password is typed: ``ui.security.app_login``), it
times ``create_main_window`` (the pages, their first queries), ``show()`` and the first frame, each separately, and
their sum: the wait after 登录. What the app does while the password is typed
(``ui.security.app_login.prepare_main_window``: the main window's imports, the icon font) is timed on its own: it is
not part of that wait. Also the process's
peak memory at the end.

    python bench/bench_main_window.py [--data-dir DIR] [--runs 7] [--user USERNAME] [--baseline OTHER_CHECKOUT]

``--baseline`` runs another checkout's code (``ui``, ``reception``) alternately with this one's on the same data,
both through this file's child, so both see the same load; the CPU time of the wait is printed too.

Not a test: no target is set by an issue (bench_startup's 0.8 s is for the first window). Runs offscreen.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pathlib import Path
from PySide6.QtWidgets import QApplication
from ui.app import prepare_application
app = QApplication([sys.argv[0]])
prepare_application(app)
from reception.bootstrap import open_data_dir
from sqlalchemy import select
from reception.db.models import User
from ui.security.app_login import prepare_main_window  # (imported while the login dialog is up)
data_dir = Path(sys.argv[2])
ctx = open_data_dir(data_dir)
with ctx.db.read() as s:
    q = select(User.id).where(User.active.is_(True))
    if sys.argv[3]:
        q = q.where(User.username == sys.argv[3])
    user_id = s.scalar(q.order_by(User.username))
cpu0, t0 = time.process_time(), time.perf_counter()
prepare_main_window()  # (as the login dialog does once it is painted, while the password is typed)
t1, cpu1 = time.perf_counter(), time.process_time()
from ui.app import create_main_window
window = create_main_window(data_dir, user=user_id, ctx=ctx)
t2 = time.perf_counter()
window.show()
t3 = time.perf_counter()
app.processEvents()
t4 = time.perf_counter()
cpu, wait_cpu = time.process_time() - cpu0, time.process_time() - cpu1
try:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
except ImportError:
    peak = None
print(json.dumps({"import": (t1 - t0) * 1000, "build": (t2 - t1) * 1000, "show": (t3 - t2) * 1000,
                  "frame": (t4 - t3) * 1000, "wait": (t4 - t1) * 1000, "total": (t4 - t0) * 1000,
                  "cpu": cpu * 1000, "wait_cpu": wait_cpu * 1000, "peak_mb": peak}))
window.confirm_on_close = False
window.close()
"""


def demo_dir() -> Path:
    sys.path.insert(0, str(REPO))
    from ui.app import seed_demo_if_empty

    folder = Path(tempfile.gettempdir()) / "reception-bench-main-window"
    seed_demo_if_empty(folder)  # (a folder with a database is left alone)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--user", default="", help="the user name to sign in as (default: the first active one)")
    parser.add_argument("--baseline", type=Path, help="another checkout, run alternately with this one")
    args = parser.parse_args()
    data_dir = args.data_dir or demo_dir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    checkouts = [("this checkout", REPO)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    rows: dict[str, list[dict[str, float]]] = {name: [] for name, _ in checkouts}
    for i in range(args.runs):
        for name, repo in checkouts:
            out = subprocess.run([sys.executable, "-c", CHILD, str(repo), str(data_dir), args.user],
                                 env=dict(env, PYTHONPATH=str(repo)), cwd=repo, capture_output=True, text=True,
                                 encoding="utf-8", check=False)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode != 0 or not lines:
                print(out.stderr[-2000:], file=sys.stderr)
                return 1
            rows[name].append(json.loads(lines[-1]))
            print(f"run {i + 1} ({name}): " + ", ".join(f"{k} {v:.0f}" for k, v in rows[name][-1].items()
                                                       if v is not None), file=sys.stderr)
    for name, repo in checkouts:
        got = rows[name]
        print(f"main window after sign-in, {name} ({repo}), {args.runs} runs on {data_dir} (median ms):")
        for key, label in (("import", "prepare_main_window *"), ("build", "create_main_window"), ("show", "show()"),
                           ("frame", "first frame"), ("wait", "wait after 登录"), ("total", "total wall"),
                           ("wait_cpu", "CPU of the wait"), ("cpu", "total CPU")):
            print(f"  {label:24s} {statistics.median(r[key] for r in got):8.1f}")
        print("  (* done while the password is typed; not part of the wait)")
        peaks = [r["peak_mb"] for r in got if r["peak_mb"] is not None]
        if peaks:
            print(f"  peak memory {max(peaks):.0f} MB (median {statistics.median(peaks):.0f})")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}" if hasattr(os, "getloadavg") else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
