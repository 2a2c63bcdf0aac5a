"""``reception import-ledger FILE`` (dry run or import of an old ledger) and ``reception ledger list|review|undo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reception.paths import DATA_DIR_ENV, resolve_data_dir


def _data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help=f"data directory (default: ${DATA_DIR_ENV} or the per-user data folder)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-ledger", help="bring in an old petition ledger (信访台账): xlsx, xls, ods or csv")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--sheet", help="the sheet to read (default: the first)")
    p.add_argument("--dry-run", action="store_true", help="check every row and print the report; write nothing")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="map a field (姓名, 身份证号, 来访时间... or its key) to a column (letter A, B... or header "
                        "text); repeatable; the others are guessed from the headers")
    p.add_argument("--header-row", type=int, metavar="N", help="the header's first row (1 = the sheet's first)")
    p.add_argument("--header-rows", type=int, default=1, metavar="K", help="how many rows the header takes")
    p.add_argument("--category", help="问题类别 (code or name) for rows without one")
    p.add_argument("--channel", help="信访形式 for rows without one (default 来访)")
    p.add_argument("--profile", help="use a saved mapping profile")
    p.add_argument("--save-profile", metavar="NAME", help="save the mapping used under this name")
    p.add_argument("--batch", type=int, default=None, help="rows per transaction (default: the service's)")
    _data_dir(p)
    p.set_defaults(handler=_import)
    q = sub.add_parser("ledger", help="ledger imports: list them, the review list, undo one")
    qsub = q.add_subparsers(dest="ledger_command", required=True)
    r = qsub.add_parser("list", help="every import with its counts")
    _data_dir(r)
    r.set_defaults(handler=_list)
    r = qsub.add_parser("review", help="doubtful petitioner matches waiting for a person")
    _data_dir(r)
    r.set_defaults(handler=_review)
    r = qsub.add_parser("undo", help="undo one import: removed before it has synced, 已撤销 (synced as changes) after")
    r.add_argument("import_id")
    _data_dir(r)
    r.set_defaults(handler=_undo)


def _column(spec: str, labels: tuple[str, ...]) -> int | None:
    spec = spec.strip()
    if spec.isascii() and spec.isalpha():
        index = 0
        for ch in spec.upper():
            index = index * 26 + (ord(ch) - 64)
        return index - 1
    for c, label in enumerate(labels):
        if spec in (label, label.split("/")[-1]):
            return c
    return None


def _import(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.ledger import service
    from reception.ledger.mapping import (
        FIELD_BY_KEY,
        FIELDS,
        find_header,
        guess_mapping,
        load_profiles,
        profile_from,
        save_profile,
    )
    from reception.ledger.reader import read_sheet

    path = Path(args.file)
    sheet = read_sheet(path, args.sheet)
    header_row = args.header_row - 1 if args.header_row else None
    header = find_header(sheet.rows, first_row=header_row, count=args.header_rows if header_row is not None else None)
    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        defaults = {k: v for k, v in (("category", args.category), ("channel", args.channel)) if v}
        mapping = guess_mapping(header.labels)
        if args.profile:
            with ctx.db.read() as session:
                profile = load_profiles(session).get(args.profile)
            if profile is None:
                print(f"错误：没有名为“{args.profile}”的映射方案", file=sys.stderr)
                return 2
            mapping = profile.mapping_for(header.labels)
            defaults = {**profile.defaults, **defaults}
        by_label = {f.label: f.key for f in FIELDS}
        for item in args.map:
            name, _, spec = item.partition("=")
            key = by_label.get(name.strip(), name.strip())
            column = _column(spec, header.labels)
            if key not in FIELD_BY_KEY or column is None:
                print(f"错误：无法识别列映射“{item}”", file=sys.stderr)
                return 2
            mapping[key] = column
        print(f"工作表：{sheet.name}；表头第{header.first_row + 1}行起共{header.rows}行")
        for f in FIELDS:
            if f.key in mapping:
                print(f"  {f.label} ← 第{mapping[f.key] + 1}列“{header.labels[mapping[f.key]]}”"
                      if mapping[f.key] < len(header.labels) else f"  {f.label} ← 第{mapping[f.key] + 1}列")
        source = service.LedgerSource(path, sheet.name, mapping, header.first_row, header.rows, defaults)
        report = service.dry_run(ctx, source)
        if args.save_profile:
            with ctx.db.write() as session:
                save_profile(session, profile_from(args.save_profile, mapping, header.labels, defaults))
            print(f"已保存映射方案“{args.save_profile}”")
        if args.dry_run:
            for line in report.lines():
                print(line)
            return 0 if not report.with_errors else 1

        def progress(done: int, total: int) -> None:
            print(f"\r已导入 {done}/{total} 行", end="", file=sys.stderr, flush=True)

        summary = service.run_import(ctx, source, actor_id=None, progress=progress,
                                     batch_rows=args.batch or service.BATCH_ROWS,
                                     report=report)
        print(file=sys.stderr)
        for line in report.lines()[:-1]:
            print(line)
        for row_no, message in summary.failed:
            print(f"第{row_no}行 错误：{message}")
        print(summary.text())
        print(f"导入编号：{summary.import_id}（撤销：reception ledger undo {summary.import_id}）")
        return 0
    finally:
        ctx.close()


def _list(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.db.base import to_local
    from reception.ledger.service import list_imports

    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        for i in list_imports(ctx):
            print(f"{i.id}  {to_local(i.started_at):%Y-%m-%d %H:%M}  {i.file_name} [{i.sheet}]  {i.state}  "
                  f"共{i.total_rows}行 导入{i.imported}行 待核对{i.held}行")
    finally:
        ctx.close()
    return 0


def _review(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.ledger.service import review_items

    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        items = review_items(ctx)
        for item in items:
            print(f"导入{item.import_id[:8]} 第{item.row_no}行：{item.message}（已登记信访人 {item.candidate_id}）")
        print(f"共{len(items)}条待核对")
    finally:
        ctx.close()
    return 0


def _undo(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.ledger.service import undo_import

    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        done = undo_import(ctx, args.import_id, actor_id=None)
    finally:
        ctx.close()
    print(done.text())
    return 0
