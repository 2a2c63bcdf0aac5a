"""Environment errors are not bugs: a full disk, a read-only data directory, a locked database or a lost database
connection are told apart from programming errors and given a clear Chinese message (desk, command line, server).

``environment_reason(exc)`` walks the exception and its causes; it returns '' for anything else (a real bug, which
must still surface as one).
"""

from __future__ import annotations

import errno

DISK_FULL = "磁盘空间已满，无法写入数据（未写入任何内容）。请清理磁盘空间后重试。"
READ_ONLY = "数据目录只读或没有写入权限（未写入任何内容）。请检查文件夹的权限或磁盘是否被设为只读。"
LOCKED = "数据库正被其他程序占用（已锁定），请稍后重试。"
NO_DATABASE = "无法打开数据库文件：数据目录不存在或无法访问。"
CONNECTION = "与数据库服务器的连接中断，请稍后重试（未写入任何内容）。"


def environment_reason(exc: BaseException) -> str:
    """The Chinese message for an environment error anywhere in ``exc``'s chain, or ''."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = _one(current)
        if reason:
            return reason
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return ""


def _one(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return DISK_FULL
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
    text = str(exc).lower()
    if "database or disk is full" in text or "no space left" in text or "disk full" in text:
        return DISK_FULL
    if "readonly database" in text or "read-only file system" in text or "read only" in text:
        return READ_ONLY
    if "database is locked" in text or "database table is locked" in text:
        return LOCKED
    if "unable to open database file" in text:
        return NO_DATABASE
    module = type(exc).__module__
    if module.startswith("psycopg") and type(exc).__name__ in ("OperationalError", "InterfaceError"):
        return CONNECTION
    if "server closed the connection" in text or "connection refused" in text or "terminating connection" in text:
        return CONNECTION
    return ""
