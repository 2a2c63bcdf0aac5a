"""For the sync page: the status, the outbox, the parked rows, the conflicts and their resolution, and the audit
chain against the server's copy.

The reads (status, outbox, conflicts) import neither the client (httpx) nor the protocol's models (pydantic): the
sync page shows them at start; resolving a conflict and the audit check import what they need."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.models import SyncConflict, SyncOutbox, SyncPeer
from reception.domain.workcalendar import WorkCalendar
from reception.sync import credentials
from reception.sync.codec import codec_for
from reception.sync.desk.common import ClientFactory, ConflictView, OutboxItem, SyncError, SyncStatus, _default_client
from reception.sync.outbox import APPLYING_KEY, captured, enqueue
from reception.sync.registry import CLOCK_INPUTS, CLOCK_SETTINGS, PROJECTED_FROM_EVENTS


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
    from reception.sync.desk.pull import _apply_one, _recompute_all_clocks, _reproject
    from reception.sync.desk.push import _set_version
    from reception.sync.protocol import PulledRecord

    calendar: WorkCalendar | None = None
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
                calendar = _recompute_all_clocks(ctx, session)  # (the calendar or a clock rule changed: as pulled)
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
        view = ConflictView(conflict.id, conflict.kind, conflict.table_name, conflict.record_id,
                            conflict.local_data, conflict.server_data, conflict.server_version, conflict.message,
                            conflict.detected_at, conflict.state, conflict.resolution)
    if calendar is not None:  # (committed)
        ctx.calendar = calendar
    return view


MERGE_TABLES = ("petition_case", "petitioner")
MERGE_MARK_ONLY = frozenset({"merged_into", "updated_at", "version"})
"""A version conflict that differs only in these columns is two merges of one record competing
(``settle_competing_merges``)."""
COMPETING_MERGE = "merge_first"
"""The resolution of a competing merge settled by sync: the merge the server had first stands."""


def competing_merge(local: dict[str, Any] | None, server: dict[str, Any] | None) -> bool:
    """Both sides merged the record, into different records, and changed nothing else."""
    return (local is not None and server is not None and bool(local.get("merged_into"))
            and bool(server.get("merged_into")) and set(_differing(local, server)) <= MERGE_MARK_ONLY)


def settle_competing_merges(ctx: AppContext) -> int:
    """Two desks merged one case (or one petitioner's record) offline into different ones: the merge that reached
    the server first stands, the second's change of the record was stored as a version conflict. Such a conflict
    is settled here for the server's side, so every desk reads the record as merged into the same survivor; it
    stays stored, both sides kept (resolution ``merge_first``), and the second desk's merge record and merge event
    stay too: its merge shows as superseded (``merge.service.MergeRecord.superseded``) for an administrator to undo
    (the survivor's receipt date then counts without the record). Returns how many were settled."""
    with ctx.db.read() as session:
        found = [c.id for c in session.scalars(select(SyncConflict).where(
            SyncConflict.state == "open", SyncConflict.kind == "version", SyncConflict.table_name.in_(MERGE_TABLES)))
            if competing_merge(c.local_data, c.server_data)]
    for conflict_id in found:
        resolve_conflict(ctx, conflict_id, "server")
        with ctx.db.write() as session:
            conflict = session.get(SyncConflict, conflict_id)
            if conflict is not None:
                conflict.resolution = COMPETING_MERGE
    return len(found)


def audit_against_server(ctx: AppContext, *, client_factory: ClientFactory = _default_client) -> tuple[list[str], str]:
    """Compare this desk's audit chains with the heads the server keeps of what it pushed: an entry the server has
    that is missing here (a truncated tail) or differs (a rewritten one) is a problem. Returns (problems, note): the
    note says when no comparison was possible (not enrolled, offline)."""
    from reception.db.models import AuditEntry
    from reception.sync.client import SyncRefused, SyncTransportError
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
