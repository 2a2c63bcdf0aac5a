"""The search box's reader (``reception.search.query``): every reading of one typed text, strongest first."""

from __future__ import annotations

import pytest

from reception.domain.idnumber import check_digit
from reception.search.query import Kind, classify, parse_qr

ID_BODY = "43050319800101123"
ID = ID_BODY + check_digit(ID_BODY)


def kinds(text: str) -> list[Kind]:
    return [r.kind for r in classify(text)]


def test_a_case_number_is_read_as_one_thing_whatever_its_case_and_spaces() -> None:
    assert kinds("XF01-20261202-0003") == [Kind.CASE_NO]
    (reading,) = classify(" xf01-20261202-0003 ")
    assert reading.value == "XF01-20261202-0003"
    assert kinds("20261202-0003") == [Kind.CASE_PART]
    assert kinds("20261302-0003") != [Kind.CASE_PART]  # month 13 is no date
    assert kinds("XF01-2026") == [Kind.CASE_PREFIX]


@pytest.mark.parametrize("payload", [
    "XF:XF01-20261202-0003:AB12CD34",
    "https://xf.example.gov.cn/query/q/XF01-20261202-0003?c=ab12cd34",
    "http://10.0.0.5:8800/q/xf01-20261202-0003?c=AB12CD34",
])
def test_both_forms_of_the_receipt_qr_give_the_case_and_its_code(payload: str) -> None:
    assert parse_qr(payload) == ("XF01-20261202-0003", "AB12CD34")
    (reading,) = classify(payload)
    assert (reading.kind, reading.value, reading.code) == (Kind.QR, "XF01-20261202-0003", "AB12CD34")


@pytest.mark.parametrize("payload", [
    "https://xf.example.gov.cn/x/XF01-20261202-0003?c=AB12CD34",  # not a /q/ address
    "https://xf.example.gov.cn/q/XF01-20261202-0003",  # no code
    "https://xf.example.gov.cn/q/NOT-A-CASE?c=AB12CD34",
    "XF:XF01-20261202-0003:",
])
def test_an_address_or_payload_that_is_not_a_receipt_is_no_qr(payload: str) -> None:
    assert parse_qr(payload) is None


def test_a_full_id_number_ranks_above_its_other_readings() -> None:
    readings = classify(ID[:6] + " " + ID[6:14] + " " + ID[14:].lower())  # typed with spaces and a lower-case x
    assert readings[0].kind is Kind.ID_NUMBER
    assert readings[0].value == ID.upper()
    assert readings[0].exact


def test_four_digits_are_a_phone_tail_and_an_id_tail_and_the_longer_tail_ranks_higher() -> None:
    four = classify("3912")
    assert {Kind.PHONE_SUFFIX, Kind.ID_SUFFIX} <= {r.kind for r in four}
    assert not any(r.exact for r in four)
    phone_tail_4 = next(r for r in four if r.kind is Kind.PHONE_SUFFIX)
    phone_tail_7 = next(r for r in classify("1234567") if r.kind is Kind.PHONE_SUFFIX)
    assert phone_tail_7.rank > phone_tail_4.rank
    assert "123X" not in [r.value for r in four]
    assert Kind.ID_SUFFIX in kinds("12345x".upper())


def test_a_mobile_number_typed_with_separators_reads_as_the_phone() -> None:
    readings = classify("138-1234-5678")
    assert readings[0].kind is Kind.PHONE
    assert readings[0].value == "13812345678"


def test_full_width_digits_from_a_chinese_input_method_are_folded() -> None:
    assert classify("１３８１２３４５６７８") == classify("13812345678")
    assert any(r.kind is Kind.PHONE and r.value == "13812345678" for r in classify("１３８１２３４５６７８"))


def test_chinese_text_is_a_name_and_maybe_part_of_an_address() -> None:
    name = classify("夏明云")
    assert [r.kind for r in name][:2] == [Kind.NAME_EXACT, Kind.NAME]
    assert name[0].value == "夏明云"
    assert kinds("夏") == [Kind.NAME]  # one character: a surname, never an exact name
    assert Kind.ADDRESS in kinds("尚书茗苑3栋")
    assert Kind.NAME not in kinds("尚书茗苑3栋")  # digits inside: no name


def test_lower_case_letters_are_pinyin_initials_and_a_code_is_a_query_code() -> None:
    assert Kind.INITIALS in kinds("xmy")
    assert Kind.QUERY_CODE in kinds("AB12CD34")
    assert Kind.INITIALS not in kinds("AB12CD34")


def test_blank_text_reads_as_nothing() -> None:
    assert classify("") == ()
    assert classify("   \u3000 ") == ()
