"""Readers that leave out an 已撤销 case (``CaseStatus.VOID``: a ledger import undone after it synced), found in
review: the leaders' lists and counts (约访, 带案下访, 积案, 包案, the leader's queue and receptions), the statistics'
figures over those small tables and the ranking's 督办件数, the 督办 list and the case export. The case is made void
by the lifecycle step 撤销导入 (``machine.UndoImport``) as ``ledger.undo_import`` writes it after sync, here on a case
worked on meanwhile (as another desk's work reaches a desk that pulls the undo). Also: a merged-away case's visits
count under the surviving case's unit (``stats.queries.visit_unit_groups``), through the per-day cache too."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from reception.db.models import Case, CaseOwnership
from reception.intake.cases import export_cases
from reception.leader import beyond as b
from reception.leader import service as ls
from reception.leader.service import AppointmentInput
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc
from reception.merge.service import merge_cases
from reception.stats import periods
from reception.stats.ranking import unit_ranking
from reception.stats.report import period_report
from tests.unit.conftest import Desk
from tests.unit.test_leader_beyond import DAY, leaders
from tests.unit.test_leader_reception import form as reception_form
from tests.unit.test_leader_reception import to_leader
from tests.unit.test_lifecycle import at, case_no, register, step

MONTH = periods.month(DAY.year, DAY.month)


def void(desk: Desk, case_id: str) -> None:
    """The step 撤销导入 as ``ledger._undo_synced`` takes it (with the cache's days forgotten, as there)."""
    with desk.ctx.db.write() as s:
        lc.apply_in_session(s, case_id, m.UndoImport("ledger-import-1", "台账导入有误"), actor_id=desk.user("admin"),
                            now=desk.ctx.now(), cal=desk.ctx.calendar)
        lc.forget_case_days(s, [case_id])


def _figures(desk: Desk) -> dict[str, object]:
    """The figures over the leaders' tables, live (the cached ones checked equal)."""
    keys = ("appointments", "down_visits", "down_visit_cases", "backlog_resolved", "backlog_hard_resolved",
            "owned_cases", "supervised", "leader_batches", "leader_persons")
    cached, live = period_report(desk.ctx, MONTH), period_report(desk.ctx, MONTH, use_cache=False)
    assert {k: cached.value(k) for k in keys} == {k: live.value(k) for k in keys}
    return {k: live.value(k) for k in keys}


def _supervised_by_unit(desk: Desk, code: str) -> int:
    ranking = unit_ranking(desk.ctx, MONTH, use_cache=False)
    return next(r.supervised for r in ranking.departments + ranking.townships if r.unit_id == desk.unit(code))


def test_a_void_case_leaves_the_leaders_lists_and_counts(desk: Desk) -> None:
    kept, gone = register(desk, DAY, name="甲某某"), register(desk, DAY, name="乙某某")
    met_kept, met_gone = to_leader(desk, hour=10, name="丙某某"), to_leader(desk, hour=11, name="丁某某")
    desk.clock.moment = at(DAY, 15)
    for cid in (met_kept, met_gone):
        ls.record_reception(desk.ctx, reception_form(desk, cid), actor_id=None)
    lead = leaders(desk)[0]
    nos = {cid: case_no(desk, cid) for cid in (kept, gone)}
    for cid in (kept, gone):
        b.schedule_by_case_no(desk.ctx, nos[cid], AppointmentInput("", DAY + timedelta(days=2), "9:30", lead),
                              actor_id=None)
        listed = b.list_backlog_case(desk.ctx, b.BacklogInput(nos[cid], "多年未解决", hard=True, leader_id=lead),
                                     actor_id=None)
        b.resolve_backlog_case(desk.ctx, listed, "已化解", DAY, actor_id=None)
        with desk.ctx.db.write() as s:
            s.add(CaseOwnership(case_id=cid, leader_id=lead, since=DAY))
        step(desk, cid, DAY, m.Supervise(note="请加快办理"))
        desk.clock.moment = at(DAY, 16)
    b.create_down_visit(desk.ctx, b.DownVisitInput(lead, DAY, "翠园街道", case_nos=f"{nos[kept]} {nos[gone]}",
                                                   purpose="带案下访"), actor_id=None)
    # a second visit that took only the case to be undone along: it still happened
    b.create_down_visit(desk.ctx, b.DownVisitInput(lead, DAY, "城南街道", case_nos=nos[gone], purpose="带案下访"),
                        actor_id=None)
    before = _figures(desk)
    assert before == {"appointments": 2, "down_visits": 2, "down_visit_cases": 2, "backlog_resolved": 2,
                      "backlog_hard_resolved": 2, "owned_cases": 2, "supervised": 2, "leader_batches": 2,
                      "leader_persons": 2}
    assert _supervised_by_unit(desk, "ZJJ") == 2
    assert lc.supervision_list(desk.ctx)[0] == 2

    void(desk, gone)
    void(desk, met_gone)
    desk.clock.moment = at(DAY + timedelta(days=1), 9)
    total, rows = lc.supervision_list(desk.ctx)
    visits = b.down_visits(desk.ctx, DAY, DAY)
    counted = ls.reception_counts(desk.ctx, DAY, DAY)
    after = {  # (one comparison: a failure shows every reader that still counts the void cases)
        **_figures(desk),
        "ranking_supervised": _supervised_by_unit(desk, "ZJJ"),
        "supervision_list": (total, [r.case_id for r in rows]),
        "appointment_list": [r.case_id for r in b.appointments(desk.ctx, DAY, DAY + timedelta(days=7))],
        "queue_appointments": [it.case_id for it in ls.leader_queue(desk.ctx, DAY + timedelta(days=2))],
        "queue_visits": [it.case_id for it in ls.leader_queue(desk.ctx, DAY)],
        "down_visit_list": (len(visits), sorted(c.case_id for v in visits for c in v.cases)),
        "backlog_list": [r.case_id for r in b.backlog(desk.ctx)],
        "backlog_counts": b.backlog_counts(desk.ctx, DAY, DAY),
        "ownership_list": [r.case_id for r in b.ownerships(desk.ctx)],
        "reception_counts": (counted.batches, counted.persons),
    }
    assert after == {
        "appointments": 1, "down_visits": 2, "down_visit_cases": 1, "backlog_resolved": 1,
        "backlog_hard_resolved": 1, "owned_cases": 1, "supervised": 1, "leader_batches": 1, "leader_persons": 1,
        "ranking_supervised": 1,
        "supervision_list": (1, [kept]),
        "appointment_list": [kept],
        "queue_appointments": [kept],
        "queue_visits": [met_kept],
        "down_visit_list": (2, [kept]),  # (both visits still listed: they happened)
        "backlog_list": [kept],
        "backlog_counts": b.BacklogCounts(1, 1, 1, 0),
        "ownership_list": [kept],
        "reception_counts": (1, 1),
    }


def test_the_export_lists_void_cases_only_when_asked_and_names_a_merged_cases_survivor(desk: Desk) -> None:
    kept, gone, merged = (register(desk, DAY, name=n) for n in ("甲某某", "乙某某", "丙某某"))
    merge_cases(desk.ctx, kept, merged, reason="同一事项", actor_id=desk.user("supervisor"))
    void(desk, gone)
    admin = desk.user("admin")
    default = {c["id"]: c for c in export_cases(desk.ctx, actor_id=admin)}
    assert set(default) == {kept, merged}  # as the lists: no 已撤销 case; the merged-away one is its own record
    assert (default[merged]["merged_into"], default[kept]["merged_into"]) == (case_no(desk, kept), "")
    everything = {c["id"]: c for c in export_cases(desk.ctx, actor_id=admin, masked=True, include_void=True)}
    assert set(everything) == {kept, merged, gone} and everything[gone]["status"] == "void"
    json.dumps(list(everything.values()), ensure_ascii=False)  # (JSON-ready)


def _visits_by_unit(desk: Desk, period: periods.Period, *, use_cache: bool) -> dict[str, tuple[int, int]]:
    ranking = unit_ranking(desk.ctx, period, use_cache=use_cache)
    return {r.unit_id: (r.visits, r.repeat) for r in ranking.departments + ranking.townships if r.visits}


def test_a_merged_away_cases_visits_count_under_the_surviving_cases_unit(desk: Desk) -> None:
    period = MONTH
    survivor = register(desk, DAY, unit="ZJJ", name="甲某某")
    away = register(desk, DAY + timedelta(days=1), unit="RSJ", name="乙某某")  # (its visit on a day of its own)
    zjj, rsj = desk.unit("ZJJ"), desk.unit("RSJ")
    assert _visits_by_unit(desk, period, use_cache=False) == {zjj: (1, 0), rsj: (1, 0)}
    merge_cases(desk.ctx, survivor, away, reason="同一事项", actor_id=desk.user("supervisor"))
    desk.clock.moment += timedelta(days=40)  # the month from the per-day cache (the merge dropped its days)
    assert _visits_by_unit(desk, period, use_cache=False) == {zjj: (2, 0)}
    assert _visits_by_unit(desk, period, use_cache=True) == {zjj: (2, 0)}
    # the surviving case moves to another unit (a change pulled from another desk): the cached days of the
    # merged-away case's visits follow it too (migration ``voidread``)
    other = desk.unit("CY")
    with desk.ctx.db.write() as s:
        s.execute(update(Case).where(Case.id == survivor).values(unit_id=other))
    assert _visits_by_unit(desk, period, use_cache=False) == {other: (2, 0)}
    assert _visits_by_unit(desk, period, use_cache=True) == {other: (2, 0)}


def test_a_void_case_cannot_be_merged(desk: Desk) -> None:
    """The merge dialog only offers cases the search finds (no void one); the core refuses one all the same."""
    from reception.merge.service import MergeError

    live, gone = register(desk, DAY, name="甲某某"), register(desk, DAY, name="乙某某")
    void(desk, gone)
    supervisor = desk.user("supervisor")
    for survivor, merged in ((live, gone), (gone, live)):
        with pytest.raises(MergeError, match="已撤销，不能合并"):
            merge_cases(desk.ctx, survivor, merged, reason="同一事项", actor_id=supervisor)
    with desk.ctx.db.read() as s:
        assert [s.get(Case, cid).merged_into for cid in (live, gone)] == [None, None]  # type: ignore[union-attr]


def test_a_chain_of_merges_counts_under_its_last_case(desk: Desk) -> None:
    """A case merged into a case that is later merged into a third: its visits count under the third's unit, and
    rows naming any of the three count one case (``merge.resolve.case_now_id`` follows the whole chain), through the
    per-day cache too, also when the last case moves to another unit."""
    first = register(desk, DAY, unit="ZJJ", name="甲某某")
    middle = register(desk, DAY + timedelta(days=1), unit="RSJ", name="乙某某")
    last = register(desk, DAY + timedelta(days=2), unit="CY", name="丙某某")
    lead = leaders(desk)[0]
    with desk.ctx.db.write() as s:
        s.add_all(CaseOwnership(case_id=cid, leader_id=lead, since=DAY) for cid in (first, middle, last))
    supervisor = desk.user("supervisor")
    merge_cases(desk.ctx, middle, first, reason="同一事项", actor_id=supervisor)
    assert _visits_by_unit(desk, MONTH, use_cache=True) == {desk.unit("RSJ"): (2, 0), desk.unit("CY"): (1, 0)}
    merge_cases(desk.ctx, last, middle, reason="同一事项", actor_id=supervisor)
    desk.clock.moment += timedelta(days=40)
    cy = desk.unit("CY")
    assert _visits_by_unit(desk, MONTH, use_cache=False) == {cy: (3, 0)}
    assert _visits_by_unit(desk, MONTH, use_cache=True) == {cy: (3, 0)}
    assert _figures(desk)["owned_cases"] == 1
    other = desk.unit("ZJJ")
    with desk.ctx.db.write() as s:  # (the last case moved to another unit: a change pulled from another desk)
        s.execute(update(Case).where(Case.id == last).values(unit_id=other))
    assert _visits_by_unit(desk, MONTH, use_cache=False) == {other: (3, 0)}
    assert _visits_by_unit(desk, MONTH, use_cache=True) == {other: (3, 0)}
