"""Handling units' accounts on the central server, their browser sessions and the forms' anti-forgery tokens.

A township office has no reception desk PC: its staff sign in to the server's ``/unit`` pages. Accounts belong to
one unit (a synced ``unit`` record) with one of two roles, 工作人员 (``unit_staff``) and 单位负责人 (``unit_head``,
who approves extensions). Passwords and lockout are the desk's own (``reception.security.accounts``: Argon2id,
``MAX_FAILURES`` wrong passwords lock the account for ``LOCK_MINUTES``; an unknown name gets the same answer as a
wrong password).

Sessions live in the database, so several server processes share them: the browser holds an opaque random cookie
(HttpOnly, SameSite=Lax, Secure over HTTPS), the database only its SHA-256. A session ends after ``IDLE`` without a
request, after ``MAX_AGE`` in any case, and at sign-out. Each session has its own CSRF token that every form sends
back; a form without it, or with another session's, is refused.

A password someone else gave (an administrator opening the account on ``/admin`` or with ``reception server
add-unit-user``, or resetting it on ``/admin``) must be changed by its user at the first sign-in: the account's
``must_change_password`` travels on the resolved session, and ``/unit`` shows only the change page
(``change_password``) until it is done.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.db.base import utcnow
from reception.domain.errors import FieldError, ReceptionError
from reception.security.accounts import LoginFailed, check_attempt, check_password_policy, hash_password
from reception.server import limits, web_sessions
from reception.server.db import ServerDatabase
from reception.server.models import Record, UnitAudit, UnitUser, WebSession
from reception.server.service import ServerError, hash_secret
from reception.server.web_sessions import IDLE as IDLE
from reception.server.web_sessions import MAX_AGE as MAX_AGE

COOKIE = "unit_session"
Clock = Callable[[], datetime]


class UnitRole(Enum):
    STAFF = "unit_staff"
    HEAD = "unit_head"

    @property
    def label(self) -> str:
        return {"unit_staff": "工作人员", "unit_head": "单位负责人"}[self.value]

    @classmethod
    def parse(cls, text: str) -> UnitRole:
        text = text.strip()
        for role in cls:
            if text in (role.value, role.label, role.name.lower()):
                return role
        raise FieldError("role", f"未知角色：{text}（可选：unit_staff 工作人员、unit_head 单位负责人）",
                         key="unit_role_unknown")


@dataclass(frozen=True, slots=True)
class UnitAccount:
    """A signed-in unit user (a plain value for the pages, never the ORM row)."""

    user_id: str
    username: str
    display_name: str
    role: str
    unit_id: str
    unit_name: str
    must_change_password: bool = False
    """The password was given by someone else: the pages ask for a new one before anything else."""

    @property
    def is_head(self) -> bool:
        return self.role == UnitRole.HEAD.value

    @property
    def role_label(self) -> str:
        return UnitRole(self.role).label


@dataclass(frozen=True, slots=True)
class SignedInSession:
    account: UnitAccount
    csrf: str


def audit(session: Session, user_id: str, unit_id: str, action: str, *, case_id: str = "", detail: str = "",
          at: datetime | None = None) -> None:
    session.add(UnitAudit(user_id=user_id, unit_id=unit_id, action=action, case_id=case_id, detail=detail[:500],
                          at=at or utcnow()))


def find_unit(session: Session, ref: str) -> tuple[str, dict[str, object]]:
    """A unit of the synced directory by code or id."""
    ref = ref.strip()
    for rid, data in session.execute(select(Record.record_id, Record.data)
                                     .where(Record.table_name == "unit", Record.deleted.is_(False))):
        if data and (rid == ref or data.get("code") == ref):
            return rid, data
    raise ServerError(404, f"服务器上没有单位“{ref}”（请先导入基础数据）")


def unit_name(session: Session, unit_id: str) -> str:
    row = session.get(Record, ("unit", unit_id))
    return str((row.data or {}).get("name", "")) if row is not None else ""


def add_unit_user(db: ServerDatabase, unit: str, username: str, display_name: str, role: str, password: str,
                  *, now: datetime | None = None, by: str = "admin", must_change: bool = False) -> str:
    """A new account of ``unit`` (code or id). The password follows the desk's policy. Returns the account id.
    ``by``: who made it, for the unit's audit (an administrator's id on the web pages; "admin" for the command).
    ``must_change``: the user must change the password at the first sign-in (an administrator gave it)."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{2,64}", username):
        raise FieldError("username", "用户名应为2至64位字母、数字或 _ . -", key="username_invalid")
    if not display_name.strip():
        raise FieldError("display_name", "请填写姓名", key="display_name_required")
    parsed = UnitRole.parse(role)
    check_password_policy(password, field="password", username=username)
    with db.session() as s:
        unit_id, _data = find_unit(s, unit)
        if s.scalar(select(UnitUser.id).where(UnitUser.username == username)) is not None:
            raise FieldError("username", f"用户名“{username}”已存在", key="username_taken")
        user = UnitUser(unit_id=unit_id, username=username, display_name=display_name.strip(), role=parsed.value,
                        password_hash=hash_password(password), active=True, failed_attempts=0,
                        password_changed_at=now or utcnow(), must_change_password=must_change)
        s.add(user)
        s.flush()
        audit(s, by, unit_id, "user_added", detail=f"{username} {parsed.value}", at=now)
        return user.id


def list_unit_users(db: ServerDatabase) -> list[tuple[UnitAccount, bool, datetime | None]]:
    """Every unit account with whether it is active and until when it is locked."""
    with db.read() as s:
        users = list(s.scalars(select(UnitUser).order_by(UnitUser.unit_id, UnitUser.username)))
        names = {u.unit_id: unit_name(s, u.unit_id) for u in users}
        return [(_account(u, names[u.unit_id]), u.active, u.locked_until) for u in users]


def _account(user: UnitUser, unit: str) -> UnitAccount:
    return UnitAccount(user.id, user.username, user.display_name, user.role, user.unit_id, unit,
                       bool(user.must_change_password))


def sign_in(db: ServerDatabase, username: str, password: str, *, now: datetime | None = None) -> tuple[str,
                                                                                                      SignedInSession]:
    """Check the password under the lockout rules; a new session: (the cookie value, shown once; the session).
    Raises the desk's ``LoginFailed`` / ``AccountLocked``; the failure count is committed all the same."""
    now = now or utcnow()
    username = username.strip()
    outcome: ReceptionError | tuple[str, SignedInSession]
    with db.session() as s:
        user = s.scalar(select(UnitUser).where(UnitUser.username == username)) if username else None
        if user is None or not user.active:
            outcome = limits.refuse_unknown_name(s, "unit", username, password, now)
        else:
            attempt = check_attempt(user, password, now)
            if attempt is None:
                outcome = ReceptionError("该账户尚未设置密码，请联系系统管理员设置。", key="no_password")
            else:
                audit(s, user.id, user.unit_id, attempt.action, detail=attempt.detail, at=now)
                if attempt.error is not None:
                    outcome = attempt.error
                else:
                    token, csrf = web_sessions.start(s, SESSIONS, user.id, now)
                    outcome = (token, SignedInSession(_account(user, unit_name(s, user.unit_id)), csrf))
    if isinstance(outcome, ReceptionError):
        raise outcome
    return outcome


def _signed_in(s: Session, row: web_sessions.SessionRow) -> SignedInSession | None:
    user = s.get(UnitUser, getattr(row, "user_id", None))
    if user is None or not user.active:
        return None
    return SignedInSession(_account(user, unit_name(s, user.unit_id)), row.csrf)


def _signed_out(s: Session, row: web_sessions.SessionRow, now: datetime | None) -> None:
    user = s.get(UnitUser, getattr(row, "user_id", None))
    if user is not None:
        audit(s, user.id, user.unit_id, "logout", at=now)


SESSIONS = web_sessions.SessionTable(WebSession, "user_id", _signed_in, _signed_out)
"""The units' sessions (``reception.server.web_sessions``)."""


def resolve(db: ServerDatabase, token: str, *, now: datetime | None = None) -> SignedInSession | None:
    """The session of a cookie, or None (unknown, expired, the account disabled). Each request moves the idle
    deadline on (written at most once a minute)."""
    return web_sessions.resolve(db, SESSIONS, token, now=now)


def end(db: ServerDatabase, token: str, *, now: datetime | None = None) -> None:
    """Sign out: the session is deleted (its cookie means nothing from now on)."""
    web_sessions.end(db, SESSIONS, token, now=now)


def purge_expired(db: ServerDatabase, *, now: datetime | None = None) -> int:
    return web_sessions.purge_expired(db, SESSIONS, now=now)


def csrf_ok(session: SignedInSession, sent: str) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), sent.encode())


def set_password(db: ServerDatabase, username: str, password: str, *, now: datetime | None = None) -> None:
    """The server's command line (``reception server unit-user-password``) sets a unit account's password that
    needs no change (like the desk's ``reception user passwd``), and unlocks it."""
    with db.session() as s:
        user = s.scalar(select(UnitUser).where(UnitUser.username == username.strip()))
        if user is None:
            raise FieldError("username", f"没有用户名为“{username}”的单位账户", key="user_not_found")
        check_password_policy(password, username=user.username)
        user.password_hash, user.failed_attempts, user.locked_until = hash_password(password), 0, None
        user.password_changed_at, user.must_change_password = now or utcnow(), False
        audit(s, "admin", user.unit_id, "password_reset", detail=user.username, at=now)


F_OLD, F_NEW, F_CONFIRM = "old_password", "new_password", "confirm"
"""The change page's fields (``FieldError.field``)."""


def change_password(db: ServerDatabase, user_id: str, old: str, new: str, confirm: str, *, keep_token: str = "",
                    now: datetime | None = None) -> None:
    """The unit user sets their own password (``/unit/password``): the current one checked under the lockout
    rules (a wrong one counts towards the lock), the new one under the desk's policy, different from the current
    one and typed twice alike. Clears ``must_change_password``; the account's other sessions end (``keep_token``:
    the cookie of the one that made the change). Audited in ``unit_audit``. Raises ``FieldError`` on the field
    concerned, or ``AccountLocked``; the failure count is committed all the same."""
    now = now or utcnow()
    if not old:
        raise FieldError(F_OLD, "请输入当前密码", key="old_password_required")
    outcome: ReceptionError | None = None
    with db.session() as s:
        user = s.get(UnitUser, user_id)
        if user is None or not user.active:
            raise FieldError(F_OLD, "账户不可用，请重新登录", key="user_not_found")
        username = user.username
        attempt = check_attempt(user, old, now)
        if attempt is None:
            outcome = FieldError(F_OLD, "该账户尚未设置密码，请联系系统管理员设置。", key="no_password")
        elif attempt.error is not None:
            audit(s, user.id, user.unit_id, attempt.action, detail=f"change_password {attempt.detail}", at=now)
            outcome = (FieldError(F_OLD, "当前密码不正确", key="old_password_wrong")
                       if isinstance(attempt.error, LoginFailed) else attempt.error)
    if outcome is not None:
        raise outcome
    if new == old:
        raise FieldError(F_NEW, "新密码不能与当前密码相同", key="password_same")
    check_password_policy(new, field=F_NEW, username=username)
    if confirm != new:
        raise FieldError(F_CONFIRM, "两次输入的新密码不一致", key="password_mismatch")
    with db.session() as s:
        user = s.get(UnitUser, user_id)
        if user is None or not user.active:
            raise FieldError(F_OLD, "账户不可用，请重新登录", key="user_not_found")
        user.password_hash, user.failed_attempts, user.locked_until = hash_password(new), 0, None
        user.password_changed_at, user.must_change_password = now, False
        others = delete(WebSession).where(WebSession.user_id == user.id)
        if keep_token:
            others = others.where(WebSession.token_hash != hash_secret(keep_token))
        s.execute(others)
        audit(s, user.id, user.unit_id, "password_changed", detail=user.username, at=now)
