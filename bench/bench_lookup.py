"""Time the history check and the case search on a generated data directory.

    python bench/bench_lookup.py --data-dir DIR [--probes 200] [--warmup 20] [--seed 7] [--explain] [--json FILE]

What is timed (wall clock per call, after warm-up calls; the OS page cache is warm, as on a desk in use):

* ``find_history`` in one read session per call (``with ctx.db.read() as s: find_history(s, ...)``) — the
  history panel's query path without the audit write — by ID number, by phone, by name;
* ``lookup_history(ctx, ..., user_id=...)`` — the same plus the audit entries (a write transaction) the app
  records when a match is shown;
* ``search_cases(ctx, text)`` — the case list's search box — by full name, by surname (one character, a prefix
  search), by case number, by case-number prefix, by ID number and by phone.

Probes come from the data: random existing petitioners (so common names are probed as often as they occur),
plus ~10 % misses (valid IDs, phones and names that are not in the database), and two worst cases: the most
frequent petitioners (most visits) and the most common names. ``--explain`` prints EXPLAIN QUERY PLAN for every
distinct statement the lookups ran, and the statements that took the most time.

Note: the ``lookup_history`` rows add audit entries to the data directory (as the app does).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import (
    StatementCounter,
    Timing,
    code_version,
    file_mb,
    install_directory_preload,
    load_note,
    print_table,
    time_calls,
)  # noqa: E402
from synth import ROOT, _resident_id, make_name  # noqa: E402

assert str(ROOT) in sys.path
from sqlalchemy import Connection, text  # noqa: E402

from reception.bootstrap import open_data_dir  # noqa: E402
from reception.domain.enums import Gender  # noqa: E402
from reception.intake.cases import search_cases  # noqa: E402
from reception.intake.history import find_history, lookup_history  # noqa: E402
from reception.security.crypto import blind_index, decrypt  # noqa: E402

TABLES = ("petitioner", "petition_case", "visit", "visit_person", "case_event", "audit_entry", "receipt_print",
          "case_number_counter", "locality", "category", "unit", "routing_rule")
TARGET_KEY = 10.0
TARGET_NAME = 100.0


def _sample_rows(conn: Connection, sql: str, n: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """``n`` random rows of ``sql`` (a query over ``petitioner`` aliased ``p``) chosen by rowid, fast on big tables."""
    top = conn.execute(text("SELECT max(rowid) FROM petitioner")).scalar() or 0
    out: list[tuple[Any, ...]] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        row = conn.execute(text(sql + " AND p.rowid = :r"), {"r": rng.randint(1, top)}).first()
        if row is not None:
            out.append(tuple(row))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--probes", type=int, default=200, help="probes per operation (default 200)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print query plans and the costliest statements")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--what-if-directory-cache", action="store_true",
                        help="experiment: preload the directory into every session (simulates a directory cache in "
                             "the core; see _util.install_directory_preload)")
    args = parser.parse_args(argv)
    if args.what_if_directory_cache:
        install_directory_preload()

    root = Path(args.data_dir)
    t0 = time.perf_counter()
    ctx = open_data_dir(root)
    opened_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(args.seed)
    n_hit = max(1, round(args.probes * 0.9))
    n_miss = args.probes - n_hit

    with ctx.db.engine.connect() as conn:
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0 for t in TABLES}
        has_stat = bool(conn.execute(text(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar())
        ids = _sample_rows(conn, "SELECT p.id_number FROM petitioner p WHERE p.id_type = 'resident_id'", n_hit, rng)
        phones = _sample_rows(conn, "SELECT p.phone FROM petitioner p WHERE p.phone IS NOT NULL", n_hit, rng)
        names = _sample_rows(conn, "SELECT p.name FROM petitioner p WHERE 1", n_hit, rng)
        case_top = conn.execute(text("SELECT max(rowid) FROM petition_case")).scalar() or 0
        case_nos = [conn.execute(text("SELECT case_no FROM petition_case WHERE rowid = :r"),
                                 {"r": rng.randint(1, case_top)}).scalar() for _ in range(n_hit)]
        frequent = conn.execute(text(
            "SELECT p.id_number, p.phone, p.name, count(*) AS n, p.id FROM visit_person vp "
            "JOIN petitioner p ON p.id = vp.petitioner_id WHERE p.id_type = 'resident_id' "
            "GROUP BY vp.petitioner_id ORDER BY n DESC LIMIT 20")).all()
        common_names = conn.execute(text(
            "SELECT name, count(*) AS n FROM petitioner GROUP BY name ORDER BY n DESC LIMIT 20")).all()
        visits_per_person = conn.execute(text(
            "SELECT max(n), avg(n) FROM (SELECT count(*) AS n FROM visit_person GROUP BY petitioner_id)")).one()

        def absent(sql: str, value: str) -> bool:
            return conn.execute(text(sql), {"v": value}).first() is None

        miss_ids: list[str] = []
        while len(miss_ids) < n_miss:
            number, _ = _resident_id(rng, rng.choice((Gender.MALE, Gender.FEMALE)))
            if absent("SELECT 1 FROM petitioner WHERE id_number_bidx = :v", blind_index(number, "id_number") or ""):
                miss_ids.append(number)
        miss_phones: list[str] = []
        while len(miss_phones) < n_miss:
            number = "1" + rng.choice("3578") + f"{rng.randrange(10**9):09d}"
            if absent("SELECT 1 FROM petitioner WHERE phone_bidx = :v", blind_index(number, "phone") or ""):
                miss_phones.append(number)
        miss_names: list[str] = []
        while len(miss_names) < n_miss:
            name = rng.choice("龚邝闵") + rng.choice("骞翀淼") + rng.choice("煜珩彧")
            if absent("SELECT 1 FROM petitioner WHERE name = :v", name):
                miss_names.append(name)
            elif len(miss_names) < n_miss:
                miss_names.append(make_name(rng, Gender.MALE) + "琰")

    # ID numbers and phones are stored encrypted (schema 0007): the probes are what an officer would type
    id_probes = [decrypt(r[0], "petitioner.id_number") for r in ids] + miss_ids
    phone_probes = [decrypt(r[0], "petitioner.phone") for r in phones] + miss_phones
    name_probes = [r[0] for r in names] + miss_names
    for probes in (id_probes, phone_probes, name_probes):
        rng.shuffle(probes)
    freq_ids = [decrypt(r[0], "petitioner.id_number") for r in frequent]
    freq_names = [r[0] for r in common_names]
    surnames = [n[:1] for n in name_probes]
    case_probes = [c for c in case_nos if c]
    prefix_probes = [c[: len("JD01-202611")] for c in case_probes]

    def history(**kw: str):  # type: ignore[no-untyped-def]
        with ctx.db.read() as session:
            return find_history(session, **kw)

    with ctx.db.read() as session:
        from reception.db.settings import load_desk_settings

        settings = load_desk_settings(session)

    counter = StatementCounter()
    counter.attach(ctx.db.engine)
    counter.record = args.explain
    persons = lambda r: len(r.persons)  # noqa: E731
    timings: list[Timing] = []
    w = args.warmup
    print(f"data dir {root}: database {file_mb(ctx.paths.database):,.1f} MB, opened in {opened_ms:.0f} ms; "
          f"sqlite_stat1 {'present' if has_stat else 'absent (no ANALYZE)'}", flush=True)
    print(load_note() + " at the start", flush=True)
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)
    print(f"visits per petitioner: max {visits_per_person[0]}, mean {visits_per_person[1]:.2f}; most common "
          f"names: " + ", ".join(f"{n}×{c}" for n, c in common_names[:5]), flush=True)
    print(flush=True)

    def run(label: str, probes: Sequence[Any], call: Callable[[Any], Any], target: float | None,
            **kw: Any) -> None:
        t = time_calls(label, probes, call, warmup=w, target_ms=target, counter=counter, **kw)
        timings.append(t)
        print(f"  {label}: median {t.median:.2f} ms, p95 {t.p95:.2f} ms, max {t.max:.2f} ms", file=sys.stderr,
              flush=True)

    run("history (find_history) by ID number", id_probes, lambda v: history(id_number=v), TARGET_KEY, hit=persons)
    run("history (find_history) by phone", phone_probes, lambda v: history(phone=v), TARGET_KEY, hit=persons)
    run("history (find_history) by name", name_probes, lambda v: history(name=v), TARGET_NAME, hit=persons)
    run("history by ID: 20 most frequent petitioners", freq_ids, lambda v: history(id_number=v), TARGET_KEY,
        hit=persons, note=f"{frequent[0][3] if frequent else 0}..{frequent[-1][3] if frequent else 0} visits")
    run("history by name: 20 most common names", freq_names, lambda v: history(name=v), TARGET_NAME,
        hit=persons, note=f"{common_names[0][1] if common_names else 0}..{common_names[-1][1] if common_names else 0}"
                          " people each")
    run("history: ID + phone + name typed together", list(zip(id_probes, phone_probes, name_probes, strict=True)),
        lambda v: history(id_number=v[0], phone=v[1], name=v[2]), TARGET_NAME, hit=persons)
    run("lookup_history by ID number, with audit write", id_probes,
        lambda v: lookup_history(ctx, id_number=v, user_id=settings.officer_id, desk_id=settings.desk_id),
        TARGET_KEY, hit=persons)
    run("lookup_history by phone, with audit write", phone_probes,
        lambda v: lookup_history(ctx, phone=v, user_id=settings.officer_id, desk_id=settings.desk_id),
        TARGET_KEY, hit=persons)
    run("lookup_history by name, with audit write", name_probes,
        lambda v: lookup_history(ctx, name=v, user_id=settings.officer_id, desk_id=settings.desk_id),
        TARGET_NAME, hit=persons)
    run("search_cases by full name", name_probes, lambda v: search_cases(ctx, v), TARGET_NAME, hit=len)
    run("search_cases by surname (1 character, prefix)", surnames[: max(20, args.probes // 4)],
        lambda v: search_cases(ctx, v), TARGET_NAME, hit=len)
    run("search_cases by case number", case_probes, lambda v: search_cases(ctx, v), TARGET_KEY, hit=len)
    run("search_cases by case-number prefix (desk + month)", prefix_probes[: max(20, args.probes // 4)],
        lambda v: search_cases(ctx, v), TARGET_NAME, hit=len)
    run("search_cases by ID number", id_probes, lambda v: search_cases(ctx, v), TARGET_KEY, hit=len)
    run("search_cases by phone", phone_probes, lambda v: search_cases(ctx, v), TARGET_KEY, hit=len)
    if args.explain and frequent:
        # What a frequent petitioner's history costs: summarising every case of theirs (what find_history does
        # before it keeps the newest MAX_CASES_PER_PERSON) versus only the 20 newest (a LIMIT in SQL).
        from sqlalchemy import func, select

        from reception.db.models import Visit, VisitPerson
        from reception.intake.history import summarise_cases

        def cases_of(pid: str, limit: int | None) -> list[str]:
            with ctx.db.read() as session:
                q = (select(Visit.case_id).join(VisitPerson, VisitPerson.visit_id == Visit.id)
                     .where(VisitPerson.petitioner_id == pid).group_by(Visit.case_id)
                     .order_by(func.max(Visit.visited_on).desc()))
                return list(session.scalars(q.limit(limit) if limit else q))

        def summarise(ids: list[str]) -> int:
            with ctx.db.read() as session:
                return len(summarise_cases(session, ids))

        all_ids = [cases_of(r[4], None) for r in frequent]
        top_ids = [cases_of(r[4], 20) for r in frequent]
        n_cases = sorted(len(c) for c in all_ids)
        run("what-if: summarise all cases of a frequent petitioner", all_ids, summarise, None, hit=bool,
            note=f"{n_cases[0]}..{n_cases[-1]} cases")
        run("what-if: summarise only their 20 newest cases", top_ids, summarise, None, hit=bool)

    print()
    if args.what_if_directory_cache:
        print("WHAT-IF RUN: directory rows preloaded into every session (simulates a directory cache in the core)")
    print(f"Lookups on {counts['visit']:,} visits / {counts['petition_case']:,} cases / "
          f"{counts['petitioner']:,} petitioners — {date.today()} — times in ms (wall clock); "
          "stmts = SQL statements per call, sql ms = time inside the SQLite driver per call; "
          "verdict on p95 (median when only the median meets the target); cpu med = median process CPU per call")
    print(f"{load_note()} at the end of the run; {code_version()}")
    table = print_table(timings)

    if args.explain:
        counter.detach(ctx.db.engine)
        print("\nWhere the time goes: per operation, the statements with the most driver time, and their plans "
              "(EXPLAIN QUERY PLAN)")
        with ctx.db.engine.connect() as conn:
            for t in timings:
                print(f"\n== {t.label}: {t.statements:.1f} statements and {t.sql_ms:.2f} ms in SQLite per call, "
                      f"of {t.median:.2f} ms median wall ({t.cpu_median:.2f} ms CPU)")
                for sql, calls, total in t.top_sql:
                    flat = " ".join(sql.split())
                    print(f"   [{1000 * total / max(t.probes, 1):7.3f} ms/lookup, {calls / max(t.probes, 1):4.1f}x] "
                          f"{flat[:300]}{' ...' if len(flat) > 300 else ''}")
                    try:
                        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple([""] * sql.count("?"))).all()
                        for row in plan:
                            print(f"         plan: {row[-1]}")
                    except Exception as exc:  # statements with special parameters
                        print(f"         (no plan: {exc.__class__.__name__})")

    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": date.today().isoformat(),
            "data_dir": str(root),
            "database_mb": round(file_mb(ctx.paths.database), 1),
            "rows": counts,
            "timings": [{"label": t.label, "probes": t.probes, "hits": t.hits, "median_ms": round(t.median, 3),
                         "p95_ms": round(t.p95, 3), "max_ms": round(t.max, 3), "target_ms": t.target_ms,
                         "statements": round(t.statements, 1), "sql_ms": round(t.sql_ms, 3),
                         "verdict": t.verdict} for t in timings],
            "table": table,
            "load": load_note(), "code": code_version(),
        }, ensure_ascii=False, indent=1), encoding="utf-8")
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
