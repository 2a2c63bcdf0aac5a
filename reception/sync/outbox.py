"""The transactional outbox: every change to a synced table becomes an outbox row in the same transaction.

Filled by SQLAlchemy session events on the desk database's sessions, so the services (intake, lifecycle, leader,
roster...) need no change: whatever they flush through the ORM is captured, and it commits or rolls back with them.
Bulk DML on a pushed table would bypass the ORM's unit of work, so it is refused while the desk is enrolled; the
one sanctioned way around the unit of work is ``insert_captured`` (new records of a bulk loader, the ledger import),
which inserts them with one Core statement per table and gives the outbox what the flush events would have.

Each outbox row carries the record's version the change was made against (``base_version``): the server refuses a
change made against an old version and stores a conflict instead of overwriting. ``sync_row`` keeps the version
this desk expects; a local change bumps it optimistically so a chain of offline edits stays consecutive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, event, insert, inspect, select, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from reception.db import insert_hooks
from reception.db.base import new_id, utcnow
from reception.db.bulk import execute_many, execute_tuples
from reception.db.database import Database
from reception.db.models import SyncConflict, SyncOutbox, SyncPeer, SyncRow, encrypted_columns
from reception.sync.codec import codec_for, table_of
from reception.sync.proof import NEXT_KEYS, SIGNERS_KEY
from reception.sync.registry import ADMIN_TABLES, LOCAL_COLUMNS, pushable, table_order

if TYPE_CHECKING:
    from reception.sync.proof import Signer

INFO_KEY = "reception.sync"
PENDING_KEY = "reception.sync.pending"
"""The records changed by the session's current transaction, gathered flush by flush and written to the outbox
just before it commits: one mutation per record and transaction (an intake that inserts a case, then routes it,
sends it once), with the record as it is when the transaction commits."""
APPLYING_KEY = "reception.sync.applying"
"""Set on a session's ``info`` while pulled rows are applied: those changes come from the server, not this desk."""
CAPTURED_OPTION = "reception.sync.captured"
"""Execution option of ``insert_captured``'s statements: their rows reach the outbox without the flush events."""


@dataclass
class OutboxState:
    enabled: bool = False
    """True once the desk is enrolled; before that nothing is captured (enrolment uploads what exists)."""
    signer: Signer | None = None
    """The signed-in administrator's key (``reception.sync.proof``), held in memory while they are signed in:
    changes to accounts and the centre's reference data are signed with it when they are written."""


def set_signer(db: Database, signer: Signer | None) -> None:
    """Hold (or forget, with None) the key that signs administrators' changes on this desk."""
    attach_outbox(db).signer = signer


def capturing(session: Session) -> bool:
    """Whether this session's changes go to the outbox (the desk is enrolled and this is not a pull)."""
    return _active(session)


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
        event.listen(maker, "before_commit", _before_commit)
        event.listen(maker, "after_transaction_end", _after_transaction_end)
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
    if not _active(orm_execute_state.session) or orm_execute_state.execution_options.get(CAPTURED_OPTION):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is not None and pushable(str(name)):
        raise RuntimeError(f"bulk {name} statements bypass the sync outbox: change {name} rows through the ORM")


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(SIGNERS_KEY, None)
        session.info.pop(NEXT_KEYS, None)


def _shipped_change(obj: Any, table: str) -> bool:
    """Whether a changed record changed a column that travels (not only its ``LOCAL_COLUMNS``)."""
    local = LOCAL_COLUMNS.get(table)
    if not local:
        return True
    state = inspect(obj)
    return any(state.attrs[attr.key].history.has_changes()
               for attr in state.mapper.column_attrs if attr.columns[0].name not in local)


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    if not _active(session):
        return
    order = table_order()
    items: list[tuple[int, str, Any]] = []
    for obj in session.new:
        table = table_of(obj)
        if pushable(table):
            items.append((order.get(table, 0), "upsert", obj))
    for obj in session.dirty:
        table = table_of(obj)
        if pushable(table) and session.is_modified(obj, include_collections=False) and _shipped_change(obj, table):
            items.append((order.get(table, 0), "upsert", obj))
    for obj in session.deleted:
        table = table_of(obj)
        if pushable(table):
            items.append((100_000 - order.get(table, 0), "delete", obj))
    if not items:
        return
    items.sort(key=lambda c: c[0])
    pending: dict[tuple[str, str], tuple[str, Any]] = session.info.setdefault(PENDING_KEY, {})
    for _key, op, obj in items:
        table = table_of(obj)
        codec = codec_for(table)
        assert codec is not None
        pending[(table, codec.record_id(obj))] = (op, obj)  # a record keeps its first place in the order


def _before_commit(session: Session) -> None:
    if not _active(session):
        return
    session.flush()  # the transaction's last changes are gathered by _after_flush first
    pending: dict[tuple[str, str], tuple[str, Any]] | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    changes: list[tuple[str, Any]] = []
    for op, obj in pending.values():
        if isinstance(obj, _Inserted):  # (``insert_captured``: its rows are in, whatever the ORM's states say)
            changes.append((op, obj))
            continue
        state = inspect(obj)
        if op == "delete":
            if state.deleted:
                changes.append((op, obj))
        elif state.persistent:  # (an insert undone by a rolled-back savepoint is transient again: nothing to send)
            changes.append((op, obj))
    enqueue(session, changes)


@dataclass(frozen=True, slots=True)
class _Inserted:
    """A record ``insert_captured`` inserted, encoded by its table's codec as it was inserted."""

    table: str
    record_id: str
    data: dict[str, Any]


def insert_captured(session: Session, objects: Sequence[Any]) -> None:
    """Insert new records of one mapped class around the unit of work, in one Core statement (executemany), and
    give the sync outbox exactly what ``_after_flush`` would: each record of a pushed table joins the transaction's
    pending changes, in the order given, encoded by the same codec (``enqueue`` then writes its outbox row, its
    ``base_version`` and its ``sync_row`` at commit, with the ORM's captured changes). For bulk loaders only (the
    ledger import): a transient object whose columns are all set, or left None for their Python-side defaults
    (filled here as the ORM fills them; there are no server-side defaults on these tables).

    The mapper's insert events do not run; their registered stand-ins do (``db.insert_hooks``: a petitioner's blind
    indexes before the insert, its search index rows after), and a class with an insert listener nobody stands in
    for is refused, so a listener added later is never skipped silently. Audit entries must be sealed first
    (``security.audit.seal``: its sealing is not an insert event). The objects
    stay transient (not in the session): one changed later in the transaction must be made persistent first
    (``make_transient_to_detached`` and ``Session.add``), its change then flushes as an ordinary update. Not for
    use inside a savepoint that may roll back (its records would stay pending)."""
    if not objects:
        return
    model = type(objects[0])
    mapper = inspect(model)
    hooks = insert_hooks.stand_ins(model)
    if hooks is None:
        raise RuntimeError(f"{model.__name__} has an insert event nothing stands in for (reception.db.insert_hooks)")
    table = cast(Table, mapper.local_table)
    attrs = [(attr.key, attr.columns[0]) for attr in mapper.column_attrs]
    defaults: list[tuple[str, Any]] = []
    for key, column in attrs:
        default = column.default
        if column.server_default is not None or (default is not None and not (default.is_scalar
                                                                               or default.is_callable)):
            raise RuntimeError(f"{table.name}.{column.name}: a default insert_captured cannot compute")
        if default is not None:
            defaults.append((key, default))
    # (where every attribute is named as its column, each object's dict serves as its row: the columns it lacks
    # are set to None, which is what an unset attribute reads and what the insert stores)
    same_names = all(key == column.key for key, column in attrs)
    column_keys = [column.key for _key, column in attrs]
    rows: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for obj in objects:
        if type(obj) is not model or obj._sa_instance_state.key is not None:
            raise TypeError("insert_captured takes new records of one class")
        loaded = obj.__dict__  # (a transient object's attribute values: read without the instrumentation's cost)
        for key, default in defaults:
            if loaded.get(key) is None:
                # what the ORM's insert gives the attribute; the object is not flushed, so no history is wanted
                loaded[key] = default.arg if default.is_scalar else default.arg(None)
        values.append(loaded)
        if same_names:
            for key in column_keys:
                if key not in loaded:
                    loaded[key] = None
        else:
            rows.append({column.key: loaded.get(key) for key, column in attrs})
    if same_names:
        rows = values
    conn = session.connection()
    if hooks["before_insert"]:
        for hook in hooks["before_insert"]:
            hook(conn, rows)
        if not same_names:
            for loaded, row in zip(values, rows, strict=True):  # (what they filled in, the objects hold too)
                for key, column in attrs:
                    loaded[key] = row[column.key]
    execute_many(conn, insert(table).execution_options(**{CAPTURED_OPTION: True}), rows, column_keys)
    for hook in hooks["after_insert"]:
        hook(conn, rows)
    name = str(table.name)
    if not (_active(session) and pushable(name)):
        return
    codec = codec_for(name)
    assert codec is not None
    pending: dict[tuple[str, str], tuple[str, Any]] = session.info.setdefault(PENDING_KEY, {})
    for loaded in values:
        record_id = codec.record_id_of_values(loaded)
        pending[(name, record_id)] = ("upsert", _Inserted(name, record_id, codec.encode_values(loaded)))


def seal_personal(table: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of a wire record with its personal fields encrypted as the table stores them (same key, same
    associated data ``<table>.<column>``): the outbox (and a stored conflict) never holds them in clear, while a
    desk is offline nor in the free pages of the file after upload. Opened again by ``open_personal``."""
    from reception.security.crypto import PREFIX, encrypt

    names = encrypted_columns().get(table)
    if not names or not data:
        return data
    out = dict(data)
    for name in names:
        value = out.get(name)
        if isinstance(value, str) and value and not value.startswith(PREFIX):
            out[name] = encrypt(value, f"{table}.{name}")
    return out


def open_personal(table: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
    from reception.security.crypto import decrypt

    names = encrypted_columns().get(table)
    if not names or not data:
        return data
    out = dict(data)
    for name in names:
        value = out.get(name)
        if isinstance(value, str) and value:
            out[name] = decrypt(value, f"{table}.{name}")
    return out


def captured(session: Session, table: str, record_id: str) -> bool:
    """The current transaction already has a change of this record waiting for the outbox."""
    return (table, record_id) in session.info.get(PENDING_KEY, {})


def enqueue(session: Session, changes: list[tuple[str, Any]], *, ensure: bool = False) -> int:
    """Write outbox rows for ``changes`` ((op, ORM object) in the order to apply) on the session's connection."""
    conn = session.connection()
    keyed: list[tuple[str, str, str, dict[str, Any]]] = []
    new: set[tuple[str, str]] = set()
    """Records ``insert_captured`` inserted in this transaction (new ids: no version to look up)."""
    for op, obj in changes:
        if isinstance(obj, _Inserted):
            keyed.append((op, obj.table, obj.record_id, obj.data))
            new.add((obj.table, obj.record_id))
            continue
        table = table_of(obj)
        codec = codec_for(table)
        assert codec is not None
        keyed.append((op, table, codec.record_id(obj), codec.encode(obj)))
    if not keyed:
        return 0
    pairs = list({(t, r) for _op, t, r, _d in keyed} - new)
    versions: dict[tuple[str, str], int] = {}
    for start in range(0, len(pairs), 400):
        chunk = pairs[start:start + 400]
        for t, r, v in conn.execute(select(SyncRow.table_name, SyncRow.record_id, SyncRow.version)
                                    .where(tuple_(SyncRow.table_name, SyncRow.record_id).in_(chunk))):
            versions[(t, r)] = v
    now = utcnow()
    outbox: list[tuple[Any, ...]] = []
    bumped: dict[tuple[str, str], int] = {}
    out_table = cast(Table, SyncOutbox.__table__)
    state = session.info.get(INFO_KEY)
    default_signer = state.signer if isinstance(state, OutboxState) else None
    signers: dict[tuple[str, str], Signer] = session.info.get(SIGNERS_KEY) or {}
    next_keys: dict[str, str] = session.info.get(NEXT_KEYS) or {}
    for op, table, record_id, data in keyed:
        base = versions.get((table, record_id), 0)
        if ensure:
            wire_op, base_version = "ensure", 0
        else:
            wire_op, base_version = op, base
            versions[(table, record_id)] = base + 1
            bumped[(table, record_id)] = base + 1
        mutation_id = new_id()
        proof = None
        if table in ADMIN_TABLES:
            signer = signers.get((table, record_id)) or default_signer
            if signer is not None:
                proof = signer.proof(mutation_id, table, record_id, wire_op, base_version, data,
                                     next_key=next_keys.get(record_id) if table == "user" else None)
        outbox.append((mutation_id, table, record_id, wire_op, base_version, proof,
                       seal_personal(table, data),  # (signed as sent, stored sealed)
                       now, "pending", 0, ""))
    if outbox:
        execute_tuples(conn, insert(out_table), _OUTBOX_COLUMNS, outbox)
    if bumped:
        stmt = sqlite_insert(cast(Table, SyncRow.__table__))
        execute_tuples(conn, stmt.on_conflict_do_update(index_elements=["table_name", "record_id"],
                                                        set_={"version": stmt.excluded.version}),
                       ("table_name", "record_id", "version"), [(t, r, v) for (t, r), v in bumped.items()])
    return len(outbox)


_OUTBOX_COLUMNS = ("mutation_id", "table_name", "record_id", "op", "base_version", "proof", "data", "created_at",
                   "state", "attempts", "error")
"""(the values of each outbox row ``enqueue`` writes, in this order)"""


@event.listens_for(SyncConflict, "before_insert")
@event.listens_for(SyncConflict, "before_update")
def _seal_conflict(_mapper: Any, _conn: Any, target: SyncConflict) -> None:
    """A stored conflict keeps both sides of a record: its personal fields are encrypted in the file as well."""
    target.local_data = seal_personal(target.table_name, target.local_data)
    target.server_data = seal_personal(target.table_name, target.server_data)


@event.listens_for(SyncConflict, "load")
@event.listens_for(SyncConflict, "refresh")
def _open_conflict(target: SyncConflict, *_args: Any) -> None:
    from sqlalchemy.orm.attributes import set_committed_value

    if encrypted_columns().get(target.table_name):
        set_committed_value(target, "local_data", open_personal(target.table_name, target.local_data))
        set_committed_value(target, "server_data", open_personal(target.table_name, target.server_data))


SENT_THROUGH_KEY = "sync.sent_through"
"""The desk's ``setting`` (never synced) holding the highest outbox ``seq`` ever handed to a server. The push writes
it in the transaction that reads a batch, before sending it (``sync.desk.push._next_batch``), so an outbox row after
it has certainly reached no server, even when a push failed after the server applied it (its rows stay in the
outbox until the answer is stored). ``ledger.service.undo_import`` relies on it to delete an import cleanly."""


def sent_through(session: Session) -> int:
    from reception.db.models import Setting

    row = session.get(Setting, SENT_THROUGH_KEY)
    return int(row.value.get("seq", 0)) if row is not None else 0


def mark_sent(session: Session, seq: int) -> None:
    """Record that the outbox rows up to ``seq`` are being handed to a server (in the transaction that read them)."""
    from reception.db.models import Setting

    row = session.get(Setting, SENT_THROUGH_KEY)
    if row is None:
        session.add(Setting(key=SENT_THROUGH_KEY, value={"seq": seq}))
    elif seq > int(row.value.get("seq", 0)):
        row.value = {"seq": seq}


def unsent_creations(session: Session, table: str, record_ids: list[str]) -> set[str]:
    """Which of ``record_ids`` are records whose creation is still in the outbox and was never handed to a server
    (after ``sent_through``): records no server can hold."""
    through = sent_through(session)
    out: set[str] = set()
    for start in range(0, len(record_ids), 500):
        out.update(session.scalars(select(SyncOutbox.record_id).where(
            SyncOutbox.table_name == table, SyncOutbox.record_id.in_(record_ids[start:start + 500]),
            SyncOutbox.base_version == 0, SyncOutbox.op.in_(("upsert", "ensure")), SyncOutbox.seq > through)))
    return out
