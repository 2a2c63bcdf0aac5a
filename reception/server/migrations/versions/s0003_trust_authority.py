"""authority: who created each record, mutation ids bound to their content, account keys, request throttles

``record.owner`` is the client that created a record (``origin`` is the last one to change it): a desk may change
only what it created (``reception.server.authority``); records stored before take their current origin.
``applied_mutation.digest`` binds a mutation id to its content (the same id with other content is refused).
``account_key``: the public keys of accounts (administrators registered with ``reception server trust-admin``).
``throttle``: counters of enrolment attempts and failed authentications per address, shared by every server
process using the database.

Revision ID: s0003_trust
Revises: s0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0003_trust"
down_revision: str | None = "s0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("record") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=36), nullable=False, server_default=""))
    op.execute("UPDATE record SET owner = origin")
    with op.batch_alter_table("applied_mutation") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
    op.create_table(
        "account_key",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_key")),
    )
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle")),
    )


def downgrade() -> None:
    op.drop_table("throttle")
    op.drop_table("account_key")
    with op.batch_alter_table("applied_mutation") as batch:
        batch.drop_column("digest")
    with op.batch_alter_table("record") as batch:
        batch.drop_column("owner")
