"""``db.bulk.insert_rows`` replaces the statistics cache's day trigger (migration 0006) by one statement for a bulk
insert: the same days forgotten as the trigger forgets, the trigger there again with the same text afterwards and
whenever the insert fails, and a trigger whose text differs from the migration's left to fire."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from reception.db.base import new_id
from reception.db.bulk import BYPASS_FROM_ROWS, DAY_TRIGGERS, _day_trigger_sql, execute_many
from reception.db.models import CaseEvent, StatsCachedDay
from tests.unit.conftest import Desk
from tests.unit.test_security import intake

FIRST = date(2021, 3, 1)


def _trigger(conn: Any, table: str = "case_event") -> str | None:
    return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                (f"trg_stats_{table}_insert",)).scalar()


def _events(desk: Desk, count: int) -> list[dict[str, Any]]:
    """``count`` copies of a registered case's first event, on the days FIRST, FIRST + 2, FIRST + 4, ..."""
    case_id = intake(desk)
    with desk.ctx.db.read() as s:
        first = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).first()
        assert first is not None
        row = {c.key: getattr(first, c.key) for c in CaseEvent.__table__.columns}
    out = []
    for i in range(count):
        day = FIRST + timedelta(days=2 * i)
        out.append(row | {"id": new_id(), "occurred_on": day, "occurred_at": row["occurred_at"].replace(
            year=day.year, month=day.month, day=day.day)})
    return out


def _mark_days(s: Any, days: int) -> None:
    """Every day from FIRST on for ``days`` days marked as cached."""
    s.execute(insert(StatsCachedDay), [{"day": FIRST + timedelta(days=i), "ready": True} for i in range(days)])


def test_the_desks_day_triggers_are_the_ones_replaced(desk: Desk) -> None:
    with desk.ctx.db.read() as s:
        conn = s.connection()
        for table, column in DAY_TRIGGERS.items():
            assert _trigger(conn, table) == _day_trigger_sql(table, column)


@pytest.mark.parametrize("count", [BYPASS_FROM_ROWS - 1, BYPASS_FROM_ROWS, 700])
def test_a_bulk_insert_forgets_the_days_the_trigger_forgets(desk: Desk, count: int) -> None:
    rows = _events(desk, count)
    statements: list[str] = []
    engine = desk.ctx.db.engine

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with desk.ctx.db.write() as s:
            _mark_days(s, 2 * count + 10)
            execute_many(s.connection(), insert(CaseEvent.__table__), rows)
            assert _trigger(s.connection()) == _day_trigger_sql("case_event", "occurred_on")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # (the trigger was set aside for a batch from BYPASS_FROM_ROWS rows on, and only then)
    assert ("DROP TRIGGER trg_stats_case_event_insert" in statements) == (count >= BYPASS_FROM_ROWS)
    with desk.ctx.db.read() as s:
        left = set(s.scalars(select(StatsCachedDay.day)))
        stored = s.scalar(select(CaseEvent.occurred_on).where(CaseEvent.id == rows[-1]["id"]))
    written = {FIRST + timedelta(days=2 * i) for i in range(count)}
    assert left == {FIRST + timedelta(days=i) for i in range(2 * count + 10)} - written
    assert stored == FIRST + timedelta(days=2 * (count - 1))
    with desk.ctx.db.write() as s:  # and the trigger works as before for the next row
        assert FIRST + timedelta(days=1) in left
        one = rows[0] | {"id": new_id(), "occurred_on": FIRST + timedelta(days=1)}
        s.execute(insert(CaseEvent.__table__), [one])
    with desk.ctx.db.read() as s:
        assert FIRST + timedelta(days=1) not in set(s.scalars(select(StatsCachedDay.day)))


def test_a_failed_bulk_insert_leaves_the_trigger_in_place(desk: Desk) -> None:
    rows = _events(desk, 100)
    rows[70]["id"] = rows[3]["id"]  # a duplicate key: the executemany fails part way
    with pytest.raises(IntegrityError), desk.ctx.db.write() as s:
        _mark_days(s, 5)
        try:
            execute_many(s.connection(), insert(CaseEvent.__table__), rows)
        finally:
            assert _trigger(s.connection()) == _day_trigger_sql("case_event", "occurred_on")
    with desk.ctx.db.read() as s:
        assert _trigger(s.connection()) == _day_trigger_sql("case_event", "occurred_on")
        assert s.scalar(select(CaseEvent.id).where(CaseEvent.id == rows[3]["id"])) is None


def test_a_trigger_changed_since_the_migration_keeps_firing(desk: Desk) -> None:
    rows = _events(desk, 100)
    changed = ("CREATE TRIGGER trg_stats_case_event_insert AFTER INSERT ON case_event BEGIN "
               "DELETE FROM stats_cached_day WHERE day IN (NEW.occurred_on, '2030-01-01');  END")
    with desk.ctx.db.write() as s:
        conn = s.connection()
        conn.exec_driver_sql("DROP TRIGGER trg_stats_case_event_insert")
        conn.exec_driver_sql(changed)
        s.add(StatsCachedDay(day=date(2030, 1, 1), ready=True))
    with desk.ctx.db.write() as s:
        execute_many(s.connection(), insert(CaseEvent.__table__), rows)
    with desk.ctx.db.read() as s:
        assert _trigger(s.connection()) == changed
        assert date(2030, 1, 1) not in set(s.scalars(select(StatsCachedDay.day)))  # (only the trigger does that)
