"""leaders' reception roster and the editable holiday table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holiday_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_holiday_day")),
    )
    op.create_table(
        "holiday_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_holiday_year")),
    )
    op.create_table(
        "roster_month",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("generated_at", sa.DateTime(), nullable=True),
        sa.Column("generated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_roster_month")),
    )
    op.create_table(
        "roster_version",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("calendar_confirmed", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_version")),
        sa.UniqueConstraint("month", "version", name=op.f("uq_roster_version_month")),
    )
    with op.batch_alter_table("roster_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_version_month"), ["month"], unique=False)

    op.create_table(
        "leader_membership",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("in_rotation", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_leader_membership_leader_id_leader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_membership")),
    )
    with op.batch_alter_table("leader_membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leader_membership_leader_id"), ["leader_id"], unique=False)

    op.create_table(
        "leader_unavailability",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_leader_unavailability_leader_id_leader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_unavailability")),
    )
    with op.batch_alter_table("leader_unavailability", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leader_unavailability_leader_id"), ["leader_id"], unique=False)

    op.create_table(
        "roster_change",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("other_day", sa.Date(), nullable=True),
        sa.Column("other_leader_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_roster_change_leader_id_leader")),
        sa.ForeignKeyConstraint(
            ["other_leader_id"], ["leader.id"], name=op.f("fk_roster_change_other_leader_id_leader")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_change")),
    )
    with op.batch_alter_table("roster_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_change_month"), ["month"], unique=False)

    op.create_table(
        "roster_slot",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_roster_slot_leader_id_leader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_slot")),
        sa.UniqueConstraint("day", "leader_id", name=op.f("uq_roster_slot_day")),
    )
    with op.batch_alter_table("roster_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_slot_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_slot_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_slot_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roster_slot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_slot_month"))
        batch_op.drop_index(batch_op.f("ix_roster_slot_leader_id"))
        batch_op.drop_index(batch_op.f("ix_roster_slot_day"))

    op.drop_table("roster_slot")
    with op.batch_alter_table("roster_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_change_month"))

    op.drop_table("roster_change")
    with op.batch_alter_table("leader_unavailability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leader_unavailability_leader_id"))

    op.drop_table("leader_unavailability")
    with op.batch_alter_table("leader_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leader_membership_leader_id"))

    op.drop_table("leader_membership")
    with op.batch_alter_table("roster_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_version_month"))

    op.drop_table("roster_version")
    op.drop_table("roster_month")
    op.drop_table("holiday_year")
    op.drop_table("holiday_day")
