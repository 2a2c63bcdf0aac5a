"""Two server processes over one database (the production set-up: N workers or N machines over one PostgreSQL):
a desk syncs to process A, the petitioner's query and evaluation are answered by process B, the desk receives the
evaluation from A; wrong tries counted by A lock the address and the case on B."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from reception.lifecycle import machine as m
from reception.server import limits
from tests.sync.conftest import Env
from tests.sync.harness import ServerProcess
from tests.web.cases import CaseMaker

pytestmark = pytest.mark.dated

NOW = "2026-09-01T10:00:00+08:00"


@pytest.fixture
def server_args() -> tuple[str, ...]:
    return ("--now", NOW)


@pytest.fixture
def second(web_env: Env, tmp_path: Path, server_args: tuple[str, ...]) -> Iterator[ServerProcess]:
    folder = tmp_path / "b"
    folder.mkdir()
    server = ServerProcess(web_env.server.db_url, folder, extra_args=server_args).start()
    try:
        yield server
    finally:
        server.stop()


def _token(client: httpx.Client) -> str:
    return client.get("/query").text.split('name="csrf" value="')[1].split('"')[0]


def test_query_and_evaluation_answered_by_the_other_process(web_env: Env, second: ServerProcess) -> None:
    a, b = web_env.server, second
    desk = web_env.desk("一号窗口")  # enrolled with A, syncs with A only
    maker = CaseMaker(desk)
    made = maker.replied(date(2026, 8, 3), outcome=m.ReplyOutcome.EXPLAIN)
    assert desk.sync().ok
    with httpx.Client(base_url=b.url) as petitioner:
        page = petitioner.get(f"/q/{made.case_no}", params={"c": made.query_code})
        assert page.status_code == 200 and '<span class="status" id="status">已答复</span>' in page.text
        # a form token issued by A is good on B (the signing secret is in the database, not in a process)
        with httpx.Client(base_url=a.url) as via_a:
            token = _token(via_a)
            petitioner.cookies.update(via_a.cookies)
        done = petitioner.post(f"/q/{made.case_no}/evaluate",
                               data={"code": made.query_code, "rating": "dissatisfied", "comment": "仍未解决",
                                     "csrf": token})
        assert done.status_code == 200 and "感谢您的评价（不满意）" in done.text
    assert desk.sync().ok  # from A: B's writes are in the one database
    from sqlalchemy import select

    from reception.db.models import CaseEvent, Supervision

    with desk.ctx.db.read() as s:
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == made.case_id)
                               .order_by(CaseEvent.occurred_at)))
        evaluated = s.scalar(select(CaseEvent).where(CaseEvent.case_id == made.case_id,
                                                     CaseEvent.kind == "evaluated"))
        sups = list(s.scalars(select(Supervision.state).where(Supervision.case_id == made.case_id)))
    assert kinds[-2:] == ["evaluated", "supervised"] and sups == ["open"]
    assert evaluated is not None and evaluated.data == {"rating": "dissatisfied", "channel": "online"}
    assert evaluated.note == "仍未解决"


def test_throttle_counted_by_one_process_holds_on_the_other(web_env: Env, second: ServerProcess) -> None:
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    made, other = maker.register(date(2026, 8, 24)), maker.register(date(2026, 8, 25))
    assert desk.sync().ok
    wrong = "ABCDEFGH" if made.query_code != "ABCDEFGH" else "HGFEDCBA"
    guesser = httpx.HTTPTransport(local_address="127.0.0.5")
    with httpx.Client(base_url=web_env.server.url, transport=guesser) as on_a:
        for _ in range(limits.QUERY_FAIL_LIMIT):
            assert "案件编号或查询码不正确" in on_a.get(f"/q/{made.case_no}", params={"c": wrong}).text
    with httpx.Client(base_url=second.url, transport=httpx.HTTPTransport(local_address="127.0.0.5")) as on_b:
        answer = on_b.get(f"/q/{other.case_no}", params={"c": other.query_code})
        assert answer.status_code == 429 and "查询尝试次数过多" in answer.text  # the address, locked by A
    with httpx.Client(base_url=second.url, transport=httpx.HTTPTransport(local_address="127.0.0.6")) as owner:
        assert owner.get(f"/q/{made.case_no}", params={"c": made.query_code}).status_code == 429  # the case
        assert owner.get(f"/q/{other.case_no}", params={"c": other.query_code}).status_code == 200


def test_reception_server_with_workers_answers_the_query(web_env: Env, tmp_path: Path) -> None:
    """``reception server --workers 2`` (the README's production set-up on one machine): the supervisor's workers
    answer the query page of a case a desk synced through another process, on fresh connections each time."""
    desk = web_env.desk("一号窗口")
    made = CaseMaker(desk).replied(date(2026, 8, 3), outcome=m.ReplyOutcome.EXPLAIN)
    assert desk.sync().ok
    folder = tmp_path / "workers"
    folder.mkdir()
    server = ServerProcess(web_env.server.db_url, folder, extra_args=("--now", NOW, "--workers", "2")).start()
    try:
        for _ in range(8):
            with httpx.Client(base_url=server.url) as fresh:  # (a new connection: either worker may take it)
                page = fresh.get(f"/q/{made.case_no}", params={"c": made.query_code})
                assert page.status_code == 200 and 'id="status">已答复</span>' in page.text
        log = (folder / "server.log").read_text(encoding="utf-8")
        assert "2 worker processes" in log
    finally:
        server.stop()
    assert server.proc is None
