"""search: keyed partial indexes of ID numbers and phones, a name n-gram index, the query code indexed (issue 14)

Revision ID: 0011_search
Revises: 0010_calendar
Create Date: 2026-12-02

The tables are created empty: their keyed tokens need the data key, which migrations never see
(``reception.security.atrest``), so ``reception.search.index.ensure_built`` fills them for the existing petitioners
when the data directory is next opened (one pass; the ``search_index`` setting records it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_search"
down_revision: str | None = "0010_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "petitioner_token",
        sa.Column("token", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("petitioner_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("token", "petitioner_id", name=op.f("pk_petitioner_token")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "petitioner_gram",
        sa.Column("gram", sa.String(length=16), nullable=False),
        sa.Column("petitioner_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("gram", "petitioner_id", name=op.f("pk_petitioner_gram")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_petition_case_query_code"), "petition_case", ["query_code"])
    op.execute("DELETE FROM setting WHERE key = 'search_index'")  # (a downgraded and re-upgraded file: rebuild)


def downgrade() -> None:
    op.drop_index(op.f("ix_petition_case_query_code"), table_name="petition_case")
    op.drop_table("petitioner_gram")
    op.drop_table("petitioner_token")
    op.execute("DELETE FROM setting WHERE key = 'search_index'")
