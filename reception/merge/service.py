"""Merging cases and petitioners, and undoing a merge (the design: ``reception.merge``).

Each use case is one write transaction: the merge record, the merged-away record's ``merged_into`` (its version
bumped, so a desk's offline edit of it becomes a version conflict on the server), for cases the surviving case's
lifecycle event (``lifecycle.service.record_merge``) with the clocks recomputed, and an audit entry. The outbox
captures them like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import Case, CaseMerge, Petitioner, PetitionerMerge
from reception.db.settings import load_desk_settings
from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.domain.textcheck import field_problem
from reception.intake.cases import require_case_visible
from reception.lifecycle.machine import EventKind
from reception.lifecycle.service import load_state, record_merge, reproject_cases
from reception.merge.resolve import void_data
from reception.security import audit
from reception.security.permissions import Permission, require

REASON_FIELD = "合并理由"
UNDO_REASON_FIELD = "撤销理由"
REASON_MAX = 500


class MergeError(ReceptionError):
    key = "merge_refused"


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_id: str
    survivor_id: str
    merged_id: str
    received_on: date | None = None
    """(cases) the receipt date that now governs the surviving case's clocks."""


@dataclass(frozen=True, slots=True)
class MergeRecord:
    id: str
    survivor_id: str
    merged_id: str
    merged_label: str
    """The merged-away case's number, or the petitioner's name."""
    reason: str
    made_at: datetime
    undone: bool
    superseded: bool = False
    """Not undone, but the merged record is no longer merged into this survivor: merged into another (two desks
    merged it offline into different records and the other merge reached the server first; this one's change was
    a conflict settled for the other) or its mark lost. Undo it (``undo_case_merge``): nothing else changes."""


def _reason(text: str, field: str) -> str:
    clean = (text or "").strip()
    if not clean:
        raise FieldError(field, f"请填写{field}", key="reason_required")
    problem = field_problem(field, clean, REASON_MAX)
    if problem:
        raise FieldError(field, problem, key="reason_invalid")
    return clean


def _desk_id(session: Session, desk_id: str | None) -> str:
    chosen = desk_id or load_desk_settings(session).desk_id
    if not chosen:
        raise NotFoundError("本机工位未设置，请先在“设置”中选择。", key="desk_not_configured")
    return chosen


def _own_receipt(case: Case) -> date:
    return case.received_on or case.registered_on


def _receipt(session: Session, case: Case) -> date:
    """The receipt date that governs the case's clocks now (its own, or the earliest of cases merged into it)."""
    state = load_state(session, case)
    return state.received_on or _own_receipt(case)


# -- cases ------------------------------------------------------------------------------------------------------


def merge_cases(ctx: AppContext, survivor_id: str, merged_id: str, *, reason: str, actor_id: str | None,
                desk_id: str | None = None) -> MergeResult:
    """Merge case ``merged_id`` into ``survivor_id`` (合并案件). Refused for the same case, a case already merged
    away, or a user without ``Permission.MERGE``; ``FieldError`` without a reason."""
    with ctx.db.write() as session:
        return merge_cases_in_session(session, survivor_id, merged_id, reason=reason, actor_id=actor_id,
                                      desk_id=desk_id, now=ctx.now(), ctx=ctx)


def merge_cases_in_session(session: Session, survivor_id: str, merged_id: str, *, reason: str,
                           actor_id: str | None, desk_id: str | None, now: datetime, ctx: AppContext) -> MergeResult:
    require(session, actor_id, Permission.MERGE)
    clean = _reason(reason, REASON_FIELD)
    if survivor_id == merged_id:
        raise MergeError("不能把案件与它自己合并", key="merge_same")
    survivor, merged = session.get(Case, survivor_id), session.get(Case, merged_id)
    if survivor is None or merged is None:
        raise NotFoundError("未找到要合并的案件", key="case_not_found")
    for case in (survivor, merged):
        require_case_visible(session, actor_id, case.id)
        if case.merged_into:
            into = session.scalar(select(Case.case_no).where(Case.id == case.merged_into)) or ""
            raise MergeError(f"案件 {case.case_no} 已并入案件 {into}，请选择该案件", key="merge_already_merged")
        if void_data({"status": case.status}):  # (an undone import's case: nothing to keep, no clock to run)
            raise MergeError(f"案件 {case.case_no} 已撤销，不能合并", key="merge_void")
    desk = _desk_id(session, desk_id)
    earliest = min(_receipt(session, survivor), _receipt(session, merged))
    record = CaseMerge(survivor_id=survivor.id, merged_id=merged.id, merged_case_no=merged.case_no, undoes=None,
                       reason=clean, actor_id=actor_id, desk_id=desk, made_at=now)
    session.add(record)
    merged.merged_into = survivor.id
    merged.version += 1
    session.flush()
    reproject_cases(session, [merged.id], ctx.calendar)  # (its clocks end: the survivor's run)
    record_merge(session, survivor, EventKind.MERGED, note=f"并入案件 {merged.case_no}：{clean}",
                 data={"merge_id": record.id, "case_id": merged.id, "case_no": merged.case_no,
                       "received_on": earliest.isoformat()},
                 actor_id=actor_id, now=now, cal=ctx.calendar)
    audit.record(session, user_id=actor_id, desk_id=desk, action="merge", entity="case", entity_id=survivor.id,
                 detail=f"merged:{merged.case_no}", changes={"merged_into": [None, survivor.id]})
    return MergeResult(record.id, survivor.id, merged.id, earliest)


def undo_case_merge(ctx: AppContext, merge_id: str, *, reason: str, actor_id: str | None,
                    desk_id: str | None = None) -> MergeResult:
    """Undo a case merge (撤销合并; administrators): the merged-away case is a case of its own again, with its own
    clocks; the surviving case's receipt date is the earliest of what is still merged into it. A superseded merge
    (``MergeRecord.superseded``: the case now merged into another) is undone without touching that case."""
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        clean = _reason(reason, UNDO_REASON_FIELD)
        record = session.get(CaseMerge, merge_id)
        if record is None or record.undoes is not None:
            raise NotFoundError("未找到该合并记录", key="merge_not_found")
        if session.scalar(select(CaseMerge.id).where(CaseMerge.undoes == record.id)) is not None:
            raise MergeError("该合并已撤销", key="merge_already_undone")
        survivor, merged = session.get(Case, record.survivor_id), session.get(Case, record.merged_id)
        if survivor is None or merged is None:
            raise MergeError("案件的合并状态已变化（可能尚未同步），不能撤销这次合并", key="merge_state_changed")
        superseded = merged.merged_into != survivor.id  # (only the record and the survivor's receipt date change)
        desk = _desk_id(session, desk_id)
        now = ctx.now()
        undo = CaseMerge(survivor_id=survivor.id, merged_id=merged.id, merged_case_no=merged.case_no,
                         undoes=record.id, reason=clean, actor_id=actor_id, desk_id=desk, made_at=now)
        session.add(undo)
        if not superseded:
            merged.merged_into = None
            merged.version += 1
        session.flush()
        remaining = [_own_receipt(survivor)] + [_receipt(session, c) for c in session.scalars(
            select(Case).where(Case.merged_into == survivor.id))]
        earliest = min(remaining)
        record_merge(session, survivor, EventKind.UNMERGED, note=f"撤销与案件 {merged.case_no} 的合并：{clean}",
                     data={"merge_id": undo.id, "undoes": record.id, "case_id": merged.id,
                           "case_no": merged.case_no, "received_on": earliest.isoformat()},
                     actor_id=actor_id, now=now, cal=ctx.calendar)
        if not superseded:
            reproject_cases(session, [merged.id], ctx.calendar)
        audit.record(session, user_id=actor_id, desk_id=desk, action="unmerge", entity="case",
                     entity_id=survivor.id, detail=f"unmerged:{merged.case_no}" + (":superseded" if superseded else ""),
                     changes={} if superseded else {"merged_into": [survivor.id, None]})
        return MergeResult(undo.id, survivor.id, merged.id, earliest)


def case_merges(ctx: AppContext, case_id: str) -> list[MergeRecord]:
    """The merges into a case (and into the cases merged into it), newest first, each marked when undone."""
    from reception.merge.resolve import case_group

    with ctx.db.read() as session:
        group = case_group(session, case_id)
        rows = list(session.scalars(select(CaseMerge).where(CaseMerge.survivor_id.in_(group))))
        into = {cid: to for cid, to in session.execute(select(Case.id, Case.merged_into).where(
            Case.id.in_({r.merged_id for r in rows})))}
    undone = {r.undoes for r in rows if r.undoes}
    return sorted((MergeRecord(r.id, r.survivor_id, r.merged_id, r.merged_case_no, r.reason, r.made_at,
                               r.id in undone, r.id not in undone and into.get(r.merged_id) != r.survivor_id)
                   for r in rows if r.undoes is None),
                  key=lambda r: r.made_at, reverse=True)


# -- petitioners ------------------------------------------------------------------------------------------------


def merge_petitioners(ctx: AppContext, survivor_id: str, merged_id: str, *, reason: str, actor_id: str | None,
                      desk_id: str | None = None) -> MergeResult:
    """Merge petitioner record ``merged_id`` into ``survivor_id`` (合并信访人): its visits and cases are read as
    the survivor's; both records (and their blind and search indexes) stay, the merged one resolved."""
    with ctx.db.write() as session:
        require(session, actor_id, Permission.MERGE)
        clean = _reason(reason, REASON_FIELD)
        if survivor_id == merged_id:
            raise MergeError("不能把信访人与其自身合并", key="merge_same")
        survivor, merged = session.get(Petitioner, survivor_id), session.get(Petitioner, merged_id)
        if survivor is None or merged is None:
            raise NotFoundError("未找到要合并的信访人", key="petitioner_not_found")
        for person in (survivor, merged):
            if person.merged_into:
                raise MergeError("该信访人记录已并入另一条记录，请选择那条记录", key="merge_already_merged")
        desk = _desk_id(session, desk_id)
        record = PetitionerMerge(survivor_id=survivor.id, merged_id=merged.id, undoes=None, reason=clean,
                                 actor_id=actor_id, desk_id=desk, made_at=ctx.now())
        session.add(record)
        merged.merged_into = survivor.id
        merged.version += 1
        session.flush()
        audit.record(session, user_id=actor_id, desk_id=desk, action="merge", entity="petitioner",
                     entity_id=survivor.id, detail=f"merged:{merged.id}",
                     changes={"merged_into": [None, survivor.id]})
        return MergeResult(record.id, survivor.id, merged.id)


def undo_petitioner_merge(ctx: AppContext, merge_id: str, *, reason: str, actor_id: str | None,
                          desk_id: str | None = None) -> MergeResult:
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        clean = _reason(reason, UNDO_REASON_FIELD)
        record = session.get(PetitionerMerge, merge_id)
        if record is None or record.undoes is not None:
            raise NotFoundError("未找到该合并记录", key="merge_not_found")
        if session.scalar(select(PetitionerMerge.id).where(PetitionerMerge.undoes == record.id)) is not None:
            raise MergeError("该合并已撤销", key="merge_already_undone")
        merged = session.get(Petitioner, record.merged_id)
        if merged is None:
            raise MergeError("信访人的合并状态已变化（可能尚未同步），不能撤销这次合并", key="merge_state_changed")
        superseded = merged.merged_into != record.survivor_id  # (as for cases: only the record is written)
        desk = _desk_id(session, desk_id)
        undo = PetitionerMerge(survivor_id=record.survivor_id, merged_id=merged.id, undoes=record.id, reason=clean,
                               actor_id=actor_id, desk_id=desk, made_at=ctx.now())
        session.add(undo)
        if not superseded:
            merged.merged_into = None
            merged.version += 1
        session.flush()
        audit.record(session, user_id=actor_id, desk_id=desk, action="unmerge", entity="petitioner",
                     entity_id=record.survivor_id,
                     detail=f"unmerged:{merged.id}" + (":superseded" if superseded else ""),
                     changes={} if superseded else {"merged_into": [record.survivor_id, None]})
        return MergeResult(undo.id, record.survivor_id, merged.id)


def petitioner_merges(ctx: AppContext, petitioner_id: str) -> list[MergeRecord]:
    from reception.merge.resolve import petitioner_group

    with ctx.db.read() as session:
        group = petitioner_group(session, petitioner_id)
        rows = list(session.scalars(select(PetitionerMerge).where(PetitionerMerge.survivor_id.in_(group))))
        people = {p.id: (p.name, p.merged_into) for p in session.scalars(select(Petitioner).where(
            Petitioner.id.in_([r.merged_id for r in rows])))}
    undone = {r.undoes for r in rows if r.undoes}
    return sorted((MergeRecord(r.id, r.survivor_id, r.merged_id, people.get(r.merged_id, ("", None))[0], r.reason,
                               r.made_at, r.id in undone,
                               r.id not in undone and people.get(r.merged_id, ("", None))[1] != r.survivor_id)
                   for r in rows if r.undoes is None),
                  key=lambda r: r.made_at, reverse=True)


# -- listing for the desk's views -------------------------------------------------------------------------------

CASE, PETITIONER = "case", "petitioner"


@dataclass(frozen=True, slots=True)
class MergeListing:
    """One merge as the administrator's list shows it (合并记录): what was merged into what, and whether undone."""

    kind: str
    """``CASE`` or ``PETITIONER``."""
    record: MergeRecord
    survivor_label: str
    """The surviving case's number, or the surviving petitioner's name with the ID masked."""
    merged_label: str
    """The merged-away case's number, or the petitioner's name with the ID masked."""


def _person_label(person: Petitioner | None) -> str:
    from reception.domain.masking import mask_id

    if person is None:
        return ""
    masked = mask_id(person.id_number or "")
    return f"{person.name}（{masked}）" if masked else person.name


def all_merges(ctx: AppContext, *, actor_id: str | None, limit: int = 500) -> list[MergeListing]:
    """Every merge of cases and of petitioners (the undo records folded in as ``undone``), newest first, at most
    ``limit``; administrators only (``Permission.ADMIN``), as undoing is theirs."""
    with ctx.db.read() as session:
        require(session, actor_id, Permission.ADMIN)
        out: list[MergeListing] = []
        case_rows = list(session.scalars(select(CaseMerge)))
        case_undone = {r.undoes for r in case_rows if r.undoes}
        case_nos = {cid: no for cid, no in session.execute(select(Case.id, Case.case_no).where(
            Case.id.in_({r.survivor_id for r in case_rows if r.undoes is None})))}
        for r in case_rows:
            if r.undoes is None:
                out.append(MergeListing(CASE, MergeRecord(r.id, r.survivor_id, r.merged_id, r.merged_case_no,
                                                          r.reason, r.made_at, r.id in case_undone),
                                        case_nos.get(r.survivor_id, ""), r.merged_case_no))
        person_rows = list(session.scalars(select(PetitionerMerge)))
        person_undone = {r.undoes for r in person_rows if r.undoes}
        ids = {r.survivor_id for r in person_rows} | {r.merged_id for r in person_rows}
        people = {p.id: p for p in session.scalars(select(Petitioner).where(Petitioner.id.in_(ids)))}
        for p in person_rows:
            if p.undoes is None:
                merged = people.get(p.merged_id)
                out.append(MergeListing(PETITIONER, MergeRecord(p.id, p.survivor_id, p.merged_id,
                                                                merged.name if merged else "", p.reason, p.made_at,
                                                                p.id in person_undone),
                                        _person_label(people.get(p.survivor_id)), _person_label(merged)))
    out.sort(key=lambda m: m.record.made_at, reverse=True)
    return out[:limit]


def merged_away(ctx: AppContext, petitioner_ids: list[str]) -> dict[str, str]:
    """Of ``petitioner_ids``, those merged into another record: id -> the record it is now read as."""
    from reception.merge.resolve import petitioner_survivors

    with ctx.db.read() as session:
        return {pid: into for pid, into in petitioner_survivors(session, petitioner_ids).items() if into != pid}


def case_merge_listings(ctx: AppContext, case_id: str) -> list[MergeListing]:
    """``case_merges`` as the case detail lists them: each with the number of the case it was merged into."""
    records = case_merges(ctx, case_id)
    with ctx.db.read() as session:
        numbers = {cid: no for cid, no in session.execute(select(Case.id, Case.case_no).where(
            Case.id.in_({r.survivor_id for r in records})))}
    return [MergeListing(CASE, r, numbers.get(r.survivor_id, ""), r.merged_label) for r in records]
