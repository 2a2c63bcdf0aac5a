"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_number_counter",
        sa.Column("desk_code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("desk_code", "day", name=op.f("pk_case_number_counter")),
    )
    op.create_table(
        "category",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("legal_channel", sa.String(length=200), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["category.id"], name=op.f("fk_category_parent_id_category")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code", name=op.f("uq_category_code")),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "desk",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk")),
        sa.UniqueConstraint("code", name=op.f("uq_desk_code")),
    )
    op.create_table(
        "leader",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("rank_order", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader")),
    )
    op.create_table(
        "locality",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["locality.id"], name=op.f("fk_locality_parent_id_locality")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locality")),
        sa.UniqueConstraint("code", name=op.f("uq_locality_code")),
    )
    with op.batch_alter_table("locality", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_locality_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "petitioner",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id_type", sa.String(length=24), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petitioner")),
    )
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_petitioner_id_number"), ["id_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_petitioner_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_petitioner_phone"), ["phone"], unique=False)

    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("username", name=op.f("uq_user_username")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("desk_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_audit_entry_desk_id_desk")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_audit_entry_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)

    op.create_table(
        "unit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("locality_id", sa.String(length=36), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["locality_id"], ["locality.id"], name=op.f("fk_unit_locality_id_locality")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    op.create_table(
        "petition_case",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("query_code", sa.String(length=16), nullable=False),
        sa.Column("content_class", sa.String(length=24), nullable=False),
        sa.Column("category_id", sa.String(length=36), nullable=False),
        sa.Column("locality_id", sa.String(length=36), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("routing_action", sa.String(length=24), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("proposed_unit_id", sa.String(length=36), nullable=True),
        sa.Column("routing_override_reason", sa.String(length=200), nullable=False),
        sa.Column("legal_channel", sa.String(length=200), nullable=False),
        sa.Column("first_desk_id", sa.String(length=36), nullable=False),
        sa.Column("first_officer_id", sa.String(length=36), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_petition_case_category_id_category")
        ),
        sa.ForeignKeyConstraint(
            ["first_desk_id"], ["desk.id"], name=op.f("fk_petition_case_first_desk_id_desk")
        ),
        sa.ForeignKeyConstraint(
            ["first_officer_id"], ["user.id"], name=op.f("fk_petition_case_first_officer_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"], ["locality.id"], name=op.f("fk_petition_case_locality_id_locality")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_unit_id"], ["unit.id"], name=op.f("fk_petition_case_proposed_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_petition_case_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_case")),
        sa.UniqueConstraint("case_no", name=op.f("uq_petition_case_case_no")),
    )
    with op.batch_alter_table("petition_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_petition_case_locality_id"), ["locality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_petition_case_registered_on"), ["registered_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_petition_case_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_petition_case_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "routing_rule",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("category_id", sa.String(length=36), nullable=False),
        sa.Column("locality_id", sa.String(length=36), nullable=True),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_routing_rule_category_id_category")
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"], ["locality.id"], name=op.f("fk_routing_rule_locality_id_locality")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_routing_rule_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rule")),
    )
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rule_category_id"), ["category_id"], unique=False)

    op.create_table(
        "case_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_case_event_actor_id_user")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["petition_case.id"], name=op.f("fk_case_event_case_id_petition_case")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_case_event_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index("ix_case_event_case_at", ["case_id", "occurred_at"], unique=False)

    op.create_table(
        "visit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("visit_no", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("visited_at", sa.DateTime(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("desk_id", sa.String(length=36), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("is_collective", sa.Boolean(), nullable=False),
        sa.Column("is_repeat", sa.Boolean(), nullable=False),
        sa.Column("is_skip_level", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["petition_case.id"], name=op.f("fk_visit_case_id_petition_case")
        ),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_visit_desk_id_desk")),
        sa.ForeignKeyConstraint(["officer_id"], ["user.id"], name=op.f("fk_visit_officer_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("case_id", "visit_no", name=op.f("uq_visit_case_id")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_visited_on"), ["visited_on"], unique=False)

    op.create_table(
        "receipt_print",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("printed_at", sa.DateTime(), nullable=False),
        sa.Column("layout", sa.String(length=16), nullable=False),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["petition_case.id"], name=op.f("fk_receipt_print_case_id_petition_case")
        ),
        sa.ForeignKeyConstraint(["officer_id"], ["user.id"], name=op.f("fk_receipt_print_officer_id_user")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_receipt_print_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_print")),
    )
    with op.batch_alter_table("receipt_print", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_print_case_id"), ["case_id"], unique=False)

    op.create_table(
        "visit_person",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("petitioner_id", sa.String(length=36), nullable=False),
        sa.Column("is_representative", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["petitioner_id"], ["petitioner.id"], name=op.f("fk_visit_person_petitioner_id_petitioner")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_person_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_person")),
        sa.UniqueConstraint("visit_id", "petitioner_id", name=op.f("uq_visit_person_visit_id")),
    )
    with op.batch_alter_table("visit_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_person_petitioner_id"), ["petitioner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_person_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_person_visit_id"))
        batch_op.drop_index(batch_op.f("ix_visit_person_petitioner_id"))

    op.drop_table("visit_person")
    with op.batch_alter_table("receipt_print", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_print_case_id"))

    op.drop_table("receipt_print")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_visited_on"))

    op.drop_table("visit")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_case_event_case_at")

    op.drop_table("case_event")
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_rule_category_id"))

    op.drop_table("routing_rule")
    with op.batch_alter_table("petition_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_petition_case_unit_id"))
        batch_op.drop_index(batch_op.f("ix_petition_case_status"))
        batch_op.drop_index(batch_op.f("ix_petition_case_registered_on"))
        batch_op.drop_index(batch_op.f("ix_petition_case_locality_id"))

    op.drop_table("petition_case")
    op.drop_table("unit")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
    op.drop_table("user")
    op.drop_table("setting")
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_petitioner_phone"))
        batch_op.drop_index(batch_op.f("ix_petitioner_name"))
        batch_op.drop_index(batch_op.f("ix_petitioner_id_number"))

    op.drop_table("petitioner")
    with op.batch_alter_table("locality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locality_parent_id"))

    op.drop_table("locality")
    op.drop_table("leader")
    op.drop_table("desk")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_parent_id"))

    op.drop_table("category")
    op.drop_table("case_number_counter")
