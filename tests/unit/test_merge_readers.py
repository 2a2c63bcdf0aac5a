"""Readers of merged records (``reception.merge.resolve``): the history check shows a merged person once with every
visit of the merge, counted once; the statistics count a merged group of cases once (its visits still as visits),
through the per-day cache too; a merged-away case is in no overdue or reminder list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from reception.db.models import Case, CaseOwnership, Leader, Petitioner
from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, RoutingAction
from reception.domain.idnumber import check_digit
from reception.intake.history import lookup_history
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.lifecycle.machine import Supervise
from reception.lifecycle.service import apply, due_soon, overdue
from reception.merge.service import merge_cases, merge_petitioners, undo_case_merge
from reception.search.service import search, search_history
from reception.stats import periods
from reception.stats.drill import drill
from reception.stats.report import period_report
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"
ID_A = "43050319800101123"
ID_B = "43050319800101145"


def _id(body17: str) -> str:
    return body17 + check_digit(body17)


def _register(desk: Desk, *, name: str, id_body: str, phone: str, unit: str = "ZJJ", category: str = "CJ01",
              received_on: date | None = None, join_case_id: str | None = None) -> str:
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID, id_number=_id(id_body),
                           gender=Gender.UNKNOWN, phone=phone, address="示范区翠园街道尚书茗苑3栋"),
        channel=Channel.LETTER if received_on else Channel.VISIT, content_class=ContentClass.CLAIM,
        category_id=desk.category(category),
        locality_id=desk.locality(GRID), request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
        routing_action=RoutingAction.ASSIGN, unit_id=desk.unit(unit), received_on=received_on,
        override_reason="按职责交办", join_case_id=join_case_id,
    )
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                           render_receipt=False).case_id


def _person(desk: Desk, name: str) -> str:
    with desk.ctx.db.read() as s:
        found = s.scalar(select(Petitioner.id).where(Petitioner.name == name))
    assert found is not None
    return found


def test_the_history_shows_a_merged_person_once_with_every_visit(desk: Desk) -> None:
    first = _register(desk, name="夏明云", id_body=ID_A, phone="13812345678")
    again = _register(desk, name="夏明云", id_body=ID_A, phone="13812345678", join_case_id=first)
    assert again == first
    other = _register(desk, name="夏明芸", id_body=ID_B, phone="13912345678")
    a, b = _person(desk, "夏明云"), _person(desk, "夏明芸")
    before = lookup_history(desk.ctx, id_number=_id(ID_B))
    assert [(p.petitioner_id, p.visit_count) for p in before.persons] == [(b, 1)]
    merge_petitioners(desk.ctx, a, b, reason="同一人，姓名录入有误", actor_id=desk.user("supervisor"))
    # the merged-away record's ID finds the person it was merged into, with the visits of both records
    for found in (lookup_history(desk.ctx, id_number=_id(ID_B)), lookup_history(desk.ctx, id_number=_id(ID_A)),
                  lookup_history(desk.ctx, id_number=_id(ID_B), phone="13812345678", name="夏明芸")):
        [person] = found.persons
        assert person.petitioner_id == a and person.name == "夏明云"
        assert person.visit_count == 3
        assert {c.id for c in person.cases} == {first, other}
    both = lookup_history(desk.ctx, id_number=_id(ID_B), phone="13812345678")
    assert both.persons[0].matched_by == ("id_number", "phone")
    # the history panel's search box: one person too
    for text in ("13912345678", "夏明"):
        page = search_history(desk.ctx, text)
        assert [(p.petitioner_id, p.visit_count) for p in page.history.persons] == [(a, 3)], text
        assert page.total == 1, text


def test_the_history_lists_a_merged_case_as_the_case_it_was_merged_into(desk: Desk) -> None:
    first = _register(desk, name="夏明云", id_body=ID_A, phone="13812345678")
    second = _register(desk, name="夏明云", id_body=ID_A, phone="13812345678")
    assert first != second
    merge_cases(desk.ctx, first, second, reason="同一事项重复登记", actor_id=desk.user("supervisor"))
    [person] = lookup_history(desk.ctx, id_number=_id(ID_A)).persons
    assert person.visit_count == 2
    [case] = person.cases
    assert case.id == first and case.visit_count == 2 and "重复访" in [f.label for f in case.flags]
    assert [h.summary.visit_count for h in search(desk.ctx, "13812345678").hits] == [2]


def _figures(desk: Desk, period: periods.Period, *, use_cache: bool = True) -> dict[str, Any]:
    report = period_report(desk.ctx, period, use_cache=use_cache)
    out: dict[str, Any] = {f.key: f.value for f in report.figures}
    for key in ("by_unit", "by_category", "by_township"):
        out[key] = {row[0]: row[1] for row in report.table(key).rows}
    out["monthly"] = {row[0]: row[1:] for row in report.table("monthly").rows}
    return out


def test_statistics_count_a_merged_group_of_cases_once(desk: Desk) -> None:
    today = desk.clock.moment.date()
    month = periods.month(today.year, today.month)
    first = _register(desk, name="夏明云", id_body=ID_A, phone="13812345678")
    second = _register(desk, name="夏明芸", id_body=ID_B, phone="13912345678", unit="RSJ", category="LD01",
                       received_on=today - timedelta(days=40))
    third = _register(desk, name="夏明芸", id_body=ID_B, phone="13912345678")
    with desk.ctx.db.write() as s:  # both owned (the figures count distinct cases)
        leader = s.scalar(select(Leader.id).order_by(Leader.rank_order))
        assert leader is not None
        for cid in (first, second):
            s.add(CaseOwnership(case_id=cid, leader_id=leader, since=today))
    for cid in (first, second):  # and both supervised
        apply(desk.ctx, cid, Supervise(note="请加快办理"), actor_id=None)
    before = _figures(desk, month)
    assert before["new_cases"] == 3 and before["registrations"] == 3 and before["visits"] == 2
    assert (before["owned_cases"], before["supervised"]) == (2, 2)
    later = today + timedelta(days=100)
    assert {first, second, third} <= {r.case_id for r in overdue(desk.ctx, on=later).rows}
    supervisor = desk.user("supervisor")
    merge_cases(desk.ctx, first, second, reason="同一事项", actor_id=supervisor)
    desk.clock.moment += timedelta(days=40)  # the report of the month later, from the per-day cache
    cached = _figures(desk, month)
    live = _figures(desk, month, use_cache=False)
    assert cached == live
    assert cached["new_cases"] == 2  # the group once
    assert cached["registrations"] == 3 and cached["visits"] == 2  # visits still count as visits (one a letter)
    assert (cached["owned_cases"], cached["supervised"]) == (1, 1)
    assert sum(cached["by_unit"].values()) == 2 and "区人力资源和社会保障局" not in cached["by_unit"]
    assert sum(cached["by_category"].values()) == 2 and sum(cached["by_township"].values()) == 2
    assert sum(v[3] for v in cached["monthly"].values()) == 2
    listed = {r.case_id for r in drill(desk.ctx, "new_cases", month).rows}
    assert listed == {first, third}
    assert [r.case_id for r in drill(desk.ctx, "owned_cases", month).rows] == [first]
    assert [r.case_id for r in drill(desk.ctx, "supervised", month).rows] == [first]
    late = [r.case_id for r in overdue(desk.ctx, on=later).rows]
    assert second not in late and first in late and third in late  # the survivor runs the group's clocks
    soon = [r.case_id for r in due_soon(desk.ctx, on=today + timedelta(days=10)).rows]
    assert second not in soon
    # undone: three cases again, through the cache as live
    with desk.ctx.db.read() as s:
        from reception.db.models import CaseMerge

        merge_id = s.scalar(select(CaseMerge.id).where(CaseMerge.merged_id == second))
    assert merge_id is not None
    undo_case_merge(desk.ctx, merge_id, reason="合并错误", actor_id=desk.user("admin"))
    again = _figures(desk, month)
    assert again["new_cases"] == 3 and again == _figures(desk, month, use_cache=False)
    with desk.ctx.db.read() as s:
        assert s.get(Case, second).merged_into is None  # type: ignore[union-attr]
