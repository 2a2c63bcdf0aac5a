"""Reading what people typed in ledgers: dates in every spelling, results and ratings; headers and mappings."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from reception.ledger.mapping import Profile, find_header, guess_mapping, missing_required
from reception.ledger.values import Outcome, parse_moment, parse_outcome, parse_rating, text_of


@pytest.mark.parametrize(("value", "expected"), [
    ("2021.3.5", datetime(2021, 3, 5, 9, 0)),
    ("2021年3月5日", datetime(2021, 3, 5, 9, 0)),
    ("2021 年 03 月 05 日", datetime(2021, 3, 5, 9, 0)),
    ("2021-03-05", datetime(2021, 3, 5, 9, 0)),
    ("2021/3/5 14:30", datetime(2021, 3, 5, 14, 30)),
    ("2021年3月5日14时30分", datetime(2021, 3, 5, 14, 30)),
    ("20210305", datetime(2021, 3, 5, 9, 0)),
    (44260, datetime(2021, 3, 5, 9, 0)),  # an Excel serial number
    (44260.75, datetime(2021, 3, 5, 18, 0)),  # with its time of day
    ("44260", datetime(2021, 3, 5, 9, 0)),  # the serial as text (a CSV saved from the sheet)
    (date(2021, 3, 5), datetime(2021, 3, 5, 9, 0)),
    (datetime(2021, 3, 5, 8, 15), datetime(2021, 3, 5, 8, 15)),
])
def test_dates(value: object, expected: datetime) -> None:
    assert parse_moment(value) == expected


@pytest.mark.parametrize("value", ["", "三月中旬", "2021-02-30", "2021.13.1", 12, 3.5, "不详", True, "2021-03"])
def test_unreadable_dates(value: object) -> None:
    assert parse_moment(value) is None


def test_default_time() -> None:
    assert parse_moment("2021.3.5", default_time=time(10, 0)) == datetime(2021, 3, 5, 10, 0)


def test_cells_as_text() -> None:
    assert text_of(13800138000.0) == "13800138000"  # a phone Excel stored as a number
    assert text_of("  张  三 ") == "张 三"
    assert text_of(None) == "" and text_of(2.5) == "2.5"


@pytest.mark.parametrize(("text", "outcome"), [
    ("", Outcome.ROUTED), ("已交办翠园街道", Outcome.ROUTED), ("已受理", Outcome.ACCEPTED),
    ("正在办理中", Outcome.IN_HANDLING), ("已书面答复", Outcome.REPLIED), ("已办结", Outcome.CLOSED),
    ("问题已解决，息访", Outcome.CLOSED), ("不予受理（属诉讼事项）", Outcome.NOT_ACCEPTED), ("待定", None),
])
def test_outcomes(text: str, outcome: Outcome | None) -> None:
    assert parse_outcome(text) is outcome


def test_ratings() -> None:
    assert [parse_rating(t) for t in ("满意", "基本满意", "不满意", "未评价")] == \
        ["satisfied", "basically", "dissatisfied", None]


def test_header_with_title_group_row_and_subheader() -> None:
    rows: list[list[object]] = [
        ["2021年来访登记台账", "2021年来访登记台账", "2021年来访登记台账", "2021年来访登记台账"],
        ["", "", "", ""],
        ["序号", "来访人信息", "来访人信息", "登记日期"],
        ["序号", "来访人姓名", "手机号码", "登记日期"],
        [1, "张三", "13800138000", datetime(2021, 3, 5)],
    ]
    header = find_header(rows)
    assert (header.first_row, header.rows, header.data_start) == (2, 2, 4)
    assert header.labels == ("序号", "来访人信息/来访人姓名", "来访人信息/手机号码", "登记日期")
    assert guess_mapping(header.labels) == {"name": 1, "phone": 2, "visited_on": 3}
    assert missing_required(guess_mapping(header.labels)) == ["反映问题", "问题属地"]


def test_header_fixed_by_hand_and_labels_with_notes() -> None:
    rows: list[list[object]] = [["姓名（必填）", "反映问题*", "问题属地"], ["张三", "某某", "城南街道"]]
    header = find_header(rows, first_row=0, count=1)
    assert guess_mapping(header.labels) == {"name": 0, "request": 1, "locality": 2}


def test_profile_finds_moved_columns() -> None:
    profile = Profile("示范", {"name": "信访人信息/姓名", "request": "反映问题"})
    assert profile.mapping_for(("序号", "反映问题", "信访人信息/姓名")) == {"name": 2, "request": 1}
    assert profile.mapping_for(("姓名", "反映问题")) == {"name": 0, "request": 1}


def test_times_with_seconds() -> None:
    assert parse_moment("2021-03-05 14:30:15") == datetime(2021, 3, 5, 14, 30, 15)
    assert parse_moment("2021年3月5日14时30分15秒") == datetime(2021, 3, 5, 14, 30, 15)
    assert parse_moment("2021年3月5日 9点05") == datetime(2021, 3, 5, 9, 5)
