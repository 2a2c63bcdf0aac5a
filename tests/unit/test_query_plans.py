"""Query plans under a big desk's planner statistics: no statement a save or the statistics run reads the
``merged_into`` index for "not merged" (true of nearly every case), which at a million visits read the whole table:
0.3 s a save in the clock catch-up, found by ``bench/bench_intake.py``.

The statistics are those ``PRAGMA optimize`` left in a generated million-visit data directory (``sqlite_stat1`` of
``petition_case``); the plans are SQLite's own (``EXPLAIN QUERY PLAN``) for every statement actually executed.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from sqlalchemy import event

from reception.stats import queries
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, save

BIG_DESK_STATS = [  # sqlite_stat1 of petition_case at 1,000,000 visits (bench/generate_fast.py, then the app's open)
    ("ix_petition_case_merged_into", "782304 2001"),
    ("ix_petition_case_query_code", "732720 1"),
    ("ix_petition_case_unit_id", "5140152 2001"),
    ("ix_petition_case_status", "745674 1334"),
    ("ix_petition_case_registered_on", "877266 1001"),
    ("ix_petition_case_locality_id", "443256 2001"),
]


def _big_desk_statistics(desk: Desk) -> None:
    with desk.ctx.db.write() as session:
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.execute("ANALYZE")  # creates sqlite_stat1
        raw.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'petition_case'")
        raw.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('petition_case', ?, ?)", BIG_DESK_STATS)
    desk.ctx.db.engine.dispose()  # every new connection reads the statistics again


def _plans(desk: Desk) -> tuple[list[tuple[str, str]], Any]:
    seen: list[tuple[str, str]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if executemany or not statement.lstrip().upper().startswith("SELECT") or "petition_case" not in statement:
            return
        raw = conn.connection.driver_connection
        plan = " | ".join(str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters or ()))
        seen.append((statement, plan))

    event.listen(desk.ctx.db.engine, "before_cursor_execute", explain)
    return seen, explain


def test_not_merged_is_never_read_through_the_merged_into_index(desk: Desk) -> None:
    _big_desk_statistics(desk)
    seen, listener = _plans(desk)
    try:
        save(desk, form(desk))
        with desk.ctx.db.read() as session:
            queries.new_cases(session, date(2026, 1, 1), date(2026, 12, 31))
            queries.cases_by_day(session, date(2026, 1, 1), date(2026, 12, 31))
            queries.case_groups(session, date(2026, 1, 1), date(2026, 12, 31))
    finally:
        event.remove(desk.ctx.db.engine, "before_cursor_execute", listener)
    assert any("case_clock" in statement for statement, _ in seen)  # the clock catch-up was looked at
    bad = [(statement, plan) for statement, plan in seen
           if "ix_petition_case_merged_into" in plan and "merged_into IN" not in statement
           and "merged_into =" not in statement]
    assert not bad, bad
