"""What a 登记回执 (registration receipt) shows: plain data, already masked, built by the intake service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ReceiptPerson:
    name: str
    """Full name as registered (the receipt is handed to the person themself)."""
    id_masked: str
    """Document number already masked (``430502********123X``) or "" when none."""
    id_type_label: str
    phone_masked: str
    """``138****5678`` or ""."""
    is_representative: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptDeadline:
    label: str
    """What must happen, e.g. "登记并转送、交办"."""
    due: date | None
    """The date, or None when the clock has not started (then ``note`` says when it will)."""
    basis: str
    """Legal basis, e.g. "《信访工作条例》第二十二条"."""
    note: str = ""
    provisional: bool = False
    """The date was computed through a year whose holiday arrangement is not published yet: printed with
    "（按法定节假日推算，以国务院公布的放假安排为准）"."""


@dataclass(frozen=True, slots=True)
class ReceiptData:
    case_no: str
    """ASCII, e.g. ``JD01-20261128-0007``."""
    query_code: str
    """ASCII, 8 characters."""
    registered_at: datetime
    registering_unit: str
    officer_name: str
    desk_name: str
    channel_label: str
    content_class_label: str
    category_label: str
    locality_label: str
    """Township / village / grid joined, e.g. "翠园街道 / 尚书茗苑社区 / 第3网格"."""
    persons: tuple[ReceiptPerson, ...]
    headcount: int
    request_summary: str
    """诉求 (may be long; the renderer wraps it)."""
    routing_label: str
    """The routing decision, e.g. "交办"."""
    routing_unit: str
    """The unit, or the legal channel named for 诉访分离, or ""."""
    deadlines: tuple[ReceiptDeadline, ...]
    query_hint: str
    """How to query progress and rate the handling (phone, website, desk)."""
    notice: str = ""
    """Extra notice text: the legal-channel notice (诉访分离) or the 不再受理 notice; "" when none."""
    reprint: bool = False
    """True for a reprint: the receipt is marked 补打."""
    correction: bool = False
    """True for the receipt reprinted after a correction of the registration (更正登记): marked 更正, not 补打."""
    printed_at: datetime | None = None
    footer: str = ""
    extra_lines: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    query_base_url: str = ""
    """The public query page's address (``DeskSettings.query_base_url``, else the sync server's): the QR code is
    then ``<base URL>/q/<case no>?c=<query code>``; "" keeps the first receipts' ``XF:<case no>:<query code>``."""
    """Further (label, value) rows a later feature may add."""
