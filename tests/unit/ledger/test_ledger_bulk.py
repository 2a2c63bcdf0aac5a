"""The ledger import writes its new records around the ORM's unit of work (``sync.outbox.insert_captured``): on an
enrolled desk its outbox rows must be exactly those the ORM path wrote (same tables, order, ops, base versions and
decoded records, ids and wall-clock times aside), with the same search index rows and an audit chain that verifies.
The ORM path is the import's former ``_write`` (add the records table by table, flush), kept here as the oracle."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from reception.db.models import (
    AuditEntry,
    Case,
    CaseEvent,
    LedgerRow,
    Petitioner,
    PetitionerGram,
    PetitionerToken,
    SyncOutbox,
    SyncRow,
    Visit,
    VisitPerson,
)
from reception.domain.enums import DocumentType
from reception.ledger import service as ledger
from reception.ledger.service import LedgerSource
from reception.security import audit
from reception.sync.outbox import attach_outbox, mark_sent, open_personal
from tests.clock import Clock
from tests.unit.conftest import Desk, open_desk
from tests.unit.ledger.files import ID_ZHANG, write_xlsx
from tests.unit.ledger.test_ledger_import import _ledger_with_refs

pytestmark = pytest.mark.dated

DEFAULTS = {"category": "HB01"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_WALL_CLOCK = {"created_at", "updated_at"}
"""Stamped by ``utcnow`` (the real clock), not the desk's: they differ between two runs."""
_RANDOM = {"query_code", "hash", "prev_hash"}
"""Random (the 查询码) or derived from the random ids (the audit chain's hashes: checked by ``audit.verify``)."""


def _orm_write(self: ledger._RowImporter, groups: dict[type, list[Any]], *, attach: bool = False) -> None:
    """The import's write before the bulk path: each table's records added and flushed through the ORM."""
    s = self.session
    for kind in ledger._INSERT_ORDER:
        if groups.get(kind):
            s.add_all(groups.pop(kind))
            s.flush()
    assert not groups, groups.keys()
    for obj, values in self.late:
        for attr, value in values.items():
            setattr(obj, attr, value)
    self.late.clear()
    s.flush()
    self.unwritten.clear()


@pytest.fixture
def other(tmp_path: Path, clock: Clock) -> Iterator[Desk]:
    """A second desk set up as the ``desk`` fixture's, on the same clock."""
    opened = open_desk(tmp_path / "other", clock)
    yield opened
    opened.ctx.close()


def _files(tmp_path: Path) -> list[Path]:
    """The sample ledger (new people, 张三's two matters, rows the dry run refuses), one where 张三 comes with a
    phone his record lacks, then rows sharing an 原编号 (a further visit to a case of the same batch)."""
    more = write_xlsx(tmp_path / "more.xlsx", [
        ["张三", ID_ZHANG, "13800138000", "2021-04-05", "要求尽快办理房屋不动产权证第二次", "房屋办证", "翠园街道",
         "区住房和城乡建设局", "", "", ""],
        ["李四", "", "13900139000", "2021-04-06", "反映小区电梯长期停运无人维修", "物业管理", "城南街道", "城南街道",
         "已答复", "2021.05.01", "不满意"],
        ["王五", "", "", "2021-04-07", "反映路灯不亮影响出行安全", "噪声扰民", "城南街道", "区生态环境分局",
         "已办结", "2021.04.20", "满意"],
    ])
    refs = _ledger_with_refs(tmp_path / "refs.xlsx", [("2021-001", "2021-05-06", "反映小区电梯长期停运"),
                                                      ("2021-001", "2021-07-08", "再次反映电梯问题未解决"),
                                                      ("2021-002", "2021-05-09", "反映小区电梯停运无人维修"),
                                                      ("2021-001", "2021-08-01", "第三次反映电梯问题")])
    return [write_xlsx(tmp_path / "sample.xlsx"), more, refs]


def _run(desk: Desk, files: list[Path], batch_rows: int, flushed: list[str]) -> list[ledger.ImportSummary]:
    attach_outbox(desk.ctx.db).enabled = True
    with desk.ctx.db.write() as s:  # a registered person whose record lacks the phone a row gives
        s.add(Petitioner(name="张三", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                         phone=None, address="翠园街道1号"))
    flushed.clear()  # (what the imports flush through the ORM, from here)
    return [ledger.run_import(desk.ctx, LedgerSource(f, defaults=DEFAULTS), actor_id=None, batch_rows=batch_rows)
            for f in files]


def _handed_to_server(desk: Desk) -> None:
    """What a push does before sending: the outbox rows so far marked as handed to the server."""
    with desk.ctx.db.write() as s:
        mark_sent(s, s.scalar(select(func.max(SyncOutbox.seq))) or 0)


def _outbox(desk: Desk, skip: int = 0) -> list[tuple[str, str, int, str]]:
    """The outbox in order: (table, op, base version, the record decoded, its ids numbered by first appearance and
    its wall-clock and random fields reduced to whether they are set; an audit entry's ``seq`` relative to the
    chain's head before the import). ``skip``: the first rows only number the ids, the others are returned with
    the ids not seen in those as ``<new>``."""
    with desk.ctx.db.read() as s:
        rows = list(s.scalars(select(SyncOutbox).order_by(SyncOutbox.seq)))
        first_seq = min((r.data["seq"] for r in rows if r.table_name == "audit_entry" and r.data), default=0)
        out: list[tuple[str, str, int, str]] = []
        ids: dict[str, str] = {}
        for r in rows:
            data = dict(open_personal(r.table_name, r.data) or {})
            for key in _WALL_CLOCK | _RANDOM:
                if key in data:
                    data[key] = bool(data[key])
            numbering = len(out) < skip or not skip
            if r.table_name == "audit_entry":  # (after ``skip``, in the order of the undone cases' ids: random)
                data["seq"] = data["seq"] - first_seq if numbering else 0
            if numbering:
                def name(m: re.Match[str]) -> str:
                    return ids.setdefault(m.group(0), f"<id{len(ids)}>")
            else:
                def name(m: re.Match[str]) -> str:
                    return ids.get(m.group(0), "<new>")
            text = _UUID.sub(name, r.record_id + " " + json.dumps(data, ensure_ascii=False, sort_keys=True))
            out.append((r.table_name, r.op, r.base_version, text))
        return out[skip:]


def _counts(desk: Desk) -> dict[str, int]:
    with desk.ctx.db.read() as s:
        counts = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                  for m in (Petitioner, Case, Visit, VisitPerson, CaseEvent, AuditEntry, PetitionerToken,
                            PetitionerGram, SyncRow)}
        counts["sync_row versions"] = s.scalar(select(func.sum(SyncRow.version))) or 0
        return counts


@pytest.mark.parametrize("batch_rows", [500, 2])
def test_an_enrolled_import_writes_the_outbox_rows_of_the_orm_path(desk: Desk, other: Desk, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  batch_rows: int) -> None:
    files = _files(tmp_path)
    flushed: list[str] = []

    def count_flushed(session: Session, _ctx: Any, _instances: Any) -> None:
        flushed.extend(type(o).__name__ for o in session.new)

    event.listen(Session, "before_flush", count_flushed)
    try:
        bulk = _run(desk, files, batch_rows, flushed)
        bulk_flushed = list(flushed)
        with monkeypatch.context() as m:
            m.setattr(ledger._RowImporter, "_write", _orm_write)
            orm = _run(other, files, batch_rows, flushed)
    finally:
        event.remove(Session, "before_flush", count_flushed)
    # the bulk path inserted the records around the unit of work: none of them was flushed by the ORM
    assert not {"Case", "Visit", "VisitPerson", "CaseEvent", "Petitioner", "LedgerRow"} & set(bulk_flushed)
    assert {"Case", "Visit", "CaseEvent", "Petitioner"} <= set(flushed)  # (the oracle did use the ORM)
    assert [(s.imported, s.new_cases, s.new_petitioners, s.held, s.reviews) for s in bulk] == \
        [(s.imported, s.new_cases, s.new_petitioners, s.held, s.reviews) for s in orm]
    assert [(s.imported, s.new_cases) for s in bulk] == [(4, 4), (3, 3), (4, 2)]
    assert _counts(desk) == _counts(other)
    expected = _outbox(other)
    assert len(expected) > 100
    assert _outbox(desk) == expected
    # each personal field is stored encrypted in the outbox, as the ORM path stores it
    with desk.ctx.db.read() as s:
        phones = [(r.data or {}).get("phone") or "" for r in s.scalars(
            select(SyncOutbox).where(SyncOutbox.table_name == "petitioner"))]
        phones = [p for p in phones if p]
        assert phones and not any(p.startswith("1") for p in phones)
        assert audit.verify(s).ok
        # the search index and the blind indexes find the people the import made
        from reception.db.models import petitioner_blind_indexes

        _, phone_key = petitioner_blind_indexes(None, "13900139000")
        assert [p.name for p in s.scalars(select(Petitioner).where(Petitioner.phone_bidx == phone_key))] == ["李四"]
    from reception.search.service import search

    for query in ("李四", "9000"):  # (a name by its n-grams, a phone's 尾号 by the keyed tokens)
        found = search(desk.ctx, query, user_id=desk.officer_id).total
        assert found >= 1 and found == search(other.ctx, query, user_id=other.officer_id).total
    # importing the files again adds nothing; the undo (once a push has read the records, so as lifecycle steps
    # that sync) works on the bulk import's records as on the ORM's, with the same outbox rows
    for d, summaries in ((desk, bulk), (other, orm)):
        again = [ledger.run_import(d.ctx, LedgerSource(f, defaults=DEFAULTS), actor_id=None) for f in files]
        assert [s.imported for s in again] == [0, 0, 0]
        _handed_to_server(d)
        for summary in reversed(summaries):
            assert ledger.undo_import(d.ctx, summary.import_id, actor_id=d.user("admin")).synced
    with desk.ctx.db.read() as s:
        assert set(s.scalars(select(Case.status))) == {"void"}
    undo = sorted(_outbox(other, skip=len(expected)))  # (the undo takes the cases in the order of their ids)
    assert len(undo) > 20
    assert sorted(_outbox(desk, skip=len(expected))) == undo


def test_an_enrolled_desk_undoes_an_import_no_push_has_read_by_deleting_it(desk: Desk, tmp_path: Path) -> None:
    """Rows merely waiting in the outbox are not proof the server lacks them (a push may have failed after the
    server applied it); rows after the last one a push read are. Such an import goes cleanly, outbox rows and all;
    once a push has read its rows, the undo is the lifecycle step that syncs."""
    files = _files(tmp_path)
    first, second = _run(desk, files[:2], 500, [])
    with desk.ctx.db.read() as s:
        cases_before = s.scalar(select(func.count()).select_from(Case))
        second_cases = [r.case_id for r in s.scalars(select(LedgerRow).where(
            LedgerRow.import_id == second.import_id, LedgerRow.new_case.is_(True)))]
    assert second_cases
    undone = ledger.undo_import(desk.ctx, second.import_id, actor_id=desk.user("admin"))
    assert not undone.synced and undone.cases == len(second_cases)
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == cases_before - len(second_cases)
        left = s.scalars(select(SyncOutbox.record_id).where(SyncOutbox.table_name == "petition_case"))
        assert not set(left) & set(second_cases)  # (the server will never hear of them)
    _handed_to_server(desk)  # a push reads the first import's rows
    assert ledger.undo_import(desk.ctx, first.import_id, actor_id=desk.user("admin")).synced
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.status == "void")) == first.new_cases
