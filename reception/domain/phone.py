"""Petitioners' phone numbers: mainland mobiles and landlines.

``normalize_phone`` accepts what people actually type or read out (``+86 138 1234 5678``, ``0739-5231234转123``,
full-width digits from a Chinese input method) and returns a ``Phone`` with digits only. Service numbers
(110, 12345, 95588, 400/800 hotlines) are refused: they are never a petitioner's own number.

Errors are ``FieldError(field="phone", ...)``; messages never repeat the number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from reception.domain.enums import LabelledEnum
from reception.domain.errors import FieldError
from reception.domain.masking import mask_phone

__all__ = ["PHONE_FIELD", "Phone", "PhoneKind", "normalize_phone"]

PHONE_FIELD = "phone"


class PhoneKind(LabelledEnum):
    MOBILE = ("mobile", "手机")
    LANDLINE = ("landline", "固定电话")


@dataclass(frozen=True, repr=False)
class Phone:
    """A normalized phone number.

    ``number`` holds digits only: the 11-digit mobile, or area code + local number for a landline (just the local
    number when none was given). ``area_code`` is ``""`` for mobiles and local-only landlines; ``extension`` is
    digits or ``""``. ``repr()`` shows only the masked number.
    """

    number: str
    kind: PhoneKind
    area_code: str = ""
    extension: str = ""

    @property
    def local(self) -> str:
        return self.number[len(self.area_code) :]

    @property
    def display(self) -> str:
        """``13812345678``, ``0739-5231234``, ``0739-5231234转123``, ``5231234``."""
        if self.kind is PhoneKind.MOBILE:
            return self.number
        text = f"{self.area_code}-{self.local}" if self.area_code else self.number
        return f"{text}转{self.extension}" if self.extension else text

    @property
    def masked(self) -> str:
        return mask_phone(self.display)

    def __repr__(self) -> str:
        return f"Phone({self.masked!r}, {self.kind.value})"

    __str__ = __repr__


def _err(key: str, message: str) -> FieldError:
    return FieldError(PHONE_FIELD, message, key=key)


_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_EXTENSION_SPLIT_RE = re.compile(r"转|分机|ext\.?|x", re.IGNORECASE)
_SEPARATORS_RE = re.compile(r"[\s\-–—‐()（）.]+")
_ALLOWED_RE = re.compile(r"\+?[\d\s\-–—‐()（）.]+")

_MSG_LANDLINE = "固定电话应为区号加7至8位号码，如0739-5231234"
_MSG_SERVICE = "这是服务热线号码，请填写信访人本人的联系电话"


def _area_code(digits: str) -> str:
    """Area code at the start of ``digits`` (which starts with 0): 010 and 02x have 3 digits, the others 4."""
    if digits[1] == "1":
        if not digits.startswith("010"):
            raise _err("phone_area_code", "固定电话区号不正确")
        return "010"
    if digits[1] == "0":
        raise _err("phone_foreign", "请填写中国大陆的手机或固定电话号码")
    return digits[:3] if digits[1] == "2" else digits[:4]


def _landline(digits: str) -> tuple[str, str] | None:
    """(area code, digits) if ``digits`` is a well-formed landline with area code, else None."""
    if len(digits) < 10 or not digits.startswith("0") or digits[1] == "0":
        return None
    try:
        area = _area_code(digits)
    except FieldError:
        return None
    local = digits[len(area) :]
    if 7 <= len(local) <= 8 and local[0] != "0":
        return area, digits
    return None


def _split_extension(text: str) -> tuple[str, str]:
    parts = _EXTENSION_SPLIT_RE.split(text, maxsplit=1)
    if len(parts) == 1:
        return text, ""
    ext = "".join(_SEPARATORS_RE.split(parts[1]))
    if not ext.isdigit() or not 1 <= len(ext) <= 6:
        raise _err("phone_extension", "分机号应为1至6位数字")
    return parts[0], ext


def normalize_phone(text: str) -> Phone:
    """Validate and normalize a phone number.

    * Mobile: 11 digits ``1[3-9]…``; an international prefix ``+86``, ``0086`` or ``86`` and a dialled leading
      ``0`` are removed.
    * Landline: area code (010, 02x, or 0 + 3 digits) + a 7–8 digit local number not starting with 0, with an
      optional extension written ``-123``, ``转123``, ``分机123`` or ``ext 123``; a bare 7–8 digit local number
      (starting with 2–9) is accepted as a local landline.
    * Spaces, dashes, dots and parentheses between digits are ignored; full-width characters are folded.

    Raises ``FieldError(field="phone")`` with key ``phone_empty``, ``phone_characters``, ``phone_extension``,
    ``phone_foreign``, ``phone_service``, ``phone_mobile``, ``phone_area_code``, ``phone_landline`` or
    ``phone_length``.
    """
    s = unicodedata.normalize("NFKC", text or "").strip()
    if not s:
        raise _err("phone_empty", "请填写联系电话")
    main, extension = _split_extension(s)
    main = main.strip()
    if not main or not _ALLOWED_RE.fullmatch(main):
        raise _err("phone_characters", "联系电话只能包含数字、空格和“-”，分机号可写在“转”之后")

    groups = [g for g in _SEPARATORS_RE.split(main.lstrip("+")) if g]
    digits = "".join(groups)
    if not extension and len(groups) >= 3 and len(groups[-1]) <= 5:
        # "0739-5231234-123": a short last group after a complete landline is an extension
        head = digits[: len(digits) - len(groups[-1])]
        if _landline(head) is not None:
            digits, extension = head, groups[-1]

    international = False
    if main.startswith("+"):
        if not digits.startswith("86"):
            raise _err("phone_foreign", "请填写中国大陆的手机或固定电话号码")
        digits, international = digits[2:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]):
        digits = digits[2:]
    if international and (digits[:1] not in ("", "0", "1") or (len(digits) == 10 and digits.startswith("10"))):
        digits = "0" + digits  # +86 739 5231234, +86 10 …: the trunk 0 of the area code is dropped from abroad

    if not digits:
        raise _err("phone_length", "电话号码位数不对：手机为11位，固定电话为区号加7至8位号码")

    # a mobile dialled with a leading 0 (as from another city on a landline)
    if len(digits) == 12 and digits.startswith("01") and _MOBILE_RE.fullmatch(digits[1:]):
        digits = digits[1:]

    if digits[0] == "1":
        if 3 <= len(digits) <= 6:
            raise _err("phone_service", _MSG_SERVICE)
        if len(digits) != 11:
            raise _err("phone_mobile", "手机号码应为11位数字")
        if not _MOBILE_RE.fullmatch(digits):
            raise _err("phone_mobile", "手机号码应为以13至19开头的11位数字")
        if extension:
            raise _err("phone_extension", "手机号码不能带分机号")
        return Phone(number=digits, kind=PhoneKind.MOBILE)

    if len(digits) == 10 and digits.startswith(("400", "800")):
        raise _err("phone_service", _MSG_SERVICE)

    if digits[0] == "0":
        if len(digits) < 10:
            raise _err("phone_landline", _MSG_LANDLINE)
        area = _area_code(digits)
        local = digits[len(area) :]
        if not 7 <= len(local) <= 8 or local[0] == "0":
            raise _err("phone_landline", _MSG_LANDLINE)
        return Phone(number=digits, kind=PhoneKind.LANDLINE, area_code=area, extension=extension)

    if len(digits) <= 6:
        if digits[0] == "9":
            raise _err("phone_service", _MSG_SERVICE)
        raise _err("phone_length", "电话号码位数不足：手机为11位，固定电话为区号加7至8位号码")
    if 7 <= len(digits) <= 8:
        return Phone(number=digits, kind=PhoneKind.LANDLINE, extension=extension)
    raise _err("phone_length", "电话号码位数不对：手机为11位，固定电话为区号加7至8位号码")
