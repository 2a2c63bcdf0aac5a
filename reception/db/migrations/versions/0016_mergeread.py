"""statistics follow merges: the stats cache's petition_case update trigger also fires on ``merged_into``

Revision ID: 0013_mergeread
Revises: 0012_merge
Create Date: 2026-12-03

A merged-away case is not a new case of its own in the statistics (``reception.merge.resolve.counted_case``), so a
change of ``merged_into`` (a merge, an undo, either pulled from another desk) must drop the cached days of the case
(its registration day) and of its visits (the unit they count under), as a change of unit does
(migration ``0006_stats_cache``). SQLite only: the cache is not kept on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_mergeread"
down_revision: str | None = "0012_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "trg_stats_petition_case_update"


def _trigger(columns: str) -> str:
    return (f"CREATE TRIGGER {NAME} AFTER UPDATE OF {columns} ON petition_case BEGIN "
            "DELETE FROM stats_cached_day WHERE day IN (NEW.registered_on, OLD.registered_on); "
            "DELETE FROM stats_cached_day WHERE day IN (SELECT visited_on FROM visit WHERE case_id = NEW.id); END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        op.execute(_trigger("unit_id, locality_id, category_id, registered_on, merged_into"))
        op.execute("DELETE FROM stats_cached_day")  # (cached before: recomputed with merges counted once)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        op.execute(_trigger("unit_id, locality_id, category_id, registered_on"))
