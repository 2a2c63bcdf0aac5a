"""``reception enroll`` and ``reception sync``: enrol this desk with the server, run one cycle, see what is left."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from reception.paths import DATA_DIR_ENV, resolve_data_dir

if TYPE_CHECKING:
    from reception.context import AppContext


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help=f"data directory (default: ${DATA_DIR_ENV} or the per-user data folder)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("enroll", help="enrol this desk with the central server (one-time code from add-desk)")
    _data_dir(p)
    p.add_argument("--server", required=True, metavar="URL", help="e.g. https://xfzx.example.gov.cn:8765")
    p.add_argument("--code", required=True, help="the one-time enrolment code")
    p.add_argument("--officer", metavar="USERNAME", help="the officer signed in at this desk (default: kept)")
    p.set_defaults(handler=_enroll)
    p = sub.add_parser("sync", help="run one sync cycle with the server and print what moved")
    _data_dir(p)
    p.add_argument("--status", action="store_true", help="only show the sync status")
    p.add_argument("--list", action="store_true", help="list pending and parked changes and open conflicts")
    p.add_argument("--resolve", metavar="CONFLICT_ID", help="resolve a conflict (with --choose)")
    p.add_argument("--choose", choices=["local", "server", "acknowledge"], help="how to resolve it")
    p.add_argument("--retry-parked", action="store_true", help="queue parked changes again")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_sync)


def _open(args: argparse.Namespace) -> AppContext:
    from reception.bootstrap import open_data_dir

    return open_data_dir(resolve_data_dir(args.data_dir))


def _enroll(args: argparse.Namespace) -> int:
    from reception.sync.desk import enroll

    ctx = _open(args)
    try:
        result = enroll(ctx, args.server, args.code, officer=args.officer)
    finally:
        ctx.close()
    where = "系统凭据库" if result.token_store == "keyring" else "数据目录中的受保护文件"
    print(f"已登记：工位代码 {result.desk_code}，令牌保存在{where}；待上传本机已有记录 {result.uploaded} 条")
    if result.report is not None:
        print(result.report.summary())
        for w in result.report.warnings:
            print(f"提醒：{w}")
        if result.report.error:
            print(f"同步未完成：{result.report.error}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from reception.sync import desk as engine

    ctx = _open(args)
    try:
        if args.resolve:
            if not args.choose:
                print("错误：请用 --choose 指定处理方式")
                return 2
            view = engine.resolve_conflict(ctx, args.resolve, args.choose)
            print(f"冲突 {view.id} 已处理：{view.resolution}")
            return 0
        if args.retry_parked:
            print(f"已重新排队 {engine.retry_parked(ctx)} 条搁置的修改")
            return 0
        if args.list:
            pending = engine.list_outbox(ctx, state="pending")
            parked = engine.list_outbox(ctx, state="parked")
            conflicts = engine.list_conflicts(ctx)
            if args.json:
                print(json.dumps({"pending": len(pending), "parked": [p.__repr__() for p in parked],
                                  "conflicts": [c.id for c in conflicts]}, ensure_ascii=False))
                return 0
            print(f"待上传 {len(pending)} 条")
            for item in parked:
                print(f"搁置 #{item.seq} {item.table} {item.record_id}：{item.error}")
            for c in conflicts:
                print(f"冲突 {c.id} [{c.kind}] {c.table} {c.record_id}：{c.message}"
                      + (f"（不同字段：{'、'.join(c.differing)}）" if c.differing else ""))
            return 0
        if args.status:
            st = engine.sync_status(ctx)
            if args.json:
                print(json.dumps({"enrolled": st.enrolled, "pending": st.pending, "parked": st.parked,
                                  "conflicts": st.conflicts, "last_error": st.last_error,
                                  "desk_code": st.desk_code}, ensure_ascii=False))
                return 0
            if not st.enrolled:
                print("本工位尚未登记到服务器（单机模式）")
                return 0
            print(f"服务器 {st.server_url}，工位代码 {st.desk_code}")
            print(f"待上传 {st.pending} 条，搁置 {st.parked} 条，未解决冲突 {st.conflicts} 个")
            if st.last_error:
                print(f"最近错误：{st.last_error}")
            if st.clock_warning:
                print(f"提醒：{st.clock_warning}")
            return 0
        report = engine.sync_once(ctx)
    finally:
        ctx.close()
    if args.json:
        print(json.dumps({"pushed": report.pushed, "pulled": report.pulled, "parked": report.parked,
                          "conflicts": report.conflicts, "new_conflicts": report.new_conflicts,
                          "collisions": report.collisions, "pending": report.pending, "held": report.held,
                          "warnings": list(report.warnings), "error": report.error}, ensure_ascii=False))
    else:
        print(report.summary())
        for w in report.warnings:
            print(f"提醒：{w}")
        if report.error:
            print(f"同步未完成：{report.error}")
    return 0 if report.ok else 1
