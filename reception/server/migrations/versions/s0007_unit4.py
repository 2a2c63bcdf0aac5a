"""a unit account whose password someone else gave changes it at its first sign-in (``unit_user.must_change_password``)

Set when an administrator opens the account (``/admin`` or ``reception server add-unit-user``) or resets its
password on ``/admin``; cleared when the user sets their own at ``/unit/password``. The existing accounts get
``false`` (their users are not forced to change a password they may have chosen already).

Revision ID: s0007_unit4
Revises: s0006_query2
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0007_unit4"
down_revision: str | None = "s0006_query2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("unit_user") as batch:
        batch.drop_column("must_change_password")
