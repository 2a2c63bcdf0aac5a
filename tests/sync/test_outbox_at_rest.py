"""The sync outbox and stored conflicts hold petitioners' ID numbers and phones only as ciphertext: in the database
file, its write-ahead log and its free pages, while the desk is offline and after the upload emptied the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from reception.db.models import Petitioner, SyncConflict, SyncOutbox
from reception.sync.desk import list_conflicts
from tests.sync.conftest import Env

pytestmark = pytest.mark.slow


def _file_bytes(root: Path) -> bytes:
    """The database, its WAL and shared-memory files as they are on disk (free pages included)."""
    return b"".join(p.read_bytes() for p in sorted(root.glob("reception.sqlite3*")))


def test_outbox_holds_no_personal_data_in_clear_offline_nor_after_upload(env: Env) -> None:
    a = env.desk("一号窗口", seed=21)
    env.server.stop()  # offline
    a.intake(6)
    with a.ctx.db.read() as s:
        people = [(p.id_number, p.phone) for p in s.scalars(select(Petitioner)) if p.id_number and p.phone]
        queued = list(s.scalars(select(SyncOutbox).where(SyncOutbox.table_name == "petitioner")))
    assert len(people) == 6 and len(queued) >= 6
    report = a.sync()
    assert not report.ok  # (still offline: everything waits in the outbox)
    raw = _file_bytes(a.ctx.paths.root)
    for id_number, phone in people:
        assert id_number.encode() not in raw and phone.encode() not in raw
    env.server.start()
    assert a.sync().ok
    with a.ctx.db.read() as s:
        assert s.scalar(select(SyncOutbox.seq).limit(1)) is None
    raw = _file_bytes(a.ctx.paths.root)
    for id_number, phone in people:
        assert id_number.encode() not in raw and phone.encode() not in raw
    # the server received the plain values (sealed there under its own key)
    from tests.sync.harness import server_records

    on_server = {(d or {}).get("id_number") for (t, _r), (_v, _x, d) in server_records(env.db).items()
                 if t == "petitioner"}
    assert {i for i, _p in people} <= on_server


def test_a_stored_conflict_keeps_personal_fields_encrypted(env: Env) -> None:
    a, b = env.desk("一号窗口", seed=22), env.desk("二号窗口", seed=23)
    a.intake(1)
    assert a.sync().ok and b.sync().ok
    with a.ctx.db.write() as s:
        p = s.scalars(select(Petitioner)).one()
        p.phone, pid = "13700000001", p.id
    with b.ctx.db.write() as s:
        p = s.get(Petitioner, pid)
        assert p is not None
        p.phone = "13700000002"
    assert a.sync().ok
    assert b.sync().new_conflicts == 1
    [conflict] = list_conflicts(b.ctx)
    assert conflict.local_data and conflict.local_data["phone"] == "13700000002"
    assert conflict.server_data and conflict.server_data["phone"] == "13700000001"
    raw = _file_bytes(b.ctx.paths.root)
    assert b"13700000002" not in raw and b"13700000001" not in raw
    with b.ctx.db.read() as s:
        assert s.scalar(select(SyncConflict.id)) == conflict.id
