"""The directory snapshot behind validation, routing proposals and receipt labels: always what the session's
transaction sees, whoever edited the directory (another AppContext on the same file, another connection, the
session itself, flushed or not)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text, update

from reception.bootstrap import open_data_dir
from reception.db.models import Category, Locality, RoutingRule, Setting, Unit
from reception.domain.errors import FieldErrors
from reception.intake import directory
from reception.intake.dirsnap import directory_of
from reception.reference.model import Kind, UnitRow
from reception.reference.store import list_rows, save_row
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import GRID, form, save


def _pdf_text(path: str | None) -> str:
    assert path is not None
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def test_a_unit_renamed_in_another_app_context_is_seen_by_the_next_save(desk: Desk) -> None:
    other = open_data_dir(desk.ctx.paths.root)  # a second AppContext on the same data directory
    try:
        unit_id = desk.unit("ZJJ")
        with desk.ctx.db.read() as s:
            before = directory.propose_route(s, desk.category("CJ01"), desk.locality(GRID))
        assert before is not None and before.unit_id == unit_id
        old_name = before.unit_name
        assert old_name in _pdf_text(save(desk, form(desk), receipt=True).receipt_path)

        (rid, row), = [(rid, r) for rid, r in list_rows(other, Kind.UNIT) if isinstance(r, UnitRow) and
                       r.code == "ZJJ"]
        save_row(other, Kind.UNIT, replace(row, name="区住房保障中心"), record_id=rid, actor_id=None)

        with desk.ctx.db.read() as s:
            after = directory.propose_route(s, desk.category("CJ01"), desk.locality(GRID))
        assert after is not None and after.unit_name == "区住房保障中心" and old_name not in after.explanation
        text = _pdf_text(save(desk, form(desk), receipt=True).receipt_path)
        assert "区住房保障中心" in text and old_name not in text
        with other.db.read() as s:
            assert directory.propose_route(s, desk.category("CJ01"), desk.locality(GRID)) == after
    finally:
        other.close()


def test_a_category_renamed_by_another_connection_changes_the_receipt_label(desk: Desk) -> None:
    cat_id = desk.category("CJ01")
    with desk.ctx.db.read() as s:
        old = directory.category_label(s, cat_id)
    raw = sqlite3.connect(desk.ctx.paths.database)  # as another process would: no SQLAlchemy, no change hub
    with raw:
        raw.execute("UPDATE category SET name = ? WHERE id = ?", ("不动产登记办证", cat_id))
    raw.close()
    with desk.ctx.db.read() as s:
        label = directory.category_label(s, cat_id)
    assert label != old and label.endswith("不动产登记办证")
    result = save(desk, form(desk), receipt=True)
    assert "不动产登记办证" in _pdf_text(result.receipt_path)


def test_a_unit_retired_elsewhere_proposes_nothing_and_a_grid_added_elsewhere_is_valid_at_once(
        desk: Desk) -> None:
    unit_id = desk.unit("ZJJ")
    grid = desk.locality(GRID)
    raw = sqlite3.connect(desk.ctx.paths.database)
    with raw:
        raw.execute("UPDATE unit SET active = 0 WHERE id = ?", (unit_id,))
    with desk.ctx.db.read() as s:
        proposal = directory.propose_route(s, desk.category("CJ01"), grid)
    assert proposal is None or proposal.unit_id != unit_id
    with raw:  # a new grid appears and is valid at once
        parent = raw.execute("SELECT parent_id FROM locality WHERE id = ?", (grid,)).fetchone()[0]
        raw.execute("INSERT INTO locality (id, parent_id, level, code, name, sort_order, active) "
                    "VALUES ('new-grid', ?, 'grid', 'NEW-GRID', '第9网格', 9, 1)", (parent,))
    raw.close()
    with desk.ctx.db.read() as s:
        assert directory.locality_label(s, "new-grid").endswith("/ 第9网格")
    saved = save(desk, form(desk, locality_id="new-grid", unit_id=desk.unit("CY"), override_reason="属地"))
    assert saved.is_new_case
    with pytest.raises(FieldErrors) as exc:
        save(desk, form(desk, locality_id="no-such-grid"))
    assert [e.key for e in exc.value.errors] == ["locality_unknown"]


def test_the_sessions_own_changes_flushed_or_not_are_seen(desk: Desk) -> None:
    cat_id = desk.category("CJ01")
    with desk.ctx.db.write() as s:
        first = directory_of(s)
        assert directory_of(s) is first  # kept while the connection changed nothing
        cat = s.get(Category, cat_id)
        assert cat is not None
        cat.name = "未写入的名称"  # pending, not flushed
        assert directory.category_label(s, cat_id).endswith("未写入的名称")
        s.add(Unit(id="new-unit", code="NEW", name="新单位", kind="department"))
        assert directory_of(s).units["new-unit"].name == "新单位"
        rule = s.scalars(select(RoutingRule).where(RoutingRule.category_id == cat_id)).first()
        assert rule is not None
        s.delete(rule)
        assert rule.id not in directory_of(s).rules
        s.flush()  # now in the database: read again, the same answers
        snap = directory_of(s)
        assert snap is not first and snap.units["new-unit"].name == "新单位" and rule.id not in snap.rules
        assert snap.category_label(cat_id).endswith("未写入的名称")
        loc = s.get(Locality, desk.locality(GRID))
        assert loc is not None
        s.execute(update(Locality).where(Locality.id == loc.id).values(name="第1网格（改）"))
        assert directory_of(s).locality_label(loc.id).endswith("第1网格（改）")
        s.rollback()
    with desk.ctx.db.read() as s:  # rolled back: the stored names again
        assert not directory.category_label(s, cat_id).endswith("未写入的名称")
        assert "new-unit" not in directory_of(s).units


def test_the_snapshot_answers_as_the_tables_do(desk: Desk) -> None:
    """Labels, legal channels and proposals from the snapshot equal those walked row by row with the ORM."""
    with desk.ctx.db.read() as s:
        snap = directory_of(s)
        for cat in s.scalars(select(Category)):
            names: list[str] = []
            legal: str | None = None
            current: Category | None = cat
            while current is not None:
                names.append(current.name)
                legal = legal or current.legal_channel
                current = s.get(Category, current.parent_id) if current.parent_id else None
            assert snap.category_label(cat.id) == " / ".join(reversed(names))
            assert snap.legal_channel_for(cat.id) == legal
        for loc in s.scalars(select(Locality)):
            path = directory.locality_path(s, loc.id)
            assert snap.locality_label(loc.id) == " / ".join(r.name for r in path)
        assert len(snap.rules) == len(s.scalars(select(RoutingRule)).all()) > 0


def test_a_new_case_and_its_clocks_commit_in_one_transaction(desk: Desk) -> None:
    """The intake writes the new case's legal clocks in its own transaction: one commit, no second write."""
    from sqlalchemy import event, func

    from reception.db.models import CaseClock

    f = form(desk)
    commits: list[int] = []
    event.listen(desk.ctx.db.engine, "commit", lambda conn: commits.append(1))
    result = save(desk, f)
    assert len(commits) == 1
    with desk.ctx.db.read() as s:
        clocks = s.scalar(select(func.count()).select_from(CaseClock).where(CaseClock.case_id == result.case_id))
    assert clocks and clocks > 0


def test_writes_to_other_tables_keep_the_snapshot_and_any_directory_write_drops_it(desk: Desk) -> None:
    """A bulk load writes cases and visits in one long transaction and reads the directory once; a write to a
    directory table by any statement of the session (ORM, Core, raw SQL) or a rolled-back savepoint is read again."""
    with desk.ctx.db.write() as s:
        first = directory_of(s)
        for n in range(3):
            s.add(Setting(key=f"dirsnap.test.{n}", value="x"))
            s.flush()
        s.execute(text("UPDATE setting SET value = 'y' WHERE key LIKE 'dirsnap.test.%'"))
        assert directory_of(s) is first
        any_unit = s.scalars(select(Unit.id)).first()
        assert any_unit is not None
        s.execute(text("UPDATE unit SET name = '改名单位' WHERE id = :id"), {"id": any_unit})
        second = directory_of(s)
        assert second is not first and second.units[any_unit].name == "改名单位"
        assert directory_of(s) is second
        savepoint = s.begin_nested()
        s.execute(text('UPDATE "unit" SET name = \'再改\' WHERE id = :id'), {"id": any_unit})
        assert directory_of(s).units[any_unit].name == "再改"
        savepoint.rollback()
        assert directory_of(s).units[any_unit].name == "改名单位"
        s.execute(text("INSERT OR REPLACE INTO routing_rule SELECT * FROM routing_rule LIMIT 0"))
        assert directory_of(s) is not second  # (a write statement aimed at the table, even of no row)
        s.rollback()
