"""Sync fixtures: a real server process per test (SQLite always; PostgreSQL when RECEPTION_TEST_PG_URL is set),
the demo district's reference data published to it, and enrolled desks with their own data directories."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reception.security.accounts import DEMO_PASSWORD
from reception.server.authority import trust_admin
from reception.server.db import ServerDatabase, open_server_database
from reception.server.service import import_reference
from tests.pg import pg_base_url
from tests.sync.harness import DeskHandle, ServerProcess, make_reference, new_desk, pg_schema_url


@pytest.fixture(autouse=True)
def _token_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEPTION_TOKEN_STORE", "file")


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_reference(tmp_path_factory.mktemp("reference"))


@dataclass
class Env:
    server: ServerProcess
    db: ServerDatabase
    root: Path
    desks: list[DeskHandle]

    def desk(self, name: str, seed: int = 7) -> DeskHandle:
        handle = new_desk(self.db, self.server.url, self.root / name, name, seed=seed)
        self.desks.append(handle)
        return handle


@pytest.fixture(params=["sqlite", "postgresql"])
def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
        return
    base = pg_base_url()  # skipped when unset, failed when set and unreachable
    with pg_schema_url(base) as url:
        yield url


@pytest.fixture
def env(server_db_url: str, tmp_path: Path, reference_dir: Path) -> Iterator[Env]:
    db = open_server_database(server_db_url)
    import_reference(db, reference_dir)
    with db.session() as s:  # the centre's administrator's signing key (``reception server trust-admin admin``)
        trust_admin(s, "admin", DEMO_PASSWORD)
    server = ServerProcess(server_db_url, tmp_path).start()
    e = Env(server, db, tmp_path, [])
    try:
        yield e
    finally:
        for d in e.desks:
            d.close()
        server.stop()
        db.dispose()
