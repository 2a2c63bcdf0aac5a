"""Masking of personal data for lists, paper and aggregate outputs (docs/domain.md §6).

Every function here is pure, total and forgiving: it accepts whatever text it is given (already validated or
not), never raises, and returns ``""`` for empty input. Masks keep one ``*`` per hidden character, except where
noted (landlines hide the length of the local number behind a fixed ``****``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "COMPOUND_SURNAMES",
    "NAME_MASK",
    "mask_address",
    "mask_id",
    "mask_name",
    "mask_phone",
]

NAME_MASK = "某"

# 复姓 (compound surnames) kept whole by ``mask_name``. A three-character name starting with one of these is read
# as compound surname + one-character given name (欧阳华 -> 欧阳某); the rare single surname whose given name
# happens to start with the second character (东 + 方明) is masked as if compound, which still hides the name.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
        "西门", "令狐", "夏侯", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "申屠", "轩辕",
        "端木", "呼延", "南宫", "钟离", "闻人", "赫连", "万俟", "独孤", "拓跋", "百里", "东郭", "南门",
        "羊舌", "微生", "公羊", "梁丘", "左丘", "东门", "第五", "司空", "司寇", "亓官", "仲孙", "巫马",
        "公西", "漆雕", "乐正", "壤驷", "公良", "谷梁", "宰父", "段干", "子车", "颛孙", "鲜于", "闾丘",
        "叱干", "完颜", "爱新觉罗", "纳兰", "钮祜禄", "叶赫那拉",
    }
)  # fmt: skip

# Separators people type inside transliterated names (买买提·艾力): middle dot, bullet, katakana dot, etc.
_NAME_DOTS = "·•・‧∙⋅．.･"
_NAME_DOT_RE = re.compile(f"[{re.escape(_NAME_DOTS)}]+")


def _clean(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return text.strip()


def mask_id(number: str) -> str:
    """Mask a document number.

    * 18 characters (resident ID, new permanent-residence card): first 6 + 8 ``*`` + last 4
      (``430502********123X``);
    * 15 digits (legacy resident ID): first 6 + 6 ``*`` + last 3, so the birth date is hidden completely;
    * other numbers of 8+ characters: first 2 and last 2 kept;
    * shorter numbers: 5–7 keep the last 2, 3–4 the last 1, 1–2 are masked completely.
    """
    s = "".join(_clean(number).split())
    n = len(s)
    if n == 0:
        return ""
    if n == 18:
        return s[:6] + "*" * 8 + s[-4:]
    if n == 15 and s.isdigit():
        return s[:6] + "*" * 6 + s[-3:]
    if n >= 8:
        return s[:2] + "*" * (n - 4) + s[-2:]
    if n >= 5:
        return "*" * (n - 2) + s[-2:]
    if n >= 3:
        return "*" * (n - 1) + s[-1:]
    return "*" * n


def _area_code_length(digits: str) -> int:
    """Length of the area code at the start of a landline number that starts with 0 (010, 02x: 3; else 4)."""
    return 3 if digits[1:2] in ("1", "2") else 4


def mask_phone(phone: str) -> str:
    """Mask a phone number: mobiles ``138****5678``; landlines keep the area code and the last 4 digits
    (``0739-****1234``); a local number without area code ``****1234``. Extensions are dropped.

    Accepts a normalized number (``Phone.number`` or ``Phone.display``) or raw text; never raises.
    """
    s = unicodedata.normalize("NFKC", _clean(phone))
    if not s:
        return ""
    # drop an extension ("转123", "分机123", "ext 123") before looking at the digits
    s = re.split(r"转|分机|ext|EXT|Ext|[xX#]", s, maxsplit=1)[0]
    groups = re.findall(r"\d+", s)
    digits = "".join(groups)
    international = False
    if s.startswith("+") and digits.startswith("86"):
        digits, international = digits[2:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    if international and (digits[:1] not in ("", "0", "1") or (len(digits) == 10 and digits.startswith("10"))):
        digits = "0" + digits  # +86 739 5231234, +86 10 …: the trunk 0 of the area code is dropped abroad
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if digits.startswith("0") and len(digits) >= 10:
        area = _area_code_length(digits)
        local = digits[area:]
        if len(groups) >= 3 and len(groups[-1]) <= 5 and len(digits) - len(groups[-1]) >= 10:
            # "0739-5231234-123": the last group was an extension
            local = digits[area : len(digits) - len(groups[-1])]
        return digits[:area] + "-****" + local[-4:]
    if len(digits) >= 7:
        return "****" + digits[-4:]
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * max(len(digits), 1)


def _mask_han_name(name: str) -> str:
    for surname_len in (4, 3, 2):
        surname = name[:surname_len]
        if surname in COMPOUND_SURNAMES and len(name) > surname_len:
            given = name[surname_len:]
            return surname + NAME_MASK + (given[-1] if len(given) >= 2 else "")
    if len(name) <= 2:
        return name[0] + NAME_MASK
    return name[0] + NAME_MASK + name[-1]


def mask_name(name: str) -> str:
    """Mask a person's name the way the district's own report does: surname + 某 + last character.

    * 夏晓云 -> 夏某云, 夏云 -> 夏某, 夏 -> 夏某;
    * compound surnames (``COMPOUND_SURNAMES``) stay whole: 欧阳振华 -> 欧阳某华, 欧阳华 -> 欧阳某;
    * transliterated names with a middle dot keep the first character of each part:
      买买提·艾力 -> 买某·艾某 (any dot variant is written back as ``·``);
    * Latin-script names keep the first letter of each word: John Smith -> J*** S****.
    """
    s = " ".join(unicodedata.normalize("NFC", _clean(name)).split())
    if not s:
        return ""
    if _NAME_DOT_RE.search(s) and not s.isascii():
        parts = [p.strip() for p in _NAME_DOT_RE.split(s) if p.strip()]
        if not parts:
            return NAME_MASK
        return "·".join(p[0] + NAME_MASK for p in parts)
    if s.isascii():
        words = re.split(r"[\s.·]+", s)
        return " ".join(w[0] + "*" * (len(w) - 1) for w in words if w)
    s = s.replace(" ", "")
    return _mask_han_name(s)


# Levels at which an address is cut. A community-level keyword ends the kept part; a street-level keyword
# is a candidate that a later community-level keyword may extend, as long as no house number, building or
# room comes in between.
_COMMUNITY_RE = re.compile(r"小区|社区|村")
_STREET_RE = re.compile(r"街道|乡|镇|大道|路|街|巷")
_ADMIN_RE = re.compile(r"省|自治区|市|州|盟|区|县|旗")
_DETAIL_RE = re.compile(r"[0-9０-９]|号|栋|幢|楼|室|单元|组|门牌|#")
_ADDRESS_MASK = "****"


def mask_address(address: str) -> str:
    """Keep an address down to the community / village (or street) level and mask the rest with ``****``.

    The kept part ends after the last of the keywords 小区/社区/村… (community level) or 街道/镇/乡/路/街…
    (street level) that comes before any house number, building, unit, group or room
    (``翠园街道尚书茗苑小区3栋201`` -> ``翠园街道尚书茗苑小区****``, ``宝庆路12号瑞祥花园`` -> ``宝庆路****``).
    Without such a keyword it keeps the administrative prefix (province/city/district/county); with none of
    those either, only the first third (at most 6 characters, never a number). Nothing is appended when
    nothing was hidden.
    """
    s = _clean(address)
    if not s:
        return ""
    detail = _DETAIL_RE.search(s)
    limit = detail.start() if detail else len(s)
    keep = 0
    for m in re.finditer(f"{_COMMUNITY_RE.pattern}|{_STREET_RE.pattern}", s):
        if m.end() > limit:
            break
        keep = m.end()
        if _COMMUNITY_RE.fullmatch(m.group()):
            break
    if keep == 0:
        for m in _ADMIN_RE.finditer(s):
            if m.end() > limit:
                break
            keep = m.end()
    if keep == 0:
        keep = min(len(s) // 3, 6, limit)
    if keep >= len(s):
        return s
    return s[:keep] + _ADDRESS_MASK
