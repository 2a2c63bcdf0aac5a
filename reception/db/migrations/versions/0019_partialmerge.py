"""``merged_into``'s indexes hold only the merged-away rows (partial indexes), so the planner never scans a table
for "the records merged into this one"

Revision ID: 0016_partialmerge
Revises: 0015_mergechain
Create Date: 2026-12-03

On a real desk merges are rare, so ``merged_into`` is null on nearly every row. ``PRAGMA optimize`` (run when the
desk closes) records in ``sqlite_stat1`` that the full index has one key for almost the whole table, and SQLite's
planner then answers ``merged_into = ?`` with a scan of the table. The statistics cache's trigger on
``petition_case`` (``0015_mergechain``) asks that up to four times, so a save that updated a case cost a second at
80,000 cases (found by ``bench/bench_intake.py``). A partial index (``WHERE merged_into IS NOT NULL``) has only the
merged rows; ``merged_into = ?`` implies its condition, so the planner takes it whatever the statistics say. No
reader needs an index for "not merged" (``tests/unit/test_query_plans.py``). SQLite only (the desk's database).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016_partialmerge"
down_revision: str | None = "0015_mergechain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("petition_case", "petitioner")


def upgrade() -> None:
    analysed = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first() is not None
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_merged_into")
        op.execute(f"CREATE INDEX ix_{table}_merged_into ON {table} (merged_into) WHERE merged_into IS NOT NULL")
        if analysed:  # the full index's statistics would otherwise stand for the partial one until the next ANALYZE
            op.execute(f"DELETE FROM sqlite_stat1 WHERE idx = 'ix_{table}_merged_into'")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_merged_into")
        op.execute(f"CREATE INDEX ix_{table}_merged_into ON {table} (merged_into)")
