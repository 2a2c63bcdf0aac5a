"""security: accounts (password hash, lockout, unit), hash-chained append-only audit trail, encrypted petitioner
ID numbers and phones with blind-index columns

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

The encryption of existing plaintext rows needs the data key, which a migration must not know: it runs after the
migration, in reception code, when the data directory is opened (``reception.security.atrest``), idempotently.
That step also seals the existing audit entries into their desk's hash chain and then installs the triggers that
make ``audit_entry`` append-only (a later batch migration that recreates ``audit_entry`` drops them; the next open
puts them back).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    # ``user`` and ``petitioner`` are recreated (batch mode) while other tables refer to them: this needs the
    # connection's foreign keys off (reception.db.migrate does that, and checks them before committing)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_user_unit_id_unit"), "unit", ["unit_id"], ["id"])
    with op.batch_alter_table("user", schema=None) as batch_op:
        for name in ("password_hash", "failed_attempts", "must_change_password"):
            batch_op.alter_column(name, server_default=None)

    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.drop_index("ix_petitioner_id_number")
        batch_op.drop_index("ix_petitioner_phone")
        batch_op.alter_column("id_number", type_=sa.String(length=120), existing_nullable=True)
        batch_op.alter_column("phone", type_=sa.String(length=120), existing_nullable=True)
        batch_op.add_column(sa.Column("id_number_bidx", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone_bidx", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_petitioner_id_number_bidx"), ["id_number_bidx"], unique=False)
        batch_op.create_index(batch_op.f("ix_petitioner_phone_bidx"), ["phone_bidx"], unique=False)

    # existing audit entries join their desk's chain on first open (reception.security.audit.seal_legacy)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("chain", sa.String(length=36), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        for name in ("changes", "chain", "seq", "prev_hash", "hash"):
            batch_op.alter_column(name, server_default=None)
    # legacy rows get distinct negative seqs until they are sealed, so the unique constraint holds
    op.execute("UPDATE audit_entry SET seq = -rowid")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_chain"), ["chain", "seq"])


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_chain"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))
        for name in ("hash", "prev_hash", "seq", "chain", "changes"):
            batch_op.drop_column(name)
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_petitioner_phone_bidx"))
        batch_op.drop_index(batch_op.f("ix_petitioner_id_number_bidx"))
        batch_op.drop_column("phone_bidx")
        batch_op.drop_column("id_number_bidx")
        batch_op.create_index("ix_petitioner_phone", ["phone"], unique=False)
        batch_op.create_index("ix_petitioner_id_number", ["id_number"], unique=False)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_user_unit_id_unit"), type_="foreignkey")
        for name in ("password_changed_at", "must_change_password", "locked_until", "failed_attempts",
                     "password_hash", "unit_id"):
            batch_op.drop_column(name)
