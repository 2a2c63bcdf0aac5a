"""Inputs that cannot escape or crash: text checked at the service edge (lone surrogates, control characters, the
documented maximum lengths), receipt paths that never leave the data directory whatever case number the data holds,
an audit entry without a hash never sealed by the app, one sign-in message for every failure, and the old password
of change_password counting against the lockout. Real SQLite files in tmp_path, the real services."""

from __future__ import annotations

import random
import sqlite3
import uuid

import pytest
from sqlalchemy import select, update

from reception.bootstrap import open_data_dir
from reception.db.models import AuditEntry, Case
from reception.domain.errors import FieldError, FieldErrors, ReceptionError
from reception.domain.textcheck import FACTS_MAX, REQUEST_MAX
from reception.intake.cases import search_cases
from reception.intake.receipt import archive_receipt
from reception.security import accounts
from reception.security.accounts import AccountLocked, LoginFailed
from reception.security.audit import verify
from tests.unit.conftest import Desk
from tests.unit.test_security import intake

SURROGATES = ("\ud800", "\udfff", "a\udc80b")


@pytest.mark.parametrize("bad", [*SURROGATES, "\x00", "x\x1by", "\x7f"])
def test_invalid_characters_are_refused_next_to_the_field_at_intake(desk: Desk, bad: str) -> None:
    from dataclasses import replace

    from reception.intake.service import IntakeInput, PersonInput, register_intake
    from tests.unit.test_security import GRID, ID_NUMBER, PHONE

    def form(**changes: str) -> IntakeInput:
        person = PersonInput(name=changes.pop("name", "夏明云"), id_number=ID_NUMBER, phone=PHONE,
                             address=changes.pop("address", "示范区翠园街道"))
        base = IntakeInput(person=person, category_id=desk.category("CJ01"), locality_id=desk.locality(GRID),
                           request="要求尽快办理房屋不动产权证", facts="小区交房五年仍未办证。",
                           unit_id=desk.unit("ZJJ"))
        from reception.domain.enums import ContentClass

        return replace(base, content_class=ContentClass.CLAIM, **changes)

    for field, changes in (("request", {"request": "要求办证" + bad}), ("facts", {"facts": bad + "小区未办证"}),
                           ("name", {"name": "夏" + bad + "云"}), ("address", {"address": "翠园" + bad})):
        with pytest.raises(FieldErrors) as refused:
            register_intake(desk.ctx, form(**changes), desk_id=desk.desk_id, officer_id=desk.officer_id,
                            render_receipt=False)
        messages = {e.field: e.message for e in refused.value.errors}
        assert field in messages and ("无效的字符" in messages[field] or "控制字符" in messages[field]), messages
    with desk.ctx.db.read() as s:
        assert s.scalar(select(Case.id)) is None


def test_fuzzed_search_texts_never_crash(desk: Desk) -> None:
    rng = random.Random(23)
    alphabet = ["夏", "a", "1", " ", "\n", "\t", "-", "\ud800", "\udfff", "\x00", "\x1f", "😀", "\u200b", "'", "%"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        try:
            search_cases(desk.ctx, text, user_id=desk.officer_id)
        except FieldError as exc:
            assert exc.message and exc.field == "query"


def test_request_and_facts_have_a_documented_maximum(desk: Desk) -> None:
    from reception.domain.enums import ContentClass
    from reception.intake.service import IntakeInput, PersonInput, register_intake
    from tests.unit.test_security import GRID, ID_NUMBER, PHONE

    form = IntakeInput(person=PersonInput(name="夏明云", id_number=ID_NUMBER, phone=PHONE, address="示范区翠园街道"),
                       content_class=ContentClass.CLAIM, category_id=desk.category("CJ01"),
                       locality_id=desk.locality(GRID), request="要" * (REQUEST_MAX + 1), facts="实" * (FACTS_MAX + 1),
                       unit_id=desk.unit("ZJJ"))
    with pytest.raises(FieldErrors) as refused:
        register_intake(desk.ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id, render_receipt=True)
    messages = {e.field: e.message for e in refused.value.errors}
    assert f"最多{REQUEST_MAX}个字" in messages["request"] and f"最多{FACTS_MAX}个字" in messages["facts"]


def test_a_case_number_from_the_data_never_places_a_receipt_outside_the_data_directory(desk: Desk) -> None:
    case_id = intake(desk)
    outside = desk.ctx.paths.root.parent / "evil"
    for case_no in ("../../evil", "..\\..\\evil", "D01-20260916-0001/../../../evil", "/tmp/evil",
                    "D01-20260916-0001\n"):
        with desk.ctx.db.write() as s:
            s.execute(update(Case).where(Case.id == case_id).values(case_no=case_no))
        with pytest.raises(ReceptionError):
            archive_receipt(desk.ctx, case_id)
    assert not list(desk.ctx.paths.root.parent.glob("evil*")) and not outside.exists()
    with desk.ctx.db.write() as s:
        s.execute(update(Case).where(Case.id == case_id).values(case_no="D01-20260916-0001"))
    path = archive_receipt(desk.ctx, case_id)
    assert path.parent == desk.ctx.paths.receipts.resolve() and path.name == "D01-20260916-0001.pdf"


def test_an_entry_without_a_hash_is_an_error_never_sealed_on_open(desk: Desk) -> None:
    intake(desk)
    root = desk.ctx.paths.root
    desk.ctx.close()
    conn = sqlite3.connect(root / "reception.sqlite3")
    conn.execute("DROP TRIGGER audit_entry_no_update")
    conn.execute("DROP TRIGGER audit_entry_no_delete")
    forged = str(uuid.uuid4())
    chain, seq = conn.execute("SELECT chain, max(seq) FROM audit_entry GROUP BY chain").fetchone()
    conn.execute("INSERT INTO audit_entry (id, at, user_id, desk_id, action, entity, entity_id, detail, changes, "
                 "chain, seq, prev_hash, hash) VALUES (?, '2026-09-16 01:00:00.000000', NULL, NULL, 'export', 'case', "
                 "'*', 'full', '{}', ?, ?, '', '')", (forged, chain, seq + 1))
    conn.commit()
    conn.close()
    ctx = open_data_dir(root)  # the app's next open: triggers back, the forged row NOT sealed into the chain
    try:
        with ctx.db.read() as s:
            assert s.scalar(select(AuditEntry.hash).where(AuditEntry.id == forged)) == ""
            report = verify(s)
        assert not report.ok and any("没有哈希" in p for p in report.problems), report.problems
    finally:
        ctx.close()


def test_one_sign_in_message_for_every_failure(desk: Desk) -> None:
    accounts.add_user(desk.ctx, "wangf", "王芳", "desk_officer", password="Chuangkou2026", actor_id=None)
    seen = set()
    for name in ("wangf", "nobody", "wangf", "nobody2", "wangf"):
        with pytest.raises(LoginFailed) as failed:
            accounts.authenticate(desk.ctx, name, "wrong-password1")
        seen.add(failed.value.message)
    assert seen == {accounts.WRONG_LOGIN}


def test_change_password_counts_wrong_old_passwords_against_the_lockout(desk: Desk) -> None:
    user_id = accounts.add_user(desk.ctx, "wangf", "王芳", "desk_officer", password="Chuangkou2026",
                                actor_id=None)
    user_id = getattr(user_id, "id", user_id)
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(FieldError):
            accounts.change_password(desk.ctx, user_id, "guess-password1", "Xinmima2026")
    with pytest.raises(AccountLocked):
        accounts.change_password(desk.ctx, user_id, "guess-password2", "Xinmima2026")
    # locked: neither the right old password nor the sign-in gets through now
    with pytest.raises(AccountLocked):
        accounts.change_password(desk.ctx, user_id, "Chuangkou2026", "Xinmima2026")
    with pytest.raises(AccountLocked):
        accounts.authenticate(desk.ctx, "wangf", "Chuangkou2026")
