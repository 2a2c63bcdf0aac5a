"""The ledger import on real files the tests write: the dry run's row-by-row report, the import with its cases,
events and clocks from the ledger's dates, petitioner matching, re-import, cancel and undo."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from reception.db.models import (
    Case,
    CaseClock,
    CaseEvent,
    LedgerRow,
    Notification,
    Petitioner,
    SyncRow,
    Visit,
)
from reception.domain.enums import CaseStatus
from reception.ledger import service as ledger
from reception.ledger.service import LedgerError, LedgerSource
from reception.security.permissions import PermissionDenied
from tests.unit.conftest import Desk
from tests.unit.ledger.files import ID_ZHANG, XLS_SAMPLE, write_csv_gbk, write_ods, write_xlsx

pytestmark = pytest.mark.dated  # "today" bounds the ledger's dates and decides which closures are due

DEFAULTS = {"category": "HB01"}


def _count(desk: Desk, model: type) -> int:
    with desk.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "台账2021.xlsx")


def test_dry_run_reports_each_bad_row_and_writes_nothing(desk: Desk, xlsx: Path) -> None:
    report = ledger.dry_run(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS))
    assert report.sheet == "2021年台账"
    assert (report.header.first_row, report.header.rows) == (1, 2)  # the title row is not part of the header
    assert (report.total, report.ready, report.with_errors, report.duplicates) == (9, 4, 5, 0)
    errors = {(i.row_no, i.field): i.message for i in report.issues if i.error}
    # spreadsheet row numbers: three header rows, so the ledger's first data row is row 4
    assert "校验" in errors[(7, "身份证号")]
    assert "火星街道" in errors[(8, "问题属地")]
    assert "区外星事务局" in errors[(9, "责任单位")]
    assert "三月中旬" in errors[(10, "来访时间")]
    assert errors[(11, "反映问题")] == "反映问题为空（必填）"
    assert len(errors) == 5
    lines = report.lines()
    assert lines[-1] == "共9行：可导入4行，有错误5行，已导入过0行"
    assert any(line.startswith("第7行 错误 身份证号：") for line in lines)
    # the serial number 44270 is 15 March 2021, the dotted and Chinese dates read too
    by_row = {r.row_no: r for r in report.rows}
    assert by_row[12].values["visited_at"].date() == date(2021, 3, 15)
    assert by_row[5].values["visited_at"].date() == date(2021, 6, 1)
    assert by_row[6].values["visited_at"].date() == date(2021, 3, 8)
    assert _count(desk, Case) == 0 and _count(desk, LedgerRow) == 0


@pytest.mark.parametrize("writer", ["xls", "ods", "csv"])
def test_every_format_reads_the_same_rows(desk: Desk, tmp_path: Path, xlsx: Path, writer: str) -> None:
    path = {"xls": lambda: XLS_SAMPLE, "ods": lambda: write_ods(tmp_path / "l.ods"),
            "csv": lambda: write_csv_gbk(tmp_path / "l.csv")}[writer]()
    if writer == "csv":
        assert path.read_bytes().decode("gbk")  # really GBK, not UTF-8
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    expected = ledger.dry_run(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS))
    report = ledger.dry_run(desk.ctx, LedgerSource(path, defaults=DEFAULTS))
    assert [r.key for r in report.rows] == [r.key for r in expected.rows]
    assert [(i.row_no - r, i.field) for i, r in ((i, report.header.data_start) for i in report.issues)] == \
        [(i.row_no - expected.header.data_start, i.field) for i in expected.issues]


def test_import_makes_cases_with_their_history_and_reimport_adds_nothing(desk: Desk, xlsx: Path) -> None:
    seen: list[tuple[int, int]] = []
    summary = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None,
                                progress=lambda d, t: seen.append((d, t)), batch_rows=2)
    assert (summary.imported, summary.errors, summary.new_cases, summary.new_petitioners) == (4, 5, 4, 3)
    assert seen == [(0, 4), (2, 4), (4, 4)]
    with desk.ctx.db.read() as s:
        rows = {r.row_no: r for r in s.scalars(select(LedgerRow))}
        assert set(rows) == {4, 5, 6, 12}
        assert all(r.sheet == "2021年台账" for r in rows.values())
        closed = s.get(Case, rows[4].case_id)
        assert closed is not None and closed.status == CaseStatus.CLOSED.value
        assert closed.registered_on == date(2021, 3, 5)
        kinds = [(e.kind, e.occurred_on) for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == closed.id).order_by(CaseEvent.occurred_at))]
        assert kinds == [("received", date(2021, 3, 5)), ("assigned", date(2021, 3, 5)),
                         ("signed", date(2021, 3, 5)), ("accepted", date(2021, 3, 5)),
                         ("handling_started", date(2021, 3, 5)), ("replied", date(2021, 4, 20)),
                         ("evaluated", date(2021, 4, 20)), ("closed", date(2021, 4, 20))]
        # no rating: 销号 the day after the 30-day evaluation window from the reply (30 March)
        li = s.get(Case, rows[6].case_id)
        assert li is not None and li.status == CaseStatus.CLOSED.value
        assert s.scalar(select(CaseEvent.occurred_on).where(CaseEvent.case_id == li.id,
                                                            CaseEvent.kind == "closed")) == date(2021, 4, 30)
        # the case in handling has its 60-day clock from its own acceptance day, long overdue
        handling = s.get(Case, rows[5].case_id)
        assert handling is not None and handling.status == CaseStatus.IN_HANDLING.value
        clock = s.scalars(select(CaseClock).where(CaseClock.case_id == handling.id,
                                                  CaseClock.clock_key == "handling")).one()
        # 60 days from 1 June is Saturday 31 July: rolled to Monday 2 August (the default roll-over rule)
        assert clock.started_on == date(2021, 6, 1) and clock.due_on == date(2021, 8, 2)
        # the closed case owes nothing: only the petitioner's window to ask for a review (long expired) is left
        assert [(c.kind, c.due_on < date(2021, 12, 31)) for c in s.scalars(
            select(CaseClock).where(CaseClock.case_id == closed.id))] == [("window", True)]
        # the same person by ID number: one petitioner for both of 张三's matters
        assert rows[4].petitioner_id == rows[5].petitioner_id and rows[4].new_petitioner
        assert not rows[5].new_petitioner
        # no SMS for steps taken years ago
        assert s.scalar(select(func.count()).select_from(Notification)) == 0
        # encrypted at rest: the ID number is not in the file in clear
        raw = s.execute(text("SELECT id_number FROM petitioner WHERE id = :i"), {"i": rows[4].petitioner_id}).scalar()
        assert raw and ID_ZHANG not in raw
    cases = _count(desk, Case)
    again = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert (again.imported, again.duplicates) == (0, 4)
    assert _count(desk, Case) == cases
    # the same rows in another format are the same rows
    assert ledger.dry_run(desk.ctx, LedgerSource(XLS_SAMPLE, defaults=DEFAULTS)).duplicates == 4


def test_known_petitioner_by_id_and_doubtful_matches(desk: Desk, tmp_path: Path) -> None:
    from reception.domain.enums import DocumentType

    with desk.ctx.db.write() as s:
        s.add(Petitioner(name="张三", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                         phone="13811112222", address="翠园街道1号"))
        s.add(Petitioner(name="吴十", id_type=DocumentType.NONE.value, id_number=None, gender="unknown",
                         phone="13999990000", address=""))
        s.add(Petitioner(name="李四", id_type=DocumentType.RESIDENT_ID.value,
                         id_number="430503197512120000"[:17] + "X", gender="male", phone="", address=""))
    path = write_xlsx(tmp_path / "l.xlsx")
    summary = ledger.run_import(desk.ctx, LedgerSource(path, defaults=DEFAULTS), actor_id=None)
    items = ledger.review_items(desk.ctx)
    reasons = sorted(i.reason for i in items)
    assert reasons == ["same_name_other_phone"]  # 吴十: same name, another phone: a new record and a review item
    with desk.ctx.db.read() as s:
        zhang = s.scalars(select(Petitioner).where(Petitioner.name == "张三")).all()
        assert len(zhang) == 1 and zhang[0].phone == "13811112222"  # linked by ID; the old phone not taken
        assert len(s.scalars(select(Petitioner).where(Petitioner.name == "吴十")).all()) == 2
    assert summary.imported == 4 and summary.reviews == 1


def test_same_id_under_another_name_is_held_not_merged(desk: Desk, xlsx: Path) -> None:
    from reception.domain.enums import DocumentType

    with desk.ctx.db.write() as s:
        s.add(Petitioner(name="张叁", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                         phone="", address=""))
    summary = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert (summary.imported, summary.held) == (2, 2)
    items = ledger.review_items(desk.ctx)
    assert [(i.reason, i.held) for i in items] == [("same_id_other_name", True)] * 2
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Petitioner).where(Petitioner.name == "张三")) == 0


def test_cancel_between_batches_then_continue(desk: Desk, xlsx: Path) -> None:
    calls = iter([False, True])
    first = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None, batch_rows=2,
                              cancelled=lambda: next(calls))
    assert first.cancelled and first.imported == 2
    rest = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert (rest.imported, rest.duplicates) == (2, 2)
    assert _count(desk, Case) == 4


def test_undo_removes_the_whole_import(desk: Desk, xlsx: Path) -> None:
    before = {m: _count(desk, m) for m in (Case, Visit, CaseEvent, Petitioner, CaseClock)}
    summary = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    officer = desk.user("desk_officer")
    with pytest.raises(PermissionDenied):
        ledger.undo_import(desk.ctx, summary.import_id, actor_id=officer)
    admin = desk.user("admin")
    undone = ledger.undo_import(desk.ctx, summary.import_id, actor_id=admin)
    assert (undone.cases, undone.visits, undone.petitioners) == (4, 4, 3)
    assert {m: _count(desk, m) for m in before} == before
    assert [i.state for i in ledger.list_imports(desk.ctx)] == ["undone"]
    with pytest.raises(LedgerError):
        ledger.undo_import(desk.ctx, summary.import_id, actor_id=admin)
    again = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert again.imported == 4  # after an undo the rows can come in again


def _mark_synced(desk: Desk) -> None:
    """What a push leaves: every case and visit of the import known to the server (``sync_row``)."""
    with desk.ctx.db.write() as s:
        for table, model in (("petition_case", Case), ("visit", Visit)):
            for rid in s.scalars(select(model.id)):
                s.add(SyncRow(table_name=table, record_id=rid, version=1))


def test_undo_after_sync_voids_the_untouched_cases_as_lifecycle_steps(desk: Desk, xlsx: Path) -> None:
    """Once synced, the undo is no deletion: each case gets the step 撤销导入 (已撤销, no clock), sent through the
    outbox; it leaves the history check, search, lists and figures; a case worked on since is kept and named."""
    from datetime import timedelta

    from reception.db.models import AuditEntry
    from reception.intake.cases import recent_cases
    from reception.intake.history import lookup_history
    from reception.lifecycle import history
    from reception.lifecycle.machine import EventKind
    from reception.search.service import search
    from reception.stats.periods import year
    from reception.stats.report import period_report

    summary = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    before = period_report(desk.ctx, year(2021))  # (fills the per-day cache: the undo must invalidate it)
    assert before.value("new_cases") == 4
    _mark_synced(desk)
    with desk.ctx.db.write() as s:
        rows = {r.row_no: r for r in s.scalars(select(LedgerRow))}
        worked_on = rows[12].case_id
        assert worked_on is not None
        desk.clock.moment += timedelta(days=3)  # a unit reports progress on one case after the import
        history.record(s, worked_on, EventKind.UNIT_PROGRESS, at=desk.ctx.now(), actor_id=None, note="已约谈信访人")
        worked_no = s.get(Case, worked_on).case_no  # type: ignore[union-attr]
    people = _count(desk, Petitioner)
    with pytest.raises(PermissionDenied):
        ledger.undo_import(desk.ctx, summary.import_id, actor_id=desk.user("desk_officer"))
    admin = desk.user("admin")
    undone = ledger.undo_import(desk.ctx, summary.import_id, actor_id=admin)
    assert (undone.synced, undone.cases, undone.visits, undone.petitioners) == (True, 3, 3, 0)
    assert undone.kept == (worked_no,)
    assert "3件信访事项" in undone.text() and worked_no in undone.text()
    with desk.ctx.db.read() as s:
        statuses = {r.row_no: s.get(Case, r.case_id).status for r in s.scalars(select(LedgerRow))}  # type: ignore
        assert statuses[4] == statuses[5] == statuses[6] == CaseStatus.VOID.value
        assert statuses[12] != CaseStatus.VOID.value
        void_ids = [str(rows[n].case_id) for n in (4, 5, 6)]
        events = list(s.scalars(select(CaseEvent).where(CaseEvent.kind == "import_undone")))
        assert sorted(e.case_id for e in events) == sorted(void_ids)
        assert {e.data["import_id"] for e in events} == {summary.import_id}
        assert s.scalar(select(func.count()).select_from(CaseClock).where(CaseClock.case_id.in_(void_ids))) == 0
        assert _count(desk, Case) == 4 and _count(desk, Visit) == 4  # nothing deleted
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ledger_undo")) == 1
    assert _count(desk, Petitioner) == people  # petitioners stay (harmless without a live case)
    assert [i.state for i in ledger.list_imports(desk.ctx)] == ["undone"]
    # 张三's two matters were both undone: the history check finds the person, with no visit and no case
    [zhang] = lookup_history(desk.ctx, id_number=ID_ZHANG, user_id=desk.officer_id).persons
    assert (zhang.visit_count, zhang.cases) == (0, ())
    assert search(desk.ctx, ID_ZHANG, user_id=desk.officer_id).total == 0
    assert {c.id for c in recent_cases(desk.ctx, user_id=desk.officer_id)} == {worked_on}
    after = period_report(desk.ctx, year(2021))
    live = period_report(desk.ctx, year(2021), use_cache=False)
    assert after.value("new_cases") == live.value("new_cases") == 1
    assert after.value("registrations") == live.value("registrations") == 1
    with pytest.raises(LedgerError, match="已经撤销"):
        ledger.undo_import(desk.ctx, summary.import_id, actor_id=admin)
    # a further visit cannot join an undone case
    from reception.domain.errors import FieldErrors
    from tests.unit.test_intake_service import form, save

    with pytest.raises(FieldErrors, match="已撤销"):
        save(desk, form(desk, request="询问办理进度", join_case_id=void_ids[0]))
    # the rows of the undone cases can come in again (a corrected mapping); the kept case's row stays taken
    again = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert (again.imported, again.duplicates) == (3, 1)


def test_undo_after_sync_refused_when_every_case_was_worked_on(desk: Desk, xlsx: Path) -> None:
    from datetime import timedelta

    from reception.lifecycle import history
    from reception.lifecycle.machine import EventKind

    summary = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    _mark_synced(desk)
    desk.clock.moment += timedelta(hours=1)
    with desk.ctx.db.write() as s:
        for cid in set(s.scalars(select(LedgerRow.case_id).where(LedgerRow.case_id.is_not(None)))):
            assert cid is not None
            history.record(s, cid, EventKind.UNIT_PROGRESS, at=desk.ctx.now(), actor_id=None, note="办理中")
    with pytest.raises(LedgerError, match="新的来访或办理"):
        ledger.undo_import(desk.ctx, summary.import_id, actor_id=desk.user("admin"))
    assert [i.state for i in ledger.list_imports(desk.ctx)] == ["done"]
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "import_undone")) == 0


def test_only_administrators_and_supervisors_import(desk: Desk, xlsx: Path) -> None:
    with pytest.raises(PermissionDenied):
        ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=desk.user("desk_officer"))
    summary = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=desk.user("supervisor"))
    assert summary.imported == 4


def test_mapping_without_a_required_column_is_refused(desk: Desk, xlsx: Path) -> None:
    with pytest.raises(LedgerError, match="来访时间"):
        ledger.dry_run(desk.ctx, LedgerSource(xlsx, mapping={"name": 0, "request": 4, "locality": 6}))


def test_held_row_comes_in_once_the_petitioner_is_corrected(desk: Desk, xlsx: Path) -> None:
    from reception.domain.enums import DocumentType

    with desk.ctx.db.write() as s:
        known = Petitioner(name="张叁", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                           phone="", address="")
        s.add(known)
        s.flush()
        known_id = known.id
    first = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert first.held == 2
    assert ledger.dry_run(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS)).ready == 2  # the held rows, again
    with desk.ctx.db.write() as s:  # an administrator corrects the name (更正登记)
        p = s.get(Petitioner, known_id)
        assert p is not None
        p.name = "张三"
    second = ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    assert (second.imported, second.held, second.duplicates) == (2, 0, 2)
    assert ledger.review_items(desk.ctx) == []
    with desk.ctx.db.read() as s:
        assert {r.petitioner_id for r in s.scalars(select(LedgerRow).where(LedgerRow.row_no.in_((4, 5))))} == \
            {known_id}


def test_review_decisions(desk: Desk, xlsx: Path) -> None:
    from reception.domain.enums import DocumentType

    with desk.ctx.db.write() as s:
        s.add(Petitioner(name="张叁", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                         phone="", address=""))
        s.add(Petitioner(name="吴十", id_type=DocumentType.NONE.value, id_number=None, gender="unknown",
                         phone="13999990000", address=""))
    ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    items = {i.reason: i for i in ledger.review_items(desk.ctx)}
    assert set(items) == {"same_id_other_name", "same_name_other_phone"}
    with pytest.raises(LedgerError):  # an imported row cannot be "left out" (undo takes imported rows back)
        ledger.resolve_review(desk.ctx, items["same_name_other_phone"].id, "ignore", actor_id=None)
    ledger.resolve_review(desk.ctx, items["same_name_other_phone"].id, "different", actor_id=None)
    held = [i for i in ledger.review_items(desk.ctx) if i.held]
    for item in held:
        ledger.resolve_review(desk.ctx, item.id, "ignore", actor_id=None)
    assert ledger.review_items(desk.ctx) == []
    assert ledger.dry_run(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS)).ready == 0  # ignored rows stay out
    with pytest.raises(PermissionDenied):
        ledger.resolve_review(desk.ctx, held[0].id, "different", actor_id=desk.user("desk_officer"))


def test_history_check_finds_the_imported_person(desk: Desk, xlsx: Path) -> None:
    """Why the ledgers are brought in: the next visit of someone from the old ledger shows their history."""
    from reception.intake.history import lookup_history

    ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None)
    found = lookup_history(desk.ctx, id_number=ID_ZHANG, user_id=desk.officer_id)
    assert len(found.persons) == 1
    person = found.persons[0]
    assert person.visit_count == 2
    # one matter still in handling since 2021: at the desk, "do not accept again"
    assert [c.status for c in found.open_cases] == [CaseStatus.IN_HANDLING.value]


def test_repeat_visits_results_and_channels(desk: Desk, tmp_path: Path) -> None:
    """Rows sharing an 原编号 are visits of one matter; 不予受理, a dissatisfied rating, a letter, a result the
    import cannot read (a warning: routed only)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["编号", "姓名", "联系电话", "来访日期", "信访形式", "来访人数", "反映问题", "问题类别", "问题属地",
               "责任单位", "办理结果", "办结日期", "满意度"])
    rows = [
        ["2021-001", "陈一", "13100131000", "2021-05-06", "来访", 3, "反映小区电梯长期停运", "物业管理", "城南街道",
         "城南街道", "已答复", "2021-06-01", "不满意"],
        ["2021-001", "陈一", "13100131000", "2021-07-08", "来访", 1, "再次反映电梯问题未解决", "物业管理", "城南街道",
         "城南街道", "", "", ""],
        ["2021-002", "林二", "13100131001", "2021-05-07", "来信", 1, "要求撤销法院判决", "房屋办证", "城南街道",
         "区住房和城乡建设局", "不予受理，属诉讼事项", "2021-05-20", ""],
        ["2021-003", "黄三", "", "2021-05-08", "传真", 1, "反映路灯不亮影响出行", "噪声扰民", "城南街道",
         "区生态环境分局", "另案处理", "", ""],
    ]
    for row in rows:
        ws.append(row)
    path = tmp_path / "来访台账.xlsx"
    wb.save(path)
    report = ledger.dry_run(desk.ctx, LedgerSource(path))
    warnings = {(i.row_no, i.field): i.message for i in report.issues if not i.error}
    assert "按来访导入" in warnings[(5, "信访形式")]
    assert "按已交办导入" in warnings[(5, "办理结果")]
    assert report.ready == 4
    summary = ledger.run_import(desk.ctx, LedgerSource(path), actor_id=None)
    assert (summary.imported, summary.new_cases, summary.new_petitioners) == (4, 3, 3)
    with desk.ctx.db.read() as s:
        by_row = {r.row_no: r for r in s.scalars(select(LedgerRow))}
        assert by_row[2].case_id == by_row[3].case_id and not by_row[3].new_case
        elevator = s.get(Case, by_row[2].case_id)
        assert elevator is not None
        visits = s.scalars(select(Visit).where(Visit.case_id == elevator.id).order_by(Visit.visit_no)).all()
        assert [(v.visit_no, v.visited_on, v.headcount, v.is_repeat) for v in visits] == \
            [(1, date(2021, 5, 6), 3, False), (2, date(2021, 7, 8), 1, True)]
        # dissatisfied: the rules open a supervision, so the case stays replied (not closed)
        assert elevator.status == CaseStatus.REPLIED.value
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == elevator.id)
                                           .order_by(CaseEvent.occurred_at))]
        assert kinds == ["received", "assigned", "signed", "accepted", "handling_started", "replied", "evaluated",
                         "supervised", "visit_added"]
        rejected = s.get(Case, by_row[4].case_id)
        assert rejected is not None and rejected.status == CaseStatus.CLOSED.value
        assert s.scalar(select(CaseEvent.note).where(CaseEvent.case_id == rejected.id,
                                                     CaseEvent.kind == "not_accepted")) == "台账导入"
        letter = s.scalars(select(Visit).where(Visit.case_id == rejected.id)).one()
        assert letter.channel == "letter"
        routed = s.get(Case, by_row[5].case_id)
        assert routed is not None and routed.status == CaseStatus.ASSIGNED.value


def test_a_failure_mid_import_keeps_the_committed_batches_undoable(desk: Desk, xlsx: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = ledger._RowImporter._row
    calls: list[int] = []

    def flaky(self: ledger._RowImporter, plan: ledger.RowPlan) -> list[Any]:
        calls.append(plan.row_no)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(self, plan)

    monkeypatch.setattr(ledger._RowImporter, "_row", flaky)
    with pytest.raises(OSError):
        ledger.run_import(desk.ctx, LedgerSource(xlsx, defaults=DEFAULTS), actor_id=None, batch_rows=2)
    [info] = ledger.list_imports(desk.ctx)
    assert (info.state, info.imported) == ("failed", 2)
    assert _count(desk, Case) == 2  # the first batch committed, the second rolled back whole
    monkeypatch.setattr(ledger._RowImporter, "_row", real)
    assert ledger.undo_import(desk.ctx, info.id, actor_id=desk.user("admin")).cases == 2
    assert _count(desk, Case) == 0


def _ledger_with_refs(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """陈一's visits (原编号, 来访日期, 反映问题) of one estate's property management, routed to 城南街道."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["编号", "姓名", "联系电话", "来访日期", "反映问题", "问题类别", "问题属地", "责任单位", "办理结果"])
    for ref, day, request in rows:
        ws.append([ref, "陈一", "13100131000", day, request, "物业管理", "城南街道", "城南街道", ""])
    wb.save(path)
    return path


def test_a_row_of_a_merged_away_case_joins_its_survivor(desk: Desk, tmp_path: Path) -> None:
    """A later ledger's row with the 原编号 of a case merged away since is a further visit of the surviving case,
    as the intake's join is."""
    from reception.merge.service import merge_cases

    first = _ledger_with_refs(tmp_path / "一.xlsx", [("2021-001", "2021-05-06", "反映小区电梯长期停运"),
                                                     ("2021-002", "2021-05-09", "反映小区电梯停运无人维修")])
    assert ledger.run_import(desk.ctx, LedgerSource(first), actor_id=None).new_cases == 2
    with desk.ctx.db.read() as s:
        by_ref = {r.case_ref: r.case_id for r in s.scalars(select(LedgerRow))}
    merged, survivor = by_ref["2021-001"], by_ref["2021-002"]
    assert merged and survivor
    merge_cases(desk.ctx, survivor, merged, reason="同一事项重复登记", actor_id=desk.user("supervisor"))
    later = _ledger_with_refs(tmp_path / "二.xlsx", [("2021-001", "2021-07-08", "再次反映电梯问题未解决")])
    summary = ledger.run_import(desk.ctx, LedgerSource(later), actor_id=None)
    assert (summary.imported, summary.new_cases) == (1, 0)
    with desk.ctx.db.read() as s:
        row = s.scalars(select(LedgerRow).where(LedgerRow.import_id == summary.import_id)).one()
        assert row.case_id == survivor
        visits = s.scalars(select(Visit).where(Visit.case_id == survivor).order_by(Visit.visit_no)).all()
        assert [(v.visit_no, v.visited_on, v.is_repeat) for v in visits] == \
            [(1, date(2021, 5, 9), False), (2, date(2021, 7, 8), True)]
        assert s.scalar(select(func.count()).select_from(Visit).where(Visit.case_id == merged)) == 1
        assert "visit_added" in set(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == survivor)))
        assert "visit_added" not in set(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == merged)))


@pytest.mark.parametrize("batch_rows", [200, 1])
def test_a_phone_added_by_a_row_links_the_next_rows_of_that_person(desk: Desk, tmp_path: Path,
                                                                    batch_rows: int) -> None:
    """张三 is registered by ID without a phone; the ledger's first row (by ID) gives the phone, a later row has only
    name and phone: the same record, in the same batch as across batches (no new record, no review item)."""
    from reception.domain.enums import DocumentType

    with desk.ctx.db.write() as s:
        s.add(Petitioner(name="张三", id_type=DocumentType.RESIDENT_ID.value, id_number=ID_ZHANG, gender="male",
                         phone=None, address="翠园街道1号"))
    rows = [["张三", ID_ZHANG, "13800138000", "2021-03-05", "要求尽快办理房屋不动产权证", "房屋办证", "翠园街道",
             "区住房和城乡建设局", "", "", ""],
            ["张三", "", "13800138000", "2021-03-09", "反映小区物业服务差，要求更换物业公司", "物业管理", "翠园街道",
             "翠园街道", "", "", ""]]
    summary = ledger.run_import(desk.ctx, LedgerSource(write_xlsx(tmp_path / "l.xlsx", rows), defaults=DEFAULTS),
                                actor_id=None, batch_rows=batch_rows)
    assert (summary.imported, summary.new_petitioners, summary.reviews) == (2, 0, 0)
    with desk.ctx.db.read() as s:
        zhang = s.scalars(select(Petitioner).where(Petitioner.name == "张三")).all()
        assert len(zhang) == 1 and zhang[0].phone == "13800138000"
        assert {r.petitioner_id for r in s.scalars(select(LedgerRow))} == {zhang[0].id}


def test_namesakes_are_compared_by_their_keys_not_decrypted(desk: Desk, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirty people called 吴十 are registered: a row of that name is checked against them (a review item for
    the ones it may be) without decrypting their ID numbers and phones (reading each was what made every batch
    slower as the register grew)."""
    from reception.domain.enums import DocumentType
    from reception.security import crypto
    from tests.unit.ledger.files import resident_id

    with desk.ctx.db.write() as s:
        for i in range(30):
            s.add(Petitioner(name="吴十", id_type=DocumentType.RESIDENT_ID.value,
                             id_number=resident_id(f"430503198001{i + 1:02d}0{i:02d}"), gender="male",
                             phone=None if i == 7 else f"1350000{i:04d}", address=""))
    rows = [["吴十", "", "13200132000", "2021-03-15", "反映商铺音响噪声扰民", "噪声扰民", "雨溪街道", "区生态环境分局",
             "已受理", "", ""]]
    path = write_xlsx(tmp_path / "l.xlsx", rows)
    report = ledger.dry_run(desk.ctx, LedgerSource(path, defaults=DEFAULTS))
    decrypted: list[str] = []
    real = crypto.decrypt

    def counting(value: str, purpose: str) -> str:
        decrypted.append(purpose)
        return real(value, purpose)

    monkeypatch.setattr(crypto, "decrypt", counting)
    summary = ledger.run_import(desk.ctx, LedgerSource(path, defaults=DEFAULTS), actor_id=None, report=report)
    assert (summary.imported, summary.new_petitioners) == (1, 1)
    assert summary.reviews == 3  # the first three namesakes the matching lists (as before: never all thirty)
    assert len(decrypted) <= 4, decrypted  # (the new record's own values, when it is read back)
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Petitioner).where(Petitioner.name == "吴十")) == 31
