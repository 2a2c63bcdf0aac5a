"""更正登记: correcting a saved registration (a mistyped phone, address, or the wording of the request).

Who may correct what (``correction_rights``):

- the desk officer who registered the case corrects the petitioner's phone and address and the request's wording
  (诉求, 事实和理由) on the day of the registration (the desk's clock, ``ctx.now``);
- a supervisor (``Permission.CORRECT``; administrators too) corrects those at any time, and the petitioner's name and
  ID number, always with a reason (更正理由): who someone is changes only through them;
- nobody else (a unit's staff never correct the centre's registration).

A correction is one write transaction: the petitioner and the case are updated through the ORM (so the sync outbox
sends them as ordinary changes), a ``corrected`` case event says what was corrected and why (shown in 办理过程), and
the audit trail keeps the before and after values masked (names 夏某云, ID numbers and phones with stars) or hashed
(address, free texts), as ``reception.security.audit`` does for every change. When the receipt's printed content
changed, the receipt is rendered again marked 更正, archived next to the original and returned for printing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import Case, Petitioner, ReceiptPrint, User, Visit, VisitPerson
from reception.domain.enums import DocumentType, Gender, ReceiptLayout, Role
from reception.domain.errors import FieldError, FieldErrors, NotFoundError
from reception.domain.masking import mask_name
from reception.domain.textcheck import FACTS_MAX, REQUEST_MAX
from reception.intake.service import (
    F_ADDRESS,
    F_FACTS,
    F_ID_NUMBER,
    F_NAME,
    F_PHONE,
    F_REQUEST,
    PersonInput,
    clean_person,
    text_errors,
)
from reception.lifecycle import history
from reception.lifecycle.machine import EventKind
from reception.receipts.data import ReceiptData
from reception.security import audit
from reception.security.crypto import blind_index
from reception.security.permissions import Permission, PermissionDenied, allowed, can_see_case, require

F_PERSON = "person"
F_REASON = "reason"
F_GENERAL = ""
REASON_MAX = 200
REQUEST_MIN = 4

CONTACT_FIELDS = ("phone", "address", "request", "facts")
"""What the registering officer may correct on the day."""
IDENTITY_FIELDS = ("name", "id_number")
"""What only a supervisor corrects, with a reason."""
FIELDS = {"phone": F_PHONE, "address": F_ADDRESS, "request": F_REQUEST, "facts": F_FACTS, "name": F_NAME,
          "id_number": F_ID_NUMBER}
"""Each correctable attribute's field key (of its errors)."""
LABELS = {"phone": "联系电话", "address": "住址", "request": "诉求", "facts": "事实和理由", "name": "姓名",
          "id_number": "证件号码"}
"""Each correctable attribute in Chinese (the case history's note, the result's ``changed``)."""


@dataclass(frozen=True, slots=True)
class CorrectionRights:
    """What the user may correct on this case now (the UI shows the 更正登记 button when ``any``)."""

    contact: bool
    """Phone, address, 诉求, 事实和理由."""
    identity: bool
    """Name and ID number (with a reason)."""
    why_not: str = ""
    """When neither: why, in Chinese."""

    @property
    def any(self) -> bool:
        return self.contact or self.identity


@dataclass(frozen=True, slots=True)
class PersonOnFile:
    id: str
    name: str
    id_type: str
    id_number: str
    """In full: the correction dialog shows what it corrects (the dialog is opened only by those who may)."""
    phone: str
    address: str


@dataclass(frozen=True, slots=True)
class Registration:
    """The registration as it stands, for the correction dialog."""

    case_id: str
    case_no: str
    request: str
    facts: str
    persons: tuple[PersonOnFile, ...]
    rights: CorrectionRights


@dataclass(frozen=True, slots=True)
class CorrectionInput:
    case_id: str
    petitioner_id: str | None = None
    """Which person of the registration (default: the first)."""
    phone: str | None = None
    """The corrected value; None (or the value on file) leaves it as it is."""
    address: str | None = None
    request: str | None = None
    facts: str | None = None
    name: str | None = None
    id_number: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    case_id: str
    case_no: str
    changed: tuple[str, ...]
    """The labels of the corrected fields (联系电话, 住址, ...)."""
    receipt: bytes | None
    """The receipt reprinted marked 更正, when its printed content changed (else None)."""
    receipt_path: Path | None = None
    """Where the corrected receipt was archived."""


# --- rights ---------------------------------------------------------------------------------------------------------


def _rights(session: Session, user: User | None, case: Case, now: datetime) -> CorrectionRights:
    if user is None:  # the system (the command line's operator)
        return CorrectionRights(True, True)
    if not user.active:
        return CorrectionRights(False, False, "当前账户不存在或已停用，请重新登录。")
    if not can_see_case(session, user, case):
        return CorrectionRights(False, False, "无权查看该信访事项。")
    if allowed(user.role, Permission.CORRECT):
        return CorrectionRights(True, True)
    if not allowed(user.role, Permission.REGISTER):
        return CorrectionRights(False, False, f"您的角色（{Role.label_of(user.role)}）无权更正登记信息。")
    if case.first_officer_id != user.id:
        return CorrectionRights(False, False, "只能更正本人登记的事项；其他事项的更正请联系督查。")
    if case.registered_on != now.date():
        return CorrectionRights(False, False, "登记当日之后的更正须由督查办理。")
    return CorrectionRights(True, False)


def correction_rights(ctx: AppContext, case_id: str, *, actor_id: str | None) -> CorrectionRights:
    with ctx.db.read() as session:
        case = _case(session, case_id)
        user = session.get(User, actor_id) if actor_id is not None else None
        if actor_id is not None and user is None:
            return CorrectionRights(False, False, "当前账户不存在或已停用，请重新登录。")
        return _rights(session, user, case, ctx.now())


def _case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    return case


def _first_visit(session: Session, case_id: str) -> Visit:
    visit = session.scalars(select(Visit).where(Visit.case_id == case_id).order_by(Visit.visit_no)).first()
    if visit is None:
        raise NotFoundError("该信访事项没有来访记录", key="visit_not_found")
    return visit


def _persons(session: Session, visit: Visit) -> list[Petitioner]:
    return list(session.scalars(select(Petitioner).join(VisitPerson, VisitPerson.petitioner_id == Petitioner.id)
                                .where(VisitPerson.visit_id == visit.id).order_by(VisitPerson.position)))


def registration(ctx: AppContext, case_id: str, *, actor_id: str | None) -> Registration:
    """The registration's correctable content; ``PermissionDenied`` unless the user may correct it."""
    with ctx.db.read() as session:
        case = _case(session, case_id)
        user = session.get(User, actor_id) if actor_id is not None else None
        rights = _rights(session, user, case, ctx.now())
        if not rights.any:
            raise PermissionDenied(rights.why_not, key="correction_denied")
        people = tuple(PersonOnFile(p.id, p.name, p.id_type, p.id_number or "", p.phone or "", p.address)
                       for p in _persons(session, _first_visit(session, case_id)))
        return Registration(case.id, case.case_no, case.request, case.facts, people, rights)


# --- the correction -------------------------------------------------------------------------------------------------


def _receipt_data(session: Session, ctx: AppContext, case_id: str, visit_id: str) -> ReceiptData:
    from reception.db.settings import load_desk_settings
    from reception.intake.receipt import build_receipt_data

    return build_receipt_data(session, case_id, visit_id, ctx.calendar, load_desk_settings(session))


def _changed(new: str | None, old: str) -> bool:
    return new is not None and new.strip() != old


def correct_registration(ctx: AppContext, form: CorrectionInput, *, actor_id: str | None,
                         desk_id: str | None = None, layout: ReceiptLayout | None = None) -> CorrectionResult:
    """Correct a saved registration (see the module's docstring). ``FieldErrors`` name the dialog's fields; nothing
    is stored unless everything is valid. Returns the corrected receipt when its printed content changed."""
    now = ctx.now()
    with ctx.db.write() as session:
        case = _case(session, form.case_id)
        user = require(session, actor_id, Permission.VIEW_CASES) if actor_id is not None else None
        rights = _rights(session, user, case, now)
        if not rights.any:
            raise PermissionDenied(rights.why_not, key="correction_denied")
        visit = _first_visit(session, case.id)
        people = _persons(session, visit)
        person = next((p for p in people if p.id == form.petitioner_id), None) if form.petitioner_id else \
            (people[0] if people else None)
        if person is None:
            raise FieldErrors([FieldError(F_PERSON, "该信访人不属于此次登记", key="person_not_in_case")])
        before_receipt = _receipt_data(session, ctx, case.id, visit.id)
        errors: list[FieldError] = []
        wants = {name for name, new, old in (
            ("phone", form.phone, person.phone or ""), ("address", form.address, person.address),
            ("request", form.request, case.request), ("facts", form.facts, case.facts),
            ("name", form.name, person.name), ("id_number", form.id_number, person.id_number or ""),
        ) if _changed(new, old)}
        # the person's new values, checked with the intake's own rules (and messages)
        new_name = form.name.strip() if "name" in wants and form.name is not None else person.name
        new_id = form.id_number.strip() if "id_number" in wants and form.id_number is not None \
            else (person.id_number or "")
        try:
            clean = clean_person(PersonInput(
                name=new_name, id_type=DocumentType.parse(person.id_type), id_number=new_id,
                gender=Gender.UNKNOWN if "id_number" in wants else Gender.parse(person.gender),
                phone=form.phone if "phone" in wants and form.phone is not None else (person.phone or ""),
                address=form.address if "address" in wants and form.address is not None else person.address,
            ), today=ctx.now().date(), require_address=bool(person.address) or "address" in wants)
        except FieldErrors as exc:
            errors.extend(exc.errors)
            clean = None
        if "phone" in wants and form.phone is not None and not form.phone.strip():
            errors.append(FieldError(F_PHONE, "联系电话不能更正为空", key="phone_required"))
        if clean is not None:  # typed differently, the same once normalised (a space in the phone): no correction
            same = {"name": clean.name == person.name, "id_number": clean.id_number == person.id_number,
                    "phone": clean.phone == person.phone, "address": clean.address == person.address}
            wants -= {f for f, unchanged in same.items() if unchanged}
        if wants & set(IDENTITY_FIELDS) and not rights.identity:
            errors.extend(FieldError(FIELDS[f], "姓名和证件号码的更正须由督查办理（并说明理由）",
                                     key="identity_needs_supervisor") for f in IDENTITY_FIELDS if f in wants)
        if wants & set(CONTACT_FIELDS) and not rights.contact:
            errors.append(FieldError(F_GENERAL, rights.why_not or "无权更正登记信息", key="correction_denied"))
        reason = " ".join(form.reason.split())
        if wants & set(IDENTITY_FIELDS) and not reason:
            errors.append(FieldError(F_REASON, "更正姓名或证件号码时请说明理由", key="reason_required"))
        elif len(reason) > REASON_MAX:
            errors.append(FieldError(F_REASON, f"更正理由过长（最多{REASON_MAX}字）", key="reason_too_long"))
        if not wants and not errors:
            errors.append(FieldError(F_GENERAL, "没有需要更正的内容（各项与登记时相同）", key="nothing_to_correct"))
        request = (form.request or "").strip()
        errors.extend(text_errors((  # (the intake's edge checks: invalid characters, the documented maximum lengths)
            (F_REQUEST, "诉求", request if "request" in wants else "", REQUEST_MAX),
            (F_FACTS, "事实和理由", (form.facts or "") if "facts" in wants else "", FACTS_MAX),
            (F_REASON, "更正理由", form.reason or ""))))  # (its length: above)
        if "request" in wants and len(request) < REQUEST_MIN:
            errors.append(FieldError(F_REQUEST, "诉求过于简略，请如实记录信访人的请求", key="request_too_short"))
        if "facts" in wants and not (form.facts or "").strip():
            errors.append(FieldError(F_FACTS, "请填写事实和理由（法定登记事项）", key="facts_required"))
        if clean is not None and "id_number" in wants and clean.id_number:
            other = session.scalar(select(Petitioner.id).where(
                Petitioner.id_type == person.id_type, Petitioner.id != person.id,
                Petitioner.id_number_bidx == blind_index(clean.id_number, "id_number")).limit(1))
            if other is not None:
                errors.append(FieldError(F_ID_NUMBER, "该证件号码已登记在另一位信访人名下，请核对",
                                         key="id_belongs_to_other"))
        if errors:
            raise FieldErrors(errors)
        assert clean is not None
        person_before = {"name": person.name, "id_number": person.id_number, "phone": person.phone,
                         "address": person.address, "gender": person.gender}
        case_before = {"request": case.request, "facts": case.facts}
        if "name" in wants:
            person.name = clean.name
        if "id_number" in wants:
            person.id_number, person.gender = clean.id_number, clean.gender.value
        if "phone" in wants:
            person.phone = clean.phone
        if "address" in wants:
            person.address = clean.address
        if "request" in wants:
            case.request = request
        if "facts" in wants:
            case.facts = (form.facts or "").strip()
        person_after = {"name": person.name, "id_number": person.id_number, "phone": person.phone,
                        "address": person.address, "gender": person.gender}
        case_after = {"request": case.request, "facts": case.facts}
        changed = tuple(LABELS[f] for f in ("name", "id_number", "phone", "address", "request", "facts") if f in wants)
        if person_after != person_before:
            person.version += 1
            audit.record(session, user_id=actor_id, desk_id=desk_id, action="correct", entity="petitioner",
                         entity_id=person.id, detail=f"case:{case.case_no}",
                         changes=audit.changes_of(person_before, person_after))
        case.version += 1
        audit.record(session, user_id=actor_id, desk_id=desk_id, action="correct", entity="case", entity_id=case.id,
                     detail="fields:" + ",".join(f for f in ("name", "id_number", "phone", "address", "request",
                                                            "facts") if f in wants),
                     changes=audit.changes_of(case_before, case_after))
        note = "更正" + "、".join(changed) + (f"（{mask_name(person.name)}）" if person_after != person_before else "")
        if reason:
            note += f"；理由：{reason}"
        history.record(session, case.id, EventKind.CORRECTED, at=now, actor_id=actor_id, note=note,
                       data={"fields": ",".join(sorted(wants))})
        session.flush()
        after_receipt = _receipt_data(session, ctx, case.id, visit.id)
        case_id, case_no, visit_id = case.id, case.case_no, visit.id
    if after_receipt == before_receipt:
        return CorrectionResult(case_id, case_no, changed, None)
    return _reprint_corrected(ctx, case_id, case_no, visit_id, after_receipt, changed, actor_id, desk_id, layout, now)


def _reprint_corrected(ctx: AppContext, case_id: str, case_no: str, visit_id: str, data: ReceiptData,
                       changed: tuple[str, ...], actor_id: str | None, desk_id: str | None,
                       layout: ReceiptLayout | None, now: datetime) -> CorrectionResult:
    from reception.db.settings import load_desk_settings
    from reception.intake.receipt import write_atomically
    from reception.receipts import render_receipt

    with ctx.db.read() as session:
        chosen = layout or load_desk_settings(session).layout
        earlier = len(session.scalars(select(ReceiptPrint.id).where(ReceiptPrint.case_id == case_id,
                                                                    ReceiptPrint.file_name.like(f"{case_no}-C%"))).all())
    pdf = render_receipt(replace(data, correction=True, printed_at=now), chosen)
    target = ctx.paths.receipts / f"{case_no}-C{earlier + 1}.pdf"
    write_atomically(target, pdf)
    with ctx.db.write() as session:
        session.add(ReceiptPrint(case_id=case_id, visit_id=visit_id, printed_at=now, layout=chosen.value,
                                 reprint=True, officer_id=actor_id, file_name=target.name))
        audit.record(session, user_id=actor_id, desk_id=desk_id, action="correct_reprint", entity="case",
                     entity_id=case_id, detail=target.name)
    return CorrectionResult(case_id, case_no, changed, pdf, target)


def describe(result: CorrectionResult) -> str:
    """What the dialog says after saving."""
    text = f"已更正{result.case_no}的" + "、".join(result.changed) + "。"
    if result.receipt:
        return text + "回执内容有变化，已重新出具回执（注明“更正”）。"
    return text + "回执内容未变，无需重新打印。"


__all__ = ["CorrectionInput", "CorrectionResult", "CorrectionRights", "Registration", "correct_registration",
           "correction_rights", "describe", "registration"]
