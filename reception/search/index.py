"""Keeping the search indexes (``petitioner_token``, ``petitioner_gram``) in step with the petitioners.

- Every ORM write of a petitioner (intake, a correction, a record a sync pull applies) updates them in the same
  transaction, by mapper events: the rows of the old values are deleted (from the attribute history), those of the
  new ones inserted (a new petitioner's rows at the end of its flush, one statement per table for all the flush's
  new petitioners). A sync pull's new petitioners go in by a bulk insert instead, which adds their rows with
  ``insert_new`` in the same transaction: the stand-in declared for ``_on_insert`` (``reception.db.insert_hooks``).
- ``rebuild`` fills them for every existing petitioner: run once by ``ensure_built`` when a data directory is opened
  after the upgrade that created the tables (migrations cannot know the data key, so they cannot compute the keyed
  tokens: ``reception.security.atrest``), and by ``reception search rebuild``-style callers after writes made
  around the ORM. It decrypts each ID and phone once; a million visits (~350,000 petitioners) take a few tens of
  seconds, in chunks.
- Stale rows can only add candidates, never lose or invent a result: the search checks every candidate against the
  decrypted value or the name itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Table, delete, event, insert, text, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, object_session
from sqlalchemy.orm.attributes import get_history

from reception.db import insert_hooks
from reception.db.models import Petitioner, PetitionerGram, PetitionerToken, Setting
from reception.search import INDEX_SETTING, tokens
from reception.search import INDEX_VERSION as INDEX_VERSION  # (defined there: bump it there)
from reception.security.crypto import decrypt

log = logging.getLogger(__name__)

SETTING_KEY = INDEX_SETTING
CHUNK = 5000

_TOKEN: Table = PetitionerToken.__table__  # type: ignore[assignment]
_GRAM: Table = PetitionerGram.__table__  # type: ignore[assignment]


_INSERT_TOKEN = insert(_TOKEN).prefix_with("OR IGNORE")
_INSERT_GRAM = insert(_GRAM).prefix_with("OR IGNORE")
PENDING_KEY = "search_index_pending"
"""``session.info`` key: the rows of the petitioners inserted by the flush under way, per connection, written at
its end (``_write_pending``) in one statement per table instead of two per petitioner."""


def _insert(conn: Connection, tok: list[tuple[int, str]], grams: list[tuple[str, str]]) -> None:
    if tok:
        conn.execute(_INSERT_TOKEN, [{"token": t, "petitioner_id": p} for t, p in tok])
    if grams:
        conn.execute(_INSERT_GRAM, [{"gram": g, "petitioner_id": p} for g, p in grams])


def _delete(conn: Connection, tok: Iterable[tuple[int, str]], grams: Iterable[tuple[str, str]]) -> None:
    tok, grams = list(tok), list(grams)
    if tok:
        conn.execute(delete(_TOKEN).where(tuple_(_TOKEN.c.token, _TOKEN.c.petitioner_id).in_(tok)))
    if grams:
        conn.execute(delete(_GRAM).where(tuple_(_GRAM.c.gram, _GRAM.c.petitioner_id).in_(grams)))


def _old(target: Petitioner, attr: str) -> str | None:
    hist = get_history(target, attr)
    if hist.deleted:
        value = hist.deleted[0]
        return str(value) if value is not None else None
    return getattr(target, attr)  # type: ignore[no-any-return]


@event.listens_for(Petitioner, "after_insert")
def _on_insert(_mapper: Mapper[Petitioner], conn: Connection, target: Petitioner) -> None:
    tok, grams = tokens.rows(target.id, target.name, target.id_number, target.phone, target.address)
    session = object_session(target)
    if session is None:  # (an ORM insert always has its session; kept for safety)
        _insert(conn, tok, grams)
        return
    pending: dict[Connection, tuple[list[tuple[int, str]], list[tuple[str, str]]]]
    pending = session.info.setdefault(PENDING_KEY, {})
    held_tok, held_grams = pending.setdefault(conn, ([], []))
    held_tok.extend(tok)
    held_grams.extend(grams)


@event.listens_for(Session, "before_flush")
def _forget_pending(session: Session, _context: Any, _instances: Any) -> None:
    """A flush that failed left rows of inserts its rollback undid: never write them."""
    session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_flush")
def _write_pending(session: Session, _context: Any) -> None:
    """The rows of the petitioners this flush inserted, in the flush's transaction (before anything can read)."""
    pending = session.info.pop(PENDING_KEY, None)
    for conn, (tok, grams) in (pending or {}).items():
        _insert(conn, tok, grams)


def insert_new(conn: Connection, people: Iterable[tuple[str, str, str | None, str | None, str | None]]) -> None:
    """The index rows of petitioners inserted around the ORM (id, name, ID number, phone, address in plaintext),
    one statement per index for all of them: what ``_on_insert`` does for each ORM insert (the sync pull's bulk
    insert of new petitioners)."""
    tok, grams = tokens.all_rows(people)
    tok.sort()
    grams.sort()
    # the driver's own executemany (as ``rebuild``): these tables are no screen's (``changes.TABLE_CHANGES``)
    if tok:
        conn.exec_driver_sql("INSERT OR IGNORE INTO petitioner_token (token, petitioner_id) VALUES (?, ?)", tok)
    if grams:
        conn.exec_driver_sql("INSERT OR IGNORE INTO petitioner_gram (gram, petitioner_id) VALUES (?, ?)", grams)


def _insert_new_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """``_on_insert`` for new petitioner rows (column name -> plaintext value) inserted around the unit of work."""
    insert_new(conn, [(str(r["id"]), r.get("name") or "", r.get("id_number"), r.get("phone"), r.get("address"))
                      for r in rows])


insert_hooks.register(Petitioner, "after_insert", _on_insert, _insert_new_rows)


@event.listens_for(Petitioner, "after_update")
def _on_update(_mapper: Mapper[Petitioner], conn: Connection, target: Petitioner) -> None:
    changed = [a for a in ("name", "id_number", "phone", "address") if get_history(target, a).has_changes()]
    if not changed:
        return
    old_tok, old_grams = tokens.rows(target.id, _old(target, "name") or "", _old(target, "id_number"),
                                     _old(target, "phone"), _old(target, "address"))
    new_tok, new_grams = tokens.rows(target.id, target.name, target.id_number, target.phone, target.address)
    _delete(conn, set(old_tok) - set(new_tok), set(old_grams) - set(new_grams))
    _insert(conn, new_tok, new_grams)


@event.listens_for(Petitioner, "after_delete")
def _on_delete(_mapper: Mapper[Petitioner], conn: Connection, target: Petitioner) -> None:
    _delete(conn, *tokens.rows(target.id, target.name, target.id_number, target.phone, target.address))


def refresh(session: Session, petitioner_ids: Iterable[str]) -> None:
    """Recompute the rows of some petitioners written around the ORM (``atrest.encrypt_plaintext_rows``)."""
    ids = list(petitioner_ids)
    conn = session.connection()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(delete(_TOKEN).where(_TOKEN.c.petitioner_id.in_(chunk)))
        conn.execute(delete(_GRAM).where(_GRAM.c.petitioner_id.in_(chunk)))
        people = conn.execute(text("SELECT id, name, id_number, phone, address FROM petitioner WHERE id IN "
                                   f"({', '.join(f':p{i}' for i in range(len(chunk)))})"),
                              {f"p{i}": pid for i, pid in enumerate(chunk)}).all()
        _insert(conn, *tokens.all_rows(_plain(people)))


def _plain(rows: Iterable[tuple[str, str, str | None, str | None, str | None]]
           ) -> Iterable[tuple[str, str, str | None, str | None, str | None]]:
    for pid, name, id_number, phone, address in rows:
        yield (pid, name or "", decrypt(id_number, "petitioner.id_number") if id_number else None,
               decrypt(phone, "petitioner.phone") if phone else None, address)


def rebuild(session: Session, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty and refill both indexes from every petitioner, then take the planner's statistics of them (the
    history and search queries choose between these indexes and ``petitioner.name``). Returns petitioners done.
    ``progress`` hears (done, total) after each chunk."""
    conn = session.connection()
    total = int(conn.execute(text("SELECT count(*) FROM petitioner")).scalar() or 0) if progress else 0
    conn.execute(delete(_TOKEN))
    conn.execute(delete(_GRAM))
    raw = conn.connection.driver_connection
    assert raw is not None
    done = 0
    last = ""
    while True:
        people = conn.execute(text("SELECT id, name, id_number, phone, address FROM petitioner WHERE id > :last "
                                   "ORDER BY id LIMIT :n"), {"last": last, "n": CHUNK}).all()
        if not people:
            break
        last = people[-1][0]
        tok, grams = tokens.all_rows(_plain(people))
        # the driver's own executemany: a million rows in seconds (the ORM's insert builds a dict per row)
        raw.executemany("INSERT OR IGNORE INTO petitioner_token (token, petitioner_id) VALUES (?, ?)", tok)
        raw.executemany("INSERT OR IGNORE INTO petitioner_gram (gram, petitioner_id) VALUES (?, ?)", grams)
        done += len(people)
        if progress is not None:
            progress(done, max(total, done))
    conn.execute(text("ANALYZE petitioner_token"))
    conn.execute(text("ANALYZE petitioner_gram"))
    return done


def needs_build(session: Session) -> bool:
    row = session.get(Setting, SETTING_KEY)
    return row is None or row.value.get("version") != INDEX_VERSION


def ensure_built(session: Session, progress: Callable[[int, int], None] | None = None) -> None:
    """Build the indexes once per ``INDEX_VERSION`` (inside the caller's write transaction)."""
    if not needs_build(session):
        return
    count = rebuild(session, progress)
    if count:
        log.info("search index: %d petitioners indexed", count)
    session.merge(Setting(key=SETTING_KEY, value={"version": INDEX_VERSION}))
