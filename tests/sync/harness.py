"""A real sync server in a subprocess on a free loopback port, real desk data directories, real intakes.

Used by the sync tests and by ``bench/bench_sync.py``.
"""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text

from reception.bootstrap import AppContext, open_data_dir
from reception.db.models import Base, Category, Locality, SyncOutbox
from reception.db.settings import load_desk_settings
from reception.demo import _make_id, _make_name, seed_reference
from reception.domain.enums import (
    Channel,
    ContentClass,
    DocumentType,
    Gender,
    LocalityLevel,
    RoutingAction,
)
from reception.intake import directory
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.server.db import ServerDatabase, open_server_database
from reception.server.models import Record
from reception.server.service import add_desk, import_reference
from reception.sync.client import SyncClient
from reception.sync.desk import enroll, sync_once
from reception.sync.registry import synced_tables, uploaded_at_enrolment

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``reception server`` as a child process (the real uvicorn app, over the given database URL)."""

    def __init__(self, db_url: str, workdir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.db_url = db_url
        self.workdir = workdir
        self.extra_args = extra_args
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = (self.workdir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reception", "server", "--db", self.db_url, "--host", "127.0.0.1",
             "--port", str(self.port), *self.extra_args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.workdir / 'server.log').read_text(encoding='utf-8')}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def fast_client(url: str, token: str) -> SyncClient:
    """Tests do not wait seconds for an unreachable server: one retry, short backoff."""
    return SyncClient(url, token, retries=1, backoff=0.05, timeout=20)


def make_reference(root: Path) -> Path:
    """The demo district's reference data (directory, categories, routing, desks, users, leaders) in a data dir."""
    ctx = open_data_dir(root)
    with ctx.db.write() as session:
        seed_reference(session)
    ctx.close()
    return root


@contextmanager
def pg_schema_url(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test (dropped afterwards), as a URL whose search_path is that schema."""
    schema = f"sync_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@dataclass
class DeskHandle:
    name: str
    ctx: AppContext
    desk_code: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    @property
    def ids(self) -> tuple[str, str]:
        with self.ctx.db.read() as s:
            st = load_desk_settings(s)
        return st.desk_id, st.officer_id

    def sync(self) -> Any:
        return sync_once(self.ctx, client_factory=fast_client)

    def intake(self, n: int = 1, *, moment: datetime | None = None) -> list[str]:
        return [random_intake(self.ctx, self.rng, moment=moment) for _ in range(n)]

    def close(self) -> None:
        self.ctx.close()


def new_desk(server_db: ServerDatabase, server_url: str, root: Path, name: str, *, seed: int = 7) -> DeskHandle:
    _client_id, code = add_desk(server_db, name)
    ctx = open_data_dir(root)
    result = enroll(ctx, server_url, code, client_factory=fast_client)
    assert result.report is not None and result.report.ok, result.report
    return DeskHandle(name, ctx, result.desk_code, random.Random(seed))


_LEAVES: dict[str, list[str]] = {}


def _intake_form(s: Any, rng: random.Random) -> IntakeInput:
    """A realistic intake form (random person, grid and category; routed as the rules propose)."""
    key = str(s.get_bind().url)
    if key not in _LEAVES:
        _LEAVES[key] = list(s.scalars(select(Locality.id).where(Locality.level == LocalityLevel.GRID.value)
                                      .order_by(Locality.code)))
        _CATS[key] = list(s.scalars(select(Category.id).where(Category.parent_id.is_not(None))
                                    .order_by(Category.code)))
    grid, cat = rng.choice(_LEAVES[key]), rng.choice(_CATS[key])
    legal = directory.legal_channel_for(s, cat)
    proposal = directory.propose_route(s, cat, grid)
    gender = rng.choice((Gender.MALE, Gender.FEMALE))
    person = PersonInput(name=_make_name(rng), id_type=DocumentType.RESIDENT_ID, id_number=_make_id(rng, gender),
                         gender=gender, phone=f"13{rng.randrange(10**9):09d}", address="某街道某小区1栋")
    if legal:
        action, unit_id = RoutingAction.LEGAL_CHANNEL, None
    elif proposal is not None:
        action, unit_id = RoutingAction.parse(proposal.action), proposal.unit_id
    else:
        action, unit_id = RoutingAction.LEADER_RECEPTION, None
    return IntakeInput(person=person, channel=Channel.VISIT, content_class=ContentClass.CLAIM, category_id=cat,
                       locality_id=grid, request="要求解决小区停车位问题", facts="信访人称问题长期未解决。",
                       routing_action=action, unit_id=unit_id, legal_channel=legal or "")


_CATS: dict[str, list[str]] = {}


def random_intake(ctx: AppContext, rng: random.Random, *, moment: datetime | None = None) -> str:
    """One intake through the real service (``register_intake``), as the desk saves it."""
    with ctx.db.read() as s:
        st = load_desk_settings(s)
        form = _intake_form(s, rng)
    if moment is not None:
        ctx.now = lambda: moment
    result = register_intake(ctx, form, desk_id=st.desk_id, officer_id=st.officer_id, render_receipt=False)
    return result.case_id


def server_records(db: ServerDatabase) -> dict[tuple[str, str], tuple[int, bool, dict[str, Any] | None]]:
    """What the server holds, its sealed personal fields opened (``reception.server.protect``)."""
    with db.session() as s:
        return {(t, r): (v, d, db.sealer.open(t, data)) for t, r, v, d, data in s.execute(
            select(Record.table_name, Record.record_id, Record.version, Record.deleted, Record.data))}


def desk_rows(ctx: AppContext) -> dict[tuple[str, str], dict[str, Any]]:
    from reception.sync.codec import codec_for

    out: dict[tuple[str, str], dict[str, Any]] = {}
    with ctx.db.read() as s:
        for table in synced_tables():
            codec = codec_for(table)
            assert codec is not None
            for obj in s.scalars(select(codec.model)):
                out[(table, codec.record_id(obj))] = codec.encode(obj)
    return out


def integrity_ok(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def assert_converged(db: ServerDatabase, desks: list[DeskHandle], *, allow_open: bool = False) -> None:
    """Every record of every desk is on the server exactly once with the same data, every desk holds every record
    of the server, no outbox row is left, and every database passes PRAGMA integrity_check."""
    server = server_records(db)
    live = {k: v for k, v in server.items() if not v[1]}
    for desk in desks:
        with desk.ctx.db.read() as s:
            left = s.scalar(select(SyncOutbox.seq).limit(1))
        assert left is None, f"{desk.name}: outbox not empty"
        rows = desk_rows(desk.ctx)
        for key, data in rows.items():
            if not uploaded_at_enrolment(key[0]) and key not in server:
                continue  # (a local seed of reference data: never uploaded, see registry.ENROLMENT_UPLOADS)
            assert key in live, f"{desk.name}: {key} missing on the server"
            if not allow_open:
                assert live[key][2] == data, f"{desk.name}: {key} differs from the server"
        missing = [k for k in live if k not in rows]
        assert not missing, f"{desk.name}: {len(missing)} server records missing, e.g. {missing[:3]}"
        integrity_ok(desk.ctx.paths.database)
    if db.dialect == "sqlite":
        integrity_ok(Path(db.url.removeprefix("sqlite:///")))


__all__ = ["Base", "ServerProcess", "DeskHandle", "new_desk", "make_reference", "open_server_database",
           "import_reference", "assert_converged", "server_records", "desk_rows", "pg_schema_url"]


class FaultTransport(httpx.BaseTransport):
    """A real HTTP transport with injected faults on pushes: ``duplicate`` sends each push twice (the answer of
    the second is returned); ``lose`` lets the server commit the first ``times`` pushes, then drops the answers."""

    def __init__(self, mode: str, *, times: int = 1) -> None:
        self.inner = httpx.HTTPTransport()
        self.mode = mode
        self.times = times
        self.pushes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/sync/push":
            return self.inner.handle_request(request)
        self.pushes += 1
        if self.mode == "duplicate":
            first = self.inner.handle_request(request)
            first.read()
            first.close()
            return self.inner.handle_request(request)
        if self.mode == "lose" and self.times > 0:
            self.times -= 1
            response = self.inner.handle_request(request)
            response.read()
            response.close()
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return self.inner.handle_request(request)


def faulty_client(transport: FaultTransport, *, retries: int = 0) -> Any:
    def factory(url: str, token: str) -> SyncClient:
        return SyncClient(url, token, retries=retries, backoff=0.05, transport=transport)

    return factory
