"""The pull's answer built from the stored JSON text (``service.pull_json``) is the ``PullReply`` that ``pull`` gives:
sealed personal fields opened, plain and odd-looking ones left as they are, tombstones without data, record ids
and values with quotes, backslashes, line breaks, Chinese and emoji, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from reception.server import service
from reception.server.db import ServerDatabase, open_server_database
from reception.server.models import Counter, Record
from reception.server.protect import PREFIX
from reception.sync.protocol import PullReply

NASTY = ["反斜杠\\在中间", "tab\there", "line\nbreak", '引号"和\\"转义', "表情🙂", "\u2028分隔", "", "\x01控制"]


def _store(db: ServerDatabase, records: list[tuple[str, str, dict[str, Any] | None, bool]]) -> None:
    """Records (table, id, data, deleted) with the next sequence numbers; personal fields sealed as a push
    stores them."""
    with db.session() as s:
        counter = s.get(Counter, "seq")
        assert counter is not None
        for table, record_id, data, deleted in records:
            counter.value += 1
            s.add(Record(table_name=table, record_id=record_id, version=counter.value % 5 + 1, seq=counter.value,
                         deleted=deleted, data=db.sealer.seal(table, data), origin=f"desk-{counter.value % 3}"))


def _petitioner(i: int, id_number: str | None, phone: str | None) -> dict[str, Any]:
    return {"id": f"p-{i}", "name": NASTY[i % len(NASTY)] + "张三", "id_type": "resident_id",
            "id_number": id_number, "phone": phone, "address": NASTY[(i + 1) % len(NASTY)], "merged_into": None}


def test_the_answer_from_stored_text_is_the_pull_reply(server_db_url: str) -> None:
    db = open_server_database(server_db_url)
    try:
        start = service.high_seq(db)
        records: list[tuple[str, str, dict[str, Any] | None, bool]] = [
            ("petitioner", "p-0", _petitioner(0, "110101199003071234", "13800138000"), False),
            ("petitioner", "p-1", _petitioner(1, None, ""), False),  # nothing to seal
            ("petitioner", "p-2", _petitioner(2, "11010119900307123X", None), False),
            ("petitioner", "p-3", None, True),  # a tombstone
        ]
        for i, text in enumerate(NASTY):
            records.append(("case_event", f'ev-{i}-"\\{text}', {
                "id": f"ev-{i}", "note": text, "kind": "note", "data": {"text": text, "n": i, "x": [1.5, None, True]},
                "unit_id": f"{PREFIX}not sealed here"}, False))  # (a table without personal fields: as stored)
        _store(db, records)
        with db.session() as s:  # a value that merely looks sealed (an older desk's): handed on as it is
            s.add(Record(table_name="petitioner", record_id="p-9", version=1, seq=_next(s), deleted=False,
                         data=_petitioner(9, f"{PREFIX}AAAA", "1"), origin="desk-1"))
        for after, limit, skip in ((start, 1000, ""), (start, 3, ""), (start + 5, 4, ""), (start, 1000, "desk-1"),
                                   (start + 2, 2, "desk-2")):
            expected = service.pull(db, after, limit, skip_origin=skip)
            got = PullReply.model_validate_json(service.pull_json(db, after, limit, skip_origin=skip))
            assert got == expected and got.records
        answer = service.pull(db, start, 1000)
        people = {r.record_id: r.data for r in answer.records if r.table == "petitioner"}
        assert people["p-0"] is not None and people["p-0"]["id_number"] == "110101199003071234"
        assert people["p-0"]["phone"] == "13800138000"
        assert people["p-3"] is None and people["p-9"] is not None and people["p-9"]["id_number"] == f"{PREFIX}AAAA"
        assert [r.seq for r in answer.records] == list(range(start + 1, start + len(records) + 2))
    finally:
        db.dispose()


def _next(s: Any) -> int:
    counter = s.get(Counter, "seq")
    assert counter is not None
    counter.value += 1
    return int(counter.value)
