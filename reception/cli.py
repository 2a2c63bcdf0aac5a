"""The ``reception`` command (also ``python -m reception``): set-up and operations without the desk window."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reception import __version__
from reception.db.base import to_local
from reception.domain.enums import ReceiptLayout
from reception.domain.errors import ReceptionError
from reception.domain.workcalendar import PROVISIONAL_NOTE
from reception.paths import DATA_DIR_ENV, resolve_data_dir

if TYPE_CHECKING:
    from reception.context import AppContext


def _data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help=f"data directory (default: ${DATA_DIR_ENV} or the per-user data folder)")


COMMAND_MODULES: tuple[str, ...] = ("reception.stats.cli", "reception.security.cli", "reception.server.cli",
                                     "reception.sync.cli", "reception.reference.cli",
                                     "reception.ledger.cli")
"""Feature packages that bring their own commands. Each module has ``register(sub)``, which adds its sub-parsers and
sets ``handler=<callable taking the parsed arguments and returning the exit status>`` on each of them with
``set_defaults``; the handler opens the data directory (or the server database) itself."""


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
    p.add_argument("--masked", action="store_true",
                   help="names, ID numbers, phones and addresses masked (the full export is audited)")
    p.add_argument("--all", action="store_true", dest="include_void",
                   help="also the cases whose ledger import was undone (已撤销, status void), left out by default")

    case = sub.add_parser("case", help="one case: its events and running clocks (案件流程与期限)")
    csub = case.add_subparsers(dest="case_command", required=True)
    p = csub.add_parser("show", help="the case with its events and every running clock's due date and state")
    p.add_argument("case_no")
    _data_dir_arg(p)
    p.add_argument("--json", action="store_true", help="JSON instead of text")
    p.add_argument("--on", metavar="YYYY-MM-DD", help="assess the clocks on this day (default: today)")

    p = csub.add_parser("on-spot-restart", help="local rule: after a 不满意 rating of a leader's on-the-spot reply, "
                        "count the 15 days to route it from the rating day (on) or from receipt, as Art. 22 (off)")
    p.add_argument("value", choices=["on", "off"])
    _data_dir_arg(p)

    sub.add_parser("smoke-test", help="check this installation in a throwaway data directory, then exit")
    _roster_parsers(sub)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _roster_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roster = sub.add_parser("roster", help="leaders' reception roster (领导接访排班)")
    rsub = roster.add_subparsers(dest="roster_command", required=True)
    p = rsub.add_parser("generate", help="generate the draft of a month (YYYY-MM) or of every month of a year (YYYY)")
    p.add_argument("month", metavar="YYYY-MM|YYYY")
    _data_dir_arg(p)
    p.add_argument("--by", default="", help="who generates it (for the audit log)")
    p = rsub.add_parser("show", help="the month, one entry per day")
    p.add_argument("month", metavar="YYYY-MM")
    _data_dir_arg(p)
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.add_argument("--version", type=int, dest="roster_version", help="a published version (default: latest)")
    for name, what in (("pdf", "the public notice as a PDF (A4 landscape)"), ("xlsx", "the notice as Excel")):
        p = rsub.add_parser(name, help=what)
        p.add_argument("month", metavar="YYYY-MM")
        _data_dir_arg(p)
        p.add_argument("-o", "--output", required=True, metavar=f"FILE.{name}")
        p.add_argument("--version", type=int, dest="roster_version", help="a published version (default: latest)")
    p = rsub.add_parser("publish", help="publish the month (a new version when it changed since)")
    p.add_argument("month", metavar="YYYY-MM")
    _data_dir_arg(p)
    p.add_argument("--by", required=True, help="who publishes it")
    p.add_argument("--note", default="")
    p.add_argument("--confirm-unconfirmed", action="store_true",
                   help="publish although the year's holiday arrangement is not confirmed")
    p = rsub.add_parser("versions", help="published versions of a month and what each changed")
    p.add_argument("month", metavar="YYYY-MM")
    _data_dir_arg(p)
    p = rsub.add_parser("swap", help="two leaders exchange their days (调换)")
    p.add_argument("day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("leader", help="leader on DAY (name or id)")
    p.add_argument("other_day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("other_leader", help="leader on OTHER_DAY (name or id)")
    _change_args(p)
    p = rsub.add_parser("substitute", help="another leader takes a leader's day (替班)")
    p.add_argument("day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("leader", help="leader on DAY (name or id)")
    p.add_argument("new_leader", help="the substitute (name or id)")
    _change_args(p)
    p = rsub.add_parser("cancel", help="cancel a leader's reception on a day (e.g. a day that became a holiday)")
    p.add_argument("day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("leader", help="leader on DAY (name or id)")
    _change_args(p)
    p = rsub.add_parser("move", help="replace a reception by one on another working day (改期)")
    p.add_argument("day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("leader", help="leader on DAY (name or id)")
    p.add_argument("new_day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--new-leader", default="", help="another leader receives on NEW_DAY (name or id)")
    _change_args(p)

    leaders = sub.add_parser("leaders", help="the leaders who receive petitioners (接访领导名录)")
    lsub = leaders.add_subparsers(dest="leaders_command", required=True)
    p = lsub.add_parser("list", help="leaders with their membership periods and absences")
    _data_dir_arg(p)
    p = lsub.add_parser("add", help="a new leader in the rotation")
    p.add_argument("name")
    p.add_argument("title")
    p.add_argument("--rank", type=int, default=0, help="rank order (smaller first)")
    p.add_argument("--phone", default="")
    p.add_argument("--from", dest="active_from", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="first day in the rotation (published days never change)")
    p.add_argument("--not-in-rotation", action="store_true", help="receives only on special days (书记接访日)")
    _data_dir_arg(p)
    p.add_argument("--by", default="")
    p = lsub.add_parser("absence", help="a period a leader cannot receive (trip, leave)")
    p.add_argument("leader", help="name or id")
    p.add_argument("start", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("end", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--reason", default="请假")
    _data_dir_arg(p)
    p.add_argument("--by", default="")
    p = lsub.add_parser("leave", help="the leader leaves the rotation after a day")
    p.add_argument("leader", help="name or id")
    p.add_argument("last_day", type=date.fromisoformat, metavar="YYYY-MM-DD")
    _data_dir_arg(p)
    p.add_argument("--by", default="")


    holidays = sub.add_parser("holidays", help="the holiday table (节假日表) of a year")
    hsub = holidays.add_subparsers(dest="holidays_command", required=True)
    p = hsub.add_parser("show", help="holidays and make-up working days of a year, and whether it is confirmed")
    p.add_argument("year", type=int)
    _data_dir_arg(p)
    p.add_argument("--json", action="store_true")
    p = hsub.add_parser("import", help="replace a year's table from a CSV, JSON or Excel file (date, workday, name)")
    p.add_argument("year", type=int)
    p.add_argument("file", metavar="FILE.csv|FILE.json|FILE.xlsx")
    _data_dir_arg(p)
    p.add_argument("--by", default="")
    p.add_argument("--force", action="store_true", help="import even if it removes days from the table")
    p = hsub.add_parser("set", help="enter one day: off (休息), workday (调休上班) or remove it from the table")
    p.add_argument("day", type=date.fromisoformat)
    p.add_argument("what", choices=["off", "workday", "remove"])
    p.add_argument("name", nargs="?", default="")
    _data_dir_arg(p)
    p.add_argument("--by", default="")
    p = hsub.add_parser("confirm", help="confirm a year's table as the official arrangement")
    p.add_argument("year", type=int)
    _data_dir_arg(p)
    p.add_argument("--by", required=True, help="who confirms it")


def _change_args(p: argparse.ArgumentParser) -> None:
    _data_dir_arg(p)
    p.add_argument("--reason", required=True, help="why (理由)")
    p.add_argument("--approved-by", required=True, help="who approved it (批准人)")
    p.add_argument("--by", default="", help="who records it")


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
    except BrokenPipeError:  # e.g. `reception export | head`: the reader left; not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # a full disk, a read-only folder, a locked or lost database: a message, no traceback
        from reception.envfail import environment_reason

        reason = environment_reason(exc)
        if not reason:
            raise
        print(f"错误：{reason}", file=sys.stderr)
        return 3


def _run(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir

    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is not None:
        return handler(args)
    if args.command == "smoke-test":
        from reception.smoke import run_smoke_test

        return run_smoke_test()

    root = resolve_data_dir(args.data_dir)
    if args.command == "init":
        from reception.setup import init_data_dir

        ctx = init_data_dir(root, demo=args.demo, desk_code=args.desk_code)
        ctx.close()
        print(f"数据目录已就绪：{root}")
        return 0
    ctx = open_data_dir(root)
    try:
        if args.command == "receipt":
            from reception.intake.receipt import reprint_receipt

            layout = ReceiptLayout.parse(args.layout) if args.layout else None
            _case_id, pdf = reprint_receipt(ctx, args.case_no, layout=layout)
            out = Path(args.output)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(pdf)
            print(f"已补打回执：{out}")
            return 0
        if args.command == "export":
            return _export(ctx, args.output, args.masked, args.include_void)
        if args.command == "roster":
            return _roster(ctx, args)
        if args.command == "holidays":
            return _holidays(ctx, args)
        if args.command == "case":
            return _case(ctx, args)
        if args.command == "leaders":
            return _leaders(ctx, args)
    finally:
        ctx.close()
    return 1


def _export(ctx: AppContext, output: str | None, masked: bool = False, include_void: bool = False) -> int:
    from reception.intake.cases import export_cases

    target = open(output, "w", encoding="utf-8", newline="\n") if output else sys.stdout  # noqa: SIM115
    try:
        target.write("[\n")
        for index, case in enumerate(export_cases(ctx, masked=masked, include_void=include_void)):
            if index:
                target.write(",\n")
            target.write(json.dumps(case, ensure_ascii=False))
        target.write("\n]\n")
    finally:
        if output:
            target.close()
    return 0


def _write(output: str, data: bytes) -> Path:
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def _roster(ctx: AppContext, args: argparse.Namespace) -> int:
    from reception.roster import export, service

    cmd = args.roster_command
    if cmd == "generate":
        if args.month.isdigit():
            year_result = service.generate_year(ctx, int(args.month), by=args.by)
            results = list(year_result.generated)
        else:
            results = service.generate_months(ctx, [args.month], by=args.by)
        for result in results:
            print(f"{result.month}：已生成{result.slots}个接访安排（草稿）")
            for w in result.warnings:
                print(f"  注意：{w}")
            if not result.calendar_known:
                print(f"  注意：{result.month[:4]}年放假安排未确认，工作日按法定节假日推算，以国务院公布的放假安排为准")
        if args.month.isdigit():
            print(year_result.message)
        return 0
    if cmd == "show":
        roster = service.month_roster(ctx, args.month, version=args.roster_version)
        if args.json:
            print(json.dumps(roster.to_json(), ensure_ascii=False, indent=1))
            return 0
        state = {"published": f"已发布第{roster.version}版", "draft": "草稿", "none": "未生成"}[roster.status]
        print(f"{roster.title} {roster.month}（{state}）  {roster.calendar_note}")
        for d in roster.days:
            flags = (("【书记接访日】", d.secretary_day), ("【无会周】", d.no_meeting_week))
            marks = "".join(m for m, on in flags if on)
            who = "、".join(f"{x.name}（{x.title}）" for x in d.leaders)
            kind = "工作日" if d.workday else (d.holiday or "休息日")
            print(f"{d.day.isoformat()} {d.weekday} {kind:<4} {who} {marks}")
        if roster.status == "published":
            for conflict in service.published_conflicts(ctx, args.month):
                print(f"需要调整：{conflict}")
        return 0
    if cmd in ("pdf", "xlsx"):
        render = export.notice_pdf if cmd == "pdf" else export.notice_xlsx
        out = _write(args.output, render(ctx, args.month, version=args.roster_version))
        print(f"已导出：{out}")
        return 0
    if cmd == "publish":
        info = service.publish_month(ctx, args.month, by=args.by, force=args.confirm_unconfirmed, note=args.note)
        print(f"{info.month} 已发布第{info.version}版")
        for c in info.changes:
            print(f"  变更：{c.text}")
        return 0
    if cmd in ("swap", "substitute"):
        by_name = _leader_resolver(ctx)
        if cmd == "swap":
            change = service.swap(ctx, args.day, by_name(args.leader), args.other_day, by_name(args.other_leader),
                                  reason=args.reason, approved_by=args.approved_by, by=args.by)
        else:
            change = service.substitute(ctx, args.day, by_name(args.leader), by_name(args.new_leader),
                                        reason=args.reason, approved_by=args.approved_by, by=args.by)
        what = (f"{change.day} {change.leader} 与 {change.other_day} {change.other_leader} 调换" if cmd == "swap"
                else f"{change.day} 由 {change.other_leader} 替 {change.leader} 接访")
        version = f"，已发布第{change.version}版" if change.version else "（草稿）"
        print(f"已记录：{what}，理由：{change.reason}，批准人：{change.approved_by}{version}")
        return 0
    if cmd in ("cancel", "move"):
        by_name = _leader_resolver(ctx)
        if cmd == "cancel":
            change = service.cancel_slot(ctx, args.day, by_name(args.leader), reason=args.reason,
                                         approved_by=args.approved_by, by=args.by)
            what = f"取消 {change.day} {change.leader} 的接访安排"
        else:
            change = service.move_slot(ctx, args.day, by_name(args.leader), args.new_day,
                                       new_leader_id=by_name(args.new_leader) if args.new_leader else None,
                                       reason=args.reason, approved_by=args.approved_by, by=args.by)
            what = f"{change.day} {change.leader} 的接访改至 {change.other_day}（{change.other_leader}）"
        version = f"，已发布第{change.version}版" if change.version else "（草稿）"
        print(f"已记录：{what}，理由：{change.reason}，批准人：{change.approved_by}{version}")
        return 0
    if cmd == "versions":
        for v in service.versions(ctx, args.month):
            print(f"第{v.version}版 {to_local(v.published_at):%Y-%m-%d %H:%M} {v.published_by} {v.note}")
            for c in v.changes:
                print(f"  {c.text}")
        return 0
    return 1


def _leader_resolver(ctx: AppContext) -> Callable[[str], str]:
    from reception.roster import service

    known = service.leaders(ctx)

    def resolve(text: str) -> str:
        found = [x for x in known if text in (x.id, x.name)]
        if len(found) != 1:
            raise ReceptionError(f"没有唯一名为“{text}”的领导" if not found else f"有多位领导名为“{text}”，请用编号",
                                 key="leader_ambiguous")
        return found[0].id

    return resolve


def _leaders(ctx: AppContext, args: argparse.Namespace) -> int:
    from reception.roster import service

    cmd = args.leaders_command
    if cmd == "list":
        for x in service.leaders(ctx):
            periods = "；".join(f"{p.start or '…'}至{p.end or '…'}" for p in x.periods) or "长期"
            absent = "；".join(f"{a.start}至{a.end}{a.reason}" for a in x.absences)
            print(f"{x.id}  {x.name}（{x.title}）  排序{x.rank_order}  在册：{periods}"
                  + (f"  不能接访：{absent}" if absent else "") + ("" if x.active else "  已停用"))
        return 0
    if cmd == "add":
        leader_id = service.add_leader(ctx, args.name, args.title, rank_order=args.rank, phone=args.phone,
                                       active_from=args.active_from, in_rotation=not args.not_in_rotation,
                                       by=args.by)
        print(f"已添加：{args.name}（{args.title}） {leader_id}")
        return 0
    resolve = _leader_resolver(ctx)
    if cmd == "absence":
        service.add_absence(ctx, resolve(args.leader), args.start, args.end, args.reason, by=args.by)
        print(f"已登记：{args.leader} {args.start}至{args.end} {args.reason}")
        return 0
    if cmd == "leave":
        service.end_membership(ctx, resolve(args.leader), args.last_day, by=args.by)
        print(f"已登记：{args.leader} 自{args.last_day}后不再参加轮值（已发布的安排不变）")
        return 0
    return 1


def _case(ctx: AppContext, args: argparse.Namespace) -> int:
    from datetime import date

    from reception.lifecycle.service import case_view, set_on_spot_restart

    if args.case_command == "on-spot-restart":
        result = set_on_spot_restart(ctx, args.value == "on")
        rule = ("自评价（不满意）之日起重新计算15日（本地规定）" if args.value == "on"
                else "自收到信访事项之日起15日（第二十二条）")
        print(f"现场答复不满意后的登记转送期限：{rule}；已重新计算期限{result.checked}项，更新{result.changed}项")
        return 0
    on = date.fromisoformat(args.on) if args.on else None
    view = case_view(ctx, args.case_no, on=on)
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=1))
        return 0
    print(f"{view['case_no']}  {view['status_label']}  {view['unit']}")
    for e in view["events"]:
        print(f"  {e['at'][:16]} {e['label']} {e['unit']} {e['actor']} {e['note']}".rstrip())
    for c in view["clocks"]:
        mark = "" if c["confirmed"] else f"（{PROVISIONAL_NOTE}）"
        if c.get("paused"):
            mark += "（听证中，到期日暂定）"
        print(f"  [{c['state_label']}] {c['label']} 至{c['due']} {c['text']}{mark}")
    return 0


def _holidays(ctx: AppContext, args: argparse.Namespace) -> int:
    from reception.roster import holidays

    cmd = args.holidays_command
    if cmd == "show":
        with ctx.db.write() as session:
            holidays.seed_year(session, args.year)
        with ctx.db.read() as session:
            status = holidays.year_status(session, args.year)
            entries = holidays.year_entries(session, args.year)
        if args.json:
            print(json.dumps({
                "year": status.year, "known": status.known, "package": status.package_knows,
                "confirmed": status.confirmed, "confirmed_by": status.confirmed_by,
                "state": status.state.value, "state_label": status.state.label, "provisional": status.provisional,
                "confirmed_at": status.confirmed_at.isoformat() if status.confirmed_at else None,
                "message": status.message,
                "days": [{"date": e.day.isoformat(), "workday": e.workday, "name": e.name, "source": e.source}
                         for e in entries],
            }, ensure_ascii=False, indent=1))
            return 0
        print(status.message)
        for e in entries:
            print(f"{e.day.isoformat()} {'上班' if e.workday else '休息'} {e.name}")
        return 0
    if cmd == "import":
        change = holidays.import_year(ctx, args.year, Path(args.file), by=args.by, force=args.force)
        print(f"{args.year}年节假日表已导入{change.count}天（尚未确认，请核对后执行 holidays confirm {args.year}）")
        print(change.message)
        for line in change.roster_conflicts:
            print(f"  {line}")
        return 0
    if cmd == "set":
        workday = {"off": False, "workday": True, "remove": None}[args.what]
        change = holidays.edit_day(ctx, args.day, workday, args.name, by=args.by)
        print(change.message)
        for line in change.roster_conflicts:
            print(f"  {line}")
        return 0
    if cmd == "confirm":
        change = holidays.confirm(ctx, args.year, by=args.by)
        print(change.message)
        for line in change.roster_conflicts:
            print(f"  {line}")
        return 0
    return 1
