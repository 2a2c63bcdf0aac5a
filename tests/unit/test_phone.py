"""Petitioners' phone numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reception.domain.errors import FieldError
from reception.domain.phone import PHONE_FIELD, PhoneKind, normalize_phone

MOBILE = PhoneKind.MOBILE
LANDLINE = PhoneKind.LANDLINE

VALID = [
    # (input, number, kind, area code, extension, display)
    ("13812345678", "13812345678", MOBILE, "", "", "13812345678"),
    (" 138 1234 5678 ", "13812345678", MOBILE, "", "", "13812345678"),
    ("138-1234-5678", "13812345678", MOBILE, "", "", "13812345678"),
    ("+86 138 1234 5678", "13812345678", MOBILE, "", "", "13812345678"),
    ("+8613812345678", "13812345678", MOBILE, "", "", "13812345678"),
    ("008613812345678", "13812345678", MOBILE, "", "", "13812345678"),
    ("86 13812345678", "13812345678", MOBILE, "", "", "13812345678"),
    ("１３８１２３４５６７８", "13812345678", MOBILE, "", "", "13812345678"),  # full-width
    ("013812345678", "13812345678", MOBILE, "", "", "13812345678"),  # dialled with a leading 0
    ("19912345678", "19912345678", MOBILE, "", "", "19912345678"),
    ("0739-5231234", "07395231234", LANDLINE, "0739", "", "0739-5231234"),
    ("07395231234", "07395231234", LANDLINE, "0739", "", "0739-5231234"),
    ("(0739) 5231234", "07395231234", LANDLINE, "0739", "", "0739-5231234"),
    ("（0739）5231234", "07395231234", LANDLINE, "0739", "", "0739-5231234"),
    ("010-12345678", "01012345678", LANDLINE, "010", "", "010-12345678"),
    ("010-6512 3456", "01065123456", LANDLINE, "010", "", "010-65123456"),
    ("021-64370000", "02164370000", LANDLINE, "021", "", "021-64370000"),
    ("0739-5231234-123", "07395231234", LANDLINE, "0739", "123", "0739-5231234转123"),
    ("0739-5231234转123", "07395231234", LANDLINE, "0739", "123", "0739-5231234转123"),
    ("0739-5231234 分机 8001", "07395231234", LANDLINE, "0739", "8001", "0739-5231234转8001"),
    ("0739-5231234 ext. 12", "07395231234", LANDLINE, "0739", "12", "0739-5231234转12"),
    ("+86 739 5231234", "07395231234", LANDLINE, "0739", "", "0739-5231234"),
    ("+86 10 6512 3456", "01065123456", LANDLINE, "010", "", "010-65123456"),
    ("5231234", "5231234", LANDLINE, "", "", "5231234"),
    ("65123456", "65123456", LANDLINE, "", "", "65123456"),
    ("5231234转6", "5231234", LANDLINE, "", "6", "5231234转6"),
]


@pytest.mark.parametrize(("text", "number", "kind", "area", "ext", "display"), VALID)
def test_valid_phones(text: str, number: str, kind: PhoneKind, area: str, ext: str, display: str) -> None:
    phone = normalize_phone(text)
    assert phone.number == number
    assert phone.kind is kind
    assert phone.area_code == area
    assert phone.extension == ext
    assert phone.display == display
    # normalizing the display form again is stable
    assert normalize_phone(phone.display) == phone


INVALID = [
    ("", "phone_empty"),
    ("  ", "phone_empty"),
    ("12345", "phone_service"),  # 政务服务便民热线
    ("110", "phone_service"),
    ("12315", "phone_service"),
    ("95588", "phone_service"),
    ("400-812-3123", "phone_service"),
    ("800 810 8888", "phone_service"),
    ("1381234567", "phone_mobile"),  # 10 digits
    ("138123456789", "phone_mobile"),  # 12 digits
    ("12812345678", "phone_mobile"),  # 12x is not a mobile prefix
    ("11012345678", "phone_mobile"),
    ("1381234", "phone_mobile"),  # 7 digits starting 1: a truncated mobile, not a local number
    ("13812345678转1", "phone_extension"),
    ("0739-5231234转", "phone_extension"),
    ("0739-5231234转12a", "phone_extension"),
    ("0739-12345", "phone_landline"),
    ("0739-123456789", "phone_landline"),
    ("0739-0231234", "phone_landline"),  # local number starting with 0
    ("011-12345678", "phone_area_code"),
    ("+1 415 555 0100", "phone_foreign"),
    ("00852 2123 4567", "phone_foreign"),
    ("abc", "phone_characters"),
    ("138a2345678", "phone_characters"),
    ("138/1234/5678", "phone_characters"),
    ("52312", "phone_length"),
    ("523123456", "phone_length"),
    ("+", "phone_characters"),
    ("0", "phone_landline"),
    ("010", "phone_landline"),
    ("+86", "phone_length"),
]


@pytest.mark.parametrize(("text", "key"), INVALID)
def test_invalid_phones(text: str, key: str) -> None:
    with pytest.raises(FieldError) as info:
        normalize_phone(text)
    assert info.value.field == PHONE_FIELD
    assert info.value.key == key
    assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.message)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 5:
        assert digits not in info.value.message, "message must not echo the number"


def test_phone_repr_is_masked() -> None:
    phone = normalize_phone("13812345678")
    assert "13812345678" not in repr(phone)
    assert phone.masked == "138****5678"
    assert normalize_phone("0739-5231234转123").masked == "0739-****1234"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_property_every_mobile_is_accepted(number: str) -> None:
    assert normalize_phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}").number == number


@given(st.text(max_size=25))
def test_property_arbitrary_text_never_crashes(text: str) -> None:
    try:
        phone = normalize_phone(text)
    except FieldError as exc:
        assert exc.field == PHONE_FIELD
    else:
        assert phone.number.isdigit()
