"""The server's whole HTTP API under schemathesis (property-based requests from its own OpenAPI description): no
request, however malformed, gets a 5xx. A real server process on loopback with an enrolled desk's token (every
endpoint) and a handling unit's (the unit API); bounded (``-n`` examples per operation, a fixed seed), a minute or
two on 2 cores. Also checks that the OpenAPI description names every endpoint with resolvable references (a broken
``$ref`` once hid ``/sync/push`` from the fuzzer)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reception.server.db import ServerDatabase, open_server_database
from reception.server.service import add_unit, import_reference
from reception.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.harness import ROOT, ServerProcess, new_desk
from tests.sync.test_poison import desk_token

pytestmark = pytest.mark.slow
MAX_EXAMPLES = int(os.environ.get("RECEPTION_FUZZ_EXAMPLES", "25"))
ENDPOINTS = {"/enroll", "/sync/hello", "/sync/push", "/sync/pull", "/sync/audit-heads", "/units/cases",
             "/units/cases/{case_no}/events"}


@pytest.fixture
def served(tmp_path: Path, reference_dir: Path,
           server_db_url: str) -> Iterator[tuple[ServerProcess, ServerDatabase, str, str]]:
    url = server_db_url  # (SQLite, and PostgreSQL where RECEPTION_TEST_PG_URL is set: NUL characters, integer sizes)
    db = open_server_database(url)
    import_reference(db, reference_dir)
    server = ServerProcess(url, tmp_path).start()
    desk = new_desk(db, server.url, tmp_path / "desk", "一号窗口")
    desk.intake(3)
    assert desk.sync().ok
    _client, unit_token = add_unit(db, "ZJJ")
    try:
        yield server, db, desk_token(desk), unit_token
    finally:
        desk.close()
        server.stop()
        db.dispose()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref" and isinstance(v, str)] + [
            r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_names_every_endpoint_with_resolvable_references(served: Any) -> None:
    server = served[0]
    schema = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    assert set(schema["paths"]) >= ENDPOINTS
    components = schema.get("components", {}).get("schemas", {})
    for ref in _refs(schema):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components, ref
    body = schema["paths"]["/sync/push"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PushRequest"}
    mutation = components["Mutation"]["properties"]
    assert mutation["base_version"].get("maximum") is not None  # integers bounded in the models


def _fuzz(url: str, token: str, tmp: Path, *extra: str) -> tuple[int, str]:
    junit = tmp / f"schemathesis-{abs(hash(extra))}.xml"
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
           "-H", f"Authorization: Bearer {token}", "-H", f"{PROTOCOL_HEADER}: {PROTOCOL_VERSION}",
           "-c", "not_a_server_error", "-n", str(MAX_EXAMPLES), "--seed", "20261202",
           "--phases", "examples,coverage,fuzzing", "--request-timeout", "20", "--workers", "1",
           "--generation-deterministic", "--report", "junit", "--report-junit-path", str(junit), *extra]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1"), check=False)
    return done.returncode, done.stdout[-6000:] + done.stderr[-2000:]


def test_no_request_gets_a_server_error(served: Any, tmp_path: Path) -> None:
    server, _db, desk, unit = served
    code, out = _fuzz(server.url, desk, tmp_path, "--exclude-tag", "units")
    assert code == 0, out
    code, out = _fuzz(server.url, unit, tmp_path, "--include-tag", "units")
    assert code == 0, out
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "500 Internal Server Error" not in log, log[-4000:]
