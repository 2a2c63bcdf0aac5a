"""leaders' work beyond the desk: down-visits (下访) with their cases, backlog cases (积案); a case's 收件日期

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("petition_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_on", sa.Date(), nullable=True))

    op.create_table(
        "down_visit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("locality_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_down_visit_created_by_user")),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_down_visit_leader_id_leader")),
        sa.ForeignKeyConstraint(["locality_id"], ["locality.id"], name=op.f("fk_down_visit_locality_id_locality")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_down_visit")),
    )
    with op.batch_alter_table("down_visit", schema=None) as batch_op:
        batch_op.create_index("ix_down_visit_day", ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_down_visit_leader_id"), ["leader_id"], unique=False)

    op.create_table(
        "down_visit_case",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("down_visit_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["petition_case.id"],
                                name=op.f("fk_down_visit_case_case_id_petition_case")),
        sa.ForeignKeyConstraint(["down_visit_id"], ["down_visit.id"],
                                name=op.f("fk_down_visit_case_down_visit_id_down_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_down_visit_case")),
        sa.UniqueConstraint("down_visit_id", "case_id", name=op.f("uq_down_visit_case_down_visit_id")),
    )
    with op.batch_alter_table("down_visit_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_down_visit_case_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_down_visit_case_down_visit_id"), ["down_visit_id"], unique=False)

    op.create_table(
        "backlog_case",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("hard", sa.Boolean(), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["petition_case.id"], name=op.f("fk_backlog_case_case_id_petition_case")),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_backlog_case_created_by_user")),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_backlog_case_leader_id_leader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backlog_case")),
        sa.UniqueConstraint("case_id", name=op.f("uq_backlog_case_case_id")),
    )
    with op.batch_alter_table("backlog_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backlog_case_listed_on"), ["listed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_backlog_case_resolved_on"), ["resolved_on"], unique=False)


def downgrade() -> None:
    op.drop_table("backlog_case")
    op.drop_table("down_visit_case")
    op.drop_table("down_visit")
    with op.batch_alter_table("petition_case", schema=None) as batch_op:
        batch_op.drop_column("received_on")
