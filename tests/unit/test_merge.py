"""Merging cases and petitioners (``reception.merge``): everything kept, the old number an alias, the earliest
receipt date governing the clocks, audited, undone by an administrator; through the outbox like any change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from reception.db.models import AuditEntry, Case, CaseClock, CaseEvent, CaseMerge, Petitioner, SyncOutbox, Visit
from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, RoutingAction
from reception.domain.errors import FieldError
from reception.domain.idnumber import check_digit
from reception.intake.cases import case_detail
from reception.intake.receipt import reprint_receipt
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.lifecycle.machine import LifecycleError, SignFor
from reception.lifecycle.service import apply, load_state
from reception.merge.service import (
    MergeError,
    merge_cases,
    merge_petitioners,
    undo_case_merge,
    undo_petitioner_merge,
)
from reception.search.service import search
from reception.security.permissions import PermissionDenied
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"


def _id(body17: str) -> str:
    return body17 + check_digit(body17)


def _register(desk: Desk, *, name: str, id_number: str, phone: str, received_on: date | None = None,
              channel: Channel = Channel.VISIT) -> str:
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID, id_number=id_number, gender=Gender.UNKNOWN,
                           phone=phone, address="示范区翠园街道尚书茗苑3栋"),
        channel=channel, content_class=ContentClass.CLAIM, category_id=desk.category("CJ01"),
        locality_id=desk.locality(GRID), request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
        routing_action=RoutingAction.ASSIGN, unit_id=desk.unit("ZJJ"), received_on=received_on,
    )
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                           render_receipt=False).case_id


def _two_cases(desk: Desk) -> tuple[str, str]:
    today = desk.clock.moment.date()
    first = _register(desk, name="夏明云", id_number=_id("43050319800101123"), phone="13812345678")
    letter = _register(desk, name="夏明芸", id_number=_id("43050319800101145"), phone="13912345678",
                       received_on=today - timedelta(days=6), channel=Channel.LETTER)
    return first, letter


def _case(desk: Desk, case_id: str) -> Case:
    with desk.ctx.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        s.expunge(case)
        return case


def test_a_case_merge_keeps_everything_and_the_old_number_is_an_alias(desk: Desk) -> None:
    survivor, merged = _two_cases(desk)
    supervisor = desk.user("supervisor")
    old_no = _case(desk, merged).case_no
    with pytest.raises(PermissionDenied):
        merge_cases(desk.ctx, survivor, merged, reason="同一事项", actor_id=desk.officer_id)
    with pytest.raises(FieldError) as no_reason:
        merge_cases(desk.ctx, survivor, merged, reason="  ", actor_id=supervisor)
    assert no_reason.value.field == "合并理由"
    with pytest.raises(MergeError):
        merge_cases(desk.ctx, survivor, survivor, reason="同一事项", actor_id=supervisor)
    result = merge_cases(desk.ctx, survivor, merged, reason="同一事项重复登记", actor_id=supervisor)
    today = desk.clock.moment.date()
    assert result.received_on == today - timedelta(days=6)  # the letter's receipt date governs
    with desk.ctx.db.read() as s:
        assert s.get(Case, merged).merged_into == survivor  # type: ignore[union-attr]
        assert s.scalar(select(CaseClock.id).where(CaseClock.case_id == merged)) is None  # no clock of its own
        state = load_state(s, s.get(Case, survivor))  # type: ignore[arg-type]
        assert state.received_on == today - timedelta(days=6)
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == survivor)
                                .order_by(CaseEvent.occurred_at)))
        assert kinds[-1] == "merged"
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).one()
        assert audit.entity_id == survivor and "夏" not in audit.detail
        assert s.scalar(select(Visit.case_id).where(Visit.case_id == merged)) == merged  # nothing re-pointed
    detail = case_detail(desk.ctx, merged)  # opened by the old number's case: shows the survivor, with both visits
    assert detail.summary.id == survivor and detail.opened_as == old_no
    assert detail.merged_case_nos == (old_no,)
    assert len(detail.visits) == 2
    assert {"merged", "received"} <= {e.kind for e in detail.events}
    assert sum(e.kind == "received" for e in detail.events) == 2
    page = search(desk.ctx, old_no)
    assert [h.summary.id for h in page.hits] == [survivor]
    page = search(desk.ctx, "13912345678")  # the merged case's petitioner finds the surviving case
    assert [h.summary.id for h in page.hits] == [survivor]
    case_id, pdf = reprint_receipt(desk.ctx, old_no)  # the old number still reprints its own receipt
    assert case_id == merged and pdf.startswith(b"%PDF")
    with pytest.raises(LifecycleError):  # the merged-away case is handled in the survivor
        apply(desk.ctx, merged, SignFor(), actor_id=None)
    with pytest.raises(MergeError):
        merge_cases(desk.ctx, merged, survivor, reason="再合并", actor_id=supervisor)


def test_an_administrator_undoes_a_case_merge(desk: Desk) -> None:
    survivor, merged = _two_cases(desk)
    supervisor, admin = desk.user("supervisor"), desk.user("admin")
    done = merge_cases(desk.ctx, survivor, merged, reason="同一事项", actor_id=supervisor)
    with pytest.raises(PermissionDenied):
        undo_case_merge(desk.ctx, done.merge_id, reason="合并错了", actor_id=supervisor)
    undone = undo_case_merge(desk.ctx, done.merge_id, reason="合并错了", actor_id=admin)
    assert undone.received_on == _case(desk, survivor).registered_on
    with pytest.raises(MergeError):
        undo_case_merge(desk.ctx, done.merge_id, reason="再撤销", actor_id=admin)
    with desk.ctx.db.read() as s:
        assert s.get(Case, merged).merged_into is None  # type: ignore[union-attr]
        assert s.scalar(select(CaseClock.id).where(CaseClock.case_id == merged)) is not None  # its clock again
        state = load_state(s, s.get(Case, survivor))  # type: ignore[arg-type]
        assert state.received_on == _case(desk, survivor).registered_on
        rows = list(s.scalars(select(CaseMerge)))
        assert len(rows) == 2 and {r.undoes for r in rows} == {None, done.merge_id}
    assert case_detail(desk.ctx, merged).summary.id == merged
    assert len(case_detail(desk.ctx, survivor).visits) == 1


def test_a_petitioner_merge_resolves_search_and_is_undone(desk: Desk) -> None:
    first, second = _two_cases(desk)
    supervisor, admin = desk.user("supervisor"), desk.user("admin")
    with desk.ctx.db.read() as s:
        a = s.scalar(select(Petitioner.id).where(Petitioner.name == "夏明云"))
        b = s.scalar(select(Petitioner.id).where(Petitioner.name == "夏明芸"))
    assert a and b
    done = merge_petitioners(desk.ctx, a, b, reason="同一人，姓名录入有误", actor_id=supervisor)
    found = {h.summary.id for h in search(desk.ctx, "13812345678").hits}  # the survivor's phone: both cases
    assert found == {first, second}
    found = {h.summary.id for h in search(desk.ctx, _id("43050319800101145")).hits}  # merged record's ID
    assert found == {first, second}
    with desk.ctx.db.read() as s:  # blind indexes stay each record's own
        merged = s.get(Petitioner, b)
        assert merged is not None and merged.merged_into == a and merged.id_number_bidx
    undo_petitioner_merge(desk.ctx, done.merge_id, reason="并非同一人", actor_id=admin)
    assert {h.summary.id for h in search(desk.ctx, "13812345678").hits} == {first}


def test_a_merge_goes_through_the_outbox(desk: Desk) -> None:
    from reception.db.base import utcnow
    from reception.db.models import SyncPeer
    from reception.sync.outbox import attach_outbox

    survivor, merged = _two_cases(desk)
    with desk.ctx.db.write() as s:
        s.add(SyncPeer(id=1, server_url="http://127.0.0.1:1", client_id="c", desk_code="D", enrolled_at=utcnow()))
    attach_outbox(desk.ctx.db).enabled = True
    merge_cases(desk.ctx, survivor, merged, reason="同一事项", actor_id=desk.user("supervisor"))
    with desk.ctx.db.read() as s:
        tables = [t for t in s.scalars(select(SyncOutbox.table_name).order_by(SyncOutbox.seq))]
    assert {"case_merge", "petition_case", "case_event", "audit_entry"} <= set(tables)
    assert tables.count("petition_case") == 2  # the merged-away mark and the survivor's version
