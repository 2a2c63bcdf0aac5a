"""Benchmark: the handling unit's workbench at ``/unit`` on the server (issue 16's speed goals).

    /work/venv/bin/python bench/bench_unit_workbench.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
                                                       [--cases 5000] [--others 20000] [--repeat 20]

A fresh schema (PostgreSQL) or file (SQLite) gets the demo district's directory, then ``--cases`` open cases
assigned to 翠园街道 (a third signed for, a third accepted) and ``--others`` cases of other units, written as the
synced records a desk's push leaves (``petition_case`` plus its ``received`` / ``assigned`` / ... events). Timed,
in the server's own functions (server time, without HTTP): the unit's workbench list (``unit_work.workbench``,
every case folded and its clocks assessed), and one step (``unit_work.act`` 签收 on a different case each time).
Targets: list <= 50 ms p95, a step <= 30 ms p95.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select, text  # noqa: E402

from bench._util import Timing  # noqa: E402
from reception.db.base import CHINA_TZ  # noqa: E402
from reception.server.db import open_server_database  # noqa: E402
from reception.server.models import Counter, Record  # noqa: E402


def _schema_url(base: str) -> tuple[str, str]:
    schema = f"bench_unit_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _drop(base: str, schema: str) -> None:
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="", help="PostgreSQL base URL (default: a SQLite file)")
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--others", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    from reception.bootstrap import open_data_dir
    from reception.demo import seed_reference
    from reception.server import unit_accounts, unit_work
    from reception.server.service import import_reference

    tmp = Path(tempfile.mkdtemp(prefix="bench-unit-"))
    schema = ""
    url = f"sqlite:///{(tmp / 'server.sqlite3').as_posix()}"
    if args.db:
        url, schema = _schema_url(args.db)
    try:
        ctx = open_data_dir(tmp / "ref")
        with ctx.db.write() as s:
            seed_reference(s)
        ctx.close()
        db = open_server_database(url, tmp)
        import_reference(db, tmp / "ref")
        with db.read() as s:
            units = {d["code"]: rid for rid, d in s.execute(select(Record.record_id, Record.data)
                                                            .where(Record.table_name == "unit"))}
        mine = units["CY"]
        others = [u for c, u in units.items() if c != "CY"]
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        with db.session() as s:
            counter = s.scalar(select(Counter).where(Counter.name == "seq").with_for_update())
            assert counter is not None
            seq = counter.value
            rows = []
            for i in range(args.cases + args.others):
                unit = mine if i < args.cases else others[i % len(others)]
                cid = str(uuid.uuid4())
                at = now - timedelta(days=i % 50, hours=1)
                day = at.astimezone(CHINA_TZ).date()
                stage = i % 3
                status = ("assigned", "signed", "accepted")[stage]
                seq += 1
                rows.append(Record(table_name="petition_case", record_id=cid, version=1, seq=seq, deleted=False,
                                   natural_key=f"D01-{day:%Y%m%d}-{i:05d}", origin="bench", owner="bench",
                                   data={"id": cid, "case_no": f"D01-{day:%Y%m%d}-{i:05d}", "status": status,
                                         "unit_id": unit, "content_class": "claim", "registered_on": day.isoformat(),
                                         "request": "要求解决小区停车位问题", "routing_action": "assign"}))
                kinds = ["received", "assigned", "signed", "accepted"][: 2 + stage]
                for n, kind in enumerate(kinds):
                    seq += 1
                    eid = str(uuid.uuid4())
                    data: dict[str, object] = {"received_on": day.isoformat()} if kind == "signed" else {}
                    rows.append(Record(table_name="case_event", record_id=eid, version=1, seq=seq, deleted=False,
                                       origin="bench", owner="bench", data={
                                           "id": eid, "case_id": cid, "kind": kind,
                                           "occurred_at": (at + timedelta(minutes=n)).isoformat(),
                                           "occurred_on": day.isoformat(), "actor_id": None,
                                           "unit_id": unit if kind != "received" else None, "note": "",
                                           "data": data}))
            s.add_all(rows)
            counter.value = seq
        if db.dialect == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE record")
                conn.commit()
        print(f"{args.cases} cases of the unit, {args.others} of others, written in "
              f"{time.perf_counter() - t0:.1f} s ({db.dialect})")
        unit_accounts.add_unit_user(db, "CY", "bench_cy", "测试", "unit_staff", "Bench2026x")
        _cookie, session = unit_accounts.sign_in(db, "bench_cy", "Bench2026x")
        account = session.account
        today = datetime.now(CHINA_TZ).date()
        t = time.perf_counter()
        count = len(unit_work.workbench(db, account, today))
        cold = (time.perf_counter() - t) * 1000
        print(f"first list of the day (every case found by ix_record_case_unit and folded): {cold:.0f} ms")
        listing = Timing("workbench list (5000 open cases)", [], target_ms=50)
        for _ in range(args.repeat):
            t = time.perf_counter()
            count = len(unit_work.workbench(db, account, today))
            listing.samples_ms.append((time.perf_counter() - t) * 1000)
        to_sign = [r.case_id for r in unit_work.workbench(db, account, today) if r.status == "assigned"]
        step = Timing("one step (签收)", [], target_ms=30)
        for case_id in to_sign[: args.repeat]:
            t = time.perf_counter()
            unit_work.act(db, account, case_id, "sign_for", {}, form_id=uuid.uuid4().hex, now=datetime.now(UTC))
            step.samples_ms.append((time.perf_counter() - t) * 1000)
        for timing in (listing, step):
            print(f"{timing.label}: median {timing.median:.1f} ms, p95 {timing.p95:.1f} ms, "
                  f"target {timing.target_ms:.0f} ms: {timing.verdict}")
        print(f"(the list showed {count} cases)")
        db.dispose()
    finally:
        if schema:
            _drop(args.db, schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
