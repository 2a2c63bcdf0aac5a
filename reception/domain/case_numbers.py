"""Human case numbers that any desk can issue offline, and query codes for petitioners.

A case number is ``<desk code>-<yyyymmdd>-<counter>``: the desk code is unique in the district, the counter is
per desk and day and bumped in the same transaction as the intake, so two desks never issue the same number even
without a network. Both are ASCII so they can go into a QR code.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

QUERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: a petitioner reads the code aloud over the phone."""
QUERY_CODE_LENGTH = 8

DESK_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
CASE_NO_RE = re.compile(r"^(?P<desk>[A-Z][A-Z0-9]{1,9})-(?P<day>\d{8})-(?P<n>\d{4,})$")


def format_case_no(desk_code: str, day: date, counter: int) -> str:
    if not DESK_CODE_RE.match(desk_code):
        raise ValueError("desk code must be 2-10 upper-case letters or digits, starting with a letter")
    if counter < 1:
        raise ValueError("counter starts at 1")
    return f"{desk_code}-{day:%Y%m%d}-{counter:04d}"


def parse_case_no(case_no: str) -> tuple[str, date, int] | None:
    m = CASE_NO_RE.match(case_no.strip().upper())
    if not m:
        return None
    raw = m["day"]
    try:
        day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None
    return m["desk"], day, int(m["n"])


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


BASE_URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$")
"""A query page base address fit for a QR code: ASCII http(s), no query string or fragment."""


def query_url(base_url: str, case_no: str, query_code: str) -> str:
    """The public query page of a case: ``<base URL>/q/<case no>?c=<query code>`` (``reception.server.web.query``)."""
    return f"{base_url.strip().rstrip('/')}/q/{case_no}?c={query_code}"


def qr_payload(case_no: str, query_code: str, base_url: str = "") -> str:
    """What the receipt's QR code carries: the case number and query code only, never personal data. With the
    query page's ``base_url`` (an ``http(s)://`` address), the page's address (a phone opens it directly); without,
    the first receipts' text ``XF:<case no>:<query code>`` (which the page also accepts, typed or pasted)."""
    base = base_url.strip()
    if base and not BASE_URL_RE.match(base):
        raise ValueError("query base URL must be an ASCII http(s):// address without query or fragment")
    payload = query_url(base, case_no, query_code) if base else f"XF:{case_no}:{query_code}"
    if not payload.isascii() or not payload.isprintable():
        raise ValueError("QR payload must be printable ASCII (case number and query code only)")
    return payload
