"""Personal data at rest on the server: petitioners' ID numbers and phones are sealed in the server database (its
raw rows, stored answers and conflicts never hold them), desks still receive them, and a server from before sealing
seals what it holds when it is opened."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, text, update

from reception.db.models import Petitioner
from reception.server.db import open_server_database, seal_existing
from reception.server.models import Record, ServerMeta
from reception.server.protect import PREFIX
from tests.sync.conftest import Env


def _raw_text(db_url: str) -> str:
    """Every stored row of the server's record, answer and conflict tables as one text (what a dump shows)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            parts = []
            for table in ("record", "applied_mutation", "conflict"):
                for row in conn.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                    parts.append("\t".join(str(value) for value in row))  # (a Row's repr shortens long values)
            return "\n".join(parts)
    finally:
        engine.dispose()


def _people(desk_ctx) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with desk_ctx.db.read() as s:
        return [(p.id_number, p.phone) for p in s.scalars(select(Petitioner)) if p.id_number and p.phone]


def test_ids_and_phones_are_sealed_on_the_server_and_open_at_desks(env: Env, server_db_url: str) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    a.intake(4)
    assert a.sync().ok
    people = _people(a.ctx)
    assert len(people) == 4
    dump = _raw_text(server_db_url)
    for id_number, phone in people:
        assert id_number not in dump and phone not in dump
    assert dump.count(PREFIX) >= 8
    assert b.sync().ok
    assert sorted(_people(b.ctx)) == sorted(people)  # the other desk gets the plain values (and its blind indexes)
    with env.db.read() as s:
        sealed = [d for d in s.scalars(select(Record.data).where(Record.table_name == "petitioner"))]
    assert all(str(d["id_number"]).startswith(PREFIX) for d in sealed if d and d.get("id_number"))


def test_a_conflict_on_a_petitioner_keeps_the_numbers_sealed(env: Env, server_db_url: str) -> None:
    a = env.desk("一号窗口", seed=1)
    b = env.desk("二号窗口", seed=2)
    a.intake(1)
    assert a.sync().ok and b.sync().ok
    (pid,) = [p for p in _ids(a.ctx)]
    for desk, phone in ((a, "13900000001"), (b, "13900000002")):
        with desk.ctx.db.write() as s:
            person = s.get(Petitioner, pid)
            assert person is not None
            person.phone = phone
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.new_conflicts == 1
    dump = _raw_text(server_db_url)
    assert "13900000001" not in dump and "13900000002" not in dump
    from reception.sync.desk import list_conflicts

    (conflict,) = list_conflicts(b.ctx)
    assert conflict.server_data is not None and conflict.server_data["phone"] == "13900000001"


def _ids(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as s:
        return list(s.scalars(select(Petitioner.id)))


def test_records_stored_before_sealing_are_sealed_when_the_server_opens(env: Env, server_db_url: str,
                                                                           tmp_path: Path) -> None:
    a = env.desk("一号窗口", seed=1)
    a.intake(2)
    assert a.sync().ok
    people = _people(a.ctx)
    with env.db.session() as s:  # an old server: plain numbers, and no marker that sealing ran
        for rid, data in s.execute(select(Record.record_id, Record.data).where(Record.table_name == "petitioner")):
            s.execute(update(Record).where(Record.table_name == "petitioner", Record.record_id == rid)
                      .values(data=env.db.sealer.open("petitioner", data)))
        s.execute(ServerMeta.__table__.delete().where(ServerMeta.key == "sealed"))
    assert people[0][0] in _raw_text(server_db_url)
    reopened = open_server_database(server_db_url)
    try:
        assert seal_existing(reopened) == 0  # (opening sealed them already, and marked it)
        dump = _raw_text(server_db_url)
        assert all(i not in dump and p not in dump for i, p in people)
    finally:
        reopened.dispose()
    b = env.desk("二号窗口", seed=2)
    assert sorted(_people(b.ctx)) == sorted(people)
