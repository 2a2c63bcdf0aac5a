"""What the public query page reads from the server's records: a case by its number, its events, its first
visit's persons, unit names. Lookups by the ids inside the records' JSON use the partial expression indexes of
migration ``s0004_query`` (``ix_record_case_ref``, ``ix_record_visit_ref``), spelled here exactly as there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, literal_column, select
from sqlalchemy.orm import Session

from reception.db.base import CHINA_TZ
from reception.domain.enums import CaseStatus
from reception.lifecycle import machine
from reception.lifecycle.machine import CaseState, Event
from reception.server.models import Record
from reception.server.protect import Sealer


def _json_ref(session: Session, key: str) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return literal_column(f"(record.data ->> '{key}')")
    return literal_column(f"json_extract(record.data, '$.{key}')")


def _moment(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day(value: Any, fallback: date) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return fallback


def machine_event(data: dict[str, Any]) -> Event:
    """A synced ``case_event`` row as the state machine sees it (``lifecycle.service.load_state``)."""
    at = _moment(data.get("occurred_at"))
    return Event(str(data.get("kind", "")), _day(data.get("occurred_on"), at.astimezone(CHINA_TZ).date()),
                 data.get("actor_id") or None, data.get("unit_id") or None, data.get("data") or {})


FIRST_KINDS = frozenset({"received", "visit_added"})


@dataclass
class PublicCase:
    """A case as the query page needs it: its record (opened), its events in replay order, their fold."""

    id: str
    data: dict[str, Any]
    events: list[dict[str, Any]]
    state: CaseState


def find_case(session: Session, sealer: Sealer, case_no: str) -> PublicCase | None:
    """The live case numbered ``case_no``, with its events folded by the core's state machine; None if none."""
    row = session.execute(select(Record.record_id, Record.data).where(
        Record.table_name == "petition_case", Record.natural_key == case_no, Record.deleted.is_(False))
        .limit(1)).first()
    if row is None or not row[1]:
        return None
    data = sealer.open("petition_case", row[1]) or {}
    events = case_records(session, "case_event", row[0])
    # (the desk's replay order; the intake writes its registration and its routing at one moment: registration
    # first, so the page reads in the order things happened)
    events.sort(key=lambda e: (_moment(e.get("occurred_at")), e.get("kind") not in FIRST_KINDS, str(e.get("id", ""))))
    state = machine.fold([machine_event(e) for e in events], content_class=str(data.get("content_class", "")))
    if not events:  # (a case without events: trust its row, as the desk does)
        state.status = CaseStatus.parse(str(data.get("status") or CaseStatus.REGISTERED.value))
        state.received_on = _day(data.get("registered_on"), date.min) if data.get("registered_on") else None
    return PublicCase(row[0], data, events, state)


def case_records(session: Session, table: str, case_id: str) -> list[dict[str, Any]]:
    """The live records of ``table`` (case_event, visit, supervision) naming ``case_id`` (indexed)."""
    query = select(Record.data).where(Record.table_name == table, _json_ref(session, "case_id") == case_id,
                                      Record.deleted.is_(False))
    return [d for d in session.scalars(query) if d]


def first_petitioner_name(session: Session, case_id: str) -> str:
    """The name of the first person of the case's first visit (the representative first), "" if none."""
    visits = sorted(case_records(session, "visit", case_id), key=lambda v: int(v.get("visit_no") or 0))
    if not visits:
        return ""
    persons = [d for d in session.scalars(select(Record.data).where(
        Record.table_name == "visit_person", _json_ref(session, "visit_id") == str(visits[0].get("id")),
        Record.deleted.is_(False))) if d]
    if not persons:
        return ""
    first = min(persons, key=lambda p: (not p.get("is_representative"), int(p.get("position") or 0)))
    petitioner = session.scalar(select(Record.data).where(Record.table_name == "petitioner",
                                                          Record.record_id == str(first.get("petitioner_id"))))
    return str((petitioner or {}).get("name") or "")


def unit_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Record.record_id, Record.data).where(Record.table_name == "unit",
                                                                        Record.record_id.in_(sorted(ids))))
    return {rid: str((data or {}).get("name") or "") for rid, data in rows}
