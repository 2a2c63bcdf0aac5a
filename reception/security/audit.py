"""The audit trail: append-only, hash-chained per desk, personal data never in clear.

Every ``AuditEntry`` added through the ORM is sealed when it is flushed (``_seal_new_entries``): it joins the chain
of its desk (``chain`` = desk id; entries written without a desk get this data directory's configured desk), gets
the next ``seq``, the previous entry's hash and its own SHA-256 over a canonical JSON of its content. One chain per
desk means a desk's entries verify on their own wherever they end up (the server receives them by sync in any
order, with their chain fields as written). Entries that arrive already sealed are left as they are.

SQLite triggers refuse UPDATE and DELETE of ``audit_entry`` (installed by ``install_append_only``); someone who
edits the file directly can drop them, and then ``verify`` finds the edited or deleted row. A plain hash (not a
keyed one) lets the server verify a desk's chain without any desk key; the price is that a person who rewrites the
whole tail of a chain on one desk is only caught by comparing with the copy that went up to the server.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import event, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from reception.db.base import new_id
from reception.db.database import session_now
from reception.db.models import AuditEntry, Setting
from reception.domain.masking import mask_id, mask_name, mask_phone

if TYPE_CHECKING:
    from reception.context import AppContext

NO_DESK = "-"
"""The chain of entries written where no desk is configured (a server-side tool, a bare data directory)."""

PERSONAL_FIELDS = {"name": mask_name, "id_number": mask_id, "phone": mask_phone}
"""Fields whose values are masked in ``changes``; ``address`` and free texts are hashed instead."""
HASHED_FIELDS = frozenset({"address", "request", "facts", "note", "reply", "follow_up"})

APPEND_ONLY_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
)


def safe_value(name: str, value: Any) -> Any:
    """What the audit trail may keep of a field's value: masked personal data, a hash of free text, else the value."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if name in PERSONAL_FIELDS:
        return PERSONAL_FIELDS[name](str(value))
    if name in HASHED_FIELDS:
        return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:16]
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def changes_of(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that differ, with values made safe."""
    out: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            out[name] = [safe_value(name, old), safe_value(name, new)]
    return out


def record(session: Session, *, user_id: str | None, action: str, entity: str, entity_id: str,
           desk_id: str | None = None, detail: str = "", changes: Mapping[str, list[Any]] | None = None) -> AuditEntry:
    """Add one audit entry to the caller's transaction (sealed into the chain when flushed)."""
    entry = AuditEntry(user_id=user_id, desk_id=desk_id, action=action, entity=entity, entity_id=entity_id,
                       detail=detail[:200], changes=dict(changes or {}))
    session.add(entry)
    return entry


# -- the chain ------------------------------------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""(``json.dumps`` with these options builds this encoder on every call; a bulk import seals an entry a row)"""

_CANONICAL_FIELDS = ("id", "chain", "seq", "prev_hash", "at", "user_id", "desk_id", "action", "entity", "entity_id",
                     "detail", "changes")


def canonical(entry: AuditEntry) -> bytes:
    """The content the hash covers: every field but the hash itself, as sorted, compact JSON."""
    return _canonical_of({name: getattr(entry, name) for name in _CANONICAL_FIELDS})


def _canonical_of(values: Mapping[str, Any]) -> bytes:
    """``canonical`` of an entry given as its attribute values (a transient entry's dict, or ``canonical``'s)."""
    body = {name: values.get(name) for name in _CANONICAL_FIELDS}  # (an attribute never set reads None)
    body["at"] = _iso(cast(datetime, body["at"]))
    body["changes"] = body["changes"] or {}
    return _CANONICAL.encode(body).encode("utf-8")


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _configured_desk(session: Session) -> str | None:
    row = session.get(Setting, "desk")
    desk = row.value.get("desk_id") if row is not None else None
    return str(desk) if desk else None


def _chain_head(session: Session, chain: str) -> tuple[int, str]:
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq > 0)
        .order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, "")


HEADS_KEY = "audit_chain_heads"
"""``session.info`` key: the chain heads this transaction has read or written (the write lock is held, so they stay
true until it ends; cleared at commit and rollback, when another process may append)."""


def seal(session: Session, entries: Iterable[AuditEntry]) -> None:
    """Give unsealed entries their place in their desk's chain, in the order they were added."""
    heads: dict[str, tuple[int, str]] = session.info.setdefault(HEADS_KEY, {})
    default_desk: str | None = None
    looked_up = False
    for entry in entries:
        state = sa_inspect(entry)
        # a transient entry (a bulk loader's, inserted around the unit of work: ``sync.outbox.insert_captured``)
        # gets its values in its dict, where setting the attributes would put them, without their events
        fields: dict[str, Any] = entry.__dict__ if state.key is None and state.session_id is None else {}
        if (fields.get("hash") if fields is entry.__dict__ else entry.hash):
            continue  # already sealed (e.g. arrived by sync)
        desk_id = entry.desk_id
        if desk_id is None:
            if not looked_up:
                with session.no_autoflush:
                    default_desk, looked_up = _configured_desk(session), True
            desk_id = default_desk
        chain = desk_id or NO_DESK
        if chain not in heads:
            with session.no_autoflush:
                heads[chain] = _chain_head(session, chain)
        seq, prev = heads[chain]
        values = {"desk_id": desk_id, "id": entry.id or new_id(),
                  "at": entry.at or session_now(session),  # the desk's clock (AppContext.now)
                  "detail": entry.detail or "", "changes": entry.changes or {},
                  "chain": chain, "seq": seq + 1, "prev_hash": prev}
        if fields is entry.__dict__:
            fields.update(values)
            fields["hash"] = digest = hashlib.sha256(_canonical_of(fields)).hexdigest()
        else:
            for key, value in values.items():
                setattr(entry, key, value)
            entry.hash = digest = entry_hash(entry)
        heads[chain] = (seq + 1, digest)


def install_sealing() -> None:
    """Seal new entries into their desk's hash chain on every flush of any ``Session`` (a listener on the class).
    Idempotent; ``reception.bootstrap`` calls it at start-up."""
    if not event.contains(Session, "before_flush", _seal_new_entries):
        event.listen(Session, "before_flush", _seal_new_entries)
        event.listen(Session, "after_commit", _forget_chain_heads)
        event.listen(Session, "after_rollback", _forget_chain_heads)


def _seal_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if new:
        seal(session, new)


def _forget_chain_heads(session: Session) -> None:
    session.info.pop(HEADS_KEY, None)


def seal_legacy(session: Session) -> int:
    """Entries written before the chain existed (``hash`` empty, negative ``seq`` from the migration) are sealed in
    the order they were written. Runs before the append-only triggers are installed. Returns how many."""
    legacy = list(session.scalars(select(AuditEntry).where(AuditEntry.hash == "").order_by(AuditEntry.seq.desc())))
    if not legacy:
        return 0
    # the migration gave them seq = -rowid: descending seq is the order they were written
    seal(session, legacy)
    session.flush()
    return len(legacy)


def install_append_only(session: Session) -> None:
    for statement in APPEND_ONLY_TRIGGERS:
        session.execute(text(statement))


# -- verification ----------------------------------------------------------------------------------------------------


@dataclass
class ChainReport:
    chain: str
    entries: int = 0
    head: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class VerifyReport:
    chains: list[ChainReport]
    triggers: bool

    @property
    def ok(self) -> bool:
        return all(not c.problems for c in self.chains)

    @property
    def problems(self) -> list[str]:
        return [p for c in self.chains for p in c.problems]


def verify(session: Session) -> VerifyReport:
    """Check every chain: consecutive ``seq`` from 1, each ``prev_hash`` the previous ``hash``, each ``hash`` its
    content's. An edited row fails its own hash; a deleted row leaves a gap and a broken link."""
    chains: list[ChainReport] = []
    names = [str(c) for c in session.scalars(select(AuditEntry.chain).distinct().order_by(AuditEntry.chain))]
    for name in names:
        report = ChainReport(name)
        expected_seq, prev = 1, ""
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.chain == name).order_by(AuditEntry.seq)):
            report.entries += 1
            where = f"工位链 {name} 第{entry.seq}条（{entry.id}）"
            if entry.seq != expected_seq:
                report.problems.append(f"{where}：序号不连续，应为第{expected_seq}条（记录被删除或插入）")
            if entry.prev_hash != prev:
                report.problems.append(f"{where}：与前一条记录的哈希不衔接（前一条被删除或修改）")
            if not entry.hash:
                report.problems.append(f"{where}：没有哈希（未封存的记录，不应出现在审计表中）")
            elif entry.hash != entry_hash(entry):
                report.problems.append(f"{where}：内容与哈希不符（记录被修改）")
            expected_seq, prev = entry.seq + 1, entry.hash
        report.head = prev
        chains.append(report)
    triggers = session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_entry_no_%'")
    ) if session.get_bind().dialect.name == "sqlite" else 2
    return VerifyReport(chains, bool(triggers == 2))


# -- reading, for the supervisors' viewer ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: str
    at: datetime
    user: str
    desk: str
    action: str
    action_label: str
    entity: str
    entity_id: str
    detail: str
    changes: str
    seq: int


ACTION_LABELS = {
    "intake": "登记",
    "create": "新建",
    "update": "修改",
    "view_history": "查看历史记录",
    "view_case": "查看案件",
    "export": "导出",
    "login": "登录",
    "login_failed": "登录失败",
    "locked": "账户锁定",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "unlock": "解除锁定",
    "user_added": "新建账户",
    "user_changed": "修改账户",
    "transition": "案件流转",
    "leader_reception": "领导接访",
    "denied": "越权操作被拒绝",
    "view_petitioner": "查看信访人信息",
    "view_audit": "查看审计日志",
    "reprint": "补打回执",
    "correct": "更正登记",
    "correct_reprint": "出具更正回执",
    "roster_generate": "生成排班",
    "roster_publish": "发布排班",
    "roster_swap": "调换值班",
    "roster_substitute": "替班",
    "roster_change": "排班变更",
    "roster_rules": "修改排班规则",
    "leader_add": "新增接访领导",
    "leader_membership": "接访领导轮值变更",
    "leader_membership_end": "接访领导退出轮值",
    "leader_absence": "登记领导请假",
    "leader_absence_remove": "撤销领导请假",
    "holiday_seed": "载入节假日",
    "holiday_edit": "修改节假日",
    "holiday_import": "导入节假日",
    "holiday_confirm": "确认节假日",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def list_entries(ctx: AppContext, *, actor_id: str | None, start: date | None = None, end: date | None = None,
                 user_id: str | None = None, action: str | None = None, limit: int = 1000) -> list[AuditRow]:
    """Entries for the audit viewer (supervisors, administrators), newest first, filtered by local day range, user
    and action. Reading the trail is itself audited."""
    from datetime import time as dtime

    from reception.db.base import CHINA_TZ, to_local
    from reception.db.models import Desk, User
    from reception.security.permissions import Permission, require

    with ctx.db.write() as session:
        require(session, actor_id, Permission.VIEW_AUDIT)
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.seq.desc()).limit(limit)
        if start is not None:
            query = query.where(AuditEntry.at >= datetime.combine(start, dtime.min, CHINA_TZ))
        if end is not None:
            query = query.where(AuditEntry.at < datetime.combine(end + timedelta(days=1), dtime.min, CHINA_TZ))
        if user_id:
            query = query.where(AuditEntry.user_id == user_id)
        if action:
            query = query.where(AuditEntry.action == action)
        rows = list(session.scalars(query))
        users = {u.id: u.display_name for u in session.scalars(select(User))}
        desks = {d.id: d.code for d in session.scalars(select(Desk))}
        out = [
            AuditRow(e.id, to_local(e.at), users.get(e.user_id or "", "系统"), desks.get(e.desk_id or "", ""),
                     e.action, action_label(e.action), e.entity, e.entity_id, e.detail,
                     "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in (e.changes or {}).items()), e.seq)
            for e in rows
        ]
        record(session, user_id=actor_id, action="view_audit", entity="audit", entity_id="*",
               detail=f"{start or ''}..{end or ''} user={user_id or ''} action={action or ''}")
    return out


def known_actions(ctx: AppContext) -> list[str]:
    with ctx.db.read() as session:
        return sorted(str(a) for a in session.scalars(select(AuditEntry.action).distinct()))
