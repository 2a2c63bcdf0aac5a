"""The administrators' page for the handling units' accounts, ``/admin`` (issue 16).

An administrator signs in with a server-side account (``reception server add-web-admin``;
``reception.server.admin_accounts`` says why not a desk account) and can list the units' accounts, add one (the
initial password typed or generated and shown once), set or generate a new password, disable or enable an
account, and lift a lock. Every form carries the CSRF token of ``web.csrf`` bound to the administrator's session
(the sign-in form one bound to the purpose); a form without it changes nothing. A unit user's session is not an
administrator's (another table, another cookie). Bad input is answered on the same page, next to the form, with
what was typed kept (never a password).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.server import admin_accounts, limits
from reception.server.admin_accounts import COOKIE, AdminSignedIn
from reception.server.db import ServerDatabase
from reception.server.models import Record
from reception.server.service import ServerError
from reception.server.unit_accounts import UnitRole
from reception.server.web import csrf, render

LOGIN_PURPOSE = "admin-login"
LOGIN_FAIL_LIMIT = 30
"""Failed sign-ins per address per ``limits.WINDOW`` (each account also locks after ``MAX_FAILURES``)."""
EXPIRED = "页面已过期或来源不明，未作任何更改。请刷新页面后重新操作。"


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _units(db: ServerDatabase) -> list[tuple[str, str]]:
    """The synced directory's units as (code, name), by code."""
    with db.read() as s:
        rows = s.execute(select(Record.data).where(Record.table_name == "unit", Record.deleted.is_(False))).all()
    units = [(str(d.get("code") or ""), str(d.get("name") or "")) for (d,) in rows if d and d.get("code")]
    return sorted(units)


def router(db: ServerDatabase) -> APIRouter:
    r = APIRouter()

    def now(request: Request) -> datetime:
        moment: datetime = request.app.state.now()
        return moment

    def signed_in(request: Request) -> AdminSignedIn | None:
        return admin_accounts.resolve(db, request.cookies.get(COOKIE, ""), now=now(request))

    def page(request: Request, name: str, context: dict[str, Any], session: AdminSignedIn | None, *,
             status: int = 200) -> HTMLResponse:
        token, cookie = csrf.issue(db, request, f"admin:{session.csrf}" if session else LOGIN_PURPOSE)
        response = render(request, name, {"admin": session.account if session else None, "csrf": token,
                                          "csrf_field": csrf.FIELD, **context}, status=status)
        if cookie is not None:
            csrf.set_cookie(response, cookie, request)
        return response

    def to_login() -> RedirectResponse:
        return RedirectResponse("/admin/login", status_code=303)

    def accounts_page(request: Request, session: AdminSignedIn, *, notice: str = "", shown_password: str = "",
                      bad: str = "", failed: str = "", values: dict[str, str] | None = None,
                      status: int = 200) -> HTMLResponse:
        moment = now(request)
        rows = admin_accounts.unit_accounts(db)
        return page(request, "admin_users.html", {
            "rows": rows, "states": {r.user_id: r.state(moment) for r in rows},
            "locked": {r.user_id for r in rows if r.locked(moment)}, "units": _units(db),
            "roles": [(role.value, role.label) for role in UnitRole], "notice": notice,
            "shown_password": shown_password, "bad": bad, "failed": failed, "values": values or {}},
            session, status=status)

    @r.get("/admin/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        if signed_in(request) is not None:
            return RedirectResponse("/admin", status_code=303)
        return page(request, "admin_login.html", {"error": "", "username": ""}, None)

    @r.post("/admin/login", response_class=HTMLResponse)
    def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
              token: Annotated[str, Form(alias=csrf.FIELD)] = "") -> Response:
        if not csrf.check(db, request, LOGIN_PURPOSE, token):
            return page(request, "admin_login.html", {"error": "页面已过期，请重新登录", "username": username},
                        None, status=400)
        key = f"admin-login:{_address(request)}"
        if limits.refused_already(db, key, LOGIN_FAIL_LIMIT):
            return page(request, "admin_login.html", {"error": "登录失败次数过多，请10分钟后再试",
                                                      "username": username}, None, status=429)
        try:
            cookie, _session = admin_accounts.sign_in(db, username, password, now=now(request))
        except ReceptionError as exc:
            with contextlib.suppress(ServerError):
                limits.count(db, key, LOGIN_FAIL_LIMIT, "登录失败次数过多，请10分钟后再试")
            return page(request, "admin_login.html", {"error": exc.message, "username": username}, None,
                        status=401)
        response = RedirectResponse("/admin", status_code=303)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            path="/admin")
        return response

    @r.post("/admin/logout")
    def logout(request: Request, token: Annotated[str, Form(alias=csrf.FIELD)] = "") -> Response:
        session = signed_in(request)
        if session is not None and csrf.check(db, request, f"admin:{session.csrf}", token):
            admin_accounts.end(db, request.cookies.get(COOKIE, ""), now=now(request))
        response = to_login()
        response.delete_cookie(COOKIE, path="/admin")
        return response

    @r.get("/admin", response_class=HTMLResponse)
    def accounts(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login()
        return accounts_page(request, session)

    @r.post("/admin/users", response_class=HTMLResponse)
    async def change(request: Request) -> Response:
        """Every change to the units' accounts: ``action`` add, password, disable, enable or unlock."""
        session = signed_in(request)
        if session is None:
            return page(request, "admin_login.html", {"error": "请先以系统管理员身份登录", "username": ""}, None,
                        status=403)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        action = fields.get("action", "")
        target = fields.get("user_id", "")
        failed = "add" if action == "add" else f"{action}:{target}"
        kept = {k: v for k, v in fields.items() if "password" not in k}
        if not csrf.check(db, request, f"admin:{session.csrf}", fields.get(csrf.FIELD, "")):
            return accounts_page(request, session, bad=EXPIRED, failed=failed, values=kept, status=400)
        moment, admin = now(request), session.account
        try:
            if action == "add":
                username = fields.get("username", "").strip()
                _id, generated = admin_accounts.create_unit_user(
                    db, admin, fields.get("unit", ""), username, fields.get("display_name", ""),
                    fields.get("role", ""), fields.get("password", ""), now=moment)
                return accounts_page(request, session, notice=f"已创建单位账户“{username}”。本人首次登录时须修改密码。",
                                     shown_password=generated)
            if action == "password":
                username, generated = admin_accounts.reset_password(
                    db, admin, target, fields.get("new_password", ""), now=moment)
                return accounts_page(request, session, shown_password=generated,
                                     notice=f"已重设账户“{username}”的密码（账户已解锁，原有登录已退出；"
                                            "本人下次登录时须修改密码）。")
            if action in ("disable", "enable"):
                username = admin_accounts.set_active(db, admin, target, action == "enable", now=moment)
                said = "已启用" if action == "enable" else "已停用（其登录已退出）"
                return accounts_page(request, session, notice=f"账户“{username}”{said}。")
            if action == "unlock":
                username = admin_accounts.unlock(db, admin, target, now=moment)
                return accounts_page(request, session, notice=f"账户“{username}”已解锁。")
        except NotFoundError as exc:
            return accounts_page(request, session, bad=exc.message, status=404)
        except ServerError as exc:  # (a unit the server's directory does not have)
            return accounts_page(request, session, bad=exc.message, failed=failed, values=kept, status=422)
        except FieldError as exc:
            return accounts_page(request, session, bad=exc.message, failed=failed, values=kept, status=422)
        return accounts_page(request, session, bad="未知的操作", status=422)

    return r
