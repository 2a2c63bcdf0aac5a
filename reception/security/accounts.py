"""Staff accounts: sign-in with lockout, password change, the administrator's reset and unlock, the account list.

Passwords are hashed with Argon2id (argon2-cffi's defaults: memory-hard, salted, parameters stored in the hash, so
they can be raised later and old hashes re-hashed on the next sign-in). Sign-in works offline with the accounts the
desk holds (the sync branch brings them down from the server). After ``MAX_FAILURES`` wrong passwords in a row the
account is locked for ``LOCK_MINUTES``; the message says how many minutes remain. An unknown user name gets the same
message, and after as many tries the same lock, as a wrong password (``UnknownName``), so the form does not reveal
which accounts exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import Setting, Unit, User
from reception.domain.enums import Role
from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.security import DEMO_PASSWORD as DEMO_PASSWORD  # (defined there; its users import it from here)
from reception.security import audit
from reception.security.permissions import Permission, require

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_LENGTH = 8

F_USERNAME = "username"
F_PASSWORD = "password"
F_NEW_PASSWORD = "new_password"
F_OLD_PASSWORD = "old_password"
F_ROLE = "role"
F_DISPLAY_NAME = "display_name"
F_UNIT = "unit"
F_LOCK_MINUTES = "lock_minutes"

_hasher = PasswordHasher()


class LoginFailed(ReceptionError):
    key = "login_failed"


class AccountLocked(ReceptionError):
    key = "account_locked"

    def __init__(self, message: str, minutes: int) -> None:
        super().__init__(message)
        self.minutes = minutes


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in at the desk (a plain value for the UI, never the ORM row)."""

    user_id: str
    username: str
    display_name: str
    role: str
    unit_id: str | None
    must_change_password: bool

    @property
    def role_label(self) -> str:
        return Role.label_of(self.role)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: str
    username: str
    display_name: str
    role: str
    role_label: str
    unit: str
    active: bool
    has_password: bool
    locked_until: datetime | None
    failed_attempts: int
    must_change_password: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str, *, field: str = F_NEW_PASSWORD, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise FieldError(field, f"密码至少{MIN_LENGTH}位", key="password_short")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise FieldError(field, "密码须同时包含字母和数字", key="password_weak")
    if username and username.lower() in password.lower():
        raise FieldError(field, "密码不能包含用户名", key="password_has_username")


def _signed_in(user: User) -> SignedIn:
    return SignedIn(user.id, user.username, user.display_name, user.role, user.unit_id, user.must_change_password)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def authenticate(ctx: AppContext, username: str, password: str, *, desk_id: str | None = None) -> SignedIn:
    """Check a password. Raises ``LoginFailed`` or ``AccountLocked`` (with the minutes remaining); every attempt on a
    known account is audited. The failure count is committed even though an error is raised."""
    now = ctx.now()
    outcome: SignedIn | ReceptionError
    with ctx.db.write() as session:
        outcome = _authenticate(session, username.strip(), password, now, desk_id)
    if isinstance(outcome, ReceptionError):
        raise outcome
    _hold_signer(ctx, outcome, password)
    return outcome


def _hold_signer(ctx: AppContext, user: SignedIn, password: str) -> None:
    """An administrator signed in at an enrolled desk: keep the key that signs their changes to accounts and the
    centre's reference data (``reception.sync.proof``), derived from the password, in memory; anyone else
    signing in drops it."""
    from reception.sync.outbox import outbox_state, set_signer
    from reception.sync.proof import Signer

    if user.role == Role.ADMIN.value and outbox_state(ctx.db).enabled:
        set_signer(ctx.db, Signer.of(user.user_id, password))
    else:
        set_signer(ctx.db, None)


def forget_signer(ctx: AppContext, user_id: str | None = None) -> None:
    """Forget the signed-in administrator's signing key (lock screen, sign-out); with ``user_id``, only when the key
    held is that user's (a switch of user signs the newcomer in before the one leaving is signed out)."""
    from reception.sync.outbox import attach_outbox, set_signer

    held = attach_outbox(ctx.db).signer
    if user_id is None or (held is not None and held.user_id == user_id):
        set_signer(ctx.db, None)


def _name_next_key(session: Session, user: User, password: str, *, old_password: str | None = None) -> None:
    """At an enrolled desk, a change that sets a password names the account's next key (``reception.sync.proof``);
    a holder changing their own password signs the change with the key of the old one."""
    from reception.sync.outbox import capturing
    from reception.sync.proof import NEXT_KEYS, SIGNERS_KEY, Signer, public_key_for

    if not capturing(session):
        return
    session.flush()  # (a new account gets its id)
    session.info.setdefault(NEXT_KEYS, {})[user.id] = public_key_for(user.id, password)
    if old_password is not None:
        session.info.setdefault(SIGNERS_KEY, {})[("user", user.id)] = Signer.of(user.id, old_password)


WRONG_LOGIN = f"用户名或密码错误（连续输错{MAX_FAILURES}次，账户将被锁定{LOCK_MINUTES}分钟）"
"""The one message for a wrong password, an unknown or a disabled account: the form never tells which accounts
exist (a count of attempts left appeared only for real ones)."""


class Lockable(Protocol):
    """An account that signs in with a password under the lockout rules: a desk ``User``, or a handling unit's
    account on the central server (``reception.server.unit_accounts``)."""

    password_hash: str
    failed_attempts: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one password attempt on an account: ``error`` None when it signed in; ``action`` and ``detail``
    are what to audit (login, login_failed, locked)."""

    error: ReceptionError | None
    action: str
    detail: str = ""


def check_attempt(account: Lockable, password: str, now: datetime) -> Attempt | None:
    """Check a password against ``account`` under the lockout rules, updating its failure count, lock and (when
    the parameters were raised) its hash in place. None for an account without a password (nothing to audit).
    The caller commits the changes even when the attempt failed."""
    locked = _locked(account, now)
    if locked is not None:
        return locked
    if not account.password_hash:
        return None
    try:
        _hasher.verify(account.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return _failed(account, now)
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.failed_attempts = 0
    account.locked_until = None
    return Attempt(None, "login")


def _locked(account: Lockable, now: datetime) -> Attempt | None:
    if account.locked_until is not None and account.locked_until > now:
        minutes = _minutes_left(account.locked_until, now)
        return Attempt(AccountLocked(f"密码连续输错{MAX_FAILURES}次，账户已锁定，请{minutes}分钟后再试，"
                                     "或请管理员解锁。", minutes), "login_failed", "locked")
    return None


def _failed(account: Lockable, now: datetime) -> Attempt:
    account.failed_attempts += 1
    if account.failed_attempts >= MAX_FAILURES:
        account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        account.failed_attempts = 0
        return Attempt(AccountLocked(f"密码连续输错{MAX_FAILURES}次，账户已锁定，请{LOCK_MINUTES}分钟后再试，"
                                     "或请管理员解锁。", LOCK_MINUTES), "locked", f"minutes={LOCK_MINUTES}")
    return Attempt(LoginFailed(WRONG_LOGIN), "login_failed", f"attempt={account.failed_attempts}")


@dataclass(slots=True)
class UnknownName:
    """What a sign-in form knows of a user name that names no account (or a disabled one): the same failure count
    and lock as a real account's (``Lockable``), kept under ``name_key`` by the caller. Without it the form told
    which accounts exist: a real one answered 账户已锁定 after ``MAX_FAILURES`` wrong passwords, an unknown one
    never."""

    failed_attempts: int = 0
    locked_until: datetime | None = None
    password_hash: str = ""


def name_key(username: str) -> str:
    """The key an unknown name's failures are kept under: a digest, so the names people mistype (often a real
    person's name) are not stored."""
    return hashlib.sha256(f"reception-login:{username.strip()}".encode()).hexdigest()[:32]


def refuse_unknown(password: str, name: UnknownName, now: datetime) -> ReceptionError:
    """An unknown or disabled account: the same time, message and lockout as a real account's wrong password
    (``check_attempt``), so a sign-in form never reveals which accounts exist. Updates ``name`` in place; the
    caller keeps it."""
    locked = _locked(name, now)
    if locked is not None:
        assert locked.error is not None
        return locked.error
    _hasher_dummy(password)
    error = _failed(name, now).error
    assert error is not None
    return error


UNKNOWN_NAMES_KEY = "login.unknown_names"
"""The desk's ``setting`` (never synced) holding the failures of unknown names: name_key -> [failures, locked
until (ISO) or None, last failure (ISO)]."""
UNKNOWN_NAMES_KEPT = 500
"""At most this many names are kept (the ones failed at longest ago are forgotten first)."""


def _refuse_unknown_on_desk(session: Session, username: str, password: str, now: datetime) -> ReceptionError:
    row = session.get(Setting, UNKNOWN_NAMES_KEY)
    names: dict[str, list[Any]] = dict(row.value.get("names", {})) if row is not None else {}
    key = name_key(username)
    failures, until, _last = names.get(key, [0, None, None])
    name = UnknownName(int(failures), datetime.fromisoformat(until) if until else None)
    error = refuse_unknown(password, name, now)
    names[key] = [name.failed_attempts, name.locked_until.isoformat() if name.locked_until else None,
                  now.isoformat()]
    if len(names) > UNKNOWN_NAMES_KEPT:
        names = dict(sorted(names.items(), key=lambda kv: str(kv[1][2]))[-UNKNOWN_NAMES_KEPT:])
    if row is None:
        session.add(Setting(key=UNKNOWN_NAMES_KEY, value={"names": names}))
    else:
        row.value = {"names": names}
    return error


def _authenticate(session: Session, username: str, password: str, now: datetime,
                  desk_id: str | None) -> SignedIn | ReceptionError:
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        return _refuse_unknown_on_desk(session, username, password, now)
    attempt = check_attempt(user, password, now)
    if attempt is None:
        return LoginFailed("该账户尚未设置密码，请联系系统管理员设置。", key="no_password")
    audit.record(session, user_id=user.id, desk_id=desk_id, action=attempt.action, entity="user",
                 entity_id=user.id, detail=attempt.detail)
    return attempt.error if attempt.error is not None else _signed_in(user)


_dummy_hash: list[str] = []


def _hasher_dummy(password: str) -> None:
    if not _dummy_hash:
        _dummy_hash.append(_hasher.hash("reception-dummy-password"))
    with contextlib.suppress(VerificationError):
        _hasher.verify(_dummy_hash[0], password)


def sign_out(ctx: AppContext, user_id: str, *, desk_id: str | None = None, detail: str = "") -> None:
    """The user leaves the desk (注销, or 切换用户 to another account): audited, and an administrator's signing key
    is forgotten."""
    forget_signer(ctx, user_id)
    with ctx.db.write() as session:
        if session.get(User, user_id) is not None:
            audit.record(session, user_id=user_id, desk_id=desk_id, action="logout", entity="user", entity_id=user_id,
                         detail=detail)


def change_password(ctx: AppContext, user_id: str, old: str, new: str) -> None:
    """The user changes their own password. A wrong old password counts against the lockout exactly as a wrong
    sign-in does (so this form allows no more guesses than the login), and a locked account cannot change it."""
    now = ctx.now()
    outcome: ReceptionError | None = None
    with ctx.db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("账户不存在", key="user_not_found")
        outcome = _change_password(session, user, old, new, now)
    if outcome is not None:
        raise outcome
    from reception.sync.outbox import outbox_state, set_signer
    from reception.sync.proof import Signer

    signer = outbox_state(ctx.db).signer
    if signer is not None and signer.user_id == user_id:  # (an administrator's key follows their password)
        set_signer(ctx.db, Signer.of(user_id, new))


def _change_password(session: Session, user: User, old: str, new: str, now: datetime) -> ReceptionError | None:
    """(the failure count is committed even though the change is refused)"""
    if user.locked_until is not None and user.locked_until > now:
        minutes = _minutes_left(user.locked_until, now)
        return AccountLocked(f"密码连续输错{MAX_FAILURES}次，账户已锁定，请{minutes}分钟后再试，或请管理员解锁。",
                             minutes)
    try:
        _hasher.verify(user.password_hash, old)
    except (VerificationError, InvalidHashError):
        user.failed_attempts += 1
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_attempts = 0
            audit.record(session, user_id=user.id, action="locked", entity="user", entity_id=user.id,
                         detail=f"minutes={LOCK_MINUTES}")
            return AccountLocked(f"密码连续输错{MAX_FAILURES}次，账户已锁定，请{LOCK_MINUTES}分钟后再试，"
                                 "或请管理员解锁。", LOCK_MINUTES)
        audit.record(session, user_id=user.id, action="login_failed", entity="user", entity_id=user.id,
                     detail=f"change_password attempt={user.failed_attempts}")
        return FieldError(F_OLD_PASSWORD, "原密码不正确", key="old_password_wrong")
    if old == new:
        return FieldError(F_NEW_PASSWORD, "新密码不能与原密码相同", key="password_same")
    check_password_policy(new, username=user.username)
    _set_password(user, new, now, must_change=False)
    _name_next_key(session, user, new, old_password=old)
    audit.record(session, user_id=user.id, action="password_changed", entity="user", entity_id=user.id)
    return None


def _set_password(user: User, password: str, now: datetime, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = must_change
    user.failed_attempts = 0
    user.locked_until = None


def _user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFoundError(f"没有用户名为“{username}”的账户", key="user_not_found")
    return user


def reset_password(ctx: AppContext, username: str, new_password: str, *, actor_id: str | None) -> None:
    """The administrator sets a new password; the user must change it at the next sign-in. Unlocks the account."""
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        user = _user_by_name(session, username)
        check_password_policy(new_password, username=user.username)
        _set_password(user, new_password, ctx.now(), must_change=True)
        _name_next_key(session, user, new_password)
        audit.record(session, user_id=actor_id, action="password_reset", entity="user", entity_id=user.id)


def set_password(ctx: AppContext, username: str, new_password: str, *, actor_id: str | None) -> None:
    """The administrator (or the ``reception user passwd`` command) sets a password that needs no change."""
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        user = _user_by_name(session, username)
        check_password_policy(new_password, username=user.username)
        _set_password(user, new_password, ctx.now(), must_change=False)
        _name_next_key(session, user, new_password)
        audit.record(session, user_id=actor_id, action="password_reset", entity="user", entity_id=user.id,
                     detail="set")


def unlock(ctx: AppContext, username: str, *, actor_id: str | None) -> None:
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        user = _user_by_name(session, username)
        user.failed_attempts = 0
        user.locked_until = None
        audit.record(session, user_id=actor_id, action="unlock", entity="user", entity_id=user.id)


def add_user(ctx: AppContext, username: str, display_name: str, role: str, *, password: str | None = None,
             unit_code: str | None = None, actor_id: str | None) -> str:
    """A new account. ``unit_staff`` accounts name their unit (by code). Returns the new user's id."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{2,64}", username):
        raise FieldError(F_USERNAME, "用户名应为2至64位字母、数字或 _ . -", key="username_invalid")
    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        raise FieldError(F_ROLE, f"未知角色：{role}（可选：{', '.join(r.value for r in Role)}）",
                         key="role_unknown") from exc
    if not display_name.strip():
        raise FieldError(F_DISPLAY_NAME, "请填写姓名", key="display_name_required")
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise FieldError(F_USERNAME, f"用户名“{username}”已存在", key="username_taken")
        unit_id: str | None = None
        if parsed is Role.UNIT_STAFF:
            if not unit_code:
                raise FieldError(F_UNIT, "责任单位工作人员须指定所属单位（--unit 单位代码）", key="unit_required")
            unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code.strip()))
            if unit_id is None:
                raise FieldError(F_UNIT, f"没有代码为“{unit_code}”的单位", key="unit_unknown")
        user = User(username=username, display_name=display_name.strip(), role=parsed.value, unit_id=unit_id,
                    active=True, failed_attempts=0, must_change_password=False, password_hash="")
        if password is not None:
            check_password_policy(password, field=F_PASSWORD, username=username)
            _set_password(user, password, ctx.now(), must_change=actor_id is not None)
        session.add(user)
        session.flush()
        if password is not None:
            _name_next_key(session, user, password)
        audit.record(session, user_id=actor_id, action="user_added", entity="user", entity_id=user.id,
                     changes={"role": [None, parsed.value], "username": [None, username]})
        return user.id


def list_accounts(ctx: AppContext, *, actor_id: str | None) -> list[AccountInfo]:
    with ctx.db.read() as session:
        require(session, actor_id, Permission.ADMIN)
        units = {u.id: u.name for u in session.scalars(select(Unit))}
        return [
            AccountInfo(u.id, u.username, u.display_name, u.role, Role.label_of(u.role), units.get(u.unit_id or "", ""),
                        u.active, bool(u.password_hash), u.locked_until, u.failed_attempts, u.must_change_password)
            for u in session.scalars(select(User).order_by(User.username))
        ]


DEFAULT_LOCK_MINUTES = 10


def lock_minutes(ctx: AppContext) -> int:
    """Minutes without input after which the desk app locks its screen (0: never). Stored with the data."""
    from reception.db.models import Setting

    with ctx.db.read() as session:
        row = session.get(Setting, "security")
        value = row.value.get("lock_minutes") if row is not None else None
    return int(value) if isinstance(value, int) else DEFAULT_LOCK_MINUTES


def save_lock_minutes(ctx: AppContext, minutes: int, *, actor_id: str | None) -> None:
    from reception.db.models import Setting

    if not 0 <= minutes <= 240:
        raise FieldError(F_LOCK_MINUTES, "自动锁定时间应在0至240分钟之间（0表示不锁定）", key="lock_minutes_range")
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        row = session.get(Setting, "security")
        before = row.value.get("lock_minutes") if row is not None else None
        if row is None:
            session.add(Setting(key="security", value={"lock_minutes": minutes}))
        else:
            row.value = {**row.value, "lock_minutes": minutes}
        audit.record(session, user_id=actor_id, action="update", entity="setting", entity_id="security",
                     changes=audit.changes_of({"lock_minutes": before}, {"lock_minutes": minutes}))


def any_password_set(ctx: AppContext) -> bool:
    """False on a new installation: nobody can sign in until an administrator sets a password (``reception user``)."""
    with ctx.db.read() as session:
        found = session.scalar(select(User.id).where(User.password_hash != "", User.active.is_(True)).limit(1))
    return found is not None


def update_account(ctx: AppContext, username: str, *, display_name: str, role: str, unit_code: str | None = None,
                   actor_id: str | None) -> None:
    """The administrator changes an account's name, role (设置角色) and, for ``unit_staff``, its unit."""
    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        raise FieldError(F_ROLE, f"未知角色：{role}", key="role_unknown") from exc
    if not display_name.strip():
        raise FieldError(F_DISPLAY_NAME, "请填写姓名", key="display_name_required")
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        user = _user_by_name(session, username)
        unit_id: str | None = None
        if parsed is Role.UNIT_STAFF:
            if not unit_code:
                raise FieldError(F_UNIT, "责任单位工作人员须指定所属单位", key="unit_required")
            unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code.strip()))
            if unit_id is None:
                raise FieldError(F_UNIT, f"没有代码为“{unit_code}”的单位", key="unit_unknown")
        if user.role == Role.ADMIN.value and parsed is not Role.ADMIN and _other_admins(session, user.id) == 0:
            raise FieldError(F_ROLE, "这是最后一个可用的系统管理员账户，不能改为其他角色", key="last_admin")
        before = {"display_name": user.display_name, "role": user.role, "unit_id": user.unit_id}
        user.display_name, user.role, user.unit_id = display_name.strip(), parsed.value, unit_id
        audit.record(session, user_id=actor_id, action="update", entity="user", entity_id=user.id,
                     changes=audit.changes_of(before, {"display_name": user.display_name, "role": user.role,
                                                       "unit_id": unit_id}))


def _other_admins(session: Session, user_id: str) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user_id, User.password_hash != "")) or 0


def set_account_active(ctx: AppContext, username: str, active: bool, *, actor_id: str | None) -> None:
    """停用 an account (it can no longer sign in; cases keep naming it) or 启用 it again. Never the last
    administrator, nor the administrator's own account."""
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        user = _user_by_name(session, username)
        if not active and user.id == actor_id:
            raise ReceptionError("不能停用自己正在使用的账户", key="deactivate_self")
        if not active and user.role == Role.ADMIN.value and _other_admins(session, user.id) == 0:
            raise ReceptionError("这是最后一个可用的系统管理员账户，不能停用", key="last_admin")
        if user.active != active:
            user.active = active
            audit.record(session, user_id=actor_id, action="update", entity="user", entity_id=user.id,
                         changes={"active": [not active, active]})
