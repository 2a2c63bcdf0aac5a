"""``reception user add|passwd|reset|unlock|list`` and ``reception audit verify``.

The command runs under the operating-system account that owns the data directory: it acts as the system
(``actor_id=None``, see ``reception.security.permissions``) and is audited as such. Passwords are read from the
terminal without echo (``getpass``) or, for scripts, from the environment variable named by ``--password-env``:
never from the command line, where other users could read them in the process list.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from typing import Any

from reception.domain.enums import Role
from reception.domain.errors import FieldError
from reception.paths import DATA_DIR_ENV, resolve_data_dir


def _data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR", help=f"data directory (default: ${DATA_DIR_ENV} or the per-user one)")


def _password_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-env", metavar="VAR",
                   help="read the password from this environment variable (default: ask without echo)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="staff accounts (账户): add, set or reset a password, unlock, list")
    usub = user.add_subparsers(dest="user_command", required=True)
    p = usub.add_parser("add", help="a new account")
    p.add_argument("username")
    p.add_argument("display_name", help="the name shown in the app")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--unit", metavar="UNIT_CODE", help="the handling unit of a unit_staff account")
    p.add_argument("--no-password", action="store_true", help="create without a password (set it later)")
    _password_arg(p)
    _data_dir(p)
    p.set_defaults(handler=_add)
    p = usub.add_parser("passwd", help="set an account's password (no change required at the next sign-in)")
    p.add_argument("username")
    _password_arg(p)
    _data_dir(p)
    p.set_defaults(handler=_passwd)
    p = usub.add_parser("reset", help="reset a password: the user must change it at the next sign-in")
    p.add_argument("username")
    _password_arg(p)
    _data_dir(p)
    p.set_defaults(handler=_reset)
    p = usub.add_parser("unlock", help="unlock an account locked after wrong passwords")
    p.add_argument("username")
    _data_dir(p)
    p.set_defaults(handler=_unlock)
    p = usub.add_parser("signing-key", help="the fingerprint of an account's signing key (asks its password): "
                                           "compare it with the one 'reception server trust-admin' shows")
    p.add_argument("username")
    _password_arg(p)
    _data_dir(p)
    p.set_defaults(handler=_signing_key)
    p = usub.add_parser("list", help="every account with its role and state")
    _data_dir(p)
    p.set_defaults(handler=_list)

    key = sub.add_parser("key", help="the data key that encrypts ID numbers and phones (数据密钥)")
    ksub = key.add_subparsers(dest="key_command", required=True)
    p = ksub.add_parser("where", help="where this installation keeps its data key")
    p.set_defaults(handler=_key_where)
    p = ksub.add_parser("export", help="write the data key to a backup file (keep it offline, e.g. in a safe)")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(handler=_key_export)
    p = ksub.add_parser("import", help="restore the data key from a backup file (after reinstalling Windows)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--data-dir", metavar="DIR", help="check the key against this data directory first")
    p.set_defaults(handler=_key_import)

    audit = sub.add_parser("audit", help="the audit trail (审计日志)")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    p = asub.add_parser("verify", help="check the hash chains: finds edited and deleted entries (exit 1 if any)")
    _data_dir(p)
    p.set_defaults(handler=_verify)


def _password(args: argparse.Namespace, *, confirm: bool = True) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise FieldError("password", f"环境变量 {args.password_env} 未设置或为空", key="password_env_missing")
        return value
    first = getpass.getpass("密码：")
    if confirm and getpass.getpass("再输一次：") != first:
        raise FieldError("password", "两次输入的密码不一致", key="password_mismatch")
    return first


def _open(args: argparse.Namespace) -> Any:
    from reception.bootstrap import open_data_dir

    return open_data_dir(resolve_data_dir(args.data_dir))


def _add(args: argparse.Namespace) -> int:
    from reception.security.accounts import add_user

    password = None if args.no_password else _password(args)
    ctx = _open(args)
    try:
        add_user(ctx, args.username, args.display_name, args.role, password=password, unit_code=args.unit,
                 actor_id=None)
    finally:
        ctx.close()
    print(f"已新建账户：{args.username}（{Role.label_of(args.role)}）")
    return 0


def _signing_key(args: argparse.Namespace) -> int:
    from reception.security.accounts import authenticate
    from reception.sync.proof import fingerprint, public_key_for

    password = _password(args, confirm=False)
    ctx = _open(args)
    try:
        user = authenticate(ctx, args.username, password)
    finally:
        ctx.close()
    print(f"账户“{user.username}”的签名密钥指纹：{fingerprint(public_key_for(user.user_id, password))}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from reception.security.accounts import set_password

    password = _password(args)
    ctx = _open(args)
    try:
        set_password(ctx, args.username, password, actor_id=None)
    finally:
        ctx.close()
    print(f"已设置 {args.username} 的密码")
    return 0


def _reset(args: argparse.Namespace) -> int:
    from reception.security.accounts import reset_password

    password = _password(args)
    ctx = _open(args)
    try:
        reset_password(ctx, args.username, password, actor_id=None)
    finally:
        ctx.close()
    print(f"已重置 {args.username} 的密码（下次登录须修改密码），账户已解锁")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from reception.security.accounts import unlock

    ctx = _open(args)
    try:
        unlock(ctx, args.username, actor_id=None)
    finally:
        ctx.close()
    print(f"已解锁 {args.username}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from reception.db.base import to_local
    from reception.security.accounts import list_accounts

    ctx = _open(args)
    try:
        accounts = list_accounts(ctx, actor_id=None)
        now = ctx.now()
    finally:
        ctx.close()
    for a in accounts:
        state = "停用" if not a.active else ("未设密码" if not a.has_password else "正常")
        if a.locked_until is not None and a.locked_until > now:
            state = f"锁定至 {to_local(a.locked_until):%Y-%m-%d %H:%M}"
        elif a.must_change_password:
            state += "（须改密码）"
        unit = f"  {a.unit}" if a.unit else ""
        print(f"{a.username:<16} {a.display_name:<10} {a.role_label:<10} {state}{unit}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from reception.security.audit import ChainReport, verify
    from reception.sync.desk import audit_against_server

    ctx = _open(args)
    try:
        with ctx.db.read() as session:
            report = verify(session)
        against, note = audit_against_server(ctx)
    finally:
        ctx.close()
    if against:
        report.chains.append(ChainReport("服务器核对", problems=against))
    if note:
        print(note, file=sys.stderr)
    for chain in report.chains:
        state = "完好" if not chain.problems else f"发现{len(chain.problems)}处问题"
        print(f"工位链 {chain.chain}：{chain.entries}条，{state}，链尾哈希 {chain.head[:16]}")
    if not report.triggers:
        print("警告：审计表的只追加保护（触发器）缺失，下次打开数据目录时将自动恢复", file=sys.stderr)
    for problem in report.problems:
        print(problem)
    if report.ok:
        print("审计日志校验通过")
        return 0
    print("审计日志校验失败：记录被修改或删除", file=sys.stderr)
    return 1


def _key_where(_args: argparse.Namespace) -> int:
    from reception.security.crypto import load_master_key

    _master, source = load_master_key(create=False)
    print("数据密钥保存在：" + ("操作系统凭据管理器（keyring）" if source == "keyring" else source))
    return 0


def _key_export(args: argparse.Namespace) -> int:
    import base64
    from pathlib import Path

    from reception.security.crypto import load_master_key

    master, _source = load_master_key(create=False)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(base64.b64encode(master).decode("ascii") + "\n", encoding="utf-8")
    with contextlib.suppress(OSError):
        os.chmod(out, 0o600)
    print(f"数据密钥已导出到 {out}。请离线妥善保管：持有它和数据库副本的人可以读出证件号码和电话。")
    return 0


def _key_import(args: argparse.Namespace) -> int:
    import base64
    from pathlib import Path

    from reception.security import crypto

    master = base64.b64decode(Path(args.file).read_text(encoding="utf-8").strip())
    where = crypto.store_master_key(master)
    crypto.reset_keys()
    if args.data_dir:
        _open(args).close()  # refuses with a clear message when the key does not fit the database
    print("数据密钥已恢复到：" + ("操作系统凭据管理器（keyring）" if where == "keyring" else where))
    return 0
