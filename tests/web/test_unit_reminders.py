"""The daily reminder to a handling unit: its due-soon and overdue cases, on the workbench and through the notifier
(the SMS gateway's interface) to the unit's contact phone, once a day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from reception.lifecycle.notify import RecordingGateway
from reception.server import unit_accounts
from reception.server.models import Record, UnitDigest
from reception.server.unit_work import send_digests
from tests.sync.conftest import Env
from tests.web.test_unit_workbench import STAFF_PW, china_today, login, register

pytestmark = pytest.mark.dated


@pytest.mark.parametrize("server_db_url", ["sqlite", "postgresql"], indirect=True)
def test_daily_digest_on_the_workbench_and_by_sms_once_a_day(web_env: Env, new_page: Any, shot: Any) -> None:
    unit_accounts.add_unit_user(web_env.db, "CY", "cy_chen", "陈明", "unit_staff", STAFF_PW)
    unit_accounts.add_unit_user(web_env.db, "XYL", "xyl_wang", "王立", "unit_staff", "Xueyuan2026")
    desk = web_env.desk("一号窗口")
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
