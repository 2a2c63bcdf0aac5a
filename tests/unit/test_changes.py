"""reception.changes: each committed write reports the kinds of things it changed; nothing else does."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from reception.bootstrap import open_data_dir
from reception.changes import ALL_CHANGES, TABLE_CHANGES, Change, ChangeSet, attach_changes
from reception.db.base import Base
from reception.db.models import Leader, Unit
from reception.security import audit
from tests.clock import UI_NOW, Clock


def test_commits_report_their_kinds_and_rollbacks_nothing(tmp_path: Path) -> None:
    ctx = open_data_dir(tmp_path, now=Clock(UI_NOW))
    try:
        hub = attach_changes(ctx.db)
        assert attach_changes(ctx.db) is hub  # one hub per database
        seen: list[ChangeSet] = []
        unsubscribe = hub.subscribe(seen.append)

        with ctx.db.write() as s:
            s.add(Unit(code="U98", name="区新设机构", kind="department", sort_order=998))
        assert seen == [ChangeSet.of(Change.REFERENCE)]

        # a Core statement on the session's connection counts too (the sync's bulk pull writes that way)
        with ctx.db.write() as s:
            s.connection().execute(update(Unit).where(Unit.code == "U98").values(name="区另设机构"))
            s.add(Leader(name="测试领导", title="副区长"))
        assert seen[-1] == ChangeSet.of(Change.REFERENCE, Change.ROSTER)

        try:
            with ctx.db.write() as s:
                s.add(Unit(code="U97", name="不会提交", kind="department", sort_order=997))
                s.flush()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        with ctx.db.read() as s:  # a read writes nothing
            assert s.scalar(select(Unit.id).where(Unit.code == "U97")) is None
        assert len(seen) == 2

        # the audit trail is no kind a screen shows (an audited read would otherwise refresh the screen reading)
        with ctx.db.write() as s:
            audit.record(s, user_id=None, action="view", entity="case", entity_id="test")
        assert len(seen) == 2

        unsubscribe()
        with ctx.db.write() as s:
            s.add(Unit(code="U96", name="无人收听", kind="department", sort_order=996))
        assert len(seen) == 2
    finally:
        ctx.close()


def test_every_table_has_a_kind_or_is_left_out_on_purpose() -> None:
    unlisted = {"audit_entry", "case_number_counter", "case_clock", "stats_day", "stats_cached_day",
                "petitioner_token", "petitioner_gram"}
    tables = set(Base.metadata.tables)
    assert set(TABLE_CHANGES) <= tables  # no stale names
    assert tables - set(TABLE_CHANGES) == unlisted
    assert ALL_CHANGES.touches(*Change) and not ChangeSet()
    assert ChangeSet.from_tables(["visit", "audit_entry"]) == ChangeSet.of(Change.CASES)
