"""Reading through merges: the surviving record of a merged-away case or petitioner, and the group of records
merged into one (``reception.merge``). Only the desk's tables; imported by the readers (case detail, search,
history, intake), so it imports nothing of theirs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, func, select, text
from sqlalchemy.orm import Session, aliased

from reception.db.models import Case, Petitioner
from reception.domain.enums import VOID_STATUSES

MAX_DEPTH = 32
"""A chain of merges longer than this is cut (it cannot be made by the service; a guard against a loop)."""
CHUNK = 500


def _survivors(session: Session, model: type[Case] | type[Petitioner], ids: Iterable[str]) -> dict[str, str]:
    out = {i: i for i in ids}
    pending = set(out)
    for _ in range(MAX_DEPTH):
        current = {out[i] for i in pending}
        found: dict[str, str] = {}
        listed = sorted(current)
        for start in range(0, len(listed), CHUNK):
            chunk = listed[start:start + CHUNK]
            found.update({rid: into for rid, into in session.execute(
                select(model.id, model.merged_into).where(model.id.in_(chunk), model.merged_into.is_not(None)))
                if into})
        if not found:
            break
        pending = {i for i in pending if out[i] in found}
        for i in pending:
            out[i] = found[out[i]]
    return out


def merged_into_any(session: Session, model: type[Case] | type[Petitioner],
                     ids: list[str]) -> list[tuple[str, str]]:
    """(id, merged_into) of the records merged into any of ``ids``, through the ``merged_into`` index. On SQLite the
    index is named (``INDEXED BY``): ANALYZE sees a column that is almost all NULL as one value shared by every row
    and the planner then scans the whole table for each look-up (measured: 3-14 ms a history check on 10,000
    cases, growing with the table)."""
    if not ids:
        return []
    if session.get_bind().dialect.name == "sqlite":
        table = model.__tablename__
        stmt = text(f"SELECT id, merged_into FROM {table} INDEXED BY ix_{table}_merged_into "
                    "WHERE merged_into IN :ids").bindparams(bindparam("ids", expanding=True))
        return [(str(r[0]), str(r[1])) for r in session.execute(stmt, {"ids": ids})]
    return [(rid, into) for rid, into in session.execute(
        select(model.id, model.merged_into).where(model.merged_into.in_(ids))) if into]


def _group(session: Session, model: type[Case] | type[Petitioner], survivor_id: str) -> list[str]:
    group = [survivor_id]
    frontier = [survivor_id]
    for _ in range(MAX_DEPTH):
        frontier = [rid for rid, _into in merged_into_any(session, model, frontier) if rid not in group]
        if not frontier:
            break
        group.extend(frontier)
    return group


def _groups(session: Session, model: type[Case] | type[Petitioner],
            survivor_ids: Iterable[str]) -> dict[str, list[str]]:
    """``_group`` of many survivors at once: one query per level of merges (one in all when nothing was merged)."""
    groups = {sid: [sid] for sid in survivor_ids}
    owner = {sid: sid for sid in groups}
    frontier = sorted(groups)
    for _ in range(MAX_DEPTH):
        found: list[tuple[str, str]] = []
        for start in range(0, len(frontier), CHUNK):
            found.extend((rid, into) for rid, into in merged_into_any(session, model,
                                                                       frontier[start:start + CHUNK])
                         if rid not in owner)
        if not found:
            break
        frontier = []
        for rid, into in found:
            owner[rid] = owner[into]
            groups[owner[rid]].append(rid)
            frontier.append(rid)
    return groups


def counted_case(model: Any = Case) -> ColumnElement[bool]:
    """The one condition that a case row counts as a case of its own (statistics, the case lists, the search, the
    clock catch-up, the leaders' lists): not merged away, and not 已撤销 (``CaseStatus.VOID``: a ledger import
    undone after it synced, no petition matter at all). A merged group counts once, as its surviving case.
    ``model``: ``Case`` or an alias of it. A new exclusion (a state that must not count, be listed or be searched)
    belongs here and in ``counted_case_data``.

    Written so that no index can serve it (both columns inside ``coalesce``): ``merged_into IS NULL`` and
    ``status NOT IN ('void')`` are true of nearly every case, yet SQLite's planner, with the statistics
    ``PRAGMA optimize`` takes, chose ``ix_petition_case_merged_into`` for the first and read the whole table
    (0.3 s a save at a million visits, in the clock catch-up) instead of the date range's index; the status index
    would tempt it the same way (``tests/unit/test_query_plans.py``)."""
    return and_(func.coalesce(model.merged_into, "") == "", not_void(model))


def not_void(model: Any = Case) -> ColumnElement[bool]:
    """Half of ``counted_case``, for a reader that counts a merged-away case's rows on purpose and needs only the
    已撤销 exclusion: rows naming a case that are counted as the case it now is (``case_now_id``: ownership,
    supervision, down-visits), the visits of the history check (resolved to the surviving case), the records a
    list or an export shows by their own number. Index-proof as ``counted_case``."""
    return func.coalesce(model.status, "").not_in(VOID_STATUSES)


def names_no_void_case(case_id: Any) -> ColumnElement[bool]:
    """For a row that names a case (``case_id``: a visit's, an event's) and counts as itself whatever became of
    the case's number: the case is not 已撤销. Visits still count as visits and steps as steps when their case was
    merged away (the merge moves no row), so only the 已撤销 half of ``counted_case`` applies. An uncorrelated
    subquery over ``ix_petition_case_status``: the void cases are few, and that index is the right one here."""
    column: ColumnElement[Any] = case_id
    return column.not_in(select(Case.id).where(Case.status.in_(VOID_STATUSES)))


SQL_DEPTH = 4
"""How many merges ``case_now_id`` follows in SQL (each level is a primary-key look-up of a merged-away row only; a
chain needs a merge into a case that was itself merged away later, one merge at a time; the service refuses a
merge into a merged-away case, so a chain grows by one level per such merge)."""


def case_now_id(model: Any = Case) -> ColumnElement[str]:
    """In SQL, the id of the case a case row now is: the end of its chain of merges (a case merged into a case
    that was later merged away itself counts as the last one; up to ``SQL_DEPTH`` merges), else its own. For counts
    of distinct cases over rows that name a case (ownership, supervision, down-visits) and for the unit a visit
    counts under. An unmerged row costs nothing more (``CASE``: the look-ups run only for merged-away rows)."""
    return case((model.merged_into.is_(None), model.id), else_=_chain(model.merged_into, SQL_DEPTH))


def _chain(case_id: ColumnElement[Any], depth: int) -> ColumnElement[Any]:
    """The end of the chain of merges from ``case_id`` (not null), following at most ``depth`` more merges:
    ``coalesce(end from the next case, this one)``; the next case of a case not merged away is NULL, and so is
    every end from it. Each look-up is correlated to the outermost row (``correlate_except``: a nested sub-select
    would otherwise take the outer table into its own FROM, a scan of every case)."""
    if depth == 0:
        return case_id
    hop = aliased(Case, name=f"merge_hop_{depth}")
    following = select(hop.merged_into).where(hop.id == case_id).correlate_except(hop).scalar_subquery()
    return func.coalesce(_chain(following, depth - 1), case_id)


def counted_case_data(data: Mapping[str, Any]) -> bool:
    """``counted_case`` for a case as a synced record's data (the server's tables hold the desks' JSON): not
    merged away and not 已撤销. The record carries the status the events determine (a desk's step and the
    server's ``casework.apply`` both write it with the event), so the data alone decides."""
    return not merged_away_data(data) and not void_data(data)


def merged_away_data(data: Mapping[str, Any]) -> bool:
    """Half of ``counted_case_data``: the record was merged into another case (for who follows the merge: the
    query page, a unit's old address, a step refused with the survivor's number)."""
    return bool(data.get("merged_into"))


def void_data(data: Mapping[str, Any]) -> bool:
    """Half of ``counted_case_data``: the record is 已撤销 (for who must still say so: the query page's message)."""
    return str(data.get("status") or "") in VOID_STATUSES


def case_survivors(session: Session, case_ids: Iterable[str]) -> dict[str, str]:
    """Each case id -> the case it now is (itself unless merged away, following merges of merges)."""
    return _survivors(session, Case, case_ids)


def case_survivor(session: Session, case_id: str) -> str:
    return case_survivors(session, [case_id])[case_id]


def case_group(session: Session, case_id: str) -> list[str]:
    """The surviving case of ``case_id`` first, then every case merged into it (directly or through another)."""
    return _group(session, Case, case_survivor(session, case_id))


def case_groups(session: Session, survivor_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each given case id -> itself first, then every case merged into it (directly or through another)."""
    return _groups(session, Case, survivor_ids)


def petitioner_survivors(session: Session, ids: Iterable[str]) -> dict[str, str]:
    return _survivors(session, Petitioner, ids)


def petitioner_survivor(session: Session, petitioner_id: str) -> str:
    return petitioner_survivors(session, [petitioner_id])[petitioner_id]


def petitioner_group(session: Session, petitioner_id: str) -> list[str]:
    """The surviving record of ``petitioner_id`` first, then every record merged into it."""
    return _group(session, Petitioner, petitioner_survivor(session, petitioner_id))


def petitioner_groups(session: Session, survivor_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each given petitioner id -> itself first, then every record merged into it."""
    return _groups(session, Petitioner, survivor_ids)
