"""History check at intake and case search, on a real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from reception.db.models import AuditEntry, Case
from reception.domain.enums import CaseStatus, DocumentType, HistoryFlag
from reception.intake.cases import case_detail, cases_registered_on, search_cases
from reception.intake.history import lookup_history
from reception.intake.service import PersonInput
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, resident_id, save


def test_unknown_person_has_no_history(desk: Desk) -> None:
    assert lookup_history(desk.ctx, id_number=resident_id(), phone="13812345678", name="夏明云").empty


def test_history_by_id_phone_and_name(desk: Desk) -> None:
    first = save(desk, form(desk))
    by_id = lookup_history(desk.ctx, id_number=resident_id().lower())
    assert [p.matched_by for p in by_id.persons] == [("id_number",)]
    person = by_id.persons[0]
    assert person.id_masked == "430503********" + resident_id()[-4:]
    assert person.phone_masked == "138****5678"
    assert person.visit_count == 1
    assert [c.case_no for c in person.cases] == [first.case_no]
    assert person.cases[0].flags == (HistoryFlag.IN_HANDLING,)  # one visit so far: not yet a repeat

    assert lookup_history(desk.ctx, phone="138 1234 5678").persons[0].matched_by == ("phone",)
    assert lookup_history(desk.ctx, phone="+86 13812345678").persons[0].petitioner_id == person.petitioner_id
    assert lookup_history(desk.ctx, name="夏明云").persons[0].matched_by == ("name",)
    both = lookup_history(desk.ctx, id_number=resident_id(), phone="13812345678", name="夏明云")
    assert both.persons[0].matched_by == ("id_number", "phone", "name")


def test_strongest_match_comes_first(desk: Desk) -> None:
    save(desk, form(desk, person=PersonInput(name="夏明云", id_type=DocumentType.NONE, address="甲地")))
    save(desk, form(desk))  # the same name, with an ID
    result = lookup_history(desk.ctx, id_number=resident_id(), name="夏明云")
    assert len(result.persons) == 2
    assert result.persons[0].matched_by == ("id_number", "name")
    assert result.persons[1].matched_by == ("name",)


def test_flags_for_concluded_and_skip_level(desk: Desk) -> None:
    first = save(desk, form(desk, skip_level=True))
    with desk.ctx.db.write() as s:
        case = s.get(Case, first.case_id)
        assert case is not None
        case.status = CaseStatus.FINAL.value
    flags = lookup_history(desk.ctx, id_number=resident_id()).persons[0].cases[0].flags
    assert HistoryFlag.CONCLUDED in flags and HistoryFlag.SKIP_LEVEL in flags
    assert HistoryFlag.IN_HANDLING not in flags
    assert lookup_history(desk.ctx, id_number=resident_id()).open_cases == ()


def test_viewing_history_is_audited_without_personal_data(desk: Desk) -> None:
    save(desk, form(desk))
    lookup_history(desk.ctx, id_number=resident_id(), user_id=desk.officer_id, desk_id=desk.desk_id)
    with desk.ctx.db.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "view_history")).all()
        assert len(entries) == 1
        assert resident_id() not in entries[0].detail and "夏" not in entries[0].detail


def test_search_by_case_number_name_id_and_phone(desk: Desk) -> None:
    first = save(desk, form(desk))
    other = save(desk, form(desk, person=PersonInput(name="李建国", id_type=DocumentType.NONE, phone="0739-5231234",
                                                     address="某地")))
    assert [c.case_no for c in search_cases(desk.ctx, first.case_no.lower())] == [first.case_no]
    assert {c.case_no for c in search_cases(desk.ctx, "JD01-2026")} == {first.case_no, other.case_no}
    assert [c.case_no for c in search_cases(desk.ctx, "夏明")] == [first.case_no]
    assert [c.case_no for c in search_cases(desk.ctx, resident_id())] == [first.case_no]
    assert [c.case_no for c in search_cases(desk.ctx, "13812345678")] == [first.case_no]
    assert [c.case_no for c in search_cases(desk.ctx, "07395231234")] == [other.case_no]
    assert search_cases(desk.ctx, "王") == []
    summary = search_cases(desk.ctx, "李建国")[0]
    assert summary.phone_masked.endswith("1234") and "5231234" not in summary.phone_masked


def test_today_lists_new_and_repeat_visits(desk: Desk) -> None:
    first = save(desk, form(desk))
    desk.clock.moment += timedelta(days=1)
    save(desk, form(desk, join_case_id=first.case_id))
    fresh = save(desk, form(desk, person=PersonInput(name="王五", id_type=DocumentType.NONE, address="某地")))
    today = desk.clock.moment.date()
    assert {c.case_no for c in cases_registered_on(desk.ctx, today)} == {first.case_no, fresh.case_no}
    assert {c.case_no for c in cases_registered_on(desk.ctx, today - timedelta(days=1))} == {first.case_no}


def test_case_detail_has_visits_events_and_masked_people(desk: Desk) -> None:
    first = save(desk, form(desk))
    save(desk, form(desk, join_case_id=first.case_id))
    detail = case_detail(desk.ctx, first.case_id, user_id=desk.officer_id)
    assert [v.visit_no for v in detail.visits] == [1, 2]
    assert [e.kind for e in detail.events][:2] == ["received", "assigned"]
    assert detail.visits[0].persons[0][1].startswith("430503****")
    assert detail.unit == "区住房和城乡建设局"
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "view_case")) == 1


def test_case_with_a_second_visit_is_a_repeat_case(desk: Desk) -> None:
    first = save(desk, form(desk))
    save(desk, form(desk, join_case_id=first.case_id))
    case = lookup_history(desk.ctx, id_number=resident_id()).persons[0].cases[0]
    assert case.flags == (HistoryFlag.REPEAT, HistoryFlag.IN_HANDLING)
    assert case.locality == "翠园街道 / 尚书茗苑社区 / 第1网格"
    assert case.category_id == desk.category("CJ01") and case.content_class == "claim"


def test_closed_case_is_not_open(desk: Desk) -> None:
    first = save(desk, form(desk))
    assert [c.id for c in lookup_history(desk.ctx, id_number=resident_id()).open_cases] == [first.case_id]
    with desk.ctx.db.write() as s:
        case = s.get(Case, first.case_id)
        assert case is not None
        case.status = CaseStatus.CLOSED.value
    assert lookup_history(desk.ctx, id_number=resident_id()).open_cases == ()
