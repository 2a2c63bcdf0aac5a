"""The server keeps the head of each desk's audit chain; a desk's verify compares with it, so a tail truncated or
rewritten on the desk (which verifies on its own, consecutive and re-hashed) is still found. Real server process."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from reception.cli import main
from reception.db.models import AuditEntry
from reception.security.audit import entry_hash, verify
from reception.sync.desk import audit_against_server
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, fast_client

pytestmark = pytest.mark.slow


def _tamper(desk: DeskHandle, sql: str, *params: object) -> None:
    """As an intruder would: plain sqlite3 on the file, the append-only triggers dropped."""
    conn = sqlite3.connect(desk.ctx.paths.database)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def _chain(desk: DeskHandle) -> tuple[str, int]:
    desk_id, _officer = desk.ids
    with desk.ctx.db.read() as s:
        last = s.scalar(select(AuditEntry.seq).where(AuditEntry.chain == desk_id).order_by(AuditEntry.seq.desc()))
    assert last is not None and last >= 3
    return desk_id, last


def test_a_truncated_tail_is_found_against_the_server(env: Env) -> None:
    a = env.desk("一号窗口", seed=31)
    a.intake(3)
    assert a.sync().ok
    assert audit_against_server(a.ctx, client_factory=fast_client) == ([], "")
    chain, last = _chain(a)
    _tamper(a, "DELETE FROM audit_entry WHERE chain = ? AND seq >= ?", chain, last - 1)
    with a.ctx.db.read() as s:
        assert verify(s).ok  # on its own the shortened chain is consistent: only the server's copy shows the cut
    problems, note = audit_against_server(a.ctx, client_factory=fast_client)
    assert note == "" and len(problems) == 1 and "截断" in problems[0], problems
    assert main(["audit", "verify", "--data-dir", str(a.ctx.paths.root)]) == 1


def test_a_rewritten_tail_is_found_against_the_server(env: Env) -> None:
    a = env.desk("一号窗口", seed=32)
    a.intake(3)
    assert a.sync().ok
    chain, last = _chain(a)
    with a.ctx.db.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.seq == last)).one()
        s.expunge(entry)
    entry.detail = "rewritten"
    _tamper(a, "UPDATE audit_entry SET detail = ?, hash = ? WHERE id = ?", entry.detail, entry_hash(entry), entry.id)
    with a.ctx.db.read() as s:
        assert verify(s).ok
    problems, _note = audit_against_server(a.ctx, client_factory=fast_client)
    assert len(problems) == 1 and "改写" in problems[0], problems
