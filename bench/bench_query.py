"""Public query page benchmark (issue 15): the page's server time on PostgreSQL with 100,000 cases, a bounded
loopback load test, and the throttle under that load.

    python bench/bench_query.py [--pg URL] [--cases 100000] [--rate 200] [--seconds 60] [--samples 500]
                                [--workers 2] [--explain] [--profile FILE]

* Data: a fresh PostgreSQL schema (dropped at the end), the demo district's reference data published, then N cases
  written straight into the server's ``record`` table as the desks would have synced them (per case: the
  ``petition_case`` record, 4 ``case_event`` records — received, assigned, signed, accepted — one ``visit``, one
  ``visit_person``, one ``petitioner``; 8 records a case), with COPY (``service._insert_many``, as a push stores
  them), the server migrated. ``--explain``: the page's statements and PostgreSQL's plans of them, executed.
* Server: ``reception server --workers N`` in a child process (``--workers``, default 2: uvicorn's worker
  processes over the one PostgreSQL, as the README says to run it), as in ``tests/sync/harness.py``.
* Page time: ``--samples`` GETs of random cases' QR addresses, one after another; the server's own time is the
  answer's ``Server-Timing: app;dur=`` (request to answer head, the page rendered). Goal: p95 <= 20 ms.
* Load: ``--rate`` queries a second for ``--seconds``, open loop (request k is due at start + k / rate whatever
  the others do; 48 bare keep-alive connections take them in turn, so the client costs little CPU), random cases,
  right codes: errors (anything but 200 with the page), the rate achieved, latency from each request's due time
  (p50/p95/p99), the server's own time under load and the server processes' CPU seconds a query (Linux /proc).
  Meanwhile a guesser (its own loopback address, 127.0.0.9) tries wrong codes on one case twice a second: after
  ``limits.QUERY_FAIL_LIMIT`` wrong answers every further try must be refused (429), during the whole load.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from reception.domain.case_numbers import QUERY_ALPHABET  # noqa: E402
from reception.server import limits  # noqa: E402
from reception.server.db import open_server_database  # noqa: E402
from reception.server.models import Counter, Record  # noqa: E402
from reception.server.service import RECORD, _insert_many, import_reference  # noqa: E402
from tests.sync.harness import ServerProcess, make_reference, pg_schema_url  # noqa: E402

NOW = "2026-09-16T10:00:00+08:00"


def _iso(d: date, hour: int = 9) -> str:
    return datetime(d.year, d.month, d.day, hour - 8, tzinfo=UTC).isoformat()


def generate(url: str, workdir: Path, n: int) -> list[tuple[str, str]]:
    """N cases as synced records; returns (case number, query code) of each."""
    db = open_server_database(url)
    import_reference(db, make_reference(workdir / "reference"))
    rng = random.Random(15)
    with db.read() as s:
        units = [rid for rid in s.scalars(select(Record.record_id).where(Record.table_name == "unit"))]
        seq = int(s.scalar(select(Counter.value).where(Counter.name == "seq")) or 0)
    rows: list[dict[str, Any]] = []
    pairs = []
    start = date(2026, 6, 1)
    now = datetime.now(UTC)

    def add(table: str, rid: str, data: dict[str, Any], natural: str | None = None) -> None:
        nonlocal seq
        seq += 1
        rows.append({"table_name": table, "record_id": rid, "version": 1, "seq": seq, "deleted": False,
                     "data": data, "natural_key": natural, "origin": "bench", "owner": "bench",
                     "desk_time": None, "updated_at": now})

    for i in range(n):
        day = start + timedelta(days=i % 100)
        case_no = f"D{1 + i % 9:02d}-{day:%Y%m%d}-{i // 9 + 1:04d}"
        code = "".join(rng.choice(QUERY_ALPHABET) for _ in range(8))
        pairs.append((case_no, code))
        cid, vid, pid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        unit = rng.choice(units)
        add("petition_case", cid, {"id": cid, "case_no": case_no, "query_code": code, "content_class": "claim",
                                   "status": "accepted", "unit_id": unit, "registered_on": day.isoformat(),
                                   "routing_action": "assign", "request": "要求解决小区停车位问题",
                                   "version": 3}, case_no)
        for k, (kind, offset) in enumerate((("received", 0), ("assigned", 0), ("signed", 1), ("accepted", 2))):
            eid = str(uuid.uuid4())
            on = day + timedelta(days=offset)
            add("case_event", eid, {"id": eid, "case_id": cid, "kind": kind, "occurred_at": _iso(on, 9 + k),
                                    "occurred_on": on.isoformat(), "actor_id": None,
                                    "unit_id": unit if kind != "received" else None,
                                    "note": "来访" if kind == "received" else "",
                                    "data": {"received_on": on.isoformat()} if kind == "signed" else {}})
        add("visit", vid, {"id": vid, "case_id": cid, "visit_no": 1, "channel": "visit"})
        add("visit_person", str(uuid.uuid4()), {"id": str(uuid.uuid4()), "visit_id": vid, "petitioner_id": pid,
                                                "is_representative": False, "position": 0})
        add("petitioner", pid, {"id": pid, "name": "夏明云", "id_type": "none"})
    t0 = time.perf_counter()
    with db.session() as s:
        for chunk in range(0, len(rows), 50_000):
            _insert_many(s, RECORD, rows[chunk:chunk + 50_000])
        counter = s.get(Counter, "seq")
        assert counter is not None
        counter.value = seq
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE record")
    print(f"generated {n:,} cases ({len(rows):,} records) in {time.perf_counter() - t0:.1f} s")
    db.dispose()
    return pairs


def explain(url: str, workdir: Path, case_no: str) -> None:
    """The statements one query page runs (captured from the engine) and PostgreSQL's plan of each, executed."""
    from sqlalchemy import event

    from reception.server.web.casedata import find_case, first_petitioner_name

    db = open_server_database(url, workdir)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    with db.read() as s:
        limits.locked_out_in(s, ["query:addr:127.0.0.1", f"query:case:{case_no}"])
        found = find_case(s, db.sealer, case_no)
        assert found is not None
        first_petitioner_name(s, found)
    event.remove(db.engine, "before_cursor_execute", capture)
    print(f"the page's {len(seen)} statements (one read transaction), their plans on {db.dialect}:")
    with db.engine.connect() as conn:
        for statement, parameters in seen:
            rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters).all()
            print("  " + " ".join(statement.split())[:160])
            for (line,) in rows:
                print("      " + line)
    db.dispose()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def page_times(base: str, pairs: list[tuple[str, str]], samples: int) -> None:
    rng = random.Random(3)
    server, client = [], []
    with httpx.Client(base_url=base, timeout=10) as http:
        for _ in range(20):  # warm-up
            case_no, code = rng.choice(pairs)
            http.get(f"/q/{case_no}", params={"c": code})
        for _ in range(samples):
            case_no, code = rng.choice(pairs)
            t0 = time.perf_counter()
            r = http.get(f"/q/{case_no}", params={"c": code})
            client.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and 'id="status"' in r.text, r.status_code
            server.append(float(r.headers["server-timing"].split("dur=")[1]))
    print(f"query page, server time over {samples} random cases: p50 {statistics.median(server):.1f} ms, "
          f"p95 {pct(server, 95):.1f} ms, max {max(server):.1f} ms (goal p95 <= 20 ms)")
    print(f"  seen by the client (loopback): p50 {statistics.median(client):.1f} ms, p95 {pct(client, 95):.1f} ms")


class Connection:
    """A bare HTTP/1.1 keep-alive connection for the load: a few microseconds of client CPU a request (httpx
    costs about a millisecond, which on a 2-core machine would be taken from the server under test)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.sock: socket.socket | None = None
        self.reader: Any = None

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=10)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.reader = self.sock.makefile("rb")
            try:
                self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {self.address[0]}\r\n\r\n".encode("ascii"))
                status_line = self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                headers: dict[str, str] = {}
                while (line := self.reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = self.reader.read(int(headers.get("content-length", "0")))
                if headers.get("connection", "").lower() == "close":
                    self.close()
                return status, headers, body
            except (ConnectionError, OSError):
                self.close()  # (a kept-alive connection the server closed in between: once more on a new one)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = self.reader = None


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` and its children (Linux ``/proc``; None elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, total = {pid}, 0.0
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    for member in tree:
        total += times.get(member, 0.0)
    return total


def load(base: str, pairs: list[tuple[str, str]], rate: int, seconds: int, server_pid: int) -> None:
    """Open loop: request k starts at ``start + k / rate`` whatever happened to the ones before (``threads``
    connections take them in turn; a request that cannot start on time because all are busy counts as late)."""
    total = rate * seconds
    errors: list[str] = []
    server: list[float] = []
    client: list[float] = []
    done = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    late = 0
    stop = threading.Event()
    guesses: list[int] = []
    threads = 48

    def worker(index: int) -> None:
        nonlocal done, late
        rng = random.Random(index)
        http = Connection(base)
        try:
            for k in range(index, total, threads):
                due = start + k / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                elif wait < -0.1:
                    with lock:
                        late += 1
                case_no, code = rng.choice(pairs)
                t0 = time.perf_counter()
                try:
                    status, headers, body = http.get(f"/q/{case_no}?c={code}")
                    ok = status == 200 and b'id="status"' in body
                    ms = float(headers.get("server-timing", "dur=0").split("dur=")[1])
                    err = str(status)
                except OSError as exc:
                    ok, ms, err = False, 0.0, type(exc).__name__
                # (from the moment it was due: an open loop's latency includes the wait for a free connection)
                spent = (time.perf_counter() - min(t0, due)) * 1000
                with lock:
                    done += 1
                    server.append(ms)
                    client.append(spent)
                    if not ok:
                        errors.append(err)
        finally:
            http.close()

    def guesser() -> None:
        case_no, code = pairs[0]
        wrong = "".join(reversed(code)) if code != code[::-1] else "ABCDEFGH"
        with httpx.Client(base_url=base, timeout=10,
                          transport=httpx.HTTPTransport(local_address="127.0.0.9")) as http:
            while not stop.is_set():
                guesses.append(http.get(f"/q/{case_no}", params={"c": wrong}).status_code)
                stop.wait(0.5)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    g = threading.Thread(target=guesser)
    cpu0 = server_cpu_seconds(server_pid)
    for t in pool:
        t.start()
    g.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start  # (from the first request's due time)
    cpu1 = server_cpu_seconds(server_pid)
    stop.set()
    g.join()
    print(f"load: {done:,} queries in {elapsed:.1f} s = {done / elapsed:.0f}/s (asked {rate}/s for {seconds} s, "
          f"open loop), errors {len(errors)}{' ' + str(sorted(set(errors))) if errors else ''}, "
          f"{late} started >100 ms late")
    print(f"  latency (client, from each request's due time): p50 {statistics.median(client):.1f} ms, "
          f"p95 {pct(client, 95):.1f} ms, p99 {pct(client, 99):.1f} ms")
    print(f"  server time under load: p50 {statistics.median(server):.1f} ms, p95 {pct(server, 95):.1f} ms, "
          f"p99 {pct(server, 99):.1f} ms")
    if cpu0 is not None and cpu1 is not None and done:
        per = (cpu1 - cpu0) / (done + len(guesses)) * 1000
        print(f"  server CPU: {cpu1 - cpu0:.1f} s for the load = {per:.2f} ms a query -> {rate}/s needs "
              f"{per * rate / 1000:.2f} cores (machine: {os.cpu_count()} cores, shared with the client and "
              f"PostgreSQL; load average {os.getloadavg()[0]:.1f})")
    wrong_answers = sum(1 for s in guesses if s == 200)
    refused = sum(1 for s in guesses if s == 429)
    held = wrong_answers == limits.QUERY_FAIL_LIMIT and refused == len(guesses) - wrong_answers
    print(f"  throttle: the guesser's {len(guesses)} tries: {wrong_answers} answered 'wrong', {refused} refused "
          f"(429) -> {'holds' if held else 'DOES NOT HOLD'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("RECEPTION_TEST_PG_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (reception server --workers)")
    parser.add_argument("--explain", action="store_true", help="print the plans of the page's statements")
    parser.add_argument("--profile", metavar="FILE",
                        help="py-spy record the server processes during the load (collapsed stacks: "
                             "bench/spy_summary.py FILE)")
    args = parser.parse_args()
    os.environ.setdefault("RECEPTION_TOKEN_STORE", "file")
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp, pg_schema_url(args.pg) as url:
        work = Path(tmp)
        pairs = generate(url, work, args.cases)
        if args.explain:
            explain(url, work, random.Random(7).choice(pairs)[0])
        server = ServerProcess(url, work, extra_args=("--now", NOW, "--workers", str(args.workers))).start()
        assert server.proc is not None
        print(f"server: reception server --workers {args.workers} over PostgreSQL")
        spy = None
        try:
            page_times(server.url, pairs, args.samples)
            if args.profile:
                spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses",
                                        "-p", str(server.proc.pid), "-o", args.profile, "-r", "200", "--format", "raw"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)
            load(server.url, pairs, args.rate, args.seconds, server.proc.pid)
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
