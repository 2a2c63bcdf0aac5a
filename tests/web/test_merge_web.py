"""Merged cases on the server's pages, against a real ``reception server`` process with cases made on a real
enrolled desk, merged there and synced (SQLite, and PostgreSQL when RECEPTION_TEST_PG_URL is set): the old
receipt's number and query code (form and QR address) show the surviving case's progress with a merge note; the
unit's workbench lists the merged group once, sends the merged-away case's address on to the survivor, and the server
refuses a step on the merged-away case."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from reception.lifecycle import machine as m
from reception.merge.service import merge_cases
from reception.server import casework, unit_accounts
from reception.server.web.query import WRONG
from tests.sync.conftest import Env
from tests.web.cases import CaseMaker, Made

NOW = "2026-09-01T10:00:00+08:00"
STAFF_PW = "Zhujian2026"


@pytest.fixture
def server_args() -> tuple[str, ...]:
    return ("--now", NOW)


def _merged(web_env: Env) -> tuple[CaseMaker, Made, Made]:
    """Two cases of one matter at one desk: the later (a visit on 10 August, accepted) survives; the earlier
    (3 August, only assigned) is merged into it; synced."""
    desk = web_env.desk("一号窗口")
    maker = CaseMaker(desk)
    old = maker.register(date(2026, 8, 3))
    survivor = maker.register(date(2026, 8, 10))
    maker.step(survivor, date(2026, 8, 11), m.SignFor())
    maker.step(survivor, date(2026, 8, 12), m.Accept(note="属于本单位职责"))
    assert desk.sync().ok
    merge_cases(desk.ctx, survivor.case_id, old.case_id, reason="同一事项重复登记", actor_id=None)
    assert desk.sync().ok
    return maker, survivor, old


def _token(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def _field(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}">')[1].split("<")[0]


def test_an_old_receipt_shows_the_surviving_case(web_env: Env) -> None:
    _maker, survivor, old = _merged(web_env)
    with httpx.Client(base_url=web_env.server.url) as client:
        by_qr = client.get(f"/q/{old.case_no}", params={"c": old.query_code})
        token = _token(client.get("/query").text)
        by_form = client.post("/query", data={"case_no": old.case_no.lower(), "code": old.query_code,
                                              "csrf": token})
        for answer in (by_qr, by_form):
            assert answer.status_code == 200
            assert _field(answer.text, "case-no") == survivor.case_no
            assert _field(answer.text, "status") == "已受理"
            note = _field(answer.text, "merge-note")
            assert note == f"您查询的事项（{old.case_no}）已与 {survivor.case_no} 合并办理，以下为合并后的办理进度。"
            assert "与另一登记事项合并办理" in answer.text and "同一事项重复登记" not in answer.text
        # the surviving case's own receipt: no note
        own = client.get(f"/q/{survivor.case_no}", params={"c": survivor.query_code})
        assert _field(own.text, "case-no") == survivor.case_no and 'id="merge-note"' not in own.text
        # the old number is still keyed by its own query code: the survivor's code does not open it
        crossed = client.get(f"/q/{old.case_no}", params={"c": survivor.query_code})
        assert WRONG in crossed.text and 'id="case-no"' not in crossed.text


def _sign_in(client: httpx.Client, username: str, password: str) -> None:
    token = _token(client.get("/unit/login").text)
    answer = client.post("/unit/login", data={"username": username, "password": password, "csrf": token},
                         follow_redirects=True)
    assert answer.status_code == 200 and str(answer.url).endswith("/unit"), answer.url


def test_the_units_workbench_lists_a_merged_group_once(web_env: Env) -> None:
    unit_accounts.add_unit_user(web_env.db, "ZJJ", "zjj_li", "李强", "unit_staff", STAFF_PW)
    _maker, survivor, old = _merged(web_env)
    with httpx.Client(base_url=web_env.server.url) as client:
        _sign_in(client, "zjj_li", STAFF_PW)
        listing = client.get("/unit").text
        assert survivor.case_no in listing and old.case_no not in listing
        assert old.case_no not in client.get("/unit", params={"f": "overdue"}).text
        # the merged-away case's own address (an old bookmark, a link in a reminder) opens the case it now is
        moved = client.get(f"/unit/cases/{old.case_id}")
        assert moved.status_code == 303 and moved.headers["location"] == f"/unit/cases/{survivor.case_id}"
        opened = client.get(f"/unit/cases/{old.case_id}", follow_redirects=True)
        assert opened.status_code == 200 and survivor.case_no in opened.text
        assert client.get(f"/unit/cases/{survivor.case_id}").status_code == 200  # the survivor: no redirect
        assert client.get("/unit/cases/no-such-case").status_code == 404
    with web_env.db.read() as s:  # the server refuses a step on the merged-away case, as a desk does
        case = casework.load_case(s, web_env.db.sealer, case_id=old.case_id)
        with pytest.raises(casework.LifecycleError) as refused:
            casework.apply(s, case, m.SignFor(), origin_client="test", unit_user="李强")
        assert survivor.case_no in str(refused.value)  # (refused before anything is written)


def test_a_chain_of_merges_is_followed_to_its_end_by_the_query_page_and_the_workbench(web_env: Env) -> None:
    """old → survivor, then survivor → newest: both server readers walk the chain through the one helper
    (``casework.surviving_record``) to the newest case."""
    unit_accounts.add_unit_user(web_env.db, "ZJJ", "zjj_li", "李强", "unit_staff", STAFF_PW)
    maker, survivor, old = _merged(web_env)
    newest = maker.register(date(2026, 8, 20))
    merge_cases(maker.desk.ctx, newest.case_id, survivor.case_id, reason="同一事项再次登记", actor_id=None)
    assert maker.desk.sync().ok
    with web_env.db.read() as s:
        opened = casework.load_case(s, web_env.db.sealer, case_id=old.case_id)
        found = casework.surviving_record(s, web_env.db.sealer, opened.data)
        assert found is not None and found[0] == newest.case_id
        assert casework.surviving_record(s, web_env.db.sealer, {"merged_into": "not-on-the-server"}) is None
        held = casework.load_case(s, web_env.db.sealer, case_id=newest.case_id)
        assert casework.surviving_record(s, web_env.db.sealer, held.data) is None  # (not merged away)
    with httpx.Client(base_url=web_env.server.url) as client:
        answer = client.get(f"/q/{old.case_no}", params={"c": old.query_code})
        assert _field(answer.text, "case-no") == newest.case_no
        _sign_in(client, "zjj_li", STAFF_PW)
        moved = client.get(f"/unit/cases/{old.case_id}")
        assert moved.status_code == 303 and moved.headers["location"] == f"/unit/cases/{newest.case_id}"
