"""History check at intake: has this person, or this matter, been here before?

Lookups use indexed equality on the blind indexes (keyed HMACs) of the normalised ID number and phone, which are
stored encrypted (``reception.security.crypto``), and an index range scan for names
(``name >= prefix AND name < prefix + U+10FFFF``), so they stay fast with a million visits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import AuditEntry, Case, Category, Petitioner, Unit, Visit, VisitPerson
from reception.domain.enums import CaseStatus, HistoryFlag
from reception.domain.errors import FieldError
from reception.domain.idnumber import parse_resident_id
from reception.domain.masking import mask_id, mask_phone
from reception.domain.phone import normalize_phone
from reception.intake import directory
from reception.intake.dto import CaseSummary, HistoryPage, HistoryResult, PersonMatch
from reception.merge.resolve import case_groups, case_survivors, not_void, petitioner_groups, petitioner_survivors
from reception.security.crypto import blind_index
from reception.security.permissions import Permission, PermissionDenied, require

R = TypeVar("R", HistoryResult, HistoryPage)

MAX_PERSONS = 20
MAX_CASES_PER_PERSON = 20
EXCERPT = 40


def _normalise_id(text: str) -> str | None:
    text = text.strip().upper()
    if not text:
        return None
    try:
        return parse_resident_id(text, today=None).number  # a look-up: any well-formed number
    except FieldError:
        # other document types are stored as typed (upper-case, no spaces)
        return "".join(text.split()) if len(text) >= 5 else None


def _normalise_phone(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        return normalize_phone(text).number
    except FieldError:
        return None


def lookup_history(
    ctx: AppContext,
    *,
    id_number: str = "",
    phone: str = "",
    name: str = "",
    user_id: str | None = None,
    desk_id: str | None = None,
) -> HistoryResult:
    """Earlier petitioners matching any of the inputs, strongest match first, with their cases and flags.

    Only the centre's staff may look people up (``user_id`` None: the system); each person shown is audited."""
    return audited_history(ctx, lambda session: find_history(session, id_number=id_number, phone=phone, name=name),
                           user_id=user_id, desk_id=desk_id)


def audited_history(ctx: AppContext, find: Callable[[Session], R], *, user_id: str | None,
                    desk_id: str | None) -> R:
    """Run a history look-up ``find`` for ``user_id`` (the centre's staff only), then audit each person it shows
    (which person, matched how: never what was typed). Also serves the history panel's search box
    (``reception.search.service.search_history``)."""
    with ctx.db.read() as session:
        user = require(session, user_id, Permission.VIEW_CASES)
        if user is not None and user.role == "unit_staff":
            raise PermissionDenied("责任单位工作人员无权查询信访人历史记录。")
        result = find(session)
    persons = result.history.persons if isinstance(result, HistoryPage) else result.persons
    if persons and user_id is not None:
        with ctx.db.write() as session:
            for person in persons:
                session.add(AuditEntry(user_id=user_id, desk_id=desk_id, action="view_history", entity="petitioner",
                                       entity_id=person.petitioner_id, detail=",".join(person.matched_by)))
    return result


def find_history(session: Session, *, id_number: str = "", phone: str = "", name: str = "") -> HistoryResult:
    matches: dict[str, set[str]] = defaultdict(set)
    norm_id = _normalise_id(id_number)
    if norm_id:
        bidx = blind_index(norm_id, "id_number")
        for pid in session.scalars(select(Petitioner.id).where(Petitioner.id_number_bidx == bidx).limit(MAX_PERSONS)):
            matches[pid].add("id_number")
    norm_phone = _normalise_phone(phone)
    if norm_phone:
        bidx = blind_index(norm_phone, "phone")
        for pid in session.scalars(select(Petitioner.id).where(Petitioner.phone_bidx == bidx).limit(MAX_PERSONS)):
            matches[pid].add("phone")
    clean_name = "".join(name.split())
    if len(clean_name) >= 2:
        for pid in session.scalars(select(Petitioner.id).where(Petitioner.name == clean_name).limit(MAX_PERSONS)):
            matches[pid].add("name")
    if not matches:
        return HistoryResult()
    # a merged-away record found is found as the person it was merged into (``reception.merge``)
    survivors = petitioner_survivors(session, matches)
    people: dict[str, set[str]] = defaultdict(set)
    for pid, how in matches.items():
        people[survivors[pid]] |= how
    strength = {"id_number": 4, "phone": 2, "name": 1}
    ranked = sorted(people, key=lambda pid: -sum(strength[m] for m in people[pid]))[:MAX_PERSONS]
    return history_of(session, ranked,
                      {pid: tuple(m for m in ("id_number", "phone", "name") if m in people[pid]) for pid in ranked},
                      resolved=True)


def history_of(session: Session, ranked: Sequence[str], matched_by: Mapping[str, tuple[str, ...]], *,
               resolved: bool = False) -> HistoryResult:
    """The given petitioners in this order, masked, each with their visit count and newest cases. A merged-away
    record is shown as the person it was merged into, once, with the visits of every record of the merge (each
    visit counted once) and its cases as the cases they were merged into. ``resolved``: ``ranked`` are surviving
    records already."""
    if not ranked:
        return HistoryResult()
    survivors = {pid: pid for pid in ranked} if resolved else petitioner_survivors(session, ranked)
    order: list[str] = []
    how: dict[str, list[str]] = {}
    for pid in ranked:
        sid = survivors[pid]
        if sid not in how:
            order.append(sid)
            how[sid] = []
        how[sid].extend(m for m in matched_by.get(pid, ()) if m not in how[sid])
    people = {p.id: p for p in session.scalars(select(Petitioner).where(Petitioner.id.in_(order)))}
    stats, newest = _visits_by_person(session, petitioner_groups(session, order))
    summaries = {s.id: s for s in summarise_cases(session, {cid for ids in newest.values() for cid in ids})}
    persons: list[PersonMatch] = []
    for pid in order:
        p = people.get(pid)
        if p is None:
            continue
        visit_count, last = stats.get(pid, (0, None))
        persons.append(
            PersonMatch(
                petitioner_id=pid,
                name=p.name,
                id_type=p.id_type,
                id_masked=mask_id(p.id_number or ""),
                phone_masked=mask_phone(p.phone or ""),
                gender=p.gender,
                address=p.address,
                matched_by=tuple(how[pid]),
                visit_count=visit_count,
                last_visit_on=last,
                cases=tuple(summaries[cid] for cid in newest.get(pid, ()) if cid in summaries),
            )
        )
    return HistoryResult(tuple(persons))


def _visits_by_person(
    session: Session, groups: Mapping[str, Sequence[str]]
) -> tuple[dict[str, tuple[int, date | None]], dict[str, list[str]]]:
    """Each person's (the records of ``groups``, merged into its key) visit count and last visit, and their newest
    cases as the cases they now are (at most MAX_CASES_PER_PERSON, newest last visit first), so only those cases get
    summarised. One query (a person's visits are few: tens, not thousands); a visit with two records of one person
    counts once."""
    person_of = {member: pid for pid, members in groups.items() for member in members}
    if not person_of:
        return {}, {}
    rows = session.execute(
        select(Visit.case_id, Visit.visited_on, Visit.id, VisitPerson.petitioner_id, Case.case_no)
        .select_from(VisitPerson)
        .join(Visit, Visit.id == VisitPerson.visit_id)
        .join(Case, Case.id == Visit.case_id)
        # (only the 已撤销 half of ``counted_case``: a merged-away case's visits are the person's visits, listed
        # under the case it now is just below)
        .where(VisitPerson.petitioner_id.in_(list(person_of)), not_void(Case))
    ).all()
    cases_now = case_survivors(session, {r[0] for r in rows})
    numbers = {r[0]: r[4] for r in rows}
    per_case: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    """person -> case now -> [last visit, visits]"""
    seen: dict[str, set[str]] = defaultdict(set)
    for case_id, on, visit_id, member, _no in rows:
        pid = person_of[member]
        if visit_id in seen[pid]:
            continue
        seen[pid].add(visit_id)
        acc = per_case[pid].setdefault(cases_now[case_id], [on, 0])
        acc[0], acc[1] = max(acc[0], on), acc[1] + 1
    moved = {now for now in cases_now.values() if now not in numbers}  # (survivors none of these visits is on)
    if moved:
        numbers.update({cid: no for cid, no in session.execute(
            select(Case.id, Case.case_no).where(Case.id.in_(moved)))})
    stats: dict[str, tuple[int, date | None]] = {}
    newest: dict[str, list[str]] = {}
    for pid, by_case in per_case.items():
        cases = sorted(((last, numbers.get(cid, ""), cid, n) for cid, (last, n) in by_case.items()), reverse=True)
        stats[pid] = (sum(c[3] for c in cases), cases[0][0])
        newest[pid] = [c[2] for c in cases[:MAX_CASES_PER_PERSON]]
    return stats, newest


def case_flags(status: str, visit_count: int, any_skip_level: bool) -> tuple[HistoryFlag, ...]:
    """Flags of an existing case: 重复访 once it has had more than one visit, 越级访 when any visit skipped a level,
    and whether it is in handling or concluded. (A new visit joining the case is itself a repeat visit: see
    ``intake.join_flags``.)"""
    flags: list[HistoryFlag] = []
    if visit_count > 1:
        flags.append(HistoryFlag.REPEAT)
    if any_skip_level:
        flags.append(HistoryFlag.SKIP_LEVEL)
    try:
        parsed = CaseStatus.parse(status)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.in_handling:
        flags.append(HistoryFlag.IN_HANDLING)
    if parsed is CaseStatus.FINAL:
        flags.append(HistoryFlag.CONCLUDED)
    return tuple(flags)


def summarise_cases(session: Session, case_ids: Iterable[str]) -> list[CaseSummary]:
    """Summaries of the given cases in a fixed number of queries (no per-case round trips)."""
    ids = list(case_ids)
    if not ids:
        return []
    cases = session.scalars(select(Case).where(Case.id.in_(ids))).all()
    # the visits of a case include those of the cases merged into it (``reception.merge``)
    case_of = {member: cid for cid, members in case_groups(session, ids).items() for member in members}
    stats: dict[str, tuple[int, date | None, bool]] = {}
    for member, n, last, skip in session.execute(
            select(Visit.case_id, func.count(), func.max(Visit.visited_on), func.max(Visit.is_skip_level))
            .where(Visit.case_id.in_(list(case_of)))
            .group_by(Visit.case_id)):
        count, latest, skipped = stats.get(case_of[member], (0, None, False))
        stats[case_of[member]] = (count + int(n), last if latest is None or (last and last > latest) else latest,
                                  skipped or bool(skip))
    # the first person of the first visit represents the case in lists
    first_person: dict[str, tuple[str, str, str, str]] = {}
    counts: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(Visit.case_id, Visit.visit_no, VisitPerson.position, Petitioner.id, Petitioner.name,
               Petitioner.id_number, Petitioner.phone)
        .join(VisitPerson, VisitPerson.visit_id == Visit.id)
        .join(Petitioner, Petitioner.id == VisitPerson.petitioner_id)
        .where(Visit.case_id.in_(ids))
        .order_by(Visit.case_id, Visit.visit_no, VisitPerson.position)
    ).all()
    seen_people: dict[str, set[str]] = defaultdict(set)
    for case_id, _vno, _pos, pid, pname, pidno, pphone in rows:
        first_person.setdefault(case_id, (pid, pname, pidno or "", pphone or ""))
        if pid not in seen_people[case_id]:
            seen_people[case_id].add(pid)
            counts[case_id] += 1
    cat_names = _names(session, Category, {c.category_id for c in cases})
    loc_names = directory.locality_labels(session, {c.locality_id for c in cases})
    unit_names = _names(session, Unit, {c.unit_id for c in cases if c.unit_id})
    out: list[CaseSummary] = []
    for c in cases:
        visit_count, last_on, skip = stats.get(c.id, (0, c.registered_on, False))
        _pid, pname, pidno, pphone = first_person.get(c.id, ("", "", "", ""))
        more = counts.get(c.id, 0) - 1
        out.append(
            CaseSummary(
                id=c.id,
                case_no=c.case_no,
                registered_on=c.registered_on,
                status=c.status,
                status_label=CaseStatus.label_of(c.status),
                category=cat_names.get(c.category_id, ""),
                locality=loc_names.get(c.locality_id, ""),
                unit=unit_names.get(c.unit_id or "", c.legal_channel),
                request_excerpt=c.request if len(c.request) <= EXCERPT else c.request[:EXCERPT] + "…",
                visit_count=visit_count,
                last_visit_on=last_on or c.registered_on,
                petitioner_names=pname + (f" 等{more + 1}人" if more > 0 else ""),
                id_masked=mask_id(pidno),
                phone_masked=mask_phone(pphone),
                flags=case_flags(c.status, visit_count, skip),
                content_class=c.content_class,
                category_id=c.category_id,
                locality_id=c.locality_id,
            )
        )
    return out


def _names(session: Session, model: type[Category] | type[Unit], ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {row[0]: row[1] for row in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}

