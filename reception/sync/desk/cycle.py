"""One sync cycle: a handshake (protocol and schema versions, the server's identity and clock), the push, then the
pull when the server has anything newer."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception import __version__, heap
from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.migrate import SCHEMA_HEAD
from reception.envfail import environment_reason
from reception.sync import credentials
from reception.sync.client import SyncClient, SyncRefused, SyncTransportError
from reception.sync.codec import codec_for
from reception.sync.desk.common import ClientFactory, SyncReport, _default_client, _peer, _Tally
from reception.sync.desk.pull import _pull
from reception.sync.desk.push import _push
from reception.sync.desk.status import settle_competing_merges, sync_status
from reception.sync.outbox import enqueue
from reception.sync.protocol import CLOCK_SKEW_WARN_S, PROTOCOL_VERSION, Hello, HelloReply
from reception.sync.registry import synced_tables, uploaded_at_enrolment

log = logging.getLogger(__name__)


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
            settle_competing_merges(ctx)  # (two merges of one record: the server's first stands, at every desk)
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
