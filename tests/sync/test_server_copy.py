"""The server's bulk write path (COPY on PostgreSQL, executemany elsewhere) keeps every value exactly: text with
backslashes, tabs, line breaks and COPY's own markers, nulls, Chinese and emoji; a batch delivered again gets the
same answers from the store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import String

from reception.server import service
from reception.server.db import open_server_database
from reception.server.models import Client
from reception.sync.protocol import Mutation

NASTY = ["反斜杠\\在中间", "tab\there", "line\nbreak", "cr\rx", '引号"和\\"转义', "\\N", "\\.", "末尾\\",
         "表情🙂", "\u2028分隔", "", "普通文字"]


def _event(i: int) -> Mutation:
    event_id = str(uuid.uuid4())
    note = NASTY[i % len(NASTY)]
    data = {"id": event_id, "case_id": str(uuid.uuid4()), "kind": "note", "occurred_at": "2026-11-20T01:02:03+00:00",
            "occurred_on": "2026-11-20", "actor_id": None, "unit_id": None, "note": note,
            "data": {"text": note, "n": i, "nested": [note, None, True]}}
    return Mutation(mutation_id=str(uuid.uuid4()), table="case_event", record_id=event_id, op="upsert",
                    base_version=0, data=data, desk_time=datetime(2026, 11, 20, 1, 2, 3, tzinfo=UTC))


def test_a_large_batch_keeps_every_value_and_answers_again_the_same(server_db_url: str) -> None:
    db = open_server_database(server_db_url)
    try:
        client = Client(id=str(uuid.uuid4()), kind="desk", name="测试工位")
        start = service.high_seq(db)
        batch = [_event(i) for i in range(60)]  # (more than 20 rows: PostgreSQL takes the COPY path)
        answers = service.push(db, client, batch)
        assert [a["status"] for a in answers] == ["applied"] * len(batch)
        pulled = service.pull(db, start, 1000)
        assert not pulled.more and len(pulled.records) == len(batch)
        stored = {r.record_id: r for r in pulled.records}
        for m in batch:
            rec = stored[m.record_id]
            assert rec.data == m.data and rec.version == 1 and rec.origin == client.id and not rec.deleted
        assert service.push(db, client, batch) == answers  # the stored answers, nothing applied twice
        assert service.high_seq(db) == start + len(batch)
    finally:
        db.dispose()


def test_a_new_record_is_stored_as_the_canonical_json_its_digest_hashed(server_db_url: str) -> None:
    """On PostgreSQL (the COPY path) a pushed record's data is encoded once: the text stored is the canonical JSON
    (keys sorted) that the mutation's digest covers, and the stored digest is the one every release computes."""
    import json

    from sqlalchemy import select

    from reception.server.models import AppliedMutation, Record
    from reception.sync.proof import content_digest

    db = open_server_database(server_db_url)
    try:
        if db.dialect != "postgresql":
            pytest.skip("elsewhere executemany stores the JSON column's own encoding")
        client = Client(id=str(uuid.uuid4()), kind="desk", name="测试工位")
        batch = [_event(i) for i in range(30)]
        assert all(a["status"] == "applied" for a in service.push(db, client, batch))
        with db.read() as s:
            text_of = dict(s.execute(select(Record.record_id, Record.data.cast(String)).where(
                Record.record_id.in_([m.record_id for m in batch]))).all())
            digest_of = dict(s.execute(select(AppliedMutation.mutation_id, AppliedMutation.digest).where(
                AppliedMutation.mutation_id.in_([m.mutation_id for m in batch]))).all())
        for m in batch:
            assert text_of[m.record_id] == json.dumps(m.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert json.loads(text_of[m.record_id]) == m.data
            assert digest_of[m.mutation_id] == content_digest(m.table, m.record_id, m.op, m.base_version, m.data)
    finally:
        db.dispose()
