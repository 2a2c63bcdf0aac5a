"""``reception server ...``: run the central server and administer its desks and handling units."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from reception.domain.errors import ReceptionError
from reception.server.clock import Clock, server_clock
from reception.server.db import ServerDatabase, open_server_database, resolve_db_url
from reception.server.errors import ServerError


def _db_args(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS  # subcommand options must not overwrite the parent's values
    parser.add_argument("--db", metavar="URL", default=default,
                        help="database URL: sqlite:///path or postgresql+psycopg://user@host/db "
                             "(default: $RECEPTION_SERVER_DB or a SQLite file in the server data directory)")
    parser.add_argument("--server-dir", metavar="DIR", default=default,
                        help="server data directory (default: $RECEPTION_SERVER_DIR or the per-user data folder)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("server", help="run the central sync server, or administer its desks (add-desk, ...)")
    _db_args(p, top=True)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--certfile", metavar="PEM", help="TLS certificate (serve HTTPS directly)")
    p.add_argument("--keyfile", metavar="PEM", help="TLS private key")
    p.add_argument("--now", metavar="ISO", default=None, help=argparse.SUPPRESS)
    # (tests: the server's clock starts at this moment, e.g. 2026-09-16T15:00:00+08:00, for the pages and every
    # subcommand: reception.server.clock; never in production)
    p.add_argument("--max-connections", type=int, default=None, metavar="N",
                   help="connections served at once; more get 503 (default 200)")
    p.add_argument("--read-timeout", type=float, default=None, metavar="S",
                   help="seconds a request's head may take to arrive; slower connections are closed (default 10)")
    p.add_argument("--body-timeout", type=float, default=None, metavar="S",
                   help="seconds a request's body may then take (default 120)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="server processes sharing the port (default 1); with PostgreSQL, e.g. one per core: "
                        "everything they share is in the database")
    p.set_defaults(handler=_run)
    ssub = p.add_subparsers(dest="server_command")
    q = ssub.add_parser("add-desk", help="register a desk; prints its one-time enrolment code")
    q.add_argument("name", help="the desk's name, e.g. 三号接待窗口")
    _db_args(q, top=False)
    q.set_defaults(handler=_add_desk)
    q = ssub.add_parser("revoke-desk", help="revoke a desk (by desk code, name or id): refused from now on")
    q.add_argument("code")
    _db_args(q, top=False)
    q.set_defaults(handler=_revoke)
    q = ssub.add_parser("list-desks", help="the desks and handling units known to the server")
    _db_args(q, top=False)
    q.set_defaults(handler=_list)
    q = ssub.add_parser("add-unit", help="give a handling unit (by unit code) a token for the unit API")
    q.add_argument("unit")
    _db_args(q, top=False)
    q.set_defaults(handler=_add_unit)
    q = ssub.add_parser("add-unit-user",
                        help="create an account for a handling unit's staff to work its cases at /unit "
                             "(the password is asked here, or read from --password-env)")
    q.add_argument("unit", help="the unit's code (or id) in the synced directory")
    q.add_argument("username")
    q.add_argument("--name", required=True, help="the person's name, e.g. 陈明")
    q.add_argument("--role", default="unit_staff", help="unit_staff (工作人员, default) or unit_head (单位负责人)")
    q.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    _db_args(q, top=False)
    q.set_defaults(handler=_add_unit_user)
    q = ssub.add_parser("unit-user-password", help="set a unit account's password (and unlock it)")
    q.add_argument("username")
    q.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    _db_args(q, top=False)
    q.set_defaults(handler=_unit_user_password)
    q = ssub.add_parser("add-web-admin",
                        help="create an administrator of the server's web pages, who manages the handling units' "
                             "accounts at /admin (the password is asked here, or read from --password-env)")
    q.add_argument("username")
    q.add_argument("--name", required=True, help="the person's name, e.g. 张伟")
    q.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    _db_args(q, top=False)
    q.set_defaults(handler=_add_web_admin)
    q = ssub.add_parser("web-admin-password", help="set an administrator's password (unlocks it, ends its sessions)")
    q.add_argument("username")
    q.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    _db_args(q, top=False)
    q.set_defaults(handler=_web_admin_password)
    q = ssub.add_parser("disable-web-admin", help="disable an administrator of the web pages (its sessions end)")
    q.add_argument("username")
    _db_args(q, top=False)
    q.set_defaults(handler=_web_admin_active, active=False)
    q = ssub.add_parser("enable-web-admin", help="enable a disabled administrator of the web pages again")
    q.add_argument("username")
    _db_args(q, top=False)
    q.set_defaults(handler=_web_admin_active, active=True)
    q = ssub.add_parser("list-unit-users", help="the handling units' accounts")
    _db_args(q, top=False)
    q.set_defaults(handler=_list_unit_users)
    q = ssub.add_parser("unit-reminders",
                        help="send each handling unit its daily reminder of due-soon and overdue cases through the "
                             "notifier (the SMS gateway) to the unit's contact phone; once a day (run it daily)")
    q.add_argument("--gateway", metavar="MODULE:NAME",
                   help="a callable returning the SMS gateway (reception.lifecycle.notify.SmsGateway); default: "
                        "record and print what would be sent")
    _db_args(q, top=False)
    q.set_defaults(handler=_unit_reminders)
    q = ssub.add_parser("trust-admin",
                        help="register an administrator's signing key (the password is asked here and checked "
                             "against the account on the server); shows the key's fingerprint")
    q.add_argument("username")
    q.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    _db_args(q, top=False)
    q.set_defaults(handler=_trust_admin)
    q = ssub.add_parser("import-reference",
                        help="publish the reference data (directory, categories, routing, leaders, roster, "
                             "holidays, desks, users) of a desk data directory, or a reference workbook "
                             "(reception reference export), to every desk")
    q.add_argument("workbook", nargs="?", metavar="FILE.xlsx",
                   help="a reference workbook: directory, units, categories and routing rules")
    q.add_argument("--from", dest="source", metavar="DATA_DIR", help="a desk data directory")
    q.add_argument("--force", action="store_true",
                   help="also overwrite records a desk changed since (e.g. a roster edited at a desk)")
    _db_args(q, top=False)
    q.set_defaults(handler=_import)


def _clock(args: argparse.Namespace) -> Clock:
    """The server's clock: the wall clock, or the one ``--now`` starts (``reception.server.clock``)."""
    return server_clock(getattr(args, "now", None))


@contextlib.contextmanager
def _database(args: argparse.Namespace) -> Iterator[ServerDatabase]:
    """The server database a command works on, closed afterwards; a refusal (``ServerError``) becomes the command's
    message, never a traceback."""
    db = _open(args)
    try:
        yield db
    except ServerError as exc:
        raise ReceptionError(exc.message, key="server") from exc
    finally:
        db.dispose()


def _open(args: argparse.Namespace) -> ServerDatabase:
    from pathlib import Path

    server_dir = getattr(args, "server_dir", None)
    return open_server_database(resolve_db_url(getattr(args, "db", None), server_dir),
                                Path(server_dir).expanduser().resolve() if server_dir else None)


WORKER_ENV = "RECEPTION_SERVER_WORKER"
"""What ``--workers`` hands each worker process (JSON: database URL, server directory, the tests' clock, the
timeouts): uvicorn starts its workers afresh and builds the app in each with ``worker_app``."""


def _run(args: argparse.Namespace) -> int:
    import json
    import os

    import uvicorn

    from reception import heap
    from reception.server.app import create_app
    from reception.server.limits import KEEP_ALIVE, MAX_CONNECTIONS, GuardedH11Protocol

    if bool(args.certfile) != bool(args.keyfile):
        raise ReceptionError("--certfile 与 --keyfile 须同时给出", key="tls_pair")
    if args.workers < 1:
        raise ReceptionError("--workers 至少为 1", key="workers")
    db = _open(args)  # (migrated once here, before any worker starts)
    scheme = "https" if args.certfile else "http"
    print(f"reception server listening on {scheme}://{args.host}:{args.port} (database: {db.dialect}"
          f"{f', {args.workers} worker processes' if args.workers > 1 else ''})", flush=True)
    if args.read_timeout:
        GuardedH11Protocol.head_timeout = args.read_timeout
    if args.body_timeout:
        GuardedH11Protocol.body_timeout = args.body_timeout
    options: dict[str, Any] = dict(
        host=args.host, port=args.port, ssl_certfile=args.certfile, ssl_keyfile=args.keyfile, log_level="warning",
        access_log=False, http=GuardedH11Protocol, limit_concurrency=args.max_connections or MAX_CONNECTIONS,
        timeout_keep_alive=KEEP_ALIVE, h11_max_incomplete_event_size=16 * 1024, backlog=512)
    if args.workers > 1:
        if db.dialect == "sqlite":
            print("note: several workers over SQLite take turns to write; use PostgreSQL for several workers",
                  flush=True)
        os.environ[WORKER_ENV] = json.dumps({
            "db": db.url, "server_dir": str(db.server_dir), "now": args.now,
            "head_timeout": GuardedH11Protocol.head_timeout, "body_timeout": GuardedH11Protocol.body_timeout})
        db.dispose()
        # (uvicorn's supervisor: the workers share the listening socket, a dead worker is replaced)
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=args.workers, **options)
        return 0
    app = create_app(db, now=_clock(args))
    heap.settle()  # (full collections then skip the start-up heap: they cost a fifth of a large push)
    uvicorn.run(app, **options)
    return 0


def worker_app() -> Any:
    """The app of one ``--workers`` process (uvicorn calls it in each worker), from ``WORKER_ENV``."""
    import json
    import os
    from pathlib import Path

    from reception import heap
    from reception.server.app import create_app
    from reception.server.db import ServerDatabase
    from reception.server.limits import GuardedH11Protocol

    given = json.loads(os.environ[WORKER_ENV])
    GuardedH11Protocol.head_timeout = float(given["head_timeout"])
    GuardedH11Protocol.body_timeout = float(given["body_timeout"])
    db = ServerDatabase(given["db"], Path(given["server_dir"]))  # (already migrated by the supervisor)
    app = create_app(db, now=server_clock(given.get("now")))
    heap.settle()
    return app


def _trust_admin(args: argparse.Namespace) -> int:
    import getpass
    import os

    from reception.server.authority import trust_admin

    if args.password_env:
        password = os.environ.get(args.password_env, "")
        if not password:
            raise ReceptionError(f"环境变量 {args.password_env} 未设置", key="password_env")
    else:
        password = getpass.getpass(f"管理员“{args.username}”的密码：")
    with _database(args) as db, db.session() as s:
        user_id, fingerprint = trust_admin(s, args.username, password)
    print(f"已登记管理员“{args.username}”（{user_id}）的签名密钥，指纹：{fingerprint}")
    print("请与管理员在工位上看到的指纹核对（reception user signing-key）。")
    return 0


def _add_desk(args: argparse.Namespace) -> int:
    from reception.server.service import add_desk

    with _database(args) as db:
        client_id, code = add_desk(db, args.name)
    print(f"工位“{args.name}”已创建（{client_id}）。一次性登记码：{code}")
    print(f"在该工位运行：reception enroll --server <服务器地址> --code {code}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from reception.server.service import revoke

    with _database(args) as db:
        view = revoke(db, args.code)
    print(f"已停用：{view.name} {view.desk_code}（{view.id}）")
    return 0


def _list(args: argparse.Namespace) -> int:
    from reception.server.service import list_clients

    with _database(args) as db:
        views = list_clients(db)
    states = {"waiting": "待登记", "enrolled": "已登记", "revoked": "已停用"}
    for v in views:
        seen = v.last_seen_at.isoformat(timespec="seconds") if v.last_seen_at else "-"
        print(f"{v.kind}\t{v.desk_code or '-'}\t{v.name}\t{states[v.state]}\t最近连接 {seen}\t{v.id}")
    if not views:
        print("（尚无工位）", file=sys.stderr)
    return 0


def _add_unit(args: argparse.Namespace) -> int:
    from reception.server.service import add_unit

    with _database(args) as db:
        client_id, token = add_unit(db, args.unit)
    print(f"单位令牌（只显示这一次，请妥善保管）：{token}")
    print(f"client id: {client_id}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reception.reference.store import ReferenceImportError
    from reception.server.service import import_reference, import_reference_workbook

    if bool(args.source) == bool(args.workbook):
        raise ReceptionError("请给出一个基础数据工作簿（FILE.xlsx）或 --from 数据目录（二者选一）", key="import_source")
    with _database(args) as db:
        try:
            if args.workbook:
                counts = import_reference_workbook(db, Path(args.workbook).expanduser().resolve(), force=args.force)
            else:
                counts = import_reference(db, Path(args.source).expanduser().resolve(), force=args.force)
        except ReferenceImportError as exc:
            print(f"工作簿有{len(exc.issues)}处问题，未发布任何数据：", file=sys.stderr)
            for issue in exc.issues:
                print(f"  {issue.text}", file=sys.stderr)
            return 1
    changed = sum(counts.values())
    print(f"已发布基础数据 {changed} 条：" + "，".join(f"{t} {n}" for t, n in counts.items() if n))
    if counts.kept:
        print(f"另有 {sum(counts.kept.values())} 条已在工位上修改过，未覆盖（"
              + "，".join(f"{t} {n}" for t, n in counts.kept.items())
              + "）；确需以本数据目录为准时请加 --force")
    return 0


def _password(args: argparse.Namespace, prompt: str) -> str:
    import getpass
    import os

    if args.password_env:
        password = os.environ.get(args.password_env, "")
        if not password:
            raise ReceptionError(f"环境变量 {args.password_env} 未设置", key="password_env")
        return password
    return getpass.getpass(prompt)


def _add_unit_user(args: argparse.Namespace) -> int:
    from reception.server.unit_accounts import UnitRole, add_unit_user

    password = _password(args, f"单位账户“{args.username}”的密码：")
    with _database(args) as db:
        user_id = add_unit_user(db, args.unit, args.username, args.name, args.role, password, must_change=True)
    print(f"已创建单位账户“{args.username}”（{args.name}，{UnitRole.parse(args.role).label}，{user_id}）。"
          "请在浏览器打开 <服务器地址>/unit 登录；首次登录须修改初始密码。")
    return 0


def _add_web_admin(args: argparse.Namespace) -> int:
    from reception.server.admin_accounts import add_web_admin

    password = _password(args, f"管理员“{args.username}”的密码：")
    now = _clock(args)()
    with _database(args) as db:
        admin_id = add_web_admin(db, args.username, args.name, password, now=now)
    print(f"已创建系统管理员“{args.username}”（{args.name}，{admin_id}）。请在浏览器打开 <服务器地址>/admin 登录，"
          "管理责任单位的网上办理账户。")
    return 0


def _web_admin_password(args: argparse.Namespace) -> int:
    from reception.server.admin_accounts import set_web_admin_password

    password = _password(args, f"管理员“{args.username}”的新密码：")
    now = _clock(args)()
    with _database(args) as db:
        set_web_admin_password(db, args.username, password, now=now)
    print(f"已设置管理员“{args.username}”的密码（账户已解锁，原有登录已失效）。")
    return 0


def _web_admin_active(args: argparse.Namespace) -> int:
    from reception.server.admin_accounts import set_web_admin_active

    now = _clock(args)()
    with _database(args) as db:
        set_web_admin_active(db, args.username, args.active, now=now)
    print(f"已{'启用' if args.active else '停用'}管理员“{args.username}”。")
    return 0


def _unit_user_password(args: argparse.Namespace) -> int:
    from reception.server.unit_accounts import set_password

    password = _password(args, f"单位账户“{args.username}”的新密码：")
    with _database(args) as db:
        set_password(db, args.username, password)
    print(f"已设置单位账户“{args.username}”的密码（账户已解锁）。")
    return 0


def _list_unit_users(args: argparse.Namespace) -> int:
    from reception.server.unit_accounts import list_unit_users

    now = _clock(args)()
    with _database(args) as db:
        rows = list_unit_users(db)
    for account, active, locked_until in rows:
        state = "已停用" if not active else (f"锁定至 {locked_until.isoformat(timespec='minutes')}"
                                            if locked_until and locked_until > now else "可用")
        print(f"{account.unit_name}\t{account.username}\t{account.display_name}\t{account.role_label}\t{state}")
    if not rows:
        print("（尚无单位账户）", file=sys.stderr)
    return 0


def _unit_reminders(args: argparse.Namespace) -> int:
    import importlib

    from reception.db.base import CHINA_TZ
    from reception.lifecycle.notify import RecordingGateway, SmsGateway
    from reception.server.unit_accounts import unit_name
    from reception.server.unit_work import send_digests

    gateway: SmsGateway
    if args.gateway:
        module, _, name = args.gateway.partition(":")
        gateway = getattr(importlib.import_module(module), name or "gateway")()
    else:
        gateway = RecordingGateway()
    now = _clock(args)()
    with _database(args) as db:
        rows = send_digests(db, gateway, now.astimezone(CHINA_TZ).date(), now=now)
        with db.read() as s:
            names = {row.unit_id: unit_name(s, row.unit_id) for row in rows}
    states = {"sent": "已发送", "failed": "发送失败", "no_contact": "单位未登记联系电话"}
    for row in rows:
        print(f"{names.get(row.unit_id) or row.unit_id}\t临期{row.due_soon}\t超期{row.overdue}\t"
              f"{states.get(row.status, row.status)}")
    if isinstance(gateway, RecordingGateway):
        for phone, text in gateway.sent:
            print(f"（未接短信网关，未实际发送）{phone[:3]}****{phone[-4:]}：{text}")
    print(f"今日提醒 {len(rows)} 个单位")
    return 0
