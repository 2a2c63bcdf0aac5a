"""Masking of names, document numbers, phones and addresses for lists, paper and statistics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reception.domain.masking import mask_address, mask_id, mask_name, mask_phone


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("43050219900101123X", "430502********123X"),
        (" 11010519491231002X ", "110105********002X"),
        ("911840198004010125", "911840********0125"),  # new permanent-residence card: 18 characters too
        ("430502900101123", "430502******123"),  # legacy: birth date fully hidden
        ("E12345678", "E1*****78"),
        ("USA110079020501", "US***********01"),
        ("H1234567801", "H1*******01"),
        ("12345678", "12****78"),
        ("1234567", "*****67"),
        ("12345", "***45"),
        ("1234", "***4"),
        ("123", "**3"),
        ("12", "**"),
        ("1", "*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("0739-5231234", "0739-****1234"),
        ("07395231234", "0739-****1234"),
        ("0739-5231234转123", "0739-****1234"),
        ("0739-5231234-123", "0739-****1234"),
        ("010-12345678", "010-****5678"),
        ("02164370000", "021-****0000"),
        ("+86 739 5231234", "0739-****1234"),
        ("5231234", "****1234"),
        ("12345", "***45"),
        ("12", "**"),
        ("电话", "*"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("夏晓云", "夏某云"),  # the report's own style
        ("夏云", "夏某"),
        ("夏", "夏某"),
        ("王小二明", "王某明"),
        (" 李 四 ", "李某"),
        ("欧阳振华", "欧阳某华"),
        ("欧阳华", "欧阳某"),
        ("司马相如", "司马某如"),
        ("诸葛亮", "诸葛某"),
        ("上官婉儿", "上官某儿"),
        ("东方明珠", "东方某珠"),
        ("皇甫嵩", "皇甫某"),
        ("尉迟恭", "尉迟某"),
        ("慕容复", "慕容某"),
        ("令狐冲", "令狐某"),
        ("欧阳", "欧某"),  # two characters only: read as surname + given name
        ("买买提·艾力", "买某·艾某"),
        ("阿依古丽•买买提", "阿某·买某"),  # bullet typed instead of the middle dot
        ("阿依古丽・买买提", "阿某·买某"),  # katakana middle dot
        ("爱新觉罗·溥仪", "爱某·溥某"),
        ("John Smith", "J*** S****"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("湖南省邵阳市双清区翠园街道尚书茗苑小区3栋201", "湖南省邵阳市双清区翠园街道尚书茗苑小区****"),
        ("城南街道湖口井社区5组12号", "城南街道湖口井社区****"),
        ("雨溪街道唐四村3组", "雨溪街道唐四村****"),
        ("学院路街道桂花社区居委会旁", "学院路街道桂花社区****"),
        ("双清区宝庆路12号瑞祥花园小区3栋", "双清区宝庆路****"),  # stop before the house number
        ("火车南站街道祭旗村", "火车南站街道祭旗村"),  # nothing more to hide
        ("邵阳市双清区青城国际5栋", "邵阳市双清区****"),
        ("青城国际5栋301室", "青城国****"),
        ("5栋301室", "****"),
        ("", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@given(st.text(max_size=40))
def test_property_masks_never_raise(text: str) -> None:
    for fn in (mask_id, mask_phone, mask_name, mask_address):
        assert isinstance(fn(text), str)


@given(st.text(alphabet="0123456789X", min_size=1, max_size=20))
def test_property_mask_id_keeps_length(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == len(number)
    assert "*" in masked


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_property_mobile_middle_hidden(number: str) -> None:
    masked = mask_phone(number)
    assert masked == number[:3] + "****" + number[-4:]
    assert number not in masked
