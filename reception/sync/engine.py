"""The desk's sync engine: enrolment, one sync cycle (handshake, push, pull), status, and conflict resolution.

One cycle: a handshake (protocol and schema versions, the server's identity and clock); then the outbox is pushed
in batches in outbox order, each answer stored in one write transaction (applied rows leave the outbox, conflicts
are stored with both sides, rejected rows are parked with the server's reason); then records changed on the server
are pulled by sequence number and applied THROUGH THE ORM, each batch and the cursor in one transaction. A record
with pending local changes (or an open conflict) is never overwritten by a pull: the push decides, as a conflict.

The functions return plain dataclasses for the UI (``sync_once``, ``sync_status``, ``list_outbox``,
``list_conflicts``, ``resolve_conflict``) and never hold a transaction across a network call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Text, delete, func, literal, select, type_coerce
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reception import __version__, heap
from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.migrate import SCHEMA_HEAD
from reception.db.models import Case, Desk, SyncConflict, SyncOutbox, SyncPeer, SyncRow, User
from reception.db.settings import DeskSettings, load_desk_settings, save_desk_settings
from reception.domain.enums import Role
from reception.domain.errors import ReceptionError
from reception.envfail import environment_reason
from reception.sync import credentials
from reception.sync.checks import record_problem
from reception.sync.client import SyncClient, SyncRefused, SyncTransportError
from reception.sync.codec import codec_for
from reception.sync.outbox import APPLYING_KEY, captured, enqueue, open_personal, outbox_state, personal_fields
from reception.sync.protocol import (
    CLOCK_SKEW_WARN_S,
    MAX_PUSH_BYTES,
    PROTOCOL_VERSION,
    EnrollReply,
    EnrollRequest,
    Hello,
    HelloReply,
    PulledRecord,
    PullReply,
)
from reception.sync.registry import (
    CLOCK_INPUTS,
    CLOCK_SETTINGS,
    PROJECTED_FROM_EVENTS,
    pulled,
    synced_tables,
    table_order,
    uploaded_at_enrolment,
)

log = logging.getLogger(__name__)

PUSH_BATCH = 2000
PUSH_BYTES = MAX_PUSH_BYTES // 3
"""A batch's mutations, in characters, at most a third of the server's limit in bytes (a Chinese character is
three bytes of UTF-8); a single mutation larger than the limit is refused (413) and parked."""
PULL_BATCH = 5000
"""(the most the server sends in one answer: fewer round trips and transactions per pulled record)"""

ClientFactory = Callable[[str, str], SyncClient]
"""(server URL, token) -> client; tests and the benchmark inject transports or protocol versions through it."""


def _default_client(url: str, token: str) -> SyncClient:
    return SyncClient(url, token, schema=SCHEMA_HEAD)


class SyncError(ReceptionError):
    """Sync could not run (not enrolled, refused by the server); the message is for the person at the desk."""


# -- results for the UI --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    parked: int = 0
    """Mutations the server rejected in this cycle (kept, with the reason)."""
    new_conflicts: int = 0
    conflicts: int = 0
    """Open conflicts remaining after the cycle."""
    collisions: int = 0
    held: int = 0
    """Pulled records not applied because this desk has pending changes to them."""
    pending: int = 0
    warnings: tuple[str, ...] = ()
    error: str = ""
    ok: bool = True

    def summary(self) -> str:
        text = (f"已上传 {self.pushed} 条，已下载 {self.pulled} 条，本次搁置 {self.parked} 条，"
                f"待上传 {self.pending} 条，未解决冲突 {self.conflicts} 个")
        if self.collisions:
            text += f"，案件编号重复 {self.collisions} 个"
        return text


@dataclass(frozen=True, slots=True)
class SyncStatus:
    enrolled: bool
    server_url: str = ""
    desk_code: str = ""
    pending: int = 0
    oldest_pending: datetime | None = None
    parked: int = 0
    conflicts: int = 0
    offline_since: datetime | None = None
    last_error: str = ""
    last_success_at: datetime | None = None
    clock_skew_s: int | None = None

    @property
    def clock_warning(self) -> str:
        if self.clock_skew_s is not None and abs(self.clock_skew_s) > CLOCK_SKEW_WARN_S:
            return f"本机时钟与服务器相差约 {round(abs(self.clock_skew_s) / 60)} 分钟，请校准系统时间"
        return ""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    table: str
    record_id: str
    op: str
    created_at: datetime
    state: str
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class ConflictView:
    id: str
    kind: str
    table: str
    record_id: str
    local_data: dict[str, Any] | None
    server_data: dict[str, Any] | None
    server_version: int
    message: str
    detected_at: datetime
    state: str
    resolution: str
    differing: tuple[str, ...] = field(default=())
    """Columns whose values differ between the two sides (what a person must decide)."""


@dataclass(frozen=True, slots=True)
class EnrollResult:
    desk_code: str
    desk_id: str
    server_id: str
    token_store: str
    uploaded: int
    report: SyncReport | None


# -- enrolment -------------------------------------------------------------------------------------------------------


def enroll(ctx: AppContext, server_url: str, code: str, *, officer: str | None = None,
           client_factory: ClientFactory = _default_client, first_sync: bool = True) -> EnrollResult:
    """Enrol this desk with the one-time code; keeps the token, adopts the server's desk code, uploads what exists."""
    with ctx.db.read() as session:
        if session.get(SyncPeer, 1) is not None:
            raise SyncError("本工位已经登记到服务器；如需重新登记，请先由管理员停用原工位。", key="already_enrolled")
        settings = load_desk_settings(session)
        desk = session.get(Desk, settings.desk_id) if settings.desk_id else None
        request = EnrollRequest(code=code, protocol=PROTOCOL_VERSION, desk_id=desk.id if desk else None,
                                name=desk.name if desk else "", unit_name=desk.unit_name if desk else "")
    with client_factory(server_url, "") as client:
        try:
            reply = EnrollReply.model_validate(client.request("POST", "/enroll", json=request.model_dump()))
        except SyncRefused as exc:
            raise SyncError(exc.message, key="enroll_refused") from exc
        except SyncTransportError as exc:
            text = str(exc)
            if not text.startswith("服务器暂时无法处理"):  # (a 503 says why; anything else is the network)
                text = f"无法连接服务器 {server_url}：{text}"
            raise SyncError(text, key="server_unreachable") from exc
    store = credentials.store_token(ctx.paths.root, reply.client_id, reply.token)
    uploaded = 0
    with ctx.db.write() as session:
        session.add(SyncPeer(id=1, server_url=server_url, client_id=reply.client_id, desk_code=reply.desk_code,
                             server_id=reply.server_id, cursor=0, token_store=store, enrolled_at=utcnow(),
                             schema_head=pulled_schema_mark()))
        if desk is not None:
            local = session.get(Desk, desk.id)
            if local is not None:
                local.code = reply.desk_code  # new case numbers carry the server's unique desk code
        _rename_default_officer(session, reply.desk_code)
        uploaded = _enqueue_everything(session)
    outbox_state(ctx.db).enabled = True
    report = sync_once(ctx, client_factory=client_factory) if first_sync else None
    _adopt_desk(ctx, reply.desk_id, officer)
    log.info("desk enrolled as %s (%d local records to upload)", reply.desk_code, uploaded)
    return EnrollResult(reply.desk_code, reply.desk_id, reply.server_id, store, uploaded, report)


def _rename_default_officer(session: Session, desk_code: str) -> None:
    """The default officer every standalone desk creates is called ``desk``: make it unique before it goes up."""
    settings = load_desk_settings(session)
    user = session.get(User, settings.officer_id) if settings.officer_id else None
    if user is not None and user.username == "desk":
        user.username = f"desk-{desk_code.lower()}"


def _enqueue_everything(session: Session) -> int:
    """Queue every local record of the UP tables and of ``user`` as ``ensure`` (uploaded if the server does not
    have it): at enrolment, and again for a new or restored server (``_handshake``). The reference tables and the
    centre's settings are BOTH but deliberately NOT queued (``registry.uploaded_at_enrolment``): what a desk holds of
    them before enrolling is a local seed (the demo district, the default set-up), not the centre's data. Only the
    edits made after enrolment go up, through the outbox."""
    total = 0
    for table in synced_tables():
        if not uploaded_at_enrolment(table):
            continue
        codec = codec_for(table)
        assert codec is not None
        objs = list(session.scalars(select(codec.model)))
        for start in range(0, len(objs), 2000):
            total += enqueue(session, [("upsert", o) for o in objs[start:start + 2000]], ensure=True)
    return total


def _adopt_desk(ctx: AppContext, desk_id: str, officer: str | None) -> None:
    """Select the server's desk row (and an officer) in this PC's settings, once they have been pulled."""
    with ctx.db.write() as session:
        settings = load_desk_settings(session)
        if session.get(Desk, desk_id) is None:
            return
        officer_id = ""
        if settings.officer_id and session.get(User, settings.officer_id) is not None:
            officer_id = settings.officer_id
        if officer:
            found = session.scalar(select(User.id).where(User.username == officer))
            if found is None:
                raise SyncError(f"服务器上没有登录名为“{officer}”的人员", key="officer_unknown")
            officer_id = found
        if not officer_id:
            officer_id = session.scalar(select(User.id).where(User.role == Role.DESK_OFFICER.value,
                                                              User.active.is_(True)).order_by(User.username)) or ""
        save_desk_settings(session, DeskSettings(desk_id=desk_id, officer_id=officer_id,
                                                 receipt_layout=settings.receipt_layout,
                                                 query_hint=settings.query_hint,
                                                 roll_deadline_to_workday=settings.roll_deadline_to_workday))


# -- one cycle ----------------------------------------------------------------------------------------------------


@dataclass
class _Tally:
    pushed: int = 0
    pulled: int = 0
    parked: int = 0
    new_conflicts: int = 0
    collisions: int = 0
    held: int = 0
    warnings: list[str] = field(default_factory=list)


def _peer(session: Session) -> SyncPeer:
    peer = session.get(SyncPeer, 1)
    if peer is None:
        raise SyncError("本工位尚未登记到服务器（reception enroll）", key="not_enrolled")
    return peer


def sync_once(ctx: AppContext, *, client_factory: ClientFactory = _default_client) -> SyncReport:
    """Run one sync cycle. Never raises for network trouble: the report (and ``sync_status``) says what happened."""
    with ctx.db.read() as session:
        peer = _peer(session)
        url, client_id, store = peer.server_url, peer.client_id, peer.token_store
    token = credentials.load_token(ctx.paths.root, client_id, store)
    tally = _Tally()
    error = ""
    with client_factory(url, token) as client, heap.bulk_work():
        try:
            hello, cursor = _handshake(ctx, client, tally)
            _push(ctx, client, tally)
            if hello.high_seq > cursor:  # (an idle cycle is one round trip: nothing new on the server)
                _pull(ctx, client, tally)
        except SyncTransportError as exc:
            error = f"离线：{exc}"
        except SyncRefused as exc:
            error = exc.message
        except Exception as exc:  # this PC's disk full, its data folder read-only, its database locked
            reason = environment_reason(exc)
            if not reason:
                raise
            error = f"本机无法保存同步数据：{reason}"
    now = utcnow()
    try:
        with ctx.db.write() as session:
            peer = _peer(session)
            peer.last_attempt_at = now
            if error:
                peer.last_error = error[:400]
                if peer.offline_since is None and error.startswith("离线"):
                    peer.offline_since = now
            else:
                peer.last_error, peer.offline_since, peer.last_success_at = "", None, now
    except Exception as exc:  # (the disk filled up meanwhile: the report still says why)
        reason = environment_reason(exc)
        if not reason:
            raise
        error = error or f"本机无法保存同步数据：{reason}"
    status = sync_status(ctx)
    if error:
        log.warning("sync failed: %s", error)
    return SyncReport(pushed=tally.pushed, pulled=tally.pulled, parked=tally.parked,
                      new_conflicts=tally.new_conflicts, conflicts=status.conflicts, collisions=tally.collisions,
                      held=tally.held, pending=status.pending, warnings=tuple(tally.warnings), error=error,
                      ok=not error)


def schema_mark(columns: dict[str, Iterable[str]]) -> str:
    """A 16-character fingerprint of synced tables and their wire columns (order does not matter)."""
    digest = hashlib.sha256()
    for table in sorted(columns):
        digest.update(f"{table}({','.join(sorted(columns[table]))});".encode())
    return "c" + digest.hexdigest()[:15]


@cache
def pulled_schema_mark() -> str:
    """What this desk can store of pulled records: every synced table with its wire columns, as ``schema_mark``.

    Kept in ``sync_peer.schema_head``. When an upgrade changes it (a synced table or column added), records pulled
    before lacked what the new columns hold, so the desk pulls everything again; a migration that changes nothing
    synced (an index, a local table) costs no download. (Apps before this stored the migration head there.)"""
    return schema_mark({t: codec.column_names for t in synced_tables() if (codec := codec_for(t)) is not None})


def _handshake(ctx: AppContext, client: SyncClient, tally: _Tally) -> tuple[HelloReply, int]:
    """Versions, identity and clocks; returns the server's answer and this desk's cursor after it."""
    desk_time = ctx.now()
    hello = HelloReply.model_validate(client.request(
        "POST", "/sync/hello",
        json=Hello(protocol=PROTOCOL_VERSION, schema_head=SCHEMA_HEAD, app_version=__version__,
                   desk_time=desk_time).model_dump(mode="json")))
    answered = ctx.now()
    skew = round(((desk_time + (answered - desk_time) / 2) - hello.server_time).total_seconds())
    if abs(skew) > CLOCK_SKEW_WARN_S:
        tally.warnings.append(f"本机时钟与服务器相差约 {round(abs(skew) / 60)} 分钟，"
                              "请校准系统时间（登记时间仍以本机为准）")
    with ctx.db.read() as session:
        peer = _peer(session)
        moved = (peer.server_id != hello.server_id or peer.cursor > hello.high_seq
                 or peer.desk_code != (hello.desk_code or peer.desk_code)
                 or peer.clock_skew_s is None or abs(peer.clock_skew_s - skew) > 5
                 or peer.schema_head != pulled_schema_mark())
        cursor = peer.cursor
    if not moved:
        return hello, cursor
    with ctx.db.write() as session:
        peer = _peer(session)
        peer.clock_skew_s = skew
        peer.desk_code = hello.desk_code or peer.desk_code
        if peer.server_id != hello.server_id or peer.cursor > hello.high_seq:
            # a new server, or one restored from a backup: pull everything again and upload anything it may lack;
            # the outbox is kept as it is
            reason = "服务器已更换" if peer.server_id != hello.server_id else "服务器数据已从备份恢复"
            tally.warnings.append(f"{reason}：重新下载全部数据，并补传本机记录")
            peer.server_id, peer.cursor = hello.server_id, 0
            _enqueue_everything(session)  # (the desk's own records; reference data comes back from the server)
        if peer.schema_head != pulled_schema_mark():
            if peer.schema_head != SCHEMA_HEAD:  # (an older app's own migration head: the same schema as now)
                peer.cursor = 0  # upgraded: tables and columns this desk did not store are pulled now
            peer.schema_head = pulled_schema_mark()
        cursor = peer.cursor
    return hello, cursor


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One pushed outbox row: ``wire`` is its mutation as JSON text, the stored record spliced in as it is (the
    outbox keeps it as JSON already: decoding and encoding it again cost a third of the desk's push time)."""

    seq: int
    mutation_id: str
    table_name: str
    record_id: str
    wire: str
    raw_data: str | None
    bumped: int = 0
    """The version this desk's ``sync_row`` already expects after this change (0 for ``ensure``: none)."""

    @property
    def data(self) -> dict[str, Any] | None:
        return json.loads(self.raw_data) if self.raw_data else None


def _next_batch(ctx: AppContext, after: int, busy: set[tuple[str, str]]) -> list[_Outgoing]:
    """Up to ``PUSH_BATCH`` pending outbox rows after ``after``, in outbox order, ending before the first row of a
    record in ``busy`` (a record changed by the batch still in flight: a record's changes are never in two
    batches on the wire at once, so a conflict on its first change still folds the later ones, unsent)."""
    with ctx.db.read() as session:  # plain rows, not ORM objects (building 2000 objects cost ~0.1 s a batch)
        rows = session.execute(select(SyncOutbox.seq, SyncOutbox.mutation_id, SyncOutbox.table_name,
                                      SyncOutbox.record_id, SyncOutbox.op, SyncOutbox.base_version,
                                      type_coerce(SyncOutbox.data, Text), SyncOutbox.created_at,
                                      type_coerce(SyncOutbox.proof, Text))
                               .where(SyncOutbox.state == "pending", SyncOutbox.seq > after)
                               .order_by(SyncOutbox.seq).limit(PUSH_BATCH)).all()
    out: list[_Outgoing] = []
    size = 0
    sealed = personal_fields()
    for seq, mid, table, rid, op, base, raw, created, proof in rows:
        if (table, rid) in busy:
            break
        if table in sealed and raw:  # (personal fields are encrypted in the outbox: opened for the wire only)
            raw = json.dumps(open_personal(table, json.loads(raw)), ensure_ascii=False)
        if _PLAIN.match(mid) and _PLAIN.match(table) and _PLAIN.match(rid):  # (ids: nothing to escape)
            wire = (f'{{"mutation_id": "{mid}", "table": "{table}", "record_id": "{rid}", "op": "{op}", '
                    f'"base_version": {int(base)}, "desk_time": "{created.isoformat()}", "data": {raw or "null"}}}')
        else:
            head = json.dumps({"mutation_id": mid, "table": table, "record_id": rid, "op": op,
                               "base_version": base, "desk_time": created.isoformat()}, ensure_ascii=False)
            wire = f'{head[:-1]}, "data": {raw or "null"}}}'
        if proof and proof != "null":
            wire = f'{wire[:-1]}, "proof": {proof}}}'
        size += len(wire) + 2  # (characters: the server counts bytes, hence the margin of PUSH_BYTES)
        if out and size > PUSH_BYTES:
            break  # the server reads at most MAX_PUSH_BYTES of a push: the rest goes in the next batch
        out.append(_Outgoing(seq, mid, table, rid, wire, raw, 0 if op == "ensure" else base + 1))
    return out


_PLAIN = re.compile(r"[A-Za-z0-9_.:|+-]*\Z")


def _push(ctx: AppContext, client: SyncClient, tally: _Tally) -> None:
    """Push the outbox in batches, in outbox order. While the server applies one batch, the desk stores the
    answer to the previous one (the HTTP call runs on a worker thread): desk and server work at the same time.
    Answers are stored in the order the batches were sent; an error stops the cycle after the batch in flight
    (its answer, if the server applied it, is given again from the server's store at the next cycle)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    after = 0
    in_flight: tuple[list[_Outgoing], Future[dict[str, _Answer]]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-push") as pool:
        try:
            while True:
                busy = {(r.table_name, r.record_id) for r in in_flight[0]} if in_flight else set()
                batch = _next_batch(ctx, after, busy)
                sent = None
                if batch:
                    after = batch[-1].seq
                    sent = (batch, pool.submit(_send, client, [r.wire for r in batch],
                                               [r.mutation_id for r in batch]))
                elif in_flight is None:
                    return
                if in_flight is not None:
                    rows, future = in_flight
                    _store_results(ctx, rows, future.result(), tally)
                in_flight = sent
        finally:
            if in_flight is not None:  # (an error above: let the call in flight end before the cycle does)
                in_flight[1].exception()


@dataclass(slots=True)
class _Answer:
    """The server's answer to one pushed mutation (``protocol.MutationResult``), read without building a pydantic
    model per mutation (thousands per batch)."""

    mutation_id: str
    status: str
    version: int = 0
    reason: str = ""
    server_data: dict[str, Any] | None = None
    server_deleted: bool = False
    collision: dict[str, Any] | None = None

    @classmethod
    def of(cls, r: dict[str, Any]) -> _Answer:
        status = str(r["status"])
        if status not in ("applied", "conflict", "rejected"):
            raise SyncTransportError(f"服务器的应答无法识别（{status[:20]}）")
        return cls(str(r["mutation_id"]), status, int(r.get("version") or 0), str(r.get("reason") or ""),
                   r.get("server_data"), bool(r.get("server_deleted")), r.get("collision"))


def _send(client: SyncClient, wires: list[str], ids: list[str]) -> dict[str, _Answer]:
    """Push a batch; a batch refused as a whole (4xx) is re-sent one by one so only the bad mutation is parked."""
    body = ('{"mutations": [' + ", ".join(wires) + "]}").encode("utf-8")
    try:
        raw = client.request_raw("POST", "/sync/push", body)
        try:
            return {a.mutation_id: a for a in map(_Answer.of, json.loads(raw)["results"])}
        except (KeyError, TypeError, ValueError) as exc:  # (not the answer of a reception server: try later)
            raise SyncTransportError(f"服务器的应答无法识别（{type(exc).__name__}）") from exc
    except SyncRefused as exc:
        if exc.fatal:
            raise
        if len(wires) == 1:
            return {ids[0]: _Answer(ids[0], "rejected", reason=exc.message)}
    out: dict[str, _Answer] = {}
    for wire, mid in zip(wires, ids, strict=True):
        out.update(_send(client, [wire], [mid]))
    return out


def _store_results(ctx: AppContext, rows: Sequence[_Outgoing], results: dict[str, _Answer],
                   tally: _Tally) -> None:
    """``rows``: the pushed outbox rows, in the order they were sent."""
    now = utcnow()
    with ctx.db.write() as session:
        session.info[APPLYING_KEY] = True
        done: list[int] = []
        acked: list[tuple[str, str, int]] = []
        folded: set[tuple[str, str]] = set()
        for row in rows:
            result = results.get(row.mutation_id)
            if result is None:
                continue
            key = (row.table_name, row.record_id)
            if result.status == "applied":
                done.append(row.seq)
                if result.version != row.bumped:  # (else sync_row has it since the change)
                    acked.append((row.table_name, row.record_id, result.version))
                tally.pushed += 1
                if result.collision:
                    tally.collisions += 1
                    session.add(SyncConflict(kind="collision", table_name=row.table_name, record_id=row.record_id,
                                             mutation_id=row.mutation_id, local_data=row.data,
                                             server_data=result.collision, server_version=result.version,
                                             message=f"案件编号 {result.collision.get('case_no')} 与另一案件重复",
                                             detected_at=now))
            elif result.status == "rejected":
                live = session.get(SyncOutbox, row.seq)
                if live is not None:
                    live.state, live.error, live.attempts = "parked", result.reason[:400], live.attempts + 1
                tally.parked += 1
            else:  # conflict: keep both sides; this record's later pending changes are folded into it
                done.append(row.seq)
                if key in folded:
                    continue
                folded.add(key)
                local = _local_data(session, row.table_name, row.record_id) or row.data
                session.add(SyncConflict(kind="version", table_name=row.table_name, record_id=row.record_id,
                                         mutation_id=row.mutation_id, local_data=local,
                                         server_data=None if result.server_deleted else result.server_data,
                                         server_version=result.version, message=result.reason[:400],
                                         detected_at=now))
                _set_version(session, key, result.version, keep_higher=False)
                tally.new_conflicts += 1
        _upsert_versions(session, acked, keep_higher=True)
        if done:
            for start in range(0, len(done), 500):
                session.execute(delete(SyncOutbox).where(SyncOutbox.seq.in_(done[start:start + 500]))
                                .execution_options(synchronize_session=False))  # (no objects loaded to sync)
        for table, record_id in folded:
            session.execute(delete(SyncOutbox).where(SyncOutbox.table_name == table,
                                                     SyncOutbox.record_id == record_id,
                                                     SyncOutbox.state == "pending"))


def _set_version(session: Session, key: tuple[str, str], version: int, *, keep_higher: bool) -> None:
    row = session.get(SyncRow, key)
    if row is None:
        session.add(SyncRow(table_name=key[0], record_id=key[1], version=version))
    elif not keep_higher or version > row.version:
        row.version = version


def _local_data(session: Session, table: str, record_id: str) -> dict[str, Any] | None:
    codec = codec_for(table)
    if codec is None:
        return None
    obj = session.get(codec.model, codec.key_of(record_id))  # (a holiday's key is a date, a year's an integer)
    return codec.encode(obj) if obj is not None else None


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
                        with ctx.db.write() as session:
                            _apply_batch(ctx, session, reply, tally, strict=True)
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
    known = _preload(session, records)
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
        _recompute_all_clocks(ctx, session)
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
        for values in rows.values():
            row = {column_of[attr]: value for attr, value in values.items()}
            groups.setdefault(frozenset(row), []).append(row)
        for group in groups.values():
            for start in range(0, len(group), 1000):
                conn.execute(insert(target), group[start:start + 1000])


def _recompute_all_clocks(ctx: AppContext, session: Session) -> None:
    """The centre's calendar or clock rules came from the server (another desk's administrator changed them): reload
    the working-day calendar and bring every stored clock in line, in the pulled batch's transaction (as the desk that
    made the change did: ``lifecycle.service.recompute_clocks_in_session``)."""
    from reception.lifecycle.service import recompute_clocks_in_session
    from reception.roster.holidays import load_work_calendar

    session.flush()
    ctx.calendar = load_work_calendar(session)
    recompute_clocks_in_session(session, ctx.calendar, today=ctx.now().date())


def _preload(session: Session, records: list[PulledRecord]) -> dict[str, set[str]]:
    """Load the existing rows of a batch with one query per table (so applying does not query row by row);
    returns, per table with a single-column key, the ids that exist here."""
    by_table: dict[str, list[str]] = {}
    for rec in records:
        by_table.setdefault(rec.table, []).append(rec.record_id)
    known: dict[str, set[str]] = {}
    for table, ids in by_table.items():
        codec = codec_for(table)
        if codec is None or len(codec.pk) != 1 or codec.pk[0].kind != "raw":
            continue
        col = getattr(codec.model, codec.pk[0].attr)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            for obj in session.scalars(select(codec.model).where(col.in_(ids[start:start + 500]))):
                found.add(str(getattr(obj, codec.pk[0].attr)))
        known[table] = found
    return known


@cache
def _bulk_insertable(table: str) -> bool:
    """Whether new rows of ``table`` may skip the unit of work: its mapper has no insert events (the petitioner's
    blind indexes are filled by one, so petitioners always go through the ORM flush)."""
    codec = codec_for(table)
    if codec is None or len(codec.pk) != 1 or codec.pk[0].kind != "raw":
        return False
    dispatch = sa_inspect(codec.model).dispatch
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
    from the server: one query for all their events, one delete and one insert (as ``lifecycle.load_state``)."""
    from sqlalchemy import Table, insert

    from reception.db.models import CaseClock, CaseEvent
    from reception.domain.enums import CaseStatus
    from reception.lifecycle.machine import Event, fold
    from reception.lifecycle.service import clock_rows, load_settings

    st = load_settings(session)
    ids = sorted(set(case_ids))
    clock_table: Table = CaseClock.__table__  # type: ignore[assignment]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(chunk)))}
        events: dict[str, list[Event]] = {cid: [] for cid in cases}
        for row in session.execute(select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.occurred_on,
                                          CaseEvent.actor_id, CaseEvent.unit_id, CaseEvent.data)
                                   .where(CaseEvent.case_id.in_(list(cases)))
                                   .order_by(CaseEvent.case_id, CaseEvent.occurred_at, CaseEvent.id)):
            events[row.case_id].append(Event(row.kind, row.occurred_on, row.actor_id, row.unit_id, row.data or {}))
        session.execute(delete(CaseClock).where(CaseClock.case_id.in_(list(cases))))
        rows: list[dict[str, Any]] = []
        for cid, case in cases.items():
            state = fold(events[cid], content_class=case.content_class)
            if not events[cid]:
                state.status, state.received_on = CaseStatus.parse(case.status), case.registered_on
                state.unit_id = case.unit_id
            rows.extend(clock_rows(cid, state, ctx.calendar, st))
        if rows:
            session.execute(insert(clock_table), rows)


# -- status, lists and conflict resolution for the UI ----------------------------------------------------------


def sync_status(ctx: AppContext) -> SyncStatus:
    with ctx.db.read() as session:
        peer = session.get(SyncPeer, 1)
        pending, oldest = session.execute(select(func.count(), func.min(SyncOutbox.created_at))
                                          .where(SyncOutbox.state == "pending")).one()
        parked = session.scalar(select(func.count()).select_from(SyncOutbox)
                                .where(SyncOutbox.state == "parked")) or 0
        conflicts = session.scalar(select(func.count()).select_from(SyncConflict)
                                   .where(SyncConflict.state == "open")) or 0
        if oldest is not None and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        if peer is None:
            return SyncStatus(enrolled=False, pending=pending, oldest_pending=oldest, parked=parked,
                              conflicts=conflicts)
        return SyncStatus(enrolled=True, server_url=peer.server_url, desk_code=peer.desk_code, pending=pending,
                          oldest_pending=oldest, parked=parked, conflicts=conflicts,
                          offline_since=peer.offline_since, last_error=peer.last_error,
                          last_success_at=peer.last_success_at, clock_skew_s=peer.clock_skew_s)


def list_outbox(ctx: AppContext, *, state: str = "pending", limit: int = 500) -> list[OutboxItem]:
    with ctx.db.read() as session:
        rows = session.scalars(select(SyncOutbox).where(SyncOutbox.state == state)
                               .order_by(SyncOutbox.seq).limit(limit))
        return [OutboxItem(r.seq, r.table_name, r.record_id, r.op, r.created_at, r.state, r.attempts, r.error)
                for r in rows]


def retry_parked(ctx: AppContext, seq: int | None = None) -> int:
    """Send parked changes again at the next sync (after the cause was fixed, e.g. a newer server)."""
    with ctx.db.write() as session:
        rows = session.scalars(select(SyncOutbox).where(SyncOutbox.state == "parked",
                                                        *([SyncOutbox.seq == seq] if seq is not None else [])))
        n = 0
        for row in rows:
            row.state, n = "pending", n + 1
        return n


def _differing(local: dict[str, Any] | None, server: dict[str, Any] | None) -> tuple[str, ...]:
    if local is None or server is None:
        return tuple(sorted(set(local or {}) | set(server or {})))
    return tuple(sorted(k for k in set(local) | set(server) if local.get(k) != server.get(k)))


def list_conflicts(ctx: AppContext, *, state: str = "open") -> list[ConflictView]:
    with ctx.db.read() as session:
        rows = session.scalars(select(SyncConflict).where(SyncConflict.state == state)
                               .order_by(SyncConflict.detected_at))
        return [ConflictView(c.id, c.kind, c.table_name, c.record_id, c.local_data, c.server_data,
                             c.server_version, c.message, c.detected_at, c.state, c.resolution,
                             _differing(c.local_data, c.server_data) if c.kind == "version" else ())
                for c in rows]


def resolve_conflict(ctx: AppContext, conflict_id: str, choice: str,
                     merged: dict[str, Any] | None = None) -> ConflictView:
    """Settle a conflict: ``local`` (send this desk's version), ``server`` (take the server's), ``merged``
    (``merged`` holds the chosen column values, wire format; sent as a new change against the server's version)
    or, for collisions and apply problems, ``acknowledge``. The change goes through the outbox like any other."""
    with ctx.db.write() as session:
        conflict = session.get(SyncConflict, conflict_id)
        if conflict is None or conflict.state != "open":
            raise SyncError("该冲突不存在或已处理", key="conflict_not_open")
        codec = codec_for(conflict.table_name)
        if conflict.kind != "version" or codec is None:
            if choice != "acknowledge":
                raise SyncError("此类问题只能确认知悉", key="conflict_choice")
        elif choice == "server":
            session.info[APPLYING_KEY] = True
            _apply_one(session, PulledRecord(seq=0, table=conflict.table_name, record_id=conflict.record_id,
                                             version=conflict.server_version, deleted=conflict.server_data is None,
                                             data=conflict.server_data or conflict.local_data))
            session.flush()
            _set_version(session, (conflict.table_name, conflict.record_id), conflict.server_version,
                         keep_higher=False)
            session.info[APPLYING_KEY] = False
            if conflict.table_name in CLOCK_INPUTS or (conflict.table_name == "centre_setting"
                                                       and conflict.record_id in CLOCK_SETTINGS):
                _recompute_all_clocks(ctx, session)  # (the calendar or a clock rule changed: as when pulled)
            elif conflict.table_name in PROJECTED_FROM_EVENTS:
                _reproject(ctx, session, [conflict.record_id])
        elif choice in ("local", "merged"):
            _set_version(session, (conflict.table_name, conflict.record_id), conflict.server_version,
                         keep_higher=False)
            session.flush()
            obj = session.get(codec.model, codec.key_of(conflict.record_id))
            if obj is None:
                base = conflict.local_data or conflict.server_data or {}
                obj = codec.model(**codec.decode(base))
                session.add(obj)
            if choice == "merged":
                if not merged:
                    raise SyncError("请给出合并后的内容", key="merged_missing")
                unknown = set(merged) - codec.columns()
                if unknown:
                    raise SyncError(f"未知字段：{'、'.join(sorted(unknown))}", key="merged_unknown")
                for attr, value in codec.decode(merged).items():
                    setattr(obj, attr, value)
            session.flush()  # a changed row goes to the outbox by itself (against the server's version)
            if not captured(session, conflict.table_name, conflict.record_id):
                enqueue(session, [("upsert", obj)])  # unchanged here: send the local row as it is
        else:
            raise SyncError(f"未知的处理方式：{choice}", key="conflict_choice")
        conflict.state, conflict.resolution, conflict.resolved_at = "resolved", choice, utcnow()
        session.flush()
        return ConflictView(conflict.id, conflict.kind, conflict.table_name, conflict.record_id,
                            conflict.local_data, conflict.server_data, conflict.server_version, conflict.message,
                            conflict.detected_at, conflict.state, conflict.resolution)


# -- the audit chain against the server's copy ------------------------------------------------------------------


def audit_against_server(ctx: AppContext, *, client_factory: ClientFactory = _default_client) -> tuple[list[str], str]:
    """Compare this desk's audit chains with the heads the server keeps of what it pushed: an entry the server has
    that is missing here (a truncated tail) or differs (a rewritten one) is a problem. Returns (problems, note): the
    note says when no comparison was possible (not enrolled, offline)."""
    from reception.db.models import AuditEntry
    from reception.sync.protocol import AuditHeadsReply

    with ctx.db.read() as session:
        peer = session.get(SyncPeer, 1)
        if peer is None:
            return [], "本工位未登记到服务器，未与服务器核对"
        url, client_id, store = peer.server_url, peer.client_id, peer.token_store
    try:
        token = credentials.load_token(ctx.paths.root, client_id, store)
        with client_factory(url, token) as client:
            reply = AuditHeadsReply.model_validate(client.request("GET", "/sync/audit-heads"))
    except (SyncTransportError, SyncRefused) as exc:
        return [], f"无法与服务器核对审计链尾：{exc}"
    problems: list[str] = []
    with ctx.db.read() as session:
        for head in reply.heads:
            local = session.scalar(select(AuditEntry.hash).where(AuditEntry.chain == head.chain,
                                                                 AuditEntry.seq == head.seq))
            last = session.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.chain == head.chain)) or 0
            if local is None:
                problems.append(f"工位链 {head.chain}：服务器已保存到第{head.seq}条，本机只有到第{last}条"
                                "（本机审计记录被截断或删除）")
            elif local != head.hash:
                problems.append(f"工位链 {head.chain} 第{head.seq}条与服务器保存的不符（本机审计记录被改写）")
    return problems, ""
