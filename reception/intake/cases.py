"""Finding cases: search by case number, name, ID number or phone; today's registrations; one case in full."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import (
    AuditEntry,
    Case,
    CaseEvent,
    Desk,
    Locality,
    ReceiptPrint,
    Unit,
    User,
    Visit,
    VisitPerson,
)
from reception.domain.enums import Channel, ContentClass, RoutingAction
from reception.domain.errors import NotFoundError
from reception.domain.masking import mask_address, mask_id, mask_name, mask_phone
from reception.intake import directory
from reception.intake.dto import CaseDetail, CaseSummary, EventDetail, VisitDetail
from reception.intake.history import summarise_cases
from reception.merge.resolve import case_survivors, counted_case, not_void
from reception.security import audit
from reception.security.permissions import (
    Permission,
    PermissionDenied,
    can_see_case,
    require,
    visible_case_ids,
)

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
    "replied_on_spot": "领导现场答复办结（当面送达）",
    "hearing_started": "复核听证开始（暂停计时）",
    "hearing_ended": "复核听证结束（恢复计时）",
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
    "down_visit": "领导带案下访",
    "backlog_listed": "列为积案",
    "backlog_resolved": "积案化解",
    "ownership_ended": "结束包案",
    "unit_progress": "责任单位报告办理进展",
    "unit_feedback": "责任单位反馈",
    "merged": "合并案件",
    "unmerged": "撤销合并",
    "import_undone": "撤销导入（台账导入有误）",
    "unit_attachment": "责任单位上传附件",
    "corrected": "更正登记",
}


def search_cases(ctx: AppContext, text: str, *, limit: int = SEARCH_LIMIT,
                 user_id: str | None = None) -> list[CaseSummary]:
    """The first ``limit`` cases matching the search box that ``user_id`` may see, best match first (the search
    service, ``reception.search.service.search``, without its paging)."""
    from reception.search.service import search

    return list(search(ctx, text, page_size=limit, user_id=user_id).rows)


def cases_registered_on(ctx: AppContext, day: date, *, limit: int = 2000,
                        user_id: str | None = None) -> list[CaseSummary]:
    """Cases with a visit on ``day`` (new registrations and repeat visits alike), newest first; a visit of a
    merged-away case lists the case it now is, once, and no 已撤销 case is listed."""
    with ctx.db.read() as session:
        require(session, user_id, Permission.VIEW_CASES)
        # (only the 已撤销 half of ``counted_case`` on the visit's case: a merged-away case's visit is a visit of the
        # surviving case, listed as that case)
        ids = list(session.scalars(select(Visit.case_id).join(Case, Case.id == Visit.case_id).where(
            Visit.visited_on == day, not_void(Case)).distinct().limit(limit)))
        ids = list(dict.fromkeys(case_survivors(session, ids).values()))
        ids = visible_case_ids(session, user_id, ids)
        found = summarise_cases(session, ids)
    found.sort(key=lambda s: s.case_no, reverse=True)
    return found


def recent_cases(ctx: AppContext, *, limit: int = 200, user_id: str | None = None) -> list[CaseSummary]:
    """The ``limit`` latest registered cases, newest first. Ordered by the registration day first: its index is
    walked from the end and stops after ``limit`` rows (``registered_at`` has none, and sorting by it alone read and
    sorted every case: ``tests/unit/test_query_plans.py``); the moment orders the cases of one day."""
    with ctx.db.read() as session:
        require(session, user_id, Permission.VIEW_CASES)
        ids = list(session.scalars(select(Case.id).where(counted_case(Case))
                                   .order_by(Case.registered_on.desc(), Case.registered_at.desc()).limit(limit)))
        ids = visible_case_ids(session, user_id, ids)
        found = summarise_cases(session, ids)
    found.sort(key=lambda s: (s.registered_on, s.case_no), reverse=True)
    return found


def case_id_by_no(session: Session, case_no: str) -> str:
    """The case of exactly this number (a merged-away one too: its receipts reprint as they were)."""
    case_id = session.scalar(select(Case.id).where(Case.case_no == case_no.strip().upper()))
    if case_id is None:
        raise NotFoundError(f"未找到案件编号 {case_no}", key="case_not_found")
    return case_id


def live_case_id_by_no(session: Session, case_no: str) -> str:
    """The case a number now names: the surviving case when it was merged away (an alias, ``reception.merge``)."""
    from reception.merge.resolve import case_survivor

    return case_survivor(session, case_id_by_no(session, case_no))


def case_detail(ctx: AppContext, case_id: str, *, user_id: str | None = None, desk_id: str | None = None) -> CaseDetail:
    """One case in full. The view is audited (who, which case, and which petitioners' records it showed); a case
    the user may not see (an accusation against their unit, another unit's case) is refused."""
    with ctx.db.read() as session:
        require_case_visible(session, user_id, case_id)
        detail = load_case_detail(session, case_id)
        petitioners = sorted({pid for pid in session.scalars(
            select(VisitPerson.petitioner_id).join(Visit, Visit.id == VisitPerson.visit_id)
            .where(Visit.case_id == detail.summary.id))})
    if user_id is not None:
        with ctx.db.write() as session:
            session.add(AuditEntry(user_id=user_id, desk_id=desk_id, action="view_case", entity="case",
                                   entity_id=case_id))
            for pid in petitioners:
                audit.record(session, user_id=user_id, desk_id=desk_id, action="view_petitioner",
                             entity="petitioner", entity_id=pid, detail=f"case:{detail.summary.case_no}")
    return detail


def require_case_visible(session: Session, user_id: str | None, case_id: str) -> None:
    """``PermissionDenied`` unless the user may see this case (``NotFoundError`` when there is no such case)."""
    user = require(session, user_id, Permission.VIEW_CASES)
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    if user is not None and not can_see_case(session, user, case):
        raise PermissionDenied("无权查看该信访事项（检举控告类事项对被检举控告单位保密，其他单位的事项不予显示）。",
                               key="case_hidden")


def _name(session: Session, model: type[Unit] | type[Desk], key: str | None) -> str:
    if not key:
        return ""
    row = cast("Unit | Desk | None", session.get(model, key))
    return row.name if row is not None else ""


def _user_name(session: Session, key: str | None) -> str:
    row = session.get(User, key) if key else None
    return row.display_name if row is not None else ""


def load_case_detail(session: Session, case_id: str) -> CaseDetail:
    """A case in full; a merged-away case shows as the case it was merged into, which lists the visits and events
    of every case merged into it (``reception.merge.resolve``)."""
    from reception.merge.resolve import case_group

    opened = session.get(Case, case_id)
    if opened is None:
        raise NotFoundError("未找到该信访事项", key="case_not_found")
    group = case_group(session, case_id)
    case_id = group[0]
    case = session.get(Case, case_id)
    assert case is not None
    merged_nos = tuple(sorted(session.scalars(select(Case.case_no).where(Case.id.in_(group[1:])))))
    summary = summarise_cases(session, [case_id])[0]
    visits: list[VisitDetail] = []
    for v in session.scalars(select(Visit).where(Visit.case_id.in_(group))
                             .order_by(Visit.visited_at, Visit.visit_no)):
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
                    actor=_user_name(session, e.actor_id) or str((e.data or {}).get("unit_user") or ""),
                    unit=_name(session, Unit, e.unit_id), note=e.note)
        for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(group))
                                 .order_by(CaseEvent.occurred_at))
    )
    receipts = len(session.scalars(select(ReceiptPrint.id).where(ReceiptPrint.case_id.in_(group))).all())
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
        merged_case_nos=merged_nos,
        opened_as=opened.case_no if opened.id != case_id else "",
    )


def export_cases(ctx: AppContext, *, batch: int = 500, actor_id: str | None = None, masked: bool = False,
                 desk_id: str | None = None, include_void: bool = False) -> Iterator[dict[str, Any]]:
    """Every case with its visits, petitioners and routing, as JSON-ready dicts.

    As the lists: no 已撤销 case (an import undone, no petition matter) unless ``include_void`` (``reception export
    --all``: then with its status ``void``). A merged-away case is exported, as its own record with its own visits
    (the merge moved no row), and ``merged_into`` names the number of the case it now is ("" when not merged).

    Full personal data needs the ``EXPORT_FULL`` permission; ``masked`` exports (names 夏某云, IDs and phones masked,
    addresses cut to the village) are open to whoever may see cases, restricted to the cases they may see. Either
    export is audited before the first case is produced."""
    with ctx.db.write() as session:
        require(session, actor_id, Permission.VIEW_CASES if masked else Permission.EXPORT_FULL)
        audit.record(session, user_id=actor_id, desk_id=desk_id, action="export", entity="case", entity_id="*",
                     detail="masked" if masked else "full")
    person = _masked_person if masked else _full_person
    with ctx.db.read() as session:
        # labels read once: the identity map is cleared after every batch below
        cat_label = directory.category_labels(session)
        loc_label = directory.locality_labels(session, session.scalars(select(Locality.id)))
        unit = {u.id: u.name for u in session.scalars(select(Unit))}
        desks = {d.id: d.code for d in session.scalars(select(Desk))}
        users = {u.id: u.display_name for u in session.scalars(select(User))}
        offset = 0
        while True:
            # (only the 已撤销 half of ``counted_case``: see the docstring)
            chosen = select(Case) if include_void else select(Case).where(not_void(Case))
            cases = session.scalars(chosen.order_by(Case.case_no).offset(offset).limit(batch)).all()
            if not cases:
                break
            offset += len(cases)
            ids = [c.id for c in cases]
            if actor_id is not None:
                keep = set(visible_case_ids(session, actor_id, ids))
                cases = [c for c in cases if c.id in keep]
                ids = [c.id for c in cases]
            visits_by_case: dict[str, list[Visit]] = {}
            for v in session.scalars(select(Visit).where(Visit.case_id.in_(ids)).order_by(Visit.visit_no)):
                visits_by_case.setdefault(v.case_id, []).append(v)
            survivors = case_survivors(session, [c.id for c in cases if c.merged_into])
            merged_no = {cid: no for cid, no in session.execute(select(Case.id, Case.case_no).where(
                Case.id.in_(sorted(set(survivors.values())))))} if survivors else {}
            for c in cases:
                yield {
                    "case_no": c.case_no,
                    "id": c.id,
                    "query_code": c.query_code,
                    "registered_at": c.registered_at.isoformat(),
                    "status": c.status,
                    "merged_into": merged_no.get(survivors.get(c.id, ""), ""),
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
                            "petitioners": [person(vp) for vp in v.persons],
                        }
                        for v in visits_by_case.get(c.id, [])
                    ],
                }
            session.expunge_all()


def _full_person(vp: VisitPerson) -> dict[str, Any]:
    p = vp.petitioner
    return {"name": p.name, "id_type": p.id_type, "id_number": p.id_number, "gender": p.gender, "phone": p.phone,
            "address": p.address, "is_representative": vp.is_representative}


def _masked_person(vp: VisitPerson) -> dict[str, Any]:
    p = vp.petitioner
    return {"name": mask_name(p.name), "id_type": p.id_type, "id_number": mask_id(p.id_number or ""),
            "gender": p.gender, "phone": mask_phone(p.phone or ""), "address": mask_address(p.address),
            "is_representative": vp.is_representative}
