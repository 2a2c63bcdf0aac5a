"""The petitioners' public query and rating page (issue 15): ``/query`` (the form), ``/q/<case no>?c=<code>``
(the receipt's QR code), ``POST /q/<case no>/evaluate`` (满意度评价, channel 网上).

No login: the case number and the query code printed on the receipt are the key. A wrong pair, an unknown case
number and a malformed one get the same message (``WRONG``); wrong pairs are counted per client address and per
case number in the server database (``limits.note_failures``), and past ``limits.QUERY_FAIL_LIMIT`` both are
refused for ``limits.QUERY_LOCK`` (``LOCKED``), whichever server process answers. Forms carry a CSRF token
(``web.csrf``). The query code travels in a form post, or in the QR address (``Referrer-Policy: no-referrer``).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from reception.db.base import CHINA_TZ
from reception.domain.case_numbers import CASE_NO_RE, QUERY_ALPHABET, QUERY_CODE_LENGTH
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.machine import Settings
from reception.server import casework, limits
from reception.server.db import ServerDatabase
from reception.server.web import caseview, csrf, render
from reception.server.web.casedata import PublicCase, find_case, first_petitioner_name, unit_names
from reception.server.web.evaluation import record_evaluation

PURPOSE = "query"
WRONG = "案件编号或查询码不正确，请核对受理回执后重新输入。"
LOCKED = ("查询尝试次数过多，请{minutes}分钟后再试；也可携带受理回执到区信访接待中心窗口查询，或拨打12345。")
EXPIRED = "页面已过期，请重新提交。（请允许本网站使用 Cookie）"
COMMENT_MAX = 500
RATINGS = (("satisfied", "满意"), ("basically", "基本满意"), ("dissatisfied", "不满意"))
_CODE_RE = re.compile(f"^[{QUERY_ALPHABET}]{{{QUERY_CODE_LENGTH}}}$")
_OLD_QR_RE = re.compile(r"^XF:(?P<case>[A-Z0-9-]+):(?P<code>[A-Z0-9]+)$")


def normalise(case_no: str, code: str) -> tuple[str, str]:
    """Upper-case and trim what was typed; a pasted QR text (``XF:<case>:<code>``, the old receipts) or a pasted
    query address (``.../q/<case>?c=<code>``) in the case-number field is split into both."""
    raw = "".join(case_no.split()).upper()
    code = "".join(code.split()).upper()
    old = _OLD_QR_RE.match(raw)
    if old:
        return old["case"], code or old["code"]
    if "/Q/" in raw:
        parts = urlsplit("".join(case_no.split()))
        path_case = parts.path.rstrip("/").rsplit("/", 1)[-1].upper()
        pasted = (parse_qs(parts.query).get("c") or [""])[0].upper()
        return path_case, code or pasted
    return raw, code


def well_formed(case_no: str, code: str) -> bool:
    return bool(CASE_NO_RE.match(case_no)) and bool(_CODE_RE.match(code))


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _keys(request: Request, case_no: str) -> list[str]:
    keys = [f"query:addr:{_address(request)}"[:120]]
    if case_no and CASE_NO_RE.match(case_no):
        keys.append(f"query:case:{case_no}")
    return keys


@dataclass
class Opened:
    case: PublicCase | None
    error: str
    status: int


def router(db: ServerDatabase) -> APIRouter:
    r = APIRouter()
    locked_text = LOCKED.format(minutes=int(limits.QUERY_LOCK.total_seconds() // 60))

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        token, cookie = csrf.issue(db, request, PURPOSE)
        response = render(request, name, {"csrf_field": csrf.FIELD, "csrf_token": token, **context}, status=status)
        if cookie is not None:
            csrf.set_cookie(response, cookie, request)
        return response

    def form_page(request: Request, *, case_no: str = "", code: str = "", error: str = "",
                  status: int = 200) -> HTMLResponse:
        return page(request, "query_form.html", {"case_no": case_no, "code": code, "error": error}, status)

    def open_case(request: Request, case_no: str, code: str) -> Opened:
        """The case if ``code`` is its query code; else the one generic message (and the failure counted)."""
        keys = _keys(request, case_no)
        if limits.locked_out(db, keys):
            return Opened(None, locked_text, 429)
        found = None
        if well_formed(case_no, code):
            with db.read() as s:
                found = find_case(s, db.sealer, case_no)
        expected = str(found.data.get("query_code", "")).upper() if found is not None else ""
        if found is None or not hmac.compare_digest(expected.encode(), code.encode()):
            limits.note_failures(db, keys)
            return Opened(None, WRONG, 200)
        return Opened(found, "", 200)

    def case_page(request: Request, case: PublicCase, code: str, *, notice: str = "", notice_kind: str = "good",
                  error: str = "", rating: str = "", comment: str = "", status: int = 200) -> HTMLResponse:
        today = request.app.state.now().astimezone(CHINA_TZ).date()
        with db.read() as s:
            name = first_petitioner_name(s, case.id)
            units = unit_names(s, {str(e.get("unit_id")) for e in case.events if e.get("unit_id")})
            cal, settings = _rules(s)
        view = caseview.build(case, name=name, units=units, today=today, cal=cal, settings=settings)
        return page(request, "query_case.html", {
            "view": view, "code": code, "notice": notice, "notice_kind": notice_kind, "error": error,
            "ratings": RATINGS, "rating": rating, "comment": comment, "comment_max": COMMENT_MAX}, status)

    @r.get("/query", response_class=HTMLResponse)
    def query_form(request: Request) -> HTMLResponse:
        return form_page(request)

    @r.post("/query", response_class=HTMLResponse)
    def query_submit(request: Request, case_no: Annotated[str, Form(max_length=200)] = "",
                     code: Annotated[str, Form(max_length=200)] = "",
                     token: Annotated[str, Form(alias=csrf.FIELD, max_length=200)] = "") -> HTMLResponse:
        number, key = normalise(case_no, code)
        if not csrf.check(db, request, PURPOSE, token):
            return form_page(request, case_no=case_no, code=code, error=EXPIRED, status=403)
        if not number or not key:
            return form_page(request, case_no=case_no, code=code,
                             error="请填写案件编号和查询码（见受理回执）。", status=200)
        opened = open_case(request, number, key)
        if opened.case is None:
            return form_page(request, case_no=case_no, code=code, error=opened.error, status=opened.status)
        return case_page(request, opened.case, key)

    @r.get("/q/{case_no}", response_class=HTMLResponse)
    def query_link(request: Request, case_no: str, c: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
        """The receipt's QR code: ``/q/<case no>?c=<query code>``."""
        number, key = normalise(case_no, c)
        if not key:
            return form_page(request, case_no=number[:40])
        opened = open_case(request, number, key)
        if opened.case is None:
            return form_page(request, case_no=number[:40], error=opened.error, status=opened.status)
        return case_page(request, opened.case, key)

    @r.post("/q/{case_no}/evaluate", response_class=HTMLResponse)
    def evaluate(request: Request, case_no: str, code: Annotated[str, Form(max_length=200)] = "",
                 rating: Annotated[str, Form(max_length=20)] = "",
                 comment: Annotated[str, Form(max_length=4000)] = "",
                 token: Annotated[str, Form(alias=csrf.FIELD, max_length=200)] = "") -> HTMLResponse:
        number, key = normalise(case_no, code)
        if not csrf.check(db, request, PURPOSE, token):
            return form_page(request, case_no=number[:40], error=EXPIRED, status=403)
        opened = open_case(request, number, key)
        if opened.case is None:
            return form_page(request, case_no=number[:40], error=opened.error, status=opened.status)
        comment = comment.strip()
        if rating not in {value for value, _ in RATINGS}:
            return case_page(request, opened.case, key, error="请选择满意、基本满意或不满意。", comment=comment,
                             status=200)
        if len(comment) > COMMENT_MAX:
            return case_page(request, opened.case, key, error=f"意见不超过{COMMENT_MAX}字（现有{len(comment)}字）。",
                             rating=rating, comment=comment)
        problem = record_evaluation(db, opened.case.id, rating, comment, now=request.app.state.now())
        with db.read() as s:
            fresh = find_case(s, db.sealer, number) or opened.case
        if problem:
            return case_page(request, fresh, key, notice=problem, notice_kind="bad", status=409)
        label = dict(RATINGS)[rating]
        thanks = f"感谢您的评价（{label}）。"
        if rating == "dissatisfied":
            thanks += "中心已督办，责任单位须重新核查办理并向您反馈。"
        return case_page(request, fresh, key, notice=thanks)

    return r


def _rules(session: Session) -> tuple[WorkCalendar, Settings]:
    """The working-day calendar and the lifecycle's settings the desks use (from the synced records)."""
    return casework.work_calendar(session), casework.load_settings(session)
