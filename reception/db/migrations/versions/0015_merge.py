"""merging (合并): the case and petitioner merge records, and the merged-away mark on cases and petitioners

Revision ID: 0012_merge
Revises: 0011_ledger
Create Date: 2026-12-03

``case_merge`` and ``petitioner_merge`` are synced, append-only records (a merge, or with ``undoes`` a merge
undone); ``petition_case.merged_into`` and ``petitioner.merged_into`` mark a merged-away record, which is kept
(``reception.merge``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_merge"
down_revision: str | None = "0011_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _merge_table(name: str, target: str, extra: list[sa.Column[object]]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("survivor_id", sa.String(length=36), nullable=False),
        sa.Column("merged_id", sa.String(length=36), nullable=False),
        *extra,
        sa.Column("undoes", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("desk_id", sa.String(length=36), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f(f"fk_{name}_actor_id_user")),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f(f"fk_{name}_desk_id_desk")),
        sa.ForeignKeyConstraint(["merged_id"], [f"{target}.id"], name=op.f(f"fk_{name}_merged_id_{target}")),
        sa.ForeignKeyConstraint(["survivor_id"], [f"{target}.id"], name=op.f(f"fk_{name}_survivor_id_{target}")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        for column in ("survivor_id", "merged_id", "undoes"):
            batch_op.create_index(batch_op.f(f"ix_{name}_{column}"), [column], unique=False)


def upgrade() -> None:
    _merge_table("case_merge", "petition_case", [sa.Column("merged_case_no", sa.String(length=32), nullable=False)])
    _merge_table("petitioner_merge", "petitioner", [])
    for table in ("petition_case", "petitioner"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("merged_into", sa.String(length=36), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_merged_into"), ["merged_into"], unique=False)


def downgrade() -> None:
    for table in ("petitioner", "petition_case"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_merged_into"))
            batch_op.drop_column("merged_into")
    op.drop_table("petitioner_merge")
    op.drop_table("case_merge")
