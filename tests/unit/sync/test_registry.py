"""The sync registry classifies every table; the outbox captures changes in their own transaction; the codec
never ships blind-index columns and keeps plaintext attribute values of TypeDecorator columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import String, TypeDecorator, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reception.db.base import utcnow
from reception.db.models import Base, Petitioner, SyncOutbox, SyncPeer, SyncRow
from reception.services.context import open_data_dir
from reception.sync.codec import build_codec
from reception.sync.outbox import outbox_state
from reception.sync.registry import TABLES, Direction, synced_tables, unclassified


def test_every_table_is_classified() -> None:
    assert unclassified() == [], (
        "tables missing from reception/sync/registry.py TABLES (classify them up, down, both or local): "
        f"{unclassified()}")
    assert set(TABLES) <= set(Base.metadata.tables), "registry names a table that no longer exists"


def test_synced_tables_are_in_dependency_order() -> None:
    order = synced_tables()
    assert order.index("petition_case") < order.index("visit") < order.index("visit_person")
    assert order.index("locality") < order.index("petition_case")
    assert all(TABLES[t] is not Direction.LOCAL for t in order)


def _enrolled(tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = open_data_dir(tmp_path)
    with ctx.db.write() as s:
        s.add(SyncPeer(id=1, server_url="http://127.0.0.1:1", client_id="c", desk_code="D01", enrolled_at=utcnow()))
    outbox_state(ctx.db).enabled = True
    return ctx


def test_outbox_row_commits_or_rolls_back_with_the_change(tmp_path: Path) -> None:
    ctx = _enrolled(tmp_path)
    with ctx.db.write() as s:
        s.add(Petitioner(id="p1", name="夏云", id_type="resident_id", gender="female"))
    with pytest.raises(RuntimeError), ctx.db.write() as s:
        s.add(Petitioner(id="p2", name="李某", id_type="resident_id", gender="male"))
        s.flush()
        raise RuntimeError("the use case fails after its flush")
    with ctx.db.read() as s:
        rows = list(s.scalars(select(SyncOutbox)))
        assert [(r.table_name, r.record_id, r.op, r.base_version) for r in rows] == [("petitioner", "p1", "upsert", 0)]
        assert rows[0].data is not None and rows[0].data["name"] == "夏云"
        assert s.get(Petitioner, "p2") is None
    with ctx.db.write() as s:  # an edit: against the version this desk expects (1 after its own insert)
        person = s.get(Petitioner, "p1")
        assert person is not None
        person.address = "新住址"
        s.flush()
        person.phone = "13800000000"  # a second flush in the same transaction: still one mutation
    with ctx.db.read() as s:
        rows = list(s.scalars(select(SyncOutbox).order_by(SyncOutbox.seq)))
        assert [(r.op, r.base_version) for r in rows] == [("upsert", 0), ("upsert", 1)]
        assert rows[1].data is not None and rows[1].data["phone"] == "13800000000"
        assert s.get(SyncRow, ("petitioner", "p1")).version == 2  # type: ignore[union-attr]
    ctx.close()


def test_local_tables_and_unenrolled_desks_queue_nothing(tmp_path: Path) -> None:
    ctx = open_data_dir(tmp_path)
    with ctx.db.write() as s:
        s.add(Petitioner(id="p1", name="夏云", id_type="resident_id", gender="female"))
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncOutbox)) == 0
    ctx.close()


def test_bulk_statements_on_pushed_tables_are_refused(tmp_path: Path) -> None:
    from sqlalchemy import update

    ctx = _enrolled(tmp_path)
    with pytest.raises(RuntimeError, match="bypass the sync outbox"), ctx.db.write() as s:
        s.execute(update(Petitioner).values(address=""))
    ctx.close()


class _Cipher(TypeDecorator[str]):
    """Stands in for the security branch's encrypted column: stored reversed, plaintext as the attribute."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value[::-1] if value is not None else None

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return value[::-1] if value is not None else None


class _OtherBase(DeclarativeBase):
    pass


class _Person(_OtherBase):
    __tablename__ = "person_probe"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str] = mapped_column(_Cipher(32))
    phone_bidx: Mapped[str] = mapped_column(String(64))


def test_blind_indexes_never_travel_and_plaintext_does() -> None:
    from sqlalchemy import inspect

    codec = build_codec(inspect(_Person))
    data = codec.encode(_Person(id="x", phone="13800001234", phone_bidx="deadbeef"))
    assert data == {"id": "x", "phone": "13800001234"}  # the attribute's plaintext, no blind index
    assert codec.decode({"id": "x", "phone": "13800001234", "phone_bidx": "forged"}) == {"id": "x",
                                                                                          "phone": "13800001234"}
