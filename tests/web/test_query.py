"""The petitioners' query page (/query, /q/<case no>?c=<code>) against a real server process, with cases made on
a real enrolled desk and synced, in a real browser at a phone and a desktop viewport."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

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
