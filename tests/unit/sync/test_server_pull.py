"""The server's pull: the asking desk's own changes are left out, the cursor still moves past them, and a page
never ends past a change it did not send."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from reception.server import service
from reception.server.db import ServerDatabase, open_server_database
from reception.server.models import Counter, Record


def _server(tmp_path: Path) -> ServerDatabase:
    return open_server_database(f"sqlite:///{(tmp_path / 'server.db').as_posix()}", tmp_path)


def _add(db: ServerDatabase, origins: list[str]) -> None:
    """Records with the next sequence numbers, one per origin given (data is not looked at by pull)."""
    with db.session() as s:
        counter = s.get(Counter, "seq")
        assert counter is not None
        for origin in origins:
            counter.value += 1
            s.add(Record(table_name="case_event", record_id=f"ev-{counter.value}", version=1, seq=counter.value,
                         deleted=False, data={"id": f"ev-{counter.value}"}, origin=origin))


def _pull_all(db: ServerDatabase, after: int, limit: int, skip: str) -> tuple[list[str], int, int]:
    seen: list[str] = []
    calls = 0
    while True:
        reply = service.pull(db, after, limit, skip_origin=skip)
        calls += 1
        assert reply.cursor >= after
        seen += [r.origin for r in reply.records]
        after = reply.cursor
        if not reply.more:
            return seen, after, calls


def test_own_changes_are_skipped_and_the_cursor_reaches_the_newest(tmp_path: Path) -> None:
    db = _server(tmp_path)
    try:
        start = service.high_seq(db)
        pattern = ["a", "a", "b", "a", "b", "b", "a", "a", "a", "b", "a"]
        _add(db, pattern)
        seen, cursor, _calls = _pull_all(db, start, 2, "a")
        assert seen == ["b"] * pattern.count("b")
        assert cursor == service.high_seq(db)
        # only own changes after the cursor: nothing sent, the cursor still moves to the end
        _add(db, ["a", "a", "a"])
        reply = service.pull(db, cursor, 2, skip_origin="a")
        assert reply.records == [] and not reply.more and reply.cursor == service.high_seq(db)
        # without skipping, every change comes, in sequence order
        everything, cursor2, _ = _pull_all(db, start, 3, "")
        assert everything == pattern + ["a", "a", "a"] and cursor2 == service.high_seq(db)
    finally:
        db.dispose()


def test_a_full_page_ends_at_its_last_record_not_at_the_newest(tmp_path: Path) -> None:
    db = _server(tmp_path)
    try:
        start = service.high_seq(db)
        _add(db, ["b", "a", "b", "b", "a", "b"])
        reply = service.pull(db, start, 2, skip_origin="a")
        assert reply.more and [r.seq for r in reply.records] == [start + 1, start + 3]
        assert reply.cursor == start + 3  # not past the third and fourth "b" changes
        # a record changed again gets a new number: it is sent once more, at its new place
        with db.session() as s:
            counter = s.get(Counter, "seq")
            assert counter is not None
            counter.value += 1
            s.execute(update(Record).where(Record.record_id == f"ev-{start + 1}").values(seq=counter.value,
                                                                                       version=2))
        later = service.pull(db, reply.cursor, 10, skip_origin="a")
        assert [r.record_id for r in later.records] == [f"ev-{start + 4}", f"ev-{start + 6}", f"ev-{start + 1}"]
        assert later.cursor == service.high_seq(db) and not later.more
    finally:
        db.dispose()
