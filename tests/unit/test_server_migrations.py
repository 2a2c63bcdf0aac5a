"""The server's own migrations: upgrade head equals the server models, on SQLite and (when available) PostgreSQL;
the case-number index is partial (only case records carry a natural key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from reception.server.db import make_server_engine, upgrade_server_database
from reception.server.models import EXPRESSION_INDEXES, ServerBase, include_object


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_server_upgrade_head_equals_the_models(dialect: str, tmp_path: Path) -> None:
    if dialect == "sqlite":
        engine = make_server_engine(f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}")
        _check(engine)
        return
    from tests.pg import pg_base_url
    from tests.sync.harness import pg_schema_url

    base = pg_base_url()  # skipped when unset, failed when set and unreachable

    with pg_schema_url(base) as url:
        _check(make_server_engine(url))


def _check(engine) -> None:  # type: ignore[no-untyped-def]
    try:
        upgrade_server_database(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                          "include_object": include_object}),
                                    ServerBase.metadata)
            names = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'" if engine.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE tablename = 'record'")}
            indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("record")}
        assert diff == []
        assert names >= EXPRESSION_INDEXES  # (the query page's JSON indexes, outside the comparison)
        where = indexes["ix_record_natural"].get("dialect_options", {})
        assert any("natural_key IS NOT NULL" in str(v) for v in where.values()), indexes["ix_record_natural"]
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_each_json_lookup_uses_its_expression_index(dialect: str, tmp_path: Path) -> None:
    """The real queries (a unit's cases for ``/unit``, a case's events for the state machine, a case's records and a
    visit's persons for ``/query``), captured as the database receives them and run again under EXPLAIN: each uses
    its expression index of ``models.EXPRESSION_INDEXES``, on both dialects (``reception.server.jsonref``)."""
    if dialect == "sqlite":
        _check_plans(f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}", tmp_path)
        return
    from tests.pg import pg_base_url
    from tests.sync.harness import pg_schema_url

    with pg_schema_url(pg_base_url()) as url:
        _check_plans(url, tmp_path)


def _check_plans(url: str, tmp_path: Path) -> None:
    from typing import Any

    from sqlalchemy import event

    from reception.server import casework, unit_work
    from reception.server.db import ServerDatabase
    from reception.server.models import Record
    from reception.server.web import casedata

    db = ServerDatabase(url, tmp_path)
    try:
        db.migrate()
        with db.session() as s:  # a few hundred records of each kind, so that an index is worth it
            for i in range(300):
                case = f"c{i}"
                s.add(Record(table_name="petition_case", record_id=case, version=1, seq=4 * i + 1, deleted=False,
                             data={"id": case, "unit_id": f"u{i % 30}", "content_class": "claim"}, origin="t"))
                s.add(Record(table_name="case_event", record_id=f"e{i}", version=1, seq=4 * i + 2, deleted=False,
                             data={"id": f"e{i}", "case_id": case, "kind": "received",
                                   "occurred_at": "2026-09-16T01:00:00+00:00"}, origin="t"))
                s.add(Record(table_name="visit", record_id=f"v{i}", version=1, seq=4 * i + 3, deleted=False,
                             data={"id": f"v{i}", "case_id": case}, origin="t"))
                s.add(Record(table_name="visit_person", record_id=f"p{i}", version=1, seq=4 * i + 4, deleted=False,
                             data={"id": f"p{i}", "visit_id": f"v{i}", "petitioner_id": f"x{i}"}, origin="t"))
        seen: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            # the unit list's next call reads only what changed since, by sequence number (before any ANALYZE: a
            # SQLite server never has planner statistics)
            from datetime import date

            unit_work._listing(db, "u7", date(2026, 9, 16))
            seen.clear()
            unit_work._listing(db, "u7", date(2026, 9, 16))
            since = next((st, p) for st, p in seen if "record.seq >" in st)
            changed_plan = _plan(db.engine, *since)
            assert "seq>" in changed_plan.replace(" ", "") or "record_seq" in changed_plan, changed_plan
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            with db.read() as s:
                lookups = {
                    "ix_record_case_unit": lambda: unit_work._unit_cases(s, db, "u7"),
                    "ix_record_event_case": lambda: casework.event_records(s, ["c7", "c8"]),
                    "ix_record_case_ref": lambda: casedata.case_records(s, "c7"),
                    "ix_record_visit_ref": lambda: casedata.first_petitioner_name(
                        s, casedata.PublicCase("c7", {}, [], casework.fold_case({}, []), [{"id": "v7"}])),
                }
                plans = {}
                for index, run in lookups.items():
                    seen.clear()
                    run()
                    statement, parameters = next((st, p) for st, p in seen if "FROM record" in st)
                    plans[index] = _plan(db.engine, statement, parameters)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        for index, plan in plans.items():
            assert index in plan, (index, plan)
    finally:
        db.dispose()


def _plan(engine, statement: str, parameters: object) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(r[-1]) for r in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")  # (a small table: the planner would rather scan it)
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return "\n".join(str(r[0]) for r in rows)
