"""The ``reception`` command (also ``python -m reception``): set-up and operations without the desk window."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reception import __version__
from reception.domain.enums import ReceiptLayout
from reception.domain.errors import ReceptionError
from reception.paths import DATA_DIR_ENV, resolve_data_dir

if TYPE_CHECKING:
    from reception.services.context import AppContext


def _data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help=f"data directory (default: ${DATA_DIR_ENV} or the per-user data folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reception", description="信访接待一站式服务台：命令行工具")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create or upgrade a data directory")
    _data_dir_arg(p)
    p.add_argument("--demo", action="store_true", help="seed the demo district and a few weeks of cases")
    p.add_argument("--desk-code", default="D01", help="this desk's code, the prefix of its case numbers")

    p = sub.add_parser("receipt", help="reprint (补打) the receipt of a case as a PDF file")
    p.add_argument("case_no")
    _data_dir_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.add_argument("--layout", choices=[x.value for x in ReceiptLayout], help="paper (default: the desk setting)")

    p = sub.add_parser("export", help="export every case with its visits, petitioners and routing")
    _data_dir_arg(p)
    p.add_argument("--format", choices=["json"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output)")

    sub.add_parser("smoke-test", help="check this installation in a throwaway data directory, then exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        return _run(args)
    except ReceptionError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from reception.services.context import open_data_dir

    if args.command == "smoke-test":
        from reception.smoke import run_smoke_test

        return run_smoke_test()

    root = resolve_data_dir(args.data_dir)
    if args.command == "init":
        from reception.services.setup import init_data_dir

        ctx = init_data_dir(root, demo=args.demo, desk_code=args.desk_code)
        ctx.close()
        print(f"数据目录已就绪：{root}")
        return 0
    ctx = open_data_dir(root)
    try:
        if args.command == "receipt":
            from reception.services.receipt_service import reprint_receipt

            layout = ReceiptLayout.parse(args.layout) if args.layout else None
            _case_id, pdf = reprint_receipt(ctx, args.case_no, layout=layout)
            out = Path(args.output)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(pdf)
            print(f"已补打回执：{out}")
            return 0
        if args.command == "export":
            return _export(ctx, args.output)
    finally:
        ctx.close()
    return 1


def _export(ctx: AppContext, output: str | None) -> int:
    from reception.services.cases import export_cases

    target = open(output, "w", encoding="utf-8", newline="\n") if output else sys.stdout  # noqa: SIM115
    try:
        target.write("[\n")
        for index, case in enumerate(export_cases(ctx)):
            if index:
                target.write(",\n")
            target.write(json.dumps(case, ensure_ascii=False))
        target.write("\n]\n")
    finally:
        if output:
            target.close()
    return 0
