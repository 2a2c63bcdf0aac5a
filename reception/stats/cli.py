"""``reception report`` and ``reception ranking``: the period report and the half-year ranking from the command line
(JSON to standard output or a file; Excel and PDF to a file)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from reception.domain.errors import FieldError, ReceptionError
from reception.paths import DATA_DIR_ENV, resolve_data_dir
from reception.stats import periods
from reception.stats.periods import Period

FORMATS = ("json", "xlsx", "pdf")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help=f"data directory (default: ${DATA_DIR_ENV} or the per-user data folder)")
    p.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day of the period")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day of the period (inclusive)")
    p.add_argument("--period", metavar="SPEC", help="instead of --from/--to: 2021, 2021-H1, 2021-Q3 or 2021-09")
    p.add_argument("--format", choices=FORMATS, default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (json: default standard output)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="the period report (统计报告): leaders' receptions, down-visits, backlog, "
                                      "timeliness, satisfaction, with definitions")
    _common(p)
    p.add_argument("--ranking", action="store_true", help="the half-year unit ranking (一考一评) instead")
    p.set_defaults(handler=run_report)
    p = sub.add_parser("ranking", help="the half-year unit ranking (一考一评) of townships and departments")
    _common(p)
    p.set_defaults(handler=run_ranking)


def parse_period(args: argparse.Namespace, *, default_half: date | None = None) -> Period:
    """The period the arguments name; with none, the half-year containing ``default_half`` (the desk's day,
    ``ctx.now``) when given, else an error."""
    if args.period:
        if args.start or args.end:
            raise FieldError("period", "--period 与 --from/--to 只能选用一种", key="period_both")
        return periods.parse(args.period)
    if not args.start and not args.end:
        if default_half is not None:
            return periods.half_of(default_half)
        raise FieldError("period", "请用 --from 和 --to（或 --period）指定统计期间", key="period_required")
    if not args.start or not args.end:
        raise FieldError("period", "--from 和 --to 须同时指定", key="period_incomplete")
    return periods.of(periods.parse_day(args.start), periods.parse_day(args.end))


def _write(args: argparse.Namespace, payload: bytes | dict[str, Any]) -> int:
    if isinstance(payload, dict):
        text = json.dumps(payload, ensure_ascii=False, indent=2)
        if not args.output:
            sys.stdout.write(text + "\n")
            return 0
        payload = (text + "\n").encode("utf-8")
    if not args.output:
        raise ReceptionError(f"{args.format} 格式须用 -o 指定输出文件", key="output_required")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(payload)
    print(f"已生成：{out}", file=sys.stderr)
    return 0


def run_report(args: argparse.Namespace) -> int:
    if args.ranking:
        return run_ranking(args)
    from reception.bootstrap import open_data_dir
    from reception.stats.drill import drill
    from reception.stats.export import DETAIL_KEYS, report_pdf, report_xlsx
    from reception.stats.report import period_report

    period = parse_period(args)
    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        report = period_report(ctx, period)
        if args.format == "json":
            return _write(args, report.to_json())
        details = [drill(ctx, key, period) for key in DETAIL_KEYS]
        data = report_xlsx(report, details) if args.format == "xlsx" else report_pdf(report, details)
        return _write(args, data)
    finally:
        ctx.close()


def run_ranking(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.stats.export import ranking_pdf, ranking_xlsx
    from reception.stats.ranking import unit_ranking

    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        period = parse_period(args, default_half=ctx.now().date())
        ranking = unit_ranking(ctx, period)
        if args.format == "json":
            return _write(args, ranking.to_json())
        return _write(args, ranking_xlsx(ranking) if args.format == "xlsx" else ranking_pdf(ranking))
    finally:
        ctx.close()
