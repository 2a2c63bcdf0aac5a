"""Small helpers shared by the benchmark scripts: timing statistics, a statement counter, table printing."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Timing:
    label: str
    samples_ms: list[float]
    target_ms: float | None = None
    hits: int = 0
    probes: int = 0
    statements: float = 0.0
    """Average SQL statements per call."""
    sql_ms: float = 0.0
    """Average time inside the SQLite driver per call."""
    cpu_ms: list[float] = field(default_factory=list)
    """Process CPU time per call (less disturbed than wall time when other processes share the CPUs)."""
    note: str = ""
    top_sql: list[tuple[str, int, float]] = field(default_factory=list)
    """The statements that took the most driver time: (sql, calls, total seconds)."""

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def max(self) -> float:
        return max(self.samples_ms)

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return ""
        if self.p95 <= self.target_ms:
            return "ok"
        return "ok (median)" if self.median <= self.target_ms else "MISS"


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine runs and the time spent in the driver, per statement text."""

    count: int = 0
    seconds: float = 0.0
    by_sql: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    record: bool = False
    _start: list[float] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def detach(self, engine: Engine) -> None:
        event.remove(engine, "before_cursor_execute", self._before)
        event.remove(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self._start.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        elapsed = time.perf_counter() - self._start.pop()
        self.count += 1
        self.seconds += elapsed
        if self.record:
            self.by_sql[statement].append(elapsed)

    def reset(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.by_sql.clear()


def time_calls(label: str, probes: Sequence[Any], call: Callable[[Any], Any], *, warmup: int = 10,
               target_ms: float | None = None, counter: StatementCounter | None = None,
               hit: Callable[[Any], bool] = bool, note: str = "") -> Timing:
    """Call ``call(probe)`` for every probe (after ``warmup`` untimed calls) and collect the wall times."""
    for probe in list(probes)[:warmup]:
        call(probe)
    samples: list[float] = []
    cpu: list[float] = []
    hits = 0
    if counter:
        counter.reset()
    for probe in probes:
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = call(probe)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        hits += bool(hit(result))
    timing = Timing(label, samples, target_ms, hits=hits, probes=len(probes), note=note, cpu_ms=cpu)
    if counter and probes:
        timing.statements = counter.count / len(probes)
        timing.sql_ms = counter.seconds * 1000 / len(probes)
        if counter.record:
            ranked = sorted(counter.by_sql.items(), key=lambda kv: -sum(kv[1]))[:3]
            timing.top_sql = [(sql, len(times), sum(times)) for sql, times in ranked]
    return timing


def print_table(timings: Sequence[Timing], *, show_sql: bool = True) -> str:
    head = (f"{'operation':<58} {'n':>4} {'hits':>4} {'median':>8} {'p95':>8} {'max':>8} {'cpu med':>7} "
            f"{'target':>7}")
    if show_sql:
        head += f" {'stmts':>6} {'sql ms':>7}"
    head += "  verdict"
    lines = [head, "-" * len(head)]
    for t in timings:
        target = f"{t.target_ms:g}" if t.target_ms is not None else "-"
        line = (f"{t.label:<58} {t.probes:>4} {t.hits:>4} {t.median:>8.2f} {t.p95:>8.2f} {t.max:>8.2f} "
                f"{t.cpu_median:>7.2f} {target:>7}")
        if show_sql:
            line += f" {t.statements:>6.1f} {t.sql_ms:>7.2f}"
        line += f"  {t.verdict}"
        if t.note:
            line += f"  ({t.note})"
        lines.append(line)
    text = "\n".join(lines)
    print(text)
    return text


def code_version() -> str:
    """The commit the core was measured at, and whether the working tree had local changes under reception/."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "reception"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"core at {head}" + (" + uncommitted changes in reception/" if dirty else "")


def load_note() -> str:
    import os

    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def file_mb(path: Path) -> float:
    total = 0
    for suffix in ("", "-wal"):
        p = Path(str(path) + suffix)
        if p.exists():
            total += p.stat().st_size
    return total / 1e6


def install_directory_preload() -> None:
    """What-if experiment: every session of ``Database.read()``/``write()`` starts with the directory in its
    identity map (held strongly for the session's life).

    The services read the same ~250 directory rows (localities, categories, units, routing rules, desks, users) by
    primary key again and again: validation, ``propose_route``'s ancestor walks, locality and category labels in
    case summaries and receipts. A process-wide directory cache in the core would answer those from memory;
    preloading them into each session is the closest a benchmark gets to measuring that change without editing
    the core (the methods are wrapped in this process only). The preload itself — one query per table per
    session — is included in the timings, so the real change would gain a little more.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from reception.db.database import Database
    from reception.db.models import Category, Desk, Locality, RoutingRule, Unit, User

    def preload(session: Session) -> None:
        session.info["bench_directory"] = [
            row for model in (Locality, Category, Unit, RoutingRule, Desk, User)
            for row in session.scalars(select(model)).all()]

    def wrap(original: Callable[[Database], Any]) -> Callable[[Database], Any]:
        @contextmanager
        def wrapped(self: Database) -> Iterator[Session]:
            with original(self) as session:
                preload(session)
                yield session

        return wrapped

    Database.read = wrap(Database.read)  # type: ignore[method-assign,assignment]
    Database.write = wrap(Database.write)  # type: ignore[method-assign,assignment]
