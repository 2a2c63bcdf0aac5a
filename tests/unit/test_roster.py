"""The leaders' roster on real months: the 2026 calendar, an unconfirmed 2027, holiday clashes of the 书记接访日,
fairness, unavailability, membership changes, published versions, the notice (PDF, Excel) and the CLI."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from reception.bootstrap import AppContext, open_data_dir
from reception.cli import main
from reception.db.models import Leader
from reception.demo import seed_reference
from reception.domain.errors import FieldErrors
from reception.domain.workcalendar import WorkCalendar
from reception.roster import service
from reception.roster.export import notice_pdf, notice_xlsx
from reception.roster.holidays import confirm_year, import_holidays, parse_holiday_file, set_holiday
from reception.roster.rotation import DUTY, SECRETARY
from reception.roster.rules import (
    ClashPolicy,
    NoMeetingWeek,
    RosterRules,
    no_meeting_week,
    secretary_day,
    secretary_days_in,
)
from tests.unit.test_holidays import HOLIDAYS_2027_CSV
from tests.unit.test_receipts import embedded_file

SECRETARY_NAME, HEAD_NAME = "王建国", "李文华"  # the demo district's 区委书记 and 区长


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    c = open_data_dir(tmp_path / "data")
    with c.db.write() as s:
        seed_reference(s)
    yield c
    c.close()


def leader_id(ctx: AppContext, name: str) -> str:
    with ctx.db.read() as s:
        found = s.scalar(select(Leader.id).where(Leader.name == name))
    assert found is not None
    return found


def day_of(roster: service.MonthRoster, d: date) -> service.RosterDay:
    return next(x for x in roster.days if x.day == d)


def names(day: service.RosterDay) -> list[str]:
    return [x.name for x in day.leaders]


# -- real 2026 months ------------------------------------------------------------------------------------------

FEB = [
    # day, working, leaders, 书记接访日, 无会周
    (date(2026, 2, 13), True, 1, False, False),
    (date(2026, 2, 14), True, 1, False, False),  # Saturday, make-up working day of the Spring Festival
    (date(2026, 2, 15), False, 0, False, False),
    (date(2026, 2, 17), False, 0, False, False),  # 春节
    (date(2026, 2, 21), False, 0, False, False),
    (date(2026, 2, 22), False, 0, False, True),  # holiday inside the 无会周 (last seven days: 22–28)
    (date(2026, 2, 23), False, 0, False, True),
    (date(2026, 2, 24), True, 2, True, True),  # last Tuesday: secretary and district head
    (date(2026, 2, 28), True, 1, False, True),  # Saturday, make-up working day
]

OCT = [
    (date(2026, 10, 1), False, 0, False, False),
    (date(2026, 10, 7), False, 0, False, False),
    (date(2026, 10, 8), True, 1, False, False),
    (date(2026, 10, 10), True, 1, False, False),  # Saturday, make-up working day of National Day
    (date(2026, 10, 11), False, 0, False, False),
    (date(2026, 10, 24), False, 0, False, False),
    (date(2026, 10, 25), False, 0, False, True),
    (date(2026, 10, 27), True, 2, True, True),
    (date(2026, 10, 31), False, 0, False, True),
]


@pytest.mark.parametrize(("month", "table"), [("2026-02", FEB), ("2026-10", OCT)])
def test_real_2026_months(ctx: AppContext, month: str, table: list[tuple[date, bool, int, bool, bool]]) -> None:
    service.generate_month(ctx, month)
    roster = service.month_roster(ctx, month)
    assert roster.status == "draft" and roster.calendar_known
    for d, working, count, sec, nmw in table:
        day = day_of(roster, d)
        assert day.workday is working is chinese_calendar.is_workday(d), d
        assert len(day.leaders) == count, d
        assert day.secretary_day is sec, d
        assert day.no_meeting_week is nmw, d
        if sec:
            assert names(day) == [SECRETARY_NAME, HEAD_NAME]
            assert all(x.role == SECRETARY and x.reason == "书记接访日" for x in day.leaders)
    # every working day has exactly one duty leader, except the 书记接访日
    for day in roster.days:
        if day.workday and not day.secretary_day:
            assert [x.role for x in day.leaders] == [DUTY], day.day
            assert day.leaders[0].reason.startswith("轮值第")
        if not day.workday:
            assert day.leaders == ()
    assert day_of(roster, date(2026, 2, 14) if month == "2026-02" else date(2026, 10, 10)).makeup_workday


def test_make_up_sunday_in_september_2026_has_a_duty_leader(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-09")
    day = day_of(service.month_roster(ctx, "2026-09"), date(2026, 9, 20))
    assert day.workday and day.weekday == "星期日" and day.holiday == "国庆节" and len(day.leaders) == 1


def test_generation_is_deterministic(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-04")
    first = service.month_roster(ctx, "2026-04").to_json()
    service.generate_month(ctx, "2026-04")
    assert service.month_roster(ctx, "2026-04").to_json() == first


# -- 2027: unconfirmed, then confirmed ----------------------------------------------------------------------------


def test_2027_before_and_after_the_holiday_table_is_confirmed(ctx: AppContext) -> None:
    service.generate_month(ctx, "2027-02")
    draft = service.month_roster(ctx, "2027-02")
    assert not draft.calendar_known and "2027年" in draft.calendar_note
    assert not day_of(draft, date(2027, 2, 8)).workday  # 正月初三 (a Monday): a statutory day off, known already
    assert day_of(draft, date(2027, 2, 9)).workday  # the bridge days of the Spring Festival are not known yet
    with pytest.raises(service.UnconfirmedHolidaysError) as info:
        service.publish_month(ctx, "2027-02", by="主任")
    assert "2027年节假日安排未确认" in info.value.message and "chinese-calendar" in info.value.message

    with ctx.db.write() as s:
        import_holidays(s, 2027, parse_holiday_file(HOLIDAYS_2027_CSV), by="admin")
    service.generate_month(ctx, "2027-02")
    with pytest.raises(service.UnconfirmedHolidaysError, match="已录入11天但尚未确认"):
        service.publish_month(ctx, "2027-02", by="主任")
    with ctx.db.write() as s:
        confirm_year(s, 2027, by="张科长")
    service.generate_month(ctx, "2027-02")
    info2 = service.publish_month(ctx, "2027-02", by="主任")
    assert info2.version == 1 and info2.calendar_confirmed
    roster = service.month_roster(ctx, "2027-02")
    assert roster.status == "published" and roster.calendar_known
    for d in range(5, 12):
        assert day_of(roster, date(2027, 2, d)).leaders == ()
    assert day_of(roster, date(2027, 2, 13)).workday and len(day_of(roster, date(2027, 2, 13)).leaders) == 1
    assert day_of(roster, date(2027, 2, 23)).secretary_day


def test_unconfirmed_year_can_be_published_with_explicit_confirmation(ctx: AppContext) -> None:
    service.generate_month(ctx, "2027-03")
    info = service.publish_month(ctx, "2027-03", by="主任", force=True)
    assert info.version == 1 and not info.calendar_confirmed and "未确认" in info.note
    assert not service.month_roster(ctx, "2027-03").calendar_known


def test_published_day_that_becomes_a_holiday_when_the_year_is_confirmed_is_flagged(ctx: AppContext) -> None:
    from reception.roster.holidays import confirm_year, load_work_calendar, set_holiday

    service.generate_month(ctx, "2027-05")
    service.publish_month(ctx, "2027-05", by="主任", force=True)
    assert service.published_conflicts(ctx, "2027-05") == []
    with ctx.db.write() as session:  # the State Council's arrangement arrives: 5 May 2027 (Wednesday) is a holiday
        set_holiday(session, date(2027, 5, 5), False, "劳动节", by="admin")
        confirm_year(session, 2027, by="admin")
        ctx.calendar = load_work_calendar(session)
    conflicts = service.published_conflicts(ctx, "2027-05")
    assert len(conflicts) == 1 and conflicts[0].startswith("2027-05-05") and "劳动节" in conflicts[0]


# -- the 书记接访日 on a holiday ---------------------------------------------------------------------------------------

REAL_CLASHES = [
    # 2025-01-28 (Tuesday) is the first day of the 2025 Spring Festival holiday
    (2025, 1, ClashPolicy.SKIP, None),
    (2025, 1, ClashPolicy.PREVIOUS, date(2025, 1, 27)),
    (2025, 1, ClashPolicy.NEXT, date(2025, 2, 5)),  # into February
    # 2017-05-30 (Tuesday) is the Dragon Boat Festival; Saturday 27 May was a make-up working day
    (2017, 5, ClashPolicy.SKIP, None),
    (2017, 5, ClashPolicy.PREVIOUS, date(2017, 5, 27)),
    (2017, 5, ClashPolicy.NEXT, date(2017, 5, 31)),
]


@pytest.mark.parametrize(("year", "month", "policy", "expected"), REAL_CLASHES)
def test_secretary_day_clash_policies_on_real_holidays(year: int, month: int, policy: ClashPolicy,
                                                       expected: date | None) -> None:
    rules = RosterRules(secretary_day_clash=policy.value)
    assert secretary_day(WorkCalendar(), year, month, rules) == expected


@pytest.mark.parametrize(("policy", "expected"), [
    (ClashPolicy.SKIP, None),
    (ClashPolicy.PREVIOUS, date(2026, 3, 30)),
    (ClashPolicy.NEXT, date(2026, 4, 1)),
])
def test_secretary_day_clash_through_the_holiday_table(ctx: AppContext, policy: ClashPolicy,
                                                       expected: date | None) -> None:
    with ctx.db.write() as s:
        set_holiday(s, date(2026, 3, 31), False, "测试假日", by="admin")  # the last Tuesday of March 2026
    service.save_rules(ctx, RosterRules(secretary_day_clash=policy.value), by="admin")
    service.generate_months(ctx, ["2026-03", "2026-04"])
    march, april = service.month_roster(ctx, "2026-03"), service.month_roster(ctx, "2026-04")
    sec = [d for r in (march, april) for d in r.days if d.secretary_day]
    got = [d.day for d in sec]
    # April has its own 书记接访日 on its last Tuesday (28th)
    assert got == ([expected] if expected else []) + [date(2026, 4, 28)]
    if expected:
        moved = sec[0]
        assert names(moved) == [SECRETARY_NAME, HEAD_NAME]
        assert ("提前" if policy is ClashPolicy.PREVIOUS else "顺延") in moved.leaders[0].reason
    assert day_of(march, date(2026, 3, 31)).leaders == ()


def test_secretary_day_spilling_into_next_month_is_listed_there() -> None:
    rules = RosterRules(secretary_day_clash="next")
    cal = WorkCalendar()
    assert secretary_days_in(cal, 2025, 1, rules) == {}
    assert secretary_days_in(cal, 2025, 2, rules) == {date(2025, 2, 5): date(2025, 1, 28), date(2025, 2, 25):
                                                      date(2025, 2, 25)}


@pytest.mark.parametrize(("rule", "year", "month", "expected"), [
    (NoMeetingWeek.LAST_SEVEN_DAYS, 2026, 2, (date(2026, 2, 22), date(2026, 2, 28))),
    (NoMeetingWeek.LAST_SEVEN_DAYS, 2026, 10, (date(2026, 10, 25), date(2026, 10, 31))),
    (NoMeetingWeek.WEEK_OF_LAST_WORKDAY, 2026, 10, (date(2026, 10, 26), date(2026, 10, 31))),
    (NoMeetingWeek.WEEK_OF_LAST_WORKDAY, 2026, 2, (date(2026, 2, 23), date(2026, 2, 28))),  # the 28th works
    (NoMeetingWeek.WEEK_OF_LAST_WORKDAY, 2026, 3, (date(2026, 3, 30), date(2026, 3, 31))),
])
def test_no_meeting_week_definitions(rule: NoMeetingWeek, year: int, month: int, expected: tuple[date, date]) -> None:
    assert no_meeting_week(WorkCalendar(), year, month, RosterRules(no_meeting_week=rule.value)) == expected


def test_rules_round_trip_and_validation(ctx: AppContext) -> None:
    rules = RosterRules(place="区信访局三楼接访室", secretary_day_clash="next")
    service.save_rules(ctx, rules, by="admin")
    assert service.roster_rules(ctx) == rules
    assert rules.secretary_day_rrule == "FREQ=MONTHLY;BYDAY=-1TU"
    from reception.domain.errors import FieldError

    with pytest.raises(FieldError):
        service.save_rules(ctx, RosterRules(secretary_day_clash="sometimes"))


# -- fairness, unavailability, membership ------------------------------------------------------------------------


def duty_counts(ctx: AppContext, months: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for m in months:
        for d in service.month_roster(ctx, m).days:
            counts.update(x.name for x in d.leaders if x.role == DUTY)
    return counts


@pytest.mark.parametrize("quarter", [["2026-01", "2026-02", "2026-03"], ["2026-10", "2026-11", "2026-12"]])
def test_quarter_counts_are_within_one(ctx: AppContext, quarter: list[str]) -> None:
    service.generate_months(ctx, quarter)
    counts = duty_counts(ctx, quarter)
    assert len(counts) == 8 and SECRETARY_NAME not in counts and HEAD_NAME not in counts
    assert max(counts.values()) - min(counts.values()) <= 1
    for m in quarter:  # never two slots for one leader on one day
        for d in service.month_roster(ctx, m).days:
            assert len({x.leader_id for x in d.leaders}) == len(d.leaders)


def test_rotation_continues_across_months(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-01")
    jan = [d for d in service.month_roster(ctx, "2026-01").days if d.leaders and not d.secretary_day]
    service.generate_month(ctx, "2026-02")
    feb = [d for d in service.month_roster(ctx, "2026-02").days if d.leaders and not d.secretary_day]
    order = [d.leaders[0].name for d in jan + feb]
    for i in range(8, len(order)):  # a strict round robin of the eight rotation leaders
        assert order[i] == order[i - 8]
    assert feb[0].leaders[0].reason.endswith(f"本季度第{order[:len(jan) + 1].count(order[len(jan)])}次")


def test_unavailable_leader_is_postponed_with_a_reason(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-05")
    first = next(d for d in service.month_roster(ctx, "2026-05").days if d.leaders)
    absent = first.leaders[0]
    service.add_absence(ctx, absent.leader_id, date(2026, 5, 1), date(2026, 5, 15), "出差", by="admin")
    service.generate_month(ctx, "2026-05")
    roster = service.month_roster(ctx, "2026-05")
    new_first = day_of(roster, first.day).leaders[0]
    assert new_first.name != absent.name
    assert new_first.reason.startswith(f"原定{absent.name}出差，顺延")
    served = [d.day for d in roster.days if absent.leader_id in [x.leader_id for x in d.leaders]]
    assert served and min(served) > date(2026, 5, 15)


def test_membership_changes_never_alter_published_days(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-06")
    v1 = service.publish_month(ctx, "2026-06", by="主任")
    before = service.month_roster(ctx, "2026-06").to_json()
    leaving = next(d for d in service.month_roster(ctx, "2026-06").days if d.leaders and d.day.day > 15).leaders[0]
    service.end_membership(ctx, leaving.leader_id, date(2026, 6, 10), by="admin")
    newcomer = service.add_leader(ctx, "钱新民", "副区长", rank_order=20, active_from=date(2026, 6, 1), by="admin")
    with pytest.raises(service.RosterError, match="已发布"):
        service.generate_month(ctx, "2026-06")
    assert service.month_roster(ctx, "2026-06").to_json() == before
    assert [v.version for v in service.versions(ctx, "2026-06")] == [v1.version]
    assert any(leaving.name in c for c in service.published_conflicts(ctx, "2026-06"))
    service.generate_month(ctx, "2026-07")
    july = duty_counts(ctx, ["2026-07"])
    assert leaving.name not in july
    assert 0 < july["钱新民"] <= max(v for k, v in july.items() if k != "钱新民")  # no catch-up run
    assert newcomer


def test_newcomer_mid_quarter_starts_at_the_lowest_count(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-07")
    service.add_leader(ctx, "钱新民", "副区长", rank_order=20, active_from=date(2026, 8, 1), by="admin")
    service.generate_months(ctx, ["2026-08", "2026-09"])
    aug = [d for d in service.month_roster(ctx, "2026-08").days if d.leaders and not d.secretary_day]
    assert [d.leaders[0].name for d in aug[:9]].count("钱新民") == 1


# -- published versions, swaps, substitutions ----------------------------------------------------------------------


def test_swap_on_a_published_month_makes_a_new_version_with_a_diff(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-03")
    assert service.publish_month(ctx, "2026-03", by="主任").version == 1
    assert service.publish_month(ctx, "2026-03", by="主任").version == 1  # nothing changed: no new version
    v1 = service.month_roster(ctx, "2026-03")
    d1, d2 = date(2026, 3, 2), date(2026, 3, 3)
    a, b = day_of(v1, d1).leaders[0], day_of(v1, d2).leaders[0]
    with pytest.raises(FieldErrors):
        service.swap(ctx, d1, a.leader_id, d2, b.leader_id, reason="", approved_by="")
    change = service.swap(ctx, d1, a.leader_id, d2, b.leader_id, reason="参加市里会议", approved_by="区委办",
                          by="admin")
    assert change.kind == "swap" and change.version == 2
    v2 = service.month_roster(ctx, "2026-03")
    assert v2.version == 2 and names(day_of(v2, d1)) == [b.name] and names(day_of(v2, d2)) == [a.name]
    assert "调换" in day_of(v2, d1).leaders[0].reason
    assert service.month_roster(ctx, "2026-03", version=1).to_json() == v1.to_json()
    diff = service.diff_versions(ctx, "2026-03", 1, 2)
    assert [c.day for c in diff] == [d1, d2]
    info = service.versions(ctx, "2026-03")[-1]
    assert [c.day for c in info.changes] == [d1, d2] and "调换" in info.note
    assert [c.kind for c in service.changes(ctx, "2026-03")] == ["swap"]


def test_substitution_checks_and_record(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-03")
    roster = service.month_roster(ctx, "2026-03")
    d = date(2026, 3, 4)
    out = day_of(roster, d).leaders[0]
    other_day = day_of(roster, date(2026, 3, 5)).leaders[0]
    # the newcomer would be on duty twice that day
    with pytest.raises(service.RosterError, match="同一天"):
        service.substitute(ctx, d, out.leader_id, out.leader_id, reason="x", approved_by="y")
    service.add_absence(ctx, other_day.leader_id, d, d, "请假")
    with pytest.raises(service.RosterError, match="请假"):
        service.substitute(ctx, d, out.leader_id, other_day.leader_id, reason="x", approved_by="y")
    sub = leader_id(ctx, "孙立群") if out.name != "孙立群" else leader_id(ctx, "郑国平")
    change = service.substitute(ctx, d, out.leader_id, sub, reason="下乡督办", approved_by="区委办", by="admin")
    assert change.version is None  # a draft: no version
    today = service.duty_leaders_on(ctx, d)
    assert today.leaders[0].leader_id == sub and "替班" in today.leaders[0].reason and not today.published
    assert today.label.startswith("今日接访领导：") and today.label.endswith("（草稿）")


def test_duty_leaders_on(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-02")
    service.publish_month(ctx, "2026-02", by="主任")
    sec = service.duty_leaders_on(ctx, date(2026, 2, 24))
    assert sec.secretary_day and sec.published and [x.name for x in sec.leaders] == [SECRETARY_NAME, HEAD_NAME]
    assert "区委书记" in sec.label and sec.place
    off = service.duty_leaders_on(ctx, date(2026, 2, 17))
    assert not off.workday and off.leaders == () and off.label == "今日非工作日"
    assert service.duty_leaders_on(ctx, date(2026, 5, 6)).label == "今日接访领导：未排班"


# -- the notice ------------------------------------------------------------------------------------------------------


def test_notice_pdf_reads_back(ctx: AppContext) -> None:
    service.generate_month(ctx, "2026-02")
    service.publish_month(ctx, "2026-02", by="主任")
    pdf = notice_pdf(ctx, "2026-02")
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    text = "".join(p.extract_text() for p in reader.pages)
    for needle in ("区级领导接访安排表", "2026年2月", "日期", "星期", "接访领导", "职务", "接访地点",
                   "2月24日", "星期二", SECRETARY_NAME, "区委书记", HEAD_NAME, "书记接访日", "2月14日",
                   "调休上班", "区信访接待中心", "第1版"):
        assert needle in text, needle
    assert "2月17日" not in text  # holidays are not listed
    fonts = [f.get_object() for p in reader.pages for f in p["/Resources"]["/Font"].values()]
    assert fonts
    for f in fonts:
        base = str(f["/BaseFont"])
        assert "STSong" not in base
        if base.endswith(("Helvetica", "Times-Roman")):
            continue
        assert embedded_file(f), base


def test_notice_xlsx_reads_back(ctx: AppContext) -> None:
    from openpyxl import load_workbook

    service.generate_month(ctx, "2026-10")
    wb = load_workbook(io.BytesIO(notice_xlsx(ctx, "2026-10")))
    ws = wb.active
    assert ws is not None and ws["A1"].value == "区级领导接访安排表" and ws["A2"].value == "2026年10月（草稿）"
    assert [c.value for c in ws[3]] == ["日期", "星期", "接访领导", "职务", "接访地点", "备注"]
    rows = {r[0].date(): r for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows[date(2026, 10, 10)][5] == "国庆节调休上班"
    assert rows[date(2026, 10, 27)][2] == f"{SECRETARY_NAME}\n{HEAD_NAME}"
    assert date(2026, 10, 1) not in rows
    assert ws["A4"].is_date and ws["A4"].number_format == 'm"月"d"日"'  # real dates, shown as 10月9日
    # one A4 landscape page, the header row repeated and frozen
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    assert all(ws.row_dimensions[r].height >= 20 for r in range(4, 4 + len(rows)))


# -- command line --------------------------------------------------------------------------------------------------


def test_cli_generate_show_publish_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "数据"
    c = open_data_dir(data)
    with c.db.write() as s:
        seed_reference(s)
    c.close()
    assert main(["roster", "generate", "2026-02", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert main(["roster", "show", "2026-02", "--data-dir", str(data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["month"] == "2026-02" and out["status"] == "draft" and len(out["days"]) == 28
    by_date = {d["date"]: d for d in out["days"]}
    assert by_date["2026-02-14"]["workday"] is True and len(by_date["2026-02-14"]["leaders"]) == 1
    assert by_date["2026-02-16"]["workday"] is False and by_date["2026-02-16"]["leaders"] == []
    sec = by_date["2026-02-24"]
    assert sec["secretary_day"] and sec["no_meeting_week"]
    assert [(x["name"], x["title"]) for x in sec["leaders"]] == [(SECRETARY_NAME, "区委书记"), (HEAD_NAME, "区长")]
    assert not by_date["2026-02-13"]["no_meeting_week"]
    assert set(by_date["2026-02-02"]) >= {"date", "workday", "leaders", "secretary_day", "no_meeting_week"}

    assert main(["roster", "publish", "2026-02", "--data-dir", str(data), "--by", "主任"]) == 0
    assert "第1版" in capsys.readouterr().out
    pdf = tmp_path / "公示.pdf"
    assert main(["roster", "pdf", "2026-02", "--data-dir", str(data), "-o", str(pdf)]) == 0
    assert "区级领导接访安排表" in PdfReader(pdf).pages[0].extract_text()
    assert main(["roster", "xlsx", "2026-02", "--data-dir", str(data), "-o", str(tmp_path / "a.xlsx")]) == 0

    assert main(["roster", "generate", "2027-01", "--data-dir", str(data)]) == 0
    assert "未确认" in capsys.readouterr().out
    assert main(["roster", "publish", "2027-01", "--data-dir", str(data), "--by", "主任"]) == 2
    assert "2027年节假日安排未确认" in capsys.readouterr().err
    assert main(["roster", "publish", "2027-01", "--data-dir", str(data), "--by", "主任",
                 "--confirm-unconfirmed"]) == 0


def test_cli_holidays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d"
    assert main(["holidays", "show", "2026", "--data-dir", str(data), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["known"] and {"date": "2026-10-10", "workday": True, "name": "国庆节", "source": "package"} in \
        shown["days"]
    f = tmp_path / "2027.csv"
    f.write_text(HOLIDAYS_2027_CSV, encoding="utf-8")
    assert main(["holidays", "import", "2027", str(f), "--data-dir", str(data)]) == 0
    assert main(["holidays", "confirm", "2027", "--data-dir", str(data), "--by", "张科长"]) == 0
    capsys.readouterr()
    assert main(["holidays", "show", "2027", "--data-dir", str(data), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["confirmed"] and shown["confirmed_by"] == "张科长" and len(shown["days"]) == 11


def test_every_working_day_of_2026_is_covered(ctx: AppContext) -> None:
    service.generate_months(ctx, [f"2026-{m:02d}" for m in range(1, 13)])
    day = date(2026, 1, 1)
    while day.year == 2026:
        today = service.duty_leaders_on(ctx, day) if day.day in (1, 15) else None
        if today is not None:
            assert bool(today.leaders) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
