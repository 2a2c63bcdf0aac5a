"""What was typed into the search box: one text, read as every kind of thing a petitioner might bring.

A text can mean several things (``3912`` is a phone's tail and an ID's last four; ``20261202-0003`` is the
date-counter part of a case number): ``classify`` returns every reading, each with its rank, and the search
merges their results, the strongest first. Pure functions, no database: ``tests/unit/test_search_query.py``.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from reception.domain.case_numbers import CASE_NO_RE, parse_case_no
from reception.domain.errors import FieldError
from reception.domain.idnumber import parse_resident_id
from reception.domain.phone import normalize_phone
from reception.search.tokens import ID_SUFFIXES, address_grams, clean_name


class Kind(StrEnum):
    QR = "qr"
    CASE_NO = "case_no"
    QUERY_CODE = "query_code"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    CASE_PART = "case_part"
    NAME_EXACT = "name_exact"
    CASE_PREFIX = "case_prefix"
    ID_SUFFIX = "id_suffix"
    PHONE_SUFFIX = "phone_suffix"
    NAME = "name"
    ADDRESS = "address"
    INITIALS = "initials"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Kind.QR: "回执二维码", Kind.CASE_NO: "案件编号", Kind.QUERY_CODE: "查询码", Kind.ID_NUMBER: "证件号码",
    Kind.PHONE: "联系电话", Kind.CASE_PART: "案件编号（日期-序号）", Kind.NAME_EXACT: "姓名",
    Kind.CASE_PREFIX: "案件编号前缀", Kind.ID_SUFFIX: "证件号码后几位", Kind.PHONE_SUFFIX: "电话尾号",
    Kind.NAME: "姓名中的字", Kind.ADDRESS: "住址或社区", Kind.INITIALS: "姓名拼音首字母",
}
RANK = {
    Kind.QR: 100, Kind.CASE_NO: 100, Kind.QUERY_CODE: 95, Kind.ID_NUMBER: 90, Kind.PHONE: 90,
    Kind.CASE_PART: 85, Kind.NAME_EXACT: 70, Kind.CASE_PREFIX: 60, Kind.ID_SUFFIX: 50, Kind.PHONE_SUFFIX: 50,
    Kind.NAME: 30, Kind.ADDRESS: 25, Kind.INITIALS: 20,
}
"""Exact readings first; among partial ones a longer tail ranks higher (``Reading.rank``)."""

EXACT = frozenset({Kind.QR, Kind.CASE_NO, Kind.QUERY_CODE, Kind.ID_NUMBER, Kind.PHONE, Kind.CASE_PART,
                   Kind.NAME_EXACT})

PHONE_TAIL_MIN = 4
PHONE_TAIL_MAX = 10
CASE_PART_RE = re.compile(r"^(?P<day>\d{8})-(?P<n>\d{4,})$")
QUERY_CODE_RE = re.compile(r"^[A-Z0-9]{6,16}$")
ID_TAIL_RE = re.compile(r"^\d{3,5}[\dX]$")
INITIALS_RE = re.compile(r"^[a-z]{2,6}$")
QR_PREFIX_RE = re.compile(r"^XF:(?P<case>[A-Z0-9-]+):(?P<code>[A-Z0-9]+)$")


@dataclass(frozen=True, slots=True)
class Reading:
    kind: Kind
    value: str
    """Normalised: the case number, the digits, the name without spaces, the lower-case initials."""
    code: str = ""
    """The query code a QR payload carries (checked against the case's)."""

    @property
    def rank(self) -> int:
        bonus = len(self.value) if self.kind in (Kind.ID_SUFFIX, Kind.PHONE_SUFFIX) else 0
        return RANK[self.kind] + bonus

    @property
    def exact(self) -> bool:
        return self.kind in EXACT


def parse_qr(text: str) -> tuple[str, str] | None:
    """(case number, query code) from the receipt's QR payload as a scanner types it, in either form the receipt
    prints: ``XF:<case no>:<query code>``, or a web address ``<any base URL>/q/<case no>?c=<query code>``."""
    raw = text.strip()
    m = QR_PREFIX_RE.match(raw.upper())
    if m:
        case_no, code = m["case"], m["code"]
    elif raw.lower().startswith(("http://", "https://")):
        try:
            parts = urlsplit(raw)
        except ValueError:
            return None
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[-2] != "q":
            return None
        case_no = segments[-1].upper()
        codes = parse_qs(parts.query).get("c") or [""]
        code = codes[0].strip().upper()
    else:
        return None
    if parse_case_no(case_no) is None or not code or not code.isalnum() or not code.isascii():
        return None
    return case_no, code


def _case_part_day(value: str) -> date | None:
    m = CASE_PART_RE.match(value)
    if not m:
        return None
    raw = m["day"]
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def _is_han(text: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch > "\uffff" for ch in text)


def classify(text: str) -> tuple[Reading, ...]:
    """Every reading of ``text``, strongest first (empty when it reads as nothing searchable)."""
    qr = parse_qr(text)
    if qr is not None:
        return (Reading(Kind.QR, qr[0], qr[1]),)
    folded = unicodedata.normalize("NFKC", text)  # full-width digits and letters from a Chinese input method
    query = "".join(folded.split())
    if not query:
        return ()
    upper = query.upper()
    out: list[Reading] = []
    if parse_case_no(upper) is not None:
        return (Reading(Kind.CASE_NO, upper),)
    if _case_part_day(upper) is not None:
        return (Reading(Kind.CASE_PART, upper),)
    if upper[:1].isalpha() and upper.isascii() and "-" in upper and re.match(r"^[A-Z][A-Z0-9]{1,9}-[\d-]*$", upper):
        return (Reading(Kind.CASE_PREFIX, upper),)
    if not query.isascii():
        name = clean_name(query)
        if name and _is_han(name):
            if len(name) >= 2:
                out.append(Reading(Kind.NAME_EXACT, name))
            out.append(Reading(Kind.NAME, name))  # 2+ characters anywhere in a name; one character: a surname
        if address_grams(folded):  # also a part of an address or community (``tokens.address_grams``)
            out.append(Reading(Kind.ADDRESS, query))
        return tuple(out)
    digits = re.sub(r"[-()+]", "", upper)
    with contextlib.suppress(FieldError):
        out.append(Reading(Kind.ID_NUMBER, parse_resident_id(upper, today=None).number))
    if digits.isdigit():
        with contextlib.suppress(FieldError):
            out.append(Reading(Kind.PHONE, normalize_phone(query).number))
        if PHONE_TAIL_MIN <= len(digits) <= PHONE_TAIL_MAX:
            out.append(Reading(Kind.PHONE_SUFFIX, digits))
    if min(ID_SUFFIXES) <= len(upper) <= max(ID_SUFFIXES) and ID_TAIL_RE.match(upper):
        out.append(Reading(Kind.ID_SUFFIX, upper))
    if QUERY_CODE_RE.match(upper):
        out.append(Reading(Kind.QUERY_CODE, upper))
    if not any(r.kind in (Kind.ID_NUMBER, Kind.PHONE) for r in out) and len(upper) >= 5 and upper.isalnum():
        out.append(Reading(Kind.ID_NUMBER, upper))  # another document type, stored as typed (upper case)
    if INITIALS_RE.match(query.lower()) and query.isalpha():
        out.append(Reading(Kind.INITIALS, query.lower()))
    out.sort(key=lambda r: -r.rank)
    return tuple(out)


__all__ = ["CASE_NO_RE", "Kind", "Reading", "classify", "parse_qr"]
