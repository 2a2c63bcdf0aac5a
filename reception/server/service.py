"""The server's use cases: enrolment and revocation, idempotent push, pull by sequence, the unit API, imports.

Every write that creates records takes the sequence counter's row lock first and keeps it until commit, so the
sequence numbers a puller sees are always a gap-free prefix (no record can commit later with a smaller number).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Connection,
    String,
    Table,
    Text,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from reception.db.base import new_id, utcnow
from reception.domain.case_numbers import CASE_NO_RE
from reception.domain.errors import NotFoundError
from reception.server import casework, validate
from reception.server.authority import Authority
from reception.server.db import ServerDatabase
from reception.server.errors import ServerError as ServerError  # (its old home: callers import it from here)
from reception.server.models import AppliedMutation, AuditHead, Client, Conflict, Counter, Record
from reception.server.protect import Sealer
from reception.sync.checks import RECORD_ID_RE
from reception.sync.codec import codec_for
from reception.sync.proof import canonical_json, content_digest_of
from reception.sync.protocol import (
    AuditHeadOut,
    AuditHeadsReply,
    EnrollReply,
    EnrollRequest,
    Mutation,
    PulledRecord,
    PullReply,
    PushAnswer,
    UnitCase,
    UnitEventIn,
    UnitEventReply,
)
from reception.sync.registry import APPEND_ONLY, TABLES, Direction, synced_tables

ENROL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: the code is read out and typed by hand
RECORD = cast(Table, Record.__table__)
APPLIED = cast(Table, AppliedMutation.__table__)
CONFLICT = cast(Table, Conflict.__table__)
CHUNK = 500


def hash_secret(secret: str) -> str:
    """Tokens and enrolment codes are long random strings: a plain SHA-256 is enough (no dictionary to attack)."""
    return hashlib.sha256(secret.strip().encode("utf-8")).hexdigest()


def _normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def _lock_counter(session: Session) -> Counter:
    counter = session.scalar(select(Counter).where(Counter.name == "seq").with_for_update())
    assert counter is not None, "server database not initialised"
    return counter


# -- administration ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientView:
    id: str
    kind: str
    name: str
    desk_code: str
    state: str
    created_at: datetime
    enrolled_at: datetime | None
    last_seen_at: datetime | None


def add_desk(db: ServerDatabase, name: str) -> tuple[str, str]:
    """Register a desk to be enrolled; returns (client id, one-time enrolment code, shown once, stored hashed)."""
    name = name.strip()
    if not name:
        raise ServerError(400, "请填写工位名称")
    raw = "".join(secrets.choice(ENROL_ALPHABET) for _ in range(12))
    code = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
    with db.session() as s:
        client = Client(kind="desk", name=name, enrol_code_hash=hash_secret(_normalise_code(code)))
        s.add(client)
        s.flush()
        return client.id, code


def add_unit(db: ServerDatabase, unit: str) -> tuple[str, str]:
    """Give a handling unit (by code or id, from the synced directory) a token for the unit API."""
    with db.session() as s:
        found = None
        for rid, data in s.execute(select(Record.record_id, Record.data)
                                   .where(Record.table_name == "unit", Record.deleted.is_(False))):
            if data and (rid == unit or data.get("code") == unit):
                found = (rid, data)
                break
        if found is None:
            raise ServerError(404, f"服务器上没有单位“{unit}”（请先导入基础数据）")
        token = secrets.token_urlsafe(32)
        client = Client(kind="unit", name=str(found[1].get("name", unit)), unit_id=found[0],
                        token_hash=hash_secret(token), enrolled_at=utcnow())
        s.add(client)
        s.flush()
        return client.id, token


def _find_client(s: Session, ref: str) -> Client:
    ref = ref.strip()
    found = s.scalar(select(Client).where((Client.id == ref) | (Client.desk_code == ref.upper())))
    if found is None:
        hits = list(s.scalars(select(Client).where(Client.name == ref)))
        if len(hits) == 1:
            found = hits[0]
    if found is None:
        raise ServerError(404, f"没有工位或单位“{ref}”")
    return found


def revoke(db: ServerDatabase, ref: str) -> ClientView:
    """Revoke a desk (by desk code, id or name) or a unit: its token is refused from the next request on."""
    with db.session() as s:
        client = _find_client(s, ref)
        if client.revoked_at is None:
            client.revoked_at = utcnow()
        client.enrol_code_hash = None
        return _view(client)


def _view(c: Client) -> ClientView:
    state = "revoked" if c.revoked_at else ("enrolled" if c.enrolled_at else "waiting")
    return ClientView(c.id, c.kind, c.name, c.desk_code or "", state, c.created_at, c.enrolled_at, c.last_seen_at)


def list_clients(db: ServerDatabase) -> list[ClientView]:
    with db.read() as s:
        return [_view(c) for c in s.scalars(select(Client).order_by(Client.created_at))]


def authenticate(db: ServerDatabase, token: str, *, kind: str) -> Client:
    if not token:
        raise ServerError(401, "缺少访问令牌：请先登记本工位（reception enroll）")
    with db.read() as s:
        client = s.scalar(select(Client).where(Client.token_hash == hash_secret(token)))
        if client is None:
            raise ServerError(401, "访问令牌无效：请重新登记本工位（reception enroll）")
        if client.revoked_at is not None:
            raise ServerError(403, "本工位已被管理员停用，服务器拒绝同步。请联系系统管理员。")
        if client.kind != kind:
            raise ServerError(403, "此令牌不能访问该接口")
        s.expunge(client)
    now = utcnow()
    if client.last_seen_at is None or (now - client.last_seen_at).total_seconds() > 60:
        client.last_seen_at = now
        with db.session() as s:
            s.execute(update(Client).where(Client.id == client.id).values(last_seen_at=now))
    return client


def _next_desk_code(s: Session) -> str:
    used = {c for c in s.scalars(select(Client.desk_code).where(Client.desk_code.is_not(None)))}
    for data in s.scalars(select(Record.data).where(Record.table_name == "desk")):
        if data and data.get("code"):
            used.add(str(data["code"]))
    n = 1
    while f"D{n:02d}" in used:
        n += 1
    return f"D{n:02d}"


def _desk_id_taken(s: Session, desk_id: str, client_id: str) -> bool:
    """Whether ``desk_id`` already belongs to another client that is still allowed to sync: a newcomer claiming it
    would take over that desk's row and code, and the victim's next case numbers would carry the newcomer's prefix.
    (A PC whose earlier enrolment was revoked by the administrator may enrol again with its own desk row.)"""
    return s.scalar(select(Client.id).where(Client.desk_id == desk_id, Client.id != client_id,
                                            Client.revoked_at.is_(None))) is not None


def enroll(db: ServerDatabase, req: EnrollRequest) -> EnrollReply:
    server_id = db.server_id()
    with db.session() as s:
        counter = _lock_counter(s)
        client = s.scalar(select(Client).where(Client.enrol_code_hash == hash_secret(_normalise_code(req.code))))
        if client is None or client.kind != "desk":
            raise ServerError(401, "登记码无效或已经用过：请向管理员索取新的登记码")
        if client.revoked_at is not None:
            raise ServerError(403, "该工位已被管理员停用")
        code = _next_desk_code(s)
        desk_id = req.desk_id or new_id()
        if _desk_id_taken(s, desk_id, client.id):
            desk_id = new_id()  # another desk's row: this desk gets its own (identity comes from enrolment only)
        token = secrets.token_urlsafe(32)
        client.desk_code, client.desk_id = code, desk_id
        client.token_hash, client.enrol_code_hash = hash_secret(token), None
        client.enrolled_at = client.last_seen_at = utcnow()
        existing = s.get(Record, ("desk", desk_id))
        data = {"id": desk_id, "code": code, "name": client.name,
                "unit_name": req.unit_name.strip() or "区信访接待中心"}
        counter.value += 1
        if existing is None:
            s.add(Record(table_name="desk", record_id=desk_id, version=1, seq=counter.value, deleted=False,
                         data=data, origin="admin"))
        else:
            existing.version += 1
            existing.seq, existing.data, existing.deleted = counter.value, data, False
        return EnrollReply(server_id=server_id, client_id=client.id, desk_code=code, desk_id=desk_id,
                           token=token)


# -- push ------------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rec:
    version: int
    deleted: bool
    data: dict[str, Any] | None
    exists: bool
    natural_key: str | None = None
    changed: bool = False
    seq: int = 0
    desk_time: datetime | None = None
    owner: str = ""
    """The client that created the record (``record.owner``)."""
    text: str | None = None
    """``data`` as canonical JSON when the push already encoded it (for its digest): stored as it is."""


@dataclass(slots=True)
class _Batch:
    client: Client
    now: datetime
    seq: int
    sealer: Sealer
    """Records are kept plain in memory and sealed when written (``reception.server.protect``)."""
    records: dict[tuple[str, str], _Rec] = field(default_factory=dict)
    case_nos: dict[str, str] = field(default_factory=dict)
    blocked: set[tuple[str, str]] = field(default_factory=set)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    accusations: dict[str, str] = field(default_factory=dict)
    """mutation id -> why applying it would hand an accusation to a unit it accuses (stored as a conflict)."""


def _key_in(s: Session, column: Any, values: list[str]) -> list[Any]:
    """``column IN values`` as WHERE clauses, one per chunk. On PostgreSQL one ``= ANY(array)`` with a single
    array parameter: compiling an expanding IN of thousands of bound values cost more than running it."""
    if not values:
        return []
    if s.get_bind().dialect.name == "postgresql":
        # one text parameter split by PostgreSQL (psycopg's list dumper checks every element with a regex); ids
        # never hold the unit separator
        joined = bindparam(None, "\x1f".join(values), type_=String)
        return [column == any_(func.string_to_array(joined, literal("\x1f", String)))]
    return [column.in_(values[start:start + CHUNK]) for start in range(0, len(values), CHUNK)]


def _load(s: Session, batch: _Batch, keys: set[tuple[str, str]], case_nos: set[str]) -> None:
    by_table: dict[str, list[str]] = {}
    for t, r in keys:
        by_table.setdefault(t, []).append(r)
    for table, ids in by_table.items():  # one primary-key range per table
        for clause in _key_in(s, Record.record_id, ids):
            rows = s.execute(select(Record.record_id, Record.version, Record.deleted, Record.data,
                                    Record.natural_key, Record.owner).where(Record.table_name == table, clause))
            for r, v, deleted, data, nk, owner in rows:
                batch.records[(table, r)] = _Rec(v, deleted, batch.sealer.open(table, data), True, nk, owner=owner)
    for clause in _key_in(s, Record.natural_key, sorted(case_nos)):
        for rid, nk in s.execute(select(Record.record_id, Record.natural_key).where(
                Record.table_name == "petition_case", clause)):
            if nk is not None:
                batch.case_nos.setdefault(nk, rid)


def _accused_in_store(s: Session, case_ids: list[str]) -> dict[str, set[str]]:
    """The accused units (``accused_unit`` events) the server holds for these cases."""
    out: dict[str, set[str]] = {cid: set() for cid in case_ids}
    if not case_ids:
        return out
    kind, case_id = Record.data["kind"].as_string(), Record.data["case_id"].as_string()
    for start in range(0, len(case_ids), CHUNK):
        for data in s.scalars(select(Record.data).where(
                Record.table_name == "case_event", Record.deleted.is_(False), kind == "accused_unit",
                case_id.in_(case_ids[start:start + CHUNK]))):
            if data and data.get("unit_id"):
                out.setdefault(str(data.get("case_id")), set()).add(str(data["unit_id"]))
    return out


def _check_accusations(s: Session, batch: _Batch, fresh: list[Mutation]) -> None:
    """Find the mutations that would route an accusation to a unit it accuses, whichever desk recorded what
    (two desks offline: one records the accused unit, the other routes the case to it): each becomes a conflict
    for a person (``batch.accusations``), never a stored routing."""
    routing = [m for m in fresh if m.op != "delete" and isinstance(m.data, dict) and (
        (m.table == "petition_case" and m.data.get("unit_id"))
        or (m.table == "case_event" and m.data.get("kind") in ("assigned", "forwarded")))]
    if not routing:
        return
    cases: dict[str, dict[str, Any] | None] = {}
    for m in fresh:  # the case as the batch leaves it
        if m.table == "petition_case" and isinstance(m.data, dict):
            cases[m.record_id] = m.data
    wanted = {cid for m in routing if m.data is not None and RECORD_ID_RE.match(
        cid := m.record_id if m.table == "petition_case" else str(m.data.get("case_id") or ""))}
    for cid in wanted - set(cases):
        rec = batch.records.get(("petition_case", cid))
        if rec is None:
            row = s.get(Record, ("petition_case", cid))
            cases[cid] = batch.sealer.open("petition_case", row.data) if row is not None else None
        else:
            cases[cid] = rec.data
    accusations = sorted(c for c in wanted if (cases.get(c) or {}).get("content_class") == validate.ACCUSATION)
    if not accusations:
        return
    accused = _accused_in_store(s, accusations)
    for m in fresh:
        if m.table == "case_event" and isinstance(m.data, dict) and m.data.get("kind") == "accused_unit":
            accused.setdefault(str(m.data.get("case_id")), set()).add(str(m.data.get("unit_id")))
    for m in routing:
        assert m.data is not None
        cid = m.record_id if m.table == "petition_case" else str(m.data.get("case_id") or "")
        problem = validate.accusation_problem(m.table, m.data, cases.get(cid), accused.get(cid, set()))
        if problem:
            batch.accusations[m.mutation_id] = problem


def _natural_key(table: str, data: dict[str, Any] | None) -> str | None:
    if table == "petition_case" and data and data.get("case_no"):
        return str(data["case_no"])
    return None


Answer = dict[str, Any]
"""A mutation's answer in its wire form (``protocol.PushAnswer.wire()``), as it is sent and stored."""


def _answer(mutation_id: str, status: str, version: int = 0, **extra: Any) -> Answer:
    return PushAnswer(mutation_id, status, version, **extra).wire()


def _conflict(batch: _Batch, m: Mutation, cur: _Rec, reason: str) -> Answer:
    key = (m.table, m.record_id)
    batch.blocked.add(key)
    batch.conflicts.append({"id": new_id(), "kind": "version", "table_name": m.table, "record_id": m.record_id,
                            "client_id": batch.client.id, "mutation_id": m.mutation_id,
                            "base_version": m.base_version, "server_version": cur.version,
                            "desk_data": batch.sealer.seal(m.table, m.data),
                            "server_data": batch.sealer.seal(m.table, cur.data), "detected_at": batch.now})
    return _answer(m.mutation_id, "conflict", cur.version, reason=reason, server_data=cur.data,
                   server_deleted=cur.deleted)


def _write(batch: _Batch, m: Mutation, key: tuple[str, str], cur: _Rec | None, version: int,
           data: dict[str, Any] | None, deleted: bool, text: str | None = None) -> Answer:
    """Store ``data`` (``text``: its canonical JSON, if known) as the record's new version."""
    batch.seq += 1
    rec = cur or _Rec(0, False, None, False, owner=batch.client.id)
    rec.version, rec.data, rec.deleted, rec.changed, rec.seq = version, data, deleted, True, batch.seq
    rec.text = text
    rec.desk_time = m.desk_time
    batch.records[key] = rec
    collision = None
    nk = _natural_key(m.table, data)
    rec.natural_key = nk
    if nk is not None:
        other = batch.case_nos.get(nk)
        if other is not None and other != m.record_id:
            collision = {"case_no": nk, "other_id": other}
            batch.conflicts.append({"id": new_id(), "kind": "collision", "table_name": m.table,
                                    "record_id": m.record_id, "client_id": batch.client.id,
                                    "mutation_id": m.mutation_id, "base_version": m.base_version,
                                    "server_version": version, "desk_data": data,
                                    "server_data": {"case_no": nk, "other_id": other}, "detected_at": batch.now})
        else:
            batch.case_nos[nk] = m.record_id
    if collision is None:
        return {"mutation_id": m.mutation_id, "status": "applied", "version": version}  # (_answer, inlined)
    return _answer(m.mutation_id, "applied", version, collision=collision)


def _decide_valid(batch: _Batch, m: Mutation, text: str | None = None) -> Answer:
    """What a mutation that passed validation and authority does (``push``); ``text``: ``m.data`` as canonical
    JSON (stored as it is where ``m.data`` is the record's new data)."""
    key = (m.table, m.record_id)
    cur = batch.records.get(key)
    if cur is not None and not cur.exists and cur.version == 0:
        cur = None
    if m.op != "delete" and m.data is not None and m.mutation_id in batch.accusations:
        return _conflict(batch, m, cur or _Rec(0, False, None, False), batch.accusations[m.mutation_id])
    if key in batch.blocked and cur is not None:
        return _conflict(batch, m, cur, "同一记录的前一修改与服务器冲突，本修改一并待处理")
    if m.op == "ensure":
        if cur is not None:
            return _answer(m.mutation_id, "applied", cur.version)
        return _write(batch, m, key, None, 1, m.data, False, text)
    if m.op == "delete":
        if cur is None:
            return _write(batch, m, key, None, m.base_version + 1, m.data, True, text)
        if cur.deleted:
            return _answer(m.mutation_id, "applied", cur.version)
        if cur.version == m.base_version:
            return _write(batch, m, key, cur, cur.version + 1, cur.data, True)
        return _conflict(batch, m, cur, "删除时服务器上的记录已被修改")
    if cur is None:
        return _write(batch, m, key, None, m.base_version + 1, m.data, False, text)
    if m.table in APPEND_ONLY:  # union: the same event from two deliveries is one event
        return _answer(m.mutation_id, "applied", cur.version)
    if cur.version == m.base_version and not cur.deleted:
        return _write(batch, m, key, cur, cur.version + 1, m.data, False, text)
    if cur.data == m.data and not cur.deleted:
        return _answer(m.mutation_id, "applied", cur.version)
    if cur.deleted:
        return _conflict(batch, m, cur, "该记录已在服务器上删除")
    return _conflict(batch, m, cur, f"该记录已被修改（本机基于第{m.base_version}版，服务器为第{cur.version}版）")


def push(db: ServerDatabase, client: Client, mutations: list[Mutation]) -> list[Answer]:
    """Apply a batch in one transaction; a mutation id seen before gets its stored answer, nothing applied twice.
    Returns each mutation's answer in wire form (``protocol.MutationResult``, default fields left out)."""
    now = utcnow()
    with db.session() as s:
        counter = _lock_counter(s)
        batch = _Batch(client, now, counter.value, db.sealer)
        ids = [m.mutation_id for m in mutations]
        stored: dict[str, Answer] = {}
        bound: dict[str, tuple[str, str | None]] = {}  # mutation id -> (client, content digest) it is bound to
        for clause in _key_in(s, AppliedMutation.mutation_id, ids):
            for mid, result, owner, digest in s.execute(
                    select(AppliedMutation.mutation_id, AppliedMutation.result, AppliedMutation.client_id,
                           AppliedMutation.digest).where(clause)):
                stored[mid], bound[mid] = result, (owner, digest)
        # each mutation's data in canonical JSON, once: its digest, and (a new record) the stored text
        texts = [canonical_json(m.data) for m in mutations]
        digests = {m.mutation_id: content_digest_of(m.table, m.record_id, m.op, m.base_version, text)
                   for m, text in zip(mutations, texts, strict=True)}
        fresh = [m for m in mutations if m.mutation_id not in stored]
        # (only well-formed keys are looked up: a malformed one is rejected by validation, and a NUL in it would fail
        # the query on PostgreSQL for the whole batch)
        keys = {(m.table, m.record_id) for m in fresh
                if codec_for(m.table) is not None and RECORD_ID_RE.match(m.record_id)}
        nos = {nk for m in fresh if (nk := _natural_key(m.table, m.data)) is not None and CASE_NO_RE.fullmatch(nk)}
        _load(s, batch, keys, nos)
        _check_accusations(s, batch, fresh)
        results: list[Answer] = []
        applied_rows: list[dict[str, Any]] = []
        answered: dict[str, Answer] = {}
        authority = Authority(s, client, sealer=db.sealer)
        authority.prepare(fresh, batch.accusations)
        named_keys: dict[str, str] = {}
        for m, text in zip(mutations, texts, strict=True):
            reused = _reused(m, client, digests[m.mutation_id], bound)
            if reused:
                results.append(_answer(m.mutation_id, "rejected", reason=reused, code=409))
                continue
            if m.mutation_id in stored:
                answer = dict(stored[m.mutation_id])
                if answer.get("server_data") is not None:
                    answer["server_data"] = db.sealer.open(m.table, answer["server_data"])
                results.append(answer)
                continue
            if m.mutation_id in answered:  # the same mutation twice in one batch
                results.append(answered[m.mutation_id])
                continue
            bound[m.mutation_id] = (client.id, digests[m.mutation_id])
            # refused mutations are not stored (nothing was applied): sent again once the cause is fixed (an
            # administrator signed in), they are decided anew
            reason = validate.mutation_problem(m)
            refusal = None if reason else authority.check(m, batch.records.get((m.table, m.record_id)))
            if reason or refusal is not None:
                answered[m.mutation_id] = (_answer(m.mutation_id, "rejected", reason=refusal.reason,
                                                   code=refusal.code) if refusal is not None
                                           else _answer(m.mutation_id, "rejected", reason=reason, code=400))
                results.append(answered[m.mutation_id])
                continue
            if m.table == "user" and m.proof and m.proof.get("next_key"):
                named_keys[m.record_id] = m.mutation_id
            result = _decide_valid(batch, m, text)
            answered[m.mutation_id] = result
            results.append(result)
            stored_answer = result  # (the answer as sent; personal data in it sealed)
            if result.get("server_data") is not None:
                stored_answer = {**result, "server_data": db.sealer.seal(m.table, result["server_data"])}
            applied_rows.append({"mutation_id": m.mutation_id, "client_id": client.id, "result": stored_answer,
                                 "digest": digests[m.mutation_id], "applied_at": now})
        authority.commit({mid for mid, a in answered.items() if a["status"] == "applied"}, named_keys)
        _flush(s, batch, client.id, now)
        _note_audit_heads(s, client, [m for m, r in zip(fresh_in_order(mutations, stored), results, strict=True)
                                      if m is not None and r.get("status") == "applied"], now)
        _insert_many(s, APPLIED, applied_rows)
        if batch.conflicts:
            s.execute(insert(CONFLICT), batch.conflicts)
        counter.value = batch.seq
        inserted = len(applied_rows) + sum(1 for rec in batch.records.values() if rec.changed and not rec.exists)
    db.note_inserted(inserted)
    return results


def _reused(m: Mutation, client: Client, digest: str, bound: dict[str, tuple[str, str | None]]) -> str:
    """Why a mutation id seen before may not be answered (another desk's id, or the same id with other content);
    '' when it is the same mutation again."""
    known = bound.get(m.mutation_id)
    if known is None:
        return ""
    owner, stored_digest = known
    if owner != client.id:
        return "该修改编号已被其他工位使用，服务器拒绝（修改编号不能重复使用）"
    if stored_digest is not None and stored_digest != digest:
        return "同一修改编号的内容与此前提交的不同，服务器拒绝"
    return ""


def fresh_in_order(mutations: list[Mutation], stored: dict[str, Answer]) -> list[Mutation | None]:
    """``mutations`` with the ones answered from the store (applied before) as None, aligned with the answers."""
    return [None if m.mutation_id in stored else m for m in mutations]


def _note_audit_heads(s: Session, client: Client, applied: list[Mutation], now: datetime) -> None:
    """Keep the newest entry of each audit chain this desk pushed (``AuditHead``): a desk's verify compares its
    chain with it. A head another client owns is never moved."""
    newest: dict[str, tuple[int, str]] = {}
    for m in applied:
        if m.table != "audit_entry" or not isinstance(m.data, dict):
            continue
        chain, seq = str(m.data.get("chain") or ""), m.data.get("seq")
        if chain and isinstance(seq, int) and seq > newest.get(chain, (0, ""))[0]:
            newest[chain] = (seq, str(m.data.get("hash") or ""))
    for chain, (seq, digest) in newest.items():
        head = s.get(AuditHead, chain, with_for_update=True)
        if head is None:
            s.add(AuditHead(chain=chain, client_id=client.id, seq=seq, hash=digest, updated_at=now))
        elif head.client_id == client.id and seq > head.seq:
            head.seq, head.hash, head.updated_at = seq, digest, now


def audit_heads(db: ServerDatabase, client: Client) -> AuditHeadsReply:
    with db.read() as s:
        return AuditHeadsReply(heads=[AuditHeadOut(chain=h.chain, seq=h.seq, hash=h.hash) for h in s.scalars(
            select(AuditHead).where(AuditHead.client_id == client.id).order_by(AuditHead.chain))])


def _insert_many(s: Session, table: Table, rows: list[dict[str, Any]],
                 encoded: dict[str, list[str | None]] | None = None) -> None:
    """Insert new rows in the session's transaction: on PostgreSQL (psycopg) with one ``COPY ... FROM STDIN``,
    its fastest way in (about 3x an executemany here); elsewhere executemany in chunks (psycopg pipelines it; a
    multi-row VALUES statement measured 4x slower). Every row must have the same keys. ``encoded``: for a JSON
    column, each row's value already as JSON text (None: not known), which the COPY writes as it is."""
    if not rows:
        return
    conn = s.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg" and len(rows) > 20:
        _copy_rows(conn, table, rows, encoded or {})
        return
    for start in range(0, len(rows), CHUNK * 2):
        s.execute(insert(table), rows[start:start + CHUNK * 2])


def _copy_escape(text: str) -> str:
    """A value in PostgreSQL's COPY text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_column(column: Any, values: list[Any], dialect: Any, known: list[str | None] | None = None) -> list[str]:
    """One column's values as COPY text (NULL is \\N), converted a column at a time: a batch's rows share many
    values (its origin, its time), and a list comprehension per type costs far less than a call per value.
    JSON is written compact (UTF-8, no \\u escapes; compact JSON has no raw tab or newline, only backslashes to
    escape); UTC datetimes naive, as the column type's bind processing stores them; other types through it.
    ``known`` (a JSON column): each value's JSON text where the caller has it (None: encoded here)."""
    from pydantic_core import to_json
    from sqlalchemy import JSON, BigInteger, Boolean, Integer

    from reception.db.base import UTCDateTime

    col_type = column.type
    if isinstance(col_type, JSON):
        if known is None:
            texts = [to_json(v).decode("utf-8") if v is not None else None for v in values]
        else:
            texts = [k if k is not None else to_json(v).decode("utf-8") if v is not None else None
                     for v, k in zip(values, known, strict=True)]
        return ["\\N" if t is None else (t.replace("\\", "\\\\") if "\\" in t else t) for t in texts]
    if isinstance(col_type, Boolean):
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if isinstance(col_type, Integer | BigInteger):
        return ["\\N" if v is None else str(int(v)) for v in values]
    if isinstance(col_type, String) and type(col_type) is String:
        return ["\\N" if v is None else _copy_escape(v) for v in values]
    if isinstance(col_type, UTCDateTime):
        formatted: dict[datetime, str] = {}  # (a batch's rows mostly share their time: the desk's, now)
        out = []
        for v in values:
            if v is None:
                out.append("\\N")
                continue
            text = formatted.get(v)
            if text is None:
                text = formatted[v] = cast(datetime, col_type.process_bind_param(v, dialect)).isoformat()
            out.append(text)
        return out
    proc = col_type.dialect_impl(dialect).bind_processor(dialect)
    out = []
    for value in values:
        if proc is not None:
            value = proc(value)
        out.append("\\N" if value is None else value.isoformat() if isinstance(value, datetime)
                   else _copy_escape(str(value)))
    return out


def _copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]],
               encoded: dict[str, list[str | None]]) -> None:
    """COPY the rows on the connection's own psycopg connection (so in the same transaction). The lines are
    built here in COPY's text format, a column at a time, and sent in large blocks (psycopg's per-row
    ``write_row`` cost more than the database's own work). ``encoded``: as ``_insert_many``'s."""
    from psycopg import sql

    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    raw = cast(Any, conn.connection.driver_connection)
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(rows), 2000):
            block = rows[start:start + 2000]
            texts = [_copy_column(table.c[c], [row[c] for row in block], conn.dialect,
                                  known[start:start + 2000] if (known := encoded.get(c)) is not None else None)
                     for c in columns]
            copy.write("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n")


def _flush(s: Session, batch: _Batch, origin: str, now: datetime) -> None:
    new_rows: list[dict[str, Any]] = []
    new_texts: list[str | None] = []  # (a new record's data as the push encoded it; None: sealed, or not known)
    changed_rows: list[dict[str, Any]] = []
    sealed = batch.sealer.fields
    for (table, rid), rec in batch.records.items():
        if not rec.changed:
            continue
        row = {"table_name": table, "record_id": rid, "version": rec.version, "seq": rec.seq,
               "deleted": rec.deleted, "data": batch.sealer.seal(table, rec.data), "natural_key": rec.natural_key,
               "origin": origin, **({} if rec.exists else {"owner": rec.owner or origin}),
               "desk_time": rec.desk_time, "updated_at": now}
        if rec.exists:
            changed_rows.append(row)
        else:
            new_rows.append(row)
            new_texts.append(rec.text if rec.data is not None and not sealed.get(table) else None)
    _insert_many(s, RECORD, new_rows, {"data": new_texts})
    if changed_rows:
        t = RECORD
        stmt = (update(t).where(t.c.table_name == bindparam("k_table"), t.c.record_id == bindparam("k_id"))
                .values(version=bindparam("version"), seq=bindparam("seq"), deleted=bindparam("deleted"),
                        data=bindparam("data"), natural_key=bindparam("natural_key"), origin=bindparam("origin"),
                        desk_time=bindparam("desk_time"), updated_at=bindparam("updated_at")))
        rows = [{**r, "k_table": r.pop("table_name"), "k_id": r.pop("record_id")} for r in changed_rows]
        s.connection().execute(stmt, rows)


# -- pull ------------------------------------------------------------------------------------------------------------


def high_seq(db: ServerDatabase) -> int:
    with db.read() as s:
        return int(s.scalar(select(Counter.value).where(Counter.name == "seq")) or 0)


def pull(db: ServerDatabase, after: int, limit: int, *, skip_origin: str = "") -> PullReply:
    """Records changed after ``after`` in sequence order. With ``skip_origin``, the asking desk's own changes (it
    has them already, at the version it was told when it pushed them) are left out by the query, and the cursor
    still moves past them: to the last record sent while there are more, else to the newest sequence number."""
    server_id, rows, high, more, cursor = _pulled_rows(db, after, limit, skip_origin, Record.data)
    records = [PulledRecord(seq=r[0], table=r[1], record_id=r[2], version=r[3], deleted=r[4],
                            data=db.sealer.open(r[1], r[6]), origin=r[5]) for r in rows]
    return PullReply(server_id=server_id, records=records, high_seq=high, more=more, cursor=cursor)


def pull_json(db: ServerDatabase, after: int, limit: int, *, skip_origin: str = "") -> bytes:
    """``pull`` as the JSON of its ``PullReply``, built from each record's stored JSON text as it is: only a record
    with sealed personal fields is decoded (to open them, ``Sealer.open_text``). Decoding every stored record and
    encoding it again with pydantic was a fifth of a pull's CPU (issue 18)."""
    server_id, rows, high, more, cursor = _pulled_rows(db, after, limit, skip_origin, sql_cast(Record.data, Text))
    text_of, open_text = encode_basestring, db.sealer.open_text
    parts = [f'{{"seq":{int(seq)},"table":{text_of(table)},"record_id":{text_of(record_id)},"version":{int(version)},'
             f'"deleted":{"true" if deleted else "false"},"data":{open_text(table, data)},"origin":{text_of(origin)}}}'
             for seq, table, record_id, version, deleted, origin, data in rows]
    return (f'{{"server_id":{text_of(server_id)},"records":[{",".join(parts)}],"high_seq":{int(high)},'
            f'"more":{"true" if more else "false"},"cursor":{int(cursor)}}}').encode()


def _pulled_rows(db: ServerDatabase, after: int, limit: int, skip_origin: str, data: Any
                 ) -> tuple[str, list[Any], int, bool, int]:
    """The records of one pull answer (seq, table, id, version, deleted, origin, ``data``: the column as given),
    with the server's id, the newest sequence number, whether more follow, and the cursor (see ``pull``)."""
    limit = max(1, min(limit, 5000))
    server_id = db.server_id()
    with db.read() as s:
        # the newest number first: every change up to it has committed (it is assigned under the counter's lock
        # and committed with it), so the query below, even in a later snapshot, sees all of them
        high = int(s.scalar(select(Counter.value).where(Counter.name == "seq")) or 0)
        query = (select(Record.seq, Record.table_name, Record.record_id, Record.version, Record.deleted,
                        Record.origin, data)
                 .where(Record.seq > after, Record.seq <= high).order_by(Record.seq).limit(limit + 1))
        if skip_origin:
            query = query.where(Record.origin != skip_origin)
        rows = list(s.execute(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1][0] if more else max(after, high)
    return server_id, rows, high, more, cursor


# -- handling units ------------------------------------------------------------------------------------------------


def _hidden_from_unit(s: Session, client: Client, cases: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """The accusations among ``cases`` that accuse the calling unit: never listed to it, never reported on by it
    (the desk's rule, ``reception.security.permissions``)."""
    ids = [rid for rid, data in cases if data.get("content_class") == validate.ACCUSATION]
    accused = _accused_in_store(s, ids)
    return {cid for cid in ids if client.unit_id in accused.get(cid, set())}


def unit_cases(db: ServerDatabase, client: Client, limit: int = 500) -> list[UnitCase]:
    mine: list[tuple[str, dict[str, Any]]] = []
    with db.read() as s:
        rows = s.execute(select(Record.record_id, Record.data).where(Record.table_name == "petition_case",
                                                                      Record.deleted.is_(False))
                         .order_by(Record.seq.desc()))
        mine = [(rid, data) for rid, data in rows if data and data.get("unit_id") == client.unit_id]
        hidden = _hidden_from_unit(s, client, mine)
    out: list[UnitCase] = []
    for rid, data in mine:
        if rid in hidden:
            continue
        out.append(UnitCase(case_id=rid, case_no=str(data.get("case_no", "")), status=str(data.get("status", "")),
                            registered_on=str(data.get("registered_on", "")),
                            request=str(data.get("request", ""))[:200]))
        if len(out) >= limit:
            break
    return out


def post_unit_event(db: ServerDatabase, client: Client, case_no: str, event: UnitEventIn) -> UnitEventReply:
    """A handling unit reports progress on one of its cases: a new case event that every desk pulls."""
    if not CASE_NO_RE.fullmatch(case_no):
        raise ServerError(404, f"未找到案件 {case_no[:40]!r}")
    with db.session() as s:
        _lock_counter(s)
        try:
            case = casework.load_case(s, db.sealer, case_no=case_no)
        except NotFoundError as exc:
            raise ServerError(404, f"未找到案件 {case_no}") from exc
        if not case.handled_by(client.unit_id):
            raise ServerError(403, "该案件不由本单位办理")
        event_id, seq = casework.post_note(s, case, event.kind, event.note, event.data, origin_client=client.id,
                                           unit_id=client.unit_id)
        return UnitEventReply(event_id=event_id, case_id=case.id, seq=seq)


# -- reference data --------------------------------------------------------------------------------------------------


@dataclass
class ReferenceImport:
    """What ``import_reference`` did, per table: records published (new or changed) and records left as a desk
    last changed them. Indexing gives the published count (``result["unit"]``)."""

    changed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, table: str) -> int:
        return self.changed.get(table, 0)

    def values(self) -> Any:
        return self.changed.values()

    def items(self) -> Any:
        return self.changed.items()


def import_reference(db: ServerDatabase, data_dir: Path, *, force: bool = False) -> ReferenceImport:
    """Publish the centre's reference data (DOWN tables, and BOTH) from a desk data directory, keeping its ids.

    A record already on the server with the same data is left alone; a changed one gets a new version. Run it on
    the administrator's desk data (e.g. after publishing a roster month) to send the change to every desk.
    Reference records are edited at desks too (an administrator changing the roster, an officer's new password): a
    record whose latest version came from a desk is NOT overwritten by a differing copy in ``data_dir`` (a stale
    data directory would silently undo that edit) unless ``force``; such records are counted as kept.
    """
    from reception.bootstrap import install_hooks
    from reception.db.database import Database
    from reception.db.migrate import upgrade_database
    from reception.paths import DataPaths

    install_hooks()
    paths = DataPaths(data_dir)
    upgrade_database(paths.database, paths.backups)
    desk_db = Database(paths.database)
    result = ReferenceImport()
    try:
        with desk_db.read() as ds, db.session() as s:
            counter = _lock_counter(s)
            for table in synced_tables():
                if TABLES[table] not in (Direction.DOWN, Direction.BOTH):
                    continue
                codec = codec_for(table)
                assert codec is not None
                current = {r: (v, db.sealer.open(table, d), o) for r, v, d, o in s.execute(
                    select(Record.record_id, Record.version, Record.data, Record.origin)
                    .where(Record.table_name == table))}
                n = kept = 0
                for obj in ds.scalars(select(codec.model)):
                    rid, data = codec.record_id(obj), codec.encode(obj)
                    known = current.get(rid)
                    if known is not None and known[1] == data:
                        continue
                    if known is not None and known[2] != "admin" and not force:
                        kept += 1
                        continue
                    counter.value += 1
                    if known is None:
                        s.add(Record(table_name=table, record_id=rid, version=1, seq=counter.value, deleted=False,
                                     data=db.sealer.seal(table, data), origin="admin"))
                    else:
                        s.execute(update(Record).where(Record.table_name == table, Record.record_id == rid)
                                  .values(version=known[0] + 1, seq=counter.value, data=db.sealer.seal(table, data),
                                          deleted=False, origin="admin", updated_at=utcnow()))
                    n += 1
                result.changed[table] = n
                if kept:
                    result.kept[table] = kept
    finally:
        desk_db.dispose()
    return result


REFERENCE_TABLES = ("locality", "unit", "category", "routing_rule")
"""The tables the reference workbook holds (``reception.reference``)."""


def import_reference_workbook(db: ServerDatabase, workbook: Path, *, force: bool = False) -> ReferenceImport:
    """Publish a reference workbook (the format of ``reception reference export``) to every desk.

    The server's current directory, units, categories and rules are copied into a throwaway desk database, the
    workbook is validated and applied there exactly as a desk applies it (codes name the records; a new record
    gets the same stable id a desk would give it), and the result is published by ``import_reference``. A workbook
    with problems raises ``ReferenceImportError`` with the report, and nothing is published."""
    import tempfile

    from reception.bootstrap import install_hooks
    from reception.db.database import Database
    from reception.db.migrate import upgrade_database
    from reception.paths import DataPaths
    from reception.reference.store import import_in_session
    from reception.reference.workbook import read_workbook

    data, issues = read_workbook(workbook)
    with tempfile.TemporaryDirectory(prefix="reception-reference-") as tmp:
        install_hooks()
        paths = DataPaths(Path(tmp))
        upgrade_database(paths.database, paths.backups)
        desk_db = Database(paths.database)
        try:
            with db.session() as s, desk_db.write() as ds:
                for table in REFERENCE_TABLES:
                    codec = codec_for(table)
                    assert codec is not None
                    rows = []
                    for d, deleted in s.execute(select(Record.data, Record.deleted)
                                                .where(Record.table_name == table)):
                        opened = db.sealer.open(table, d) if d and not deleted else None
                        if opened:
                            rows.append(codec.decode(opened))
                    for values in _parents_first(rows):
                        ds.add(codec.model(**values))
                    ds.flush()
                import_in_session(ds, data, issues)
        finally:
            desk_db.dispose()
        return import_reference(db, Path(tmp), force=force)


def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a tree table (``parent_id``) ordered so that every parent comes before its children."""
    by_id = {r.get("id"): r for r in rows}

    def depth(row: dict[str, Any]) -> int:
        n, current = 0, row
        while current.get("parent_id") in by_id and n < 16:
            n += 1
            current = by_id[current.get("parent_id")]
        return n

    return sorted(rows, key=depth)
