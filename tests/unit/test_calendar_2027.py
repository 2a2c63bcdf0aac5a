"""Issue 13: late-2026 and 2027 dates, before the State Council's 2027 arrangement is entered (provisional: the
statutory days computed, no 调休) and after an arrangement file written by the test is imported and confirmed.
Receipts are read back; stored clocks, the overdue and due-soon lists and the case detail agree after every change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import CaseClock
from reception.domain import workcalendar
from reception.domain.deadlines import deadline
from reception.domain.enums import Channel, RoutingAction
from reception.domain.errors import FieldError
from reception.domain.workcalendar import PROVISIONAL_NOTE, YearState
from reception.lifecycle import service as lc
from reception.roster import holidays
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, save

D = date

# The arrangement the test "receives" for 2027 (made up, shaped like the State Council's notices): 元旦 with a
# bridge day off, a long Spring Festival (5–11 February) with two make-up working weekend days, 清明, 劳动节 1–5 May
# with a make-up Saturday, 端午, 中秋 and 国庆 1–7 October with two make-up days.
ARRANGEMENT_2027 = """日期,是否上班,名称
2027-01-01,休,元旦
2027-02-05,休,春节
2027-02-06,休,春节
2027-02-07,休,春节
2027-02-08,休,春节
2027-02-09,休,春节
2027-02-10,休,春节
2027-02-11,休,春节
2027-02-13,上班,春节
2027-02-14,上班,春节
2027-04-05,休,清明节
2027-05-01,休,劳动节
2027-05-02,休,劳动节
2027-05-03,休,劳动节
2027-05-04,休,劳动节
2027-05-05,休,劳动节
2027-05-08,上班,劳动节
2027-06-09,休,端午节
2027-09-15,休,中秋节
2027-10-01,休,国庆节
2027-10-02,休,国庆节
2027-10-03,休,国庆节
2027-10-04,休,国庆节
2027-10-05,休,国庆节
2027-10-06,休,国庆节
2027-10-07,休,国庆节
2027-09-26,上班,国庆节
2027-10-09,上班,国庆节
"""


@pytest.fixture(autouse=True)
def package_without_2027(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the chinese-calendar package to the years it knows today, so a newer package (with 2027) cannot change
    what these tests see."""
    original = workcalendar._package_knows
    monkeypatch.setattr(workcalendar, "_package_knows", lambda y: y < 2027 and original(y))


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=CHINA_TZ)


@pytest.fixture
def arrangement(tmp_path: Path) -> Path:
    path = tmp_path / "2027年放假安排.csv"
    path.write_text(ARRANGEMENT_2027, encoding="utf-8")
    return path


# clock, start, due while 2027 is provisional, due under the arrangement
CASES: list[tuple[str, date, date, date]] = [
    # a letter received 17 December: the 15th day is 元旦 (a Friday): Monday 4 January, by law already
    ("register_route", D(2026, 12, 17), D(2027, 1, 4), D(2027, 1, 4)),
    # within 2026 entirely: not provisional
    ("register_route", D(2026, 12, 1), D(2026, 12, 16), D(2026, 12, 16)),
    # 5 working days from a 签收 on 28 December: 29, 30, 31, (1 January off), 4, 5
    ("objection", D(2026, 12, 28), D(2027, 1, 5), D(2027, 1, 5)),
    # 15 days from 26 January is 10 February: a working day by law alone, a bridge day of the arrangement
    ("register_route", D(2027, 1, 26), D(2027, 2, 10), D(2027, 2, 12)),
    # 5 working days from 3 February: provisional 4, 9, 10, 11, 12; arranged 4, 12, 13 (Sat), 14 (Sun), 15
    ("objection", D(2027, 2, 3), D(2027, 2, 12), D(2027, 2, 15)),
    # 60 days from 2 March: 1 May (劳动节) → 3 May provisionally (the 1st and 2nd are the statutory days), 6 May
    ("handling", D(2027, 3, 2), D(2027, 5, 3), D(2027, 5, 6)),
    # 3 working days to sign for from 30 September: 8 October provisionally (1–3 off, 4 Monday …): 4, 5, 6
    ("sign_for", D(2027, 9, 30), D(2027, 10, 6), D(2027, 10, 11)),
    # a make-up Sunday counts: 5 working days from 21 September: 22, (中秋 is the 15th), 23, 24, 26 (Sun), 27
    ("objection", D(2027, 9, 21), D(2027, 9, 28), D(2027, 9, 27)),
]


def _due(cal: workcalendar.WorkCalendar, key: str, start: date) -> tuple[date, bool]:
    if key == "sign_for":
        from reception.domain.deadlines import add_working_days

        due = add_working_days(start, 3, cal)
        return due, bool(cal.unconfirmed_years(start, due))
    dl = deadline(key, start, cal)
    return dl.due, not dl.confirmed


@pytest.mark.parametrize(("key", "start", "provisional_due", "arranged_due"), CASES)
def test_due_dates_provisional_then_arranged(desk: Desk, arrangement: Path, key: str, start: date,
                                             provisional_due: date, arranged_due: date) -> None:
    assert desk.ctx.calendar.year_state(2027) is YearState.PROVISIONAL
    due, provisional = _due(desk.ctx.calendar, key, start)
    assert (due, provisional) == (provisional_due, due.year == 2027)
    change = holidays.import_year(desk.ctx, 2027, arrangement, by="admin")
    assert change.count == ARRANGEMENT_2027.count("\n2027")
    due, provisional = _due(desk.ctx.calendar, key, start)
    assert (due, provisional) == (arranged_due, due.year == 2027), "imported, not yet confirmed: still provisional"
    holidays.confirm(desk.ctx, 2027, by="admin")
    assert desk.ctx.calendar.year_state(2027) is YearState.CONFIRMED
    assert _due(desk.ctx.calendar, key, start) == (arranged_due, False)


def _pdf_text(path: Path | str) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\n", "").replace(" ", "")


def test_receipt_prints_the_provisional_date_with_its_caveat(desk: Desk) -> None:
    desk.clock.moment = at(D(2026, 12, 17))
    result = save(desk, form(desk, channel=Channel.LETTER, received_on=D(2026, 12, 17)), receipt=True)
    text = _pdf_text(result.receipt_path)
    assert f"2027年1月4日（{PROVISIONAL_NOTE}）" in text
    assert "2027年1月1日" not in text
    desk.clock.moment = at(D(2026, 12, 1))
    early = save(desk, form(desk, channel=Channel.LETTER, received_on=D(2026, 12, 1),
                            person=form(desk).person.__class__(name="李建国", phone="13900001111",
                                                               address="示范区城南街道")), receipt=True)
    text = _pdf_text(early.receipt_path)
    assert "2026年12月16日" in text and PROVISIONAL_NOTE not in text


def _register(desk: Desk, on: date, action: RoutingAction, name: str) -> str:
    desk.clock.moment = at(on)
    person = form(desk).person.__class__(name=name, phone="", address="示范区翠园街道")
    kwargs: dict[str, object] = {"person": person, "routing_action": action}
    if action is not RoutingAction.ASSIGN:
        kwargs["unit_id"] = None
    return str(save(desk, form(desk, **kwargs)).case_id)


def _stored(desk: Desk) -> dict[tuple[str, str], tuple[date, date, int]]:
    with desk.ctx.db.read() as s:
        return {(c.case_id, c.clock_key): (c.due_on, c.amber_on, c.allowed)
                for c in s.scalars(select(CaseClock))}


def _case_no(desk: Desk, case_id: str) -> str:
    from reception.db.models import Case

    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.case_no


def _agree(desk: Desk, on: date) -> Callable[[str], tuple[date, bool, bool, bool]]:
    """(due in the detail, overdue in the detail, on the overdue list, provisional in the detail) of a case."""
    overdue_ids = {r.case_id for r in lc.overdue(desk.ctx, on=on).rows}

    def one(case_id: str) -> tuple[date, bool, bool, bool]:
        with desk.ctx.db.read() as s:
            from reception.db.models import Case

            case = s.get(Case, case_id)
            assert case is not None
            no = case.case_no
        view = lc.case_view(desk.ctx, no, on=on)
        duty = next(c for c in view["clocks"] if c["kind"] == "duty")
        return D.fromisoformat(duty["due"]), view["overdue"], case_id in overdue_ids, duty["provisional"]

    return one


def test_import_and_confirm_recompute_the_stored_clocks_and_the_lists_agree(desk: Desk, arrangement: Path) -> None:
    # one far from 2027's changes (registered 1 December 2026): untouched by the recompute
    old = _register(desk, D(2026, 12, 1), RoutingAction.LEADER_RECEPTION, "孙志强")
    # registered 27 January 2027 for the duty leader: 15 days → 11 February (a bridge day of the arrangement)
    to_leader = _register(desk, D(2027, 1, 27), RoutingAction.LEADER_RECEPTION, "王立新")
    # assigned 3 February: 3 working days to sign for → 10 February provisionally, 13 (a make-up Saturday) arranged
    assigned = _register(desk, D(2027, 2, 3), RoutingAction.ASSIGN, "赵红梅")
    before = _stored(desk)
    assert before[(to_leader, "register_route")][0] == D(2027, 2, 11)
    assert before[(assigned, "sign_for")][0] == D(2027, 2, 10)
    on = D(2027, 2, 12)
    check = _agree(desk, on)
    assert check(to_leader) == (D(2027, 2, 11), True, True, True)

    change = holidays.import_year(desk.ctx, 2027, arrangement, by="admin")
    assert change.status.state is YearState.PROVISIONAL and change.clocks.changed >= 2
    after = _stored(desk)
    assert after[(to_leader, "register_route")][0] == D(2027, 2, 12)
    assert after[(assigned, "sign_for")][0] == D(2027, 2, 13)
    assert after[(old, "register_route")] == before[(old, "register_route")]
    check = _agree(desk, on)
    assert check(to_leader) == (D(2027, 2, 12), False, False, True)  # due today: not overdue, in the list neither
    assert to_leader in {r.case_id for r in lc.due_soon(desk.ctx, on=on).rows}

    confirmed = holidays.confirm(desk.ctx, 2027, by="admin")
    # the same days, now official: no stored date moves (the provisional mark is computed when shown)
    assert confirmed.status.state is YearState.CONFIRMED and confirmed.clocks.changed == 0
    assert _agree(desk, on)(to_leader) == (D(2027, 2, 12), False, False, False)
    for cid in (to_leader, assigned):
        assert not any(c["provisional"] for c in lc.case_view(desk.ctx, _case_no(desk, cid), on=on)["clocks"])
    rows = lc.due_soon(desk.ctx, on=on).rows
    assert all(not r.provisional for r in rows) and all(r.to_json()["provisional"] is False for r in rows)

    # the fast recompute gives what replaying every case gives
    fast = {k: v for k, v in _stored(desk).items()}
    with desk.ctx.db.write() as s:
        lc.rebuild_clocks_in_session(s, desk.ctx.calendar, today=on)
    assert _stored(desk) == fast

    # one day edited (10 February made a working day after all): the clocks follow at once, confirmation withdrawn
    edited = holidays.edit_day(desk.ctx, D(2027, 2, 11), True, "春节", by="admin")
    assert edited.status.state is YearState.PROVISIONAL
    assert _stored(desk)[(to_leader, "register_route")][0] == D(2027, 2, 11)
    assert _agree(desk, on)(to_leader) == (D(2027, 2, 11), True, True, True)


def test_shorter_or_empty_import_is_refused_without_force_and_lists_what_it_removes(desk: Desk, arrangement: Path,
                                                                                   tmp_path: Path) -> None:
    holidays.import_year(desk.ctx, 2027, arrangement, by="admin")
    empty = tmp_path / "empty.csv"
    empty.write_text("日期,是否上班,名称\n", encoding="utf-8")
    with pytest.raises(holidays.ImportWouldRemove) as info:
        holidays.import_year(desk.ctx, 2027, empty, by="admin")
    assert len(info.value.removed) == 28 and "2027-01-01" in info.value.message
    shorter = tmp_path / "shorter.csv"
    shorter.write_text("\n".join(ARRANGEMENT_2027.splitlines()[:-2]) + "\n", encoding="utf-8")
    with pytest.raises(holidays.ImportWouldRemove) as info:
        holidays.import_year(desk.ctx, 2027, shorter, by="admin")
    assert [e.day for e in info.value.removed] == [D(2027, 9, 26), D(2027, 10, 9)]
    with desk.ctx.db.read() as s:
        assert len(holidays.year_entries(s, 2027)) == 28  # nothing changed
    change = holidays.import_year(desk.ctx, 2027, shorter, by="admin", force=True)
    assert change.count == 26


@pytest.mark.parametrize(("content", "encoding", "message"), [
    ("日期,是否上班,名称\n2027-13-01,休,元旦\n", "utf-8", "无法识别日期“2027-13-01”"),
    ("日期,是否上班,名称\n01/02/2027,休,元旦\n", "utf-8", "无法识别日期“01/02/2027”"),
    ("日期,是否上班,名称\n2027-01-01,休,元旦\n2027/1/1,休,元旦\n", "utf-8", "2027-01-01 在文件中重复出现"),
    ("日期,是否上班,名称\n2028-01-01,休,元旦\n", "utf-8", "2028-01-01 不属于2027年"),
    ("日期,是否上班,名称\n2027-01-01,也许,元旦\n", "utf-8", "无法识别是否上班“也许”"),
    ("date,off\n2027-01-01,yes\n", "utf-8", "CSV 首行应为"),
])
def test_bad_files_get_a_chinese_message_and_change_nothing(desk: Desk, arrangement: Path, tmp_path: Path,
                                                            content: str, encoding: str, message: str) -> None:
    holidays.import_year(desk.ctx, 2027, arrangement, by="admin")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content.encode(encoding))
    with pytest.raises(FieldError) as info:
        holidays.import_year(desk.ctx, 2027, bad, by="admin", force=True)
    assert message in info.value.message
    with desk.ctx.db.read() as s:
        assert len(holidays.year_entries(s, 2027)) == 28


def test_gbk_and_excel_files_import(desk: Desk, tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(ARRANGEMENT_2027.encode("gbk"))
    assert holidays.import_year(desk.ctx, 2027, gbk, by="admin").count == 28
    with desk.ctx.db.read() as s:
        assert {e.name for e in holidays.year_entries(s, 2027)} >= {"春节", "国庆节"}
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "是否上班", "名称"])
    for line in ARRANGEMENT_2027.splitlines()[1:]:
        day, work, name = line.split(",")
        sheet.append([datetime.fromisoformat(day), work, name])
    xlsx = tmp_path / "2027.xlsx"
    book.save(xlsx)
    assert holidays.import_year(desk.ctx, 2027, xlsx, by="admin").count == 28
    bad = tmp_path / "binary.csv"
    bad.write_bytes(b"\x00\x01\x02")
    with pytest.raises(FieldError, match="无法识别编码"):
        holidays.import_year(desk.ctx, 2027, bad, by="admin")


def test_confirming_flags_published_roster_days_that_became_days_off(desk: Desk, arrangement: Path) -> None:
    from reception.roster import service as roster

    roster.add_leader(desk.ctx, "刘卫东", "副区长")
    roster.generate_month(desk.ctx, "2027-02")
    roster.publish_month(desk.ctx, "2027-02", by="主任", force=True)
    assert roster.published_conflicts(desk.ctx, "2027-02") == []
    change = holidays.import_year(desk.ctx, 2027, arrangement, by="admin")
    assert [c[:10] for c in change.roster_conflicts] == ["2027-02-09", "2027-02-10", "2027-02-11"]
    assert len(roster.published_conflicts(desk.ctx, "2027-02")) == 3


def _roster_text(desk: Desk, month: str) -> str:
    import io

    from reception.roster import export

    pages = PdfReader(io.BytesIO(export.notice_pdf(desk.ctx, month))).pages
    return "".join(p.extract_text() for p in pages).replace("\n", "").replace(" ", "")


def test_published_slots_on_new_days_off_are_cancelled_or_moved(desk: Desk, arrangement: Path) -> None:
    from reception.domain.errors import FieldErrors
    from reception.roster import service as roster

    for name, title in (("刘卫东", "副区长"), ("陈国华", "副区长")):
        roster.add_leader(desk.ctx, name, title)
    roster.generate_month(desk.ctx, "2027-02")
    roster.publish_month(desk.ctx, "2027-02", by="主任", force=True)
    assert "按法定节假日推算" in _roster_text(desk, "2027-02")
    holidays.import_year(desk.ctx, 2027, arrangement, by="admin")
    holidays.confirm(desk.ctx, 2027, by="admin")
    conflicts = roster.published_conflicts(desk.ctx, "2027-02")
    assert [c[:10] for c in conflicts] == ["2027-02-09", "2027-02-10", "2027-02-11"]

    def on(day: date) -> tuple[str, ...]:
        d = next(x for x in roster.month_roster(desk.ctx, "2027-02").days if x.day == day)
        return tuple(x.leader_id for x in d.leaders)

    (first,) = on(D(2027, 2, 9))
    with pytest.raises(FieldErrors):
        roster.cancel_slot(desk.ctx, D(2027, 2, 9), first, reason="", approved_by="")
    cancelled = roster.cancel_slot(desk.ctx, D(2027, 2, 9), first, reason="春节调休放假", approved_by="张主任")
    assert cancelled.kind == "cancel" and cancelled.version == 2 and on(D(2027, 2, 9)) == ()

    (second,) = on(D(2027, 2, 10))
    with pytest.raises(roster.RosterError, match="2027-02-07 为春节"):
        roster.move_slot(desk.ctx, D(2027, 2, 10), second, D(2027, 2, 7), reason="调休", approved_by="张主任")
    moved = roster.move_slot(desk.ctx, D(2027, 2, 10), second, D(2027, 2, 13), reason="改至调休上班日",
                             approved_by="张主任")
    assert moved.version == 3 and on(D(2027, 2, 10)) == () and on(D(2027, 2, 13)) == (second,)
    versions = roster.versions(desk.ctx, "2027-02")
    assert [v.version for v in versions] == [1, 2, 3]
    assert "取消" in versions[1].note and "改期" in versions[2].note
    assert [c.day for c in versions[2].changes] == [D(2027, 2, 10), D(2027, 2, 13)]
    assert [c[:10] for c in roster.published_conflicts(desk.ctx, "2027-02")] == ["2027-02-11"]
    text = _roster_text(desk, "2027-02")
    assert "第3版" in text and "按法定节假日推算" not in text  # the notice is the latest version, 2027 confirmed


def test_generating_a_year_fills_every_month_not_published_and_names_the_skipped(desk: Desk) -> None:
    from reception.roster import service as roster

    roster.add_leader(desk.ctx, "刘卫东", "副区长")
    roster.generate_month(desk.ctx, "2027-03")
    roster.publish_month(desk.ctx, "2027-03", by="主任", force=True)
    roster.generate_month(desk.ctx, "2027-07")
    roster.publish_month(desk.ctx, "2027-07", by="主任", force=True)
    result = roster.generate_year(desk.ctx, 2027)
    assert [r.month for r in result.generated] == [f"2027-{m:02d}" for m in (1, 2, 4, 5, 6, 8, 9, 10, 11, 12)]
    assert result.skipped == (("2027-03", 1), ("2027-07", 1))
    assert "已发布、未重新生成：3月（第1版）、7月（第1版）" in result.message
    for r in result.generated:
        month = roster.month_roster(desk.ctx, r.month)
        assert month.status == "draft" and r.slots == sum(len(d.leaders) for d in month.days) > 0
        assert all(not d.leaders for d in month.days if not d.workday)


def test_command_line(desk: Desk, arrangement: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from reception.cli import main

    data = str(desk.ctx.paths.root)
    desk.clock.moment = at(D(2026, 12, 17))
    result = save(desk, form(desk, channel=Channel.LETTER, received_on=D(2026, 12, 17),
                             routing_action=RoutingAction.LEADER_RECEPTION, unit_id=None))
    desk.ctx.close()  # (the command line opens the directory itself)
    capsys.readouterr()
    assert main(["holidays", "show", "2027", "--data-dir", data, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["provisional"] is True and shown["state"] == "provisional" and shown["days"] == []
    assert main(["case", "show", result.case_no, "--data-dir", data, "--json", "--on", "2026-12-17"]) == 0
    clock = json.loads(capsys.readouterr().out)["clocks"][0]
    assert (clock["due"], clock["provisional"]) == ("2027-01-04", True)
    assert clock["due_text"] == f"2027年1月4日（{PROVISIONAL_NOTE}）"

    assert main(["holidays", "import", "2027", str(arrangement), "--data-dir", data]) == 0
    assert "已重新计算期限" in capsys.readouterr().out
    shorter = tmp_path / "shorter.csv"
    shorter.write_text("\n".join(ARRANGEMENT_2027.splitlines()[:-2]) + "\n", encoding="utf-8")
    assert main(["holidays", "import", "2027", str(shorter), "--data-dir", data]) == 2
    err = capsys.readouterr().err
    assert "2027-09-26（上班国庆节）" in err and "2027-10-09（上班国庆节）" in err and "--force" in err
    assert main(["holidays", "import", "2027", str(shorter), "--data-dir", data, "--force"]) == 0
    capsys.readouterr()
    assert main(["holidays", "confirm", "2027", "--data-dir", data, "--by", "admin"]) == 0
    assert "已由admin确认" in capsys.readouterr().out
    assert main(["case", "show", result.case_no, "--data-dir", data, "--json", "--on", "2026-12-17"]) == 0
    clock = json.loads(capsys.readouterr().out)["clocks"][0]
    assert (clock["due"], clock["provisional"]) == ("2027-01-04", False)
    assert main(["roster", "generate", "2027", "--data-dir", data]) == 0
    assert "2027年已生成：1月、2月" in capsys.readouterr().out


def test_the_extension_notice_says_its_date_is_provisional(desk: Desk) -> None:
    from reception.db.models import Notification
    from reception.lifecycle import machine as m
    from tests.unit.test_lifecycle import register, step, user

    handler = user(desk, "unit_staff")
    cid = register(desk, D(2026, 11, 2))
    step(desk, cid, D(2026, 11, 3), m.SignFor(), handler)
    step(desk, cid, D(2026, 11, 3), m.Accept(), handler)
    # 60 days from 3 November: 2 January 2027 (unrolled), + 30: Monday 1 February 2027
    step(desk, cid, D(2026, 12, 20), m.Extend(30, "王局长", "需要调查取证", True), handler)
    with desk.ctx.db.read() as s:
        texts = list(s.scalars(select(Notification.text).where(Notification.case_id == cid)))
    assert any(f"办理期限延至2027年2月1日（{PROVISIONAL_NOTE}）" in t for t in texts), texts


def test_clocks_stored_by_an_earlier_version_are_recomputed_once_after_the_upgrade(desk: Desk) -> None:
    from sqlalchemy import update

    from reception.db.models import Setting

    desk.clock.moment = at(D(2026, 12, 17))
    result = save(desk, form(desk, channel=Channel.LETTER, received_on=D(2026, 12, 17),
                             routing_action=RoutingAction.LEADER_RECEPTION, unit_id=None))
    lc.sync_clocks(desk.ctx)
    with desk.ctx.db.write() as s:  # as the previous version stored it: 1 January a working day, no mark
        s.execute(update(CaseClock).where(CaseClock.case_id == result.case_id)
                  .values(due_on=D(2027, 1, 1), amber_on=D(2026, 12, 29)))
        mark = s.get(Setting, lc.CALENDAR_KEY)
        assert mark is not None
        s.delete(mark)
    lc.sync_clocks(desk.ctx)
    assert {k[1]: v[:3] for k, v in _stored(desk).items() if k[0] == result.case_id} == {
        "register_route": (D(2027, 1, 4), D(2027, 1, 1), 15)}  # (amber 3 days before)
    with desk.ctx.db.write() as s:  # once only: a later sync does not recompute again
        s.execute(update(CaseClock).where(CaseClock.case_id == result.case_id).values(due_on=D(2027, 1, 1)))
    lc.sync_clocks(desk.ctx)
    assert _stored(desk)[(result.case_id, "register_route")][0] == D(2027, 1, 1)
