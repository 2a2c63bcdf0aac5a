"""The petitioners' query page (/query, /q/<case no>?c=<code>) against a real server process, with cases made on
a real enrolled desk and synced, in a real browser at a phone and a desktop viewport."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from reception.lifecycle import machine as m
from tests.sync.conftest import Env
from tests.web.cases import ADDRESS, ID_NUMBER, NAME, PHONE, REQUEST, CaseMaker

pytestmark = pytest.mark.dated

NOW = "2026-09-01T10:00:00+08:00"
"""The server's "today" (the cases are registered from 3 August 2026 on the desk's clock)."""


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
    from reception.receipts import qr_payload
    from reception.services.receipt_service import build_receipt_data
    from reception.services.settings import load_desk_settings

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
