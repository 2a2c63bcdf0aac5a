"""ledger import (台账导入): the imports, the rows brought in with their source, the doubtful petitioner matches

Revision ID: 0011_ledger
Revises: 0010_calendar
Create Date: 2026-12-02

Desk-local bookkeeping (never synced): which file, sheet and row each imported case, visit and petitioner came
from, so a re-import adds nothing and an administrator can undo a whole import.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_ledger"
down_revision: str | None = "0011_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_import",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("file_name", sa.String(length=260), nullable=False),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column("sheet", sa.String(length=100), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("started_by", sa.String(length=36), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["started_by"], ["user.id"], name=op.f("fk_ledger_import_started_by_user")),
        sa.ForeignKeyConstraint(["undone_by"], ["user.id"], name=op.f("fk_ledger_import_undone_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_import")),
    )
    op.create_table(
        "ledger_row",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("sheet", sa.String(length=100), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=64), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("petitioner_id", sa.String(length=36), nullable=True),
        sa.Column("new_case", sa.Boolean(), nullable=False),
        sa.Column("new_petitioner", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["petition_case.id"], name=op.f("fk_ledger_row_case_id_petition_case")),
        sa.ForeignKeyConstraint(["import_id"], ["ledger_import.id"],
                                name=op.f("fk_ledger_row_import_id_ledger_import")),
        sa.ForeignKeyConstraint(["petitioner_id"], ["petitioner.id"],
                                name=op.f("fk_ledger_row_petitioner_id_petitioner")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_ledger_row_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_row")),
        sa.UniqueConstraint("row_key", name=op.f("uq_ledger_row_row_key")),
    )
    with op.batch_alter_table("ledger_row") as batch:
        batch.create_index(batch.f("ix_ledger_row_case_id"), ["case_id"], unique=False)
        batch.create_index(batch.f("ix_ledger_row_case_ref"), ["case_ref"], unique=False)
        batch.create_index(batch.f("ix_ledger_row_import_id"), ["import_id"], unique=False)
        batch.create_index(batch.f("ix_ledger_row_petitioner_id"), ["petitioner_id"], unique=False)
    op.create_table(
        "ledger_review",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("petitioner_id", sa.String(length=36), nullable=True),
        sa.Column("candidate_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["petitioner.id"],
                                name=op.f("fk_ledger_review_candidate_id_petitioner")),
        sa.ForeignKeyConstraint(["import_id"], ["ledger_import.id"],
                                name=op.f("fk_ledger_review_import_id_ledger_import")),
        sa.ForeignKeyConstraint(["petitioner_id"], ["petitioner.id"],
                                name=op.f("fk_ledger_review_petitioner_id_petitioner")),
        sa.ForeignKeyConstraint(["row_id"], ["ledger_row.id"], name=op.f("fk_ledger_review_row_id_ledger_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_review")),
    )
    with op.batch_alter_table("ledger_review") as batch:
        batch.create_index(batch.f("ix_ledger_review_import_id"), ["import_id"], unique=False)
        batch.create_index(batch.f("ix_ledger_review_row_id"), ["row_id"], unique=False)


def downgrade() -> None:
    op.drop_table("ledger_review")
    op.drop_table("ledger_row")
    op.drop_table("ledger_import")
