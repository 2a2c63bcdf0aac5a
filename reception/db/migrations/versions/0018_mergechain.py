"""statistics follow a chain of merges: a change to a case also drops the cached days of the visits of every case
merged into it through other cases

Revision ID: 0015_mergechain
Revises: 0014_voidread
Create Date: 2026-12-03

A case merged into a case that was later merged into a third counts as the third (``merge.resolve.case_now_id``
follows the chain, up to ``SQL_DEPTH`` = 4 merges): its visits count under the third case's unit. So when a case
moves to another unit, or is merged itself, the per-day cache must drop the days of the visits of every case merged
into it, directly or through others (migration ``0014_voidread`` dropped one level). SQLite triggers take no ``WITH``
clause, so the levels are nested sub-selects, as many as ``SQL_DEPTH``. Days cached before, while a chain existed,
were counted one level deep: dropped (recomputed when next read). SQLite only: the cache is not kept on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_mergechain"
down_revision: str | None = "0014_voidread"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "trg_stats_petition_case_update"
COLUMNS = "unit_id, locality_id, category_id, registered_on, merged_into"
DEPTH = 4  # (``reception.merge.resolve.SQL_DEPTH`` when this was written; a migration keeps its own)


def _merged_into_new(depth: int) -> list[str]:
    """Sub-selects of the ids of the cases merged into NEW, one per level: directly, through one case, ..."""
    levels = ["SELECT id FROM petition_case WHERE merged_into = NEW.id"]
    while len(levels) < depth:
        levels.append(f"SELECT id FROM petition_case WHERE merged_into IN ({levels[-1]})")
    return levels


def _trigger(depth: int) -> str:
    merged = "".join(f"DELETE FROM stats_cached_day WHERE day IN (SELECT visited_on FROM visit WHERE case_id IN "
                     f"({level})); " for level in _merged_into_new(depth))
    return (f"CREATE TRIGGER {NAME} AFTER UPDATE OF {COLUMNS} ON petition_case BEGIN "
            "DELETE FROM stats_cached_day WHERE day IN (NEW.registered_on, OLD.registered_on); "
            "DELETE FROM stats_cached_day WHERE day IN (SELECT visited_on FROM visit WHERE case_id = NEW.id); "
            f"{merged}END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        op.execute(_trigger(DEPTH))
        op.execute("DELETE FROM stats_cached_day WHERE EXISTS (SELECT 1 FROM petition_case AS away JOIN petition_case "
                   "AS middle ON middle.id = away.merged_into WHERE middle.merged_into IS NOT NULL)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        op.execute(_trigger(1))
