"""The search indexes on a desk that only pulled the case: a case registered on desk A, pushed to a real server
process, pulled by desk B, is found on B by every kind of text (the server never carries the tokens: B's ORM
computes them, under the data key B has loaded, as it applies the pulled petitioner); a changed phone or address
pulled later moves the index with it."""

from __future__ import annotations

from sqlalchemy import select

from reception.db.models import Petitioner, PetitionerToken
from reception.db.settings import load_desk_settings
from reception.domain.enums import DocumentType
from reception.intake.service import PersonInput, register_intake
from reception.search import tokens
from reception.search.service import find_history_by_text, search
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle, _intake_form
from tests.unit.test_intake_service import resident_id

ID = resident_id("43050219751203004")
PERSON = PersonInput(name="欧阳秀英", id_type=DocumentType.RESIDENT_ID, id_number=ID, phone="13907393912",
                     address="示范区城南街道紫霞社区8栋1单元302室")


def _register(desk: DeskHandle) -> tuple[str, str]:
    from dataclasses import replace

    with desk.ctx.db.read() as s:
        st = load_desk_settings(s)
        form = replace(_intake_form(s, desk.rng), person=PERSON)
    result = register_intake(desk.ctx, form, desk_id=st.desk_id, officer_id=st.officer_id, render_receipt=False)
    return result.case_no, result.query_code


def _nos(desk: DeskHandle, text: str) -> list[str]:
    return [h.summary.case_no for h in search(desk.ctx, text).hits]


def test_a_pulled_case_is_found_by_every_kind_of_text(env: Env) -> None:
    a, b = env.desk("一号窗口", seed=21), env.desk("二号窗口", seed=22)
    a.intake(5)  # (others around it)
    case_no, code = _register(a)
    assert a.sync().ok
    before = _nos(b, "3912")
    assert case_no not in before
    report = b.sync()
    assert report.ok and report.pulled > 0, report

    for text in ("3912", "393912", ID[-4:], ID[-6:], "秀英", "阳秀", "oyxy", code, code.lower(), case_no,
                 case_no.split("-", 1)[1], f"XF:{case_no}:{code}", "13907393912", ID, "紫霞社区", "紫霞社区8栋"):
        assert case_no in _nos(b, text), text
    hit = search(b.ctx, "3912").hits
    assert [h.summary.phone_masked for h in hit if h.summary.case_no == case_no] == ["139****3912"]
    with b.ctx.db.read() as s:
        people = find_history_by_text(s, "3912").history.persons
        assert [p.name for p in people] == ["欧阳秀英"] and people[0].matched_by == ("phone_suffix",)
        # B computed the tokens on pull (they are local rows, never synced: ``sync.registry``)
        pid = s.scalar(select(Petitioner.id).where(Petitioner.name == "欧阳秀英"))
        held = set(s.scalars(select(PetitionerToken.token).where(PetitionerToken.petitioner_id == pid)))
    assert held == tokens.secret_tokens(ID, "13907393912", PERSON.address)

    # a change on A (a new phone, a move), pushed and pulled: B finds the new values, not the old
    with a.ctx.db.write() as s:
        p = s.scalar(select(Petitioner).where(Petitioner.name == "欧阳秀英"))
        assert p is not None
        p.phone = "13600001111"
        p.address = "示范区河西街道桃源村5组12号"
    assert a.sync().ok
    assert b.sync().ok
    assert case_no in _nos(b, "1111") and case_no in _nos(b, "桃源村")
    assert case_no not in _nos(b, "3912") and case_no not in _nos(b, "紫霞社区")
