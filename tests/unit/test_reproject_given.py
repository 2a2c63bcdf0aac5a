"""``lifecycle.service.reproject_cases`` with ``given`` (the cases a pull has just inserted, with their events):
the clocks are the ones reading the events back gives, the events are not read back, and a case whose stored events
are not exactly the given ones is read as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from reception.db.models import Case, CaseClock, CaseEvent
from reception.lifecycle import service as lc
from reception.lifecycle.machine import Event
from tests.unit.conftest import Desk
from tests.unit.test_lifecycle import handling_case  # noqa: F401  (the fixture)


def _clocks(session: Session, case_id: str) -> list[tuple[Any, ...]]:
    return sorted((c.clock_key, c.kind, c.unit_id, c.started_on, c.due_on, c.amber_on, c.allowed, c.extended_by, c.ref)
                  for c in session.scalars(select(CaseClock).where(CaseClock.case_id == case_id)))


def _given(session: Session, case_id: str, *, drop_last: bool = False,
           kind_of_last: str | None = None) -> dict[str, lc.GivenCase]:
    case = session.get(Case, case_id)
    assert case is not None
    stored = sorted(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)),
                    key=lambda e: (e.occurred_at, e.id))
    events = [Event(e.kind, e.occurred_on, e.actor_id, e.unit_id, e.data or {}) for e in stored]
    if drop_last:
        events = events[:-1]
    if kind_of_last is not None:
        events[-1] = Event(kind_of_last, events[-1].on, events[-1].actor_id, events[-1].unit_id, events[-1].data)
    return {case_id: lc.GivenCase(case.id, case.merged_into, case.content_class, case.status, case.registered_on,
                                  case.unit_id, tuple(events))}


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_given_case_is_projected_as_read_back_without_reading_its_events(
        handling_case: tuple[Desk, str, str]) -> None:  # noqa: F811
    desk, cid, _handler = handling_case
    with desk.ctx.db.write() as s:
        lc.reproject_cases(s, [cid], desk.ctx.calendar)
        expected = _clocks(s, cid)
        assert expected
        given = _given(s, cid)
        with _statements(s) as seen:
            lc.reproject_cases(s, [cid], desk.ctx.calendar, given)
        assert _clocks(s, cid) == expected
        assert not [q for q in seen if "case_event.data" in q or "FROM petition_case" in q], seen
        # (and the given events are what it projects: a different step, the same count, other clocks)
        lc.reproject_cases(s, [cid], desk.ctx.calendar, _given(s, cid, kind_of_last="signed"))
        assert _clocks(s, cid) != expected


def test_a_case_whose_stored_events_are_not_the_given_ones_is_read_back(
        handling_case: tuple[Desk, str, str]) -> None:  # noqa: F811
    desk, cid, _handler = handling_case
    with desk.ctx.db.write() as s:
        lc.reproject_cases(s, [cid], desk.ctx.calendar)
        expected = _clocks(s, cid)
        with _statements(s) as seen:
            lc.reproject_cases(s, [cid], desk.ctx.calendar, _given(s, cid, drop_last=True))
        assert _clocks(s, cid) == expected
        assert [q for q in seen if "case_event.data" in q]
