"""Public query page benchmark (issue 15): the page's server time on PostgreSQL with 100,000 cases, a bounded
loopback load test, and the throttle under that load.

    python bench/bench_query.py [--pg URL] [--cases 100000] [--rate 200] [--seconds 60] [--samples 500]

* Data: a fresh PostgreSQL schema (dropped at the end), the demo district's reference data published, then N cases
  written straight into the server's ``record`` table as the desks would have synced them (per case: the
  ``petition_case`` record, 4 ``case_event`` records — received, assigned, signed, accepted — one ``visit``, one
  ``visit_person``, one ``petitioner``; 8 records a case), in one COPY per table, and the server migrated.
* Server: ``reception server`` in a child process (one uvicorn process, as in ``tests/sync/harness.py``).
* Page time: ``--samples`` GETs of random cases' QR addresses, one after another; the server's own time is the
  answer's ``Server-Timing: app;dur=`` (request to answer head, the page rendered). Goal: p95 <= 20 ms.
* Load: ``--rate`` queries a second for ``--seconds``, open loop (each request starts on its own schedule,
  16 client threads), random cases, right codes: errors (anything but 200) and the rate achieved are counted.
  Meanwhile a guesser (its own loopback address, 127.0.0.9) tries wrong codes on one case twice a second: after
  ``limits.QUERY_FAIL_LIMIT`` wrong answers every further try must be refused (429), during the whole load.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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


def load(base: str, pairs: list[tuple[str, str]], rate: int, seconds: int) -> None:
    total = rate * seconds
    errors: list[str] = []
    server: list[float] = []
    done = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    late = 0
    stop = threading.Event()
    guesses: list[int] = []

    def worker(index: int, threads: int) -> None:
        nonlocal done, late
        rng = random.Random(index)
        with httpx.Client(base_url=base, timeout=10) as http:
            for k in range(index, total, threads):
                due = start + k / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                elif wait < -0.1:
                    with lock:
                        late += 1
                case_no, code = rng.choice(pairs)
                try:
                    r = http.get(f"/q/{case_no}", params={"c": code})
                    ok = r.status_code == 200
                    ms = float(r.headers.get("server-timing", "dur=0").split("dur=")[1])
                except httpx.HTTPError as exc:
                    ok, ms = False, 0.0
                    r = None
                    err = type(exc).__name__
                with lock:
                    done += 1
                    server.append(ms)
                    if not ok:
                        errors.append(str(r.status_code) if r is not None else err)

    def guesser() -> None:
        case_no, code = pairs[0]
        wrong = "".join(reversed(code)) if code != code[::-1] else "ABCDEFGH"
        with httpx.Client(base_url=base, timeout=10,
                          transport=httpx.HTTPTransport(local_address="127.0.0.9")) as http:
            while not stop.is_set():
                guesses.append(http.get(f"/q/{case_no}", params={"c": wrong}).status_code)
                stop.wait(0.5)

    threads = 16
    pool = [threading.Thread(target=worker, args=(i, threads)) for i in range(threads)]
    g = threading.Thread(target=guesser)
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    g.start()
    for t in pool:
        t.join()
    stop.set()
    g.join()
    elapsed = time.perf_counter() - t0
    print(f"load: {done:,} queries in {elapsed:.1f} s = {done / elapsed:.0f}/s (asked {rate}/s for {seconds} s), "
          f"errors {len(errors)}{' ' + str(sorted(set(errors))) if errors else ''}, {late} started >100 ms late")
    print(f"  server time under load: p50 {statistics.median(server):.1f} ms, p95 {pct(server, 95):.1f} ms")
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
    args = parser.parse_args()
    os.environ.setdefault("RECEPTION_TOKEN_STORE", "file")
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp, pg_schema_url(args.pg) as url:
        work = Path(tmp)
        pairs = generate(url, work, args.cases)
        server = ServerProcess(url, work, extra_args=("--now", NOW)).start()
        try:
            page_times(server.url, pairs, args.samples)
            load(server.url, pairs, args.rate, args.seconds)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
