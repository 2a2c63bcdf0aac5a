"""Identity document numbers: the GB 11643 citizen identity number and the other documents a petitioner may show.

All errors are ``FieldError(field="id_number", ...)`` with a stable ``key`` and a Chinese message that never
contains the number itself.

Input is forgiving about form, strict about content: surrounding and inner whitespace is removed, full-width
characters typed with a Chinese input method (``４３０５…Ｘ``) are folded to ASCII (NFKC) and ``x`` is upper-cased.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from reception.domain.enums import DocumentType, Gender
from reception.domain.errors import FieldError
from reception.domain.masking import mask_id

__all__ = [
    "ID_FIELD",
    "PROVINCE_CODES",
    "ResidentId",
    "check_digit",
    "looks_like_resident_id",
    "normalize_document_text",
    "parse_resident_id",
    "validate_document",
]

ID_FIELD = "id_number"

# ISO 7064 MOD 11-2 as used by GB 11643-1999: weights 2^(17-i) mod 11 for positions 0..16.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# Province-level codes (GB/T 2260) that can begin a citizen identity number.
# 71 (台湾) is the GB/T 2260 code; 81/82/83 are the fixed address codes 810000/820000/830000 of the
# 港澳台居民居住证 (residence permits for Hong Kong, Macao and Taiwan residents), which follow GB 11643 and are
# accepted as resident IDs. 83 is not a GB/T 2260 province code: it exists only on Taiwan residents' permits.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71",
        "81", "82", "83",
    }
)  # fmt: skip
_PERMIT_PROVINCES = frozenset({"81", "82", "83"})

_EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True, repr=False)
class ResidentId:
    """A validated citizen identity number (公民身份号码).

    ``number`` is always the 18-character form with an upper-case ``X``; ``legacy`` is True when the input was a
    15-digit first-generation number that was converted. ``repr()`` shows only the masked number.
    """

    number: str
    birth_date: date
    gender: Gender
    region_code: str
    legacy: bool = False

    @property
    def province_code(self) -> str:
        return self.region_code[:2]

    @property
    def is_residence_permit(self) -> bool:
        """港澳台居民居住证 (address code 810000 / 820000 / 830000)."""
        return self.province_code in _PERMIT_PROVINCES

    @property
    def masked(self) -> str:
        return mask_id(self.number)

    def __repr__(self) -> str:
        return f"ResidentId({self.masked!r}, legacy={self.legacy})"

    __str__ = __repr__


def check_digit(body17: str) -> str:
    """The GB 11643 check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(body17) != 17 or not body17.isdigit() or not body17.isascii():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_document_text(text: str) -> str:
    """Fold full-width characters to ASCII, drop all whitespace and upper-case letters."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(folded.split()).upper()


def _err(key: str, message: str) -> FieldError:
    return FieldError(ID_FIELD, message, key=key)


def _region_ok(region: str) -> bool:
    province = region[:2]
    if province not in PROVINCE_CODES:
        return False
    if province in _PERMIT_PROVINCES:
        return region[2:] == "0000"
    return region[2:] != "0000"


def _birth_date(year: int, month: int, day: int, today: date | None) -> date:
    try:
        born = date(year, month, day)
    except ValueError:
        raise _err("id_birth_invalid", "身份证号码中的出生日期不是有效日期，请核对第7至14位") from None
    if today is not None and born > today:
        raise _err("id_birth_future", "身份证号码中的出生日期晚于今天，请核对第7至14位")
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise _err("id_birth_too_early", "身份证号码中的出生日期早于1900年，请核对第7至14位")
    return born


def parse_resident_id(text: str, *, today: date | None) -> ResidentId:
    """Validate a resident identity number and return its parts.

    Accepts the 18-character GB 11643 number and the 15-digit legacy number (birth year 19YY, no check digit),
    which is converted to 18 characters. Checks, in this order: empty, characters, length, region code,
    birth date (real, not after ``today``, not before 1900), then the check digit. ``today`` is the desk's day
    (``AppContext.now``), never the wall clock; ``None`` only for looking up a stored number (no upper bound).

    Raises ``FieldError(field="id_number")`` with one of the keys ``id_empty``, ``id_characters``, ``id_length``,
    ``id_region``, ``id_birth_invalid``, ``id_birth_future``, ``id_birth_too_early``, ``id_checksum``.
    """
    s = normalize_document_text(text)
    if not s:
        raise _err("id_empty", "请填写身份证号码")
    if not re.fullmatch(r"[0-9X]+", s) or "X" in s[:-1]:
        raise _err("id_characters", "身份证号码只能由数字组成，仅最后一位可以是X")
    if len(s) not in (15, 18):
        raise _err("id_length", "身份证号码应为18位（第一代身份证为15位）")
    if len(s) == 15 and not s.isdigit():
        raise _err("id_characters", "15位身份证号码只能由数字组成")

    legacy = len(s) == 15
    region = s[:6]
    if not _region_ok(region):
        raise _err("id_region", "身份证号码前6位地区码不正确")

    if legacy:
        born = _birth_date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]), today)
        body = region + "19" + s[6:]
        number = body + check_digit(body)
    else:
        born = _birth_date(int(s[6:10]), int(s[10:12]), int(s[12:14]), today)
        if check_digit(s[:17]) != s[17]:
            raise _err("id_checksum", "身份证号码校验位不符，请逐位核对")
        number = s

    gender = Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
    return ResidentId(number=number, birth_date=born, gender=gender, region_code=region, legacy=legacy)


def looks_like_resident_id(text: str) -> bool:
    """Quick check while typing: could this text be (the start of) a resident identity number?

    True when it has at least 6 characters, starts with a plausible region code, is digits only (an ``X`` only
    as the 18th character) and is not longer than 18. It does not validate birth date or check digit.
    """
    s = normalize_document_text(text)
    if not 6 <= len(s) <= 18:
        return False
    if not (s.isdigit() or (len(s) == 18 and s[:17].isdigit() and s[17] == "X")):
        return False
    return _region_ok(s[:6])


_PASSPORT_RE = re.compile(r"[A-Z0-9]{5,17}")
_HK_MACAO_RE = re.compile(r"[HM](\d{8}|\d{10})")
_TAIWAN_RE = re.compile(r"\d{8}|\d{10}")
_FOREIGN_OLD_RE = re.compile(r"[A-Z]{3}\d{12}")
_FOREIGN_NEW_RE = re.compile(r"9\d{16}[0-9X]")

_OTHER_MAX = 30


def _validate_passport(s: str) -> str:
    # Chinese passports (E12345678, EA1234567, G12345678, official/diplomatic D/P/S…) are a subset of the general
    # rule below, so they need no rule of their own; foreign passports are 5–17 letters and digits, always with
    # at least one digit.
    if not re.fullmatch(r"[A-Z0-9]+", s):
        raise _err("passport_characters", "护照号码只能包含字母和数字")
    if not _PASSPORT_RE.fullmatch(s):
        raise _err("passport_length", "护照号码应为5至17位字母或数字")
    if not any(c.isdigit() for c in s):
        raise _err("passport_format", "护照号码应包含数字，请核对")
    return s


def _validate_foreign_residence(s: str) -> str:
    if _FOREIGN_OLD_RE.fullmatch(s):
        return s
    if _FOREIGN_NEW_RE.fullmatch(s):
        if check_digit(s[:17]) != s[17]:
            raise _err("foreign_residence_checksum", "永久居留身份证号码校验位不符，请逐位核对")
        return s
    raise _err(
        "foreign_residence_format",
        "外国人永久居留身份证号码应为15位（3位字母加12位数字）或以9开头的18位",
    )


def validate_document(doc_type: DocumentType, text: str, *, today: date | None) -> str:
    """Validate the number of a document of ``doc_type`` and return it normalized.

    * RESIDENT_ID: ``parse_resident_id`` (returns the 18-character number, legacy numbers converted; ``today`` as
      there);
    * PASSPORT: Chinese (E/G + 8 digits, E + letter + 7 digits, …) or foreign: 5–17 letters/digits with a digit;
    * HK_MACAO_PERMIT: H or M + 8 or 10 digits;
    * TAIWAN_PERMIT: 8 or 10 digits;
    * FOREIGN_RESIDENCE: the 2017 form (3 letters + 12 digits) or the 2023 form (18 characters starting with 9,
      GB 11643 check digit);
    * OTHER: 1–30 visible characters, kept as typed apart from surrounding whitespace and runs of spaces;
    * NONE: must be empty; returns ``""``.

    Letters are upper-cased and whitespace removed for every type except OTHER.
    """
    if doc_type is DocumentType.NONE:
        if (text or "").strip():
            raise _err("document_not_expected", "已选择“无证件”，证件号码应留空")
        return ""
    if doc_type is DocumentType.OTHER:
        s = " ".join((text or "").split())
        if not s:
            raise _err("document_empty", "请填写证件号码")
        if len(s) > _OTHER_MAX:
            raise _err("document_length", f"证件号码不能超过{_OTHER_MAX}个字符")
        if not s.isprintable():
            raise _err("document_characters", "证件号码含有不可见字符，请重新输入")
        return s
    if doc_type is DocumentType.RESIDENT_ID:
        return parse_resident_id(text, today=today).number

    s = normalize_document_text(text)
    if not s:
        raise _err("document_empty", "请填写证件号码")
    if doc_type is DocumentType.PASSPORT:
        return _validate_passport(s)
    if doc_type is DocumentType.HK_MACAO_PERMIT:
        if not _HK_MACAO_RE.fullmatch(s):
            raise _err("hk_macao_format", "港澳居民来往内地通行证号码应为H或M开头，后接8位或10位数字")
        return s
    if doc_type is DocumentType.TAIWAN_PERMIT:
        if not _TAIWAN_RE.fullmatch(s):
            raise _err("taiwan_format", "台湾居民来往大陆通行证号码应为8位或10位数字")
        return s
    if doc_type is DocumentType.FOREIGN_RESIDENCE:
        return _validate_foreign_residence(s)
    raise _err("document_type", "请选择证件类型")  # pragma: no cover - every member is handled above
