"""Time the case search box (issue 14) on a generated data directory, through the same service the case list calls.

    python bench/bench_search.py --data-dir DIR [--probes 200] [--warmup 20] [--seed 7] [--saves 40] [--readdress]

Generate the directory with ``generate_fast.py`` (IDs and phones encrypted, blind indexes and search indexes
filled, statistics taken), with the same ``RECEPTION_KEY_DIR``. Wall clock per call after warm-up (the OS page cache
warm, as on a desk in use), median and p95, for each kind of query: case number, its date-counter part, query code,
the receipt's QR (both forms), full ID and phone, ID last 4 and 6, phone last 4 and 7, 2 characters from a name
(the middle or the end), a surname alone, pinyin initials, part of an address (a community's name, 2 characters of
it, the community and the building); probes are drawn from the data (random petitioners and cases) plus ~10 %
misses. The intake history panel's search box (``find_history_by_text``) by a phone's tail, part of a name, an
address and a case number. Also: the history check by ID and phone (``find_history``, target p95 ≤ 5 ms), what the
search indexes add to one save (the ORM events' work, timed on real intakes: ``--saves`` intakes with and without
them), and their share of the database file (``dbstat``).
Targets at 1,000,000 visits: every kind ≤ 20 ms median and ≤ 40 ms p95.

``--readdress`` (on a copy: it rewrites the file) gives every petitioner a home address in one of the district's
villages or communities, as ``generate_fast.py`` now writes them (directories generated before it gave everyone the
same address, which measures nothing), before the data directory is opened; the open then rebuilds the indexes.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import Timing, code_version, file_mb, load_note, print_table, time_calls  # noqa: E402
from synth import ROOT  # noqa: E402

assert str(ROOT) in sys.path
from sqlalchemy import select, text  # noqa: E402

from reception.bootstrap import AppContext, open_data_dir  # noqa: E402
from reception.db.models import Setting  # noqa: E402
from reception.intake.history import find_history  # noqa: E402
from reception.search import tokens  # noqa: E402
from reception.search.service import find_history_by_text, search  # noqa: E402
from reception.security.crypto import decrypt  # noqa: E402

TARGET_SEARCH = 40.0
TARGET_HISTORY = 5.0


def probes(ctx: AppContext, rng: random.Random, n: int) -> dict[str, list[str]]:
    with ctx.db.read() as s:
        conn = s.connection()
        (max_rowid,) = conn.execute(text("SELECT max(rowid) FROM petitioner")).one()
        people: list[tuple[str, str, str]] = []
        while len(people) < n:
            row = conn.execute(text("SELECT name, id_number, phone FROM petitioner WHERE rowid >= :r LIMIT 1"),
                               {"r": rng.randint(1, max_rowid)}).first()
            if row and row[1] and row[2]:
                people.append((row[0], decrypt(row[1], "petitioner.id_number"), decrypt(row[2], "petitioner.phone")))
        (max_case,) = conn.execute(text("SELECT max(rowid) FROM petition_case")).one()
        cases: list[tuple[str, str]] = []
        while len(cases) < n:
            row = conn.execute(text("SELECT case_no, query_code FROM petition_case WHERE rowid >= :r LIMIT 1"),
                               {"r": rng.randint(1, max_case)}).first()
            if row:
                cases.append((row[0], row[1]))
        villages = sorted({r[0] for r in conn.execute(text("SELECT name FROM locality WHERE level = 'village'"))},
                          key=len, reverse=True)
        addresses: list[str] = []
        while len(addresses) < n:
            row = conn.execute(text("SELECT address FROM petitioner WHERE rowid >= :r LIMIT 1"),
                               {"r": rng.randint(1, max_rowid)}).first()
            if row and row[0]:
                addresses.append(row[0])
    miss = max(1, n // 10)
    digits = lambda k: "".join(rng.choice("0123456789") for _ in range(k))  # noqa: E731

    def mix(found: list[str], misses: list[str]) -> list[str]:
        out = found[: n - miss] + misses[:miss]
        rng.shuffle(out)
        return out

    two = [p[0][1:3] if len(p[0]) >= 3 else p[0][-2:] for p in people]

    def village(address: str) -> str:
        return next((v for v in villages if v in address), address[3:7])

    def building(address: str) -> str:
        v = village(address)
        m = re.match(r"\d+[栋组]", address[address.index(v) + len(v):]) if v in address else None
        return v + (m.group(0) if m else "")

    return {
        "case number": mix([c[0] for c in cases], [f"JD01-20200101-{digits(4)}" for _ in range(miss)]),
        "case number without desk (date-counter)": [c[0].split("-", 1)[1] for c in cases],
        "query code": mix([c[1] for c in cases], ["ZZZZ2345" for _ in range(miss)]),
        "receipt QR XF:<no>:<code>": [f"XF:{c[0]}:{c[1]}" for c in cases],
        "receipt QR web address": [f"https://xf.example.gov.cn/q/{c[0]}?c={c[1]}" for c in cases],
        "ID number in full": mix([p[1] for p in people], ["110101199001011237"] * miss),
        "phone in full": mix([p[2] for p in people], [f"139{digits(8)}" for _ in range(miss)]),
        "ID last 4": [p[1][-4:] for p in people],
        "ID last 6": [p[1][-6:] for p in people],
        "phone last 4": [p[2][-4:] for p in people],
        "phone last 7": [p[2][-7:] for p in people],
        "name: 2 characters (middle/end)": two,
        "name in full": [p[0] for p in people],
        "surname alone (1 character, prefix)": [p[0][0] for p in people],
        "pinyin initials": [tokens.initials(p[0]) or "wxy" for p in people],
        "address: community name": mix([village(a) for a in addresses], ["幸福里社区"] * miss),
        "address: 2 characters of the community": [village(a)[:2] for a in addresses],
        "address: community + building": [building(a) for a in addresses],
        "_history_text phone last 4": [p[2][-4:] for p in people],
        "_history_text name 2 characters": two,
        "_history_text community + building": [building(a) for a in addresses],
        "_history_text case number": [c[0] for c in cases],
        "_history_id": [p[1] for p in people],
        "_history_phone": [p[2] for p in people],
    }


def save_cost(ctx: AppContext, saves: int) -> tuple[float, float]:
    """Median ms of one intake's save with and without the search indexes' ORM events."""
    from sqlalchemy import event
    from synth import Identities, Reference, new_case_form, reference_from_db

    from reception.db.models import Petitioner
    from reception.db.settings import load_desk_settings
    from reception.intake.service import register_intake
    from reception.search import index

    with ctx.db.read() as s:
        settings = load_desk_settings(s)
        ref = Reference.load(s, reference_from_db(s))
    rng = random.Random(11)
    ids = Identities(rng, ref.leaves)

    def one() -> float:
        with ctx.db.read() as s:
            form = new_case_form(rng, s, ref, ids, ids.person(tickets=1), fresh_typing=True, with_pid=False)
        t0 = time.perf_counter()
        register_intake(ctx, form, desk_id=settings.desk_id, officer_id=settings.officer_id, render_receipt=False)
        return (time.perf_counter() - t0) * 1000

    hooks = [("after_insert", index._on_insert), ("after_update", index._on_update)]
    for _ in range(3):
        one()
    with_idx: list[float] = []
    without: list[float] = []
    for _ in range(saves):  # alternated, so the page cache and the load of the machine weigh on both alike
        with_idx.append(one())
        for name, fn in hooks:
            event.remove(Petitioner, name, fn)
        try:
            without.append(one())
        finally:
            for name, fn in hooks:
                event.listen(Petitioner, name, fn)
    return statistics.median(with_idx), statistics.median(without)


def readdress(db: Path, rng: random.Random) -> None:
    """Every petitioner a home address in one of the district's villages or communities (``generate_fast``'s)."""
    conn = sqlite3.connect(db)
    try:
        prefixes = [f"{d}{t}{v}" for d, t, v in conn.execute(
            "SELECT d.name, t.name, v.name FROM locality v JOIN locality t ON t.id = v.parent_id "
            "JOIN locality d ON d.id = t.parent_id WHERE v.level = 'village'")]
        assert prefixes, "no villages in the directory"

        def address(prefix: str) -> str:
            if prefix.endswith("村"):
                return f"{prefix}{rng.randint(1, 18)}组{rng.randint(1, 120)}号"
            return (f"{prefix}{rng.randint(1, 60)}栋{rng.randint(1, 6)}单元"
                    f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")

        rowids = [r[0] for r in conn.execute("SELECT rowid FROM petitioner")]
        conn.executemany("UPDATE petitioner SET address = ? WHERE rowid = ?",
                         ((address(rng.choice(prefixes)), r) for r in rowids))
        conn.execute("DELETE FROM setting WHERE key = 'search_index'")  # the open rebuilds the indexes
        conn.commit()
        print(f"readdressed {len(rowids):,} petitioners over {len(prefixes)} villages and communities")
    finally:
        conn.close()


def sizes(db: Path) -> dict[str, float]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    finally:
        conn.close()
    total = sum(rows.values())
    new = {k: v for k, v in rows.items() if k.startswith(("petitioner_token", "petitioner_gram",
                                                           "sqlite_autoindex_petitioner_t", "ix_petition_case_query"))}
    return {"total_mb": total / 1e6, "search_mb": sum(new.values()) / 1e6,
            "share": sum(new.values()) / (total - sum(new.values()))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--saves", type=int, default=0, help="also time this many intakes with and without the indexes "
                    "(they stay in the data directory)")
    ap.add_argument("--readdress", action="store_true", help="rewrite every petitioner's address first (a copy only)")
    args = ap.parse_args(argv)
    if args.readdress:
        readdress(args.data_dir / "reception.sqlite3", random.Random(args.seed))
    t0 = time.perf_counter()
    ctx = open_data_dir(args.data_dir)
    print(f"opened in {time.perf_counter() - t0:.1f} s (an index rebuild included when the index version moved)")
    try:
        with ctx.db.read() as s:
            (visits,) = s.execute(text("SELECT count(*) FROM visit")).one()
            built = s.scalar(select(Setting.value).where(Setting.key == "search_index"))
        print(f"{visits:,} visits, {file_mb(ctx.paths.database):,.0f} MB; search index {built}; {code_version()}; "
              f"{load_note()}")
        rng = random.Random(args.seed)
        sample = probes(ctx, rng, args.probes)
        timings: list[Timing] = []

        def hit(page: Any) -> bool:
            return bool(page.total)

        for label, values in sample.items():
            if label.startswith("_"):
                continue
            timings.append(time_calls(f"search: {label}", values, lambda v: search(ctx, v), warmup=args.warmup,
                                      target_ms=TARGET_SEARCH, hit=hit))

        def history(field: str) -> Any:
            def call(v: str) -> Any:
                with ctx.db.read() as s:
                    return find_history(s, **{field: v})
            return call

        def history_text(v: str) -> Any:
            with ctx.db.read() as s:
                return find_history_by_text(s, v)

        for label, values in sample.items():
            if label.startswith("_history_text "):
                timings.append(time_calls(f"history box: {label.split(' ', 1)[1]}", values, history_text,
                                          warmup=args.warmup, target_ms=TARGET_SEARCH, hit=lambda r: not r.empty))
        timings.append(time_calls("find_history by ID number", sample["_history_id"], history("id_number"),
                                  warmup=args.warmup, target_ms=TARGET_HISTORY, hit=lambda r: not r.empty))
        timings.append(time_calls("find_history by phone", sample["_history_phone"], history("phone"),
                                  warmup=args.warmup, target_ms=TARGET_HISTORY, hit=lambda r: not r.empty))
        print_table(timings, show_sql=False)
        if args.saves:
            with_idx, without = save_cost(ctx, args.saves)
            print(f"one save (register_intake, no receipt), median of {args.saves}: {with_idx:.2f} ms with the "
                  f"search indexes, {without:.2f} ms without: +{with_idx - without:.2f} ms")
        t0 = time.perf_counter()
        for _ in range(200):
            tokens.rows("x" * 36, "欧阳秀珍", "430502198001011234", "13907393912",
                        "示范区城南街道紫霞社区8栋1单元302室")
        print(f"index rows of one petitioner (8 HMACs of tails, 11 of address pairs, n-grams, pinyin): "
              f"{(time.perf_counter() - t0) * 5:.3f} ms")
    finally:
        ctx.close()
    try:
        sz = sizes(ctx.paths.database)
        print(f"database {sz['total_mb']:,.0f} MB; search indexes {sz['search_mb']:,.1f} MB "
              f"= +{sz['share'] * 100:.1f} % of the rest")
    except sqlite3.OperationalError:
        print("(this SQLite has no dbstat: sizes not measured)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
