"""reference administration: units get their contacts, routing rules an active flag (retired, never deleted)

Revision ID: 0010_setup
Revises: 0009
Create Date: 2026-12-02

The centre keeps its handling units' petition contacts (联系人, 联系电话, 地址) with the units, and an administrator
retires a routing rule instead of deleting it (``reception.reference``). Existing rules stay active.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_setup"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_person", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("address", sa.String(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.drop_column("active")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("address")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_person")
