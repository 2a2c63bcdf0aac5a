"""The server's own tables (its own metadata and Alembic migrations, separate from the desk database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, MetaData, String, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reception.db.base import NAMING_CONVENTION, UTCDateTime, new_id, utcnow


class ServerBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), str: String()}


class ServerMeta(ServerBase):
    """Key/value facts about this server: ``server_id`` (its identity, new for a new database)."""

    __tablename__ = "server_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Counter(ServerBase):
    """The sequence counter. Its row is locked for the whole push transaction, so sequence numbers become visible
    in the order they were assigned and a puller's cursor can never skip a record that commits late."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Client(ServerBase):
    """A desk or a handling unit allowed to call the API. Only hashes of its enrolment code and token are kept."""

    __tablename__ = "client"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8))
    """desk or unit."""
    name: Mapped[str] = mapped_column(String(100))
    desk_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    desk_id: Mapped[str | None] = mapped_column(String(36))
    """The desk's row in the synced ``desk`` table (its cases name it)."""
    unit_id: Mapped[str | None] = mapped_column(String(36))
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()


class Record(ServerBase):
    """One synced record: its latest data, version, tombstone flag and the sequence number of its last change."""

    __tablename__ = "record"
    __table_args__ = (Index("ix_record_natural", "table_name", "natural_key",
                            postgresql_where=text("natural_key IS NOT NULL"),
                            sqlite_where=text("natural_key IS NOT NULL")),)
    # (and the indexes on fields inside ``data``: EXPRESSION_INDEXES, made by the migrations)

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any] | None] = mapped_column()
    natural_key: Mapped[str | None] = mapped_column(String(64))
    """The case number of a case (collisions between desks are reported)."""
    origin: Mapped[str] = mapped_column(String(36), default="")
    """The client whose change this is (a desk, a unit, or "admin")."""
    owner: Mapped[str] = mapped_column(String(36), default="", server_default="")
    """The client that created the record: a desk changes only its own records (``reception.server.authority``)."""
    desk_time: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppliedMutation(ServerBase):
    """Each mutation id with the answer given, stored in the transaction that applied it (idempotent push)."""

    __tablename__ = "applied_mutation"

    mutation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36))
    result: Mapped[dict[str, Any]] = mapped_column()
    digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the mutation's content (``proof.content_digest``): the id is bound to it and to ``client_id``."""
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conflict(ServerBase):
    """A change refused because it was made against an old version, or a case number issued twice: both sides."""

    __tablename__ = "conflict"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[str] = mapped_column(String(36), default="")
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    server_version: Mapped[int] = mapped_column(Integer, default=0)
    desk_data: Mapped[dict[str, Any] | None] = mapped_column()
    server_data: Mapped[dict[str, Any] | None] = mapped_column()
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountKey(ServerBase):
    """An account's public signing key (``reception.sync.proof``): an administrator's, registered by ``reception
    server trust-admin``, or the next key named by a change to the account signed with a trusted key."""

    __tablename__ = "account_key"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    """trust-admin (the server's command) or signed (named by a signed change)."""
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Throttle(ServerBase):
    """A fixed-window counter (enrolment attempts, failed authentications) per address, in the database so that
    every server process sharing it counts together."""

    __tablename__ = "throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column()
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditHead(ServerBase):
    """The newest audit entry the server holds of each desk's chain (``reception.security.audit``): a desk's verify
    compares its own chain with it, so a tail truncated or rewritten on the desk is found."""

    __tablename__ = "audit_head"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)



# -- the handling units' workbench (``/unit``, ``reception.server.unit_accounts``) -----------------------------------


class UnitUser(ServerBase):
    """An account of a handling unit's staff on the central server (the unit works its cases at ``/unit``). The
    password hash and lockout follow the desk's rules (``reception.security.accounts``)."""

    __tablename__ = "unit_user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    """The unit's synced record (``record`` table ``unit``)."""
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    """unit_staff (工作人员) or unit_head (单位负责人: approves extensions)."""
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column()
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Set when someone else gave the password (opened on /admin or by ``add-unit-user``, reset on /admin): the
    user changes it at ``/unit/password`` before any other page (``unit_accounts.change_password`` clears it)."""


class WebSession(ServerBase):
    """A signed-in browser: only the SHA-256 of its cookie is kept, so every server process sharing the database
    knows it and a dump of the database signs nobody in. Expires after ``IDLE`` without a request."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    """The session's anti-forgery token, sent back in every form."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormPost(ServerBase):
    """A form already applied (its one-time id, from the page that showed it): sent twice, it is applied once."""

    __tablename__ = "form_post"

    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitAudit(ServerBase):
    """What a unit's account did on the server (sign-ins, each step on a case, attachments), with who and when."""

    __tablename__ = "unit_audit"
    __table_args__ = (Index("ix_unit_audit_case", "case_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36), default="")
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")


class ExtensionRequest(ServerBase):
    """延期申请: asked by the unit's staff, approved (then the case is extended) or refused by the unit head."""

    __tablename__ = "extension_request"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(36))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, approved or refused."""
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column()


class UnitAttachment(ServerBase):
    """A file a unit attached to a case (the 处理意见书 scanned, a photo): PDF, JPEG or PNG, checked by content;
    the bytes are kept under the server's data directory (``attachments/``), named by ``id``."""

    __tablename__ = "unit_attachment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(36))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    event_id: Mapped[str | None] = mapped_column(String(64))
    """The case event it belongs to (the 处理意见书), once posted."""


class UnitDigest(ServerBase):
    """The daily reminder of a unit's due-soon and overdue cases, once a day, with what the notifier answered."""

    __tablename__ = "unit_digest"

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    due_soon: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default="")
    """sent, failed, or no_contact (the unit has no contact phone)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
class WebAdmin(ServerBase):
    """An administrator of the server's web pages (``/admin``: the handling units' accounts), created on the server
    itself (``reception server add-web-admin``): Argon2 password and the desk's lockout rules, like a unit account."""

    __tablename__ = "web_admin"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column()


class AdminSession(ServerBase):
    """A signed-in administrator's browser (only the SHA-256 of the cookie; a table of its own, so a unit's
    session can never be taken for an administrator's)."""

    __tablename__ = "admin_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[str] = mapped_column(String(36), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdminAudit(ServerBase):
    """What an administrator did on the server's web pages or commands: sign-ins (failed ones too), and each change
    to a unit account (``target``: its user name), with who and when."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_at", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    admin_id: Mapped[str] = mapped_column(String(36))
    """The administrator's id ("cli" for a command run on the server)."""
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")


EXPRESSION_INDEXES = frozenset({"ix_record_case_ref", "ix_record_visit_ref", "ix_record_event_case",
                                "ix_record_case_unit"})
"""The partial indexes on fields inside ``record.data`` (a case's events, visits and supervisions by ``case_id``,
a visit's persons by ``visit_id``, a case's events alone by ``case_id``, a unit's cases by ``unit_id``), on SQLite
and PostgreSQL alike. One approach for all (migration ``s0006_unit2`` says why): made by the migrations in each
dialect's own spelling, queried through ``reception.server.jsonref`` (the same spelling), not declared here (an
expression index has no dialect-neutral form, and autogenerate does not compare them) and left out of the
comparison (``include_object``)."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object`` for the server schema: the expression indexes are the migration's own."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


_ = DateTime  # (UTCDateTime's implementation type; migrations spell it sa.DateTime())
