"""The push: the outbox sent in batches in outbox order, each batch's answers stored in one write transaction
(applied rows leave the outbox, conflicts are stored with both sides, rejected rows are parked with the reason)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, delete, select, type_coerce
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.models import SyncConflict, SyncOutbox, SyncRow, encrypted_columns
from reception.sync.client import SyncClient, SyncRefused, SyncTransportError
from reception.sync.codec import codec_for
from reception.sync.desk.common import _Tally
from reception.sync.desk.pull import _upsert_versions
from reception.sync.outbox import APPLYING_KEY, mark_sent, open_personal
from reception.sync.protocol import MAX_PUSH_BYTES, AnswerUnreadable, PushAnswer

PUSH_BATCH = 2000
PUSH_BYTES = MAX_PUSH_BYTES // 3
"""A batch's mutations, in characters, at most a third of the server's limit in bytes (a Chinese character is
three bytes of UTF-8); a single mutation larger than the limit is refused (413) and parked."""


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
    # a write transaction: the rows read are marked as handed to the server in it (``outbox.mark_sent``), so an undo
    # of an import, which deletes unsent rows in a write transaction of its own, either comes first or sees them sent
    with ctx.db.write() as session:  # plain rows, not ORM objects (building 2000 objects cost ~0.1 s a batch)
        out = _batch_of(session, after, busy)
        if out:
            mark_sent(session, out[-1].seq)
    return out


def _batch_of(session: Session, after: int, busy: set[tuple[str, str]]) -> list[_Outgoing]:
    rows = session.execute(select(SyncOutbox.seq, SyncOutbox.mutation_id, SyncOutbox.table_name,
                                  SyncOutbox.record_id, SyncOutbox.op, SyncOutbox.base_version,
                                  type_coerce(SyncOutbox.data, Text), SyncOutbox.created_at,
                                  type_coerce(SyncOutbox.proof, Text))
                           .where(SyncOutbox.state == "pending", SyncOutbox.seq > after)
                           .order_by(SyncOutbox.seq).limit(PUSH_BATCH)).all()
    out: list[_Outgoing] = []
    size = 0
    sealed = encrypted_columns()
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
    in_flight: tuple[list[_Outgoing], Future[dict[str, PushAnswer]]] | None = None
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


def _send(client: SyncClient, wires: list[str], ids: list[str]) -> dict[str, PushAnswer]:
    """Push a batch; a batch refused as a whole (4xx) is re-sent one by one so only the bad mutation is parked."""
    body = ('{"mutations": [' + ", ".join(wires) + "]}").encode("utf-8")
    try:
        raw = client.request_raw("POST", "/sync/push", body)
        try:
            return {a.mutation_id: a for a in map(PushAnswer.of, json.loads(raw)["results"])}
        except AnswerUnreadable as exc:
            raise SyncTransportError(str(exc)) from exc
        except (KeyError, TypeError, ValueError) as exc:  # (not the answer of a reception server: try later)
            raise SyncTransportError(f"服务器的应答无法识别（{type(exc).__name__}）") from exc
    except SyncRefused as exc:
        if exc.fatal:
            raise
        if len(wires) == 1:
            return {ids[0]: PushAnswer(ids[0], "rejected", reason=exc.message)}
    out: dict[str, PushAnswer] = {}
    for wire, mid in zip(wires, ids, strict=True):
        out.update(_send(client, [wire], [mid]))
    return out


def _store_results(ctx: AppContext, rows: Sequence[_Outgoing], results: dict[str, PushAnswer],
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
