"""Alembic environment for the server database (SQLite or PostgreSQL); run in-process by ``reception.server.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from reception.server.models import ServerBase, include_object

target_metadata = ServerBase.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise SystemExit("the server's migrations run through reception.server.db.upgrade_server_database")
    _run(connection)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported for the server database")
run_migrations_online()
