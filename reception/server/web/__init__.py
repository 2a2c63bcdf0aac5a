"""The server's web pages: plain server-rendered HTML (Jinja2), one stylesheet, no scripts, no build step.

What is where (shared by every web part: the petitioners' query at ``/query``, the units' workbench at ``/unit``, the
administrators' page for the units' accounts at ``/admin``):
- ``templates/base.html``: the page frame (Simplified Chinese, phone first, system fonts only); parts extend it.
- ``static/web.css``: the one stylesheet, served at ``/static/web.css`` (``STATIC_PREFIX``).
- ``render(request, name, context, status=...)``: a template as an ``HTMLResponse`` (autoescaped).
- ``SecurityHeaders``: ASGI middleware adding CSP (no inline script or style, nothing from other origins),
  ``X-Content-Type-Options``, ``frame-ancestors 'none'``, ``Referrer-Policy: no-referrer``... to every answer
  (the API's ``/docs`` and ``/redoc`` pages, which load Swagger from a CDN, get all but the CSP).
- ``csrf``: the form token (``reception.server.web.csrf``), stateless and valid in every server process.
- ``mount(app, db, now=...)``: called by ``create_app``; includes each part's router (``PARTS``) and the static
  files. A part is a module of this package with ``router(db: ServerDatabase) -> APIRouter``. The pages' clock is
  ``request.app.state.now()`` (an aware datetime; tests start the server with ``--now``).
Web routes stay out of the OpenAPI description (``include_in_schema=False``): it documents the sync API.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reception.db.base import utcnow
from reception.server.db import ServerDatabase

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/static"
PARTS: tuple[str, ...] = ("query", "unit", "admin")
"""The web parts mounted by ``mount``: module names in this package (each defines ``router(db)``)."""

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html",), default=True),
    undefined=jinja2.StrictUndefined,  # (a misspelt variable is an error in the tests, not an empty string)
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # (templates are compiled once per process: no stat of the file on every page)
)
env.globals["static"] = lambda name: f"{STATIC_PREFIX}/{name}"


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render template ``name`` with ``context`` (plus ``request``) as an HTML answer."""
    html = env.get_template(name).render({"request": request, **(context or {})})
    return HTMLResponse(html, status_code=status, headers=headers)


CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
"""No scripts at all, styles and images only from this server (no inline ones), forms post only here."""
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # (a query address carries the query code)
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
NO_CSP_PATHS = ("/docs", "/redoc")
"""FastAPI's API documentation pages load Swagger UI / ReDoc from a CDN with inline script: no CSP there."""


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP answer, the CSP on all but the API documentation; web
    pages (``text/html``) are also marked ``Cache-Control: no-store`` (they show a case's state) and carry
    ``Server-Timing: app;dur=<ms>``, the time from the request to the answer's head."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        with_csp = not path.startswith(NO_CSP_PATHS)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                if with_csp and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode("ascii")))
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    if b"cache-control" not in present:
                        headers.append((b"cache-control", b"no-store"))
                    # the page's own time (bench/bench_query.py reads it; a browser's developer tools show it)
                    spent = (time.perf_counter() - started) * 1000
                    headers.append((b"server-timing", f"app;dur={spent:.2f}".encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount(app: FastAPI, db: ServerDatabase, *, now: Callable[[], datetime] | None = None) -> None:
    """The web parts' routers and the static files on ``app`` (``create_app`` calls it). ``now``: the pages'
    clock (aware datetime; default the wall clock): parts read it as ``request.app.state.now()``."""
    app.state.now = now or utcnow
    app.add_middleware(SecurityHeaders)
    app.mount(STATIC_PREFIX, StaticFiles(directory=HERE / "static"), name="static")
    for part in PARTS:
        module = importlib.import_module(f"{__name__}.{part}")
        app.include_router(module.router(db), include_in_schema=False)
