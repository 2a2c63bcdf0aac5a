"""centre-wide settings: a synced ``centre_setting`` table; the centre's rules move out of the desk's ``setting``

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

The deadline roll-over rule (until now two fields of the desk's ``desk`` setting), the lifecycle's windows and
thresholds (``lifecycle``), the ranking's weights (``stats_ranking``) and the roster's rules (``roster``) are rules
of the whole centre: they move, values unchanged, to ``centre_setting``, which syncs (``reception.sync.registry``).
What stays in ``setting`` belongs to this PC (its desk and officer, receipt layout, query hint, the lockout time,
the data key's check value, the statistics cache's fingerprint, the clock projection's mark).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVED_KEYS = ("lifecycle", "stats_ranking", "roster")
"""``setting`` rows moved whole (same key, same value)."""
ROLL_FIELDS = ("roll_deadline_to_workday", "deadline_roll")
"""Fields of the ``desk`` setting that become the ``deadline_roll`` centre setting."""


def _value(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw is not None else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _roll_policy(desk: dict[str, Any]) -> str:
    """The policy the desk applied (``DeskSettings.roll_policy`` of 0008): ``deadline_roll`` when set and known,
    else the older boolean (True: non-working days, the default)."""
    known = {"non_working_days", "holidays_only", "none"}
    explicit = str(desk.get("deadline_roll") or "")
    if explicit in known:
        return explicit
    return "non_working_days" if desk.get("roll_deadline_to_workday", True) else "none"


def upgrade() -> None:
    op.create_table('centre_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_centre_setting'))
    )
    conn = op.get_bind()
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    centre = sa.table("centre_setting", sa.column("key", sa.String), sa.column("value", sa.JSON),
                      sa.column("updated_at", sa.DateTime))
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = {key: _value(value) for key, value in conn.execute(sa.select(setting.c.key, setting.c.value))}
    moved = [{"key": key, "value": rows[key], "updated_at": now} for key in MOVED_KEYS if key in rows]
    desk = rows.get("desk")
    if desk is not None:
        if any(f in desk for f in ROLL_FIELDS):
            moved.append({"key": "deadline_roll", "value": {"policy": _roll_policy(desk)}, "updated_at": now})
        kept = {k: v for k, v in desk.items() if k not in ROLL_FIELDS}
        conn.execute(sa.update(setting).where(setting.c.key == "desk").values(value=kept))
    if moved:
        conn.execute(sa.insert(centre), moved)
    conn.execute(sa.delete(setting).where(setting.c.key.in_(MOVED_KEYS)))


def downgrade() -> None:
    conn = op.get_bind()
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    centre = sa.table("centre_setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    rows = {key: _value(value) for key, value in conn.execute(sa.select(centre.c.key, centre.c.value))}
    for key in MOVED_KEYS:
        if key in rows:
            conn.execute(sa.delete(setting).where(setting.c.key == key))
            conn.execute(sa.insert(setting).values(key=key, value=rows[key]))
    roll = rows.get("deadline_roll")
    desk_row = conn.execute(sa.select(setting.c.value).where(setting.c.key == "desk")).first()
    if roll is not None and desk_row is not None:
        desk = _value(desk_row[0])
        policy = str(roll.get("policy") or "non_working_days")
        desk.update(deadline_roll=policy, roll_deadline_to_workday=policy != "none")
        conn.execute(sa.update(setting).where(setting.c.key == "desk").values(value=desk))
    op.drop_table('centre_setting')
