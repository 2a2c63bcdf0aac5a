"""Limits on what anyone may send: body size per endpoint (checked while reading, before parsing), slow and idle
connections, and rate limits on enrolment and failed authentication (state in the server database, so several
server processes count together).

The figures (README, "Limits"):
- ``/enroll`` and ``/sync/hello``: 4 KiB; ``/sync/push``: ``protocol.MAX_PUSH_BYTES`` (the desk splits its batches
  to fit); a unit's progress report: 64 KiB; anything else: 16 KiB. Larger bodies get 413 at once when the
  ``Content-Length`` says so, or as soon as the bytes read pass the limit (chunked bodies).
- A request's head must arrive within ``REQUEST_READ_TIMEOUT`` seconds of its connection opening (or of the
  previous answer), its body within ``BODY_READ_TIMEOUT`` more (8 MiB at about 0.5 Mbit/s); an idle keep-alive
  connection is closed after ``KEEP_ALIVE`` seconds; at most ``MAX_CONNECTIONS`` connections are served at once
  (more get 503).
- Enrolment: ``ENROL_LIMIT`` attempts per address per ``WINDOW``; failed authentication: ``AUTH_FAIL_LIMIT`` per
  address per ``WINDOW``; beyond, 429 with a Chinese message.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from reception.db.base import utcnow
from reception.domain.errors import ReceptionError
from reception.server.db import ServerDatabase
from reception.server.models import Throttle
from reception.sync.protocol import MAX_PUSH_BYTES

KIB = 1024
BODY_LIMITS: dict[str, int] = {"/enroll": 4 * KIB, "/sync/hello": 4 * KIB, "/sync/push": MAX_PUSH_BYTES}
UNIT_EVENT_LIMIT = 64 * KIB
DEFAULT_LIMIT = 16 * KIB
UNIT_FORM_LIMIT = 64 * KIB
UNIT_UPLOAD_LIMIT = 32 * KIB * KIB
"""A unit's step with its attachments (``unit_work``: at most 3 files of 10 MB each, checked by the page with a
Chinese message; a body beyond this is refused here, on an HTML page for the ``/unit`` pages)."""
REQUEST_READ_TIMEOUT = 10.0
BODY_READ_TIMEOUT = 120.0
KEEP_ALIVE = 5
MAX_CONNECTIONS = 200
WINDOW = timedelta(minutes=10)
ENROL_LIMIT = 20
AUTH_FAIL_LIMIT = 50


def body_limit(path: str) -> int:
    if path in BODY_LIMITS:
        return BODY_LIMITS[path]
    if path.startswith("/units/cases/"):
        return UNIT_EVENT_LIMIT
    if path.startswith("/unit/cases/") and path.endswith("/act"):
        return UNIT_UPLOAD_LIMIT
    if path.startswith("/unit"):
        return UNIT_FORM_LIMIT
    return DEFAULT_LIMIT


class _TooLarge(Exception):
    pass


async def _refuse(send: Send, status: int, message: str, *, html: bool = False) -> None:
    body = ('{"detail": "' + message + '"}').encode("utf-8")
    kind = b"application/json"
    if html:  # (the units' pages: a page a person reads, with the way back)
        body = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>提交内容过大</title>'
                f'<p>{message}，未保存。请返回上一页，减小或分拆附件后重新提交。</p><p><a href="/unit">返回</a></p>'
                '</html>').encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: a request body larger than its endpoint's limit is refused (413) before it is parsed,
    and never held in memory beyond the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        cap = body_limit(path)
        html = path.startswith("/unit")
        message = (f"提交内容过大（最多 {cap // KIB // KIB} MB）" if html and cap >= KIB * KIB
                   else f"请求内容过大（此接口最多 {cap // KIB} KB）")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = cap + 1
                if declared > cap:
                    await _refuse(send, 413, message, html=html)
                    return
        received = 0
        started = exceeded = False

        async def limited() -> Message:
            nonlocal received, exceeded
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > cap:
                    exceeded = True  # (FastAPI turns errors while reading a body into its own 400: answer here)
                    raise _TooLarge
            return msg

        async def watched(msg: Message) -> None:
            nonlocal started
            if exceeded:
                if msg["type"] == "http.response.start" and not started:
                    started = True
                    await _refuse(send, 413, message, html=html)
                return  # (the application's own answer to the cut-off body is dropped)
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited, watched)
        except _TooLarge:
            if not started:
                started = True
                await _refuse(send, 413, message, html=html)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for each request to arrive: its head within ``head_timeout`` seconds
    of the connection opening (or of the previous answer, on a kept-alive connection), then its body within
    ``body_timeout`` seconds. A connection that sends too slowly, or nothing at all, is closed, so slow
    connections cannot pile up (uvicorn alone waits for a request head forever)."""

    head_timeout = REQUEST_READ_TIMEOUT
    body_timeout = BODY_READ_TIMEOUT

    def connection_made(self, transport: Any) -> None:  # (uvicorn's signature)
        super().connection_made(transport)
        self._arm_head()

    def _arm_head(self) -> None:
        self._before = self.cycle  # (the previous request's cycle: a new one means the head has arrived)
        self._phase = "head"
        self._arm(self.head_timeout)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline: asyncio.TimerHandle | None = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
        self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is None or cycle is self._before or self._phase == "done":
            return  # (still waiting for the head)
        if not cycle.more_body:
            self._phase = "done"
            self._disarm()  # (the whole request is here: the application has it)
        elif self._phase == "head":
            self._phase = "body"
            self._arm(self.body_timeout)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def count(db: ServerDatabase, key: str, limit: int, message: str) -> None:
    """Count one event under ``key`` in the current window; raises 429 past ``limit``."""
    from reception.server.errors import ServerError

    now = utcnow()
    with db.session() as s:
        row = s.scalar(select(Throttle).where(Throttle.key == key).with_for_update())
        if row is None:
            s.add(Throttle(key=key, window_start=now, count=1))
            return
        if now - row.window_start > WINDOW:
            row.window_start, row.count = now, 1
            return
        row.count += 1
        over = row.count > limit
    if over:
        raise ServerError(429, message)


def refused_already(db: ServerDatabase, key: str, limit: int) -> bool:
    """Whether ``key`` is past its limit in the current window (read only)."""
    with db.read() as s:
        row = s.scalar(select(Throttle).where(Throttle.key == key))
    return row is not None and row.count >= limit and utcnow() - row.window_start <= WINDOW


QUERY_FAIL_LIMIT = 5
"""Wrong case number / query code pairs allowed per client address, and per case number, before a lock."""
QUERY_LOCK = timedelta(minutes=15)
"""How long the lock lasts (and the window in which wrong tries add up)."""


def locked_out(db: ServerDatabase, keys: list[str], *, limit: int = QUERY_FAIL_LIMIT,
               lock: timedelta = QUERY_LOCK) -> bool:
    """Whether any of ``keys`` has had ``limit`` failures and its lock of ``lock`` has not yet run out (read only;
    the state is in the database, so every server process sees the same locks)."""
    with db.read() as s:
        return locked_out_in(s, keys, limit=limit, lock=lock)


def locked_out_in(session: Session, keys: list[str], *, limit: int = QUERY_FAIL_LIMIT,
                  lock: timedelta = QUERY_LOCK) -> bool:
    """``locked_out`` in the caller's (read) transaction."""
    now = utcnow()
    rows = session.execute(select(Throttle.count, Throttle.window_start).where(Throttle.key.in_(keys))).all()
    return any(count >= limit and now - start < lock for count, start in rows)


def note_failures(db: ServerDatabase, keys: list[str], *, limit: int = QUERY_FAIL_LIMIT,
                  lock: timedelta = QUERY_LOCK) -> None:
    """Count one failure under each of ``keys``. Failures add up within ``lock`` of the first; the ``limit``-th
    starts the lock (``window_start`` becomes the moment the lock began)."""
    from sqlalchemy.exc import IntegrityError

    try:
        _note_failures(db, keys, limit, lock)
    except IntegrityError:  # another process counted a first failure of the same key at the same moment
        _note_failures(db, keys, limit, lock)


def _note_failures(db: ServerDatabase, keys: list[str], limit: int, lock: timedelta) -> None:
    now = utcnow()
    with db.session() as s:
        for key in sorted(keys):  # (a fixed order: two processes never wait on each other's rows crosswise)
            row = s.scalar(select(Throttle).where(Throttle.key == key).with_for_update())
            if row is None:
                s.add(Throttle(key=key, window_start=now, count=1))
                s.flush()
            elif now - row.window_start >= lock:
                row.window_start, row.count = now, 1
            elif row.count < limit:
                row.count += 1
                if row.count >= limit:
                    row.window_start = now  # (locked from now on for ``lock``)


def unknown_name(session: Session, realm: str, username: str, now: datetime) -> Throttle:
    """The row (locked for update) keeping the failures of a sign-in ``realm``'s (admin, unit) unknown user name
    (``reception.security.accounts.UnknownName``), in the database so that every server process counts together:
    ``count`` the failures in a row, or ``MAX_FAILURES`` while locked from ``window_start`` for ``LOCK_MINUTES``."""
    from reception.security.accounts import name_key

    key = f"login-unknown:{realm}:{name_key(username)}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Throttle).values(key=key, window_start=now, count=0)
                    .on_conflict_do_nothing(index_elements=["key"]))
    return session.execute(select(Throttle).where(Throttle.key == key).with_for_update()).scalar_one()


def refuse_unknown_name(session: Session, realm: str, username: str, password: str, now: datetime) -> ReceptionError:
    """``accounts.refuse_unknown`` with the name's failures kept in ``throttle`` (``unknown_name``)."""
    from reception.security.accounts import LOCK_MINUTES, MAX_FAILURES, UnknownName, refuse_unknown

    row = unknown_name(session, realm, username, now)
    lock = timedelta(minutes=LOCK_MINUTES)
    name = (UnknownName(0, row.window_start + lock) if row.count >= MAX_FAILURES
            else UnknownName(row.count, None))
    error = refuse_unknown(password, name, now)
    if name.locked_until is not None and name.locked_until > now:
        row.count, row.window_start = MAX_FAILURES, name.locked_until - lock
    else:
        row.count, row.window_start = name.failed_attempts, now
    return error
