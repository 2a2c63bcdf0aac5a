"""the administrators' web accounts, sessions and audit (/admin); the unit list's index on SQLite too; one approach
for the indexes on the record table's JSON

``ix_record_case_unit`` (a unit's cases by ``data.unit_id``, the ``/unit`` list) was made by ``s0004_unit`` on
PostgreSQL only: SQLite servers scanned every record for each list. Made here for SQLite.

One approach for the JSON expression indexes on ``record`` (``models.EXPRESSION_INDEXES``): the three migrations
that made them had three habits (``s0004_query``: both dialects, outside the models; ``s0004_unit``: PostgreSQL
only, declared in the models; ``s0005_lifecycle``: both dialects, declared in the models with PostgreSQL's
spelling, which SQLite does not match). From here on, each such index is
- partial on ``table_name`` compared with literals (SQLite proves a partial index's condition only from literals);
- on the expression in each dialect's own spelling, ``(data ->> 'key')`` on PostgreSQL and
  ``json_extract(data, '$.key')`` on SQLite, made on both dialects;
- queried through ``reception.server.jsonref`` (``json_ref``, ``table_literal``), which spells it the same way;
- not declared in the models (an expression index has no dialect-neutral form, and autogenerate does not compare
  expression indexes), named in ``models.EXPRESSION_INDEXES`` and left out of autogenerate's comparison;
- checked by ``tests/unit/test_server_migrations.py``, which runs the real queries under EXPLAIN on both dialects.
The existing indexes already have that form in the database (only their declaration changed, in the models), so
none is rebuilt: a ``CREATE INDEX`` on a large ``record`` table blocks the desks' pushes while it runs, for
nothing. ``ix_record_case_ref`` keeps ``table_name`` as its leading column: it serves three tables (``IN``).

Revision ID: s0006_unit2
Revises: s0005_lifecycle
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0006_unit2"
down_revision: str | None = "s0005_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE INDEX IF NOT EXISTS ix_record_case_unit ON record (json_extract(data, '$.unit_id')) "
                   "WHERE table_name = 'petition_case'")
    op.create_table(
        "web_admin",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_admin")),
        sa.UniqueConstraint("username", name=op.f("uq_web_admin_username")),
    )
    op.create_table(
        "admin_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.String(length=36), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_admin_session")),
    )
    op.create_index(op.f("ix_admin_session_admin_id"), "admin_session", ["admin_id"])
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("admin_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index("ix_admin_audit_at", "admin_audit", ["at"])


def downgrade() -> None:
    for table in ("admin_audit", "admin_session", "web_admin"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_record_case_unit")
