"""Sync benchmark (issue 5): push and pull of N intakes through a real server on PostgreSQL, compared in the same
run with a plain bulk insert of the same rows; an idle sync cycle; many desks syncing at once.

    python bench/bench_sync.py [--pg URL] [--intakes 10000] [--desks 20] [--per-desk 20] [--workdir DIR]

* Server: ``reception server`` in a child process (uvicorn) over a fresh PostgreSQL schema (dropped at the end),
  reference data published from the demo district (``demo.seed_reference``).
* Push: desk A registers N intakes through the real intake service while offline (not timed: the outbox fills in
  the same transactions), then one ``sync_once`` is timed (handshake + push of every outbox row + the pull that
  follows). Baseline: the same rows (table, id, JSON data) executemany-inserted into a plain PostgreSQL table.
* Pull: desk B (enrolled before A pushed) times one ``sync_once`` that pulls and applies every record through the
  ORM (and recomputes the cases' clocks). Baseline: the same rows bulk-inserted (Core executemany, per table) into
  an empty desk database file.
* Idle: A's ``sync_once`` with nothing to do, repeated (median and 95th percentile).
* Many desks: a second fresh server; D desks each register K intakes offline, then all sync at once (threads), then
  once more so everyone has everything; errors are counted and convergence is checked.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select  # noqa: E402

from reception import heap  # noqa: E402
from reception.bootstrap import open_data_dir  # noqa: E402
from reception.db.base import CHINA_TZ  # noqa: E402
from reception.db.models import Case  # noqa: E402
from reception.intake.service import register_in_session  # noqa: E402
from reception.server.db import open_server_database  # noqa: E402
from reception.server.models import Record  # noqa: E402
from reception.server.service import import_reference  # noqa: E402
from reception.sync.codec import codec_for  # noqa: E402
from reception.sync.desk import sync_once  # noqa: E402
from reception.sync.registry import synced_tables  # noqa: E402
from tests.sync.harness import (  # noqa: E402
    ServerProcess,
    make_reference,
    new_desk,
    pg_schema_url,
)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _client(url: str, token: str):  # type: ignore[no-untyped-def]
    from reception.sync.client import SyncClient

    return SyncClient(url, token, retries=2, backoff=0.2, timeout=120)


def bulk_intakes(ctx, n: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    """N intakes through the real intake service, 500 per write transaction (the outbox fills with them)."""
    from datetime import datetime, timedelta

    from tests.sync.harness import _intake_form

    rng = random.Random(seed)
    with ctx.db.read() as s:
        from reception.db.settings import load_desk_settings

        st = load_desk_settings(s)
    moment = datetime(2026, 9, 1, 8, 30, tzinfo=CHINA_TZ)
    done = 0
    used: set[str] = set()
    while done < n:
        with ctx.db.write() as s:
            for _ in range(min(500, n - done)):
                moment += timedelta(seconds=37)
                form = _intake_form(s, rng)
                while form.person.id_number in used:  # a new person each time (random IDs do collide at 10k)
                    form = _intake_form(s, rng)
                used.add(form.person.id_number)
                register_in_session(s, form, desk_id=st.desk_id, officer_id=st.officer_id, now=moment)
                done += 1


def pg_bulk_baseline(url: str, rows: list[dict[str, Any]]) -> float:
    """Seconds to executemany-insert ``rows`` (table_name, record_id, data) into a fresh plain PostgreSQL table."""
    from sqlalchemy import JSON, Column, MetaData, String, Table

    probe = Table("bulk_probe", MetaData(), Column("table_name", String(64), primary_key=True),
                  Column("record_id", String(64), primary_key=True), Column("data", JSON))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            probe.drop(conn, checkfirst=True)
            probe.create(conn)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CHECKPOINT")  # (as before each timed push: no earlier writes still going out)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                conn.execute(insert(probe), rows[start:start + 2000])
        return time.perf_counter() - t0
    finally:
        engine.dispose()


def pg_copy_baseline(url: str, rows: list[dict[str, Any]], *, cpu: bool = False) -> Any:
    """Seconds to ``COPY`` ``rows`` (table_name, record_id, data as jsonb) into a fresh plain PostgreSQL table with
    raw psycopg, in one transaction (JSON encoding included): the rawest way to get the same rows into the server's
    database. With ``cpu`` (Linux): (seconds, CPU seconds of this process and of its PostgreSQL backend)."""
    import json

    engine = create_engine(url)  # (only to open the psycopg connection with the URL's options: search_path)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        conn.execute("DROP TABLE IF EXISTS copy_probe")
        conn.execute("CREATE TABLE copy_probe (table_name varchar(64), record_id varchar(64), data jsonb, "
                     "PRIMARY KEY (table_name, record_id))")
        conn.commit()
        conn.autocommit = True
        conn.execute("CHECKPOINT")  # (as before each timed push: no earlier writes still going out)
        conn.autocommit = False
        backend = conn.info.backend_pid
        t0, c0, b0 = time.perf_counter(), time.process_time(), _proc_cpu(backend)
        encoded = [(r["table_name"], r["record_id"], json.dumps(r["data"], ensure_ascii=False)) for r in rows]
        with conn.cursor() as cur, cur.copy("COPY copy_probe (table_name, record_id, data) FROM STDIN") as copy:
            for row in encoded:  # (the JSON encoding counts: executemany's JSON type does it too)
                copy.write_row(row)
        conn.commit()
        if cpu:
            return time.perf_counter() - t0, time.process_time() - c0 + _proc_cpu(backend) - b0
        return time.perf_counter() - t0
    finally:
        raw.close()
        engine.dispose()


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def desk_bulk_baseline(data_dir: Path, rows: list[dict[str, Any]], *, cpu: bool = False) -> Any:
    """Seconds to Core-insert the same records (executemany per table) into an empty desk database at
    ``data_dir`` (foreign keys off: SQLite's default); with ``cpu``, (seconds, CPU seconds of this process)."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_table.setdefault(r["table_name"], []).append(r)
    fresh = open_data_dir(data_dir)
    fresh.close()
    plain = create_engine(f"sqlite:///{fresh.paths.database.as_posix()}")
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        with plain.begin() as conn:
            for table in synced_tables():
                codec = codec_for(table)
                if codec is None or table not in by_table:
                    continue
                values = []
                for r in by_table[table]:
                    decoded = codec.decode(r["data"])
                    values.append({f.column: decoded.get(f.attr) for f in codec.fields})
                for start in range(0, len(values), 2000):
                    conn.execute(insert(codec.model.__table__), values[start:start + 2000])
        if cpu:
            return time.perf_counter() - t0, time.process_time() - c0
        return time.perf_counter() - t0
    finally:
        plain.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default=os.environ.get("RECEPTION_TEST_PG_URL", DEFAULT_PG))
    ap.add_argument("--intakes", type=int, default=10_000)
    ap.add_argument("--desks", type=int, default=20)
    ap.add_argument("--per-desk", type=int, default=20)
    ap.add_argument("--idle-runs", type=int, default=30)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    os.environ["RECEPTION_TOKEN_STORE"] = "file"
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-sync-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("RECEPTION_SERVER_KEY_FILE", str(work / "server-data.key"))  # (server and bench share it)
    reference = make_reference(work / "reference")
    print(f"workdir {work}")

    with pg_schema_url(args.pg) as url:
        db = open_server_database(url)
        import_reference(db, reference)
        server = ServerProcess(url, work).start()
        try:
            a = new_desk(db, server.url, work / "desk-a", "一号窗口", seed=1)
            b = new_desk(db, server.url, work / "desk-b", "二号窗口", seed=2)
            t0 = time.perf_counter()
            bulk_intakes(a.ctx, args.intakes, 1)
            gen = time.perf_counter() - t0
            with a.ctx.db.read() as s:
                from reception.db.models import SyncOutbox

                queued = s.scalar(select(func.count()).select_from(SyncOutbox))
            print(f"generated {args.intakes} intakes in {gen:.1f} s ({queued} outbox rows)")
            heap.settle()  # (as the desk app does once its window is up)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("CHECKPOINT")  # (as before the baseline: no earlier writes still going out)

            assert server.proc is not None
            server_pid = server.proc.pid
            t0, d0, s0 = time.perf_counter(), time.process_time(), _proc_cpu(server_pid)
            report = sync_once(a.ctx, client_factory=_client)
            push_s = time.perf_counter() - t0
            push_cpu = (time.process_time() - d0, _proc_cpu(server_pid) - s0)
            assert report.ok, report.error
            print(f"push: {report.pushed} mutations in {push_s:.2f} s "
                  f"({report.pushed / push_s:,.0f}/s)  [{report.summary()}]; CPU desk {push_cpu[0]:.2f} s, "
                  f"server {push_cpu[1]:.2f} s")

            # baseline: the same rows, one plain executemany insert into PostgreSQL
            with db.read() as s:
                rows = [{"table_name": t, "record_id": r, "data": d} for t, r, d in s.execute(
                    select(Record.table_name, Record.record_id, Record.data).where(Record.origin != "admin"))]
            bulk_pg = pg_bulk_baseline(url, rows)
            copy_pg, copy_cpu = pg_copy_baseline(url, rows, cpu=True)
            print(f"baselines for the same {len(rows)} rows into PostgreSQL: raw psycopg COPY {copy_pg:.2f} s "
                  f"(CPU {copy_cpu:.2f} s with its backend), SQLAlchemy executemany {bulk_pg:.2f} s")
            print(f"-> push {push_s:.2f} s is {push_s / copy_pg:.1f}x COPY (goal <= 3x), "
                  f"{push_s / bulk_pg:.1f}x executemany")

            t0, d0, s0 = time.perf_counter(), time.process_time(), _proc_cpu(server_pid)
            report_b = sync_once(b.ctx, client_factory=_client)
            pull_s = time.perf_counter() - t0
            pull_cpu = (time.process_time() - d0, _proc_cpu(server_pid) - s0)
            assert report_b.ok, report_b.error
            print(f"pull: {report_b.pulled} records applied in {pull_s:.2f} s "
                  f"({report_b.pulled / pull_s:,.0f}/s); CPU desk {pull_cpu[0]:.2f} s, server {pull_cpu[1]:.2f} s")
            with b.ctx.db.read() as s:
                assert s.scalar(select(func.count()).select_from(Case)) == args.intakes

            bulk_sqlite, bulk_cpu = desk_bulk_baseline(work / "desk-bulk", rows, cpu=True)
            print(f"baseline: bulk insert of the same rows into a desk database in {bulk_sqlite:.2f} s "
                  f"(CPU {bulk_cpu:.2f} s) "
                  f"-> pull is {pull_s / bulk_sqlite:.1f}x the bulk insert into an empty desk database (goal <= 2x)")

            idle = []
            for _ in range(args.idle_runs):
                t0 = time.perf_counter()
                r = sync_once(a.ctx, client_factory=_client)
                idle.append((time.perf_counter() - t0) * 1000)
                assert r.ok and r.pushed == 0 and r.pulled == 0
            idle.sort()
            print(f"idle cycle: median {statistics.median(idle):.1f} ms, "
                  f"p95 {idle[int(len(idle) * 0.95) - 1]:.1f} ms over {len(idle)} runs (goal <= 50 ms)")
            a.close()
            b.close()
        finally:
            server.stop()
            db.dispose()

    with pg_schema_url(args.pg) as url:
        db = open_server_database(url)
        import_reference(db, reference)
        server = ServerProcess(url, work).start()
        try:
            desks = [new_desk(db, server.url, work / f"many-{i:02d}", f"窗口{i:02d}", seed=100 + i)
                     for i in range(args.desks)]
            for d in desks:
                bulk_intakes(d.ctx, args.per_desk, d.rng.randrange(10**6))
            errors: list[str] = []

            def run(d) -> None:  # type: ignore[no-untyped-def]
                rep = sync_once(d.ctx, client_factory=_client)
                if not rep.ok or rep.parked or rep.new_conflicts:
                    errors.append(f"{d.name}: {rep.error or rep.summary()}")

            for round_no in (1, 2):
                threads = [threading.Thread(target=run, args=(d,)) for d in desks]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                print(f"{args.desks} desks syncing at once, round {round_no}: {time.perf_counter() - t0:.2f} s, "
                      f"{len(errors)} errors")
            total = args.desks * args.per_desk
            counts = set()
            for d in desks:
                with d.ctx.db.read() as s:
                    counts.add(s.scalar(select(func.count()).select_from(Case)) or 0)
                d.close()
            print(f"every desk holds {sorted(counts)} cases (expected {total}); errors: {errors[:3] or 'none'}")
        finally:
            server.stop()
            db.dispose()
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
