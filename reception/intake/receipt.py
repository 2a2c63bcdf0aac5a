"""Build, render and archive the 登记回执 of a case: the first print after intake, and reprints (补打)."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import to_local
from reception.db.models import Case, Desk, ReceiptPrint, User, Visit
from reception.db.settings import DeskSettings, load_desk_settings
from reception.domain.case_numbers import CASE_NO_RE
from reception.domain.deadlines import RollPolicy, due_date
from reception.domain.enums import CaseStatus, Channel, ContentClass, DocumentType, ReceiptLayout, RoutingAction
from reception.domain.errors import NotFoundError, ReceptionError
from reception.domain.masking import mask_id, mask_phone
from reception.domain.workcalendar import WorkCalendar
from reception.intake.cases import case_id_by_no
from reception.intake.dirsnap import directory_of
from reception.lifecycle.machine import Settings, clocks, intake_state
from reception.receipts import render_receipt
from reception.receipts.data import ReceiptData, ReceiptDeadline, ReceiptPerson

log = logging.getLogger(__name__)

NOTICE_FINAL = (
    "该信访事项已经复核终结。根据《信访工作条例》第三十六条，信访人仍以同一事实和理由提出信访事项的，"
    "不再受理。本次来访已如实登记。"
)
NOTICE_IN_HANDLING = "该信访事项已经受理、正在办理中，本次来访已登记并通报办理单位，不再重复受理。"
NOTICE_CLOSED = "该信访事项已办结。对处理意见不服的，可以自收到书面答复之日起30日内请求原办理机关的上一级机关复查。"
NOTICE_LEGAL = (
    "您反映的事项属于应当通过{channel}等法定途径解决的事项。根据《信访工作条例》，依法应当通过诉讼、仲裁、"
    "行政复议等法定途径解决的，不作为信访事项受理。请您依法向{channel}提出。"
)
NOTICE_LEADER = "本事项已转今日值班领导接访，请在等候区稍候。"


def _roll(settings: DeskSettings) -> RollPolicy:
    return settings.roll_policy


def receipt_deadlines(case: Case, calendar: WorkCalendar, settings: DeskSettings, today: date
                      ) -> tuple[ReceiptDeadline, ...]:
    """The next statutory deadlines, as dates where their clock has started."""
    action = RoutingAction.parse(case.routing_action)
    if action is RoutingAction.LEGAL_CHANNEL:
        return ()
    roll = _roll(settings)
    received = case.received_on or case.registered_on  # 收件日期 of a letter or online petition
    # the deadline engine: the clocks running in the state the intake left the case in
    engine = Settings(roll=roll)
    state = intake_state(CaseStatus.parse(case.status), case.registered_on, case.unit_id, case.received_on)
    running = {c.key: c for c in clocks(state, calendar, engine)}

    def provisional(start: date, due: date | None) -> bool:  # counted through a year not yet published
        return due is not None and bool(calendar.provisional_years(start, due))

    route = running.get("register_route")
    route_due = route.due if route else due_date("register_route", received, calendar, roll=roll)
    out = [
        ReceiptDeadline(
            "登记并转送、交办",
            route_due,
            "《信访工作条例》第二十二条",
            note=f"自收件日期{received.year}年{received.month}月{received.day}日起15日内" if case.received_on else "",
            provisional=provisional(received, route_due),
        )
    ]
    if action in (RoutingAction.ASSIGN, RoutingAction.FORWARD):
        notice = running.get("routed_notice")
        out.append(
            ReceiptDeadline(
                "有权处理机关告知是否受理",
                notice.due if notice else None,  # counts from the unit's receipt, recorded when it signs for it
                "《信访工作条例》第二十三条",
                note="自责任单位收到（签收）转送、交办之日起15日内书面告知",
                provisional=provisional(notice.start, notice.due) if notice else False,
            )
        )
    out.append(
        ReceiptDeadline(
            "办理并书面答复",
            None,
            "《信访工作条例》第三十四条",
            note="自受理之日起60日内办结；情况复杂的，经批准可延长不超过30日",
        )
    )
    return tuple(out)


def build_receipt_data(session: Session, case_id: str, visit_id: str | None, calendar: WorkCalendar,
                       settings: DeskSettings, *, reprint: bool = False) -> ReceiptData:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    visit = session.get(Visit, visit_id) if visit_id else None
    if visit is None:
        visit = session.scalars(select(Visit).where(Visit.case_id == case_id).order_by(Visit.visit_no.desc())).first()
    if visit is None:
        raise NotFoundError("该信访事项没有来访记录", key="visit_not_found")
    desk = session.get(Desk, visit.desk_id)
    officer = session.get(User, visit.officer_id)
    persons = tuple(
        ReceiptPerson(
            name=vp.petitioner.name,
            id_masked=mask_id(vp.petitioner.id_number or ""),
            id_type_label=DocumentType.label_of(vp.petitioner.id_type),
            phone_masked=mask_phone(vp.petitioner.phone or ""),
            is_representative=vp.is_representative,
        )
        for vp in visit.persons
    )
    status = CaseStatus.parse(case.status)
    action = RoutingAction.parse(case.routing_action)
    snap = directory_of(session)
    unit = snap.units.get(case.unit_id) if case.unit_id else None
    notice = ""
    routing_label = action.label
    routing_unit = unit.name if unit else ""
    if visit.visit_no > 1:
        if status is CaseStatus.FINAL:
            notice, routing_label, routing_unit = NOTICE_FINAL, RoutingAction.NOT_ACCEPTED_FINAL.label, ""
        elif status.in_handling:
            notice = NOTICE_IN_HANDLING
        elif status is CaseStatus.CLOSED:
            notice = NOTICE_CLOSED
    if action is RoutingAction.LEGAL_CHANNEL:
        notice = NOTICE_LEGAL.format(channel=case.legal_channel)
        routing_unit = case.legal_channel
    elif action is RoutingAction.LEADER_RECEPTION and visit.visit_no == 1:
        notice = NOTICE_LEADER
    visited_local = to_local(visit.visited_at)
    deadlines = receipt_deadlines(case, calendar, settings, visited_local.date()) if visit.visit_no == 1 else ()
    return ReceiptData(
        case_no=case.case_no,
        query_code=case.query_code,
        registered_at=visited_local,
        registering_unit=desk.unit_name if desk else "",
        officer_name=officer.display_name if officer else "",
        desk_name=desk.name if desk else "",
        channel_label=Channel.label_of(visit.channel),
        content_class_label=ContentClass.label_of(case.content_class),
        category_label=snap.category_label(case.category_id),
        locality_label=snap.locality_label(case.locality_id),
        persons=persons,
        headcount=visit.headcount,
        request_summary=visit.note if visit.visit_no > 1 and visit.note else case.request,
        routing_label=routing_label,
        routing_unit=routing_unit,
        deadlines=deadlines,
        query_hint=settings.query_hint,
        notice=notice,
        reprint=reprint,
        printed_at=None,
        extra_lines=(("来访次数", f"第{visit.visit_no}次（本事项此前已登记）"),) if visit.visit_no > 1 else (),
        query_base_url=query_base_url(session, settings),
    )


def query_base_url(session: Session, settings: DeskSettings) -> str:
    """The public query page's address for the QR code: the desk's setting, else its sync server's ("" if none,
    or if it is no plain http(s) address: the receipt then carries the first receipts' ``XF:`` text)."""
    from reception.db.models import SyncPeer
    from reception.domain.case_numbers import BASE_URL_RE

    base = settings.query_base_url.strip() or str(session.scalar(select(SyncPeer.server_url).limit(1)) or "").strip()
    return base if BASE_URL_RE.match(base) else ""


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``target`` whole or not at all (a temporary file renamed over it), and on disk before this returns:
    the file is synced before the rename and, where the system allows it (not Windows), the folder after it, so
    the print record committed next never names a file a power cut could empty (~0.4 ms)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows opens no folder as a file, and NTFS logs renames)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def archive_name(case_no: str, visit_no: int) -> str:
    """``<case number>.pdf`` for the registration; later visits to the same case get ``-V<n>``. The name is built
    only from a case number of the validated pattern (``reception.domain.case_numbers``): a case number is data
    (another desk's, pulled by sync), and never picks where a file goes."""
    if not CASE_NO_RE.fullmatch(case_no) or "\n" in case_no:
        raise ReceptionError(f"案件编号格式无效，回执未存档：{case_no[:40]!r}", key="case_no_invalid")
    return f"{case_no}.pdf" if visit_no <= 1 else f"{case_no}-V{int(visit_no)}.pdf"


def archive_path(folder: Path, name: str) -> Path:
    """``folder / name``, checked to resolve inside ``folder`` (never a path that escapes the data directory)."""
    base = folder.resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise ReceptionError("回执文件名无效，回执未存档", key="archive_path_invalid")
    return target


@dataclass(frozen=True, slots=True)
class PreparedReceipt:
    """A visit's receipt as read from the database, ready to render and file (``file_receipt``)."""

    case_id: str
    visit_id: str | None
    data: ReceiptData
    target: Path
    """``<data dir>/receipts/<archive name>``, checked (``archive_path``) before anything is rendered."""
    layout: ReceiptLayout


def prepare_receipt(session: Session, ctx: AppContext, case_id: str, *, visit_id: str | None = None,
                    layout: ReceiptLayout | None = None) -> PreparedReceipt:
    """What ``archive_receipt`` renders and where it files it, read in ``session``: a read session, or the intake's
    own write transaction right after the registration (its rows are then read from the session, so the receipt
    costs no second transaction; the content is the same, see docs/domain.md, "Receipt")."""
    settings = load_desk_settings(session)
    data = build_receipt_data(session, case_id, visit_id, ctx.calendar, settings)
    visit = session.get(Visit, visit_id) if visit_id else None
    visit_no = visit.visit_no if visit is not None else 1
    target = archive_path(ctx.paths.receipts, archive_name(data.case_no, visit_no))
    return PreparedReceipt(case_id, visit_id, data, target, layout or settings.layout)


def file_receipt(ctx: AppContext, prepared: PreparedReceipt, *, officer_id: str | None = None,
                 session: Session | None = None) -> Path:
    """Render a prepared receipt, write it to the archive (atomically) and record the print: in ``session`` (the
    intake's write transaction, which commits the record with the registration) or in a write transaction of its
    own. The record is added only once the file is written."""
    pdf = render_receipt(prepared.data, prepared.layout)
    write_atomically(prepared.target, pdf)
    record = ReceiptPrint(case_id=prepared.case_id, visit_id=prepared.visit_id, printed_at=ctx.now(),
                          layout=prepared.layout.value, reprint=False, officer_id=officer_id,
                          file_name=prepared.target.name)
    if session is not None:
        session.add(record)
    else:
        with ctx.db.write() as own:
            own.add(record)
    return prepared.target


def archive_receipt(ctx: AppContext, case_id: str, *, visit_id: str | None = None,
                    officer_id: str | None = None, layout: ReceiptLayout | None = None) -> Path:
    """Render the receipt of a visit and archive it under ``<data dir>/receipts``."""
    with ctx.db.read() as session:
        prepared = prepare_receipt(session, ctx, case_id, visit_id=visit_id, layout=layout)
    return file_receipt(ctx, prepared, officer_id=officer_id)


def reprint_receipt(ctx: AppContext, case_no: str, *, officer_id: str | None = None,
                    layout: ReceiptLayout | None = None) -> tuple[str, bytes]:
    """A reprint (补打) of the latest visit's receipt: marked as such, and recorded; the archive is not touched."""
    with ctx.db.read() as session:
        case_id = case_id_by_no(session, case_no)
        from reception.intake.cases import require_case_visible

        require_case_visible(session, officer_id, case_id)  # an accusation never reaches the accused unit's printer
        settings = load_desk_settings(session)
        data = build_receipt_data(session, case_id, None, ctx.calendar, settings, reprint=True)
    now = ctx.now()
    data = replace(data, printed_at=now)
    chosen = layout or settings.layout
    pdf = render_receipt(data, chosen)
    with ctx.db.write() as session:
        session.add(ReceiptPrint(case_id=case_id, visit_id=None, printed_at=now, layout=chosen.value, reprint=True,
                                 officer_id=officer_id, file_name=""))
        from reception.security import audit

        audit.record(session, user_id=officer_id, action="reprint", entity="case", entity_id=case_id)
    return case_id, pdf
