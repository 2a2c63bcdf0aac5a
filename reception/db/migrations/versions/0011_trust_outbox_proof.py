"""the outbox keeps each change's proof: an administrator's signature for accounts and the centre's reference data

A change to an account or to the centre's reference data is applied by the server only with the signature of an
administrator (``reception.sync.proof``), made when the change is written (while the administrator is signed in)
and kept with the outbox row until it is pushed. A local table: nothing synced changes.

Revision ID: 0010_trust_outbox_proof
Revises: 0010_setup
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_trust_outbox_proof"
down_revision: str | None = "0010_setup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_column("proof")
