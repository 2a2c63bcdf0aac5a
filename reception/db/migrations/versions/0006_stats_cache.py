"""statistics: the per-day aggregate cache (stats_day, stats_cached_day), the SQLite triggers that invalidate a day
when its rows change, and indexes for the statistics' queries (case_event by kind and day, by case and kind;
case_clock by due date with the amber day)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, day column(s) of the row) — a change to a row invalidates its day(s) in the statistics cache.
# NOTE for later migrations: SQLite drops a table's triggers with the table, so a batch_alter_table that recreates
# visit, case_event, leader_reception or petition_case ("move and copy") must create these triggers again
# (``_triggers()``); until then the cache would not see changes to that table.
_DAY_OF = {
    "visit": ("visited_on",),
    "case_event": ("occurred_on",),
    "leader_reception": ("received_on",),
    "petition_case": ("registered_on",),
}


def _triggers() -> list[str]:
    out: list[str] = []
    for table, cols in _DAY_OF.items():
        for op_name, refs in (("insert", ("NEW",)), ("update", ("NEW", "OLD")), ("delete", ("OLD",))):
            days = ", ".join(f"{ref}.{col}" for ref in refs for col in cols)
            extra = ""
            if table == "petition_case" and op_name == "update":
                # a case moved to another unit: the days of its visits count it under the new unit
                extra = ("DELETE FROM stats_cached_day WHERE day IN "
                         "(SELECT visited_on FROM visit WHERE case_id = NEW.id);")
            on = "UPDATE OF unit_id, locality_id, category_id, registered_on" if (
                table == "petition_case" and op_name == "update") else op_name.upper()
            out.append(
                f"CREATE TRIGGER trg_stats_{table}_{op_name} AFTER {on} ON {table} BEGIN "
                f"DELETE FROM stats_cached_day WHERE day IN ({days}); {extra} END"
            )
    return out


TRIGGER_NAMES = [f"trg_stats_{t}_{o}" for t in _DAY_OF for o in ("insert", "update", "delete")]


def upgrade() -> None:
    op.create_table(
        "stats_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("k1", sa.String(length=64), nullable=False),
        sa.Column("k2", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "k1", "k2", name=op.f("pk_stats_day")),
    )
    op.create_table(
        "stats_cached_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_stats_cached_day")),
    )
    # a plain CREATE INDEX: a batch "move and copy" of case_event would drop the triggers below
    op.create_index("ix_case_event_kind_on", "case_event", ["kind", "occurred_on"], unique=False)
    # the statistics' per-case look-ups (routing day before a decision, acceptance before a reply) from the index
    op.create_index("ix_case_event_case_kind", "case_event", ["case_id", "kind", "occurred_at", "occurred_on"],
                    unique=False)
    # the due-soon count reads amber_on from the index
    op.create_index("ix_case_clock_kind_due_amber", "case_clock", ["kind", "due_on", "amber_on"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for ddl in _triggers():
            op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_case_clock_kind_due_amber", table_name="case_clock")
    op.drop_index("ix_case_event_case_kind", table_name="case_event")
    op.drop_index("ix_case_event_kind_on", table_name="case_event")
    op.drop_table("stats_cached_day")
    op.drop_table("stats_day")
