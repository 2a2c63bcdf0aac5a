"""The handling units' workbench, ``/unit`` (issue 16): sign in, the unit's cases with their clocks, each step.

The pages only read forms and render answers: who may see a case and the steps themselves are in
``reception.server.unit_work`` (over ``reception.server.casework``, the core's state machine), the accounts and
sessions in ``reception.server.unit_accounts``. Every form carries the CSRF token of ``web.csrf`` bound to the
signed-in session, and the steps' forms a one-time id (a form sent twice is applied once). Bad input is answered on
the same page with a Chinese message next to the form, what was typed kept.

An account whose password someone else gave (``must_change_password``, on the resolved session) is sent from every
page to ``/unit/password`` (修改初始密码) until it has chosen its own; signing out still works.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from reception.db.base import CHINA_TZ
from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.lifecycle.machine import DeliveryMeans, ReplyOutcome
from reception.server import limits, unit_accounts, unit_work
from reception.server.db import ServerDatabase
from reception.server.service import ServerError
from reception.server.unit_accounts import COOKIE, SignedInSession
from reception.server.web import csrf, render

LOGIN_PURPOSE = "unit-login"
LOGIN_FAIL_LIMIT = 30
"""Failed sign-ins per address per ``limits.WINDOW`` (each account also locks after ``MAX_FAILURES``)."""
LIST_SHOWN = 200
"""The most urgent cases a list page shows (the total is said above them)."""
PASSWORD_PAGE = "/unit/password"
PASSWORD_FIELDS = (unit_accounts.F_OLD, unit_accounts.F_NEW, unit_accounts.F_CONFIRM)


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def router(db: ServerDatabase) -> APIRouter:
    r = APIRouter()

    def now(request: Request) -> datetime:
        """The server's clock (``web.mount``: the wall clock, or the one ``reception server --now`` starts)."""
        moment: datetime = request.app.state.now()
        return moment

    def signed_in(request: Request) -> SignedInSession | None:
        return unit_accounts.resolve(db, request.cookies.get(COOKIE, ""), now=now(request))

    def token_for(request: Request, session: SignedInSession) -> tuple[str, str | None]:
        return csrf.issue(db, request, f"unit:{session.csrf}")

    def page(request: Request, name: str, context: dict[str, Any], session: SignedInSession | None, *,
             status: int = 200) -> HTMLResponse:
        token, cookie = (token_for(request, session) if session is not None
                         else csrf.issue(db, request, LOGIN_PURPOSE))
        today = now(request).astimezone(CHINA_TZ).date()
        response = render(request, name, {"account": session.account if session else None, "csrf": token,
                                          "csrf_field": csrf.FIELD, "today": today, "tz": CHINA_TZ, **context},
                          status=status)
        if cookie is not None:
            csrf.set_cookie(response, cookie, request)
        return response

    def to_login() -> RedirectResponse:
        return RedirectResponse("/unit/login", status_code=303)

    def away(session: SignedInSession | None) -> Response:
        """Where a page sends a request it does not answer: without a session, to sign-in; with a password given by
        someone else, to the change page."""
        return to_login() if session is None else RedirectResponse(PASSWORD_PAGE, status_code=303)

    def password_page(request: Request, session: SignedInSession, errors: dict[str, str], *,
                      status: int = 200) -> Response:
        return page(request, "unit_password.html", {"errors": errors, "forced": session.account.must_change_password,
                                                    "fields": PASSWORD_FIELDS}, session, status=status)

    @r.get(PASSWORD_PAGE, response_class=HTMLResponse)
    def password_form(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login()
        return password_page(request, session, {})

    @r.post(PASSWORD_PAGE, response_class=HTMLResponse)
    def change_password(request: Request, old_password: Annotated[str, Form()] = "",
                        new_password: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
                        token: Annotated[str, Form(alias=csrf.FIELD)] = "") -> Response:
        session = signed_in(request)
        if session is None:
            return to_login()
        if not csrf.check(db, request, f"unit:{session.csrf}", token):
            return password_page(request, session, {"": "页面已过期或来源不明，密码未修改。请重新输入后提交。"},
                                 status=400)
        try:
            unit_accounts.change_password(db, session.account.user_id, old_password, new_password, confirm,
                                          keep_token=request.cookies.get(COOKIE, ""), now=now(request))
        except FieldError as exc:
            field = exc.field if exc.field in PASSWORD_FIELDS else ""
            return password_page(request, session, {field: exc.message}, status=422)
        except ReceptionError as exc:  # AccountLocked: about the current password
            return password_page(request, session, {unit_accounts.F_OLD: exc.message}, status=423)
        return RedirectResponse("/unit", status_code=303)

    @r.get("/unit/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        if signed_in(request) is not None:
            return RedirectResponse("/unit", status_code=303)
        return page(request, "unit_login.html", {"error": "", "username": ""}, None)

    @r.post("/unit/login", response_class=HTMLResponse)
    def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
              token: Annotated[str, Form(alias=csrf.FIELD)] = "") -> Response:
        if not csrf.check(db, request, LOGIN_PURPOSE, token):
            return page(request, "unit_login.html", {"error": "页面已过期，请重新登录", "username": username},
                        None, status=400)
        key = f"unit-login:{_address(request)}"
        if limits.refused_already(db, key, LOGIN_FAIL_LIMIT):
            return page(request, "unit_login.html", {"error": "登录失败次数过多，请10分钟后再试",
                                                     "username": username}, None, status=429)
        try:
            cookie, session = unit_accounts.sign_in(db, username, password, now=now(request))
        except ReceptionError as exc:
            with contextlib.suppress(ServerError):  # (this attempt's answer is the account's own message)
                limits.count(db, key, LOGIN_FAIL_LIMIT, "登录失败次数过多，请10分钟后再试")
            return page(request, "unit_login.html", {"error": exc.message, "username": username}, None,
                        status=401)
        response = RedirectResponse(PASSWORD_PAGE if session.account.must_change_password else "/unit",
                                    status_code=303)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                            path="/unit")
        return response

    @r.post("/unit/logout")
    def logout(request: Request, token: Annotated[str, Form(alias=csrf.FIELD)] = "") -> Response:
        session = signed_in(request)
        if session is not None and csrf.check(db, request, f"unit:{session.csrf}", token):
            unit_accounts.end(db, request.cookies.get(COOKIE, ""), now=now(request))
        response = to_login()
        response.delete_cookie(COOKIE, path="/unit")
        return response

    @r.get("/unit", response_class=HTMLResponse)
    def workbench(request: Request, f: str = "") -> Response:
        session = signed_in(request)
        if session is None or session.account.must_change_password:
            return away(session)
        which = f if f in unit_work.FILTERS else ""
        today = now(request).astimezone(CHINA_TZ).date()
        rows = unit_work.workbench(db, session.account, today, which)
        all_open = rows if which == "" else unit_work.workbench(db, session.account, today, "")
        digest = unit_work.Digest(sum(1 for x in all_open if x.worst == "amber"),
                                  sum(1 for x in all_open if x.worst == "red"))
        return page(request, "unit_list.html", {"rows": rows[:LIST_SHOWN], "total": len(rows), "which": which,
                                                "filters": unit_work.FILTERS,
                                                "digest": digest}, session)

    def detail_page(request: Request, session: SignedInSession, case_id: str, *, notice: str = "", bad: str = "",
                    failed: str = "", values: dict[str, str] | None = None, status: int = 200) -> Response:
        today = now(request).astimezone(CHINA_TZ).date()
        try:
            detail = unit_work.case_detail(db, session.account, case_id, today)
        except NotFoundError as exc:
            return page(request, "unit_error.html", {"message": exc.message}, session, status=404)
        shown = {"progress"} | {"extend_request" if o.step == "extend" else o.step for o in detail.offers}
        if detail.extension is not None and session.account.is_head:
            shown |= {"extend_approve", "extend_refuse"}
        if failed not in shown:
            failed = ""  # (a form the page does not show: the message goes on top)
        return page(request, "unit_case.html", {
            "d": detail, "notice": notice, "bad": bad, "failed": failed, "values": values or {},
            "form_id": unit_work.new_form_id(), "outcomes": list(ReplyOutcome), "means": list(DeliveryMeans),
            "max_mb": unit_work.MAX_ATTACHMENT // 1024 // 1024}, session, status=status)

    @r.get("/unit/cases/{case_id}", response_class=HTMLResponse)
    def case(request: Request, case_id: str) -> Response:
        session = signed_in(request)
        if session is None or session.account.must_change_password:
            return away(session)
        try:
            moved = unit_work.survivor_of(db, session.account, case_id)
        except NotFoundError as exc:
            return page(request, "unit_error.html", {"message": exc.message}, session, status=404)
        if moved is not None:  # a merged-away case (an old bookmark, a link in an SMS): the case it now is
            return RedirectResponse(f"/unit/cases/{moved}", status_code=303)
        return detail_page(request, session, case_id)

    @r.post("/unit/cases/{case_id}/act", response_class=HTMLResponse)
    async def act(request: Request, case_id: str) -> Response:
        session = signed_in(request)
        if session is None or session.account.must_change_password:
            return away(session)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        uploads = []
        for item in form.getlist("files"):
            if isinstance(item, StarletteUpload | UploadFile) and item.filename:
                uploads.append(unit_work.Upload(item.filename, await item.read()))
        action = fields.get("action", "")
        if not csrf.check(db, request, f"unit:{session.csrf}", fields.get(csrf.FIELD, "")):
            return detail_page(request, session, case_id, bad="页面已过期或来源不明，未办理。请刷新页面后重新提交。",
                               failed=action, values=fields, status=400)
        from starlette.concurrency import run_in_threadpool

        try:
            done = await run_in_threadpool(unit_work.act, db, session.account, case_id, action, fields,
                                           form_id=fields.get("form_id", ""), now=now(request), uploads=uploads)
        except unit_work.Duplicate as exc:
            return detail_page(request, session, case_id, notice=exc.message, status=200)
        except NotFoundError as exc:
            return page(request, "unit_error.html", {"message": exc.message}, session, status=404)
        except FieldError as exc:
            return detail_page(request, session, case_id, bad=exc.message, failed=action,
                               values=fields, status=422)
        except ReceptionError as exc:  # LifecycleError: the machine's own reason
            return detail_page(request, session, case_id, bad=exc.message, failed=action, values=fields,
                               status=409)
        return detail_page(request, session, case_id, notice=f"{done.message}（当前状态：{done.status_label}）")

    @r.get("/unit/attachments/{attachment_id}")
    def attachment(request: Request, attachment_id: str) -> Response:
        session = signed_in(request)
        if session is None or session.account.must_change_password:
            return away(session)
        try:
            row, content = unit_work.attachment_for(db, attachment_id, unit_id=session.account.unit_id)
        except (NotFoundError, FileNotFoundError):
            return page(request, "unit_error.html", {"message": "未找到该附件"}, session, status=404)
        return Response(content, media_type=row.content_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.filename)}"})

    return r


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
