"""更正登记: who may correct what and when, the masked audit, the sync outbox, and the receipt reprinted as 更正.

Real services on a real SQLite file with the desk's injected clock (``tests.unit.conftest.Clock``); the reprinted
receipt is read back with pypdf.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from reception.db.base import utcnow
from reception.db.models import AuditEntry, Case, CaseEvent, Petitioner, ReceiptPrint, SyncOutbox, SyncPeer
from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, RoutingAction
from reception.domain.errors import FieldErrors
from reception.domain.idnumber import check_digit
from reception.intake.correction import CorrectionInput, correct_registration, correction_rights, registration
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.security.permissions import PermissionDenied
from reception.sync.outbox import attach_outbox, open_personal
from tests.unit.conftest import Desk

GRID = "翠园街道/尚书茗苑社区/第1网格"
PHONE = "13812345678"
ID_NUMBER = "430503198001011231"
ADDRESS = "示范区翠园街道尚书茗苑3栋"


def _id(body17: str) -> str:
    return body17 + check_digit(body17)


def _register(desk: Desk, *, officer: str | None = None, name: str = "夏明云", id_number: str = ID_NUMBER) -> str:
    form = IntakeInput(
        person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID, id_number=id_number, gender=Gender.UNKNOWN,
                           phone=PHONE, address=ADDRESS),
        channel=Channel.VISIT, content_class=ContentClass.CLAIM, category_id=desk.category("CJ01"),
        locality_id=desk.locality(GRID), request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
        routing_action=RoutingAction.ASSIGN, unit_id=desk.unit("ZJJ"),
    )
    return register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=officer or desk.officer_id,
                           render_receipt=False).case_id


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _errors(exc: pytest.ExceptionInfo[FieldErrors]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_the_registering_officer_corrects_phone_address_and_wording_the_same_day(desk: Desk) -> None:
    case_id = _register(desk)
    rights = correction_rights(desk.ctx, case_id, actor_id=desk.officer_id)
    assert rights.contact and not rights.identity
    shown = registration(desk.ctx, case_id, actor_id=desk.officer_id)
    assert shown.persons[0].phone == PHONE and shown.request == "要求尽快办理房屋不动产权证"
    desk.clock.moment += timedelta(hours=3)  # later the same day
    result = correct_registration(desk.ctx, CorrectionInput(
        case_id, phone="139 1111 2222", address="示范区翠园街道尚书茗苑5栋", request="要求尽快办理3栋的不动产权证",
        facts=shown.facts), actor_id=desk.officer_id, desk_id=desk.desk_id)
    assert result.changed == ("联系电话", "住址", "诉求")
    with desk.ctx.db.read() as s:
        person = s.get(Petitioner, shown.persons[0].id)
        case = s.get(Case, case_id)
        assert person is not None and case is not None
        assert person.phone == "13911112222" and person.address == "示范区翠园街道尚书茗苑5栋"
        assert case.request == "要求尽快办理3栋的不动产权证" and case.facts == shown.facts
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "corrected"))
        assert event is not None and "联系电话" in event.note and "13911112222" not in event.note
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "correct")))
    by_entity = {e.entity: e for e in entries}
    assert by_entity["petitioner"].changes["phone"] == ["138****5678", "139****2222"]
    assert by_entity["petitioner"].changes["address"][0].startswith("sha256:")
    assert by_entity["case"].changes["request"][1].startswith("sha256:")
    dumped = json.dumps([e.changes for e in entries], ensure_ascii=False) + "".join(e.detail for e in entries)
    for clear in (PHONE, "13911112222", "尚书茗苑5栋", "3栋的不动产权证"):
        assert clear not in dumped
    # the printed phone (masked) and the request changed: the receipt is reprinted, marked 更正, and archived
    assert result.receipt is not None and result.receipt_path is not None and result.receipt_path.exists()
    text = _text(result.receipt)
    assert "更正" in text and "补打" not in text and "139****2222" in text and "3栋的不动产权证" in text
    assert result.receipt_path.read_bytes() == result.receipt


def test_an_address_correction_changes_nothing_printed_and_reprints_nothing(desk: Desk) -> None:
    case_id = _register(desk)
    result = correct_registration(desk.ctx, CorrectionInput(case_id, address="示范区翠园街道尚书茗苑9栋"),
                                  actor_id=desk.officer_id)
    assert result.changed == ("住址",) and result.receipt is None
    with desk.ctx.db.read() as s:
        assert s.scalar(select(ReceiptPrint.id).where(ReceiptPrint.case_id == case_id)) is None


def test_after_the_day_only_a_supervisor_corrects_and_name_or_id_need_one_with_a_reason(desk: Desk) -> None:
    case_id = _register(desk)
    with pytest.raises(FieldErrors) as refused:  # the officer may not change who the petitioner is
        correct_registration(desk.ctx, CorrectionInput(case_id, name="夏明芸", reason="录入错误"),
                             actor_id=desk.officer_id)
    assert "须由督查办理" in _errors(refused)["name"]
    desk.clock.moment += timedelta(days=1)
    assert not correction_rights(desk.ctx, case_id, actor_id=desk.officer_id).any
    with pytest.raises(PermissionDenied) as late:
        correct_registration(desk.ctx, CorrectionInput(case_id, phone="13911112222"), actor_id=desk.officer_id)
    assert "登记当日之后" in late.value.message
    supervisor = desk.user("supervisor")
    new_id = _id("43050319800101135")
    with pytest.raises(FieldErrors) as no_reason:
        correct_registration(desk.ctx, CorrectionInput(case_id, id_number=new_id), actor_id=supervisor)
    assert "请说明理由" in _errors(no_reason).get("reason", ""), _errors(no_reason)
    result = correct_registration(desk.ctx, CorrectionInput(case_id, id_number=new_id, name="夏明芸",
                                                            reason="身份证号码和姓名录入错误，已核对原件"),
                                  actor_id=supervisor)
    assert result.changed == ("姓名", "证件号码") and result.receipt is not None
    assert "夏明芸" in _text(result.receipt)
    with desk.ctx.db.read() as s:
        person = s.scalar(select(Petitioner).where(Petitioner.name == "夏明芸"))
        assert person is not None and person.id_number == new_id
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "correct", AuditEntry.entity == "petitioner"))
        assert entry is not None and entry.user_id == supervisor
        assert entry.changes["name"] == ["夏某云", "夏某芸"]
        assert new_id not in json.dumps(entry.changes) and entry.changes["id_number"][1].endswith(new_id[-4:])
        event = s.scalar(select(CaseEvent).where(CaseEvent.kind == "corrected"))
        assert event is not None and "理由：身份证号码和姓名录入错误" in event.note


def test_others_may_not_correct_and_bad_values_are_named_by_their_field(desk: Desk) -> None:
    case_id = _register(desk)
    colleague = desk.user("desk_officer", username="wangxy")
    with pytest.raises(PermissionDenied) as not_theirs:
        correct_registration(desk.ctx, CorrectionInput(case_id, phone="13911112222"), actor_id=colleague)
    assert "本人登记" in not_theirs.value.message
    staff = desk.user("unit_staff", unit="ZJJ")
    with pytest.raises(PermissionDenied):
        correct_registration(desk.ctx, CorrectionInput(case_id, phone="13911112222"), actor_id=staff)
    with pytest.raises(FieldErrors) as bad:
        correct_registration(desk.ctx, CorrectionInput(case_id, phone="1391111", request="改"),
                             actor_id=desk.officer_id)
    errors = _errors(bad)
    assert set(errors) == {"phone", "request"}
    with pytest.raises(FieldErrors) as same:  # typed differently, the same number
        correct_registration(desk.ctx, CorrectionInput(case_id, phone="138-1234-5678"), actor_id=desk.officer_id)
    assert "没有需要更正的内容" in _errors(same)[""]
    other = _register(desk, name="林其他", id_number=_id("43050319820202234"))
    assert other != case_id
    with pytest.raises(FieldErrors) as taken:
        correct_registration(desk.ctx, CorrectionInput(case_id, id_number=_id("43050319820202234"), reason="核对"),
                             actor_id=desk.user("supervisor"))
    assert "另一位信访人" in _errors(taken)["id_number"]
    with desk.ctx.db.read() as s:  # nothing refused was stored
        assert s.scalar(select(CaseEvent.id).where(CaseEvent.kind == "corrected")) is None


def test_a_correction_syncs_as_an_ordinary_change(desk: Desk) -> None:
    case_id = _register(desk)
    with desk.ctx.db.write() as s:
        s.add(SyncPeer(id=1, server_url="http://127.0.0.1:1", client_id="c", desk_code="D01", enrolled_at=utcnow()))
    attach_outbox(desk.ctx.db).enabled = True
    correct_registration(desk.ctx, CorrectionInput(case_id, phone="13911112222", request="要求尽快办理不动产权证书"),
                         actor_id=desk.officer_id)
    with desk.ctx.db.read() as s:
        rows = list(s.scalars(select(SyncOutbox).order_by(SyncOutbox.seq)))
    latest = {r.table_name: r for r in rows}  # one mutation per record and transaction, the last one per table
    assert {"petitioner", "petition_case", "case_event", "audit_entry"} <= set(latest)
    assert latest["petitioner"].op == "upsert" and latest["petitioner"].data is not None
    sealed = latest["petitioner"].data["phone"]  # the outbox keeps personal data sealed, as the tables do
    assert sealed != "13911112222" and open_personal("petitioner", latest["petitioner"].data)["phone"] == "13911112222"
    assert latest["petition_case"].data is not None
    assert latest["petition_case"].data["request"] == "要求尽快办理不动产权证书"
