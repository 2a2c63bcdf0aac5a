"""the case-number index covers case records only (a partial index: the other records never carry a natural key)

Seven in eight pushed records are not cases; indexing their NULL natural key cost every insert an index entry.

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0002"
down_revision: str | None = "s0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("natural_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_record_natural", table_name="record")
    op.create_index("ix_record_natural", "record", ["table_name", "natural_key"], unique=False,
                    postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index("ix_record_natural", table_name="record")
    op.create_index("ix_record_natural", "record", ["table_name", "natural_key"], unique=False)
