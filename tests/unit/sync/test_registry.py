"""The sync registry classifies every table; the outbox captures changes in their own transaction; the codec
never ships blind-index columns and keeps plaintext attribute values of TypeDecorator columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import String, TypeDecorator, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reception.bootstrap import open_data_dir
from reception.db.base import utcnow
from reception.db.models import Base, Petitioner, SyncOutbox, SyncPeer, SyncRow
from reception.sync.codec import build_codec
from reception.sync.outbox import open_personal, outbox_state
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
        assert rows[1].data is not None and rows[1].data["phone"].startswith("enc1:")  # (sealed in the outbox)
        assert (open_personal("petitioner", rows[1].data) or {})["phone"] == "13800000000"
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


def test_reference_data_syncs_both_ways_but_enrolment_uploads_only_desk_records() -> None:
    from reception.sync.registry import pushable, uploaded_at_enrolment

    reference = ["locality", "unit", "category", "routing_rule", "leader", "leader_membership",
                 "leader_unavailability", "holiday_day", "holiday_year", "roster_month", "roster_slot",
                 "roster_version", "roster_change", "centre_setting"]
    for table in reference:
        assert TABLES[table] is Direction.BOTH and pushable(table), table
        assert not uploaded_at_enrolment(table), table
    assert TABLES["desk"] is Direction.DOWN and not pushable("desk")  # desk codes are the server's
    assert uploaded_at_enrolment("user") and uploaded_at_enrolment("petition_case")
    assert not uploaded_at_enrolment("setting") and not uploaded_at_enrolment("desk")


def test_a_centre_rule_changed_at_an_enrolled_desk_is_queued_and_a_desk_setting_is_not(tmp_path: Path) -> None:
    from dataclasses import replace

    from reception.db.settings import load_desk_settings, save_desk_settings
    from reception.domain.deadlines import RollPolicy
    from reception.setup import update_desk_settings

    ctx = _enrolled(tmp_path)
    with ctx.db.write() as s:  # this PC's own settings: local, and they never carry the centre's rule
        settings = load_desk_settings(s)
        save_desk_settings(s, replace(settings, receipt_layout="a5", deadline_roll=RollPolicy.NONE.value))
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncOutbox)) == 0
        assert load_desk_settings(s).roll_policy is RollPolicy.NON_WORKING_DAYS
        assert load_desk_settings(s).receipt_layout == "a5"
    update_desk_settings(ctx, deadline_roll=RollPolicy.HOLIDAYS_ONLY.value)
    update_desk_settings(ctx, deadline_roll=RollPolicy.HOLIDAYS_ONLY.value)  # unchanged: nothing more to send
    with ctx.db.read() as s:
        rows = list(s.scalars(select(SyncOutbox)))
        assert [(r.table_name, r.record_id, r.op) for r in rows] == [("centre_setting", "deadline_roll", "upsert")]
        assert rows[0].data is not None and rows[0].data["value"] == {"policy": "holidays_only"}
        assert load_desk_settings(s).roll_policy is RollPolicy.HOLIDAYS_ONLY
    ctx.close()


def test_roster_generation_and_holiday_import_at_an_enrolled_desk_go_through_the_outbox(tmp_path: Path) -> None:
    """Regenerating a month and importing a year's holidays replace rows: through the ORM (a bulk DELETE would be
    refused on a pushed table), every removed row a ``delete`` mutation."""
    from datetime import date

    from reception.db.models import Leader, RosterSlot
    from reception.roster import holidays
    from reception.roster.holidays import HolidayEntry
    from reception.roster.service import generate_month

    ctx = _enrolled(tmp_path)
    with ctx.db.write() as s:
        for n in range(4):
            s.add(Leader(name=f"领导{n}", title="副区长", rank_order=n))
    generate_month(ctx, "2026-12")
    generate_month(ctx, "2026-12")
    with ctx.db.write() as s:
        holidays.import_holidays(s, 2027, [HolidayEntry(date(2027, 1, 1), False, "元旦", "import"),
                                           HolidayEntry(date(2027, 1, 2), False, "元旦", "import")])
    with ctx.db.write() as s:
        holidays.import_holidays(s, 2027, [HolidayEntry(date(2027, 1, 1), False, "元旦", "import")],
                                   force=True)  # (a shorter file: the removal confirmed)
    with ctx.db.read() as s:
        slots = set(s.scalars(select(RosterSlot.id)))
        ops = [(r.table_name, r.record_id, r.op) for r in s.scalars(select(SyncOutbox).order_by(SyncOutbox.seq))]
    slot_ops = [(rid, op) for t, rid, op in ops if t == "roster_slot"]
    assert slots and {rid for rid, op in slot_ops if op == "delete"}.isdisjoint(slots)
    assert len([1 for _rid, op in slot_ops if op == "delete"]) == len(slots)  # the first draft's slots removed
    assert [(rid, op) for t, rid, op in ops if t == "holiday_day"] == [
        ("2027-01-01", "upsert"), ("2027-01-02", "upsert"), ("2027-01-02", "delete")]
    ctx.close()
