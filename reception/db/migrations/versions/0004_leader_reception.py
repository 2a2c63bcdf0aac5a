"""leader reception: reception records (现场答复), appointments (约访), case ownership (包案)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leader_appointment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["petition_case.id"],
                                name=op.f("fk_leader_appointment_case_id_petition_case")),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_leader_appointment_created_by_user")),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_leader_appointment_leader_id_leader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_appointment")),
    )
    with op.batch_alter_table("leader_appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leader_appointment_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_leader_appointment_day", ["day"], unique=False)

    op.create_table(
        "leader_reception",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("appointment_id", sa.String(length=36), nullable=True),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("legal_channel", sa.String(length=200), nullable=False),
        sa.Column("units_present", sa.String(length=400), nullable=False),
        sa.Column("reaction", sa.String(length=16), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["leader_appointment.id"],
                                name=op.f("fk_leader_reception_appointment_id_leader_appointment")),
        sa.ForeignKeyConstraint(["case_id"], ["petition_case.id"],
                                name=op.f("fk_leader_reception_case_id_petition_case")),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_leader_reception_leader_id_leader")),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"], name=op.f("fk_leader_reception_recorded_by_user")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_leader_reception_unit_id_unit")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_leader_reception_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_reception")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_leader_reception_appointment_id")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_leader_reception_visit_id")),
    )
    with op.batch_alter_table("leader_reception", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leader_reception_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leader_reception_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index("ix_leader_reception_received_on", ["received_on"], unique=False)

    op.create_table(
        "case_ownership",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("leader_id", sa.String(length=36), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reception_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["petition_case.id"],
                                name=op.f("fk_case_ownership_case_id_petition_case")),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_case_ownership_created_by_user")),
        sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=op.f("fk_case_ownership_leader_id_leader")),
        sa.ForeignKeyConstraint(["reception_id"], ["leader_reception.id"],
                                name=op.f("fk_case_ownership_reception_id_leader_reception")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_ownership")),
    )
    with op.batch_alter_table("case_ownership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_ownership_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_ownership_leader_id"), ["leader_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_ownership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_ownership_leader_id"))
        batch_op.drop_index(batch_op.f("ix_case_ownership_case_id"))
    op.drop_table("case_ownership")
    with op.batch_alter_table("leader_reception", schema=None) as batch_op:
        batch_op.drop_index("ix_leader_reception_received_on")
        batch_op.drop_index(batch_op.f("ix_leader_reception_leader_id"))
        batch_op.drop_index(batch_op.f("ix_leader_reception_case_id"))
    op.drop_table("leader_reception")
    with op.batch_alter_table("leader_appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_leader_appointment_day")
        batch_op.drop_index(batch_op.f("ix_leader_appointment_case_id"))
    op.drop_table("leader_appointment")
