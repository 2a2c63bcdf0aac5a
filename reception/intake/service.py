"""One-stop intake (一站式接待): validate the form, register the visit, issue the case number, route, archive.

The whole registration is one write transaction (``BEGIN IMMEDIATE``): petitioners, case, visit, events, the
case-number counter and the audit entry commit together or not at all. The receipt is rendered and archived in the
same transaction, its print record committed with the registration once the file is written; if the receipt fails
the record is still saved and the receipt can be reprinted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import new_id, transient
from reception.db.models import (
    AuditEntry,
    Case,
    CaseNumberCounter,
    Desk,
    Petitioner,
    User,
    Visit,
    VisitPerson,
)
from reception.domain.case_numbers import format_case_no, new_query_code
from reception.domain.enums import (
    CaseStatus,
    Channel,
    ContentClass,
    DocumentType,
    Gender,
    HistoryFlag,
    RoutingAction,
)
from reception.domain.errors import FieldError, FieldErrors, NotFoundError, ReceptionError
from reception.domain.idnumber import parse_resident_id, validate_document
from reception.domain.masking import mask_name
from reception.domain.phone import normalize_phone
from reception.domain.textcheck import FACTS_MAX, REQUEST_MAX, field_problem
from reception.intake import directory
from reception.intake.dirsnap import directory_of
from reception.intake.dto import IntakeResult, RouteProposal
from reception.lifecycle import history
from reception.lifecycle.machine import EventKind, RegistrationRouting, Route, SendToLeader, SteerToLegalChannel
from reception.security import audit
from reception.security.crypto import blind_index
from reception.security.permissions import Permission, require

log = logging.getLogger(__name__)

MAX_REPRESENTATIVES = 5
MAX_HEADCOUNT = 10_000
RECEIVED_CHANNELS = frozenset({Channel.LETTER, Channel.ONLINE})
"""Channels whose matters arrive before they are registered: the form asks for the 收件日期."""
MAX_RECEIVED_AGE_DAYS = 366
"""A 收件日期 more than about a year back is almost certainly a typing mistake."""

# Field keys: stable English names the UI maps to its own widget (and Chinese label); messages are Chinese.
F_NAME = "name"
F_ID_TYPE = "id_type"
F_ID_NUMBER = "id_number"
F_GENDER = "gender"
F_PHONE = "phone"
F_ADDRESS = "address"
F_LOCALITY = "locality"
F_CHANNEL = "channel"
F_RECEIVED_ON = "received_on"
F_HEADCOUNT = "headcount"
F_CONTENT_CLASS = "content_class"
F_CATEGORY = "category"
F_REQUEST = "request"
F_FACTS = "facts"
F_UNIT = "unit"
F_ROUTING = "routing"
F_OVERRIDE_REASON = "override_reason"
F_LEGAL_CHANNEL = "legal_channel"
F_REPRESENTATIVES = "representatives"


@dataclass(frozen=True, slots=True)
class PersonInput:
    name: str
    id_type: DocumentType = DocumentType.RESIDENT_ID
    id_number: str = ""
    gender: Gender = Gender.UNKNOWN
    phone: str = ""
    address: str = ""
    petitioner_id: str | None = None
    """Set when the officer picked this person from the history panel."""


@dataclass(frozen=True, slots=True)
class IntakeInput:
    person: PersonInput
    """The petitioner at the desk (for a collective visit: the first representative)."""
    channel: Channel = Channel.VISIT
    headcount: int = 1
    content_class: ContentClass | None = None
    category_id: str | None = None
    locality_id: str | None = None
    request: str = ""
    facts: str = ""
    routing_action: RoutingAction = RoutingAction.ASSIGN
    unit_id: str | None = None
    override_reason: str = ""
    legal_channel: str = ""
    skip_level: bool = False
    note: str = ""
    representatives: tuple[PersonInput, ...] = ()
    """Further representatives of a collective visit (with ``person``, at most five in all)."""
    join_case_id: str | None = None
    """Add this visit to an existing case instead of opening a new one."""
    received_on: date | None = None
    """收件日期 of a letter or online petition (来信、网上): the Art. 22 clock counts from it. None: received on
    the day it is registered (walk-ins and calls always are)."""


@dataclass(slots=True)
class _CleanPerson:
    name: str
    id_type: DocumentType
    id_number: str | None
    gender: Gender
    phone: str | None
    address: str
    petitioner_id: str | None


def clean_person(person: PersonInput, *, today: date | None, prefix: str = "", require_address: bool = True
                 ) -> _CleanPerson:
    """Validate one person; raises FieldErrors naming the form's fields. ``today`` (the registration day) bounds
    the birth date in a resident ID (``parse_resident_id``)."""
    errors: list[FieldError] = text_errors(
        ((F_NAME, "姓名", person.name), (F_ID_NUMBER, "证件号码", person.id_number),
         (F_PHONE, "联系电话", person.phone), (F_ADDRESS, "住址", person.address)), prefix)
    if errors:
        raise FieldErrors(errors)
    name = " ".join(person.name.split())
    if not name:
        errors.append(FieldError(F_NAME, f"{prefix}请填写姓名", key="name_required"))
    elif len(name) > 64:
        errors.append(FieldError(F_NAME, f"{prefix}姓名过长（最多64个字）", key="name_too_long"))
    id_number: str | None = None
    gender = person.gender
    raw_id = person.id_number.strip()
    try:
        if person.id_type is DocumentType.RESIDENT_ID:
            if raw_id:
                parsed = parse_resident_id(raw_id, today=today)
                id_number = parsed.number
                if gender is Gender.UNKNOWN:
                    gender = parsed.gender
                elif gender is not parsed.gender:
                    errors.append(
                        FieldError(F_GENDER, f"{prefix}性别与身份证号码不符（号码显示为{parsed.gender.label}）",
                                   key="gender_mismatch")
                    )
        elif person.id_type is DocumentType.NONE:
            if raw_id:
                errors.append(FieldError(F_ID_NUMBER, f"{prefix}证件类型为“无证件”时请勿填写证件号码",
                                         key="id_without_type"))
        else:
            id_number = validate_document(person.id_type, raw_id, today=today) or None
    except FieldError as exc:
        errors.append(FieldError(F_ID_NUMBER, prefix + exc.message, key=exc.key))
    phone: str | None = None
    if person.phone.strip():
        try:
            phone = normalize_phone(person.phone).number
        except FieldError as exc:
            errors.append(FieldError(F_PHONE, prefix + exc.message, key=exc.key))
    address = " ".join(person.address.split())
    if require_address and not address:
        errors.append(FieldError(F_ADDRESS, f"{prefix}请填写住址（法定登记事项）", key="address_required"))
    elif len(address) > 200:
        errors.append(FieldError(F_ADDRESS, f"{prefix}住址过长（最多200个字）", key="address_too_long"))
    if errors:
        raise FieldErrors(errors)
    return _CleanPerson(name, person.id_type, id_number, gender, phone, address, person.petitioner_id)


def text_errors(fields: Iterable[tuple[Any, ...]], prefix: str = "") -> list[FieldError]:
    """(field, label, value[, max length]) -> a message next to each field whose text has invalid characters (a
    lone surrogate, a control character) or is too long: refused at the edge, before it reaches the database, the
    receipt or sync."""
    errors: list[FieldError] = []
    for field_name, label, value, *rest in fields:
        problem = field_problem(label, value or "", rest[0] if rest else None)
        if problem:
            errors.append(FieldError(field_name, prefix + problem, key="text_invalid"))
    return errors


@dataclass(frozen=True, slots=True)
class ValidIntake:
    persons: list[_CleanPerson]
    proposal: RouteProposal | None
    """What the routing rule table proposed (None for a joined visit or when no rule applies)."""


def _check_received_on(form: IntakeInput, today: date) -> list[FieldError]:
    if form.received_on is None:
        return []
    if form.channel not in RECEIVED_CHANNELS:
        return [FieldError(F_RECEIVED_ON, "只有来信、网上信访需要填写收件日期", key="received_on_channel")]
    if form.join_case_id is not None:
        return [FieldError(F_RECEIVED_ON, "并入已有事项时不填写收件日期", key="received_on_join")]
    if form.received_on > today:
        return [FieldError(F_RECEIVED_ON, "收件日期不能晚于今天（登记日期）", key="received_on_future")]
    if form.received_on < today - timedelta(days=MAX_RECEIVED_AGE_DAYS):
        return [FieldError(F_RECEIVED_ON, "收件日期早于一年前，请核对", key="received_on_too_old")]
    return []


def validate_intake(session: Session, form: IntakeInput, *, today: date,
                    routes: Callable[[str, str | None], RouteProposal | None] | None = None) -> ValidIntake:
    """Check the whole form at once and report every problem, each next to its field. ``today`` (the
    registration day) bounds the 收件日期. ``routes(category_id, locality_id)``: the routing table's proposal
    (default ``directory.propose_route``; a bulk loader passes one that remembers its answers)."""
    errors: list[FieldError] = _check_received_on(form, today)
    errors.extend(text_errors(((F_REQUEST, "诉求", form.request, REQUEST_MAX),
                                (F_FACTS, "事实和理由", form.facts, FACTS_MAX),
                                (F_OVERRIDE_REASON, "改派理由", form.override_reason, 200),
                                (F_LEGAL_CHANNEL, "法定途径", form.legal_channel, 200),
                                (F_ROUTING, "备注", form.note, 2000))))
    persons: list[_CleanPerson] = []
    try:
        persons.append(clean_person(form.person, today=today))
    except FieldErrors as exc:
        errors.extend(exc.errors)
    if form.headcount < 1:
        errors.append(FieldError(F_HEADCOUNT, "来访人数至少为1人", key="headcount_min"))
    elif form.headcount > MAX_HEADCOUNT:
        errors.append(FieldError(F_HEADCOUNT, "来访人数过大，请核对", key="headcount_max"))
    total_reps = 1 + len(form.representatives)
    if total_reps > MAX_REPRESENTATIVES:
        errors.append(FieldError(F_REPRESENTATIVES, "多人走访应推选代表，代表人数不超过5人", key="too_many_reps"))
    if form.headcount >= 1 and total_reps > form.headcount:
        errors.append(FieldError(F_HEADCOUNT, "来访人数不能少于登记的代表人数", key="headcount_below_reps"))
    for index, rep in enumerate(form.representatives, start=2):
        try:
            persons.append(clean_person(rep, today=today, prefix=f"第{index}位代表：", require_address=False))
        except FieldErrors as exc:
            errors.extend(FieldError(F_REPRESENTATIVES, e.message, key=e.key) for e in exc.errors)
    keys = [(p.id_type, p.id_number) for p in persons if p.id_number]
    if len(keys) != len(set(keys)):
        errors.append(FieldError(F_REPRESENTATIVES, "同一证件号码在代表人中重复出现", key="duplicate_rep"))

    if form.join_case_id is not None:
        # a further visit to an existing matter: the matter's class, category and locality are the case's own
        target = session.get(Case, form.join_case_id)
        if target is None:
            errors.append(FieldError(F_ROUTING, "要并入的信访事项不存在", key="join_case_unknown"))
        elif target.status == CaseStatus.VOID.value:
            errors.append(FieldError(F_ROUTING, "要并入的信访事项已撤销（台账导入有误），请登记为新的信访事项",
                                     key="join_case_void"))
        if not form.request.strip():
            errors.append(FieldError(F_REQUEST, "请记录本次来访的诉求", key="request_required"))
        if errors:
            raise FieldErrors(errors)
        return ValidIntake(persons, None)
    snap = directory_of(session)  # (the directory rows as this transaction sees them, read once)
    if form.content_class is None:
        errors.append(FieldError(F_CONTENT_CLASS, "请选择内容分类", key="content_class_required"))
    if not form.category_id:
        errors.append(FieldError(F_CATEGORY, "请选择问题类别", key="category_required"))
    elif form.category_id not in snap.categories:
        errors.append(FieldError(F_CATEGORY, "问题类别不存在，请重新选择", key="category_unknown"))
    if not form.locality_id:
        errors.append(FieldError(F_LOCALITY, "请选择问题属地（至少到乡镇、街道）", key="locality_required"))
    else:
        loc = snap.localities.get(form.locality_id)
        if loc is None:
            errors.append(FieldError(F_LOCALITY, "问题属地不存在，请重新选择", key="locality_unknown"))
        elif loc.level == "district":
            errors.append(FieldError(F_LOCALITY, "请选择到乡镇、街道一级", key="locality_too_coarse"))
    request = form.request.strip()
    if not request:
        errors.append(FieldError(F_REQUEST, "请填写诉求（法定登记事项）", key="request_required"))
    elif len(request) < 4:
        errors.append(FieldError(F_REQUEST, "诉求过于简略，请如实记录信访人的请求", key="request_too_short"))
    if not form.facts.strip():
        errors.append(FieldError(F_FACTS, "请填写事实和理由（法定登记事项）", key="facts_required"))

    category_ok = bool(form.category_id) and form.category_id in snap.categories
    proposal = (
        (routes(form.category_id, form.locality_id) if routes is not None
         else directory.propose_route(session, form.category_id, form.locality_id))
        if category_ok and form.category_id
        else None
    )
    action = form.routing_action
    if action in (RoutingAction.ASSIGN, RoutingAction.FORWARD):
        if not form.unit_id:
            errors.append(FieldError(F_UNIT, "请选择责任单位", key="unit_required"))
        elif form.unit_id not in snap.units:
            errors.append(FieldError(F_UNIT, "责任单位不存在，请重新选择", key="unit_unknown"))
        elif proposal is not None and proposal.unit_id != form.unit_id and not form.override_reason.strip():
            errors.append(
                FieldError(F_OVERRIDE_REASON, f"责任单位与规则建议（{proposal.unit_name}）不同，请说明改派理由",
                           key="override_reason_required")
            )
    elif action is RoutingAction.LEGAL_CHANNEL and not form.legal_channel.strip():
        errors.append(FieldError(F_LEGAL_CHANNEL, "请写明应当通过的法定途径", key="legal_channel_required"))
    elif action is RoutingAction.NOT_ACCEPTED_FINAL:
        errors.append(FieldError(F_ROUTING, "“不再受理”只用于已复核终结的事项，请从历史记录中选择该事项",
                                 key="final_needs_case"))
    if errors:
        raise FieldErrors(errors)
    return ValidIntake(persons, proposal)


def _upsert_petitioner(session: Session, person: _CleanPerson, *,
                       prefix: str = "") -> tuple[Petitioner, dict[str, list[object]]]:
    """The petitioner record for this person, and the fields this visit updated ({name: [before, after]}, the values
    masked or hashed for the audit trail; empty for a new record).

    A record is reused when the officer linked it from the history panel or when the same document number is
    already registered. Who someone is (name, document) is never overwritten: a contradiction is an error for the
    officer to resolve. Contact details (phone, address) and an unknown gender are brought up to date. Without a
    document number a new record is made even if the name and phone match (family members share both); the
    history panel shows the likely matches and the officer links them explicitly.
    """
    found: Petitioner | None = None
    if person.petitioner_id:
        found = session.get(Petitioner, person.petitioner_id)
        if found is None:
            raise FieldErrors([FieldError(F_NAME, f"{prefix}所关联的信访人记录不存在，请取消关联后重新登记",
                                          key="petitioner_unknown")])
    by_number: Petitioner | None = None
    if person.id_number:
        by_number = session.scalars(
            select(Petitioner)
            .where(Petitioner.id_type == person.id_type.value,
                   Petitioner.id_number_bidx == blind_index(person.id_number, "id_number"))
            .order_by(Petitioner.merged_into.is_not(None))  # (a live record before a merged-away one)
            .limit(1)
        ).first()
    if found is not None and by_number is not None and by_number.id != found.id:
        raise FieldErrors([FieldError(F_ID_NUMBER, f"{prefix}该证件号码已登记在另一位信访人名下，请核对或取消关联",
                                      key="id_belongs_to_other")])
    found = found or by_number
    if found is None:
        created = new_petitioner(person)
        session.add(created)
        return created, {}
    return found, update_petitioner(found, person, prefix=prefix)


def new_petitioner(person: _CleanPerson) -> Petitioner:
    """A new petitioner record for a validated person (its id set here, so no flush is needed to link it)."""
    return transient(Petitioner, id=new_id(), name=person.name, id_type=person.id_type.value,
                     id_number=person.id_number, gender=person.gender.value, phone=person.phone, address=person.address)


def update_petitioner(found: Petitioner, person: _CleanPerson, *, prefix: str = "") -> dict[str, list[object]]:
    """Bring a registered petitioner up to date with this visit's details (contact details, a document number it
    lacked, an unknown gender); who someone is (name, document) is never overwritten: a contradiction raises
    ``FieldErrors``. The fields changed ({name: [before, after]}, masked for the audit trail)."""
    errors: list[FieldError] = []
    if found.name != person.name:
        errors.append(FieldError(F_NAME, f"{prefix}姓名与此前登记的“{mask_name(found.name)}”不一致，请核对"
                                 "（确属同一人改名的，请先由管理员更正信访人信息）", key="name_mismatch"))
    if person.id_number and found.id_number and found.id_number != person.id_number:
        errors.append(FieldError(F_ID_NUMBER, f"{prefix}证件号码与所关联的信访人不一致，请核对或取消关联",
                                 key="id_mismatch"))
    if errors:
        raise FieldErrors(errors)
    changed: list[str] = []
    before = {"id_number": found.id_number, "phone": found.phone, "address": found.address, "gender": found.gender}
    if person.id_number and not found.id_number:
        found.id_type, found.id_number = person.id_type.value, person.id_number
        changed.append("id_number")
    for attr, value in (("phone", person.phone), ("address", person.address)):
        if value and getattr(found, attr) != value:
            setattr(found, attr, value)
            changed.append(attr)
    if person.gender is not Gender.UNKNOWN and found.gender != person.gender.value:
        found.gender = person.gender.value
        changed.append("gender")
    if not changed:
        return {}
    found.version += 1
    after = {"id_number": found.id_number, "phone": found.phone, "address": found.address, "gender": found.gender}
    return audit.changes_of(before, after)


def petitioner_audit(petitioner: Petitioner, person: _CleanPerson, changed: dict[str, list[object]], *,
                     created: bool, officer_id: str, desk_id: str) -> AuditEntry | None:
    """The audit entry of a registration's petitioner: the fields it updated, or the fields a new record was given
    (values masked); None when a known record was only linked."""
    if changed:
        return transient(AuditEntry, user_id=officer_id, desk_id=desk_id, action="update", entity="petitioner",
                         entity_id=petitioner.id, detail="intake:" + ",".join(changed), changes=changed)
    if created:
        given = {"name": person.name, "id_number": person.id_number, "phone": person.phone,
                 "address": person.address or None, "gender": person.gender.value}
        return transient(AuditEntry, user_id=officer_id, desk_id=desk_id, action="create", entity="petitioner",
                         entity_id=petitioner.id, changes=audit.changes_of({}, given))
    return None


def _next_case_no(session: Session, desk_code: str, now: datetime) -> str:
    day = now.date()
    counter = session.get(CaseNumberCounter, (desk_code, day))
    if counter is None:
        counter = CaseNumberCounter(desk_code=desk_code, day=day, last=0)
        session.add(counter)
    while True:
        counter.last += 1
        case_no = format_case_no(desk_code, day, counter.last)
        # A restored or copied database may have lost its counter: never reuse a number.
        if session.scalar(select(Case.id).where(Case.case_no == case_no)) is None:
            return case_no


def join_flags(case: Case, visits_before: int) -> tuple[HistoryFlag, ...]:
    status = CaseStatus.parse(case.status)
    flags: list[HistoryFlag] = []
    if visits_before:
        flags.append(HistoryFlag.REPEAT)
    if status.in_handling:
        flags.append(HistoryFlag.IN_HANDLING)
    if status is CaseStatus.FINAL:
        flags.append(HistoryFlag.CONCLUDED)
    return tuple(flags)


def register_intake(ctx: AppContext, form: IntakeInput, *, desk_id: str, officer_id: str,
                    render_receipt: bool = True) -> IntakeResult:
    """Register one visit: a new case, or a further visit to ``form.join_case_id``, and archive its receipt.

    One write transaction: the registration, the new case's clocks, then the receipt, read from the rows in the
    session, rendered and written to the archive (atomically), and its print record. The record commits with the
    registration only once the file is there, so no print record ever names a missing file; a receipt that cannot
    be made is reported and never undoes the registration (it can be reprinted)."""
    filed: Path | None = None
    receipt_error: str | None = None
    try:
        with ctx.db.write() as session:
            with session.no_autoflush:
                result, rows = _register(session, form, desk_id=desk_id, officer_id=officer_id, now=ctx.now())
            if result.is_new_case:
                # local import: the lifecycle imports the intake's neighbours
                from reception.lifecycle.service import catch_up_clocks

                # the new case's legal clocks, in the same transaction (one commit; the lists would catch up anyway)
                catch_up_clocks(session, ctx.calendar, today=ctx.now().date())
            if render_receipt:
                session.flush()  # (a failing flush fails the save, as the commit would: not a receipt error)
                filed, receipt_error = _archive_receipt(session, ctx, result, officer_id)
            del rows
    except BaseException:
        if filed is not None:  # the registration did not commit: its receipt must not stay in the archive
            filed.unlink(missing_ok=True)
        raise
    log.info("intake saved: case %s visit %d (%s)", result.case_no, result.visit_no,
             "new" if result.is_new_case else "join")
    if filed is not None:
        result = replace(result, receipt_path=str(filed))
    elif receipt_error is not None:
        result = replace(result, receipt_error=receipt_error)
    return result


RECEIPT_FAILED = "回执生成失败，记录已保存，可在案件列表中补打。"


def _archive_receipt(session: Session, ctx: AppContext, result: IntakeResult, officer_id: str
                     ) -> tuple[Path | None, str | None]:
    """The receipt of the visit just registered, read, rendered and filed in its transaction (``receipt.
    prepare_receipt``, ``receipt.file_receipt``): the archived file, or the message for the officer when it cannot
    be made (the registration is saved either way)."""
    from reception.intake.receipt import file_receipt, prepare_receipt  # local: keeps ReportLab off the import path

    try:
        prepared = prepare_receipt(session, ctx, result.case_id, visit_id=result.visit_id)
        return file_receipt(ctx, prepared, officer_id=officer_id, session=session), None
    except ReceptionError as exc:
        return None, exc.message
    except Exception:  # the record is saved; the receipt can be reprinted
        log.exception("receipt rendering failed for case %s", result.case_no)
        return None, RECEIPT_FAILED


def register_in_session(session: Session, form: IntakeInput, *, desk_id: str, officer_id: str,
                        now: datetime) -> IntakeResult:
    """The registration itself, inside the caller's write transaction (bulk loaders batch many in one).

    Autoflush is off: the reference lookups (routing rules, categories) need no flush, and the steps that do need
    earlier rows (the petitioner upsert, the case number, the visit count) flush explicitly. This halves the cost.
    """
    with session.no_autoflush:
        return _register(session, form, desk_id=desk_id, officer_id=officer_id, now=now)[0]


def _register(session: Session, form: IntakeInput, *, desk_id: str, officer_id: str, now: datetime
              ) -> tuple[IntakeResult, list[Any]]:
    """The registration, and its main rows (desk, officer, petitioners, case, visit): held by ``register_intake``
    while it reads the receipt in the same session (SQLAlchemy's identity map is weak: rows nobody holds are
    loaded again)."""
    desk = session.get(Desk, desk_id)
    officer = session.get(User, officer_id)
    if desk is None or officer is None:
        raise NotFoundError("本机工位或登记人员未设置，请先在“设置”中选择。", key="desk_not_configured")
    require(session, officer_id, Permission.REGISTER)
    valid = validate_intake(session, form, today=now.date())
    petitioners: list[Petitioner] = []
    for index, clean in enumerate(valid.persons):
        prefix = f"第{index + 1}位代表：" if index else ""
        petitioner, changed = _upsert_petitioner(session, clean, prefix=prefix)
        created = inspect(petitioner).pending
        session.flush()
        if any(p.id == petitioner.id for p in petitioners):
            raise FieldErrors([FieldError(F_REPRESENTATIVES, f"{prefix}与前面登记的是同一人，请勿重复登记",
                                          key="duplicate_person")])
        petitioners.append(petitioner)
        entry = petitioner_audit(petitioner, clean, changed, created=created, officer_id=officer_id,
                                 desk_id=desk_id)
        if entry is not None:
            session.add(entry)
    if form.join_case_id is None:
        case = _new_case(session, form, desk, officer, now)
        visits_before = 0
    else:
        from reception.merge.resolve import case_survivor

        joined = session.get(Case, case_survivor(session, form.join_case_id))  # (a merged-away case: its survivor)
        assert joined is not None  # validated above
        case = joined
        visits_before = session.scalar(select(func.count()).where(Visit.case_id == case.id)) or 0
    visit, flags, records = visit_records(case, form, petitioners, visits_before, desk=desk, officer=officer,
                                          now=now, proposal=valid.proposal)
    session.add_all(records)
    result = IntakeResult(case.id, case.case_no, case.query_code, visit.id, visit.visit_no,
                          form.join_case_id is None, flags, None)
    return result, [desk, officer, *petitioners, case, visit]


def visit_records(case: Case, form: IntakeInput, petitioners: Sequence[Petitioner], visits_before: int, *,
                  desk: Desk, officer: User, now: datetime, proposal: RouteProposal | None
                  ) -> tuple[Visit, tuple[HistoryFlag, ...], list[Any]]:
    """The records of one registration besides its petitioners and its new case row: the visit, who came, the
    case's events (received and routed, or the further visit) and the intake's audit entry, with their ids set,
    nothing added to a session (``_register`` adds them; a bulk loader adds a batch's at once). A new case's
    routing columns and a joined case's version are set on ``case``."""
    actor = officer.id
    out: list[Any] = []
    flags = join_flags(case, visits_before)
    if form.skip_level:
        flags += (HistoryFlag.SKIP_LEVEL,)
    visit = transient(
        Visit,
        id=new_id(),
        case_id=case.id,
        visit_no=visits_before + 1,
        channel=form.channel.value,
        visited_at=now,
        visited_on=now.date(),
        desk_id=desk.id,
        officer_id=actor,
        headcount=form.headcount,
        is_collective=form.headcount > 1,
        is_repeat=visits_before > 0,
        is_skip_level=form.skip_level,
        note=form.request.strip() if form.join_case_id else form.note.strip(),
    )
    out.append(visit)
    for position, petitioner in enumerate(petitioners):
        out.append(transient(VisitPerson, id=new_id(), visit_id=visit.id, petitioner_id=petitioner.id,
                             is_representative=form.headcount > 1, position=position))
    if form.join_case_id is None:
        received: dict[str, str] = {"visit_id": visit.id}
        if form.received_on is not None:
            received["received_on"] = form.received_on.isoformat()
        routing = _routing(case, form, proposal)
        out += history.registration_events(case, routing, received=received,
                                           note=Channel.label_of(form.channel.value), actor_id=actor, now=now)
    else:
        case.version += 1
        out.append(history.record_event(case.id, EventKind.VISIT_ADDED, at=now, actor_id=actor,
                                        note=f"第{visit.visit_no}次来访",
                                        data={"visit_id": visit.id, "flags": ",".join(f.value for f in flags)}))
        if form.routing_action is RoutingAction.LEADER_RECEPTION:
            # a petitioner who comes again may still be sent to today's duty leader; the case keeps its routing
            # its own kind: "to_leader" is a routing step of a new case, replaying it would set the case back
            out.append(history.record_event(case.id, EventKind.VISIT_TO_LEADER, at=now, actor_id=actor,
                                            unit_id=case.unit_id, data={"visit_id": visit.id}))
    out.append(transient(AuditEntry, user_id=actor, desk_id=desk.id, action="intake", entity="case",
                         entity_id=case.id, detail="new_case" if form.join_case_id is None else "visit_added"))
    return visit, flags, out


def _new_case(session: Session, form: IntakeInput, desk: Desk, officer: User, now: datetime) -> Case:
    """The new case's row, added unflushed: ``visit_records`` sets its routing columns next, so one INSERT carries
    them (flushing here made the routing an UPDATE of ``unit_id``, which fires the per-day statistics cache's
    trigger on ``petition_case``: migration ``0015_mergechain``)."""
    case = new_case_row(form, desk, officer, now, _next_case_no(session, desk.code, now))
    session.add(case)
    return case


def new_case_row(form: IntakeInput, desk: Desk, officer: User, now: datetime, case_no: str) -> Case:
    """The row of a new case registered by ``form`` under ``case_no`` (its id set; not added to a session)."""
    assert form.content_class is not None and form.category_id and form.locality_id
    return transient(
        Case,
        id=new_id(),
        version=1,
        case_no=case_no,
        query_code=new_query_code(),
        content_class=form.content_class.value,
        category_id=form.category_id,
        locality_id=form.locality_id,
        request=form.request.strip(),
        facts=form.facts.strip(),
        status=CaseStatus.REGISTERED.value,
        routing_action=form.routing_action.value,
        first_desk_id=desk.id,
        first_officer_id=officer.id,
        registered_at=now,
        registered_on=now.date(),
        received_on=form.received_on,
    )


def _routing(case: Case, form: IntakeInput, proposal: RouteProposal | None) -> RegistrationRouting | None:
    """The lifecycle step of the routing chosen on the form (the machine plans it: its event, the case's status,
    unit and legal channel); what only the registration keeps (the proposed unit, the reason for overriding it) is
    set here. None: no routing step (the case stays registered)."""
    action = form.routing_action
    if action in (RoutingAction.ASSIGN, RoutingAction.FORWARD):
        assert form.unit_id  # validated
        case.proposed_unit_id = proposal.unit_id if proposal else None
        overridden = proposal is not None and proposal.unit_id != form.unit_id
        case.routing_override_reason = form.override_reason.strip() if overridden else ""
        return Route(form.unit_id, assign=action is RoutingAction.ASSIGN, note=case.routing_override_reason,
                     data={"overridden": "1" if overridden else "0"})
    if action is RoutingAction.LEGAL_CHANNEL:
        return SteerToLegalChannel(form.legal_channel.strip())
    if action is RoutingAction.LEADER_RECEPTION:
        return SendToLeader(form.unit_id or None)
    return None

