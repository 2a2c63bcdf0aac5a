"""case_clock: the stored provisional flag goes; the mark is computed from the calendar when shown (issue 13)

Revision ID: 0010_calendar
Revises: 0010_trust_outbox_proof
Create Date: 2026-12-02

``case_clock.unconfirmed`` said whether a clock's count went through a year whose holiday arrangement was not known.
It depends only on the clock's start and due date and on the calendar, so the lists now compute it when they show a
row (as the case detail always did), and confirming a year no longer rewrites hundreds of thousands of rows: the
clock recompute after a calendar change writes only the due and amber dates that move.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_calendar"
down_revision: str | None = "0010_trust_outbox_proof"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_clock") as batch:
        batch.drop_column("unconfirmed")


def downgrade() -> None:
    with op.batch_alter_table("case_clock") as batch:
        batch.add_column(sa.Column("unconfirmed", sa.Boolean(), nullable=False, server_default=sa.false()))
