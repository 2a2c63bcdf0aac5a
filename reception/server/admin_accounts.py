"""The server's web administrators (``/admin``) and what they do to the handling units' accounts.

How an administrator is known to the server's web pages: by a server-side account of its own (``web_admin``),
created on the server machine with ``reception server add-web-admin`` (whoever can run commands there already
holds the database). Not the desks' synced 系统管理员 accounts: their password changes at a desk, and their lockout
count belongs to the desks; nor the Ed25519 keys of ``trust-admin``, which sign sync mutations and need a desk to
hold the private half. Passwords and lockout are the desk's own (``reception.security.accounts``: Argon2id,
``MAX_FAILURES`` wrong passwords lock the account for ``LOCK_MINUTES``; an unknown name is answered like a wrong
password). Sessions are rows of ``admin_session`` (only the cookie's SHA-256), so every server process knows them,
with the unit sessions' idle and absolute limits; a table of their own, so a unit's session is never taken for an
administrator's. Everything is audited in ``admin_audit``; the changes to a unit's accounts also in that unit's
``unit_audit``.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.db.base import CHINA_TZ, utcnow
from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.security.accounts import check_attempt, check_password_policy, hash_password
from reception.server import limits, web_sessions
from reception.server.db import ServerDatabase
from reception.server.models import AdminAudit, AdminSession, UnitUser, WebAdmin, WebSession
from reception.server.unit_accounts import UnitRole, add_unit_user, audit, unit_name

COOKIE = "admin_session"
CLI = "cli"
"""The ``admin_id`` of what a command run on the server did."""
USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,64}")


@dataclass(frozen=True, slots=True)
class AdminAccount:
    admin_id: str
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class AdminSignedIn:
    account: AdminAccount
    csrf: str


@dataclass(frozen=True, slots=True)
class UnitAccountRow:
    """One unit account as the administrators' page lists it."""

    user_id: str
    username: str
    display_name: str
    role: str
    role_label: str
    unit_id: str
    unit_name: str
    active: bool
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def state(self, now: datetime) -> str:
        if not self.active:
            return "已停用"
        if self.locked(now) and self.locked_until is not None:
            return f"已锁定（至{self.locked_until.astimezone(CHINA_TZ):%H:%M}，密码连续输错）"
        return "可用"


def admin_audit(session: Session, admin_id: str, action: str, *, target: str = "", detail: str = "",
                at: datetime | None = None) -> None:
    session.add(AdminAudit(admin_id=admin_id, action=action, target=target[:64], detail=detail[:500],
                           at=at or utcnow()))


def new_password() -> str:
    """An initial password that meets the desk's policy (letters and digits, 12 characters, no look-alikes)."""
    letters = "".join(c for c in string.ascii_letters if c not in "lIO")
    digits = "23456789"
    while True:
        text = "".join(secrets.choice(letters + digits) for _ in range(12))
        if any(c in letters for c in text) and any(c in digits for c in text):
            return text


def add_web_admin(db: ServerDatabase, username: str, display_name: str, password: str, *,
                  now: datetime | None = None) -> str:
    """A new administrator of the web pages (``reception server add-web-admin``); returns its id."""
    now = now or utcnow()
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise FieldError("username", "用户名应为2至64位字母、数字或 _ . -", key="username_invalid")
    if not display_name.strip():
        raise FieldError("display_name", "请填写姓名", key="display_name_required")
    check_password_policy(password, field="password", username=username)
    with db.session() as s:
        if s.scalar(select(WebAdmin.id).where(WebAdmin.username == username)) is not None:
            raise FieldError("username", f"管理员“{username}”已存在", key="username_taken")
        admin = WebAdmin(username=username, display_name=display_name.strip(), password_hash=hash_password(password),
                         active=True, failed_attempts=0, created_at=now, password_changed_at=now)
        s.add(admin)
        s.flush()
        admin_audit(s, CLI, "admin_added", target=username, at=now)
        return admin.id


def _web_admin(s: Session, username: str) -> WebAdmin:
    admin = s.scalar(select(WebAdmin).where(WebAdmin.username == username.strip()))
    if admin is None:
        raise NotFoundError(f"没有管理员“{username.strip()}”", key="web_admin_not_found")
    return admin


def set_web_admin_password(db: ServerDatabase, username: str, password: str, *, now: datetime | None = None) -> None:
    """A new password for an administrator (``reception server web-admin-password``): unlocked, its sessions
    ended; audited as done from the server's command line."""
    now = now or utcnow()
    with db.session() as s:
        admin = _web_admin(s, username)
        check_password_policy(password, field="新密码", username=admin.username)
        admin.password_hash, admin.failed_attempts, admin.locked_until = hash_password(password), 0, None
        admin.password_changed_at = now
        s.execute(delete(AdminSession).where(AdminSession.admin_id == admin.id))
        admin_audit(s, CLI, "admin_password_reset", target=admin.username, at=now)


def set_web_admin_active(db: ServerDatabase, username: str, active: bool, *, now: datetime | None = None) -> None:
    """Enable or disable an administrator (``reception server enable-web-admin`` / ``disable-web-admin``);
    disabled: refused at sign-in, its sessions ended."""
    now = now or utcnow()
    with db.session() as s:
        admin = _web_admin(s, username)
        admin.active = active
        if not active:
            s.execute(delete(AdminSession).where(AdminSession.admin_id == admin.id))
        admin_audit(s, CLI, "admin_enabled" if active else "admin_disabled", target=admin.username, at=now)


def _account(admin: WebAdmin) -> AdminAccount:
    return AdminAccount(admin.id, admin.username, admin.display_name)


def sign_in(db: ServerDatabase, username: str, password: str, *, now: datetime | None = None) -> tuple[
        str, AdminSignedIn]:
    """Check the password under the lockout rules; a new session: (the cookie value, the session). Raises the
    desk's ``LoginFailed`` / ``AccountLocked``; the failure count and the audit are committed all the same."""
    now = now or utcnow()
    username = username.strip()
    outcome: ReceptionError | tuple[str, AdminSignedIn]
    with db.session() as s:
        admin = s.scalar(select(WebAdmin).where(WebAdmin.username == username)) if username else None
        if admin is None or not admin.active:
            outcome = limits.refuse_unknown_name(s, "admin", username, password, now)
            admin_audit(s, "", "login_failed", target=username[:64], detail="unknown", at=now)
        else:
            attempt = check_attempt(admin, password, now)
            if attempt is None:
                outcome = ReceptionError("该管理员账户尚未设置密码。", key="no_password")
            else:
                admin_audit(s, admin.id, attempt.action, target=admin.username, detail=attempt.detail, at=now)
                if attempt.error is not None:
                    outcome = attempt.error
                else:
                    token, csrf = web_sessions.start(s, SESSIONS, admin.id, now)
                    outcome = (token, AdminSignedIn(_account(admin), csrf))
    if isinstance(outcome, ReceptionError):
        raise outcome
    return outcome


def _signed_in(s: Session, row: web_sessions.SessionRow) -> AdminSignedIn | None:
    admin = s.get(WebAdmin, getattr(row, "admin_id", None))
    return None if admin is None or not admin.active else AdminSignedIn(_account(admin), row.csrf)


def _signed_out(s: Session, row: web_sessions.SessionRow, now: datetime | None) -> None:
    admin_id = str(getattr(row, "admin_id", ""))
    admin = s.get(WebAdmin, admin_id)
    admin_audit(s, admin_id, "logout", target=admin.username if admin else "", at=now)


SESSIONS = web_sessions.SessionTable(AdminSession, "admin_id", _signed_in, _signed_out)
"""The administrators' sessions (``reception.server.web_sessions``)."""


def resolve(db: ServerDatabase, token: str, *, now: datetime | None = None) -> AdminSignedIn | None:
    """The administrator's session of a cookie, or None (unknown, expired, the account disabled)."""
    return web_sessions.resolve(db, SESSIONS, token, now=now)


def end(db: ServerDatabase, token: str, *, now: datetime | None = None) -> None:
    """Sign out: the session is deleted."""
    web_sessions.end(db, SESSIONS, token, now=now)


# -- the units' accounts -----------------------------------------------------------------------------------------


def unit_accounts(db: ServerDatabase) -> list[UnitAccountRow]:
    """Every unit account, by unit then user name."""
    with db.read() as s:
        users = list(s.scalars(select(UnitUser).order_by(UnitUser.unit_id, UnitUser.username)))
        names = {u.unit_id: unit_name(s, u.unit_id) for u in users}
    rows = [UnitAccountRow(u.id, u.username, u.display_name, u.role, UnitRole(u.role).label, u.unit_id,
                           names[u.unit_id], u.active, u.locked_until) for u in users]
    return sorted(rows, key=lambda r: (r.unit_name, r.username))


def create_unit_user(db: ServerDatabase, admin: AdminAccount, unit: str, username: str, display_name: str,
                     role: str, password: str, *, now: datetime) -> tuple[str, str]:
    """A new unit account made by ``admin``; ``password`` "" gets a generated one. Its user changes it at the
    first sign-in. Returns (the account id, the generated password or "")."""
    generated = "" if password else new_password()
    user_id = add_unit_user(db, unit, username, display_name, role, password or generated, now=now,
                            by=admin.admin_id, must_change=True)
    with db.session() as s:
        admin_audit(s, admin.admin_id, "unit_user_added", target=username.strip(),
                    detail=f"{UnitRole.parse(role).value}{' generated' if generated else ''}", at=now)
    return user_id, generated


def _unit_user(s: Session, user_id: str) -> UnitUser:
    user = s.get(UnitUser, user_id)
    if user is None:
        raise NotFoundError("没有该单位账户", key="unit_user_not_found")
    return user


def reset_password(db: ServerDatabase, admin: AdminAccount, user_id: str, password: str, *, now: datetime) -> tuple[
        str, str]:
    """Set a unit account's password (``password`` "" gets a generated one), unlock it and end its sessions; its
    user changes it at the next sign-in. Returns (the user name, the generated password or "")."""
    generated = "" if password else new_password()
    with db.session() as s:
        user = _unit_user(s, user_id)
        check_password_policy(password or generated, field="new_password", username=user.username)
        user.password_hash, user.failed_attempts, user.locked_until = hash_password(password or generated), 0, None
        user.password_changed_at, user.must_change_password = now, True
        s.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit(s, admin.admin_id, user.unit_id, "password_reset", detail=user.username, at=now)
        admin_audit(s, admin.admin_id, "password_reset", target=user.username,
                    detail="generated" if generated else "set", at=now)
        return user.username, generated


def set_active(db: ServerDatabase, admin: AdminAccount, user_id: str, active: bool, *, now: datetime) -> str:
    """Enable or disable a unit account (disabled: refused at sign-in, its sessions ended). Returns its user
    name."""
    with db.session() as s:
        user = _unit_user(s, user_id)
        user.active = active
        if not active:
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
        action = "user_enabled" if active else "user_disabled"
        audit(s, admin.admin_id, user.unit_id, action, detail=user.username, at=now)
        admin_audit(s, admin.admin_id, action, target=user.username, at=now)
        return user.username


def unlock(db: ServerDatabase, admin: AdminAccount, user_id: str, *, now: datetime) -> str:
    """Lift a unit account's lock (and its count of wrong passwords). Returns its user name."""
    with db.session() as s:
        user = _unit_user(s, user_id)
        user.failed_attempts, user.locked_until = 0, None
        audit(s, admin.admin_id, user.unit_id, "user_unlocked", detail=user.username, at=now)
        admin_audit(s, admin.admin_id, "user_unlocked", target=user.username, at=now)
        return user.username
