"""The petitioners' query page (/query, /q/<case no>?c=<code>) against a real server process, with cases made on
a real enrolled desk and synced, in a real browser at a phone and a desktop viewport."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from reception.domain.enums import ContentClass
from reception.lifecycle import machine as m
from tests.sync.conftest import Env
from tests.web.cases import ADDRESS, ID_NUMBER, NAME, PHONE, REQUEST, CaseMaker

NOW = "2026-09-01T10:00:00+08:00"
"""The server's "today" (``reception server --now``; the cases are made on the desk's injected clock from July and
August 2026). Not marked ``dated``: no result hangs on the wall clock, and chromium is not run under faketime;
tests/web/test_two_processes.py (no browser) is."""


@pytest.fixture
def server_args() -> tuple[str, ...]:
    return ("--now", NOW)


def fill_and_query(page: Any, base: str, case_no: str, code: str) -> None:
    page.goto(f"{base}/query")
    page.get_by_label("案件编号").fill(case_no)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_query_by_form_shows_progress_in_plain_words(web_env: Env, new_page: Callable[..., Any],
                                                     shot: Callable[[Any, str], Any], viewport: str) -> None:
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    made = maker.register(date(2026, 8, 3))
    maker.step(made, date(2026, 8, 4), m.SignFor())
    maker.step(made, date(2026, 8, 5), m.Accept(note="属于本单位职责"))
    assert desk.sync().ok
    page = new_page(viewport)
    fill_and_query(page, web_env.server.url, made.case_no.lower(), made.query_code)
    assert page.locator("#status").inner_text() == "已受理"
    assert page.locator("#case-no").inner_text() == made.case_no
    assert page.locator("#petitioner").inner_text() == "夏某云"
    steps = page.locator("#steps li").all_inner_texts()
    assert any("2026年8月3日" in s and "来访登记" in s for s in steps), steps
    assert any("2026年8月5日" in s and "受理，将自受理之日起60日内办结" in s for s in steps), steps
    clocks = page.locator("#clocks").inner_text()
    assert "允许60日，已过27日" in clocks, clocks  # accepted 5 August, today 1 September
    assert "2026年10月8日" in page.locator("#next-steps").inner_text()  # 10-04 falls in the National Day holiday
    body = page.content()
    for secret in (NAME, ID_NUMBER, PHONE, ADDRESS, REQUEST, "web-handler"):
        assert secret not in body
    assert "处理意见书送达后" in page.locator("#eval-note").inner_text()
    shot(page, f"query-progress-{viewport}")


def receipt_qr(desk: Any, case_id: str) -> str:
    """What the desk's receipt of the case prints in its QR code (the real receipt data and payload)."""
    from reception.db.settings import load_desk_settings
    from reception.intake.receipt import build_receipt_data
    from reception.receipts import qr_payload

    with desk.ctx.db.read() as s:
        data = build_receipt_data(s, case_id, None, desk.ctx.calendar, load_desk_settings(s))
    return qr_payload(data)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_query_by_the_receipts_qr_address_and_by_an_old_receipts_text(
        web_env: Env, new_page: Callable[..., Any], shot: Callable[[Any, str], Any], viewport: str) -> None:
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    made = maker.register(date(2026, 8, 24))
    assert desk.sync().ok
    qr = receipt_qr(desk, made.case_id)
    # the enrolled desk prints its server's query page: ASCII, no personal data
    assert qr == f"{web_env.server.url}/q/{made.case_no}?c={made.query_code}"
    page = new_page(viewport)
    page.goto(qr)
    assert page.locator("#case-no").inner_text() == made.case_no
    assert page.locator("#status").inner_text() == "已交办"
    assert "允许3个工作日，已过" in page.locator("#clocks").inner_text()  # the unit's sign-for clock
    shot(page, f"query-qr-{viewport}")
    # a receipt printed before: its QR text XF:<case no>:<code>, pasted into the case-number field
    page.goto(f"{web_env.server.url}/query")
    page.get_by_label("案件编号").fill(f"XF:{made.case_no}:{made.query_code}")
    page.get_by_role("button", name="查询").click()
    assert page.locator("#case-no").inner_text() == made.case_no


def test_wrong_number_or_code_gets_one_generic_message(web_env: Env, new_page: Callable[..., Any],
                                                       shot: Callable[[Any, str], Any]) -> None:
    desk = web_env.desk("一号窗口")
    made = CaseMaker(desk).register(date(2026, 8, 24))
    assert desk.sync().ok
    page = new_page("phone")
    other_code = "ABCDEFGH" if made.query_code != "ABCDEFGH" else "HGFEDCBA"
    tries = [(made.case_no, other_code),                      # the case exists, the code is wrong
             ("D01-20260824-0999", made.query_code),          # no such case
             ("not a number", "x")]                           # not even the form of one
    seen = []
    for case_no, code in tries:
        fill_and_query(page, web_env.server.url, case_no, code)
        seen.append(page.locator("#query-error").inner_text())
        assert page.get_by_label("案件编号").input_value() == case_no  # what was typed is kept
        assert page.locator("#status").count() == 0
    assert seen == ["案件编号或查询码不正确，请核对受理回执后重新输入。"] * 3
    shot(page, "query-wrong-phone")
    # the same through the QR address, and the same HTTP status: nothing tells "this case exists"
    statuses = {httpx.get(f"{web_env.server.url}/q/{n}", params={"c": c}).status_code for n, c in tries[:2]}
    assert statuses == {200}


def _local_client(address: str) -> httpx.Client:
    """An HTTP client whose requests come from ``address`` (any 127.x.y.z is this machine's loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def _query(client: httpx.Client, base: str, case_no: str, code: str) -> httpx.Response:
    return client.get(f"{base}/q/{case_no}", params={"c": code})


def test_guessing_is_throttled_per_address_and_per_case(web_env: Env, new_page: Callable[..., Any],
                                                         shot: Callable[[Any, str], Any]) -> None:
    from reception.server import limits

    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    target, other = maker.register(date(2026, 8, 24)), maker.register(date(2026, 8, 25))
    assert desk.sync().ok
    base = web_env.server.url
    wrong = "ABCDEFGH" if target.query_code != "ABCDEFGH" else "HGFEDCBA"
    guesser, owner = _local_client("127.0.0.2"), _local_client("127.0.0.3")
    for _ in range(limits.QUERY_FAIL_LIMIT):
        answer = _query(guesser, base, target.case_no, wrong)
        assert answer.status_code == 200 and "案件编号或查询码不正确" in answer.text
    # the guesser's address is locked: even a right pair of another case is refused now
    locked = _query(guesser, base, other.case_no, other.query_code)
    assert locked.status_code == 429 and "查询尝试次数过多，请15分钟后再试" in locked.text
    assert other.case_no not in locked.text.split("value=")[0]  # (no detail, only the form)
    # the guessed case is locked for everyone for a while, even with its right code (the guesses spread over
    # many addresses would otherwise go on), while other cases answer from other addresses
    assert _query(owner, base, target.case_no, target.query_code).status_code == 429
    assert _query(owner, base, other.case_no, other.query_code).status_code == 200
    # the state is in the server database, not in the process
    with web_env.db.read() as s:
        from sqlalchemy import select

        from reception.server.models import Throttle

        keys = {t.key: t.count for t in s.scalars(select(Throttle).where(Throttle.key.like("query:%")))}
    assert keys == {"query:addr:127.0.0.2": limits.QUERY_FAIL_LIMIT,
                    f"query:case:{target.case_no}": limits.QUERY_FAIL_LIMIT}
    page = new_page("phone")
    page.goto(f"{base}/q/{target.case_no}?c={target.query_code}")
    assert "查询尝试次数过多" in page.locator("#query-error").inner_text()
    shot(page, "query-locked-phone")


def _desk_case(desk: Any, case_id: str) -> tuple[str, list[tuple[str, dict[str, Any]]], list[Any]]:
    from sqlalchemy import select

    from reception.db.models import Case, CaseEvent, Supervision

    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        events = [(e.kind, dict(e.data or {})) for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.occurred_at))]
        sups = list(s.scalars(select(Supervision).where(Supervision.case_id == case_id)))
        return case.status, events, [(x.state, x.reason) for x in sups]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_dissatisfied_evaluation_reaches_the_desk_and_opens_supervision(
        web_env: Env, new_page: Callable[..., Any], shot: Callable[[Any, str], Any], viewport: str) -> None:
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    made = maker.replied(date(2026, 8, 3), outcome=m.ReplyOutcome.REJECT)  # reply delivered 24 August
    assert desk.sync().ok
    page = new_page(viewport)
    page.goto(f"{web_env.server.url}/q/{made.case_no}?c={made.query_code}")
    assert page.locator("#status").inner_text() == "已答复"
    assert any("2026年8月24日" in s and "处理意见书送达（不予支持）" in s
               for s in page.locator("#steps li").all_inner_texts())
    next_steps = page.locator("#next-steps").inner_text()
    assert "2026年9月23日前" in next_steps and "请求复查" in next_steps  # 30 days from 24 August
    clocks = page.locator("#clocks").inner_text()
    assert "满意度评价期" in clocks and "允许30日，已过8日" in clocks
    assert "评价期至2026年9月23日" in page.locator("#evaluation").inner_text()
    shot(page, f"query-evaluate-{viewport}")
    # no choice made: a clear message next to the form, the comment kept
    page.get_by_label("意见和建议（选填）").fill("答复没有解决问题")
    page.get_by_role("button", name="提交评价").click()
    assert page.locator("#eval-error").inner_text() == "请选择满意、基本满意或不满意。"
    assert page.get_by_label("意见和建议（选填）").input_value() == "答复没有解决问题"
    page.get_by_label("不满意").check()
    page.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价（不满意）" in page.locator("#notice").inner_text()
    assert "已对本次答复作出评价：不满意" in page.locator("#eval-note").inner_text()
    assert page.get_by_role("button", name="提交评价").count() == 0
    steps = page.locator("#steps li").all_inner_texts()
    assert any("满意度评价：不满意（网上）" in s for s in steps), steps
    assert any("因您对处理意见不满意，中心督办" in s for s in steps), steps
    shot(page, f"query-evaluated-{viewport}")
    # the desk receives it through sync: the same lifecycle event, and the 督办 it opens
    assert desk.sync().ok
    status, events, supervisions = _desk_case(desk, made.case_id)
    assert status == "replied"
    kinds = [k for k, _ in events]
    assert kinds[-2:] == ["evaluated", "supervised"]
    assert events[-2][1] == {"rating": "dissatisfied", "channel": "online"}
    assert supervisions == [("open", "dissatisfied")]
    # once per reply: posting the form again (a second tab, a replayed request) is refused by the state machine
    token = page.locator("input[name=csrf]").count()
    assert token == 0  # (no form left to post)
    again = page.request.post(f"{web_env.server.url}/q/{made.case_no}/evaluate",
                              form={"code": made.query_code, "rating": "satisfied", "comment": "",
                                    "csrf": _token(page, web_env.server.url)})
    assert again.status == 409 and "本次答复已有评价，不能重复评价" in again.text()
    assert desk.sync().ok
    assert [k for k, _ in _desk_case(desk, made.case_id)[1]].count("evaluated") == 1


def _token(page: Any, base: str) -> str:
    """The CSRF field of a fresh form in this browser context (its cookie is the context's)."""
    page.goto(f"{base}/query")
    return str(page.locator("input[name=csrf]").get_attribute("value"))


def test_evaluation_outside_the_window_is_refused_with_a_clear_message(web_env: Env,
                                                                       new_page: Callable[..., Any]) -> None:
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    made = maker.replied(date(2026, 7, 1))  # reply delivered 22 July: the window closed 21 August
    assert desk.sync().ok
    page = new_page("phone")
    page.goto(f"{web_env.server.url}/q/{made.case_no}?c={made.query_code}")
    assert page.locator("#eval-note").inner_text() == "评价期已于2026年8月21日届满，不能再在网上评价。"
    assert page.get_by_role("button", name="提交评价").count() == 0
    answer = page.request.post(f"{web_env.server.url}/q/{made.case_no}/evaluate",
                               form={"code": made.query_code, "rating": "satisfied",
                                     "csrf": _token(page, web_env.server.url)})
    assert answer.status == 409 and "评价期已于2026年8月21日届满" in answer.text()
    assert desk.sync().ok
    assert "evaluated" not in [k for k, _ in _desk_case(desk, made.case_id)[1]]


def test_a_form_posted_without_its_token_is_refused(web_env: Env) -> None:
    desk = web_env.desk("一号窗口")
    made = CaseMaker(desk).replied(date(2026, 8, 3))
    assert desk.sync().ok
    base = web_env.server.url
    with httpx.Client(base_url=base) as client:
        form = client.get("/query")  # a cookie and a token for this browser
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        for cookies, field in (({}, token), (None, ""), (None, "0" * 64)):
            if cookies is not None:
                client.cookies.clear()
            answer = client.post(f"/q/{made.case_no}/evaluate",
                                 data={"code": made.query_code, "rating": "satisfied", "csrf": field})
            assert answer.status_code == 403 and "页面已过期" in answer.text
            client.get("/query")
        # with the cookie and its token the same post goes through (another site can read neither)
        token = client.get("/query").text.split('name="csrf" value="')[1].split('"')[0]
        done = client.post(f"/q/{made.case_no}/evaluate",
                           data={"code": made.query_code, "rating": "satisfied", "csrf": token})
        assert done.status_code == 200 and "感谢您的评价（满意）" in done.text


def test_an_accusation_case_shows_only_its_status_and_dates(web_env: Env, new_page: Callable[..., Any],
                                                            shot: Callable[[Any, str], Any]) -> None:
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    made = maker.replied(date(2026, 8, 3), content=ContentClass.ACCUSATION, outcome=m.ReplyOutcome.SUPPORT)
    assert desk.sync().ok
    page = new_page("phone")
    page.goto(f"{web_env.server.url}/q/{made.case_no}?c={made.query_code}")
    assert page.locator("#status").inner_text() == "已答复"
    steps = page.locator("#steps li").all_inner_texts()
    assert [s.split("\n")[-1] for s in steps] == ["登记", "交办办理", "签收", "受理", "开始办理", "处理意见书送达"]
    assert all("2026年8月" in s for s in steps)
    body = page.locator("main").inner_text()
    for detail in ("住房", "建设局", "支持", "60日", "复查", "允许"):  # no unit, outcome, clock or remedy
        assert detail not in body, detail
    assert page.locator("#clocks").count() == 0 and page.locator("#next-steps").count() == 0
    assert page.get_by_role("button", name="提交评价").count() == 0
    assert page.locator("#petitioner").inner_text() == "夏某云"
    shot(page, "query-accusation-phone")


def test_the_page_works_with_javascript_off(web_env: Env, new_page: Callable[..., Any]) -> None:
    desk = web_env.desk("一号窗口")
    made = CaseMaker(desk).replied(date(2026, 8, 3))
    assert desk.sync().ok
    page = new_page("phone", java_script_enabled=False)
    fill_and_query(page, web_env.server.url, made.case_no, made.query_code)
    page.get_by_label("基本满意").check()
    page.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价（基本满意）" in page.locator("#notice").inner_text()
