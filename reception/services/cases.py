"""Finding cases: search by case number, name, ID number or phone; today's registrations; one case in full."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import (
    AuditEntry,
    Case,
    CaseEvent,
    Desk,
    Locality,
    Petitioner,
    ReceiptPrint,
    Unit,
    User,
    Visit,
    VisitPerson,
)
from reception.domain.case_numbers import parse_case_no
from reception.domain.enums import Channel, ContentClass, RoutingAction
from reception.domain.errors import FieldError, NotFoundError
from reception.domain.idnumber import parse_resident_id
from reception.domain.masking import mask_id, mask_phone
from reception.domain.phone import normalize_phone
from reception.services import directory
from reception.services.context import AppContext
from reception.services.dto import CaseDetail, CaseSummary, EventDetail, VisitDetail
from reception.services.history import summarise_cases

SEARCH_LIMIT = 200
PREFIX_END = "\U0010ffff"

EVENT_LABELS = {
    "received": "登记",
    "assigned": "交办",
    "forwarded": "转送",
    "legal_channel": "导入法定途径",
    "to_leader": "转值班领导接访",
    "visit_to_leader": "再次来访转值班领导接访",
    "visit_added": "再次来访",
    "accused_unit": "记录被检举控告单位（不得转交、不得查看）",
    "signed": "责任单位签收",
    "objected": "异议退回",
    "accepted": "受理",
    "not_accepted": "不予受理",
    "handling_started": "开始办理",
    "in_handling": "开始办理",
    "extended": "延期",
    "replied": "出具处理意见书",
    "evaluated": "满意度评价",
    "closed": "销号",
    "review_requested": "请求复查",
    "review_decided": "作出复查意见",
    "recheck_requested": "请求复核",
    "recheck_decided": "作出复核意见（终结）",
    "final": "复核终结",
    "supervised": "督办",
    "supervision_returned": "督办反馈未解决，退回责任单位",
    "supervision_resolved": "督办办结",
    "leader_reply": "领导接访现场答复",
    "unit_progress": "责任单位报告办理进展",
    "unit_feedback": "责任单位反馈",
}


def _case_ids_for_query(session: Session, text: str, limit: int) -> list[str]:
    """Interpret one search box: a case number (or its prefix), an ID number, a phone, or a name (prefix)."""
    query = "".join(text.split())
    if not query:
        return []
    upper = query.upper()
    if parse_case_no(upper) is not None:
        return list(session.scalars(select(Case.id).where(Case.case_no == upper)))
    if upper[:1].isalpha() and upper.isascii() and "-" in upper:
        return list(session.scalars(
            select(Case.id).where(Case.case_no >= upper, Case.case_no < upper + PREFIX_END).limit(limit)
        ))
    petitioner_ids: list[str] = []
    if query.isascii():
        try:
            number = parse_resident_id(upper).number
            petitioner_ids = list(session.scalars(select(Petitioner.id).where(Petitioner.id_number == number)))
        except FieldError:
            try:
                phone = normalize_phone(query).number
                petitioner_ids = list(session.scalars(select(Petitioner.id).where(Petitioner.phone == phone)))
            except FieldError:
                petitioner_ids = list(session.scalars(select(Petitioner.id).where(Petitioner.id_number == upper)))
    else:
        petitioner_ids = list(session.scalars(
            select(Petitioner.id).where(Petitioner.name >= query, Petitioner.name < query + PREFIX_END).limit(limit)
        ))
    if not petitioner_ids:
        return []
    return list(session.scalars(
        select(Visit.case_id)
        .join(VisitPerson, VisitPerson.visit_id == Visit.id)
        .where(VisitPerson.petitioner_id.in_(petitioner_ids))
        .distinct()
        .limit(limit)
    ))


def search_cases(ctx: AppContext, text: str, *, limit: int = SEARCH_LIMIT) -> list[CaseSummary]:
    with ctx.db.read() as session:
        ids = _case_ids_for_query(session, text, limit)
        found = summarise_cases(session, ids)
    found.sort(key=lambda s: (s.last_visit_on, s.case_no), reverse=True)
    return found


def cases_registered_on(ctx: AppContext, day: date, *, limit: int = 2000) -> list[CaseSummary]:
    """Cases with a visit on ``day`` (new registrations and repeat visits alike), newest first."""
    with ctx.db.read() as session:
        ids = list(session.scalars(select(Visit.case_id).where(Visit.visited_on == day).distinct().limit(limit)))
        found = summarise_cases(session, ids)
    found.sort(key=lambda s: s.case_no, reverse=True)
    return found


def recent_cases(ctx: AppContext, *, limit: int = 200) -> list[CaseSummary]:
    with ctx.db.read() as session:
        ids = list(session.scalars(select(Case.id).order_by(Case.registered_at.desc()).limit(limit)))
        found = summarise_cases(session, ids)
    found.sort(key=lambda s: (s.registered_on, s.case_no), reverse=True)
    return found


def case_id_by_no(session: Session, case_no: str) -> str:
    case_id = session.scalar(select(Case.id).where(Case.case_no == case_no.strip().upper()))
    if case_id is None:
        raise NotFoundError(f"未找到案件编号 {case_no}", key="case_not_found")
    return case_id


def case_detail(ctx: AppContext, case_id: str, *, user_id: str | None = None, desk_id: str | None = None) -> CaseDetail:
    with ctx.db.read() as session:
        detail = load_case_detail(session, case_id)
    if user_id is not None:
        with ctx.db.write() as session:
            session.add(AuditEntry(user_id=user_id, desk_id=desk_id, action="view_case", entity="case",
                                   entity_id=case_id))
    return detail


def _name(session: Session, model: type[Unit] | type[Desk], key: str | None) -> str:
    if not key:
        return ""
    row = cast("Unit | Desk | None", session.get(model, key))
    return row.name if row is not None else ""


def _user_name(session: Session, key: str | None) -> str:
    row = session.get(User, key) if key else None
    return row.display_name if row is not None else ""


def load_case_detail(session: Session, case_id: str) -> CaseDetail:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    summary = summarise_cases(session, [case_id])[0]
    visits: list[VisitDetail] = []
    for v in session.scalars(select(Visit).where(Visit.case_id == case_id).order_by(Visit.visit_no)):
        persons = tuple(
            (vp.petitioner.name, mask_id(vp.petitioner.id_number or ""), mask_phone(vp.petitioner.phone or ""),
             vp.is_representative)
            for vp in v.persons
        )
        visits.append(VisitDetail(
            id=v.id, visit_no=v.visit_no, visited_at=v.visited_at, channel_label=Channel.label_of(v.channel),
            headcount=v.headcount, is_collective=v.is_collective, is_repeat=v.is_repeat,
            is_skip_level=v.is_skip_level, desk=_name(session, Desk, v.desk_id),
            officer=_user_name(session, v.officer_id), persons=persons, note=v.note,
        ))
    events = tuple(
        EventDetail(kind=e.kind, label=EVENT_LABELS.get(e.kind, e.kind), occurred_at=e.occurred_at,
                    actor=_user_name(session, e.actor_id), unit=_name(session, Unit, e.unit_id), note=e.note)
        for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.occurred_at))
    )
    receipts = len(session.scalars(select(ReceiptPrint.id).where(ReceiptPrint.case_id == case_id)).all())
    first_visit = visits[0] if visits else None
    return CaseDetail(
        summary=summary,
        query_code=case.query_code,
        content_class_label=ContentClass.label_of(case.content_class),
        channel_label=first_visit.channel_label if first_visit else "",
        request=case.request,
        facts=case.facts,
        routing_label=RoutingAction.label_of(case.routing_action),
        unit=_name(session, Unit, case.unit_id),
        routing_override_reason=case.routing_override_reason,
        legal_channel=case.legal_channel,
        first_desk=_name(session, Desk, case.first_desk_id),
        first_officer=_user_name(session, case.first_officer_id),
        registered_at=case.registered_at,
        headcount=max((v.headcount for v in visits), default=1),
        is_collective=any(v.is_collective for v in visits),
        visits=tuple(visits),
        events=events,
        receipt_count=receipts,
    )


def export_cases(ctx: AppContext, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every case with its visits, petitioners and routing, as JSON-ready dicts (full data: an admin export)."""
    with ctx.db.read() as session:
        # labels read once: the identity map is cleared after every batch below
        cat_label = directory.category_labels(session)
        loc_label = directory.locality_labels(session, session.scalars(select(Locality.id)))
        unit = {u.id: u.name for u in session.scalars(select(Unit))}
        desks = {d.id: d.code for d in session.scalars(select(Desk))}
        users = {u.id: u.display_name for u in session.scalars(select(User))}
        offset = 0
        while True:
            cases = session.scalars(select(Case).order_by(Case.case_no).offset(offset).limit(batch)).all()
            if not cases:
                break
            offset += len(cases)
            ids = [c.id for c in cases]
            visits_by_case: dict[str, list[Visit]] = {}
            for v in session.scalars(select(Visit).where(Visit.case_id.in_(ids)).order_by(Visit.visit_no)):
                visits_by_case.setdefault(v.case_id, []).append(v)
            for c in cases:
                yield {
                    "case_no": c.case_no,
                    "id": c.id,
                    "query_code": c.query_code,
                    "registered_at": c.registered_at.isoformat(),
                    "status": c.status,
                    "content_class": c.content_class,
                    "category": cat_label.get(c.category_id, ""),
                    "locality": loc_label.get(c.locality_id, ""),
                    "request": c.request,
                    "facts": c.facts,
                    "routing": {
                        "action": c.routing_action,
                        "unit": unit.get(c.unit_id or "", ""),
                        "proposed_unit": unit.get(c.proposed_unit_id or "", ""),
                        "override_reason": c.routing_override_reason,
                        "legal_channel": c.legal_channel,
                    },
                    "first_handler": {"desk": desks.get(c.first_desk_id, ""),
                                      "officer": users.get(c.first_officer_id, "")},
                    "visits": [
                        {
                            "visit_no": v.visit_no,
                            "visited_at": v.visited_at.isoformat(),
                            "channel": v.channel,
                            "headcount": v.headcount,
                            "is_collective": v.is_collective,
                            "is_repeat": v.is_repeat,
                            "is_skip_level": v.is_skip_level,
                            "desk": desks.get(v.desk_id, ""),
                            "officer": users.get(v.officer_id, ""),
                            "petitioners": [
                                {
                                    "name": vp.petitioner.name,
                                    "id_type": vp.petitioner.id_type,
                                    "id_number": vp.petitioner.id_number,
                                    "gender": vp.petitioner.gender,
                                    "phone": vp.petitioner.phone,
                                    "address": vp.petitioner.address,
                                    "is_representative": vp.is_representative,
                                }
                                for vp in v.persons
                            ],
                        }
                        for v in visits_by_case.get(c.id, [])
                    ],
                }
            session.expunge_all()
