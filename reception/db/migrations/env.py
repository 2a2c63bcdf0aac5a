"""Alembic environment for the desk database.

Migrations run in-process: the caller passes its open connection in ``config.attributes["connection"]``
(see ``reception.db.migrate``); the command-line fallback builds an engine from ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from reception.db import models  # noqa: F401  (registers the tables on Base.metadata)
from reception.db.base import Base
from reception.db.database import make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from pathlib import Path

    url = context.config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(Path(url.removeprefix("sqlite:///")))
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported for the desk database")
run_migrations_online()
