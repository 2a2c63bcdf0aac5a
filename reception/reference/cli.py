"""``reception reference import|export|template``: the reference workbook from the command line (a standalone desk's
administrator, or the centre preparing the server's ``reception server import-reference FILE.xlsx``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reception.paths import DATA_DIR_ENV, resolve_data_dir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reference", help="the reference workbook (基础数据): directory, units, categories, routing")
    rsub = p.add_subparsers(dest="reference_command", required=True)
    for name, what in (("import", "import a filled-in workbook (all or nothing; prints the report of problems)"),
                       ("export", "write every reference record to a workbook (on an empty desk: the template)")):
        q = rsub.add_parser(name, help=what)
        q.add_argument("file", metavar="FILE.xlsx")
        q.add_argument("--data-dir", metavar="DIR",
                       help=f"data directory (default: ${DATA_DIR_ENV} or the per-user data folder)")
        q.set_defaults(handler=_import if name == "import" else _export)
    q = rsub.add_parser("template", help="write the empty template")
    q.add_argument("file", metavar="FILE.xlsx")
    q.set_defaults(handler=_template)


def _write(target: str, data: bytes) -> Path:
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def _import(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.reference.store import ReferenceImportError, import_workbook

    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        summary = import_workbook(ctx, Path(args.file), actor_id=None)
    except ReferenceImportError as exc:
        print(f"工作簿有{len(exc.issues)}处问题，未导入任何数据：", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue.text}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    print(f"已导入：{summary.text}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from reception.bootstrap import open_data_dir
    from reception.reference.store import export_workbook

    ctx = open_data_dir(resolve_data_dir(args.data_dir))
    try:
        data = export_workbook(ctx, actor_id=None)
    finally:
        ctx.close()
    print(f"已导出：{_write(args.file, data)}")
    return 0


def _template(args: argparse.Namespace) -> int:
    from reception.reference.store import template_workbook

    print(f"已写出模板：{_write(args.file, template_workbook())}")
    return 0
