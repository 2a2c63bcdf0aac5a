"""Summarise py-spy's collapsed stacks (``py-spy record --format raw``): where the samples are.

    python bench/spy_summary.py FILE [--top 30] [--under FUNCTION]

Prints the functions with the most samples of their own (self), and the most samples below them (inclusive), as
a share of all samples. ``--under push`` limits both to stacks that pass through a frame whose function name is
``push`` (idle threads waiting on a lock or a socket are left out when ``--active`` is given).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")
_IDLE = ("wait (threading.py", "_wait_for_tstate_lock", "select (selectors.py", "run_forever", "_run_once",
         "worker (concurrent", "_worker (concurrent", "get (queue.py", "acquire")


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m.group("file").replace("\\", "/")
    short = "/".join(file.split("/")[-2:])
    return f"{m.group('func')} ({short})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--under", default="", help="only stacks through a frame of this function name")
    ap.add_argument("--active", action="store_true", help="leave out stacks whose leaf looks idle")
    args = ap.parse_args()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in args.file.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";")]
        if args.under and not any(f.startswith(args.under + " ") for f in frames):
            continue
        if args.active and any(idle in stack.split(";")[-1] for idle in _IDLE):
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples")
    print("self:")
    for f, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {f}")
    print("inclusive:")
    for f, n in inclusive.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
