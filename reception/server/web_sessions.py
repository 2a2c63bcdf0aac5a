"""Browser sessions of the server's web pages, kept in the database: the handling units' (``/unit``,
``web_session``) and the administrators' (``/admin``, ``admin_session``), one table each so that a unit's session is
never taken for an administrator's.

Every server process sharing the database knows a session: the browser holds an opaque random cookie, the database
only its SHA-256, so a dump of the database signs nobody in. A session ends after ``IDLE`` without a request, after
``MAX_AGE`` in any case, at sign-out, and as soon as its account is disabled. Each has its own anti-forgery token
(``csrf``) that every form sends back. The accounts modules (``unit_accounts``, ``admin_accounts``) say who a session's
row belongs to (``SessionTable``); the rules live here once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar, cast

from sqlalchemy import delete
from sqlalchemy.orm import Session

from reception.db.base import utcnow
from reception.server.db import ServerDatabase
from reception.server.models import AdminSession, WebSession
from reception.server.service import hash_secret

IDLE = timedelta(minutes=30)
MAX_AGE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
"""A request moves the idle deadline on; the row is written at most this often."""

SessionRow = WebSession | AdminSession
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class SessionTable(Generic[_V]):
    """One kind of session: its table, the column naming its account, and how a live row becomes the signed-in
    view (``signed_in``: None when the account is gone or disabled) and how a sign-out is audited."""

    model: type[WebSession] | type[AdminSession]
    owner: str
    signed_in: Callable[[Session, SessionRow], _V | None]
    signed_out: Callable[[Session, SessionRow, datetime | None], None]


def start(session: Session, table: SessionTable[_V], owner_id: str, now: datetime) -> tuple[str, str]:
    """A new session of ``owner_id`` in the caller's transaction: (the cookie value, shown once; the CSRF token).
    Expired sessions of the table are removed at the same time (abandoned browsers leave rows behind)."""
    _purge(session, table, now)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(table.model(token_hash=hash_secret(token), csrf=csrf, created_at=now, last_seen_at=now,
                            **{table.owner: owner_id}))
    return token, csrf


def resolve(db: ServerDatabase, table: SessionTable[_V], token: str, *, now: datetime | None = None) -> _V | None:
    """The signed-in view of a cookie, or None (unknown, expired, the account disabled: the row is deleted)."""
    if not token:
        return None
    now = now or utcnow()
    key = hash_secret(token)
    model = table.model
    with db.read() as s:
        row = _get(s, table, key)
        if row is None:
            return None
        expired = now - row.last_seen_at > IDLE or now - row.created_at > MAX_AGE
        found = None if expired else table.signed_in(s, row)
        stale = now - row.last_seen_at > TOUCH_EVERY
    if found is None:
        with db.session() as s:
            s.execute(delete(model).where(model.token_hash == key))
        return None
    if stale:
        with db.session() as s:
            held = _get(s, table, key)
            if held is not None:
                held.last_seen_at = now
    return found


def end(db: ServerDatabase, table: SessionTable[_V], token: str, *, now: datetime | None = None) -> None:
    """Sign out: audited, and the session deleted (its cookie means nothing from now on)."""
    if not token:
        return
    with db.session() as s:
        row = _get(s, table, hash_secret(token))
        if row is not None:
            table.signed_out(s, row, now)
            s.delete(row)


def purge_expired(db: ServerDatabase, table: SessionTable[_V], *, now: datetime | None = None) -> int:
    """Delete the table's sessions past ``IDLE`` or ``MAX_AGE``; how many."""
    with db.session() as s:
        return _purge(s, table, now or utcnow())


def _get(session: Session, table: SessionTable[_V], key: str) -> SessionRow | None:
    return cast("SessionRow | None", session.get(table.model, key))


def _purge(session: Session, table: SessionTable[_V], now: datetime) -> int:
    model = table.model
    result = session.execute(delete(model).where((model.last_seen_at < now - IDLE)
                                                 | (model.created_at < now - MAX_AGE)))
    return int(getattr(result, "rowcount", 0) or 0)
