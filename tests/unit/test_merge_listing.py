"""The merges as the desk lists them (``reception.merge.service``: ``all_merges`` for 管理 → 合并记录…,
``case_merge_listings`` for the case detail, ``merged_away`` for the petitioner merge dialog's search)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.db.models import Case, Petitioner
from reception.merge.service import (
    CASE,
    PETITIONER,
    all_merges,
    case_merge_listings,
    merge_cases,
    merge_petitioners,
    merged_away,
    undo_case_merge,
    undo_petitioner_merge,
)
from reception.security.permissions import PermissionDenied
from tests.unit.conftest import Desk
from tests.unit.test_merge import _two_cases


def _number(desk: Desk, case_id: str) -> str:
    with desk.ctx.db.read() as s:
        number = s.scalar(select(Case.case_no).where(Case.id == case_id))
    assert number
    return number


def test_merges_are_listed_newest_first_masked_and_marked_when_undone(desk: Desk) -> None:
    first, second = _two_cases(desk)
    supervisor, admin = desk.user("supervisor"), desk.user("admin")
    with desk.ctx.db.read() as s:
        a = s.scalar(select(Petitioner.id).where(Petitioner.name == "夏明云"))
        b = s.scalar(select(Petitioner.id).where(Petitioner.name == "夏明芸"))
    assert a and b
    assert all_merges(desk.ctx, actor_id=admin) == []
    case_merge = merge_cases(desk.ctx, first, second, reason="同一事项", actor_id=supervisor)
    desk.clock.moment += timedelta(minutes=5)
    person_merge = merge_petitioners(desk.ctx, a, b, reason="同一人", actor_id=supervisor)
    with pytest.raises(PermissionDenied):
        all_merges(desk.ctx, actor_id=supervisor)  # (the list is the administrator's, as undoing is)
    listed = all_merges(desk.ctx, actor_id=admin)
    assert {(m.kind, m.record.id) for m in listed} == {(CASE, case_merge.merge_id),
                                                       (PETITIONER, person_merge.merge_id)}
    by_kind = {m.kind: m for m in listed}
    assert by_kind[CASE].survivor_label == _number(desk, first)
    assert by_kind[CASE].merged_label == _number(desk, second)
    person = by_kind[PETITIONER]
    assert person.survivor_label.startswith("夏明云（") and person.merged_label.startswith("夏明芸（")
    assert "43050319800101" not in person.survivor_label + person.merged_label  # the IDs masked
    assert person.record.reason == "同一人" and not person.record.undone
    assert [m.kind for m in listed] == [PETITIONER, CASE]  # newest first

    assert merged_away(desk.ctx, [a, b]) == {b: a}
    undo_petitioner_merge(desk.ctx, person_merge.merge_id, reason="并非同一人", actor_id=admin)
    undo_case_merge(desk.ctx, case_merge.merge_id, reason="并非同一事项", actor_id=admin)
    assert merged_away(desk.ctx, [a, b]) == {}
    listed = all_merges(desk.ctx, actor_id=admin)
    assert len(listed) == 2 and all(m.record.undone for m in listed)  # (the undo records folded in)


def test_the_case_detail_lists_its_merges_with_the_survivor_s_number(desk: Desk) -> None:
    first, second = _two_cases(desk)
    supervisor = desk.user("supervisor")
    assert case_merge_listings(desk.ctx, first) == []
    done = merge_cases(desk.ctx, first, second, reason="同一事项", actor_id=supervisor)
    for case_id in (first, second):  # (the merged-away number opens the survivor: the same list)
        listed = case_merge_listings(desk.ctx, case_id)
        assert [(m.record.id, m.survivor_label, m.merged_label) for m in listed] == [
            (done.merge_id, _number(desk, first), _number(desk, second))]
