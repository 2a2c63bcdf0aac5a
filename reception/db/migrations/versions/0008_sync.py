"""desk sync bookkeeping: enrolment (sync_peer), transactional outbox, record versions, stored conflicts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_conflict',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('mutation_id', sa.String(length=36), nullable=False),
    sa.Column('local_data', sa.JSON(), nullable=True),
    sa.Column('server_data', sa.JSON(), nullable=True),
    sa.Column('server_version', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=400), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflict'))
    )
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.create_index('ix_sync_conflict_state', ['state'], unique=False)

    op.create_table('sync_outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('mutation_id', sa.String(length=36), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=400), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('mutation_id', name=op.f('uq_sync_outbox_mutation_id'))
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sync_outbox_record', ['table_name', 'record_id'], unique=False)
        batch_op.create_index('ix_sync_outbox_state_seq', ['state', 'seq'], unique=False)

    op.create_table('sync_peer',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('server_url', sa.String(length=300), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('desk_code', sa.String(length=16), nullable=False),
    sa.Column('server_id', sa.String(length=36), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('token_store', sa.String(length=16), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('offline_since', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=400), nullable=False),
    sa.Column('clock_skew_s', sa.Integer(), nullable=True),
    sa.Column('schema_head', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_peer'))
    )
    op.create_table('sync_row',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'record_id', name=op.f('pk_sync_row'))
    )


def downgrade() -> None:
    op.drop_table('sync_row')
    op.drop_table('sync_peer')
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_outbox_state_seq')
        batch_op.drop_index('ix_sync_outbox_record')

    op.drop_table('sync_outbox')
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_conflict_state')

    op.drop_table('sync_conflict')
