"""indexes to find a case's events, visits and persons by the ids inside their JSON (the public query page)

A case's ``case_event``, ``visit`` and ``supervision`` records name it by ``data.case_id``, a ``visit_person``
record its visit by ``data.visit_id``. Without an index every query page read every such record. Partial
expression indexes (only those tables), spelled per dialect exactly as ``reception.server.web.casedata`` queries
them (SQLite matches an expression index only on the identical expression). Not in the models: autogenerate does
not compare expression indexes.

Revision ID: s0004_query
Revises: s0003_harden
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "s0004_query"
down_revision: str | None = "s0003_harden"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_TABLES = "('case_event', 'visit', 'supervision')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        case_ref, visit_ref = "(data ->> 'case_id')", "(data ->> 'visit_id')"
    else:
        case_ref, visit_ref = "json_extract(data, '$.case_id')", "json_extract(data, '$.visit_id')"
    op.execute(f"CREATE INDEX ix_record_case_ref ON record (table_name, {case_ref}) "
               f"WHERE table_name IN {CASE_TABLES}")
    op.execute(f"CREATE INDEX ix_record_visit_ref ON record ({visit_ref}) WHERE table_name = 'visit_person'")


def downgrade() -> None:
    op.execute("DROP INDEX ix_record_visit_ref")
    op.execute("DROP INDEX ix_record_case_ref")
