"""Query plans under a big desk's planner statistics: no statement a save or the statistics run reads the
``merged_into`` index for "not merged" (true of nearly every case), which at a million visits read the whole table:
0.3 s a save in the clock catch-up, found by ``bench/bench_intake.py``; nor the ``status`` index for "not 已撤销"
(``merge.resolve.counted_case`` / ``not_void``: true of nearly every case too), only for the few 已撤销 cases
(``names_no_void_case``).

The statistics are those ``PRAGMA optimize`` left in a generated million-visit data directory (``sqlite_stat1`` of
``petition_case``); the plans are SQLite's own (``EXPLAIN QUERY PLAN``) for every statement actually executed.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

from reception.intake.cases import cases_registered_on
from reception.intake.history import find_history
from reception.search.service import search
from reception.stats import queries
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, resident_id, save

BIG_DESK_STATS = [  # sqlite_stat1 at 1,000,000 visits (bench/generate_fast.py, then the app's open and migration)
    ("petitioner_gram", "petitioner_gram", "781200 81 1"),
    ("case_event", "ix_case_event_case_kind", "2363634 7 1 1 1"),
    ("case_event", "ix_case_event_kind_on", "3878160 2001 501"),
    ("case_event", "ix_case_event_case_at", "5020491 7 1"),
    ("case_event", "sqlite_autoindex_case_event_1", "4838400 1"),
    ("petition_case", "ix_petition_case_merged_into", "782304 2001"),
    ("petition_case", "ix_petition_case_query_code", "732720 1"),
    ("petition_case", "ix_petition_case_unit_id", "5140152 2001"),
    ("petition_case", "ix_petition_case_status", "745674 1334"),
    ("petition_case", "ix_petition_case_registered_on", "877266 1001"),
    ("petition_case", "ix_petition_case_locality_id", "443256 2001"),
    ("petition_case", "sqlite_autoindex_petition_case_2", "883694 1"),
    ("petition_case", "sqlite_autoindex_petition_case_1", "455400 1"),
    ("visit", "ix_visit_visited_on", "1113453 1001"),
    ("visit", "sqlite_autoindex_visit_2", "801040 2 1"),
    ("visit", "sqlite_autoindex_visit_1", "499200 1"),
    ("petitioner_token", "petitioner_token", "14066784 3 1"),
    ("visit_person", "ix_visit_person_visit_id", "499200 1"),
    ("visit_person", "ix_visit_person_petitioner_id", "583200 3"),
    ("visit_person", "sqlite_autoindex_visit_person_2", "1024144 1 1"),
    ("visit_person", "sqlite_autoindex_visit_person_1", "544480 1"),
    ("case_clock", "ix_case_clock_unit_kind_due", "3459600 2001 2001 22"),
    ("case_clock", "ix_case_clock_case_id", "459774 1"),
    ("case_clock", "ix_case_clock_kind_due", "838656 2001 149"),
    ("case_clock", "ix_case_clock_kind_due_amber", "847788 2001 149 149"),
    ("case_clock", "sqlite_autoindex_case_clock_1", "356606 1"),
    ("petitioner", "ix_petitioner_merged_into", "279328 2001"),
    ("petitioner", "ix_petitioner_phone_bidx", "418770 1"),
    ("petitioner", "ix_petitioner_id_number_bidx", "404811 1"),
    ("petitioner", "ix_petitioner_name", "378576 4"),
    ("petitioner", "sqlite_autoindex_petitioner_1", "387942 1"),
]
BIG_TABLES = sorted({table for table, _, _ in BIG_DESK_STATS})


def _big_desk_statistics(desk: Desk) -> None:
    with desk.ctx.db.write() as session:
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.execute("ANALYZE")  # creates sqlite_stat1
        raw.execute("DELETE FROM sqlite_stat1")
        raw.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", BIG_DESK_STATS)
    desk.ctx.db.engine.dispose()  # every new connection reads the statistics again


def _plans(desk: Desk) -> tuple[list[tuple[str, str]], Any]:
    seen: list[tuple[str, str]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if executemany or not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            return
        raw = conn.connection.driver_connection
        plan = " | ".join(str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters or ()))
        seen.append((statement, plan))

    event.listen(desk.ctx.db.engine, "before_cursor_execute", explain)
    return seen, explain


def _at_a_big_desk(desk: Desk) -> list[tuple[str, str]]:
    """Every SELECT of a save, a repeat visit, the history check, the search box, the day's cases and the
    statistics' case counts, with its plan under a big desk's statistics."""
    first = save(desk, form(desk))
    _big_desk_statistics(desk)
    seen, listener = _plans(desk)
    try:
        save(desk, form(desk, join_case_id=first.case_id))
        save(desk, form(desk, person=replace(form(desk).person, name="夏明月", id_number=resident_id(
            "43050319810202123"), phone="13912345678")))
        with desk.ctx.db.read() as session:
            find_history(session, name="夏明云")
            find_history(session, id_number=resident_id())
            queries.new_cases(session, date(2026, 1, 1), date(2026, 12, 31))
            queries.cases_by_day(session, date(2026, 1, 1), date(2026, 12, 31))
            queries.case_groups(session, date(2026, 1, 1), date(2026, 12, 31))
            for by_day in (False, True):
                queries.visit_unit_groups(session, date(2026, 1, 1), date(2026, 12, 31), by_day=by_day)
            for count in (queries.count_owned, queries.count_supervised, queries.count_down_visits,
                          queries.count_appointments, queries.count_backlog, queries.reception_groups,
                          queries.visit_groups):
                count(session, date(2026, 1, 1), date(2026, 12, 31))
        cases_registered_on(desk.ctx, desk.clock.moment.date(), user_id=desk.officer_id)
        for text in ("夏明云", "5678", first.case_no, "尚书茗苑"):
            search(desk.ctx, text, user_id=desk.officer_id)
    finally:
        event.remove(desk.ctx.db.engine, "before_cursor_execute", listener)
    return seen


def test_not_merged_is_never_read_through_a_merged_into_index(desk: Desk) -> None:
    seen = _at_a_big_desk(desk)
    assert any("case_clock" in statement for statement, _ in seen)  # the clock catch-up was looked at
    bad = [(statement, plan) for statement, plan in seen
           if "_merged_into" in plan and "merged_into IN" not in statement and "merged_into =" not in statement]
    assert not bad, bad


def test_no_statement_reads_a_big_table_whole(desk: Desk) -> None:
    seen = _at_a_big_desk(desk)
    assert any("petitioner_token" in statement for statement, _ in seen)  # the search's and the history's reads
    assert any("visit_person" in statement for statement, _ in seen)
    assert len(seen) > 50
    whole = re.compile(rf"\bSCAN ({'|'.join(BIG_TABLES)})\b")
    bad = [(statement, plan) for statement, plan in seen if whole.search(plan)]
    assert not bad, bad


def test_not_void_is_never_read_through_the_status_index(desk: Desk) -> None:
    """The status index serves only the look-up of the few 已撤销 cases (``status IN ('void')``), never the
    condition that a case is not one (a list of every other status would read nearly the whole table through it)."""
    seen = _at_a_big_desk(desk)
    flat = [(" ".join(statement.split()), plan) for statement, plan in seen]
    assert any("FROM petition_case WHERE petition_case.registered_on" in statement and "petition_case.status" in
               statement for statement, _ in flat)  # counted_case was planned (the new cases' count)
    assert any("ix_petition_case_status" in plan for _, plan in seen)  # and the void cases' look-up
    void_lookup = re.compile(r"WHERE petition_case\.status IN \(\?\)\)")
    bad = [(statement, plan) for statement, plan in flat
           if "ix_petition_case_status" in plan and not void_lookup.search(statement)]
    assert not bad, bad


def test_recent_cases_walk_the_registration_day_index(desk: Desk) -> None:
    """最近登记 (the case page's first list) reads the newest cases through the registration day's index and stops
    at its limit, instead of sorting every case by its moment (``registered_at`` has no index)."""
    from reception.intake.cases import recent_cases

    start = desk.clock.moment
    saved = []
    for moment in (start, start + timedelta(days=1, hours=-1), start + timedelta(days=1, hours=1)):
        desk.clock.moment = moment  # two cases on one day, at different moments, after one of the day before
        saved.append(save(desk, form(desk)))
    _big_desk_statistics(desk)
    seen, listener = _plans(desk)
    try:
        found = recent_cases(desk.ctx, limit=2, user_id=desk.officer_id)
    finally:
        event.remove(desk.ctx.db.engine, "before_cursor_execute", listener)
    assert [case.id for case in found] == [saved[2].case_id, saved[1].case_id]
    plans = [plan for statement, plan in seen if "ORDER BY petition_case.registered_on DESC" in statement]
    assert plans, [statement for statement, _ in seen]
    assert all("ix_petition_case_registered_on" in plan and "TEMP B-TREE FOR ORDER BY" not in plan
               for plan in plans), plans


def _trigger_statements(raw: sqlite3.Connection, name: str) -> list[str]:
    """The statements of trigger ``name``'s body, with ``NEW.x``/``OLD.x`` as parameters (for EXPLAIN)."""
    sql = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).fetchone()[0]
    body = sql[sql.upper().index(" BEGIN ") + len(" BEGIN "):sql.upper().rindex("END")]
    return [re.sub(r"\b(NEW|OLD)\.\w+", "?", statement).strip() for statement in body.split(";") if statement.strip()]


def test_the_statistics_trigger_finds_merged_cases_through_an_index_on_a_desk_without_merges(desk: Desk) -> None:
    """A real desk has (nearly) no merged case: ``PRAGMA optimize`` then records that ``merged_into`` is null on
    every row, and a full index on it looked no better than a scan. The statistics cache's trigger asks "the cases
    merged into this one" four levels deep on every update of a case (its unit, its day): it scanned the case table
    four times, a second a save at 80,000 cases (migration ``0016_partialmerge``: a partial index)."""
    for _ in range(3):
        save(desk, form(desk))
    with desk.ctx.db.write() as session:
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.execute("ANALYZE")  # the statistics as the desk's own PRAGMA optimize leaves them: no merged case ...
        merged_rows = {idx for (idx,) in raw.execute("SELECT idx FROM sqlite_stat1 WHERE idx LIKE '%merged_into'")}
        raw.execute("DELETE FROM sqlite_stat1")  # ... at the size of a big desk
        raw.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                        [(table, idx, stat) for table, idx, stat in BIG_DESK_STATS if not idx.endswith("merged_into")])
        raw.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",  # one key: null, on every row
                        [(table, idx, f"{rows} {rows}") for table, idx, rows in (
                            ("petition_case", "ix_petition_case_merged_into", 782304),
                            ("petitioner", "ix_petitioner_merged_into", 279328)) if idx in merged_rows])
    desk.ctx.db.engine.dispose()
    with desk.ctx.db.write() as session:
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        statements = _trigger_statements(raw, "trg_stats_petition_case_update")
        assert sum("merged_into" in statement for statement in statements) == 4
        plans = {statement: " | ".join(str(row[-1]) for row in raw.execute(
            "EXPLAIN QUERY PLAN " + statement, (None,) * statement.count("?"))) for statement in statements}
    merged = {statement: plan for statement, plan in plans.items() if "merged_into" in statement}
    assert all("ix_petition_case_merged_into" in plan for plan in merged.values()), merged
    whole = re.compile(r"\bSCAN (petition_case|visit)\b")
    assert not [(statement, plan) for statement, plan in plans.items() if whole.search(plan)], plans
