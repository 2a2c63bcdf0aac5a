"""Resident identity numbers (GB 11643) and the other document types."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reception.domain.enums import DocumentType, Gender
from reception.domain.errors import FieldError
from reception.domain.idnumber import (
    ID_FIELD,
    ResidentId,
    check_digit,
    looks_like_resident_id,
    parse_resident_id,
    validate_document,
)

TODAY = date(2026, 11, 28)


def gb11643_check(body17: str) -> str:
    """Independent implementation of ISO 7064 MOD 11-2, so the tests do not trust the code under test."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    total = sum(int(c) * w for c, w in zip(body17, weights, strict=True))
    return "10X98765432"[total % 11]


def make_id(region: str, born: date, seq: str = "123") -> str:
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + gb11643_check(body)


def parse(text: str) -> ResidentId:
    return parse_resident_id(text, today=TODAY)


def error_key(text: str) -> str:
    with pytest.raises(FieldError) as info:
        parse(text)
    assert info.value.field == ID_FIELD
    assert text.strip() == "" or text.strip() not in info.value.message, "message must not echo the input"
    return info.value.key


# --- valid numbers -------------------------------------------------------------------------------------------

VALID = [
    # (input, normalized, birth date, gender, region)
    ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE, "110105"),
    ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE, "110105"),
    ("  11010519491231002X \n", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE, "110105"),
    ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE, "110105"),
    ("110105 19491231 002X", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE, "110105"),
    (make_id("430502", date(1990, 1, 1), "123"), make_id("430502", date(1990, 1, 1), "123"),
     date(1990, 1, 1), Gender.MALE, "430502"),
    (make_id("430502", date(2000, 2, 29), "004"), make_id("430502", date(2000, 2, 29), "004"),
     date(2000, 2, 29), Gender.FEMALE, "430502"),
    (make_id("650102", date(1900, 1, 1), "011"), make_id("650102", date(1900, 1, 1), "011"),
     date(1900, 1, 1), Gender.MALE, "650102"),
    (make_id("430502", TODAY, "001"), make_id("430502", TODAY, "001"), TODAY, Gender.MALE, "430502"),
    # 港澳台居民居住证: fixed address codes 810000 / 820000 / 830000
    (make_id("810000", date(1985, 6, 1), "022"), make_id("810000", date(1985, 6, 1), "022"),
     date(1985, 6, 1), Gender.FEMALE, "810000"),
    (make_id("830000", date(1979, 3, 15), "035"), make_id("830000", date(1979, 3, 15), "035"),
     date(1979, 3, 15), Gender.MALE, "830000"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "number", "born", "gender", "region"), VALID)
def test_valid_numbers(text: str, number: str, born: date, gender: Gender, region: str) -> None:
    rid = parse(text)
    assert rid.number == number
    assert rid.birth_date == born
    assert rid.gender is gender
    assert rid.region_code == region
    assert rid.legacy is False


def test_check_digit_matches_independent_implementation() -> None:
    assert check_digit("11010519491231002") == "X"
    assert check_digit("43050219900101123") == gb11643_check("43050219900101123")
    with pytest.raises(ValueError):
        check_digit("123")


def test_residence_permit_flag() -> None:
    assert parse(make_id("820000", date(1990, 5, 5))).is_residence_permit
    assert not parse(make_id("430502", date(1990, 5, 5))).is_residence_permit


def test_repr_is_masked() -> None:
    rid = parse("11010519491231002X")
    assert "11010519491231002X" not in repr(rid)
    assert "19491231" not in str(rid)
    assert rid.masked == "110105********002X"


# --- legacy 15-digit numbers -----------------------------------------------------------------------------------

LEGACY = [
    ("430502900101123", make_id("430502", date(1990, 1, 1), "123"), date(1990, 1, 1), Gender.MALE),
    ("110105491231002", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE),
    (" 320102000228456 ", make_id("320102", date(1900, 2, 28), "456"), date(1900, 2, 28), Gender.FEMALE),
]


@pytest.mark.parametrize(("text", "number", "born", "gender"), LEGACY)
def test_legacy_numbers_are_converted(text: str, number: str, born: date, gender: Gender) -> None:
    rid = parse(text)
    assert rid.number == number
    assert len(rid.number) == 18
    assert rid.legacy is True
    assert rid.birth_date == born
    assert rid.gender is gender
    # the converted number is itself a valid 18-digit number
    assert parse(rid.number).number == rid.number
    assert parse(rid.number).legacy is False


def test_legacy_birth_year_is_19yy() -> None:
    # 1900 was not a leap year: a legacy number with 000229 is not a real date
    assert error_key("320102000229456") == "id_birth_invalid"
    assert parse("320102000228456").birth_date == date(1900, 2, 28)


def test_legacy_number_with_x_is_rejected() -> None:
    assert error_key("43050290010112X") == "id_characters"


# --- invalid numbers -------------------------------------------------------------------------------------------

GOOD = make_id("430502", date(1990, 1, 1), "123")

INVALID = [
    ("", "id_empty"),
    ("   ", "id_empty"),
    ("4305021990", "id_length"),
    ("4305021990010112345", "id_length"),  # 19 digits
    ("4305021990010112", "id_length"),  # 16 digits
    ("43050219900101123A", "id_characters"),
    ("4305021990X101123X", "id_characters"),  # X only at the end
    ("430502-19900101-123X", "id_characters"),
    ("身份证430502199001011", "id_characters"),
    (GOOD[:17] + ("0" if GOOD[17] != "0" else "1"), "id_checksum"),
    ("11010519491231002" + "1", "id_checksum"),
    # birth dates
    (make_id("430502", date(2026, 11, 29)), "id_birth_future"),
    (make_id("430502", date(2030, 1, 1)), "id_birth_future"),
    ("43050219900230123" + gb11643_check("43050219900230123"), "id_birth_invalid"),  # Feb 30
    ("43050219901301123" + gb11643_check("43050219901301123"), "id_birth_invalid"),  # month 13
    ("43050219900100123" + gb11643_check("43050219900100123"), "id_birth_invalid"),  # day 0
    ("43050220230229123" + gb11643_check("43050220230229123"), "id_birth_invalid"),  # 2023 not leap
    ("44052418800101001" + gb11643_check("44052418800101001"), "id_birth_too_early"),
    (make_id("430502", date(1899, 12, 31)), "id_birth_too_early"),
    # regions
    (make_id("990502", date(1990, 1, 1)), "id_region"),
    (make_id("000000", date(1990, 1, 1)), "id_region"),
    (make_id("160101", date(1990, 1, 1)), "id_region"),  # 16 is not a province
    (make_id("430000", date(1990, 1, 1)), "id_region"),  # digits 3-6 "0000"
    (make_id("910101", date(1990, 1, 1)), "id_region"),  # 9 = foreigners' permanent residence card
    (make_id("810101", date(1990, 1, 1)), "id_region"),  # residence permits use exactly 810000
    (make_id("710000", date(1990, 1, 1)), "id_region"),
]


@pytest.mark.parametrize(("text", "key"), INVALID)
def test_invalid_numbers(text: str, key: str) -> None:
    assert error_key(text) == key


def test_messages_are_distinct_and_chinese() -> None:
    samples = {key: text for text, key in INVALID}
    messages = {}
    for key, text in samples.items():
        with pytest.raises(FieldError) as info:
            parse(text)
        messages[key] = info.value.message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.message)
    assert len(set(messages.values())) == len(messages)


def test_future_is_relative_to_today() -> None:
    tomorrow = make_id("430502", date(2026, 11, 29))
    assert parse_resident_id(tomorrow, today=date(2026, 11, 29)).birth_date == date(2026, 11, 29)


# --- properties ------------------------------------------------------------------------------------------------

REGIONS = ["110105", "430502", "430521", "440305", "310104", "650102", "542621", "810000", "820000", "830000"]

bodies = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(REGIONS),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
)


@given(bodies)
def test_property_valid_numbers_round_trip(body: str) -> None:
    number = body + gb11643_check(body)
    rid = parse(number)
    assert rid.number == number
    assert rid.birth_date == date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    assert rid.gender is (Gender.MALE if int(body[16]) % 2 else Gender.FEMALE)
    assert parse(rid.number) == rid
    assert parse(number.lower()).number == number
    assert validate_document(DocumentType.RESIDENT_ID, f" {number.lower()} ", today=TODAY) == number


@given(bodies, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_property_one_changed_character_is_rejected(body: str, position: int, shift: int) -> None:
    number = body + gb11643_check(body)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(number[position])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[position]:
        new = alphabet[(old + 1) % len(alphabet)]
    mutated = number[:position] + new + number[position + 1 :]
    with pytest.raises(FieldError):
        parse(mutated)


@given(st.text(max_size=30))
def test_property_arbitrary_text_never_crashes(text: str) -> None:
    try:
        rid = parse(text)
    except FieldError as exc:
        assert exc.field == ID_FIELD
    else:
        assert len(rid.number) == 18


# --- typing helper ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("430502", True),
        ("4305021990", True),
        (GOOD, True),
        ("11010519491231002x", True),
        ("43050", False),  # too short to tell
        ("990502", False),  # no such province
        ("430000", False),
        ("43050219900101123X1", False),  # too long
        ("E12345678", False),
        ("4305X2", False),
        ("", False),
    ],
)
def test_looks_like_resident_id(text: str, expected: bool) -> None:
    assert looks_like_resident_id(text) is expected


# --- other documents -------------------------------------------------------------------------------------------

DOCS_OK = [
    (DocumentType.RESIDENT_ID, "430502900101123", make_id("430502", date(1990, 1, 1), "123")),
    (DocumentType.PASSPORT, "e12345678", "E12345678"),
    (DocumentType.PASSPORT, "EA1234567", "EA1234567"),
    (DocumentType.PASSPORT, "G12345678", "G12345678"),
    (DocumentType.PASSPORT, "C01X00T47", "C01X00T47"),  # German
    (DocumentType.PASSPORT, " 123456789 ", "123456789"),  # US
    (DocumentType.PASSPORT, "AB12345", "AB12345"),
    (DocumentType.HK_MACAO_PERMIT, "h12345678", "H12345678"),
    (DocumentType.HK_MACAO_PERMIT, "M1234567801", "M1234567801"),
    (DocumentType.TAIWAN_PERMIT, "12345678", "12345678"),
    (DocumentType.TAIWAN_PERMIT, "1234567801", "1234567801"),
    (DocumentType.FOREIGN_RESIDENCE, "usa110079020501", "USA110079020501"),
    (DocumentType.FOREIGN_RESIDENCE, make_id("911840", date(1980, 4, 1), "012"),
     make_id("911840", date(1980, 4, 1), "012")),
    (DocumentType.OTHER, "  军官证 南字第 123456 号 ", "军官证 南字第 123456 号"),
    (DocumentType.OTHER, "x", "x"),
    (DocumentType.NONE, "", ""),
    (DocumentType.NONE, "   ", ""),
]  # fmt: skip


@pytest.mark.parametrize(("doc_type", "text", "expected"), DOCS_OK)
def test_validate_document_ok(doc_type: DocumentType, text: str, expected: str) -> None:
    assert validate_document(doc_type, text, today=TODAY) == expected


DOCS_BAD = [
    (DocumentType.RESIDENT_ID, "43050219900101123", "id_length"),
    (DocumentType.PASSPORT, "", "document_empty"),
    (DocumentType.PASSPORT, "E123", "passport_length"),
    (DocumentType.PASSPORT, "E1234567890123456789", "passport_length"),
    (DocumentType.PASSPORT, "E1234-5678", "passport_characters"),
    (DocumentType.PASSPORT, "ABCDEFG", "passport_format"),
    (DocumentType.HK_MACAO_PERMIT, "H1234567", "hk_macao_format"),
    (DocumentType.HK_MACAO_PERMIT, "K12345678", "hk_macao_format"),
    (DocumentType.HK_MACAO_PERMIT, "H123456789", "hk_macao_format"),
    (DocumentType.TAIWAN_PERMIT, "1234567", "taiwan_format"),
    (DocumentType.TAIWAN_PERMIT, "T12345678", "taiwan_format"),
    (DocumentType.FOREIGN_RESIDENCE, "US110079020501", "foreign_residence_format"),
    (DocumentType.FOREIGN_RESIDENCE, make_id("430502", date(1980, 4, 1)), "foreign_residence_format"),
    (DocumentType.FOREIGN_RESIDENCE, "91184019800401012" + ("0" if gb11643_check("91184019800401012") != "0"
                                                             else "1"), "foreign_residence_checksum"),
    (DocumentType.OTHER, "", "document_empty"),
    (DocumentType.OTHER, "1" * 31, "document_length"),
    (DocumentType.OTHER, "ab\x07cd", "document_characters"),
    (DocumentType.NONE, "E12345678", "document_not_expected"),
]  # fmt: skip


@pytest.mark.parametrize(("doc_type", "text", "key"), DOCS_BAD)
def test_validate_document_rejects(doc_type: DocumentType, text: str, key: str) -> None:
    with pytest.raises(FieldError) as info:
        validate_document(doc_type, text, today=TODAY)
    assert info.value.field == ID_FIELD
    assert info.value.key == key
    if text.strip():
        assert text.strip() not in info.value.message


def test_every_document_type_is_handled() -> None:
    for doc_type in DocumentType:
        with pytest.raises(FieldError) as info:
            validate_document(doc_type, "\x00" if doc_type is DocumentType.NONE else "", today=TODAY)
        assert info.value.key != "document_type"
