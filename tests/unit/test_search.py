"""The search box's service on a real database: every kind of query, ranking, paging, and the keyed indexes kept
in step with every write (intake, an ORM update, a pulled record, a rebuild)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reception.bootstrap import open_data_dir
from reception.db.models import Case, Petitioner, PetitionerGram, PetitionerToken, Setting
from reception.domain.enums import DocumentType
from reception.domain.errors import FieldError
from reception.intake.service import PersonInput
from reception.search import index, tokens
from reception.search.service import CASE_CAP, search
from tests.unit.conftest import Desk
from tests.unit.test_intake_service import form, resident_id, save

OTHER_ID = resident_id("43050219751203004")
LI = PersonInput(name="李秀英", id_type=DocumentType.RESIDENT_ID, id_number=OTHER_ID, phone="13907393912",
                 address="示范区城南街道紫霞社区")


def _nos(desk: Desk, text: str) -> list[str]:
    return [c.case_no for c in search(desk.ctx, text).rows]


@pytest.fixture
def two(desk: Desk) -> tuple[str, str, str]:
    """夏明云 (13812345678, ID …1123x) and 李秀英 (13907393912), one case each; returns both numbers and 李's code."""
    first = save(desk, form(desk))
    li = save(desk, form(desk, person=LI))
    return first.case_no, li.case_no, li.query_code


def test_every_kind_of_query_finds_the_case(desk: Desk, two: tuple[str, str, str]) -> None:
    xia, li, code = two
    assert _nos(desk, li) == [li]
    assert _nos(desk, li.split("-", 1)[1]) == [li]  # 20260916-0002: the number without its desk prefix
    assert _nos(desk, code) == [li] and _nos(desk, code.lower()) == [li]
    assert _nos(desk, f"XF:{li}:{code}") == [li]
    assert _nos(desk, f"https://xf.example.gov.cn/portal/q/{li}?c={code}") == [li]
    assert _nos(desk, "3912") == [li]  # 手机尾号
    assert _nos(desk, "393912") == [li] and _nos(desk, "907393912") == [li]  # 6 and 9 digits of the tail
    assert _nos(desk, "13907393912") == [li]
    assert _nos(desk, OTHER_ID[-4:]) == [li] and _nos(desk, OTHER_ID[-6:]) == [li]
    assert _nos(desk, OTHER_ID) == [li]
    assert _nos(desk, "秀英") == [li] and _nos(desk, "李秀") == [li] and _nos(desk, "李") == [li]
    assert _nos(desk, "lxy") == [li] and _nos(desk, "xmy") == [xia]
    assert _nos(desk, "明云") == [xia]
    # what matches nothing: a tail nobody has, characters in no name, a code of no case, a forged QR
    for text in ("0000", "秀明", "ZZZZZZZZ", f"XF:{li}:WRONGCODE", "JD01-20260916-0099"):
        assert _nos(desk, text) == [], text
    page = search(desk.ctx, f"XF:{li}:WRONGCODE")
    assert page.qr_mismatch and page.qr_case_id is None
    scanned = search(desk.ctx, f"XF:{li}:{code}")
    assert scanned.qr_case_id is not None and scanned.hits[0].matched == "回执二维码"


def test_exact_matches_rank_first_and_results_are_masked(desk: Desk, two: tuple[str, str, str]) -> None:
    xia, li, _code = two
    # two phones ending in 5678: both found by the tail, masked, the newest first
    third = save(desk, form(desk, person=PersonInput(name="王五", id_type=DocumentType.NONE, phone="13000005678",
                                                     address="示范区城南街道")))
    found = search(desk.ctx, "5678")
    assert [h.summary.case_no for h in found.hits] == [third.case_no, xia]
    assert {h.matched for h in found.hits} == {"电话尾号"} and not any(h.exact for h in found.hits)
    assert [h.summary.phone_masked for h in found.hits] == ["130****5678", "138****5678"]
    # an exact full phone outranks a tail of another's: 13812345678 is 夏明云's full number
    full = search(desk.ctx, "13812345678")
    assert full.hits[0].summary.case_no == xia and full.hits[0].exact
    assert full.hits[0].summary.phone_masked == "138****5678"
    # a name in full outranks the same characters inside a longer name
    save(desk, form(desk, person=PersonInput(name="李秀英华", id_type=DocumentType.NONE, address="甲地")))
    ranked = search(desk.ctx, "李秀英")
    assert ranked.hits[0].summary.case_no == li and ranked.hits[0].matched == "姓名"
    assert ranked.hits[1].matched == "姓名中的字" and not ranked.hits[1].exact


def test_results_are_paged(desk: Desk) -> None:
    for _ in range(7):
        save(desk, form(desk, person=PersonInput(name="赵秀兰", id_type=DocumentType.NONE, address="甲地")))
    first = search(desk.ctx, "秀兰", page_size=3)
    assert first.total == 7 and first.pages == 3 and len(first.hits) == 3 and first.has_next
    assert not first.has_previous and not first.capped
    last = search(desk.ctx, "秀兰", offset=6, page_size=3)
    assert last.page_no == 3 and len(last.hits) == 1 and not last.has_next and last.has_previous
    every = [h.summary.case_no for o in (0, 3, 6) for h in search(desk.ctx, "秀兰", offset=o, page_size=3).hits]
    assert len(set(every)) == 7
    assert every == sorted(every, reverse=True)  # the newest first (same rank)
    beyond = search(desk.ctx, "秀兰", offset=99, page_size=3)
    assert beyond.page_no == 3  # a page past the end shows the last one
    assert CASE_CAP >= 1000


def test_bad_text_is_refused_and_the_query_is_never_logged(desk: Desk, two: tuple[str, str, str],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(FieldError) as bad:
        search(desk.ctx, "李\x00")
    assert "控制字符" in bad.value.message
    caplog.set_level(logging.DEBUG)
    for text in ("3912", "13907393912", OTHER_ID, "秀英", two[1]):
        search(desk.ctx, text)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in ("3912", OTHER_ID[-4:], "秀英"):
        assert text not in logged


def test_indexes_follow_updates_deletes_and_a_rebuild(desk: Desk, two: tuple[str, str, str]) -> None:
    _xia, li, _code = two
    with desk.ctx.db.write() as s:
        p = s.scalar(select(Petitioner).where(Petitioner.name == "李秀英"))
        assert p is not None
        p.phone = "13600001111"
        p.name = "李淑英"
    assert _nos(desk, "3912") == [] and _nos(desk, "1111") == [li]
    assert _nos(desk, "秀英") == [] and _nos(desk, "淑英") == [li]
    with desk.ctx.db.read() as s:  # the old rows went: nothing stale is left behind
        pid = s.scalar(select(Petitioner.id).where(Petitioner.name == "李淑英"))
        assert s.scalar(select(func.count()).select_from(PetitionerGram).where(
            PetitionerGram.petitioner_id == pid, PetitionerGram.gram == "秀英")) == 0
        held = set(s.scalars(select(PetitionerToken.token).where(PetitionerToken.petitioner_id == pid)))
    assert held == tokens.secret_tokens(OTHER_ID, "13600001111", LI.address)
    # a rebuild (as after the upgrade) gives the same rows
    with desk.ctx.db.write() as s:
        before = sorted(s.execute(select(PetitionerToken.token, PetitionerToken.petitioner_id)).all())
        assert index.rebuild(s) == 2
        after = sorted(s.execute(select(PetitionerToken.token, PetitionerToken.petitioner_id)).all())
    assert before == after


def test_an_upgraded_database_gets_its_indexes_on_open(desk: Desk, two: tuple[str, str, str]) -> None:
    """As a desk upgraded to 0011_search finds it: tables empty, no ``search_index`` mark. The open fills them."""
    li = two[1]
    desk.ctx.close()
    conn = sqlite3.connect(desk.ctx.paths.database)
    conn.execute("DELETE FROM petitioner_token")
    conn.execute("DELETE FROM petitioner_gram")
    conn.execute("DELETE FROM setting WHERE key = 'search_index'")
    conn.commit()
    conn.close()
    ctx = open_data_dir(desk.ctx.paths.root, now=desk.clock)
    try:
        assert [c.case_no for c in search(ctx, "3912").rows] == [li]
        assert [c.case_no for c in search(ctx, "秀英").rows] == [li]
        with ctx.db.read() as s:
            assert s.get(Setting, index.SETTING_KEY) is not None
    finally:
        ctx.close()
    stats = sqlite3.connect(desk.ctx.paths.database)
    try:  # the planner's statistics were taken after the indexes were filled
        analysed = {r[0] for r in stats.execute("SELECT tbl FROM sqlite_stat1")}
    finally:
        stats.close()
    assert {"petitioner_token", "petitioner_gram", "petitioner"} <= analysed


def _file_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.glob("reception.sqlite3*")))


def test_no_partial_index_holds_an_id_number_or_phone_in_plaintext(desk: Desk, two: tuple[str, str, str]) -> None:
    conn = sqlite3.connect(desk.ctx.paths.database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    token_values = [str(r[0]) for r in conn.execute("SELECT token FROM petitioner_token")]
    grams = [r[0] for r in conn.execute("SELECT gram FROM petitioner_gram")]
    conn.close()
    assert {"petitioner_token", "petitioner_gram"} <= tables and len(token_values) >= 2 * 8
    raw = _file_bytes(desk.ctx.paths.root)
    secrets = []
    for value in (resident_id(), OTHER_ID, "13812345678", "13907393912"):
        secrets += [value[-n:] for n in range(4, len(value) + 1)]  # every suffix the index covers, and more
        secrets += [value[i:i + 4] for i in range(len(value) - 3)]  # every 4-gram
    for secret in secrets:
        assert all(secret not in g for g in grams), secret
        if len(secret) >= 6:  # (shorter digit runs occur by chance in any binary file)
            assert secret.encode("ascii") not in raw, secret
    # the tokens are not the digits either: no token equals a suffix read as a number
    assert not {s for s in secrets if s.isdigit()} & set(token_values)
    assert "李秀英".encode() in raw and "秀英" in grams  # names are in clear (the scan does find text)
    with sqlite3.connect(desk.ctx.paths.database) as c:  # case numbers are in clear, of course
        assert c.execute("SELECT count(*) FROM petition_case").fetchone()[0] == 2
    assert Case.__tablename__ == "petition_case"


# -- part of an address or community (keyed pairs of Chinese characters) ---------------------------------------------


def test_part_of_an_address_or_community_finds_the_case(desk: Desk, two: tuple[str, str, str]) -> None:
    xia, li, _code = two  # 夏明云 lives at 示范区翠园街道尚书茗苑3栋2单元501, 李秀英 at 示范区城南街道紫霞社区
    assert _nos(desk, "紫霞社区") == [li] and _nos(desk, "紫霞") == [li] and _nos(desk, "城南街道") == [li]
    assert _nos(desk, "尚书茗苑") == [xia] and _nos(desk, "尚书茗苑3栋") == [xia]  # a pair, then the building
    assert _nos(desk, "茗苑 3 栋") == [xia] and _nos(desk, "茗苑３栋") == [xia]  # (spaces, a full-width digit)
    assert _nos(desk, "3栋2单元") == [xia] and _nos(desk, "4栋2单元") == []  # the numbers narrow it too
    assert set(_nos(desk, "示范区")) == {xia, li}
    page = search(desk.ctx, "紫霞社区")
    assert page.hits[0].matched == "住址或社区" and not page.hits[0].exact and "住址或社区" in page.readings
    # every pair present but not in that order: the address itself is checked
    for text in ("社区紫霞", "尚书茗苑4栋", "城南紫霞", "某某社区"):
        assert _nos(desk, text) == [], text
    # a moved petitioner is found at the new address only
    with desk.ctx.db.write() as s:
        p = s.scalar(select(Petitioner).where(Petitioner.name == "李秀英"))
        assert p is not None
        p.address = "示范区河西街道桃源村5组12号"
    assert _nos(desk, "紫霞社区") == [] and _nos(desk, "桃源村") == [li]


def test_a_name_outranks_the_same_characters_in_an_address(desk: Desk) -> None:
    by_name = save(desk, form(desk, person=PersonInput(name="王紫霞", id_type=DocumentType.NONE, address="甲地")))
    by_address = save(desk, form(desk, person=LI))
    found = search(desk.ctx, "紫霞")
    assert [h.summary.case_no for h in found.hits] == [by_name.case_no, by_address.case_no]
    assert [h.matched for h in found.hits] == ["姓名中的字", "住址或社区"]


def test_an_address_pair_shared_by_everyone_is_capped_not_slow(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from reception.search import service

    monkeypatch.setattr(service, "ADDRESS_CAP", 3)
    for _ in range(5):
        save(desk, form(desk, person=PersonInput(name="赵六", id_type=DocumentType.NONE, address="示范区城南街道")))
    page = search(desk.ctx, "街道")
    assert page.capped and 1 <= page.total <= 3
    assert not search(desk.ctx, "赵六").capped


def test_the_address_index_holds_no_address_text(desk: Desk, two: tuple[str, str, str]) -> None:
    """The raw pages of ``petitioner_token`` (read from the file through ``dbstat``) hold no pair of the addresses
    in any encoding the file might use, its tokens are keyed (not a plain hash of a pair), and no address pair is a
    plain gram."""
    import hashlib

    conn = sqlite3.connect(desk.ctx.paths.database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'petitioner_token'")]
    types = {r[0] for r in conn.execute("SELECT DISTINCT typeof(token) FROM petitioner_token")}
    token_values = {r[0] for r in conn.execute("SELECT token FROM petitioner_token")}
    grams = {r[0] for r in conn.execute("SELECT gram FROM petitioner_gram")}
    conn.close()
    assert types == {"integer"} and pages
    data = desk.ctx.paths.database.read_bytes()
    raw = b"".join(data[(n - 1) * page_size:n * page_size] for n in pages)
    pairs = tokens.address_grams(LI.address) + tokens.address_grams(form(desk).person.address)
    assert len(pairs) >= 15 and "紫霞" in pairs
    for pair in pairs:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):  # (two ASCII characters occur by chance in ids)
            assert pair.isascii() or pair.encode(encoding) not in raw, pair
        assert pair not in grams or pair in {"明云", "秀英", "李秀", "夏明"}  # (only names' own pairs are plain)
        plain = int.from_bytes(hashlib.sha256(pair.encode()).digest()[:8], "big", signed=True)
        assert plain not in token_values
    assert {tokens.token(tokens.ADDRESS_PURPOSE, p) for p in pairs} <= token_values


# -- the intake history panel's search box -----------------------------------------------------------------------------


def test_history_search_reads_the_text_as_the_search_box_does(desk: Desk, two: tuple[str, str, str]) -> None:
    from reception.search.service import find_history_by_text

    xia, li, code = two

    def people(text: str) -> list[tuple[str, tuple[str, ...]]]:
        with desk.ctx.db.read() as s:
            page = find_history_by_text(s, text)
        return [(p.name, p.matched_by) for p in page.history.persons]

    assert people("3912") == [("李秀英", ("phone_suffix",))]
    assert people(OTHER_ID[-4:]) == [("李秀英", ("id_suffix",))]
    assert people("秀英") == [("李秀英", ("name_part",))]
    assert people("lxy") == [("李秀英", ("initials",))]
    assert people("紫霞社区") == [("李秀英", ("address",))]
    assert people(code) == [("李秀英", ("query_code",))]
    assert people(li) == [("李秀英", ("case_no",))] and people(xia) == [("夏明云", ("case_no",))]
    assert people(li.split("-", 1)[1]) == [("李秀英", ("case_part",))]
    assert people(f"XF:{li}:{code}") == [("李秀英", ("qr",))]
    assert people("13907393912") == [("李秀英", ("phone",))]
    for text in ("0000", "秀明", "ZZZZZZZZ", "", "   "):
        assert people(text) == [], text
    with desk.ctx.db.read() as s:
        page = find_history_by_text(s, "3912")
    person = page.history.persons[0]
    assert person.phone_masked == "139****3912" and person.id_masked.endswith(OTHER_ID[-4:])
    assert OTHER_ID not in person.id_masked and person.visit_count == 1
    assert [c.case_no for c in person.cases] == [li] and page.total == 1 and page.readings[0] == "电话尾号"


def test_history_search_ranks_the_people_and_caps_them(desk: Desk, two: tuple[str, str, str]) -> None:
    from reception.search.service import find_history_by_text

    # four more people whose phones end in 5678 (夏明云's does too): the most recent case first, a short page
    for n in range(4):
        save(desk, form(desk, person=PersonInput(name=f"钱{n}号", id_type=DocumentType.NONE, phone=f"1300{n:03d}5678",
                                                 address="甲地")))
    with desk.ctx.db.read() as s:
        assert find_history_by_text(s, "678").empty  # (3 digits: not a tail)
        page = find_history_by_text(s, "5678", limit=3)
        everyone = find_history_by_text(s, "5678")
        exact = find_history_by_text(s, "13812345678")
        one = find_history_by_text(s, "0025678")
    assert [p.name for p in page.history.persons] == ["钱3号", "钱2号", "钱1号"] and page.total == 5
    assert [p.name for p in everyone.history.persons] == ["钱3号", "钱2号", "钱1号", "钱0号", "夏明云"]
    assert exact.history.persons[0].name == "夏明云" and exact.history.persons[0].matched_by == ("phone",)
    assert [p.name for p in one.history.persons] == ["钱2号"] and one.total == 1


def test_history_search_is_for_the_centre_and_audited_without_the_text(desk: Desk, two: tuple[str, str, str],
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    from reception.db.models import AuditEntry
    from reception.search.service import search_history
    from reception.security.permissions import PermissionDenied

    caplog.set_level(logging.DEBUG)
    officer = desk.user("desk_officer")
    page = search_history(desk.ctx, "3912", user_id=officer, desk_id=desk.desk_id)
    assert [p.name for p in page.history.persons] == ["李秀英"]
    with desk.ctx.db.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "view_history")).all()
    assert [(e.entity_id, e.detail) for e in entries] == [(page.history.persons[0].petitioner_id, "phone_suffix")]
    assert "3912" not in "\n".join(r.getMessage() for r in caplog.records)
    with pytest.raises(PermissionDenied):
        search_history(desk.ctx, "3912", user_id=desk.user("unit_staff", unit="ZJJ"), desk_id=desk.desk_id)


def test_an_insert_failed_mid_flush_leaves_no_index_rows(desk: Desk) -> None:
    """The rows of a flush's new petitioners are written at the flush's end; a flush that fails after the insert
    (here a later listener) leaves none of them for the next flush of the session to write."""
    from sqlalchemy import event

    def fail(*_args: object) -> None:
        raise RuntimeError("a later step of the flush fails")

    event.listen(Petitioner, "after_insert", fail)
    with desk.ctx.db.write() as s:
        gone = Petitioner(name="钱多多", id_type=DocumentType.NONE.value, id_number=None, gender="unknown",
                          phone="13511112222", address="")
        try:
            with pytest.raises(RuntimeError), s.begin_nested():
                s.add(gone)
                s.flush()
        finally:
            event.remove(Petitioner, "after_insert", fail)
        kept = Petitioner(name="孙小美", id_type=DocumentType.NONE.value, id_number=None, gender="unknown",
                          phone="13533334444", address="")
        s.add(kept)
        s.flush()
        # in the flush's own transaction, before the commit: the new record is searchable
        assert s.scalar(select(func.count()).select_from(PetitionerToken)
                        .where(PetitionerToken.petitioner_id == kept.id)) == len(tokens.phone_tokens("13533334444"))
        gone_id, kept_id = gone.id, kept.id
    with desk.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PetitionerToken)
                        .where(PetitionerToken.petitioner_id == gone_id)) == 0
        assert s.scalar(select(func.count()).select_from(PetitionerGram)
                        .where(PetitionerGram.petitioner_id == gone_id)) == 0
        assert s.scalar(select(func.count()).select_from(PetitionerGram)
                        .where(PetitionerGram.petitioner_id == kept_id)) == len(tokens.name_grams("孙小美"))
    assert _nos(desk, "3333") == []  # (a petitioner without a case: the case search lists nothing)
