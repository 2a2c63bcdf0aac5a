"""The undo of a ledger import after it synced, with two desks and a real server: desk A imports an old ledger
(a real xlsx file) and syncs, desk B pulls it and finds the petitioner in its history check; A undoes the import,
which now is the lifecycle step 撤销导入 on each case, sent as ordinary changes; after both sync, B no longer finds
the cases in its search, history check, lists or figures, the server holds them as 已撤销 and leaves them out of
the units' workbench, and /query answers the right number and code with a clear 已撤销 message."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from reception.db.models import Case, CaseClock, LedgerRow, SyncOutbox
from reception.domain.enums import CaseStatus
from reception.intake.cases import recent_cases
from reception.intake.history import lookup_history
from reception.ledger import service as ledger
from reception.search.service import search
from reception.server import casework
from reception.stats.periods import year
from reception.stats.report import period_report
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle
from tests.unit.ledger.files import ID_ZHANG, write_xlsx


def _import_cases(desk: DeskHandle) -> dict[str, str]:
    """The import's cases: id -> case number."""
    with desk.ctx.db.read() as s:
        ids = set(s.scalars(select(LedgerRow.case_id).where(LedgerRow.case_id.is_not(None))))
        return {c.id: c.case_no for c in s.scalars(select(Case).where(Case.id.in_(ids)))}


def _on_workbenches(env: Env, case_ids: set[str]) -> set[str]:
    """Which of these cases the units' workbench lists (open or closed) on the server."""
    from datetime import date

    from reception.server.unit_accounts import UnitAccount
    from reception.server.unit_work import workbench

    with env.db.session() as s:
        units = {casework.load_case(s, env.db.sealer, case_id=cid).unit_id for cid in case_ids}
    listed: set[str] = set()
    for unit_id in units - {None}:
        account = UnitAccount("u", "u", "u", "unit_staff", str(unit_id), "")
        for which in ("", "closed"):
            listed |= {row.case_id for row in workbench(env.db, account, date.today(), which)}
    return listed & case_ids


def _status(desk: DeskHandle, case_id: str) -> str:
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.status


def test_undo_after_sync_reaches_the_other_desk_and_the_server(env: Env, tmp_path: Path) -> None:
    a = env.desk("一号窗口", seed=41)
    b = env.desk("二号窗口", seed=42)
    summary = ledger.run_import(a.ctx, ledger.LedgerSource(write_xlsx(tmp_path / "台账2021.xlsx"),
                                                          defaults={"category": "HB01"}), actor_id=None)
    assert summary.imported == 4
    cases = _import_cases(a)
    assert len(cases) == 4
    assert a.sync().ok and b.sync().ok
    # B pulled the import: 张三 is found by the history check, with both matters, and counted in B's figures
    [zhang] = lookup_history(b.ctx, id_number=ID_ZHANG).persons
    assert zhang.visit_count == 2 and len(zhang.cases) == 2
    assert search(b.ctx, ID_ZHANG).total == 2
    assert period_report(b.ctx, year(2021)).value("new_cases") == 4
    with a.ctx.db.read() as s:
        one_id = next(iter(cases))
        one = s.get(Case, one_id)
        assert one is not None
        one_no, one_code = one.case_no, one.query_code
    assert _on_workbenches(env, set(cases)) == set(cases)

    undone = ledger.undo_import(a.ctx, summary.import_id, actor_id=None)
    assert (undone.synced, undone.cases, undone.visits, undone.kept) == (True, 4, 4, ())
    with a.ctx.db.read() as s:  # ordinary changes in A's outbox: each case's new version and its event
        queued = set(s.execute(select(SyncOutbox.table_name, SyncOutbox.record_id)
                               .where(SyncOutbox.state == "pending")))
    assert {("petition_case", cid) for cid in cases} <= queued
    report = a.sync()
    assert report.ok
    with a.ctx.db.read() as s:
        assert list(s.scalars(select(SyncOutbox.error).where(SyncOutbox.state == "parked"))) == []
    assert b.sync().ok

    # the server holds each case as 已撤销, replayed from its events by the core's machine
    with env.db.session() as s:
        for cid in cases:
            held = casework.load_case(s, env.db.sealer, case_id=cid)
            assert held.status is CaseStatus.VOID
            assert held.data["status"] == CaseStatus.VOID.value
            assert held.events[-1]["kind"] == "import_undone"
            assert held.events[-1]["data"]["import_id"] == summary.import_id
    # B: the cases are there, 已撤销, with no clock, and in none of its lists
    for cid in cases:
        assert _status(b, cid) == CaseStatus.VOID.value
    with b.ctx.db.read() as s:
        assert list(s.scalars(select(CaseClock.id).where(CaseClock.case_id.in_(list(cases))))) == []
    [zhang] = lookup_history(b.ctx, id_number=ID_ZHANG).persons
    assert zhang.visit_count == 0 and zhang.cases == ()
    assert search(b.ctx, ID_ZHANG).total == 0
    assert search(b.ctx, one_no).total == 0
    assert not set(cases) & {c.id for c in recent_cases(b.ctx)}
    assert period_report(b.ctx, year(2021)).value("new_cases") == 0
    assert period_report(b.ctx, year(2021), use_cache=False).value("registrations") == 0
    assert _on_workbenches(env, set(cases)) == set()
    # /query: the right number and code get a clear answer, no details
    page = httpx.get(f"{env.server.url}/q/{one_no}", params={"c": one_code}, timeout=10)
    assert page.status_code == 200
    assert "该事项已撤销" in page.text and "不作为信访事项办理" in page.text
    wrong = httpx.get(f"{env.server.url}/q/{one_no}", params={"c": "A" * len(one_code)}, timeout=10)
    assert "该事项已撤销" not in wrong.text  # (a wrong code learns nothing)
