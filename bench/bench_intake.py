"""Time one full save at the desk: ``register_intake`` (write transaction + receipt render + archive), and the
receipt render on its own, compared with a bare ReportLab page of the same text.

    python bench/bench_intake.py                      # a fresh, small data directory in a temporary folder
    python bench/bench_intake.py --data-dir DIR       # on (a copy of) a generated data directory
    options: --saves 100 --renders 50 --warmup 5 --in-place --json FILE

What is timed (wall clock per call, after warm-up; the first call of the process is reported separately because
it imports ReportLab and registers the font):

* ``register_intake`` of a new petitioner's first visit (new case) — the whole 保存 path: validation, petitioner,
  case number, routing, events and audit in one write transaction, then ``archive_receipt``: build the receipt
  data, render the PDF (A4, the default layout), write ``receipts/<case no>.pdf`` atomically, record the print;
* ``register_intake`` of a repeat visit joined to an existing case (``join_case_id``);
* the same two parts separately: the write transaction alone (``render_receipt=False``) and ``archive_receipt``;
* ``render_receipt`` alone for the A4, A5 and 80 mm thermal layouts, on receipt data built from a saved case;
* a bare ReportLab page (canvas, the same embedded font, the same lines of text, no tables/QR/wrapping) — the
  floor any receipt renderer on ReportLab can reach; and the PDF sizes (target ≤ 100 KB).

With ``--data-dir`` the database is first copied to a temporary folder (unless ``--in-place``), so the generated
data set is not changed by the saves.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
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
)  # noqa: E402
from synth import ROOT, Identities, Reference, new_case_form, reference_from_db, repeat_form  # noqa: E402

assert str(ROOT) in sys.path

from reception.bootstrap import AppContext, open_data_dir  # noqa: E402
from reception.db.models import Case  # noqa: E402
from reception.db.settings import load_desk_settings  # noqa: E402
from reception.demo import seed_reference  # noqa: E402
from reception.domain.enums import ReceiptLayout  # noqa: E402
from reception.intake.service import IntakeInput, register_intake  # noqa: E402

TARGET_SAVE = 60.0
TARGET_PDF_KB = 100.0


def _copy_data_dir(src: Path, dst: Path) -> None:
    """Copy the database with SQLite's online backup (consistent even with a WAL), not the receipts."""
    dst.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(src / "reception.sqlite3")
    target = sqlite3.connect(dst / "reception.sqlite3")
    with target:
        source.backup(target, pages=65536)
    source.close()
    target.close()


def bare_page(lines: list[str], font: str) -> bytes:
    """The receipt's text on one A4 page with the plain canvas API (no platypus, tables, wrapping or QR)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    y = A4[1] - 60
    canvas.setFont(font, 16)
    canvas.drawCentredString(A4[0] / 2, y, lines[0])
    canvas.setFont(font, 10)
    for line in lines[1:]:
        y -= 15
        while len(line) > 48:
            canvas.drawString(50, y, line[:48])
            line = line[48:]
            y -= 15
        canvas.drawString(50, y, line)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def receipt_lines(data) -> list[str]:  # type: ignore[no-untyped-def]
    lines = ["登记回执", f"案件编号：{data.case_no}　查询码：{data.query_code}",
             f"登记时间：{data.registered_at:%Y年%m月%d日 %H:%M}",
             f"登记单位：{data.registering_unit}　{data.desk_name}",
             f"信访形式：{data.channel_label}　内容分类：{data.content_class_label}　来访人数：{data.headcount}",
             f"问题类别：{data.category_label}", f"问题属地：{data.locality_label}"]
    for p in data.persons:
        lines.append(f"信访人：{p.name}　{p.id_type_label}：{p.id_masked}　电话：{p.phone_masked}")
    lines += [f"诉求：{data.request_summary}", f"处理方式：{data.routing_label}　{data.routing_unit}"]
    for d in data.deadlines:
        lines.append(f"{d.label}：{d.due or d.note}（{d.basis}）")
    if data.notice:
        lines.append(data.notice)
    lines += [data.query_hint, f"登记人：{data.officer_name}"]
    return lines


def timed(label: str, fn: Callable[[], Any], n: int, *, warmup: int, target: float | None = None,
          counter: StatementCounter | None = None, note: str = "") -> tuple[Timing, list[Any]]:
    results = [fn() for _ in range(warmup)]
    samples: list[float] = []
    cpu: list[float] = []
    if counter:
        counter.reset()
    for _ in range(n):
        c0 = time.process_time()
        t0 = time.perf_counter()
        results.append(fn())
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    t = Timing(label, samples, target, hits=n, probes=n, note=note, cpu_ms=cpu)
    if counter:
        t.statements = counter.count / n
        t.sql_ms = counter.seconds * 1000 / n
    print(f"  {label}: median {t.median:.2f} ms, p95 {t.p95:.2f} ms", file=sys.stderr, flush=True)
    return t, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="a generated data directory (default: a fresh one in a temp folder)")
    parser.add_argument("--in-place", action="store_true", help="save into --data-dir itself instead of a copy")
    parser.add_argument("--saves", type=int, default=100, help="timed saves of each kind (default 100)")
    parser.add_argument("--renders", type=int, default=50, help="timed renders per layout (default 50)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--profile", help="cProfile the timed new-case saves into this file (pstats format; the "
                                          "timings of that row then include the profiler's overhead)")
    parser.add_argument("--what-if-directory-cache", action="store_true",
                        help="experiment: preload the directory (localities, categories, units, rules, desks, users) "
                             "into every session, as an in-memory directory cache in the core would; measures the "
                             "gain of that core change without changing the core")
    args = parser.parse_args(argv)
    if args.what_if_directory_cache:
        install_directory_preload()

    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    try:
        if args.data_dir and not args.in_place:
            t0 = time.perf_counter()
            _copy_data_dir(Path(args.data_dir), tmp / "data")
            print(f"copied {args.data_dir} to {tmp / 'data'} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            root = tmp / "data"
        else:
            root = Path(args.data_dir) if args.data_dir else tmp / "data"
        return _run(args, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, root: Path) -> int:
    fresh = not args.data_dir
    ctx: AppContext = open_data_dir(root)
    with ctx.db.read() as session:
        empty = session.query(Case).count() == 0 and not load_desk_settings(session).desk_id
    if empty:
        with ctx.db.write() as session:
            seed_reference(session)
    with ctx.db.read() as session:
        ref = Reference.load(session, reference_from_db(session))
        settings = load_desk_settings(session)
        n_cases = session.query(Case).count()
    rng = random.Random(args.seed)
    ids = Identities(rng, ref.leaves)
    if not fresh:  # avoid reusing a document number that is already in the data set (decrypted: the column
        # holds ciphertext since protection at rest, and a plaintext set never matched, so a new form could take a
        # registered person's number under another name and fail the save)
        from sqlalchemy import select

        from reception.db.models import Petitioner

        with ctx.db.read() as session:
            ids.ids.update(n for n in session.scalars(select(Petitioner.id_number)
                                                      .where(Petitioner.id_number.is_not(None))) if n)
    desk, officer = settings.desk_id, settings.officer_id
    counter = StatementCounter()
    counter.attach(ctx.db.engine)

    def new_form() -> IntakeInput:
        with ctx.db.read() as session:  # the form's routing proposal, as the UI shows it before saving
            return new_case_form(rng, session, ref, ids, ids.person(tickets=1), fresh_typing=True, with_pid=False)

    # first call of the process: imports ReportLab, registers the font
    form = new_form()
    t0 = time.perf_counter()
    first = register_intake(ctx, form, desk_id=desk, officer_id=officer)
    first_ms = (time.perf_counter() - t0) * 1000
    if not first.receipt_path:
        print(f"receipt failed: {first.receipt_error}", file=sys.stderr)
        return 1

    forms = [new_form() for _ in range(args.saves + args.warmup)]
    it = iter(forms)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    save_new, results = timed("register_intake: new case + A4 receipt + archive",
                              lambda: register_intake(ctx, next(it), desk_id=desk, officer_id=officer),
                              args.saves, warmup=args.warmup, target=TARGET_SAVE, counter=counter)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    saved = [r for r in results if r.receipt_path]
    pdf_sizes = [Path(r.receipt_path).stat().st_size for r in saved]

    # repeat visits joined to the cases just saved
    joins = []
    for r, f in zip(results, forms, strict=False):
        person = ids.person(tickets=1)
        person.name, person.id_type, person.id_number = f.person.name, f.person.id_type, f.person.id_number
        person.gender = f.person.gender
        person.id_input, person.phone_input, person.address = f.person.id_number, f.person.phone, f.person.address
        assert f.content_class is not None and f.category_id and f.locality_id
        joins.append(repeat_form(rng, person, (r.case_id, f.content_class.value, f.category_id, f.locality_id),
                                 with_pid=False))
    jt = iter(joins)
    save_join, _ = timed("register_intake: repeat visit joined + receipt + archive",
                         lambda: register_intake(ctx, next(jt), desk_id=desk, officer_id=officer),
                         min(args.saves, len(joins) - args.warmup), warmup=args.warmup, target=TARGET_SAVE,
                         counter=counter)

    forms2 = iter([new_form() for _ in range(args.saves + args.warmup)])
    tx_only, results2 = timed("  part 1: the write transaction alone (render_receipt=False)",
                              lambda: register_intake(ctx, next(forms2), desk_id=desk, officer_id=officer,
                                                      render_receipt=False),
                              args.saves, warmup=args.warmup, counter=counter)
    from reception.intake.receipt import archive_receipt, build_receipt_data
    from reception.receipts import render_receipt
    from reception.receipts.fonts import font_set

    rt = iter(results2)

    def archive_next():  # type: ignore[no-untyped-def]
        r = next(rt)
        return archive_receipt(ctx, r.case_id, visit_id=r.visit_id, officer_id=officer)

    archive_only, _ = timed("  part 2: archive_receipt (data + render + write + record)", archive_next,
                            min(args.saves, len(results2) - args.warmup), warmup=args.warmup, counter=counter)

    with ctx.db.read() as session:
        data = build_receipt_data(session, results[-1].case_id, results[-1].visit_id, ctx.calendar, settings)
        collective = next((r for r, f in zip(results, forms, strict=False) if f.headcount > 1), None)
    build_t, _ = timed("  build_receipt_data (read session)", lambda: _build(ctx, results[-1], settings),
                       args.renders, warmup=args.warmup, counter=counter)
    renders: list[Timing] = [build_t]
    sizes: dict[str, int] = {}
    for layout in (ReceiptLayout.A4, ReceiptLayout.A5, ReceiptLayout.THERMAL_80):
        t, out = timed(f"render_receipt {layout.value} (pure render)", partial(render_receipt, data, layout),
                       args.renders, warmup=args.warmup)
        renders.append(t)
        sizes[layout.value] = len(out[-1])
    font = font_set().primary
    lines = receipt_lines(data)
    bare_t, bare_out = timed("bare ReportLab page, same text and font", lambda: bare_page(lines, font),
                             args.renders, warmup=args.warmup)
    renders.append(bare_t)
    sizes["bare"] = len(bare_out[-1])

    with ctx.db.engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()
                  for t in ("petitioner", "petition_case", "visit")}
    print()
    if args.what_if_directory_cache:
        print("WHAT-IF RUN: directory rows preloaded into every session (simulates a directory cache in the core)")
    print(f"Intake on {'a fresh data directory' if fresh else args.data_dir + ' (copy)'}: "
          f"{n_cases:,} cases before the run, now {counts['visit']:,} visits / {counts['petition_case']:,} cases / "
          f"{counts['petitioner']:,} petitioners; database {file_mb(ctx.paths.database):,.1f} MB — {date.today()}")
    print(load_note() + " at the end of the run; " + code_version())
    print(f"first save of the process (imports ReportLab, loads the font): {first_ms:.0f} ms")
    table = print_table([save_new, save_join, tx_only, archive_only, *renders])
    kb = {k: v / 1024 for k, v in sizes.items()}
    print(f"PDF sizes: archived A4 receipts median {sorted(pdf_sizes)[len(pdf_sizes) // 2] / 1024:.1f} KB "
          f"(max {max(pdf_sizes) / 1024:.1f} KB, target ≤ {TARGET_PDF_KB:g} KB); "
          + ", ".join(f"{k} {v:.1f} KB" for k, v in kb.items()))
    if collective is not None:
        print(f"(a collective visit among the saves: case {collective.case_no})")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": date.today().isoformat(), "data_dir": args.data_dir or "(fresh)", "first_save_ms": first_ms,
            "timings": [{"label": t.label, "median_ms": round(t.median, 3), "p95_ms": round(t.p95, 3),
                         "max_ms": round(t.max, 3), "cpu_median_ms": round(t.cpu_median, 3),
                         "statements": round(t.statements, 1),
                         "sql_ms": round(t.sql_ms, 3)}
                        for t in (save_new, save_join, tx_only, archive_only, *renders)],
            "pdf_kb": kb, "table": table, "load": load_note(), "code": code_version(),
        }, ensure_ascii=False, indent=1), encoding="utf-8")
    ctx.close()
    return 0


def _build(ctx: AppContext, result, settings):  # type: ignore[no-untyped-def]
    from reception.intake.receipt import build_receipt_data

    with ctx.db.read() as session:
        return build_receipt_data(session, result.case_id, result.visit_id, ctx.calendar, settings)


if __name__ == "__main__":
    sys.exit(main())
