"""The pull: records changed on the server, by sequence number, applied through the ORM (new rows of tables whose ORM
insert events all have declared stand-ins by the driver's executemany, the stand-ins run for them: ``_bulk_insert``),
each batch and the cursor in one transaction. A record with pending local changes (or an open conflict) is never
overwritten by a pull: the push decides, as a conflict. Pulled events, holidays and clock rules bring the local
clocks (a projection) in line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import String, Table, column, insert, literal, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.bulk import execute_many
from reception.db.calendar_table import load_work_calendar
from reception.db.models import SyncConflict, SyncOutbox, User
from reception.domain.workcalendar import WorkCalendar
from reception.sync.checks import record_problem
from reception.sync.client import SyncClient
from reception.sync.codec import codec_for
from reception.sync.desk.common import _peer, _Tally
from reception.sync.outbox import APPLYING_KEY, enqueue
from reception.sync.protocol import PulledRecord, PullReply
from reception.sync.registry import CLOCK_INPUTS, CLOCK_SETTINGS, PROJECTED_FROM_EVENTS, pulled, table_order

log = logging.getLogger(__name__)


PULL_BATCH = 5000
"""(the most the server sends in one answer: fewer round trips and transactions per pulled record)"""
FIRST_BATCH = 1000
"""(the size of the first answer asked for: the desk applies it while the server reads the next one, instead of
waiting idle for a full batch before it has anything to do)"""


def _pull(ctx: AppContext, client: SyncClient, tally: _Tally, *, skip_own: bool = True) -> None:
    """Pull and apply batches until the server has nothing newer. The next batch is fetched (on a worker thread)
    while this one is applied; each batch and the cursor after it are stored in one transaction."""
    from concurrent.futures import Future, ThreadPoolExecutor

    def fetch(after: int, limit: int = PULL_BATCH) -> PullReply:
        return PullReply.model_validate_json(client.request_raw(
            "GET", "/sync/pull", params={"after": after, "limit": limit, "skip_own": skip_own}))

    with ctx.db.read() as session:
        cursor = _peer(session).cursor
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as pool:
        ahead: Future[PullReply] | None = pool.submit(fetch, cursor, min(FIRST_BATCH, PULL_BATCH))
        try:
            while ahead is not None:
                reply, ahead = ahead.result(), None
                if reply.more and reply.cursor > cursor:
                    ahead = pool.submit(fetch, reply.cursor)
                if reply.cursor > cursor:
                    try:
                        with ctx.db.write() as session:
                            _apply_batch(ctx, session, reply, tally, strict=False)
                    except (SQLAlchemyError, ValueError, TypeError, KeyError):
                        # something in the batch cannot be stored here (e.g. a case number already used by another
                        # case on this desk): apply record by record, parents first and retried within the batch,
                        # and keep the ones that still fail as conflicts
                        tally.calendar = None  # (rolled back)
                        with ctx.db.write() as session:
                            _apply_batch(ctx, session, reply, tally, strict=True)
                    if tally.calendar is not None:  # committed: the desk's calendar is the new one from now on
                        ctx.calendar, tally.calendar = tally.calendar, None
                    cursor = reply.cursor
        finally:
            if ahead is not None:  # (an error above: let the fetch in flight end before the cycle does)
                ahead.exception()


def _pending_keys(session: Session, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The keys among ``keys`` that this desk must not overwrite: a pending (or parked) outbox row or an open
    version conflict. The outbox and the open conflicts are read whole, per table of the batch (they hold only
    this desk's unsent changes): far cheaper than probing a pulled batch 400 keys at a time."""
    wanted = set(keys)
    tables = sorted({t for t, _r in wanted})
    found: set[tuple[str, str]] = set()
    if not tables:
        return found
    for t, r in session.execute(select(SyncOutbox.table_name, SyncOutbox.record_id)
                                .where(SyncOutbox.table_name.in_(tables))):
        if (t, r) in wanted:
            found.add((t, r))
    for t, r in session.execute(select(SyncConflict.table_name, SyncConflict.record_id).where(
            SyncConflict.state == "open", SyncConflict.kind == "version", SyncConflict.table_name.in_(tables))):
        if (t, r) in wanted:
            found.add((t, r))
    return found


def _apply_batch(ctx: AppContext, session: Session, reply: PullReply, tally: _Tally, *, strict: bool) -> None:
    session.info[APPLYING_KEY] = True  # these changes come from the server: not for the outbox
    conn = session.connection()
    if not reply.records:
        _peer(session).cursor = reply.cursor
        return
    if not strict:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # a batch may hold children before parents
    records = [r for r in reply.records if pulled(r.table) and codec_for(r.table) is not None]
    held = _pending_keys(session, [(r.table, r.record_id) for r in records])
    _yield_usernames(session, [r for r in records if r.table == "user" and (r.table, r.record_id) not in held],
                     tally)
    keep: list[Any] = []  # (the batch's existing rows, loaded once: see ``_preload``)
    known = _preload(session, records, keep)
    cases: set[str] = set()
    all_clocks = False  # a pulled holiday, roll-over rule or lifecycle setting: every clock is computed again
    applied = 0
    # new rows of tables whose ORM insert events all have declared stand-ins (or that have none) go in as one
    # executemany per table (``_bulk_insert``); everything else goes through the unit of work. (Which tables:
    # decided once per batch, here; parents first: see ``_bulk_insert``.)
    bulk: dict[str, dict[str, dict[str, Any]]] | None = None
    if not strict:
        order = table_order()
        bulk = {t: {} for t in sorted({r.table for r in records}, key=lambda t: (order.get(t, 0), t))
                if _bulk_insertable(t)}
    now = utcnow()
    parked = 0
    readable: list[PulledRecord] = []
    for rec in records:
        problem = record_problem(rec.table, rec.record_id, rec.data, deleted=rec.deleted)
        if problem:  # parked, shown on the sync page with the reason; the cycle goes on without it
            session.add(SyncConflict(kind="apply", table_name=rec.table, record_id=rec.record_id[:64],
                                     server_data=rec.data if isinstance(rec.data, dict) else None,
                                     server_version=rec.version, message=f"无法读取下载的记录：{problem}"[:400],
                                     detected_at=now))
            parked += 1
            log.warning("pulled record parked: %s %s (%s)", rec.table, rec.record_id[:64], problem)
        else:
            readable.append(rec)
    records = readable
    applied_keys: list[PulledRecord] = []
    with session.no_autoflush:
        if strict:
            applied_keys = _apply_strict(session, [r for r in records if (r.table, r.record_id) not in held],
                                         known)
            tally.held += sum(1 for r in records if (r.table, r.record_id) in held)
        for rec in records if not strict else applied_keys:
            if not strict:
                if (rec.table, rec.record_id) in held:
                    tally.held += 1
                    continue
                _apply_one(session, rec, known, bulk)
            applied += 1
            if rec.table in CLOCK_INPUTS or (rec.table == "centre_setting" and rec.record_id in CLOCK_SETTINGS):
                all_clocks = True
            if rec.table in PROJECTED_FROM_EVENTS and rec.data:
                cases.add(str(rec.data.get("case_id") or rec.data.get("id")) if rec.table == "case_event"
                          else rec.record_id)
    if bulk:
        _bulk_insert(session, {t: rows for t, rows in bulk.items() if rows})
    session.flush()
    _upsert_versions(session, [(r.table, r.record_id, r.version) for r in (applied_keys if strict else records)
                               if (r.table, r.record_id) not in held])
    if all_clocks:
        tally.calendar = _recompute_all_clocks(ctx, session)  # (handed over by ``_pull`` once this commits)
    elif cases:
        _reproject(ctx, session, cases, _given_cases(bulk, cases) if bulk else None)
    peer = _peer(session)
    peer.cursor = reply.cursor  # in the same transaction as the applied batch
    tally.pulled += applied
    tally.parked += parked


def _apply_strict(session: Session, records: list[PulledRecord],
                  known: dict[str, set[str]]) -> list[PulledRecord]:
    """Apply records one by one, each in a savepoint: in dependency order (parents before children, deletes
    children first), and again while a pass stores any that failed before (a child whose parent came later in the
    batch, a category under another). What still fails is kept as a conflict with the reason. Returns what was
    stored."""
    order = table_order()

    def rank(rec: PulledRecord) -> int:
        position = order.get(rec.table, 0)
        return 100_000 - position if rec.deleted else position

    waiting = sorted(records, key=rank)
    stored: list[PulledRecord] = []
    errors: dict[int, str] = {}
    while waiting:
        failed: list[PulledRecord] = []
        for rec in waiting:
            try:
                with session.begin_nested():
                    _apply_one(session, rec, known)
            except (SQLAlchemyError, ValueError, TypeError, KeyError) as exc:
                errors[id(rec)] = str(getattr(exc, "orig", None) or type(exc).__name__)[:300]
                failed.append(rec)
                continue
            stored.append(rec)
        if len(failed) == len(waiting):
            break
        waiting = failed
    else:
        failed = []
    now = utcnow()
    for rec in failed:
        session.add(SyncConflict(kind="apply", table_name=rec.table, record_id=rec.record_id,
                                 server_data=rec.data, server_version=rec.version,
                                 message=f"无法保存下载的记录：{errors.get(id(rec), '')}", detected_at=now))
    return stored


def _yield_usernames(session: Session, users: list[PulledRecord], tally: _Tally) -> None:
    """A pulled account whose login name a different local account already has (e.g. the ``admin`` made at this
    desk before it enrolled, and the centre's own ``admin``): the local account gives way and is renamed
    ``<name>-<desk code>`` (it keeps its password and rights), the rename travels like any change, and the report
    says so. Without this the centre's account could never be stored here (login names are unique)."""
    wanted = {str(r.data["username"]): r.record_id for r in users
              if r.data and not r.deleted and r.data.get("username")}
    if not wanted:
        return
    code = _peer(session).desk_code.lower() or "desk"
    clashes = [u for u in session.scalars(select(User).where(User.username.in_(list(wanted))))
               if u.id != wanted[u.username]]
    for user in clashes:
        base, n = f"{user.username}-{code}", 1
        new_name = base
        while session.scalar(select(User.id).where(User.username == new_name)) is not None or new_name in wanted:
            n += 1
            new_name = f"{base}{n}"
        old_name, user.username = user.username, new_name
        session.flush()
        enqueue(session, [("upsert", user)])  # (this session applies pulled rows: changes are not captured)
        tally.warnings.append(f"本机账号“{old_name}”与中心下发的账号同名，已改为“{new_name}”（密码和权限不变），"
                              "请用新登录名登录")


def _bulk_insert(session: Session, bulk: dict[str, dict[str, dict[str, Any]]]) -> None:
    """New rows (table -> id -> column values) inserted on the session's connection, one executemany per table and
    set of columns, with the stand-ins of the table's ORM insert events run for them (``db.insert_hooks``: a
    petitioner's blind indexes before, its search index rows after). The rows go to the driver's own executemany
    (``db.bulk.execute_many``: each column's bind processing, the encrypted columns' TypeDecorator too, applied as
    SQLAlchemy applies it; a day trigger set aside for a batch); a column a record does not carry gets its default
    (a set of columns missing one with a Python default takes a Core INSERT, which computes it). (SQLAlchemy's
    executemany builds and processes a parameter dict per row: a fifth of the pull's time.)"""
    from reception.changes import note_written
    from reception.db import insert_hooks

    conn = session.connection()
    # (foreign keys are deferred to commit, so any order would do; but in dependency order, parents first, SQLite's
    # count of pending violations stays at zero, and then a parent row's insert need not look for children that
    # wait for it in every table referring to it)
    for table, new_rows in bulk.items():
        codec = codec_for(table)
        assert codec is not None
        hooks = insert_hooks.stand_ins(codec.model)
        assert hooks is not None  # (``_bulk_insertable``)
        target: Table = codec.model.__table__
        rows = list(new_rows.values())
        for before in hooks["before_insert"]:
            before(conn, rows)
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(row)
        for group in groups.values():
            execute_many(conn, insert(target), group)  # (a Core INSERT where a missing column has a default)
        note_written(conn, [table])
        for after in hooks["after_insert"]:
            after(conn, rows)


def _recompute_all_clocks(ctx: AppContext, session: Session) -> WorkCalendar:
    """The centre's calendar or clock rules came from the server (another desk's administrator changed them): reload
    the working-day calendar and bring every stored clock in line, in the pulled batch's transaction (as the desk that
    made the change did: ``lifecycle.service.recompute_clocks_in_session``).

    Returns the calendar for the caller to hand over to ``ctx.calendar`` once the transaction has committed, never
    before: the UI thread reads ``ctx.calendar`` while the sync thread applies, and a batch that rolls back (then
    applied record by record) must leave the shared calendar as it was."""
    from reception.lifecycle.service import recompute_clocks_in_session

    session.flush()
    calendar = load_work_calendar(session)
    recompute_clocks_in_session(session, calendar, today=ctx.now().date())
    return calendar


def _preload(session: Session, records: list[PulledRecord], keep: list[Any]) -> dict[str, set[str]]:
    """Find the existing rows of a batch with one query per table, and load them (so applying does not query row
    by row: the objects are held in ``keep`` for the batch, the session's identity map holds them only weakly);
    returns, per table with a single-column key, the ids that exist here."""
    by_table: dict[str, list[str]] = {}
    for rec in records:
        by_table.setdefault(rec.table, []).append(rec.record_id)
    known: dict[str, set[str]] = {}
    for table, ids in by_table.items():
        codec = codec_for(table)
        if codec is None or len(codec.pk) != 1 or codec.pk[0].kind != "raw":
            continue
        attr = codec.pk[0].attr
        col = getattr(codec.model, attr)
        if codec.key_type() is str:  # the batch's ids as one JSON parameter (a pulled batch is mostly new rows)
            wanted = text("SELECT value FROM json_each(:ids)").bindparams(ids=json.dumps(ids)).columns(
                column("value", String))
            present = [str(v) for v in session.scalars(select(col).where(col.in_(wanted)))]
        else:
            present = ids
        found: set[str] = set()
        for start in range(0, len(present), 500):
            for obj in session.scalars(select(codec.model).where(col.in_(present[start:start + 500]))):
                keep.append(obj)
                found.add(str(getattr(obj, attr)))
        known[table] = found
    return known


def _bulk_insertable(table: str) -> bool:
    """Whether new rows of ``table`` may skip the unit of work: every ORM insert event of its mapper has a declared
    stand-in (``db.insert_hooks``: a petitioner's blind indexes and search index rows); a listener nobody declared
    sends the table's rows through the ORM, where it runs."""
    from reception.db import insert_hooks

    codec = codec_for(table)
    if codec is None or len(codec.pk) != 1 or codec.pk[0].kind != "raw" or not _wire_is_column(table):
        return False
    import reception.search.index  # noqa: F401  (its listeners registered, with their stand-ins)

    return insert_hooks.stand_ins(codec.model) is not None


@cache
def _wire_is_column(table: str) -> bool:
    """(every attribute of the table's codec is named as its column: decoded values are column values)"""
    codec = codec_for(table)
    return codec is not None and all(f.attr == f.column for f in codec.fields)


def _apply_one(session: Session, rec: PulledRecord, known: dict[str, set[str]] | None = None,
               bulk: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
    """Store one pulled record through the ORM. With ``bulk`` (table -> id -> column values, for the tables that may
    skip the unit of work: ``_bulk_insertable``), a new row of such a table is collected there for one executemany
    by the caller instead."""
    codec = codec_for(rec.table)
    assert codec is not None
    if rec.data is None:
        if rec.deleted and len(codec.pk) == 1 and codec.pk[0].kind == "raw":
            obj = session.get(codec.model, rec.record_id)
            if obj is not None:
                session.delete(obj)
        return
    present = known.get(rec.table) if known is not None else None
    if present is not None and rec.record_id not in present:
        obj = None  # (preloaded: not here yet)
        present.add(rec.record_id)
    else:
        obj = session.get(codec.model, codec.pk_value(rec.data))
    if rec.deleted:
        if obj is not None:
            session.delete(obj)
        return
    values = codec.decode(rec.data)
    if obj is None:
        collect = bulk.get(rec.table) if bulk is not None else None
        unsealed = rec.table == "audit_entry" and not values.get("hash")  # (sealed by the ORM's flush)
        if collect is not None and not unsealed:
            collect[rec.record_id] = values
        else:
            session.add(codec.model(**values))
    else:
        changed = False
        for attr, value in values.items():
            if getattr(obj, attr) != value:
                setattr(obj, attr, value)
                changed = True
        if changed:
            # an UPDATE would stamp ``updated_at`` (onupdate) with this desk's clock: keep the server's value
            for attr, type_ in codec.onupdate_types().items():
                if attr in values and getattr(obj, attr) == values[attr]:
                    setattr(obj, attr, literal(values[attr], type_))


def _upsert_versions(session: Session, rows: list[tuple[str, str, int]], *, keep_higher: bool = False) -> None:
    """Record the server's versions in one executemany (``keep_higher``: never lower a version this desk already
    bumped for a later local change)."""
    if not rows:
        return
    from reception.changes import note_written

    latest: dict[tuple[str, str], int] = {}
    for t, r, v in rows:
        latest[(t, r)] = max(v, latest.get((t, r), 0)) if keep_higher else v
    new_version = "max(sync_row.version, excluded.version)" if keep_higher else "excluded.version"
    conn = session.connection()
    conn.exec_driver_sql("INSERT INTO sync_row (table_name, record_id, version) VALUES (?, ?, ?) "
                         f"ON CONFLICT (table_name, record_id) DO UPDATE SET version = {new_version}",
                         sorted((t, r, v) for (t, r), v in latest.items()))
    note_written(conn, ["sync_row"])


def _reproject(ctx: AppContext, session: Session, case_ids: Iterable[str], given: Any = None) -> None:
    """Recompute the running clocks (a local projection of each case's events) of cases whose events or row came
    from the server: the lifecycle's one reprojection (``lifecycle.service.reproject_cases``; ``given``: the new
    cases with their events, from ``_given_cases``)."""
    from reception.lifecycle.service import reproject_cases

    reproject_cases(session, case_ids, ctx.calendar, given)


_CASE_READS = ("id", "merged_into", "content_class", "status", "registered_on", "unit_id")
_EVENT_READS = ("id", "case_id", "kind", "occurred_at", "occurred_on", "actor_id", "unit_id", "data")


def _given_cases(bulk: dict[str, dict[str, dict[str, Any]]], case_ids: set[str]) -> dict[str, Any]:
    """The batch's new cases among ``case_ids`` with their new events, from the rows the bulk insert just stored
    (``lifecycle.service.GivenCase``: ``reproject_cases`` need not read them back; it still counts each case's
    stored events and reads any case whose count differs). Only when every new event of the batch took the bulk
    insert (else some went through the ORM, and are not here), and only cases whose rows carry every column the
    projection reads, with aware event times to order by as the database orders them (``occurred_at``, ``id``)."""
    from reception.lifecycle.machine import Event
    from reception.lifecycle.service import GivenCase

    new_cases = bulk.get("petition_case")
    if not new_cases or not _bulk_insertable("case_event"):
        return {}
    wanted = {cid: row for cid, row in new_cases.items() if cid in case_ids and all(k in row for k in _CASE_READS)}
    events: dict[str, list[dict[str, Any]]] = {cid: [] for cid in wanted}
    doubtful: set[str] = set()
    for row in bulk.get("case_event", {}).values():
        cid = row.get("case_id")
        if cid not in events:
            continue
        at = row.get("occurred_at")
        if not all(k in row for k in _EVENT_READS) or type(at) is not datetime or at.tzinfo is None:
            doubtful.add(cid)
        else:
            events[cid].append(row)
    given: dict[str, Any] = {}
    for cid, row in wanted.items():
        if cid in doubtful:
            continue
        ordered = sorted(events[cid], key=lambda e: (e["occurred_at"], e["id"]))
        given[cid] = GivenCase(cid, row["merged_into"], row["content_class"], row["status"], row["registered_on"],
                               row["unit_id"], tuple(Event(e["kind"], e["occurred_on"], e["actor_id"], e["unit_id"],
                                                           e["data"] or {}) for e in ordered))
    return given
