"""The pull: records changed on the server, by sequence number, applied THROUGH THE ORM, each batch and the cursor
in one transaction. A record with pending local changes (or an open conflict) is never overwritten by a pull: the
push decides, as a conflict. Pulled events, holidays and clock rules bring the local clocks (a projection) in line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import String, column, func, literal, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.calendar_table import load_work_calendar
from reception.db.models import SyncConflict, SyncOutbox, SyncRow, User
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


def _pull(ctx: AppContext, client: SyncClient, tally: _Tally, *, skip_own: bool = True) -> None:
    """Pull and apply batches until the server has nothing newer. The next batch is fetched (on a worker thread)
    while this one is applied; each batch and the cursor after it are stored in one transaction."""
    from concurrent.futures import Future, ThreadPoolExecutor

    def fetch(after: int) -> PullReply:
        return PullReply.model_validate_json(client.request_raw(
            "GET", "/sync/pull", params={"after": after, "limit": PULL_BATCH, "skip_own": skip_own}))

    with ctx.db.read() as session:
        cursor = _peer(session).cursor
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as pool:
        ahead: Future[PullReply] | None = pool.submit(fetch, cursor)
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
    # new rows of tables without ORM insert events go in as one ORM bulk INSERT per table (column types, and so
    # the encrypted columns' TypeDecorator, apply as usual); everything else goes through the unit of work
    bulk: dict[str, dict[str, dict[str, Any]]] | None = None if strict else {}
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
        _bulk_insert(session, bulk)
    session.flush()
    _upsert_versions(session, [(r.table, r.record_id, r.version) for r in (applied_keys if strict else records)
                               if (r.table, r.record_id) not in held])
    if all_clocks:
        tally.calendar = _recompute_all_clocks(ctx, session)  # (handed over by ``_pull`` once this commits)
    elif cases:
        _reproject(ctx, session, cases)
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
    """New rows (table -> id -> attribute values) as Core INSERTs on the session's connection, one executemany per
    table and set of columns: column types (the encrypted columns' TypeDecorator too) apply as usual, a column a
    record does not carry gets its default. (The ORM's bulk insert split these into a statement per few rows
    whenever consecutive rows had NULLs in different columns: a quarter of the pull's time.)"""
    from sqlalchemy import Table, insert

    conn = session.connection()
    for table, rows in bulk.items():  # (foreign keys are deferred to commit: the order does not matter)
        codec = codec_for(table)
        assert codec is not None
        column_of = {f.attr: f.column for f in codec.fields}
        target: Table = codec.model.__table__
        groups: dict[frozenset[str], list[dict[str, Any]]] = {}
        side = _SIDE_ROWS.get(table)
        for values in rows.values():
            row = {column_of[attr]: value for attr, value in values.items()}
            if side is not None:
                side.complete(row)
            groups.setdefault(frozenset(row), []).append(row)
        for group in groups.values():
            for start in range(0, len(group), 1000):
                conn.execute(insert(target), group[start:start + 1000])
        if side is not None:
            side.after(conn, [row for group in groups.values() for row in group])


class _PetitionerRows:
    """What a petitioner's ORM insert events do (``db.models._fill_blind_indexes`` before it, the search index's
    ``_on_insert`` after it), done for a pulled batch's new petitioners at once: the blind indexes filled in each
    row, and the search index rows in one statement per index instead of two per petitioner."""

    events = (1, 1)
    """(before_insert, after_insert) listeners these stand in for: with any other, petitioners take the ORM."""

    @staticmethod
    def complete(row: dict[str, Any]) -> None:
        from reception.db.models import petitioner_blind_indexes

        row["id_number_bidx"], row["phone_bidx"] = petitioner_blind_indexes(row.get("id_number"), row.get("phone"))

    @staticmethod
    def after(conn: Any, rows: list[dict[str, Any]]) -> None:
        from reception.search import index

        index.insert_new(conn, [(str(r["id"]), r.get("name") or "", r.get("id_number"), r.get("phone"),
                                 r.get("address", "")) for r in rows])


_SIDE_ROWS: dict[str, Any] = {"petitioner": _PetitionerRows}


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


@cache
def _bulk_insertable(table: str) -> bool:
    """Whether new rows of ``table`` may skip the unit of work: its mapper has no insert events, or only the ones
    ``_SIDE_ROWS`` does for the whole batch (a petitioner's blind indexes and search index rows)."""
    codec = codec_for(table)
    if codec is None or len(codec.pk) != 1 or codec.pk[0].kind != "raw":
        return False
    dispatch = sa_inspect(codec.model).dispatch
    side = _SIDE_ROWS.get(table)
    if side is not None:
        import reception.search.index  # noqa: F401  (its listeners registered, so counted)

        return bool((len(dispatch.before_insert), len(dispatch.after_insert)) == side.events)
    return not (dispatch.before_insert or dispatch.after_insert)


def _apply_one(session: Session, rec: PulledRecord, known: dict[str, set[str]] | None = None,
               bulk: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
    """Store one pulled record through the ORM. With ``bulk``, a new row of a table without ORM insert events is
    collected there (table -> id -> attribute values) for one bulk INSERT by the caller instead."""
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
        if (bulk is not None and _bulk_insertable(rec.table)
                and not (rec.table == "audit_entry" and not values.get("hash"))):  # (unsealed: sealed on flush)
            bulk.setdefault(rec.table, {})[rec.record_id] = values
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
    """Record the server's versions in one statement per 500 rows (``keep_higher``: never lower a version this
    desk already bumped for a later local change)."""
    if not rows:
        return
    from sqlalchemy import Table
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    table: Table = SyncRow.__table__  # type: ignore[assignment]
    stmt = sqlite_insert(table)
    new_version = (func.max(table.c.version, stmt.excluded.version) if keep_higher else stmt.excluded.version)
    stmt = stmt.on_conflict_do_update(index_elements=["table_name", "record_id"], set_={"version": new_version})
    latest: dict[tuple[str, str], int] = {}
    for t, r, v in rows:
        latest[(t, r)] = max(v, latest.get((t, r), 0)) if keep_higher else v
    values = [{"table_name": t, "record_id": r, "version": v} for (t, r), v in latest.items()]
    for start in range(0, len(values), 500):
        session.connection().execute(stmt, values[start:start + 500])


def _reproject(ctx: AppContext, session: Session, case_ids: Iterable[str]) -> None:
    """Recompute the running clocks (a local projection of each case's events) of cases whose events or row came
    from the server: the lifecycle's one reprojection (``lifecycle.service.reproject_cases``)."""
    from reception.lifecycle.service import reproject_cases

    reproject_cases(session, case_ids, ctx.calendar)
