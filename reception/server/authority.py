"""What a desk may write on the server: per table and per record (the classification is in
``reception.sync.registry``: ``ADMIN_TABLES``, ``SHARED_REFERENCE``, ``DESK_FIELDS``, ``SHARED_COLUMNS``...).

Called once per pushed mutation from ``service.push`` (``Authority.check``), before the mutation is decided; a
refusal is answered ``rejected`` with ``code`` 403 and a Chinese reason, which the desk parks (it never blocks the
queue). A desk's token identifies a PC, not a person: changes to accounts and to the centre's reference data need
an administrator's signature (``reception.sync.proof``), checked here against the public keys the server holds
(``account_key``), and the signer must be an active administrator in the server's own copy of the accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.base import utcnow
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle import machine
from reception.lifecycle.machine import EventKind, LifecycleError
from reception.server import casework
from reception.server.models import AccountKey, Client, Record
from reception.server.protect import Sealer
from reception.sync import proof as proofs
from reception.sync.protocol import Mutation
from reception.sync.registry import (
    ADMIN_TABLES,
    APPEND_ONLY,
    DESK_FIELDS,
    MERGE_TABLES,
    NEVER_DELETED,
    PASSWORD_COLUMNS,
    SHARED_COLUMNS,
    SHARED_REFERENCE,
    TABLES,
    UNIT_EVENT_KINDS,
    Direction,
)

FORBIDDEN = 403

LABELS = {"petition_case": "案件", "petitioner": "信访人", "user": "账户", "audit_entry": "审计记录",
          "case_event": "案件事件", "centre_setting": "中心设置", "unit": "单位", "locality": "行政区划",
          "category": "问题类别", "routing_rule": "分流规则", "visit": "来访记录", "case_merge": "案件合并记录",
          "petitioner_merge": "信访人合并记录"}


class Existing(Protocol):
    """The server's current state of a record (``service._Rec``)."""

    version: int
    deleted: bool
    data: dict[str, Any] | None
    exists: bool
    owner: str


@dataclass
class Refusal:
    code: int
    reason: str


def _label(table: str) -> str:
    return LABELS.get(table, table)


@dataclass
class Authority:
    session: Session
    client: Client
    keys: dict[str, str | None] = field(default_factory=dict)
    users: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    claimed: dict[str, bool] = field(default_factory=dict)
    next_keys: dict[str, str] = field(default_factory=dict)
    """user id -> next public key, named by signed changes applied in this push (registered by ``commit``)."""
    sealer: Sealer | None = None
    cases: _CaseSteps | None = None
    """Another desk's cases touched by this push, replayed through the state machine (``prepare``)."""
    merges: _Merges | None = None
    """The merge records (``case_merge``, ``petitioner_merge``) this push brings and the server holds."""

    def prepare(self, mutations: Iterable[Mutation], decided: Iterable[str] = ()) -> None:
        """Look at the whole push first: the case events it brings (a case row may come before the events that
        explain it) and the owners of the cases they and the case rows concern. ``decided``: mutation ids the push
        decides otherwise (an accusation routed to its accused unit becomes a conflict for a person)."""
        listed = list(mutations)
        self.merges = _Merges(self.session, self.sealer, listed)
        self.cases = _CaseSteps(self.session, self.client, self.sealer, self.merges)
        self.cases.prepare(listed, set(decided))

    # -- the one entry point ----------------------------------------------------------------------------------

    def check(self, m: Mutation, cur: Existing | None) -> Refusal | None:
        table = m.table
        live = cur if cur is not None and (cur.exists or cur.version > 0) else None
        if m.op == "ensure" and live is not None:
            return None  # (nothing is written: the server keeps its record and says so)
        if m.op == "delete" and table in NEVER_DELETED:
            return Refusal(FORBIDDEN, f"工位不能删除{_label(table)}（只能由中心处理）")
        if table in ADMIN_TABLES:
            return self._admin(m, live)
        if table in SHARED_REFERENCE:
            return None
        if TABLES.get(table) is not Direction.UP:
            return None  # (DOWN and LOCAL tables are refused by the validation)
        return self._own(m, live)

    # -- desk-created records ----------------------------------------------------------------------------------

    def _own(self, m: Mutation, live: Existing | None) -> Refusal | None:
        table, data = m.table, m.data or {}
        desk_id = self.client.desk_id or ""
        before = (live.data or {}) if live is not None else {}
        for name in DESK_FIELDS.get(table, ()):
            if name not in data or (live is not None and before.get(name) == data[name]):
                continue  # (a record's desk is checked when it is made, or when a change names another)
            value = data[name]
            if value is None and not (table == "audit_entry" and name == "chain"):
                continue
            if value != desk_id and not (m.op == "ensure" and live is None and self._unclaimed(value)):
                if table == "audit_entry":
                    return Refusal(FORBIDDEN, "审计记录只能写入本工位自己的审计链，不能写入其他工位的")
                return Refusal(FORBIDDEN, f"{_label(table)}须以本工位名义登记（{name} 与本工位不符）")
        if table == "case_event" and str(data.get("kind", "")) in UNIT_EVENT_KINDS:
            return Refusal(FORBIDDEN, "办理进展只能由责任单位通过单位接口报送，工位不能代写")
        if table == "case_event" and live is None and self.cases is not None:
            return self.cases.event(m)
        if (table in MERGE_TABLES.values() and live is None
                and str(data.get("survivor_id") or "") == str(data.get("merged_id") or "")):
            return Refusal(FORBIDDEN, "合并记录的两条记录不能相同")
        if live is None:
            return None
        if table in APPEND_ONLY:
            if m.op == "upsert" and live.data == m.data and not live.deleted:
                return None  # (the same entry delivered again: a union)
            return Refusal(409, f"{_label(table)}只可追加，已有的记录不能修改或删除")
        if not live.owner or live.owner == self.client.id:
            return None
        shared = SHARED_COLUMNS.get(table)
        if m.op != "upsert" or shared is None:
            return Refusal(FORBIDDEN, f"该{_label(table)}由其他工位登记，本工位不能修改或删除")
        changed = {k for k in set(before) | set(data) if before.get(k) != data.get(k)}
        if changed - shared:
            names = "、".join(sorted(changed - shared))
            return Refusal(FORBIDDEN, f"该{_label(table)}由其他工位登记，本工位只能通过办理流程变更其状态，"
                                      f"不能改写其内容（{names}）")
        if table == "petitioner" and changed & {"id_type", "id_number"} and before.get("id_number"):
            return Refusal(FORBIDDEN, "该信访人由其他工位登记，其证件号码不能在本工位更改")
        if "merged_into" in changed and table in MERGE_TABLES and live.version == m.base_version:
            if self.merges is None:
                self.prepare([m])
            assert self.merges is not None
            refusal = self.merges.mark(table, m.record_id, before.get("merged_into"), data.get("merged_into"))
            if refusal is not None:
                return refusal
        if table == "petition_case" and changed & machine.PROJECTED_COLUMNS and live.version == m.base_version:
            # (against an older version the push answers a conflict: nothing is written)
            if self.cases is None:
                self.prepare([m])
            assert self.cases is not None
            return self.cases.row(m, before, changed & machine.PROJECTED_COLUMNS)
        return None

    # -- accounts and the centre's reference data ------------------------------------------------------------

    def _admin(self, m: Mutation, live: Existing | None) -> Refusal | None:
        table, data = m.table, m.data or {}
        proof = m.proof
        if not proof:
            if (table == "user" and m.op in ("upsert", "ensure") and m.data is not None
                    and (live is None or (live.owner == self.client.id and _placeholder_account(live.data)))):
                return self._placeholder(m)  # (a desk's own new account, or its later rename)
            return Refusal(FORBIDDEN, f"{_label(table)}只能由系统管理员修改：请由管理员在本工位登录后重新提交"
                                      "（服务器需要管理员的签名）")
        signer = str(proof.get("by") or "")
        if not self._signed(m, signer, proof):
            return Refusal(FORBIDDEN, "管理员签名无效或该管理员的密钥未在服务器登记"
                                      "（在服务器上运行 reception server trust-admin）")
        if self._is_admin(signer):
            self._note_next_key(m, proof)
            return None
        if table == "user" and signer == m.record_id and live is not None and m.op == "upsert":
            before = live.data or {}
            changed = {k for k in set(before) | set(data) if before.get(k) != data.get(k)}
            if changed <= PASSWORD_COLUMNS:
                self._note_next_key(m, proof)
                return None
        return Refusal(FORBIDDEN, f"{_label(table)}只能由系统管理员修改（签名者不是管理员）")

    def _placeholder(self, m: Mutation) -> Refusal | None:
        """A desk's own account, new to the centre (its default officer, a local administrator renamed at
        enrolment): the records made there name it, so the server keeps it, but only as a placeholder that
        cannot sign in anywhere and has no rights (``desk_officer``, no password, inactive) until an
        administrator changes it. The mutation's data is replaced by the placeholder's."""
        data = dict(m.data or {})
        username = str(data.get("username") or "")
        for (other,) in self.session.execute(select(Record.data).where(Record.table_name == "user",
                                                                       Record.record_id != m.record_id)):
            if other and other.get("username") == username:
                return Refusal(409, f"服务器上已有登录名为“{username}”的账户")
        if data.get("role") == "desk_officer" and not data.get("password_hash"):
            return None  # (already harmless: a desk's default officer)
        data.update(role="desk_officer", password_hash="", active=False, must_change_password=True)
        m.data = data
        return None

    def _signed(self, m: Mutation, signer: str, proof: dict[str, Any]) -> bool:
        known = self._key(signer)
        if not known or proof.get("key") != known:
            return False
        message = proofs.mutation_digest(m.mutation_id, m.table, m.record_id, m.op, m.base_version, m.data)
        return proofs.verify(known, str(proof.get("sig") or ""), message)

    def _key(self, user_id: str) -> str | None:
        if user_id in self.next_keys:
            return self.next_keys[user_id]
        if user_id not in self.keys:
            self.keys[user_id] = self.session.scalar(select(AccountKey.public_key)
                                                     .where(AccountKey.user_id == user_id))
        return self.keys[user_id]

    def _unclaimed(self, desk_id: object) -> bool:
        """A desk row no enrolled desk holds (one of the centre's desks that never enrolled, or a standalone
        installation's own): a desk's first upload (``ensure``) may bring records made there before enrolment."""
        if not isinstance(desk_id, str) or not desk_id:
            return False
        if desk_id not in self.claimed:
            self.claimed[desk_id] = self.session.scalar(
                select(Client.id).where(Client.desk_id == desk_id, Client.kind == "desk").limit(1)) is not None
        return not self.claimed[desk_id]

    def _is_admin(self, user_id: str) -> bool:
        if user_id not in self.users:
            row = self.session.execute(select(Record.data, Record.deleted).where(
                Record.table_name == "user", Record.record_id == user_id)).first()
            self.users[user_id] = row[0] if row is not None and not row[1] else None
        data = self.users[user_id]
        return data is not None and data.get("role") == "admin" and bool(data.get("active", True))

    def _note_next_key(self, m: Mutation, proof: dict[str, Any]) -> None:
        next_key = proof.get("next_key")
        if m.table == "user" and isinstance(next_key, str) and 40 <= len(next_key) <= 64:
            self.next_keys[m.record_id] = next_key

    def commit(self, applied: set[str], by_record: dict[str, str]) -> None:
        """Register the next keys of the account changes that were applied (``by_record``: user id -> the
        mutation id that named the key), in the push's transaction."""
        for user_id, key in self.next_keys.items():
            if by_record.get(user_id) not in applied:
                continue
            row = self.session.get(AccountKey, user_id)
            if row is None:
                self.session.add(AccountKey(user_id=user_id, public_key=key, source="signed",
                                            registered_at=utcnow()))
            else:
                row.public_key, row.source, row.registered_at = key, "signed", utcnow()


class _CaseSteps:
    """What a desk may do to a case another desk registered: take the lifecycle's steps, never rewrite the row.

    Each case event it pushes for such a case is replayed through the state machine (``machine.transition_for``,
    then ``machine.plan`` on the state folded from the events the server holds, and this push's accepted ones,
    before it, on the event's own day, as its actor): only a step the machine allows is stored. The case row's
    projected columns (``machine.PROJECTED_COLUMNS``: status, unit, routing action, legal channel) may change only
    to what those events determine."""

    def __init__(self, session: Session, client: Client, sealer: Sealer | None,
                 merges: _Merges | None = None) -> None:
        self.session, self.client, self.sealer = session, client, sealer
        self.merges = merges
        self.batch: dict[str, list[Mutation]] = {}
        self.decided: set[str] = set()
        self.owners: dict[str, str | None] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.stored: dict[str, list[dict[str, Any]]] = {}
        self.accepted: dict[str, list[dict[str, Any]]] = {}
        self.verdicts: dict[str, Refusal | None] = {}
        self._rules: tuple[WorkCalendar, machine.Settings] | None = None

    def prepare(self, mutations: list[Mutation], decided: set[str]) -> None:
        self.decided = decided
        ids: set[str] = set()
        for m in mutations:
            if m.op == "delete" or not isinstance(m.data, dict):
                continue
            if m.table == "case_event":
                cid = str(m.data.get("case_id") or "")
                self.batch.setdefault(cid, []).append(m)
                ids.add(cid)
            elif m.table == "petition_case":
                ids.add(m.record_id)
        # (before each mutation's own validation: an id no record can have, e.g. with a NUL, is never looked up)
        wanted = sorted(i for i in ids if i and len(i) <= 64 and "\x00" not in i and i not in self.owners)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for rid, owner, data in self.session.execute(select(Record.record_id, Record.owner, Record.data).where(
                    Record.table_name == "petition_case", Record.record_id.in_(chunk), Record.deleted.is_(False))):
                self.owners[rid] = owner
                opened = self.sealer.open("petition_case", data) if self.sealer is not None else data
                self.rows[rid] = opened or {}
        for cid in wanted:
            self.owners.setdefault(cid, None)

    def _foreign(self, case_id: str) -> bool:
        """The case is on the server and registered by another desk."""
        owner = self.owners.get(case_id)
        return bool(owner) and owner != self.client.id

    def _history(self, case_id: str) -> list[dict[str, Any]]:
        if case_id not in self.stored:
            self.stored[case_id] = casework.event_records(self.session, [case_id])[case_id]
        return casework.ordered([*self.stored[case_id], *self.accepted.get(case_id, [])])

    def rules(self) -> tuple[WorkCalendar, machine.Settings]:
        if self._rules is None:
            self._rules = (casework.work_calendar(self.session), casework.load_settings(self.session))
        return self._rules

    def event(self, m: Mutation) -> Refusal | None:
        """The verdict on a new case event (memoised: a case row's check may have asked first)."""
        if m.mutation_id not in self.verdicts:
            self.verdicts[m.mutation_id] = self._replay(m)
        return self.verdicts[m.mutation_id]

    def _replay(self, m: Mutation) -> Refusal | None:
        data = m.data or {}
        case_id = str(data.get("case_id") or "")
        if m.mutation_id in self.decided or not self._foreign(case_id):
            return None
        kind = str(data.get("kind") or "")
        if kind in machine.MERGE_KINDS:
            raw = data.get("data")
            payload: dict[str, Any] = raw if isinstance(raw, dict) else {}
            if self.merges is None or not self.merges.names_survivor(str(payload.get("merge_id") or ""), case_id):
                return Refusal(FORBIDDEN, "该案件由其他工位登记，合并事件须有相应的案件合并记录")
            return None
        if kind in machine.RECORD_KINDS:
            return None
        known = kind in set(EventKind)
        if not known or kind in machine.INTAKE_KINDS | machine.LEGACY_KINDS:
            return Refusal(FORBIDDEN, f"该案件由其他工位登记，本工位不能为其补记“{kind[:32]}”事件"
                                      "（只能按办理流程办理）")
        event = casework.machine_event(data)
        key = casework.order_key(data)
        before = [e for e in self._history(case_id) if casework.order_key(e) < key]
        state = casework.fold_case(self.rows.get(case_id, {}), before)
        cal, st = self.rules()
        try:
            transition = machine.transition_for(event, str(data.get("note") or ""))
            if transition is None:
                raise LifecycleError("不是办理流程的一步", key="event_not_step")
            planned = machine.plan(state, transition, event.on, cal, st, actor_id=event.actor_id)
        except LifecycleError as exc:
            return Refusal(FORBIDDEN, f"该案件由其他工位登记，此办理步骤不符合办理流程：{exc.message}")
        if planned.kind != kind:
            return Refusal(FORBIDDEN, f"该案件由其他工位登记，“{kind}”与案件当前的办理环节不符"
                                      f"（此时应为“{planned.kind}”）")
        self.accepted.setdefault(case_id, []).append(data)
        return None

    def row(self, m: Mutation, before: dict[str, Any], projected: set[str]) -> Refusal | None:
        """Another desk's case row whose projected columns change: only to what its events determine."""
        if m.mutation_id in self.decided:
            return None
        from reception.server import validate

        for em in self.batch.get(m.record_id, []):  # this push's events of the case, whatever their place in it
            if not validate.mutation_problem(em):
                self.event(em)
        history = self._history(m.record_id)
        expected = {c: before.get(c) for c in machine.PROJECTED_COLUMNS}
        if history:
            expected["status"] = casework.fold_case(before, history).status.value
        for e in history:
            expected.update(machine.case_columns(str(e.get("kind") or ""), e.get("unit_id") or None,
                                                 str(e.get("note") or "")))
        data = m.data or {}
        wrong = sorted(c for c in projected if data.get(c) != expected.get(c))
        if wrong:
            return Refusal(FORBIDDEN, "该案件由其他工位登记，其状态和承办单位只能随办理流程的事件变更，"
                                      f"不能直接改写（{'、'.join(wrong)}与案件的办理记录不符）")
        return None


class _Merges:
    """The merge records a change of ``merged_into`` (and a merge event) must agree with: those of this push and
    those the server holds (merges are rare: a table's records are read once per push, when first needed)."""

    def __init__(self, session: Session, sealer: Sealer | None, mutations: list[Mutation]) -> None:
        self.session, self.sealer = session, sealer
        self.pushed: dict[str, list[dict[str, Any]]] = {}
        for m in mutations:
            if m.table in MERGE_TABLES.values() and m.op != "delete" and isinstance(m.data, dict):
                self.pushed.setdefault(m.table, []).append({**m.data, "id": m.record_id})
        self.stored: dict[str, list[dict[str, Any]]] = {}

    def records(self, table: str) -> list[dict[str, Any]]:
        if table not in self.stored:
            rows: list[dict[str, Any]] = []
            for rid, data in self.session.execute(select(Record.record_id, Record.data).where(
                    Record.table_name == table, Record.deleted.is_(False))):
                opened = self.sealer.open(table, data) if self.sealer is not None else data
                if opened:
                    rows.append({**opened, "id": rid})
            self.stored[table] = rows
        return [*self.stored[table], *self.pushed.get(table, [])]

    def live_survivors(self, merge_table: str, record_id: str) -> set[str]:
        """The records ``record_id`` is merged into by a merge not undone."""
        rows = self.records(merge_table)
        undone = {str(r.get("undoes")) for r in rows if r.get("undoes")}
        return {str(r.get("survivor_id")) for r in rows
                if r.get("merged_id") == record_id and not r.get("undoes") and str(r.get("id")) not in undone}

    def mark(self, table: str, record_id: str, old: Any, new: Any) -> Refusal | None:
        live = self.live_survivors(MERGE_TABLES[table], record_id)
        if new is not None and str(new) not in live:
            return Refusal(FORBIDDEN, f"该{_label(table)}由其他工位登记，只有相应的合并记录才能将其标为已合并")
        if new is None and old is not None and str(old) in live:
            return Refusal(FORBIDDEN, f"该{_label(table)}由其他工位登记，只有撤销合并的记录才能取消其合并标记")
        return None

    def names_survivor(self, merge_id: str, case_id: str) -> bool:
        return any(str(r.get("id")) == merge_id and r.get("survivor_id") == case_id
                   for r in self.records("case_merge"))


def _placeholder_account(data: dict[str, Any] | None) -> bool:
    return bool(data) and data.get("role") == "desk_officer" and not data.get("password_hash")  # type: ignore[union-attr]


def trust_admin(session: Session, username: str, password: str) -> tuple[str, str]:
    """Register an administrator's key: the account must be an active administrator on the server and the password
    must match the account's hash there. Returns (user id, the key's fingerprint)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    from reception.server.errors import ServerError

    found = None
    for rid, data in session.execute(select(Record.record_id, Record.data).where(
            Record.table_name == "user", Record.deleted.is_(False))):
        if data and data.get("username") == username.strip():
            found = (rid, data)
            break
    if found is None:
        raise ServerError(404, f"服务器上没有账户“{username}”（请先导入基础数据或等该账户同步上来）")
    user_id, data = found
    if data.get("role") != "admin" or not data.get("active", True):
        raise ServerError(400, f"账户“{username}”不是在用的系统管理员")
    try:
        PasswordHasher().verify(str(data.get("password_hash") or ""), password)
    except (VerificationError, InvalidHashError) as exc:
        raise ServerError(400, "密码与服务器上该账户的密码不符") from exc
    key = proofs.public_key_for(user_id, password)
    row = session.get(AccountKey, user_id)
    if row is None:
        session.add(AccountKey(user_id=user_id, public_key=key, source="trust-admin", registered_at=utcnow()))
    else:
        row.public_key, row.source, row.registered_at = key, "trust-admin", utcnow()
    return user_id, proofs.fingerprint(key)
