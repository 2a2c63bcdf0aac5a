"""What the public query page reads from the server's records: a case by its number, its events, its first
visit's persons, unit names. Lookups by the ids inside the records' JSON use the partial expression indexes of
migration ``s0004_query`` (``ix_record_case_ref``, ``ix_record_visit_ref``), spelled here exactly as there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from reception.domain.enums import CaseStatus
from reception.lifecycle import machine
from reception.lifecycle.machine import CaseState
from reception.server.casework import event_moment, iso_day, machine_event, surviving_record
from reception.server.jsonref import json_ref, table_literal
from reception.server.models import Record
from reception.server.protect import Sealer


def _json_ref(session: Session, key: str, table: str = "record") -> ColumnElement[Any]:
    """``data.<key>`` as the expression indexes of ``s0004_query`` spell it (``table``: the alias in the query)."""
    return json_ref(session, key, table)


def _literal(table: str) -> ColumnElement[Any]:
    """A table name written into the SQL (not a parameter): SQLite uses a partial index only when the query's
    condition is visibly the index's."""
    return table_literal(table)


FIRST_KINDS = frozenset({"received", "visit_added"})


@dataclass
class PublicCase:
    """A case as the query page needs it: its record (opened), its events in replay order, their fold."""

    id: str
    data: dict[str, Any]
    events: list[dict[str, Any]]
    state: CaseState
    visits: list[dict[str, Any]] = field(default_factory=list)
    opened_as: str = ""
    """The merged-away case number this case was opened by (its receipt's), "" when opened by its own."""


def find_case(session: Session, sealer: Sealer, case_no: str) -> PublicCase | None:
    """The live case numbered ``case_no``, with its events folded by the core's state machine; None if none. (A
    merged-away case is this case itself, as its receipt names it: ``surviving_case`` reads the case it now is.)"""
    row = session.execute(select(Record.record_id, Record.data).where(
        Record.table_name == "petition_case", Record.natural_key == case_no, Record.deleted.is_(False))
        .limit(1)).first()
    return _public(session, sealer, row[0], row[1]) if row is not None else None


def surviving_case(session: Session, sealer: Sealer, case: PublicCase) -> PublicCase:
    """The case ``case`` now is: the case it was merged into (following merges of merges;
    ``casework.surviving_record``), with ``opened_as`` the number it was opened by; ``case`` itself when it was not
    merged away (or its survivor is not on the server yet)."""
    found = surviving_record(session, sealer, case.data)
    current = _public(session, sealer, found[0], found[1]) if found is not None else None
    if current is None:
        return case
    current.opened_as = str(case.data.get("case_no", ""))
    return current


def _public(session: Session, sealer: Sealer, record_id: str, sealed: Any) -> PublicCase | None:
    if not sealed:
        return None
    data = sealer.open("petition_case", sealed) or {}
    linked = case_records(session, record_id)
    events = [d for table, d in linked if table == "case_event"]
    visits = [d for table, d in linked if table == "visit"]
    # (the desk's replay order; the intake writes its registration and its routing at one moment: registration
    # first, so the page reads in the order things happened)
    events.sort(key=lambda e: (event_moment(e.get("occurred_at")), e.get("kind") not in FIRST_KINDS,
                               str(e.get("id", ""))))
    state = machine.fold([machine_event(e) for e in events], content_class=str(data.get("content_class", "")))
    if not events:  # (a case without events: trust its row, as the desk does)
        state.status = CaseStatus.parse(str(data.get("status") or CaseStatus.REGISTERED.value))
        state.received_on = iso_day(data.get("registered_on"), date.min) if data.get("registered_on") else None
    return PublicCase(record_id, data, events, state, visits)


CASE_TABLES = ("case_event", "visit", "supervision")
"""The tables of ``ix_record_case_ref`` (its WHERE, which the query repeats word for word: SQLite uses a partial
index only then)."""


def case_records(session: Session, case_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The live case_event, visit and supervision records naming ``case_id``, with their table: one indexed
    query."""
    query = select(Record.table_name, Record.data).where(
        Record.table_name.in_([_literal(t) for t in CASE_TABLES]), _json_ref(session, "case_id") == case_id,
        Record.deleted.is_(False))
    return [(t, d) for t, d in session.execute(query) if d]


def first_petitioner_name(session: Session, case: PublicCase) -> str:
    """The name of the first person of the case's first visit (the representative first), "" if none: the
    visit's persons and their petitioner records in one indexed query."""
    visits = sorted(case.visits, key=lambda v: int(v.get("visit_no") or 0))
    if not visits:
        return ""
    person = aliased(Record, name="vp")
    petitioner_id = _json_ref(session, "petitioner_id", "vp")
    rows = session.execute(
        select(person.data, Record.data)
        .select_from(person)
        .join(Record, (Record.table_name == "petitioner") & (Record.record_id == petitioner_id))
        .where(person.table_name == _literal("visit_person"), _json_ref(session, "visit_id", "vp") ==
               str(visits[0].get("id")), person.deleted.is_(False))).all()
    if not rows:
        return ""
    _, first = min(rows, key=lambda r: (not (r[0] or {}).get("is_representative"), int((r[0] or {}).get("position")
                                                                                        or 0)))
    return str((first or {}).get("name") or "")


def unit_names(session: Session) -> dict[str, str]:
    """Every unit's name by its id (the directory: a few hundred records)."""
    rows = session.execute(select(Record.record_id, Record.data).where(Record.table_name == "unit"))
    return {rid: str((data or {}).get("name") or "") for rid, data in rows}
