"""Ledger import speed (issue 17): reading a sheet (python-calamine against openpyxl), the dry run, the import.

    python bench/bench_ledger.py [--rows 20000] [--import-rows 2000] [--dir /work/bench-data/ledger]
                                 [--batch 200] [--skip-read] [--profile FILE] [--enrolled]

Writes an xlsx ledger of ``--rows`` rows (the tests' header: title row, grouped two-row header, merged cells;
synthetic people, dates over three years, every fifth person coming back), then prints:

* the time to read the sheet with calamine (the reader used) and with openpyxl (``read_only``, values only);
* the dry run of every row (reading, checking, duplicate keys) on a fresh desk;
* the import of the first ``--import-rows`` rows (registration through the intake service, the lifecycle steps,
  clocks, source rows), and both extrapolated to 100,000 rows (targets: dry run ≤ 30 s, import ≤ 2 min);
  with the import's CPU time (and per row), the bytes it wrote to disk per row (``/proc/self/io``, Linux), the load
  average, where every row of the file went (imported, held for review,
  failed at registration, refused by the dry run, duplicate: "unaccounted for" must be 0), the reasons of the
  failures and errors, and wall and CPU ms per row over the run (about 20 lines), so a cost that grows with the
  database shows; progress on stderr every 5,000 rows.

``--skip-read`` leaves out the big sheet's reading and dry run (only the import is measured); ``--profile`` writes
a cProfile of the import (pstats).

Not a test: nothing fails when a target is missed. Keep the data directory outside the repository.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reception.bootstrap import open_data_dir  # noqa: E402
from reception.db.models import Desk  # noqa: E402
from reception.demo import seed_reference  # noqa: E402
from reception.domain.idnumber import check_digit  # noqa: E402
from reception.ledger import service  # noqa: E402
from reception.ledger.reader import read_sheet  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
PLACES = [("翠园街道", "区住房和城乡建设局", "房屋办证"), ("城南街道", "区人力资源和社会保障局", "拖欠工资"),
          ("雨溪街道", "区生态环境分局", "噪声扰民"), ("学院路街道", "区教育局", "入学与学位"),
          ("火车南站街道", "火车南站街道", "物业管理")]
RESULTS = ["已办结", "已答复", "办理中", "已受理", ""]


def write_ledger(path: Path, rows: int, seed: int = 17) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append(["示范区信访台账"] + [None] * 10)
    ws.append(["信访人信息", None, None, "来访时间", "反映问题", "问题类别", "问题属地", "办理情况", None, None,
               "办结时间"])
    ws.append(["姓名", "身份证号", "联系电话", None, None, None, None, "责任单位", "办理结果", "满意度", None])
    people: list[tuple[str, str, str]] = []
    start = datetime(2021, 1, 4, 9, 0)
    for i in range(rows):
        if people and rng.random() < 0.2:
            name, idn, phone = rng.choice(people)
        else:
            birth = f"{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            body = f"430503{birth}{rng.randint(0, 999):03d}"
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            idn, phone = body + check_digit(body), f"13{rng.randint(0, 999_999_999):09d}"
            people.append((name, idn, phone))
        place, unit, category = rng.choice(PLACES)
        when = start + timedelta(days=rng.randint(0, 1000), minutes=rng.randint(0, 480))
        result = rng.choice(RESULTS)
        done = result[:2] in ("已办", "已答")
        closed = (when + timedelta(days=rng.randint(5, 50))).strftime("%Y.%m.%d") if done else ""
        ws.append([name, idn, phone, when, f"反映问题第{i}号：要求有关部门依法处理", category, place, unit, result,
                   rng.choice(["满意", "基本满意", ""]) if closed else "", closed])
    wb.save(path)


def written_bytes() -> int:
    """Bytes this process has caused to be written to disk so far (Linux ``/proc/self/io``), else -1."""
    try:
        for line in Path("/proc/self/io").read_text(encoding="utf-8").splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    print(f"{label:<44} {elapsed:8.2f} s")
    return result, elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--import-rows", type=int, default=2_000)
    ap.add_argument("--dir", type=Path, default=Path("/work/bench-data/ledger"))
    ap.add_argument("--enrolled", action="store_true",
                    help="import on a desk that is enrolled (a peer row, no server): every record fills the outbox")
    ap.add_argument("--batch", type=int, default=service.BATCH_ROWS, help="rows per write transaction")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the import (pstats) to this file")
    ap.add_argument("--skip-read", action="store_true", help="skip the openpyxl read and the big dry run")
    args = ap.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    big = args.dir / "ledger.xlsx"
    if not args.skip_read:
        timed(f"write {args.rows} rows (openpyxl, write-only)", lambda: write_ledger(big, args.rows))
        _, t_cal = timed("read the sheet: python-calamine", lambda: read_sheet(big))

        def openpyxl_read() -> int:
            from openpyxl import load_workbook

            wb = load_workbook(big, read_only=True, data_only=True)
            n = sum(1 for _ in wb["台账"].iter_rows(values_only=True))
            wb.close()
            return n

        _, t_opx = timed("read the sheet: openpyxl (read_only)", openpyxl_read)
        print(f"{'calamine is faster by':<44} {t_opx / t_cal:8.1f} x")
    ctx = open_data_dir(args.dir / "data")
    with ctx.db.write() as session:
        seed_reference(session)
    if args.enrolled:
        import uuid

        from reception.db.base import utcnow
        from reception.db.models import SyncPeer
        from reception.db.settings import load_desk_settings
        from reception.sync.outbox import outbox_state

        with ctx.db.write() as session:
            code = session.get(Desk, load_desk_settings(session).desk_id).code  # type: ignore[union-attr]
            session.add(SyncPeer(id=1, server_url="http://127.0.0.1:9/", client_id=str(uuid.uuid4()),
                                 desk_code=code, token_store="file", enrolled_at=utcnow()))
        outbox_state(ctx.db).enabled = True
    if not args.skip_read:
        report, t_dry = timed(f"dry run, {args.rows} rows",
                              lambda: service.dry_run(ctx, service.LedgerSource(big)))
        print(f"{'  ready / with errors':<44} {report.ready} / {report.with_errors}")
        print(f"{'  extrapolated to 100,000 rows (target 30 s)':<44} {t_dry * 100_000 / args.rows:8.1f} s")
    small = args.dir / "ledger-small.xlsx"
    write_ledger(small, args.import_rows)
    small_report = service.dry_run(ctx, service.LedgerSource(small))
    marks: list[tuple[int, float, float]] = []

    def progress(done: int, total: int) -> None:
        marks.append((done, time.perf_counter(), time.process_time()))
        if len(marks) > 1 and (done == total or done // 5000 != marks[-2][0] // 5000):  # live, on stderr
            print(f"  ... {done}/{total} rows, {marks[-1][1] - marks[0][1]:.0f} s wall, "
                  f"{marks[-1][2] - marks[0][2]:.0f} s CPU", file=sys.stderr, flush=True)

    def run() -> service.ImportSummary:
        return service.run_import(ctx, service.LedgerSource(small), actor_id=None, progress=progress,
                                  report=small_report, batch_rows=args.batch)

    written0 = written_bytes()
    cpu0 = time.process_time()
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        summary, t_imp = timed(f"import, {args.import_rows} rows (cProfile)", lambda: prof.runcall(run))
        prof.dump_stats(args.profile)
    else:
        summary, t_imp = timed(f"import, {args.import_rows} rows", run)
    cpu_imp = time.process_time() - cpu0
    written = written_bytes() - written0
    print(f"{'  CPU time of the import':<44} {cpu_imp:8.2f} s")
    print(f"{'  load average (1, 5, 15 min)':<44} {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # every row of the file accounted for
    print(f"{'  rows in the file':<44} {summary.total:8d}")
    print(f"{'  imported':<44} {summary.imported:8d}")
    print(f"{'  held for review (not imported)':<44} {summary.held:8d}")
    print(f"{'  failed at registration':<44} {len(summary.failed):8d}")
    print(f"{'  refused by the dry run (errors)':<44} {summary.errors:8d}")
    print(f"{'  duplicates (already imported / repeated)':<44} {summary.duplicates:8d}")
    rest = (summary.total - summary.imported - summary.held - len(summary.failed) - summary.errors
            - summary.duplicates)
    print(f"{'  unaccounted for':<44} {rest:8d}" + ("" if rest == 0 else "   <-- BUG"))
    print(f"{'  review items (doubtful matches)':<44} {summary.reviews:8d}")
    reasons: dict[str, int] = {}
    for _row_no, reason in summary.failed:
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"    failed: {n:6d}  {reason}")
    issues: dict[str, int] = {}
    for plan in small_report.rows:
        for issue in plan.issues:
            if issue.error:
                issues[f"{issue.field}: {issue.message}"] = issues.get(f"{issue.field}: {issue.message}", 0) + 1
    for text, n in sorted(issues.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    error: {n:6d}  {text}")
    print(f"{'  imported / cases / petitioners':<44} {summary.imported} / {summary.new_cases} / "
          f"{summary.new_petitioners}")
    print(f"{'  per row':<44} {t_imp * 1000 / max(summary.imported, 1):8.1f} ms")
    print(f"{'  CPU per row':<44} {cpu_imp * 1000 / max(summary.imported, 1):8.2f} ms")
    if written >= 0:
        print(f"{'  written to disk per row (/proc/self/io)':<44} {written / 1024 / max(summary.imported, 1):8.1f} KiB")
    # ms per row, batch by batch (wall and CPU), so growth with the database's size is visible
    step = max(1, len(marks) // 20)
    print(f"  {'rows done':>10} {'wall ms/row':>12} {'CPU ms/row':>11}  (over the batches since the line above)")
    for i in range(step, len(marks), step):
        (d0, w0, c0), (d1, w1, c1) = marks[i - step], marks[i]
        if d1 > d0:
            print(f"  {d1:10d} {(w1 - w0) * 1000 / (d1 - d0):12.2f} {(c1 - c0) * 1000 / (d1 - d0):11.2f}")
    if args.enrolled:
        from sqlalchemy import func, select

        from reception.db.models import SyncOutbox

        with ctx.db.read() as session:
            print(f"{'  outbox rows written':<44} {session.scalar(select(func.count()).select_from(SyncOutbox)):8d}")
    print(f"{'  extrapolated to 100,000 rows (target 120 s)':<44} {t_imp * 100_000 / max(summary.imported, 1):8.1f} s")
    ctx.close()


if __name__ == "__main__":
    main()
