"""The handling unit's workbench on the central server (网上交办、网上流转、限期销号): its cases with their clocks,
its steps on them, attachments, the daily reminder.

Everything about a case goes through ``reception.server.casework``, the server's face of the core's state machine:
the list folds each case's synced events into its state and asks for its clocks; a step is planned and written by
``casework.apply`` (a forbidden one raises ``LifecycleError`` with the machine's Chinese reason and nothing is
written), as ``case_event`` / ``petition_case`` records every desk pulls. This module adds only what belongs to the
unit's side: who may see a case (only the unit's own, never an accusation against it), who may approve an
extension (the unit head), the forms' one-time ids (a form sent twice is applied once), the attachments' checks,
and the audit of each unit user's actions.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reception.db.base import CHINA_TZ, utcnow
from reception.domain.deadlines import ClockColour, ClockKind
from reception.domain.enums import CaseStatus
from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.intake.cases import EVENT_LABELS as CASE_EVENT_LABELS
from reception.lifecycle import machine as m
from reception.lifecycle.notify import GatewayError, SmsGateway
from reception.merge.resolve import counted_case_data
from reception.security.permissions import ROLE_PERMISSIONS
from reception.server import casework
from reception.server.casework import LifecycleError, ServerCase
from reception.server.db import ServerDatabase
from reception.server.jsonref import json_ref, table_literal
from reception.server.models import (
    Client,
    Counter,
    ExtensionRequest,
    FormPost,
    Record,
    UnitAttachment,
    UnitAudit,
    UnitDigest,
    UnitUser,
)
from reception.server.unit_accounts import UnitAccount, audit

UNIT_PERMISSIONS = ROLE_PERMISSIONS["unit_staff"]
"""A unit's accounts hold the desk's 责任单位工作人员 permissions (on their own unit's cases only)."""
UNIT_STEPS = ("sign_for", "object", "accept", "reject", "start_handling", "extend", "reply", "answer_supervision")
"""The steps of ``reception.lifecycle.offers`` a unit takes (the centre's steps are not offered here)."""
NOT_YOURS = "未找到该案件，或该案件不由本单位办理"
"""The one answer for a case of another unit, an accusation against this one, or no case at all."""
CLOSED = frozenset({CaseStatus.CLOSED, CaseStatus.FINAL, CaseStatus.NOT_ACCEPTED, CaseStatus.LEGAL_CHANNEL})
MAX_ATTACHMENT = 10 * 1024 * 1024
MAX_ATTACHMENTS = 3
FILE_TYPES: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "pdf": ("application/pdf", b"%PDF-", (".pdf",)),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
}
"""The attachments a unit may upload: PDF, JPEG, PNG, recognised by their first bytes (and the name must agree)."""
PROGRESS_KIND = "unit_progress"  # (the names the desk knows: services.cases.EVENT_LABELS)
ATTACHMENT_KIND = "unit_attachment"
Clock = Callable[[], datetime]


class Duplicate(ReceptionError):
    """A form already applied (sent twice): nothing was done the second time."""

    key = "form_duplicate"


# -- the list ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockView:
    key: str
    label: str
    due: date
    left: int
    colour: str
    """green, amber, red, expired (a window), paused."""
    colour_label: str
    text: str
    duty: bool


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    case_no: str
    status: str
    status_label: str
    registered_on: str
    summary: str
    clocks: tuple[ClockView, ...]

    @property
    def worst(self) -> str:
        colours = {c.colour for c in self.clocks if c.duty}
        return next((c for c in ("red", "amber", "green") if c in colours), "none")

    @property
    def urgency(self) -> tuple[int, int, str]:
        """Overdue first, then due soon, then the rest; within each, the fewest days left first."""
        duties = [c for c in self.clocks if c.duty and c.colour != "paused"]
        rank = {"red": 0, "amber": 1, "green": 2}.get(self.worst, 3)
        return rank, min((c.left for c in duties), default=10**6), self.case_no


def _clock_views(case: ServerCase, today: date, cal: Any, st: m.Settings) -> tuple[ClockView, ...]:
    out = []
    for clock, a in casework.case_clocks(case, today, cal, st):
        out.append(ClockView(clock.key, a.label, a.due, a.left, a.colour.value, a.colour.label, a.text,
                             clock.kind is not ClockKind.WINDOW))
    return tuple(out)


def _row(case: ServerCase, clocks: tuple[ClockView, ...]) -> CaseRow:
    d = case.data
    return CaseRow(case.id, case.case_no, case.status.value, case.status.label, str(d.get("registered_on", "")),
                   str(d.get("request", ""))[:80], clocks)


def _fold(s: Session, db: ServerDatabase, unit_id: str, where: Any) -> list[ServerCase]:
    """The ``petition_case`` records matching ``where`` that the unit handles, folded with their events; never an
    accusation against it, nor a case that does not count (``merge.resolve.counted_case_data``: merged into
    another, listed as its survivor; or 已撤销, an import undone: no matter of the unit's, in no list)."""
    rows = s.execute(select(Record.record_id, Record.version, Record.data, Record.owner, Record.natural_key).where(
        Record.table_name == table_literal("petition_case"), Record.deleted.is_(False), where)).all()
    rows = [r for r in rows if (db.sealer.open("petition_case", r[2]) or {}).get("unit_id") == unit_id]
    events = casework.event_records(s, [r[0] for r in rows])
    out = []
    for rid, version, data, owner, nk in rows:
        opened = db.sealer.open("petition_case", data) or {}
        evs = events.get(rid, [])
        case = ServerCase(rid, str(opened.get("case_no") or nk or ""), version, opened, evs,
                          casework.fold_case(opened, evs), owner, db.sealer)
        if case.handled_by(unit_id) and counted_case_data(opened):
            out.append(case)
    return out


def _unit_cases(s: Session, db: ServerDatabase, unit_id: str) -> list[ServerCase]:
    """The cases routed to the unit, folded; never an accusation against it (found through ``ix_record_case_unit``,
    spelled by ``jsonref``)."""
    return _fold(s, db, unit_id, json_ref(s, "unit_id") == unit_id)


FILTERS = {"": "在办", "due_soon": "临期", "overdue": "超期", "closed": "已办结"}
REFERENCE = ("holiday_day", "holiday_year", "centre_setting")
"""Synced tables the clocks depend on: a change to one recomputes every list (the calendar, the rules)."""


@dataclass
class _Listing:
    """One unit's list rows as of sequence number ``seq`` and day ``day`` (``workbench``'s cache)."""

    seq: int
    day: date
    rows: dict[str, tuple[bool, CaseRow]]
    """case id -> (closed, row)."""
    ordered: list[tuple[bool, str, CaseRow]]
    """(closed, worst colour, row), most urgent first."""


_LISTINGS: dict[tuple[int, str], _Listing] = {}
_LISTINGS_LOCK = threading.Lock()


def _not_indexed(s: Session, column: Any) -> Any:
    """``column`` kept from choosing the index (SQLite's unary ``+``): the changes since the last list are found
    by their sequence numbers; a SQLite server has no planner statistics, and SQLite otherwise read every case and
    event record through the primary key's ``table_name`` for each list (100 ms with 22,000 cases)."""
    return literal_column(f"+{column.table.name}.{column.name}", String) if s.get_bind().dialect.name == "sqlite" \
        else column


def _listing(db: ServerDatabase, unit_id: str, today: date) -> list[tuple[bool, str, CaseRow]]:
    """The unit's rows, brought up to date incrementally: every change to the server's records has a sequence
    number, so only the cases whose record or events changed since the last call are folded again (all of them on
    a new day or after a change of the calendar or the clock rules). Each server process keeps its own copy; the
    database stays the only truth (a process that missed nothing it has not read yet is never stale)."""
    key = (id(db), unit_id)
    with db.read() as s:
        high = int(s.scalar(select(Counter.value).where(Counter.name == "seq")) or 0)
        with _LISTINGS_LOCK:
            known = _LISTINGS.get(key)
        fresh: list[ServerCase] = []
        if known is not None and known.day == today and known.seq <= high:
            changed = s.execute(select(Record.table_name, Record.record_id, Record.data).where(
                Record.seq > known.seq, Record.seq <= high,
                _not_indexed(s, Record.table_name).in_(("petition_case", "case_event", *REFERENCE)))).all()
            if any(t in REFERENCE for t, _r, _d in changed):
                known = None
            else:
                ids = sorted({r if t == "petition_case" else str((db.sealer.open(t, d) or {}).get("case_id", ""))
                              for t, r, d in changed})
                rows = dict(known.rows)
                for cid in ids:
                    rows.pop(cid, None)
                fresh = [c for start in range(0, len(ids), 500)
                         for c in _fold(s, db, unit_id, Record.record_id.in_(ids[start:start + 500]))]
        if known is None or known.day != today or known.seq > high:
            rows = {}
            fresh = _unit_cases(s, db, unit_id)
        if fresh:
            cal, st = casework.work_calendar(s), casework.load_settings(s)
    for case in fresh:  # (``_fold`` left out what does not count: merged away or 已撤销)
        rows[case.id] = (case.status in CLOSED, _row(case, _clock_views(case, today, cal, st)))
    if known is not None and not fresh and len(rows) == len(known.rows):
        ordered = known.ordered
    else:
        ordered = [(closed, row.worst, row) for closed, row in sorted(rows.values(), key=lambda x: x[1].urgency)]
    with _LISTINGS_LOCK:
        _LISTINGS[key] = _Listing(high, today, rows, ordered)
    return ordered


def workbench(db: ServerDatabase, account: UnitAccount, today: date, which: str = "") -> list[CaseRow]:
    """The unit's cases, most urgent first: ``which`` "" (open), "due_soon" (a duty clock amber), "overdue" (a duty
    clock red) or "closed"."""
    want = {"due_soon": "amber", "overdue": "red"}.get(which)
    closed_wanted = which == "closed"
    return [row for closed, worst, row in _listing(db, account.unit_id, today)
            if closed == closed_wanted and (want is None or worst == want)]


@dataclass(frozen=True, slots=True)
class Digest:
    due_soon: int
    overdue: int

    @property
    def text(self) -> str:
        return f"截至今日，本单位信访事项临期{self.due_soon}件、超期{self.overdue}件，请及时办理。"


def digest(db: ServerDatabase, unit_id: str, today: date) -> Digest:
    """The daily reminder of a unit: how many of its open cases are due soon, how many overdue."""
    worst = [w for closed, w, _row in _listing(db, unit_id, today) if not closed]
    return Digest(worst.count("amber"), worst.count("red"))


def send_digests(db: ServerDatabase, gateway: SmsGateway, today: date, *, now: datetime | None = None) -> list[
        UnitDigest]:
    """The daily reminder to each unit with accounts on the server, through the notifier (the SMS gateway) to the
    unit's contact phone; once a day per unit (a second run the same day sends nothing). Units with nothing due
    soon or overdue get none."""
    day = today.isoformat()
    with db.read() as s:
        units = sorted(set(s.scalars(select(UnitUser.unit_id).where(UnitUser.active.is_(True)))))
        done = set(s.scalars(select(UnitDigest.unit_id).where(UnitDigest.day == day)))
        phones = {u: str(((s.get(Record, ("unit", u)) or Record()).data or {}).get("contact_phone") or "")
                  for u in units}
    out = []
    for unit_id in units:
        if unit_id in done:
            continue
        d = digest(db, unit_id, today)
        if not d.due_soon and not d.overdue:
            continue
        text = "【区信访接待中心】" + d.text + "详见网上办理平台。"
        phone = phones.get(unit_id, "")
        if not phone:
            status = "no_contact"
        else:
            try:
                gateway.send(phone, text)
                status = "sent"
            except GatewayError:
                status = "failed"
        row = UnitDigest(unit_id=unit_id, day=day, due_soon=d.due_soon, overdue=d.overdue, text=text,
                         status=status, created_at=now or utcnow())
        try:
            with db.session() as s:
                s.add(row)
        except IntegrityError:
            continue  # (another server process sent today's already)
        out.append(row)
    return out


# -- one case --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryItem:
    at: datetime
    kind: str
    label: str
    note: str
    by: str


@dataclass(frozen=True, slots=True)
class OfferView:
    step: str
    label: str
    enabled: bool
    reason: str


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class PendingExtension:
    id: str
    days: int
    reason: str
    requested_by: str
    requested_at: datetime


@dataclass
class CaseDetail:
    row: CaseRow
    request: str
    history: list[HistoryItem]
    offers: list[OfferView]
    supervisions: list[tuple[str, str]]
    """Open 督办 of this unit: (supervision id, since)."""
    attachments: list[AttachmentView] = field(default_factory=list)
    extension: PendingExtension | None = None


EVENT_LABELS = {**CASE_EVENT_LABELS, ATTACHMENT_KIND: "责任单位上传附件"}
"""The desk's names of the events (``reception.intake.cases``), and the attachments' note."""


def load_own_case(s: Session, db: ServerDatabase, account: UnitAccount, case_id: str) -> ServerCase:
    """The case if it is the unit's to handle; ``NotFoundError`` with the same message otherwise (another unit's
    case reached by editing the address, an accusation against this unit, no such case)."""
    try:
        case = casework.load_case(s, db.sealer, case_id=case_id)
    except NotFoundError as exc:
        raise NotFoundError(NOT_YOURS, key="case_not_yours") from exc
    # (a case merged away is still opened here, for ``survivor_of`` to send the unit on; only the 已撤销 half of
    # ``counted_case_data``, on the folded state)
    if not case.handled_by(account.unit_id) or case.status is CaseStatus.VOID:
        raise NotFoundError(NOT_YOURS, key="case_not_yours")
    return case


def survivor_of(db: ServerDatabase, account: UnitAccount, case_id: str) -> str | None:
    """The case a merged-away case of the unit's now is (following merges of merges: ``casework.surviving_record``),
    for the workbench to open instead; None when ``case_id`` was not merged away (or its survivor is not on the
    server yet). ``NotFoundError`` as ``load_own_case`` for a case that is not the unit's (so an address reveals
    nothing about other units' cases)."""
    with db.read() as s:
        case = load_own_case(s, db, account, case_id)
        found = casework.surviving_record(s, db.sealer, case.data)
    return found[0] if found is not None and found[0] != case.id else None


def case_detail(db: ServerDatabase, account: UnitAccount, case_id: str, today: date) -> CaseDetail:
    with db.read() as s:
        case = load_own_case(s, db, account, case_id)
        cal, st = casework.work_calendar(s), casework.load_settings(s)
        offers = [OfferView(str(o.step), o.label, o.enabled, o.reason)
                  for o in casework.offers(case, today=today, cal=cal, settings=st, permissions=UNIT_PERMISSIONS)
                  if str(o.step) in UNIT_STEPS]
        files = [AttachmentView(a.id, a.filename, a.content_type, a.size, a.uploaded_at) for a in s.scalars(
            select(UnitAttachment).where(UnitAttachment.case_id == case.id).order_by(UnitAttachment.uploaded_at))]
        pending = s.scalar(select(ExtensionRequest).where(ExtensionRequest.case_id == case.id,
                                                          ExtensionRequest.state == "pending"))
        ext = None
        if pending is not None:
            who = s.get(UnitUser, pending.requested_by)
            ext = PendingExtension(pending.id, pending.days, pending.reason, who.display_name if who else "",
                                   pending.requested_at)
    history = []
    for e in case.events:
        data = e.get("data") or {}
        at = casework.event_moment(e.get("occurred_at"))
        by = str(data.get("unit_user") or ("接待中心" if e.get("actor_id") else ""))
        history.append(HistoryItem(at, str(e.get("kind")), EVENT_LABELS.get(str(e.get("kind")), str(e.get("kind"))),
                                   str(e.get("note") or ""), by))
    sups = [(sid, sup.since.isoformat()) for sid, sup in case.state.supervisions.items()
            if sup.unit_id in (None, account.unit_id)]
    return CaseDetail(_row(case, _clock_views(case, today, cal, st)), str(case.data.get("request", "")),
                      history, offers, sups, files, ext)


# -- steps -----------------------------------------------------------------------------------------------------------


def new_form_id() -> str:
    return secrets.token_hex(16)


def _claim(s: Session, form_id: str, account: UnitAccount, case_id: str, action: str, now: datetime) -> None:
    """The form's one-time id, stored in the step's own transaction: a second post of the same form finds it and
    changes nothing; a step refused rolls the claim back with everything else, so the corrected form can be sent."""
    if not form_id or len(form_id) > 64:
        raise FieldError("form_id", "表单已失效，请刷新页面后重新填写", key="form_missing")
    if s.get(FormPost, form_id) is not None:
        raise Duplicate("该表单已经提交并办理过，本次没有重复办理。")
    s.add(FormPost(form_id=form_id, user_id=account.user_id, case_id=case_id, action=action, applied_at=now))
    s.flush()


def _unit_client(s: Session, account: UnitAccount) -> str:
    """The server client a unit's changes are recorded under (``record.origin``): the unit's own, created on its
    first step online (it has no token: the pages authenticate people, not the client)."""
    found = s.scalar(select(Client.id).where(Client.kind == "unit", Client.unit_id == account.unit_id,
                                            Client.revoked_at.is_(None)).order_by(Client.created_at).limit(1))
    if found is not None:
        return found
    client = Client(kind="unit", name=account.unit_name or account.unit_id, unit_id=account.unit_id,
                    enrolled_at=utcnow())
    s.add(client)
    s.flush()
    return client.id


def who(account: UnitAccount) -> str:
    """How the unit's user is named in the case's history (the event's ``unit_user``)."""
    return f"{account.display_name}（{account.unit_name}{account.role_label}）"


def _date(fields: dict[str, str], name: str, what: str, default: date | None = None) -> date:
    """The date in form field ``name`` (``what``: its label, for the message)."""
    text = (fields.get(name) or "").strip()
    if not text and default is not None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FieldError(name, f"请填写正确的{what}（如 2026-06-11）", key="date_invalid") from exc


def _need_text(fields: dict[str, str], name: str, what: str) -> str:
    value = (fields.get(name) or "").strip()
    if not value:
        raise FieldError(name, f"请填写{what}", key="field_required")
    if len(value) > 2000:
        raise FieldError(name, f"{what}不超过2000字", key="field_long")
    return value


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes


def check_upload(upload: Upload) -> str:
    """The attachment's type (``FILE_TYPES`` key), or ``FieldError`` with a Chinese message: too large, not a PDF /
    JPEG / PNG, or a file whose content is not what its name says."""
    name = Path(upload.filename.replace("\\", "/")).name.strip() or "附件"
    size = len(upload.content)
    if size > MAX_ATTACHMENT:
        cap = MAX_ATTACHMENT // 1024 // 1024
        raise FieldError("files", f"附件“{name}”大小为{size / 1024 / 1024:.1f} MB，超过{cap} MB的上限，未保存。"
                                 "请压缩或分拆后重新上传。", key="attachment_large")
    if size == 0:
        raise FieldError("files", f"附件“{name}”是空文件，未保存。", key="attachment_empty")
    ext = Path(name).suffix.lower()
    claimed = next((k for k, (_t, _magic, exts) in FILE_TYPES.items() if ext in exts), None)
    actual = next((k for k, (_t, magic, _e) in FILE_TYPES.items() if upload.content.startswith(magic)), None)
    if claimed is None:
        raise FieldError("files", f"附件“{name}”的类型不支持，只能上传PDF、JPEG或PNG文件。", key="attachment_type")
    if actual != claimed:
        shown = {"pdf": "PDF文件", "jpeg": "JPEG图片", "png": "PNG图片"}[claimed]
        raise FieldError("files", f"附件“{name}”的内容不是{shown}（文件名与内容不符），未保存。", key="attachment_fake")
    return claimed


def attachment_path(db: ServerDatabase, attachment_id: str) -> Path:
    return db.server_dir / "attachments" / attachment_id[:2] / attachment_id


def _store_uploads(s: Session, db: ServerDatabase, account: UnitAccount, case: ServerCase,
                   uploads: Sequence[Upload], now: datetime, written: list[Path]) -> list[dict[str, Any]]:
    out = []
    for up in uploads:
        kind = check_upload(up)
        row = UnitAttachment(case_id=case.id, unit_id=account.unit_id,
                             filename=Path(up.filename.replace("\\", "/")).name[:200], content_type=FILE_TYPES[kind][0],
                             size=len(up.content), sha256=hashlib.sha256(up.content).hexdigest(),
                             uploaded_by=account.user_id, uploaded_at=now)
        s.add(row)
        s.flush()
        path = attachment_path(db, row.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(up.content)
        written.append(path)
        out.append({"id": row.id, "name": row.filename, "type": row.content_type, "size": row.size,
                    "sha256": row.sha256})
    return out


@dataclass(frozen=True, slots=True)
class Done:
    message: str
    status_label: str = ""


def act(db: ServerDatabase, account: UnitAccount, case_id: str, action: str, fields: dict[str, str], *,
        form_id: str, now: datetime, uploads: Sequence[Upload] = ()) -> Done:
    """Take one step on one of the unit's cases (the form ``action`` with its ``fields``), once per ``form_id``.
    Raises ``NotFoundError`` (not the unit's case), ``LifecycleError`` (the machine's reason), ``FieldError`` (a
    field), ``Duplicate`` (sent twice): in every case nothing is written."""
    uploads = [u for u in uploads if u.filename or u.content]
    if len(uploads) > MAX_ATTACHMENTS:
        raise FieldError("files", f"每次最多上传{MAX_ATTACHMENTS}个附件", key="attachment_many")
    for up in uploads:
        check_upload(up)  # (before anything is written)
    today = now.astimezone(CHINA_TZ).date()
    written: list[Path] = []
    try:
        with db.session() as s:
            case = load_own_case(s, db, account, case_id)
            _claim(s, form_id, account, case.id, action, now)
            origin = _unit_client(s, account)
            done = _step(s, db, account, case, action, fields, uploads, today, now, origin, written)
            audit(s, account.user_id, account.unit_id, action, case_id=case.id, detail=done.message, at=now)
            return done
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _apply(s: Session, account: UnitAccount, case: ServerCase, t: m.Transition, origin: str,
           now: datetime) -> casework.AppliedStep:
    return casework.apply(s, case, t, origin_client=origin, unit_user=who(account), now=now)


def _step(s: Session, db: ServerDatabase, account: UnitAccount, case: ServerCase, action: str,
          fields: dict[str, str], uploads: Sequence[Upload], today: date, now: datetime, origin: str,
          written: list[Path]) -> Done:
    note = (fields.get("note") or "").strip()[:2000]
    if action == "sign_for":
        step = _apply(s, account, case, m.SignFor(_date(fields, "received_on", "收到日期", today), note),
                      origin, now)
        return Done(f"已签收案件 {case.case_no}", step.status_label)
    if action == "object":
        step = _apply(s, account, case, m.Object(_need_text(fields, "reason", "异议理由"), note), origin, now)
        return Done(f"已异议退回案件 {case.case_no}，由接待中心重新转送", step.status_label)
    if action == "accept":
        step = _apply(s, account, case, m.Accept(simple=fields.get("simple") == "1", note=note), origin, now)
        return Done(f"已受理案件 {case.case_no}", step.status_label)
    if action == "reject":
        t = m.Reject(_need_text(fields, "reason", "不予受理的理由"), _need_text(fields, "channel", "应当通过的途径"),
                     note)
        step = _apply(s, account, case, t, origin, now)
        return Done(f"已作出不予受理决定（{case.case_no}）", step.status_label)
    if action == "start_handling":
        step = _apply(s, account, case, m.StartHandling(note), origin, now)
        return Done(f"案件 {case.case_no} 已开始办理", step.status_label)
    if action == "extend_request":
        return _request_extension(s, account, case, fields, today, now, origin)
    if action in ("extend_approve", "extend_refuse"):
        return _decide_extension(s, account, case, fields, action == "extend_approve", now, origin)
    if action == "reply":
        try:
            outcome = m.ReplyOutcome.parse(fields.get("outcome", ""))
        except ValueError as exc:
            raise FieldError("outcome", "请选择处理结论（支持、解释说明或不予支持）", key="reply_outcome") from exc
        try:
            means = m.DeliveryMeans.parse(fields.get("means", ""))
        except ValueError as exc:
            raise FieldError("means", "请选择送达方式", key="reply_means") from exc
        delivered = _date(fields, "delivered_on", "送达日期")
        reply = m.Reply(outcome, _need_text(fields, "basis", "处理依据"), delivered, means,
                        _need_text(fields, "text", "处理意见"))
        step = _apply(s, account, case, reply, origin, now)
        files = _store_uploads(s, db, account, case, uploads, now, written)
        if files:
            casework.post_note(s, case, ATTACHMENT_KIND, f"处理意见书附件{len(files)}个",
                               {"attachments": files, "event_id": step.event_ids[0], "unit_user": who(account)},
                               origin_client=origin, unit_id=account.unit_id, now=now)
            for f in files:
                row = s.get(UnitAttachment, f["id"])
                if row is not None:
                    row.event_id = step.event_ids[0]
        return Done(f"处理意见书已提交（{case.case_no}）" + (f"，附件{len(files)}个" if files else ""),
                    step.status_label)
    if action == "progress":
        text = _need_text(fields, "note", "办理进展")
        files = _store_uploads(s, db, account, case, uploads, now, written)
        casework.post_note(s, case, PROGRESS_KIND, text, {"unit_user": who(account), "attachments": files},
                           origin_client=origin, unit_id=account.unit_id, now=now)
        return Done(f"已记录办理进展（{case.case_no}）", case.status.label)
    if action == "answer_supervision":
        sid = (fields.get("supervision_id") or "").strip()
        resolved = fields.get("resolved") == "1"
        step = _apply(s, account, case, m.AnswerSupervision(sid, resolved, _need_text(fields, "note", "反馈情况")),
                      origin, now)
        return Done(f"督办反馈已提交（{case.case_no}）", step.status_label)
    raise FieldError("action", "未知的操作", key="action_unknown")


def _days(fields: dict[str, str]) -> int:
    try:
        days = int((fields.get("days") or "").strip())
    except ValueError as exc:
        raise FieldError("days", f"请填写延长天数（1至{m.MAX_EXTENSION_DAYS}日）", key="extend_days") from exc
    return days


def _request_extension(s: Session, account: UnitAccount, case: ServerCase, fields: dict[str, str], today: date,
                       now: datetime, origin: str) -> Done:
    """延期申请 by the unit's staff: checked by the machine as it stands today (the head's approval is the step);
    a head asking approves at once."""
    days, reason = _days(fields), _need_text(fields, "reason", "延期理由")
    if s.scalar(select(ExtensionRequest.id).where(ExtensionRequest.case_id == case.id,
                                                   ExtensionRequest.state == "pending")) is not None:
        raise ReceptionError("该案件已有待批准的延期申请", key="extend_pending")
    cal, st = casework.work_calendar(s), casework.load_settings(s)
    m.plan(case.state, m.Extend(days, "-", reason, True), today, cal, st)  # (refused now: refused as a request)
    req = ExtensionRequest(case_id=case.id, unit_id=account.unit_id, days=days, reason=reason,
                           requested_by=account.user_id, requested_at=now)
    s.add(req)
    s.flush()
    if account.is_head and fields.get("petitioner_told") == "1":
        return _decide_extension(s, account, case, {"request_id": req.id, "petitioner_told": "1"}, True, now, origin)
    return Done(f"延期申请已提交（{days}日），待单位负责人批准", case.status.label)


def _decide_extension(s: Session, account: UnitAccount, case: ServerCase, fields: dict[str, str], approve: bool,
                      now: datetime, origin: str) -> Done:
    if not account.is_head:
        raise ReceptionError("延期须经单位负责人批准：请由单位负责人登录审批", key="extend_not_head")
    req = s.get(ExtensionRequest, (fields.get("request_id") or "").strip())
    if req is None or req.case_id != case.id or req.state != "pending":
        raise ReceptionError("该延期申请不存在或已处理", key="extend_request_gone")
    req.state, req.decided_by, req.decided_at = ("approved" if approve else "refused"), account.user_id, now
    if not approve:
        return Done(f"已不予批准延期申请（{case.case_no}）", case.status.label)
    t = m.Extend(req.days, account.display_name, req.reason, fields.get("petitioner_told") == "1")
    step = _apply(s, account, case, t, origin, now)
    return Done(f"已批准延期{req.days}日（{case.case_no}）", step.status_label)


def attachment_for(db: ServerDatabase, attachment_id: str, *, unit_id: str | None) -> tuple[UnitAttachment, bytes]:
    """An attachment's row and bytes: for a unit only its own cases' (``unit_id``), for a desk (None) any."""
    with db.read() as s:
        row = s.get(UnitAttachment, attachment_id)
        if row is None or (unit_id is not None and row.unit_id != unit_id):
            raise NotFoundError("未找到该附件", key="attachment_not_found")
        s.expunge(row)
    return row, attachment_path(db, row.id).read_bytes()


def unit_history(db: ServerDatabase, case_id: str) -> list[UnitAudit]:
    with db.read() as s:
        rows = list(s.scalars(select(UnitAudit).where(UnitAudit.case_id == case_id).order_by(UnitAudit.at)))
        for r in rows:
            s.expunge(r)
    return rows


__all__ = ["CLOSED", "FILTERS", "CaseDetail", "CaseRow", "ClockColour", "Digest", "Done", "Duplicate",
           "LifecycleError", "Upload", "act", "case_detail", "check_upload", "digest", "new_form_id",
           "send_digests", "workbench"]
