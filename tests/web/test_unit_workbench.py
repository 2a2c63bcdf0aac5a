"""The handling units' workbench at ``/unit`` in a real browser (Playwright, Debian's chromium) against a real
``reception server`` process on loopback, with a real desk enrolled and syncing (SQLite, and PostgreSQL when
RECEPTION_TEST_PG_URL is set).

The server's clock starts at ``tests.clock.SERVER_NOW`` (``reception server --now``, the server's one clock seam,
``reception.server.clock``) and the desks run on the same fixed clock, so nothing here reads the wall clock: not
marked ``dated`` (chromium is not run under faketime either). Dates are still computed from that "today" with the
server's own calendar (``casework.work_calendar``), never written out by hand.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import Case, CaseClock, Category, Unit
from reception.db.settings import load_desk_settings
from reception.domain.deadlines import due_date
from reception.domain.enums import ContentClass, RoutingAction
from reception.domain.errors import ReceptionError
from reception.intake.cases import case_detail
from reception.intake.service import register_intake
from reception.server import casework, unit_accounts
from reception.server.models import Counter, ExtensionRequest, Record, UnitAudit
from reception.sync.attachments import case_attachments, download
from tests.clock import SERVER_NOW, Clock
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, _intake_form, fast_client

STAFF_PW = "Cuiyuan2026"
HEAD_PW = "Cuiyuan2027"


def china_today() -> date:
    """The server's "today" (China time) at ``SERVER_NOW``."""
    return SERVER_NOW.astimezone(CHINA_TZ).date()


@pytest.fixture
def server_args() -> tuple[str, ...]:
    return ("--now", SERVER_NOW.isoformat())


def desk_of(web_env: Env, name: str = "一号窗口") -> DeskHandle:
    """An enrolled desk on the tests' fixed clock (the server's "now")."""
    desk = web_env.desk(name)
    desk.ctx.now = Clock(SERVER_NOW)
    return desk


def register(desk: DeskHandle, unit_code: str, *, on: date | None = None,
             content_class: ContentClass = ContentClass.CLAIM, request: str = "要求解决小区停车位问题") -> str:
    """A walk-in registered at the desk and assigned (交办) to ``unit_code`` on ``on`` (default today)."""
    moment = datetime.combine(on or china_today(), time(10, 0), CHINA_TZ)
    with desk.ctx.db.read() as s:
        st = load_desk_settings(s)
        form = _intake_form(s, desk.rng)
        unit_id = s.scalar(select(Unit.id).where(Unit.code == unit_code))
        category = s.scalar(select(Category.id).where(Category.parent_id.is_not(None),
                                                      Category.legal_channel.is_(None)).order_by(Category.code))
    form = replace(form, routing_action=RoutingAction.ASSIGN, unit_id=unit_id, legal_channel="", category_id=category,
                   content_class=content_class, request=request, override_reason="属地管理，由责任单位办理")
    saved = desk.ctx.now
    desk.ctx.now = lambda: moment
    try:
        return register_intake(desk.ctx, form, desk_id=st.desk_id, officer_id=st.officer_id,
                               render_receipt=False).case_id
    finally:
        desk.ctx.now = saved


@pytest.fixture
def accounts(web_env: Env) -> None:
    unit_accounts.add_unit_user(web_env.db, "CY", "cy_chen", "陈明", "unit_staff", STAFF_PW)
    unit_accounts.add_unit_user(web_env.db, "CY", "cy_head", "刘芳", "unit_head", HEAD_PW)
    unit_accounts.add_unit_user(web_env.db, "XYL", "xyl_wang", "王立", "unit_staff", "Xueyuan2026")


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/unit")
    assert page.url.endswith("/unit/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/unit")


def step(page: Any, name: str) -> Any:
    return page.locator(f"#step-{name}")


def press(page: Any, name: str, button: str) -> None:
    """Click a step's button and wait for the page its form posts to (a click does not wait for the navigation it
    starts: a check made at once can read the old page, or a next click land on it)."""
    with page.expect_navigation():
        step(page, name).get_by_role("button", name=button).click()


def high_seq(web_env: Env) -> int:
    with web_env.db.read() as s:
        return int(s.scalar(select(Counter.value).where(Counter.name == "seq")) or 0)


def forced_post(page: Any, base: str, case_id: str, section: str, fields: dict[str, str]) -> Any:
    """Post a step's form as the browser would, with the tokens of the form ``section`` on the page (a button
    the page shows disabled, a form sent again)."""
    form = step(page, section)
    tokens = {"csrf": form.locator("input[name=csrf]").first.input_value(),
              "form_id": form.locator("input[name=form_id]").first.input_value()}
    return page.request.post(f"{base}/unit/cases/{case_id}/act", form={**tokens, **fields})


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_sign_for_online_reaches_the_desk_by_sync(web_env: Env, accounts: None, new_page: Any, shot: Any,
                                                  viewport: str) -> None:
    base = web_env.server.url
    desk = desk_of(web_env)
    mine = register(desk, "CY", request="小区电梯长期故障无人维修")
    other = register(desk, "XYL", request="学院路噪音扰民")
    assert desk.sync().ok
    page = new_page(viewport)
    login(page, base, "cy_chen", STAFF_PW)
    # the list: only this unit's case, with its sign-for clock in colour
    rows = page.locator("li.case-row")
    assert rows.count() == 1
    assert "小区电梯长期故障无人维修" in rows.first.inner_text() and "学院路噪音扰民" not in page.content()
    clock = rows.first.locator(".clock").first
    assert "签收" in clock.inner_text() and "green" in (clock.get_attribute("class") or "")
    assert "今日提醒" in page.locator("section[aria-label=今日提醒]").inner_text()
    shot(page, f"unit-list-{viewport}")
    rows.first.locator("a.case-no").click()
    page.wait_for_url(f"{base}/unit/cases/{mine}")
    shot(page, f"unit-case-{viewport}")
    step(page, "sign_for").get_by_role("button", name="签收").click()
    assert "已签收案件" in page.locator(".notice.good").inner_text()
    assert "签收" in page.locator("ol.steps").inner_text() and "陈明（翠园街道工作人员）" in page.content()
    # the Art. 23 clocks now run from the unit's receipt; 受理 is offered
    assert step(page, "accept").get_by_role("button", name="受理").is_enabled()
    shot(page, f"unit-signed-{viewport}")
    # the desk pulls the unit's step: status, event with the unit's user, and its clocks projected
    assert desk.sync().ok
    detail = case_detail(desk.ctx, mine)
    signed = [e for e in detail.events if e.kind == "signed"]
    assert signed and signed[0].actor == "陈明（翠园街道工作人员）"
    with desk.ctx.db.read() as s:
        assert s.get(Case, mine).status == "signed"
        keys = set(s.scalars(select(CaseClock.clock_key).where(CaseClock.case_id == mine)))
    assert keys == {"routed_notice", "objection"}
    # audited with the unit's user
    with web_env.db.read() as s:
        assert s.scalar(select(UnitAudit.action).where(UnitAudit.case_id == mine)) == "sign_for"
    _ = other


def test_another_units_case_and_an_accusation_against_the_unit_stay_out_of_reach(
        web_env: Env, accounts: None, new_page: Any, shot: Any) -> None:
    base = web_env.server.url
    desk = desk_of(web_env)
    theirs = register(desk, "XYL")
    accusation = register(desk, "CY", content_class=ContentClass.ACCUSATION, request="检举某街道工作人员违规收费")
    assert desk.sync().ok
    # two desks offline: one routed the accusation to 翠园街道, the other recorded 翠园街道 as the accused unit
    with web_env.db.session() as s:
        cy = s.scalars(select(Record.record_id).where(Record.table_name == "unit")).all()
        cy_id = next(r for r in cy if (s.get(Record, ("unit", r)).data or {}).get("code") == "CY")
        counter = s.scalar(select(Counter).where(Counter.name == "seq").with_for_update())
        counter.value += 1
        s.add(Record(table_name="case_event", record_id="e-accused-1", version=1, seq=counter.value, deleted=False,
                     origin="admin", data={"id": "e-accused-1", "case_id": accusation, "kind": "accused_unit",
                                           "occurred_at": SERVER_NOW.isoformat(),
                                           "occurred_on": china_today().isoformat(), "actor_id": None,
                                           "unit_id": cy_id, "note": "", "data": {}}))
    page = new_page("phone")
    login(page, base, "cy_chen", STAFF_PW)
    assert page.locator("li.case-row").count() == 0 and "违规收费" not in page.content()
    for f in ("due_soon", "overdue", "closed"):
        page.goto(f"{base}/unit?f={f}")
        assert "违规收费" not in page.content()
    before = high_seq(web_env)
    for case_id in (theirs, accusation, "no-such-case"):
        answer = page.goto(f"{base}/unit/cases/{case_id}")
        assert answer is not None and answer.status == 404
        assert "未找到该案件，或该案件不由本单位办理" in page.locator(".notice.bad").inner_text()
    shot(page, "unit-not-yours")
    # a step posted to them with a valid session and token is refused the same way, and writes nothing
    page.goto(f"{base}/unit")
    token = page.locator("nav.unit-nav input[name=csrf]").input_value()
    for case_id in (theirs, accusation):
        answer = page.request.post(f"{base}/unit/cases/{case_id}/act",
                                   form={"csrf": token, "form_id": "f" * 32, "action": "sign_for"})
        assert answer.status == 404 and "不由本单位办理" in answer.text()
    assert high_seq(web_env) == before
    # the other unit sees its own case
    other = new_page("desktop")
    login(other, base, "xyl_wang", "Xueyuan2026")
    assert other.locator("li.case-row").count() == 1


def test_objection_after_the_fifth_working_day_is_refused_with_the_date(web_env: Env, accounts: None,
                                                                        new_page: Any, shot: Any) -> None:
    base = web_env.server.url
    today = china_today()
    with web_env.db.read() as s:
        cal, st = casework.work_calendar(s), casework.load_settings(s)
    received = today - timedelta(days=1)
    while due_date("objection", received, cal, st.roll) >= today:  # the latest receipt whose 5 days are over
        received -= timedelta(days=1)
    last = due_date("objection", received, cal, st.roll)
    # on the fixed clock: today is the 6th working day after the unit's receipt (the 5th was the last)
    assert cal.count_workdays(received + timedelta(days=1), today) == 6 and last < today
    desk = desk_of(web_env)
    case_id = register(desk, "CY", on=received - timedelta(days=1))
    assert desk.sync().ok
    page = new_page("phone")
    login(page, base, "cy_chen", STAFF_PW)
    page.goto(f"{base}/unit/cases/{case_id}")
    step(page, "sign_for").get_by_label("收到日期").fill(received.isoformat())
    step(page, "sign_for").get_by_role("button", name="签收").click()
    assert "已签收" in page.locator(".notice.good").inner_text()
    # the machine's own reason, with the last day, next to a disabled button
    objection = step(page, "object")
    reason = f"至{last:%Y年%m月%d日}"
    assert reason in objection.locator(".notice.warn").inner_text()
    assert objection.get_by_role("button", name="异议退回").is_disabled()
    shot(page, "unit-objection-late")
    before = high_seq(web_env)
    answer = forced_post(page, base, case_id, "object", {"action": "object", "reason": "不属于本单位职权"})
    assert answer.status == 409 and "已超过异议期限" in answer.text() and reason in answer.text()
    assert high_seq(web_env) == before
    # the case goes on: 受理 is still open to it
    page.reload()
    step(page, "accept").get_by_role("button", name="受理").click()
    assert "已受理" in page.locator(".notice.good").inner_text()


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Reply 2026")
    c.save()
    return buf.getvalue()


def detail_no(desk: DeskHandle, case_id: str) -> str:
    with desk.ctx.db.read() as s:
        return s.get(Case, case_id).case_no


def test_reply_posted_online_with_a_pdf_stops_the_handling_clock_at_the_desk(
        web_env: Env, accounts: None, new_page: Any, shot: Any, tmp_path: Path, qtbot: Any) -> None:
    base = web_env.server.url
    desk = desk_of(web_env)
    case_id = register(desk, "CY")
    assert desk.sync().ok
    page = new_page("desktop")
    login(page, base, "cy_chen", STAFF_PW)
    page.goto(f"{base}/unit/cases/{case_id}")
    for name, button in (("sign_for", "签收"), ("accept", "受理"), ("start_handling", "开始办理")):
        press(page, name, button)
        assert page.locator(".notice.good").count() == 1, page.content()
    assert desk.sync().ok
    with desk.ctx.db.read() as s:
        assert "handling" in set(s.scalars(select(CaseClock.clock_key).where(CaseClock.case_id == case_id)))
    big, fake, good = tmp_path / "扫描件.pdf", tmp_path / "假的.pdf", tmp_path / "处理意见书.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024))
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not a pdf")
    good.write_bytes(_pdf())

    def fill() -> None:
        r = step(page, "reply")
        r.get_by_label("处理结论").select_option("explain")
        r.get_by_label("处理依据").fill("《物业管理条例》第三十五条")
        r.get_by_label("处理意见", exact=True).fill("已协调物业公司于本月内修复电梯。")
        r.get_by_label("送达方式").select_option("in_person")

    before = high_seq(web_env)
    for file, message in ((big, "超过10 MB的上限"), (fake, "文件名与内容不符")):
        fill()
        step(page, "reply").get_by_label("附件").set_input_files(str(file))
        step(page, "reply").get_by_role("button", name="出具处理意见").click()
        error = step(page, "reply").locator(".notice.bad")
        assert message in error.inner_text(), page.content()
        # what was typed is kept
        assert step(page, "reply").get_by_label("处理依据").input_value() == "《物业管理条例》第三十五条"
        assert high_seq(web_env) == before
    shot(page, "unit-reply-fake-pdf")
    fill()
    step(page, "reply").get_by_label("附件").set_input_files(str(good))
    step(page, "reply").get_by_role("button", name="出具处理意见").click()
    assert "处理意见书已提交" in page.locator(".notice.good").inner_text() and "附件1个" in page.content()
    link = page.get_by_role("link", name="处理意见书.pdf")
    with page.expect_download() as info:
        link.click()
    assert Path(info.value.path()).read_bytes() == good.read_bytes()
    shot(page, "unit-replied")
    # the desk: replied, the handling clock stopped, the review and evaluation windows open
    assert desk.sync().ok
    with desk.ctx.db.read() as s:
        assert s.get(Case, case_id).status == "replied"
        keys = set(s.scalars(select(CaseClock.clock_key).where(CaseClock.case_id == case_id)))
    assert "handling" not in keys and {"review_request", "evaluation"} <= keys
    events = case_detail(desk.ctx, case_id).events
    assert [e.kind for e in events][-2:] == ["replied", "unit_attachment"]
    assert all(e.actor == "陈明（翠园街道工作人员）" for e in events[-5:])
    # the unit's attachment, fetched by the desk on demand and checked against the digest the event recorded
    files = case_attachments(desk.ctx, case_id)
    assert [(f.name, f.content_type, f.size) for f in files] == [("处理意见书.pdf", "application/pdf",
                                                                  len(good.read_bytes()))]
    assert download(desk.ctx, files[0], client_factory=fast_client) == good.read_bytes()
    with pytest.raises(ReceptionError, match="内容不符"):
        download(desk.ctx, replace(files[0], sha256="0" * 64), client_factory=fast_client)
    # and in the desk app: the case's 单位附件 tab, 打开附件 downloads it and hands it to the viewer
    from reception.intake.cases import search_cases
    from ui.cases.detail import CaseDetailDialog
    from ui.reference import load_reference
    from ui.tasks import TaskManager

    summary = next(c for c in search_cases(desk.ctx, detail_no(desk, case_id)) if c.id == case_id)
    dialog = CaseDetailDialog(desk.ctx, load_reference(desk.ctx), TaskManager(synchronous=True),
                              lambda *_a: None, summary)
    qtbot.addWidget(dialog)
    opened: list[bytes] = []
    dialog.opener = lambda path: opened.append(path.read_bytes())
    assert dialog.attachment_table.rowCount() == 1 and dialog.attachment_table.item(0, 0).text() == "处理意见书.pdf"
    assert dialog.attachment_table.item(0, 3).text() == "陈明（翠园街道工作人员）"
    dialog.open_attachment_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=20_000)
    assert opened == [good.read_bytes()]


def test_extension_needs_the_unit_heads_approval(web_env: Env, accounts: None, new_page: Any, shot: Any) -> None:
    base = web_env.server.url
    desk = desk_of(web_env)
    case_id = register(desk, "CY")
    assert desk.sync().ok
    staff = new_page("phone")
    login(staff, base, "cy_chen", STAFF_PW)
    staff.goto(f"{base}/unit/cases/{case_id}")
    for name, button in (("sign_for", "签收"), ("accept", "受理")):
        press(staff, name, button)
    ext = step(staff, "extend")
    ext.get_by_label("延长天数（不超过30日）").fill("20")
    ext.get_by_label("延期理由（将告知信访人）").fill("需会同区住建局现场勘验")
    ext.get_by_role("button", name="提交延期申请").click()
    assert "待单位负责人批准" in staff.locator(".notice.good").inner_text()
    assert step(staff, "extend").get_by_role("button", name="批准延期").count() == 0
    # staff posting the approval themselves is refused
    with web_env.db.read() as s:
        request_id = s.scalar(select(ExtensionRequest.id).where(ExtensionRequest.state == "pending"))
    before = high_seq(web_env)
    token = staff.locator("nav.unit-nav input[name=csrf]").input_value()
    answer = staff.request.post(f"{base}/unit/cases/{case_id}/act", form={
        "csrf": token, "form_id": "a" * 32, "action": "extend_approve", "request_id": str(request_id),
        "petitioner_told": "1"})
    assert answer.status == 409 and "延期须经单位负责人批准" in answer.text()
    assert high_seq(web_env) == before
    # the head approves, saying the petitioner was told
    head = new_page("desktop")
    login(head, base, "cy_head", HEAD_PW)
    head.goto(f"{base}/unit/cases/{case_id}")
    assert "需会同区住建局现场勘验" in step(head, "extend").inner_text()
    shot(head, "unit-extension-pending")
    step(head, "extend").get_by_role("button", name="批准延期").click()
    assert "延期须告知信访人" in step(head, "extend").locator(".notice.bad").inner_text()
    step(head, "extend").get_by_label("已将延期理由告知信访人").check()
    step(head, "extend").get_by_role("button", name="批准延期").click()
    assert "已批准延期20日" in head.locator(".notice.good").inner_text()
    assert desk.sync().ok
    events = case_detail(desk.ctx, case_id).events
    extended = next(e for e in events if e.kind == "extended")
    assert extended.actor == "刘芳（翠园街道单位负责人）"
    with desk.ctx.db.read() as s:
        assert s.get(Case, case_id).status == "extended"
        clock = s.scalar(select(CaseClock).where(CaseClock.case_id == case_id, CaseClock.clock_key == "handling"))
    assert clock is not None and clock.extended_by == 20


def test_a_form_sent_twice_is_applied_once(web_env: Env, accounts: None, new_page: Any) -> None:
    base = web_env.server.url
    desk = desk_of(web_env)
    case_id = register(desk, "CY")
    assert desk.sync().ok
    page = new_page("phone")
    login(page, base, "cy_chen", STAFF_PW)
    page.goto(f"{base}/unit/cases/{case_id}")
    fields = {"action": "progress", "note": "已约谈物业公司负责人"}
    first = forced_post(page, base, case_id, "progress", fields)
    assert first.status == 200 and "已记录办理进展" in first.text()
    after = high_seq(web_env)
    again = forced_post(page, base, case_id, "progress", fields)  # (the same page's form: the same one-time id)
    assert again.status == 200 and "该表单已经提交并办理过，本次没有重复办理" in again.text()
    assert high_seq(web_env) == after
    with web_env.db.read() as s:
        notes = [d for d in s.scalars(select(Record.data).where(Record.table_name == "case_event"))
                 if d and d.get("kind") == "unit_progress"]
    assert len(notes) == 1
    # a form without the session's anti-forgery token changes nothing
    forged = page.request.post(f"{base}/unit/cases/{case_id}/act",
                               form={"csrf": "x", "form_id": "b" * 32, **fields})
    assert forged.status == 400 and "未办理" in forged.text()
    assert high_seq(web_env) == after


def test_sessions_are_shared_by_server_processes_and_locked_accounts_say_so(
        web_env: Env, accounts: None, new_page: Any, shot: Any, server_args: tuple[str, ...]) -> None:
    from tests.sync.harness import ServerProcess

    base = web_env.server.url
    page = new_page("phone")
    login(page, base, "cy_chen", STAFF_PW)
    cookie = next(c for c in page.context.cookies() if c["name"] == unit_accounts.COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    (web_env.root / "second").mkdir()
    second = ServerProcess(web_env.server.db_url, web_env.root / "second", extra_args=server_args).start()
    try:
        answer = httpx.get(f"{second.url}/unit", cookies={unit_accounts.COOKIE: cookie["value"]})
        assert answer.status_code == 200 and "陈明" in answer.text
    finally:
        second.stop()
    # five wrong passwords lock the account, with the minutes in Chinese
    other = new_page("phone")
    for _ in range(5):
        other.goto(f"{base}/unit/login")
        other.get_by_label("用户名").fill("cy_head")
        other.get_by_label("密码").fill("wrong-password1")
        other.get_by_role("button", name="登录").click()
    assert "账户已锁定，请15分钟后再试" in other.locator(".notice.bad").inner_text()
    shot(other, "unit-locked")
