"""Reading through merges: the surviving record of a merged-away case or petitioner, and the group of records
merged into one (``reception.merge``). Only the desk's tables; imported by the readers (case detail, search,
history, intake), so it imports nothing of theirs."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import Case, Petitioner

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


def _group(session: Session, model: type[Case] | type[Petitioner], survivor_id: str) -> list[str]:
    group = [survivor_id]
    frontier = [survivor_id]
    for _ in range(MAX_DEPTH):
        frontier = [rid for rid in session.scalars(select(model.id).where(model.merged_into.in_(frontier)))
                    if rid not in group]
        if not frontier:
            break
        group.extend(frontier)
    return group


def case_survivors(session: Session, case_ids: Iterable[str]) -> dict[str, str]:
    """Each case id -> the case it now is (itself unless merged away, following merges of merges)."""
    return _survivors(session, Case, case_ids)


def case_survivor(session: Session, case_id: str) -> str:
    return case_survivors(session, [case_id])[case_id]


def case_group(session: Session, case_id: str) -> list[str]:
    """The surviving case of ``case_id`` first, then every case merged into it (directly or through another)."""
    return _group(session, Case, case_survivor(session, case_id))


def petitioner_survivors(session: Session, ids: Iterable[str]) -> dict[str, str]:
    return _survivors(session, Petitioner, ids)


def petitioner_survivor(session: Session, petitioner_id: str) -> str:
    return petitioner_survivors(session, [petitioner_id])[petitioner_id]


def petitioner_group(session: Session, petitioner_id: str) -> list[str]:
    """The surviving record of ``petitioner_id`` first, then every record merged into it."""
    return _group(session, Petitioner, petitioner_survivor(session, petitioner_id))
