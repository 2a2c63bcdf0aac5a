"""statistics by the unit of a visit's case follow merges: a change to a surviving case's unit also drops the cached
days of the visits of every case merged into it

Revision ID: 0014_voidread
Revises: 0013_mergeread
Create Date: 2026-12-03

A merged-away case's visits count under the unit of the case it was merged into (``stats.queries.visit_unit_groups``:
the ranking's 登记批次 and 重复访率), so when that case moves to another unit the per-day cache must drop the days of
those visits too, not only of its own (migrations ``0006_stats_cache``, ``0013_mergeread``). SQLite only: the cache is
not kept on PostgreSQL. (The stored aggregates of before are dropped by ``stats.cache.CACHE_VERSION`` 3.)
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_voidread"
down_revision: str | None = "0013_mergeread"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "trg_stats_petition_case_update"
COLUMNS = "unit_id, locality_id, category_id, registered_on, merged_into"


def _trigger(*, merged_visits: bool) -> str:
    extra = ("DELETE FROM stats_cached_day WHERE day IN (SELECT visit.visited_on FROM visit JOIN petition_case AS "
             "away ON away.id = visit.case_id WHERE away.merged_into = NEW.id); ") if merged_visits else ""
    return (f"CREATE TRIGGER {NAME} AFTER UPDATE OF {COLUMNS} ON petition_case BEGIN "
            "DELETE FROM stats_cached_day WHERE day IN (NEW.registered_on, OLD.registered_on); "
            "DELETE FROM stats_cached_day WHERE day IN (SELECT visited_on FROM visit WHERE case_id = NEW.id); "
            f"{extra}END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        op.execute(_trigger(merged_visits=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        op.execute(_trigger(merged_visits=False))
