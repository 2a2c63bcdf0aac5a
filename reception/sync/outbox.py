"""The transactional outbox: every change to a synced table becomes an outbox row in the same transaction.

Filled by SQLAlchemy session events on the desk database's sessions, so the services (intake, lifecycle, leader,
roster...) need no change: whatever they flush through the ORM is captured, and it commits or rolls back with them.
Bulk DML on a pushed table would bypass the ORM's unit of work, so it is refused while the desk is enrolled.

Each outbox row carries the record's version the change was made against (``base_version``): the server refuses a
change made against an old version and stores a conflict instead of overwriting. ``sync_row`` keeps the version
this desk expects; a local change bumps it optimistically so a chain of offline edits stays consecutive.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, event, insert, select, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from reception.db.base import utcnow
from reception.db.engine import Database
from reception.db.models import SyncOutbox, SyncPeer, SyncRow
from reception.sync.codec import codec_for, table_of
from reception.sync.registry import pushable, table_order

INFO_KEY = "reception.sync"
TX_KEY = "reception.sync.tx"
"""Records already queued by this transaction: a later flush in the same transaction updates their outbox row
(one mutation per record and transaction, so an intake that inserts then routes a case sends it once)."""
APPLYING_KEY = "reception.sync.applying"
"""Set on a session's ``info`` while pulled rows are applied: those changes come from the server, not this desk."""


@dataclass
class OutboxState:
    enabled: bool = False
    """True once the desk is enrolled; before that nothing is captured (enrolment uploads what exists)."""


def attach_outbox(db: Database) -> OutboxState:
    """Listen to the flushes of ``db``'s sessions. Idempotent; returns the shared state (enabled when enrolled)."""
    makers = db.sessionmakers()
    existing = makers[0].kw.get("info", {}).get(INFO_KEY)
    if isinstance(existing, OutboxState):
        return existing
    state = OutboxState()
    for maker in makers:
        info = dict(maker.kw.get("info") or {})
        info[INFO_KEY] = state
        maker.configure(info=info)
        event.listen(maker, "after_flush", _after_flush)
        event.listen(maker, "do_orm_execute", _guard_bulk)
        event.listen(maker, "after_commit", _forget_tx)
        event.listen(maker, "after_rollback", _forget_tx)
    with db.read() as session:
        state.enabled = session.get(SyncPeer, 1) is not None
    return state


def outbox_state(db: Database) -> OutboxState:
    return attach_outbox(db)


def _active(session: Session) -> bool:
    state = session.info.get(INFO_KEY)
    return isinstance(state, OutboxState) and state.enabled and not session.info.get(APPLYING_KEY)


def _guard_bulk(orm_execute_state: ORMExecuteState) -> None:
    if not (orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    if not _active(orm_execute_state.session):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is not None and pushable(str(name)):
        raise RuntimeError(f"bulk {name} statements bypass the sync outbox: change {name} rows through the ORM")


def _forget_tx(session: Session) -> None:
    session.info.pop(TX_KEY, None)


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    if not _active(session):
        return
    changes: list[tuple[int, str, Any]] = []  # (sort key, op, object)
    order = table_order()
    for obj in session.new:
        table = table_of(obj)
        if pushable(table):
            changes.append((order.get(table, 0), "upsert", obj))
    for obj in session.dirty:
        table = table_of(obj)
        if pushable(table) and session.is_modified(obj, include_collections=False):
            changes.append((order.get(table, 0), "upsert", obj))
    for obj in session.deleted:
        table = table_of(obj)
        if pushable(table):
            changes.append((100_000 - order.get(table, 0), "delete", obj))
    if changes:
        changes.sort(key=lambda c: c[0])
        enqueue(session, [(op, obj) for _key, op, obj in changes])


def enqueue(session: Session, changes: list[tuple[str, Any]], *, ensure: bool = False) -> int:
    """Write outbox rows for ``changes`` ((op, ORM object) in the order to apply) on the session's connection."""
    conn = session.connection()
    keyed: list[tuple[str, str, str, dict[str, Any]]] = []
    for op, obj in changes:
        table = table_of(obj)
        codec = codec_for(table)
        assert codec is not None
        keyed.append((op, table, codec.record_id(obj), codec.encode(obj)))
    if not keyed:
        return 0
    pairs = list({(t, r) for _op, t, r, _d in keyed})
    versions: dict[tuple[str, str], int] = {}
    for start in range(0, len(pairs), 400):
        chunk = pairs[start:start + 400]
        for t, r, v in conn.execute(select(SyncRow.table_name, SyncRow.record_id, SyncRow.version)
                                    .where(tuple_(SyncRow.table_name, SyncRow.record_id).in_(chunk))):
            versions[(t, r)] = v
    now = utcnow()
    outbox: list[dict[str, Any]] = []
    bumped: dict[tuple[str, str], int] = {}
    tx: dict[tuple[str, str], str] = session.info.setdefault(TX_KEY, {})
    out_table = cast(Table, SyncOutbox.__table__)
    for op, table, record_id, data in keyed:
        base = versions.get((table, record_id), 0)
        queued = None if ensure else tx.get((table, record_id))
        if queued is not None:
            done = conn.execute(update(out_table).where(out_table.c.mutation_id == queued,
                                                        out_table.c.state == "pending")
                                .values(op=op, data=data))
            if done.rowcount:
                continue
        if ensure:
            wire_op, base_version = "ensure", 0
        else:
            wire_op, base_version = op, base
            versions[(table, record_id)] = base + 1
            bumped[(table, record_id)] = base + 1
        mutation_id = str(uuid.uuid4())
        if not ensure:
            tx[(table, record_id)] = mutation_id
        outbox.append({"mutation_id": mutation_id, "table_name": table, "record_id": record_id,
                       "op": wire_op, "base_version": base_version, "data": data, "created_at": now,
                       "state": "pending", "attempts": 0, "error": ""})
    if outbox:
        conn.execute(insert(out_table), outbox)
    if bumped:
        stmt = sqlite_insert(cast(Table, SyncRow.__table__))
        conn.execute(stmt.on_conflict_do_update(index_elements=["table_name", "record_id"],
                                                set_={"version": stmt.excluded.version}),
                     [{"table_name": t, "record_id": r, "version": v} for (t, r), v in bumped.items()])
    return len(outbox)
