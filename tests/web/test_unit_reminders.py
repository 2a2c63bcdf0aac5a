"""The daily reminder to a handling unit: its due-soon and overdue cases, on the workbench and through the notifier
(the SMS gateway's interface) to the unit's contact phone, once a day; and the ``reception server unit-reminders``
command that sends it, run as a real process. The server's clock starts at ``tests.clock.SERVER_NOW`` (``--now``)
and the desk runs on the same fixed clock: not marked ``dated``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from reception.db.models import Case
from reception.lifecycle.notify import RecordingGateway
from reception.server import unit_accounts
from reception.server.models import Record, UnitDigest
from reception.server.unit_work import send_digests
from tests.clock import SERVER_NOW, Clock
from tests.sync.conftest import Env
from tests.web.cases import ADDRESS, ID_NUMBER, NAME, PHONE, REQUEST, CaseMaker
from tests.web.test_unit_workbench import STAFF_PW, china_today, desk_of, login, register, server_args

_ = server_args  # (the fixture: the server process on the fixed clock)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("server_db_url", ["sqlite", "postgresql"], indirect=True)
def test_daily_digest_on_the_workbench_and_by_sms_once_a_day(web_env: Env, new_page: Any, shot: Any) -> None:
    unit_accounts.add_unit_user(web_env.db, "CY", "cy_chen", "陈明", "unit_staff", STAFF_PW)
    unit_accounts.add_unit_user(web_env.db, "XYL", "xyl_wang", "王立", "unit_staff", "Xueyuan2026")
    desk = desk_of(web_env)
    today = china_today()
    late = register(desk, "CY", on=today - timedelta(days=20), request="三周前交办尚未签收的事项")
    register(desk, "CY", request="今天交办的事项")
    register(desk, "XYL", on=today - timedelta(days=20))
    assert desk.sync().ok
    with web_env.db.session() as s:  # 翠园街道's petition office phone (the directory's 联系电话)
        for rid, data in s.execute(select(Record.record_id, Record.data).where(Record.table_name == "unit")).all():
            if data.get("code") == "CY":
                s.execute(update(Record).where(Record.table_name == "unit", Record.record_id == rid)
                          .values(data={**data, "contact_phone": "02888886666"}))
    gateway = RecordingGateway()
    rows = {r.status: r for r in send_digests(web_env.db, gateway, today)}
    # 翠园街道 by SMS to its contact phone; 学院路街道 has none on file: recorded, not sent
    assert set(rows) == {"sent", "no_contact"}
    assert rows["sent"].overdue == 1 and rows["no_contact"].overdue == 1
    assert len(gateway.sent) == 1 and gateway.sent[0][0] == "02888886666"
    assert "超期1件" in gateway.sent[0][1] and gateway.sent[0][1].startswith("【区信访接待中心】")
    # a second run the same day sends nothing
    assert send_digests(web_env.db, gateway, today) == [] and len(gateway.sent) == 1
    with web_env.db.read() as s:
        assert s.query(UnitDigest).count() == 2
    # the workbench: the same figures, the overdue case first and in red; the overdue filter
    page = new_page("phone")
    login(page, web_env.server.url, "cy_chen", STAFF_PW)
    banner = page.locator("section[aria-label=今日提醒]")
    assert "超期1件" in banner.inner_text() and "bad" in (banner.get_attribute("class") or "")
    first = page.locator("li.case-row").first
    assert "三周前交办尚未签收的事项" in first.inner_text() and "worst-red" in (first.get_attribute("class") or "")
    assert "已超期" in first.locator(".clock.red").inner_text()
    page.get_by_role("link", name="超期").click()
    rows_shown = page.locator("li.case-row")
    assert rows_shown.count() == 1 and late in (rows_shown.first.locator("a").get_attribute("href") or "")
    shot(page, "unit-overdue-filter")


def _set_contact(web_env: Env, code: str, phone: str) -> None:
    """The unit's 联系电话 in the server's copy of the directory (as a reference import would publish it)."""
    with web_env.db.session() as s:
        for rid, data in s.execute(select(Record.record_id, Record.data).where(Record.table_name == "unit")).all():
            if data.get("code") == code:
                s.execute(update(Record).where(Record.table_name == "unit", Record.record_id == rid)
                          .values(data={**data, "contact_phone": phone}))


def _reminders(web_env: Env, log: Path, *args: str, now: datetime = SERVER_NOW, **env: str) -> tuple[
        subprocess.CompletedProcess[str], list[dict[str, str]]]:
    """``reception server --now ... unit-reminders`` as a process; what it printed, and what reached the gateway."""
    done = subprocess.run(
        [sys.executable, "-m", "reception", "server", "--now", now.isoformat(), "unit-reminders", *args,
         "--db", web_env.server.db_url],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), RECEPTION_TEST_SMS_LOG=str(log), **env),
        capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    sent = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return done, sent


@pytest.mark.parametrize("server_db_url", ["sqlite", "postgresql"], indirect=True)
def test_the_unit_reminders_command_sends_each_units_counts_to_its_contact(web_env: Env, tmp_path: Path) -> None:
    desk = desk_of(web_env)
    maker = CaseMaker(desk)  # (翠园街道's cases below name a known petitioner, to look for in the messages)
    today = china_today()
    # Until a unit signs for a case only its sign-for clock runs: 3 working days from the routing, amber with 2 or
    # fewer left (the last day included), red after. 区住房和城乡建设局 (ZJJ): one routed 20 days ago (overdue), one
    # yesterday (due soon), one today (not yet); 翠园街道 (CY): one overdue; 学院路街道 (XYL): one today; 雨溪街道 (YX):
    # overdue, but no account on the server (it does not work online: no reminder)
    zjj_overdue = maker.register(today - timedelta(days=20))
    zjj_soon = maker.register(today - timedelta(days=1))
    maker.register(today)
    desk.ctx.now = Clock(SERVER_NOW)
    register(desk, "CY", on=today - timedelta(days=20), request="三周前交办的翠园街道事项")
    register(desk, "XYL", request="学院路街道今天交办的事项")
    register(desk, "YX", on=today - timedelta(days=20))
    assert desk.sync().ok
    for code, username in (("ZJJ", "zjj_li"), ("CY", "cy_chen"), ("XYL", "xyl_wang")):
        unit_accounts.add_unit_user(web_env.db, code, username, "某某", "unit_staff", "Danwei2026")
    _set_contact(web_env, "ZJJ", "02866661111")
    _set_contact(web_env, "CY", "02888886666")
    _set_contact(web_env, "XYL", "02877772222")
    _set_contact(web_env, "YX", "02855553333")
    log = tmp_path / "sms.jsonl"
    gateway = ("--gateway", "tests.web.sms_file_gateway:gateway")

    done, sent = _reminders(web_env, log, *gateway)
    by_phone = {m["phone"]: m["text"] for m in sent}
    assert len(sent) == 2 and set(by_phone) == {"02866661111", "02888886666"}  # one message per unit contact
    said = "【区信访接待中心】截至今日，本单位信访事项临期{}件、超期{}件，请及时办理。详见网上办理平台。"
    assert by_phone["02866661111"] == said.format(1, 1)
    assert by_phone["02888886666"] == said.format(0, 1)
    # only counts: no petitioner's name, ID, phone or address, no request, no case number or query code
    with desk.ctx.db.read() as s:
        numbers = [c.case_no for c in s.query(Case)]
        codes = [c.query_code for c in s.query(Case)]
    for text in by_phone.values():
        for secret in (NAME, "夏某云", ID_NUMBER, PHONE, PHONE[-4:], ADDRESS, REQUEST, "三周前交办", *numbers, *codes):
            assert secret not in text
    assert "区住房和城乡建设局\t临期1\t超期1\t已发送" in done.stdout and "翠园街道\t临期0\t超期1\t已发送" in done.stdout
    assert "学院路街道" not in done.stdout and "雨溪街道" not in done.stdout
    assert "今日提醒 2 个单位" in done.stdout
    assert PHONE not in done.stdout and "02866661111" not in done.stdout  # (no phone printed in full)
    with web_env.db.read() as s:
        stored = {(d.unit_id, d.day, d.status, d.due_soon, d.overdue) for d in s.scalars(select(UnitDigest))}
    assert {(day, status, soon, late) for _u, day, status, soon, late in stored} == {
        (today.isoformat(), "sent", 1, 1), (today.isoformat(), "sent", 0, 1)}

    # the same day again: nothing sent twice
    again, sent = _reminders(web_env, log, *gateway, now=SERVER_NOW + timedelta(hours=2))
    assert sent == [] and "今日提醒 0 个单位" in again.stdout
    # the next day: sent again with that day's counts (today's cases have 2 working days left: due soon now, 学院路
    # 街道's too); a gateway refusing 翠园街道's phone is reported, the others still sent
    tomorrow = SERVER_NOW + timedelta(days=1)
    nxt, sent = _reminders(web_env, log, *gateway, now=tomorrow, RECEPTION_TEST_SMS_FAIL="02888886666")
    assert {m["phone"]: m["text"] for m in sent} == {"02866661111": said.format(2, 1),
                                                      "02877772222": said.format(1, 0)}
    assert "翠园街道\t临期0\t超期1\t发送失败" in nxt.stdout and "学院路街道\t临期1\t超期0\t已发送" in nxt.stdout
    # without a gateway: nothing leaves the server, the command says what it would have sent, phone masked; a unit
    # without a contact phone is said so
    _set_contact(web_env, "XYL", "")
    dry, sent = _reminders(web_env, log, now=tomorrow + timedelta(days=1))
    assert sent == []
    assert f"（未接短信网关，未实际发送）028****1111：{said.format(2, 1)}" in dry.stdout
    assert "学院路街道\t临期1\t超期0\t单位未登记联系电话" in dry.stdout
    assert "02866661111" not in dry.stdout
    _ = (zjj_overdue, zjj_soon)
