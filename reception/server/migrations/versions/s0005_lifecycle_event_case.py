"""the events of a case are found through an index: case_event records by the case they belong to

The server replays a case's events through the lifecycle's state machine (``reception.server.casework``) for every
step a unit or a petitioner takes online and for every event a desk pushes on another desk's case: without this
index each replay scanned every event. A partial expression index on the record's JSON ``case_id``, case events
only (the other records pay nothing on insert).

Revision ID: s0005_lifecycle
Revises: s0004_unit
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "s0005_lifecycle"
down_revision: str | None = "s0004_unit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPRESSION = {"postgresql": "(data ->> 'case_id')", "sqlite": "json_extract(data, '$.case_id')"}
"""Spelled exactly as ``casework.event_case_id`` queries it (an expression index is used only for that form)."""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    expression = EXPRESSION.get(dialect)
    if expression is None:
        return
    op.execute(f"CREATE INDEX ix_record_event_case ON record ({expression}) WHERE table_name = 'case_event'")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_record_event_case")
