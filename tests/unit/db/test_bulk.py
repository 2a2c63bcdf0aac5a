"""``db.bulk.execute_many`` and ``execute_tuples`` store what ``Connection.execute`` stores for the same rows (the
column types' bind processing: JSON, UTC datetimes, dates, the encrypted columns), through the driver's executemany
with the connection's events; ``db.base.new_id`` gives time-ordered version-7 UUIDs that only ascend, never the
same in a forked child."""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import JSON as SA_JSON
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reception.db import base
from reception.db.base import UTCDateTime, new_id
from reception.db.bulk import execute_many, execute_tuples
from reception.security.crypto import EncryptedString
from tests.unit.conftest import Desk

_META = MetaData()
_PROBE = Table("bulk_probe", _META,
               Column("id", String(36), primary_key=True),
               Column("n", Integer),
               Column("flag", Boolean),
               Column("data", SA_JSON),
               Column("at", UTCDateTime()),
               Column("on", Date),
               Column("secret", EncryptedString(120, "bulk_probe.secret")))


def _rows(prefix: str) -> list[dict[str, Any]]:
    cst = timezone(timedelta(hours=8))
    return [{"id": f"{prefix}{i}", "n": i if i % 3 else None, "flag": i % 2 == 0,
             "data": None if i == 1 else {"k": i, "名": "张三", "list": [1, None]},
             "at": datetime(2021, 3, 5, 9, i, tzinfo=cst if i % 2 else UTC), "on": date(2021, 3, i + 1),
             "secret": None if i == 2 else f"1380013800{i}"} for i in range(6)]


def test_execute_many_stores_what_execute_stores(desk: Desk) -> None:
    executemany: list[tuple[str, bool]] = []
    engine = desk.ctx.db.engine
    _META.create_all(engine)

    def seen(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool) -> None:
        if "bulk_probe" in statement and statement.startswith("INSERT"):
            executemany.append((statement.split()[0], many))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with desk.ctx.db.write() as s:
            conn = s.connection()
            conn.execute(insert(_PROBE), _rows("a"))
            execute_many(conn, insert(_PROBE), _rows("b"))
            raw = {r[0]: r[1:] for r in conn.exec_driver_sql(
                'SELECT id, n, flag, data, at, "on", secret FROM bulk_probe')}
            loaded = {r.id: tuple(r)[1:] for r in conn.execute(select(_PROBE))}
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert executemany == [("INSERT", True), ("INSERT", True)]  # (the events still see the driver's statement)
    for i in range(6):
        a, b = raw[f"a{i}"], raw[f"b{i}"]
        assert a[:5] == b[:5]  # the stored text of every column but the ciphertext (its nonce is random)
        assert (a[5] is None) == (b[5] is None) and a[5] != f"1380013800{i}"
        assert loaded[f"a{i}"] == loaded[f"b{i}"]  # and everything decodes to the same values
    assert loaded["b0"][5] == "13800138000" and loaded["b1"][2] is None


def test_execute_tuples_stores_what_execute_stores_in_any_column_order(desk: Desk) -> None:
    _META.create_all(desk.ctx.db.engine)
    columns = ["secret", "on", "at", "data", "flag", "n", "id"]  # (not the table's order: reordered to the SQL's)
    with desk.ctx.db.write() as s:
        conn = s.connection()
        conn.execute(insert(_PROBE), _rows("a"))
        for _ in range(2):  # (the second time from the kept plan)
            conn.execute(_PROBE.delete().where(_PROBE.c.id.like("t%")))
            execute_tuples(conn, insert(_PROBE), columns,
                           [tuple(row[c] for c in columns) for row in _rows("t")])
            raw = {r[0]: r[1:] for r in conn.exec_driver_sql('SELECT id, n, flag, data, at, "on" FROM bulk_probe')}
            loaded = {r.id: tuple(r)[1:] for r in conn.execute(select(_PROBE))}
            for i in range(6):
                assert raw[f"a{i}"] == raw[f"t{i}"]
                assert loaded[f"a{i}"] == loaded[f"t{i}"]
        execute_tuples(conn, insert(_PROBE), ["id", "n"], [("one", 1)])  # one column's tuple of one, the rest NULL
        assert conn.execute(select(_PROBE.c.n, _PROBE.c.data).where(_PROBE.c.id == "one")).one() == (1, None)


def test_execute_many_runs_an_upsert_of_some_columns(desk: Desk) -> None:
    _META.create_all(desk.ctx.db.engine)
    with desk.ctx.db.write() as s:
        conn = s.connection()
        execute_many(conn, insert(_PROBE), [{"id": "x", "n": 1, "flag": True, "data": {}, "at": None, "on": None,
                                             "secret": None}])
        stmt = sqlite_insert(_PROBE)
        execute_many(conn, stmt.on_conflict_do_update(index_elements=["id"], set_={"n": stmt.excluded.n}),
                     [{"id": "x", "n": 7}, {"id": "y", "n": 8}])  # (the other columns: NULL, as execute gives)
        assert sorted(conn.execute(select(_PROBE.c.id, _PROBE.c.n, _PROBE.c.flag))) == [("x", 7, True),
                                                                                       ("y", 8, None)]


def test_new_id_gives_unique_time_ordered_version_7_uuids_that_only_ascend() -> None:
    base._ids.clear()  # (so every id is made here)
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(3000)]  # (more than one pool, most of them within a millisecond)
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
        assert before <= parsed.int >> 80 <= after + 16  # (a millisecond's counter that runs out takes the next)
    assert {t[19] for t in ids} == set("89ab")
    assert len({t[24:] for t in ids}) == len(ids)  # the random part differs too


def test_ids_still_ascend_when_the_clock_is_set_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = [new_id() for _ in range(300)]
    base._ids.clear()
    monkeypatch.setattr(time, "time_ns", lambda: 1_000_000_000_000_000)  # 2001: far behind the ids made
    later = [new_id() for _ in range(300)]
    assert first + later == sorted(first + later) and len(set(first + later)) == 600


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="no fork")
def test_a_forked_child_never_repeats_its_parents_next_ids() -> None:
    new_id()  # (the pool holds ids now)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.write(write, ",".join(new_id() for _ in range(20)).encode("ascii"))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        child = set(f.read().decode("ascii").split(","))
    os.waitpid(pid, 0)
    parent = {new_id() for _ in range(20)}
    assert len(child) == 20 and not child & parent


def test_transient_builds_what_the_constructor_builds(desk: Desk) -> None:
    from sqlalchemy import inspect as sa_inspect

    from reception.db.base import transient
    from reception.db.models import AuditEntry, Visit

    values = {"id": new_id(), "user_id": None, "action": "intake", "entity": "case", "entity_id": new_id(),
              "detail": "new_case", "changes": {"a": [1, 2]}}
    fast, slow = transient(AuditEntry, **values), AuditEntry(**values)
    assert type(fast) is AuditEntry and sa_inspect(fast).transient
    assert {k: v for k, v in fast.__dict__.items() if not k.startswith("_sa")} == \
        {k: v for k, v in slow.__dict__.items() if not k.startswith("_sa")}
    with pytest.raises(TypeError):
        AuditEntry(**values, nonsense=1)
    with pytest.raises(TypeError):  # (a key that is no column: the constructor, which refuses it)
        transient(AuditEntry, **values, nonsense=1)
    # a relationship given: the constructor's object (the ORM must see the assignment)
    assert "case" in sa_inspect(Visit).relationships
    assert sa_inspect(transient(Visit, case=None)).attrs.case.history.added == [None]
    # flushed through the ORM, the two give the same row (the audit chain seals both)
    slow.id, slow.entity_id = new_id(), values["entity_id"]
    with desk.ctx.db.write() as s:
        s.add_all([fast, slow])
        s.flush()
        rows = {e.id: e for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == values["entity_id"]))}
        assert set(rows) == {fast.id, slow.id}
        for column in ("user_id", "action", "entity", "detail", "changes", "desk_id"):
            assert getattr(rows[fast.id], column) == getattr(rows[slow.id], column)
