"""The server's own migrations: upgrade head equals the server models, on SQLite and (when available) PostgreSQL;
the case-number index is partial (only case records carry a natural key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from reception.server.db import make_server_engine, upgrade_server_database
from reception.server.models import EXPRESSION_INDEXES, ServerBase, include_object


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_server_upgrade_head_equals_the_models(dialect: str, tmp_path: Path) -> None:
    if dialect == "sqlite":
        engine = make_server_engine(f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}")
        _check(engine)
        return
    from tests.pg import pg_base_url
    from tests.sync.harness import pg_schema_url

    base = pg_base_url()  # skipped when unset, failed when set and unreachable

    with pg_schema_url(base) as url:
        _check(make_server_engine(url))


def _check(engine) -> None:  # type: ignore[no-untyped-def]
    try:
        upgrade_server_database(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                          "include_object": include_object}),
                                    ServerBase.metadata)
            names = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'" if engine.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE tablename = 'record'")}
            indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("record")}
        assert diff == []
        assert names >= EXPRESSION_INDEXES  # (the query page's JSON indexes, outside the comparison)
        where = indexes["ix_record_natural"].get("dialect_options", {})
        assert any("natural_key IS NOT NULL" in str(v) for v in where.values()), indexes["ix_record_natural"]
    finally:
        engine.dispose()
