"""Cross-site request forgery tokens for the web forms, stateless and valid in every server process.

Double submit, signed: the browser holds a random nonce in a cookie (``COOKIE``: HttpOnly, SameSite=Strict); each
form carries ``HMAC(secret, nonce | purpose)`` in a hidden field (``FIELD``). Another site can make a browser post
the form but can neither read the cookie nor compute the field. The secret lives in the server database
(``server_meta`` key ``web_secret``, made on first use), so a token issued by one server process is accepted by all.

Use: ``token, cookie = issue(db, request, "query")`` when rendering (``set_cookie(response, cookie, request)``
when ``cookie`` is not None), and ``check(db, request, "query", form_value)`` when a form arrives.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reception.server.db import ServerDatabase
from reception.server.models import ServerMeta

COOKIE = "rd_csrf"
FIELD = "csrf"
SECRET_KEY = "web_secret"
MAX_AGE = 12 * 3600


def secret(db: ServerDatabase) -> bytes:
    """The signing secret shared by every server process (created once, in the database)."""
    cached: bytes | None = getattr(db, "_web_secret", None)
    if cached is not None:
        return cached
    with db.read() as s:
        value = s.scalar(select(ServerMeta.value).where(ServerMeta.key == SECRET_KEY))
    if value is None:
        try:
            with db.session() as s:
                s.add(ServerMeta(key=SECRET_KEY, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # (another process made it first: read theirs)
        with db.read() as s:
            value = s.scalar(select(ServerMeta.value).where(ServerMeta.key == SECRET_KEY))
    assert value is not None
    key = bytes.fromhex(value)
    db._web_secret = key  # type: ignore[attr-defined]  # (never changes once made)
    return key


def _sign(db: ServerDatabase, nonce: str, purpose: str) -> str:
    return hmac.new(secret(db), f"{nonce}|{purpose}".encode(), hashlib.sha256).hexdigest()


def _nonce(request: Request) -> str:
    value = request.cookies.get(COOKIE, "")
    return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else ""


def issue(db: ServerDatabase, request: Request, purpose: str) -> tuple[str, str | None]:
    """The form token for ``purpose``, and the new cookie value to set (None when the browser has one)."""
    nonce = _nonce(request)
    fresh = None
    if not nonce:
        nonce = fresh = secrets.token_hex(16)
    return _sign(db, nonce, purpose), fresh


def set_cookie(response: Response, value: str, request: Request) -> None:
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def check(db: ServerDatabase, request: Request, purpose: str, token: str) -> bool:
    """Whether ``token`` (the form's field) matches this browser's cookie for ``purpose``."""
    nonce = _nonce(request)
    return bool(nonce) and hmac.compare_digest(_sign(db, nonce, purpose), token or "")
