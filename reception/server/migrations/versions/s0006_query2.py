"""the query page's index on a case's linked records leads with the case id (it was a scan of the whole index)

``ix_record_case_ref`` was ``(table_name, data.case_id) WHERE table_name IN (...)``: PostgreSQL drops a condition
the index's WHERE already implies from the index conditions, so ``table_name IN (...)`` never reached it and the
case id, its second column, was matched by reading every entry (28 ms a query page with 100,000 cases,
``bench/bench_query.py --explain``). Now the case id comes first (the table name second, for SQLite's planner).

Revision ID: s0006_query2
Revises: s0006_unit2
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "s0006_query2"
down_revision: str | None = "s0006_unit2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_TABLES = "('case_event', 'visit', 'supervision')"


def _case_ref() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "(data ->> 'case_id')"
    return "json_extract(data, '$.case_id')"


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_record_case_ref")
    op.execute(f"CREATE INDEX ix_record_case_ref ON record ({_case_ref()}, table_name) "
               f"WHERE table_name IN {CASE_TABLES}")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_record_case_ref")
    op.execute(f"CREATE INDEX ix_record_case_ref ON record (table_name, {_case_ref()}) "
               f"WHERE table_name IN {CASE_TABLES}")
