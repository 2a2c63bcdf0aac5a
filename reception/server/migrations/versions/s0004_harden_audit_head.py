"""audit_head: the newest entry of each desk's audit chain the server holds (a desk's verify compares with it)

Revision ID: s0003_harden
Revises: s0003_trust
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0003_harden"
down_revision: str | None = "s0003_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_head")),
    )
    # the heads of what the server holds already (entries pushed before this table existed)
    conn = op.get_bind()
    record = sa.table("record", sa.column("table_name", sa.String), sa.column("data", sa.JSON),
                      sa.column("origin", sa.String))
    heads: dict[str, tuple[int, str, str]] = {}
    for data, origin in conn.execute(sa.select(record.c.data, record.c.origin)
                                     .where(record.c.table_name == "audit_entry")):
        if not isinstance(data, dict) or not data.get("chain") or not isinstance(data.get("seq"), int):
            continue
        chain, seq = str(data["chain"]), int(data["seq"])
        if seq > heads.get(chain, (0, "", ""))[0]:
            heads[chain] = (seq, str(data.get("hash") or ""), str(origin or ""))
    if heads:
        from datetime import UTC, datetime

        now = datetime.now(UTC).replace(tzinfo=None)
        head = sa.table("audit_head", sa.column("chain", sa.String), sa.column("client_id", sa.String),
                        sa.column("seq", sa.BigInteger), sa.column("hash", sa.String),
                        sa.column("updated_at", sa.DateTime))
        conn.execute(sa.insert(head), [{"chain": c, "client_id": o[:36], "seq": s, "hash": h, "updated_at": now}
                                       for c, (s, h, o) in heads.items()])


def downgrade() -> None:
    op.drop_table("audit_head")
