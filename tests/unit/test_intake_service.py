"""The intake service on a real SQLite file: validation, case numbers, routing, joining cases, receipts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from reception.db.models import AuditEntry, Case, CaseEvent, Petitioner, ReceiptPrint, Visit, VisitPerson
from reception.domain.enums import CaseStatus, Channel, ContentClass, DocumentType, Gender, HistoryFlag, RoutingAction
from reception.domain.errors import FieldErrors
from reception.domain.idnumber import check_digit
from reception.intake.service import IntakeInput, PersonInput, register_intake
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"


def resident_id(body: str = "43050319800101123") -> str:
    return body + check_digit(body)


def form(desk: Desk, **changes: object) -> IntakeInput:
    person = PersonInput(
        name="夏明云",
        id_type=DocumentType.RESIDENT_ID,
        id_number=resident_id(),
        phone="13812345678",
        address="示范区翠园街道尚书茗苑3栋2单元501",
    )
    base: dict[str, object] = dict(
        person=person,
        channel=Channel.VISIT,
        content_class=ContentClass.CLAIM,
        category_id=desk.category("CJ01"),
        locality_id=desk.locality(GRID),
        request="要求尽快办理房屋不动产权证",
        facts="小区交房五年仍未办证。",
        routing_action=RoutingAction.ASSIGN,
        unit_id=desk.unit("ZJJ"),
    )
    base.update(changes)
    return IntakeInput(**base)  # type: ignore[arg-type]


def save(desk: Desk, f: IntakeInput, *, receipt: bool = False):  # type: ignore[no-untyped-def]
    return register_intake(desk.ctx, f, desk_id=desk.desk_id, officer_id=desk.officer_id, render_receipt=receipt)


def test_new_case_is_registered_routed_and_archived(desk: Desk) -> None:
    result = save(desk, form(desk), receipt=True)

    assert result.is_new_case and result.visit_no == 1
    assert result.case_no == "JD01-20260916-0001"
    assert len(result.query_code) == 8 and result.query_code.isascii()
    assert result.receipt_path is not None
    archived = Path(result.receipt_path)
    assert archived == desk.ctx.paths.receipts / "JD01-20260916-0001.pdf"
    text = "".join(page.extract_text() for page in PdfReader(archived).pages)
    assert "登记回执" in text and result.case_no in text
    assert resident_id() not in text and "430503********" in text
    with desk.ctx.db.read() as s:
        case = s.scalar(select(Case))
        assert case is not None
        assert case.status == CaseStatus.ASSIGNED.value
        assert case.unit_id == desk.unit("ZJJ") and case.proposed_unit_id == desk.unit("ZJJ")
        assert case.first_desk_id == desk.desk_id and case.first_officer_id == desk.officer_id
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.kind))]
        assert sorted(kinds) == ["assigned", "received"]
        petitioner = s.scalar(select(Petitioner))
        assert petitioner is not None and petitioner.gender == Gender.MALE.value  # derived from the ID
        assert s.scalar(select(func.count()).select_from(ReceiptPrint)) == 1
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "intake")) == 1


def test_case_numbers_count_per_desk_and_day(desk: Desk) -> None:
    first = save(desk, form(desk))
    second = save(desk, form(desk, person=PersonInput(name="李四", id_type=DocumentType.NONE, address="某地")))
    desk.clock.moment += timedelta(days=1)
    third = save(desk, form(desk, person=PersonInput(name="王五", id_type=DocumentType.NONE, address="某地")))
    assert [first.case_no, second.case_no, third.case_no] == [
        "JD01-20260916-0001", "JD01-20260916-0002", "JD01-20260917-0001"]


def test_invalid_fields_are_all_reported_and_nothing_is_saved(desk: Desk) -> None:
    bad = form(
        desk,
        person=PersonInput(name="", id_type=DocumentType.RESIDENT_ID, id_number="430503198001011230",
                           phone="12345", address=""),
        request="",
        facts="",
        content_class=None,
    )
    with pytest.raises(FieldErrors) as info:
        save(desk, bad)
    fields = info.value.by_field()
    assert set(fields) >= {"name", "id_number", "phone", "address", "request", "facts", "content_class"}
    assert "校验" in fields["id_number"]
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        assert s.scalar(select(func.count()).select_from(Petitioner)) == 0


def test_person_without_any_document_can_be_registered(desk: Desk) -> None:
    result = save(desk, form(desk, person=PersonInput(name="张三", id_type=DocumentType.NONE, address="示范区某村")))
    with desk.ctx.db.read() as s:
        p = s.scalar(select(Petitioner))
        assert p is not None and p.id_number is None and p.id_type == "none"
    assert result.is_new_case


def test_gender_contradicting_the_id_is_rejected(desk: Desk) -> None:
    female = PersonInput(name="夏明云", id_number=resident_id(), gender=Gender.FEMALE, address="某地")
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, person=female))
    assert "gender" in info.value.by_field()


def test_overriding_the_proposed_unit_requires_a_reason(desk: Desk) -> None:
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, unit_id=desk.unit("CY")))
    assert "override_reason" in info.value.by_field()
    save(desk, form(desk, unit_id=desk.unit("CY"), override_reason="属地街道已牵头成立专班"))
    with desk.ctx.db.read() as s:
        case = s.scalar(select(Case))
        assert case is not None
        assert case.unit_id == desk.unit("CY") and case.proposed_unit_id == desk.unit("ZJJ")
        assert case.routing_override_reason == "属地街道已牵头成立专班"


def test_legal_channel_matter_is_not_accepted_as_a_petition(desk: Desk) -> None:
    f = form(desk, category_id=desk.category("FD01"), routing_action=RoutingAction.LEGAL_CHANNEL, unit_id=None,
             legal_channel="人民法院（提起诉讼）")
    result = save(desk, f, receipt=True)
    with desk.ctx.db.read() as s:
        case = s.get(Case, result.case_id)
        assert case is not None and case.status == CaseStatus.LEGAL_CHANNEL.value
    assert result.receipt_path is not None
    text = "".join(p.extract_text() for p in PdfReader(result.receipt_path).pages)
    assert "人民法院" in text and "不作为信访事项受理" in text


def test_collective_visit_records_representatives_and_headcount(desk: Desk) -> None:
    reps = tuple(PersonInput(name=f"代表{i}", id_type=DocumentType.NONE, phone=f"1390000000{i}") for i in range(4))
    result = save(desk, form(desk, headcount=30, representatives=reps))
    with desk.ctx.db.read() as s:
        visit = s.get(Visit, result.visit_id)
        assert visit is not None and visit.is_collective and visit.headcount == 30
        people = s.scalars(select(VisitPerson).where(VisitPerson.visit_id == visit.id)).all()
        assert len(people) == 5 and all(p.is_representative for p in people)


def test_more_than_five_representatives_is_refused(desk: Desk) -> None:
    reps = tuple(PersonInput(name=f"代表{i}", id_type=DocumentType.NONE) for i in range(5))
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, headcount=30, representatives=reps))
    assert "不超过5人" in info.value.by_field()["representatives"]


def test_headcount_cannot_be_below_the_representatives(desk: Desk) -> None:
    reps = (PersonInput(name="代表", id_type=DocumentType.NONE),)
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, headcount=1, representatives=reps))
    assert "headcount" in info.value.by_field()


def test_repeat_visit_joins_the_case_instead_of_duplicating_it(desk: Desk) -> None:
    first = save(desk, form(desk))
    desk.clock.moment += timedelta(days=20)
    again = save(desk, form(desk, request="询问办证进度", join_case_id=first.case_id), receipt=True)
    assert not again.is_new_case and again.case_no == first.case_no and again.visit_no == 2
    assert HistoryFlag.REPEAT in again.flags and HistoryFlag.IN_HANDLING in again.flags
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(Petitioner)) == 1  # the same person, matched by ID
        visit = s.get(Visit, again.visit_id)
        assert visit is not None and visit.is_repeat
    assert again.receipt_path is not None and again.receipt_path.endswith(f"{first.case_no}-V2.pdf")
    text = "".join(p.extract_text() for p in PdfReader(again.receipt_path).pages)
    assert "不再重复受理" in text


def test_visit_to_a_concluded_case_is_registered_with_a_not_accepted_notice(desk: Desk) -> None:
    first = save(desk, form(desk))
    with desk.ctx.db.write() as s:
        case = s.get(Case, first.case_id)
        assert case is not None
        case.status = CaseStatus.FINAL.value
    again = save(desk, form(desk, join_case_id=first.case_id), receipt=True)
    assert HistoryFlag.CONCLUDED in again.flags
    assert again.receipt_path is not None
    text = "".join(p.extract_text() for p in PdfReader(again.receipt_path).pages)
    assert "不再受理" in text and "复核终结" in text


def test_receipt_deadlines_roll_over_the_national_day_holiday(desk: Desk) -> None:
    # registered 2026-09-16: 15 days later is 2026-10-01, National Day; the next working day is 2026-10-08
    result = save(desk, form(desk), receipt=True)
    assert result.receipt_path is not None
    text = "".join(p.extract_text() for p in PdfReader(result.receipt_path).pages)
    assert "2026年10月08日" in text or "2026年10月8日" in text or "2026-10-08" in text


def test_same_person_is_matched_by_id_and_details_updated(desk: Desk) -> None:
    save(desk, form(desk))
    moved = PersonInput(name="夏明云", id_number=" " + resident_id()[:-1] + resident_id()[-1].lower() + " ",
                        phone="0739-5231234", address="示范区城南街道紫霞社区8栋")
    save(desk, form(desk, person=moved))
    with desk.ctx.db.read() as s:
        people = s.scalars(select(Petitioner)).all()
        assert len(people) == 1
        assert people[0].phone == "07395231234" and people[0].address.startswith("示范区城南街道")
        assert people[0].version == 2


def test_registered_on_uses_the_local_date(desk: Desk) -> None:
    # 00:30 in Beijing is still the previous day in UTC: the case belongs to the local day
    desk.clock.moment = desk.clock.moment.replace(hour=0, minute=30)
    result = save(desk, form(desk))
    with desk.ctx.db.read() as s:
        case = s.get(Case, result.case_id)
        assert case is not None and case.registered_on == date(2026, 9, 16)
    assert result.case_no.endswith("20260916-0001")


def test_joining_needs_only_the_person_and_this_visit_s_request(desk: Desk) -> None:
    first = save(desk, form(desk))
    bare = IntakeInput(person=form(desk).person, request="询问办理进度", join_case_id=first.case_id)
    again = save(desk, bare)
    assert again.case_no == first.case_no and again.visit_no == 2
    with pytest.raises(FieldErrors) as info:
        save(desk, IntakeInput(person=form(desk).person, join_case_id=first.case_id))
    assert set(info.value.by_field()) == {"request"}


def test_a_new_case_gets_its_legal_clocks_at_once(desk: Desk) -> None:
    from reception.db.models import CaseClock

    result = save(desk, form(desk))
    with desk.ctx.db.read() as s:
        clocks = s.scalars(select(CaseClock).where(CaseClock.case_id == result.case_id)).all()
    assert clocks and min(c.due_on for c in clocks) >= date(2026, 9, 16)


def test_a_linked_petitioner_is_never_overwritten_by_someone_else(desk: Desk) -> None:
    first = save(desk, form(desk))
    with desk.ctx.db.read() as s:
        xia = s.scalar(select(Petitioner))
        assert xia is not None
    other = PersonInput(name="李四", id_number=resident_id("43050319900202123"), address="某地", petitioner_id=xia.id)
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, person=other))
    assert {"name", "id_number"} <= set(info.value.by_field())
    with desk.ctx.db.read() as s:
        still = s.get(Petitioner, xia.id)
        assert still is not None and still.name == "夏明云" and still.id_number == resident_id()
    assert first.is_new_case


def test_same_id_with_another_name_is_refused_with_a_masked_hint(desk: Desk) -> None:
    save(desk, form(desk))
    renamed = PersonInput(name="夏明", id_number=resident_id(), address="某地")
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, person=renamed))
    message = info.value.by_field()["name"]
    assert "夏某云" in message and "夏明云" not in message


def test_without_an_id_same_name_and_phone_are_not_merged(desk: Desk) -> None:
    a = PersonInput(name="王芳", id_type=DocumentType.NONE, phone="13900000001", address="某村")
    save(desk, form(desk, person=a))
    save(desk, form(desk, person=a))
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Petitioner)) == 2


def test_linking_without_an_id_reuses_the_record_and_audits_the_change(desk: Desk) -> None:
    a = PersonInput(name="王芳", id_type=DocumentType.NONE, phone="13900000001", address="某村")
    save(desk, form(desk, person=a))
    with desk.ctx.db.read() as s:
        wang = s.scalar(select(Petitioner))
        assert wang is not None
    moved = PersonInput(name="王芳", id_type=DocumentType.NONE, phone="13900000002", address="新地址",
                        gender=Gender.UNKNOWN, petitioner_id=wang.id)
    save(desk, form(desk, person=moved))
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Petitioner)) == 1
        created = s.scalar(select(AuditEntry).where(AuditEntry.entity == "petitioner", AuditEntry.action == "create"))
        assert created is not None and created.changes["name"] == [None, "王某"]
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "petitioner", AuditEntry.action == "update"))
        assert entry is not None and entry.detail == "intake:address,phone"
        # before and after, masked (phones) or hashed (addresses): never the values themselves
        assert entry.changes["phone"] == ["139****0001", "139****0002"]
        before, after = entry.changes["address"]
        assert before.startswith("sha256:") and after.startswith("sha256:") and before != after
        stored = json.dumps(entry.changes, ensure_ascii=False) + entry.detail
        assert "13900000002" not in stored and "新地址" not in stored and "王芳" not in stored


def test_the_same_person_cannot_be_two_representatives(desk: Desk) -> None:
    save(desk, form(desk))
    with desk.ctx.db.read() as s:
        xia = s.scalar(select(Petitioner))
        assert xia is not None
    twice = (PersonInput(name="夏明云", id_type=DocumentType.NONE, petitioner_id=xia.id),)
    with pytest.raises(FieldErrors) as info:
        save(desk, form(desk, headcount=5, representatives=twice))
    assert "同一人" in info.value.by_field()["representatives"]


def _receipts_of_saves(desk: Desk, monkeypatch: pytest.MonkeyPatch, forms: list[IntakeInput]):  # type: ignore[no-untyped-def]
    """Save each form with its receipt; the ReceiptData each save rendered, with its result."""
    from reception.intake import receipt as receipt_module

    rendered: list[object] = []
    real = receipt_module.render_receipt

    def spy(data, layout):  # type: ignore[no-untyped-def]
        rendered.append(data)
        return real(data, layout)

    monkeypatch.setattr(receipt_module, "render_receipt", spy)
    results = []
    for f in forms:
        results.append(save(desk, f, receipt=True))
        desk.clock.moment += timedelta(minutes=7)
    assert len(rendered) == len(forms)
    return list(zip(results, rendered, strict=True))


def test_the_receipt_read_inside_the_registration_is_the_one_a_read_session_gives(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The save reads its receipt in its own write transaction (docs/domain.md, "Receipt"): every field the same
    as a separate read after the commit gives, for new cases of each routing, a letter, a collective visit and a
    joined visit."""
    from reception.db.settings import load_desk_settings
    from reception.intake.receipt import build_receipt_data

    reps = tuple(PersonInput(name=f"代表{i}", id_type=DocumentType.NONE, phone=f"1390000000{i}") for i in range(2))
    forms = [
        form(desk),
        form(desk, person=PersonInput(name="罗塘生", id_type=DocumentType.NONE, phone="0731-5555 1234",
                                      address="示范区翠园街道"), headcount=12, representatives=reps),
        form(desk, person=PersonInput(name="桂花香", address="示范区"), channel=Channel.LETTER,
             received_on=desk.clock.moment.date() - timedelta(days=3)),
        form(desk, category_id=desk.category("FD01"), routing_action=RoutingAction.LEGAL_CHANNEL, unit_id=None,
             legal_channel="人民法院（提起诉讼）"),
    ]
    saved = _receipts_of_saves(desk, monkeypatch, forms)
    joined = _receipts_of_saves(desk, monkeypatch, [form(desk, request="询问办证进度",
                                                         join_case_id=saved[0][0].case_id)])
    for result, data in saved + joined:
        with desk.ctx.db.read() as s:
            again = build_receipt_data(s, result.case_id, result.visit_id, desk.ctx.calendar, load_desk_settings(s))
        assert data == again


def test_a_save_is_one_transaction_with_its_receipt(desk: Desk) -> None:
    """Registration, clocks, the receipt's data (from the rows in the session) and its print record in one write
    transaction: no read transaction, no second write."""
    from sqlalchemy import event

    save(desk, form(desk), receipt=True)  # (the first: ReportLab, the font)
    begins: list[str] = []

    def on_begin(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            begins.append(statement)

    second = form(desk, person=PersonInput(name="桂花香", address="示范区"))
    engine = desk.ctx.db.engine
    event.listen(engine, "before_cursor_execute", on_begin)
    try:
        result = save(desk, second, receipt=True)
    finally:
        event.remove(engine, "before_cursor_execute", on_begin)
    assert result.receipt_path is not None
    assert begins == ["BEGIN IMMEDIATE"]
    with desk.ctx.db.read() as s:
        record = s.scalars(select(ReceiptPrint).where(ReceiptPrint.case_id == result.case_id)).one()
    assert record.file_name == Path(result.receipt_path).name and Path(result.receipt_path).is_file()


def test_a_save_that_fails_at_the_commit_leaves_no_receipt_in_the_archive(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The receipt is written before the commit: a registration that does not commit takes its file away."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def refuse(session: Session) -> None:
        raise RuntimeError("disk full")

    event.listen(Session, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError):
            save(desk, form(desk), receipt=True)
    finally:
        event.remove(Session, "before_commit", refuse)
    assert not list(desk.ctx.paths.receipts.glob("*.pdf"))
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_the_archived_receipt_is_synced_to_disk_before_its_record_commits(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF is synced (and, on POSIX, its folder after the rename) before the print record commits."""
    import os

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from reception.intake import receipt as receipt_module

    steps: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        steps.append("fsync")
        real_fsync(fd)

    def on_commit(session: Session) -> None:
        steps.append("commit")

    f = form(desk)
    monkeypatch.setattr(receipt_module.os, "fsync", fsync)
    event.listen(Session, "before_commit", on_commit)
    try:
        result = save(desk, f, receipt=True)
    finally:
        event.remove(Session, "before_commit", on_commit)
    assert result.receipt_path is not None
    assert steps == (["fsync", "fsync", "commit"] if os.name != "nt" else ["fsync", "commit"])
