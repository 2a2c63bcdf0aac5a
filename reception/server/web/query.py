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
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from reception.db.base import CHINA_TZ
from reception.domain.case_numbers import CASE_NO_RE, QUERY_ALPHABET, QUERY_CODE_LENGTH
from reception.domain.enums import CaseStatus
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.machine import Settings
from reception.server import casework, limits
from reception.server.db import ServerDatabase
from reception.server.web import caseview, csrf, render
from reception.server.web.casedata import (
    PublicCase,
    find_case,
    first_petitioner_name,
    surviving_case,
    unit_names,
)
from reception.server.web.evaluation import record_evaluation

PURPOSE = "query"
WRONG = "案件编号或查询码不正确，请核对受理回执后重新输入。"
VOIDED = ("该事项已撤销：该编号对应的是从历史台账导入的记录，因导入有误已由接待中心撤销，不作为信访事项办理。"
          "如您有信访事项需要查询或反映，请携带材料到区信访接待中心窗口，或拨打12345。")
"""What the right number and code of a case whose import was undone (``CaseStatus.VOID``) show: no details, no
evaluation, but a clear answer (a petitioner who holds the code would take "wrong code" for a typing error, and
their tries would count towards the lock-out)."""
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
    failed: list[str] = field(default_factory=list)
    """The throttle keys to count a failure under (a wrong pair)."""


def router(db: ServerDatabase) -> APIRouter:
    r = APIRouter()
    rules = Rules()
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

    def open_case(request: Request, s: Session, case_no: str, code: str) -> Opened:
        """The case if ``code`` is its query code, else the one generic message (``failed``: count it once the
        read transaction is over). One read transaction serves the whole page (``case_page``). The code is checked
        against the case the number names; a case merged into another then shows that one."""
        keys = _keys(request, case_no)
        if limits.locked_out_in(s, keys):
            return Opened(None, locked_text, 429)
        found = find_case(s, db.sealer, case_no) if well_formed(case_no, code) else None
        expected = str(found.data.get("query_code", "")).upper() if found is not None else ""
        if found is None or not hmac.compare_digest(expected.encode(), code.encode()):
            return Opened(None, WRONG, 200, failed=keys)
        # the receipt of a case merged into another (its number an alias): the case it now is
        return Opened(surviving_case(s, db.sealer, found), "", 200)

    def answer(request: Request, case_no: str, code: str, *, typed: str = "", typed_code: str = "",
               **extra: Any) -> HTMLResponse:
        """Open the case and show it, or the form with the message (the failure counted)."""
        with db.read() as s:
            opened = open_case(request, s, case_no, code)
            # (not ``counted_case_data`` here, on purpose: a merged-away case shows the case it now is, and an
            # 已撤销 one is found by its right number and code to say so, with no details)
            if opened.case is not None and opened.case.state.status is CaseStatus.VOID:
                return form_page(request, case_no=typed or case_no[:40], code=typed_code, error=VOIDED)
            if opened.case is not None:
                return case_page(request, s, opened.case, code, **extra)
        if opened.failed:
            limits.note_failures(db, opened.failed)
        return form_page(request, case_no=typed or case_no[:40], code=typed_code, error=opened.error,
                         status=opened.status)

    def case_page(request: Request, s: Session, case: PublicCase, code: str, *, notice: str = "",
                  notice_kind: str = "good", error: str = "", rating: str = "", comment: str = "",
                  status: int = 200) -> HTMLResponse:
        today = request.app.state.now().astimezone(CHINA_TZ).date()
        name = first_petitioner_name(s, case)
        units = rules.unit_names(s)
        cal, settings = rules.get(s)
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
        return answer(request, number, key, typed=case_no, typed_code=code)

    @r.get("/q/{case_no}", response_class=HTMLResponse)
    def query_link(request: Request, case_no: str, c: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
        """The receipt's QR code: ``/q/<case no>?c=<query code>``."""
        number, key = normalise(case_no, c)
        if not key:
            return form_page(request, case_no=number[:40])
        return answer(request, number, key)

    @r.post("/q/{case_no}/evaluate", response_class=HTMLResponse)
    def evaluate(request: Request, case_no: str, code: Annotated[str, Form(max_length=200)] = "",
                 rating: Annotated[str, Form(max_length=20)] = "",
                 comment: Annotated[str, Form(max_length=4000)] = "",
                 token: Annotated[str, Form(alias=csrf.FIELD, max_length=200)] = "") -> HTMLResponse:
        number, key = normalise(case_no, code)
        if not csrf.check(db, request, PURPOSE, token):
            return form_page(request, case_no=number[:40], error=EXPIRED, status=403)
        comment = comment.strip()
        if rating not in {value for value, _ in RATINGS}:
            return answer(request, number, key, error="请选择满意、基本满意或不满意。", comment=comment)
        if len(comment) > COMMENT_MAX:
            return answer(request, number, key, error=f"意见不超过{COMMENT_MAX}字（现有{len(comment)}字）。",
                          rating=rating, comment=comment)
        with db.read() as s:
            opened = open_case(request, s, number, key)
        if opened.case is None:
            if opened.failed:
                limits.note_failures(db, opened.failed)
            return form_page(request, case_no=number[:40], error=opened.error, status=opened.status)
        problem = record_evaluation(db, opened.case.id, rating, comment, now=request.app.state.now())
        if problem:
            return answer(request, number, key, notice=problem, notice_kind="bad", status=409)
        thanks = f"感谢您的评价（{dict(RATINGS)[rating]}）。"
        if rating == "dissatisfied":
            thanks += "中心已督办，责任单位须重新核查办理并向您反馈。"
        return answer(request, number, key, notice=thanks)

    return r


class Rules:
    """The working-day calendar, the lifecycle's settings and the units' names the desks use (from the synced
    records), kept by each server process for ``TTL`` seconds: they change a few times a year, and reading them
    was half of a page's queries. (A cache, not shared state: each process reads the database itself.)"""

    TTL = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: tuple[float, WorkCalendar, Settings] | None = None
        self._units: tuple[float, dict[str, str]] | None = None

    def get(self, session: Session) -> tuple[WorkCalendar, Settings]:
        held = self._rules
        if held is None or time.monotonic() - held[0] > self.TTL:
            held = (time.monotonic(), casework.work_calendar(session), casework.load_settings(session))
            with self._lock:
                self._rules = held
        return held[1], held[2]

    def unit_names(self, session: Session) -> dict[str, str]:
        held = self._units
        if held is None or time.monotonic() - held[0] > self.TTL:
            held = (time.monotonic(), unit_names(session))
            with self._lock:
                self._units = held
        return held[1]
