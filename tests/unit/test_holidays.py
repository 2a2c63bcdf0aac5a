"""The editable holiday table: seeding from chinese-calendar, import (CSV/JSON), confirmation, the calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from reception.bootstrap import AppContext, open_data_dir
from reception.domain.errors import FieldError
from reception.roster.holidays import (
    confirm_year,
    import_holidays,
    load_work_calendar,
    parse_holiday_file,
    seed_year,
    set_holiday,
    year_entries,
    year_status,
)

# A plausible 2027 arrangement (the State Council publishes it in the autumn): 元旦, 春节 with two make-up days.
HOLIDAYS_2027_CSV = """日期,是否上班,名称
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
2027-10-01,休,国庆节
"""


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    c = open_data_dir(tmp_path / "data")
    yield c
    c.close()


def test_seed_2026_from_the_package(ctx: AppContext) -> None:
    with ctx.db.write() as s:
        added = seed_year(s, 2026, by="admin")
        assert added > 20
        assert seed_year(s, 2026) == 0  # idempotent
    with ctx.db.read() as s:
        rows = {e.day: e for e in year_entries(s, 2026)}
        status = year_status(s, 2026)
    for makeup in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 10, 10)):
        assert chinese_calendar.is_workday(makeup)
        assert rows[makeup].workday and rows[makeup].source == "package"
    assert not rows[date(2026, 10, 1)].workday and rows[date(2026, 10, 1)].name == "国庆节"
    assert status.package_knows and status.known and not status.confirmed


def test_unknown_year_seeds_nothing_and_says_so(ctx: AppContext) -> None:
    with ctx.db.write() as s:
        assert seed_year(s, 2027) == 0
        status = year_status(s, 2027)
    assert not status.known
    assert "2027年" in status.message and "推算" in status.message


@pytest.mark.parametrize(
    ("text", "suffix"),
    [
        (HOLIDAYS_2027_CSV, ".csv"),
        ("date,workday,name\n2027-01-01,no,元旦\n2027-02-13,yes,春节\n", ".csv"),
        ('[{"date": "2027-01-01", "workday": false, "name": "元旦"}, {"date": "2027-02-13", "workday": "是"}]',
         ".json"),
    ],
)
def test_parse_holiday_files(text: str, suffix: str) -> None:
    rows = {e.day: e for e in parse_holiday_file(text, suffix=suffix)}
    assert not rows[date(2027, 1, 1)].workday
    assert rows[date(2027, 2, 13)].workday


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("date,workday\n2027-13-01,no\n", "第2行"),
        ("date,workday\n2027-01-01,maybe\n", "maybe"),
        ("when,what\n", "首行"),
        ("[1]", "第1项"),
    ],
)
def test_bad_holiday_files_name_the_line(text: str, needle: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_holiday_file(text)
    assert needle in info.value.message


def test_import_then_confirm_2027(ctx: AppContext, tmp_path: Path) -> None:
    f = tmp_path / "2027.csv"
    f.write_text(HOLIDAYS_2027_CSV, encoding="utf-8-sig")
    with ctx.db.write() as s:
        assert import_holidays(s, 2027, f, by="admin") == 11
        cal = load_work_calendar(s)
    assert not cal.knows(2027)
    assert not cal.is_workday(date(2027, 2, 8)) and cal.is_workday(date(2027, 2, 13))
    assert cal.holiday_name(date(2027, 10, 1)) == "国庆节"
    with ctx.db.write() as s:
        status = confirm_year(s, 2027, by="张科长")
        assert status.confirmed and status.confirmed_by == "张科长" and status.confirmed_at is not None
        assert load_work_calendar(s).knows(2027)
        # any edit withdraws the confirmation
        set_holiday(s, date(2027, 10, 2), False, "国庆节", by="admin")
        assert not year_status(s, 2027).confirmed
        assert not load_work_calendar(s).knows(2027)


def test_import_refuses_other_years_and_duplicates(ctx: AppContext) -> None:
    rows = parse_holiday_file("date,workday\n2028-01-01,no\n")
    with ctx.db.write() as s, pytest.raises(FieldError, match="不属于2027年"):
        import_holidays(s, 2027, rows)
    rows = parse_holiday_file("date,workday\n2027-01-01,no\n2027-01-01,no\n")
    with ctx.db.write() as s, pytest.raises(FieldError, match="重复"):
        import_holidays(s, 2027, rows)


def test_confirming_an_empty_unknown_year_is_refused(ctx: AppContext) -> None:
    with ctx.db.write() as s, pytest.raises(FieldError, match="为空"):
        confirm_year(s, 2028, by="admin")
    with ctx.db.write() as s, pytest.raises(FieldError):
        confirm_year(s, 2026, by=" ")


def test_table_overrides_the_package_and_the_context_loads_it(tmp_path: Path) -> None:
    c = open_data_dir(tmp_path / "d")
    with c.db.write() as s:
        set_holiday(s, date(2026, 3, 31), False, "测试假日", by="admin")
    c.close()
    c = open_data_dir(tmp_path / "d")
    assert not c.calendar.is_workday(date(2026, 3, 31))
    assert c.calendar.is_workday(date(2026, 3, 30))
    c.close()
