"""The desk's tables. Every row has a client-generated UUID so desks can create records offline.

Times are stored as UTC (``UTCDateTime``); the local calendar day of an event is stored beside it where the law
counts days (``*_on`` columns), so deadline and per-day queries never depend on a client's time zone setting.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from reception.db import insert_hooks
from reception.db.base import Base, new_id, utcnow
from reception.security.crypto import EncryptedString, blind_index

ID = String(36)


class Locality(Base):
    """问题属地: district → township/street → village/community → grid."""

    __tablename__ = "locality"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("locality.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Unit(Base):
    """责任单位: a township/street or a district department."""

    __tablename__ = "unit"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    locality_id: Mapped[str | None] = mapped_column(ForeignKey("locality.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    contact_person: Mapped[str] = mapped_column(String(64), default="")
    """联系人: the unit's petition contact (its work contact, not a petitioner's personal data)."""
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    """联系电话 of the unit's petition office."""
    address: Mapped[str] = mapped_column(String(200), default="")


class Category(Base):
    """问题类别, a tree. ``legal_channel`` names the right channel when the matter is not a petition (诉访分离)."""

    __tablename__ = "category"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("category.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    legal_channel: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingRule(Base):
    """Category × locality → unit. A null locality means "anywhere"; the most specific match wins."""

    __tablename__ = "routing_rule"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    category_id: Mapped[str] = mapped_column(ForeignKey("category.id"), index=True)
    locality_id: Mapped[str | None] = mapped_column(ForeignKey("locality.id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("unit.id"))
    action: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """A retired rule (False) proposes nothing; it is kept, never deleted (the reference administration)."""


class Desk(Base):
    """工位: a workstation. Its code prefixes the case numbers it issues, so they are unique offline."""

    __tablename__ = "desk"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_name: Mapped[str] = mapped_column(String(100))


class User(Base):
    """A member of staff: role, Argon2 password hash, lockout state (``reception.security.accounts``)."""

    __tablename__ = "user"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"))
    """The handling unit a ``unit_staff`` account works for (None for the centre's own staff)."""
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    """Argon2id; empty: no password set yet, the account cannot sign in."""
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column()


class Leader(Base):
    """A district-level leader who receives petitioners."""

    __tablename__ = "leader"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64))
    rank_order: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


def _merged_away_index(table: str) -> Index:
    """``merged_into``'s index holds only the merged-away rows (migration ``0016_partialmerge``).

    Nearly every row is live (``merged_into`` null). A full index then has one key for almost the whole table, and
    once ``PRAGMA optimize`` has recorded that, SQLite's planner judges ``merged_into = ?`` (the statistics cache's
    trigger, "the cases merged into this one") no better than a scan of the table: a second a save at 80,000 cases.
    The partial index has only the few merged rows, so the planner always takes it for ``= ?``; and no reader needs
    an index for "not merged" (``tests/unit/test_query_plans.py``).
    """
    return Index(f"ix_{table}_merged_into", "merged_into", sqlite_where=text("merged_into IS NOT NULL"))


class Petitioner(Base):
    """信访人. ``id_number`` is normalised (18 characters, upper-case X) for resident IDs."""

    __tablename__ = "petitioner"
    __table_args__ = (_merged_away_index("petitioner"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), index=True)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str | None] = mapped_column(EncryptedString(120, "petitioner.id_number"))
    """Encrypted at rest (AES-GCM); find by ``id_number_bidx``."""
    gender: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(EncryptedString(120, "petitioner.phone"))
    """Encrypted at rest (AES-GCM); find by ``phone_bidx``."""
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    """Blind index (keyed HMAC) of ``id_number``, filled on every ORM write (``_fill_blind_indexes``)."""
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    merged_into: Mapped[str | None] = mapped_column(ID)
    """The record this one was merged into (``petitioner_merge``; ``reception.merge``): None for a live record.
    A merged-away record stays, with its blind indexes, so an ID or phone still finds the person (resolved)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PetitionerToken(Base):
    """Keyed partial-match index of ID numbers and phones (尾号): one row per HMAC of a suffix, never the digits.

    ``token`` is the first 64 bits of HMAC-SHA256, under the desk's blind-index key, of the purpose and the suffix
    (``reception.search.tokens``); kept by ORM events on every petitioner write, rebuilt by
    ``reception.search.index.rebuild``. Derived, local, never synced."""

    __tablename__ = "petitioner_token"
    __table_args__ = {"sqlite_with_rowid": False}

    token: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    petitioner_id: Mapped[str] = mapped_column(ID, primary_key=True)


class PetitionerGram(Base):
    """Name n-grams (two consecutive characters, plus ``py:`` pinyin initials): names are stored in clear anyway, so
    this plain index finds 秀英 in 李秀英 without scanning every petitioner. Derived, local, never synced."""

    __tablename__ = "petitioner_gram"
    __table_args__ = {"sqlite_with_rowid": False}

    gram: Mapped[str] = mapped_column(String(16), primary_key=True)
    petitioner_id: Mapped[str] = mapped_column(ID, primary_key=True)


class Case(Base):
    """信访事项: one matter, with many visits and many petitioners."""

    __tablename__ = "petition_case"
    __table_args__ = (_merged_away_index("petition_case"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    query_code: Mapped[str] = mapped_column(String(16), index=True)
    """查询码: printed on the receipt; the search box finds the case by it (indexed)."""
    content_class: Mapped[str] = mapped_column(String(24))
    category_id: Mapped[str] = mapped_column(ForeignKey("category.id"))
    locality_id: Mapped[str] = mapped_column(ForeignKey("locality.id"), index=True)
    request: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), index=True)
    routing_action: Mapped[str] = mapped_column(String(24))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"), index=True)
    proposed_unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"))
    routing_override_reason: Mapped[str] = mapped_column(String(200), default="")
    legal_channel: Mapped[str] = mapped_column(String(200), default="")
    first_desk_id: Mapped[str] = mapped_column(ForeignKey("desk.id"))
    first_officer_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    registered_at: Mapped[datetime] = mapped_column()
    registered_on: Mapped[date] = mapped_column(index=True)
    received_on: Mapped[date | None] = mapped_column()
    """收件日期: the day a letter or online petition arrived, when earlier than its registration (the Art. 22 clock
    counts from receipt). Null for walk-ins and calls, which are received when they are registered."""
    merged_into: Mapped[str | None] = mapped_column(ID)
    """The case this one was merged into (``case_merge``; ``reception.merge``): its number is then an alias of
    that case; its visits, events and receipts stay its own rows and are read with the surviving case."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    visits: Mapped[list[Visit]] = relationship(back_populates="case", order_by="Visit.visit_no")


class Visit(Base):
    """来访登记: one reception of one matter (a collective visit is one visit with a headcount)."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("case_id", "visit_no"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"))
    visit_no: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(24))
    visited_at: Mapped[datetime] = mapped_column()
    visited_on: Mapped[date] = mapped_column(index=True)
    desk_id: Mapped[str] = mapped_column(ForeignKey("desk.id"))
    officer_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    is_collective: Mapped[bool] = mapped_column(Boolean, default=False)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    is_skip_level: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="visits")
    persons: Mapped[list[VisitPerson]] = relationship(order_by="VisitPerson.position")


class VisitPerson(Base):
    """A petitioner present at a visit; in a collective visit, the elected representatives (at most five)."""

    __tablename__ = "visit_person"
    __table_args__ = (UniqueConstraint("visit_id", "petitioner_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visit.id"), index=True)
    petitioner_id: Mapped[str] = mapped_column(ForeignKey("petitioner.id"), index=True)
    is_representative: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    petitioner: Mapped[Petitioner] = relationship()


class CaseEvent(Base):
    """One step in a case's life. Append-only: the history of a case is never rewritten."""

    __tablename__ = "case_event"
    __table_args__ = (
        Index("ix_case_event_case_at", "case_id", "occurred_at"),
        Index("ix_case_event_kind_on", "kind", "occurred_on"),
        Index("ix_case_event_case_kind", "case_id", "kind", "occurred_at", "occurred_on"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column()
    occurred_on: Mapped[date] = mapped_column()
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseMerge(Base):
    """合并案件: case ``merged_id`` merged into ``survivor_id`` (or, with ``undoes``, that merge undone). Append-only
    and synced: the record a merge is made of, readable by every desk (``reception.merge``)."""

    __tablename__ = "case_merge"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    survivor_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    merged_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    merged_case_no: Mapped[str] = mapped_column(String(32))
    undoes: Mapped[str | None] = mapped_column(ID, index=True)
    """The merge this record undoes (None: a merge)."""
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    desk_id: Mapped[str] = mapped_column(ForeignKey("desk.id"))
    made_at: Mapped[datetime] = mapped_column(default=utcnow)


class PetitionerMerge(Base):
    """合并信访人: petitioner ``merged_id`` merged into ``survivor_id`` (or, with ``undoes``, that merge undone)."""

    __tablename__ = "petitioner_merge"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    survivor_id: Mapped[str] = mapped_column(ForeignKey("petitioner.id"), index=True)
    merged_id: Mapped[str] = mapped_column(ForeignKey("petitioner.id"), index=True)
    undoes: Mapped[str | None] = mapped_column(ID, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    desk_id: Mapped[str] = mapped_column(ForeignKey("desk.id"))
    made_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseNumberCounter(Base):
    """The last case number a desk issued on a day; bumped in the same transaction as the intake."""

    __tablename__ = "case_number_counter"

    desk_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class ReceiptPrint(Base):
    """Each receipt rendered for a case: the first one, then reprints (补打)."""

    __tablename__ = "receipt_print"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visit.id"))
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    layout: Mapped[str] = mapped_column(String(16))
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    officer_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    file_name: Mapped[str] = mapped_column(String(200))


class Setting(Base):
    """Business settings that travel with the data (local UI state lives in QSettings instead)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()


class CentreSetting(Base):
    """A rule for the whole centre (the deadline roll-over, the lifecycle's windows and thresholds, the ranking's
    weights, the roster's rules): synced, so every desk computes the same way. A desk's own settings (its desk,
    officer, receipt layout) stay in ``setting``. ``value`` is the setting's JSON object."""

    __tablename__ = "centre_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who viewed or changed which record, when. Holds ids, action and field names and masked or hashed values,
    never personal data in clear.

    Append-only (SQLite triggers refuse UPDATE and DELETE) and hash-chained per desk: ``seq`` counts the entries of
    ``chain`` (the desk id), ``prev_hash`` is the previous entry's ``hash`` and ``hash`` is SHA-256 over the entry's
    canonical content, so an edited or deleted row breaks the chain (``reception.security.audit.verify``). The
    chain fields are filled when the entry is flushed; entries that arrive with a hash (synced) are kept as they are.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    desk_id: Mapped[str | None] = mapped_column(ForeignKey("desk.id"))
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """{field: [before, after]} with personal values masked or hashed."""
    chain: Mapped[str] = mapped_column(String(36), default="")
    seq: Mapped[int] = mapped_column(Integer, default=0)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


# -- leaders' reception roster (领导接访排班) ---------------------------------------------------------------------


class LeaderMembership(Base):
    """A period in which a leader takes part in the reception roster (active from/to, either end open).

    A leader with no membership rows takes part whenever ``Leader.active``. Periods carry an effective date:
    generation reads them, published months never change because of them.
    """

    __tablename__ = "leader_membership"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"), index=True)
    active_from: Mapped[date | None] = mapped_column()
    active_to: Mapped[date | None] = mapped_column()
    in_rotation: Mapped[bool] = mapped_column(Boolean, default=True)
    """False: a member who only receives on the 书记接访日 (or by substitution), not in the daily rotation."""
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class LeaderUnavailability(Base):
    """A leader cannot receive from ``start`` to ``end`` (inclusive): a trip, leave, a meeting."""

    __tablename__ = "leader_unavailability"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"), index=True)
    start: Mapped[date] = mapped_column()
    end: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(100), default="请假")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class HolidayDay(Base):
    """The editable holiday table: one day off (``workday`` False) or make-up working day (True)."""

    __tablename__ = "holiday_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16), default="admin")
    """package (seeded from chinese-calendar), import (a file) or admin (edited by hand)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class HolidayYear(Base):
    """Whether an administrator has confirmed a year's holiday arrangement (and who, when)."""

    __tablename__ = "holiday_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_by: Mapped[str] = mapped_column(String(64), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")


class RosterMonth(Base):
    """A month of the roster: a draft until published; ``version`` is the latest published version (0: never)."""

    __tablename__ = "roster_month"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=0)
    generated_at: Mapped[datetime | None] = mapped_column()
    generated_by: Mapped[str] = mapped_column(String(64), default="")


class RosterSlot(Base):
    """One leader on duty on one day (the current state; published states are kept in ``roster_version``)."""

    __tablename__ = "roster_slot"
    __table_args__ = (UniqueConstraint("day", "leader_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    month: Mapped[str] = mapped_column(String(7), index=True)
    day: Mapped[date] = mapped_column(index=True)
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    """duty (daily rotation) or secretary (书记接访日)."""
    origin: Mapped[str] = mapped_column(String(16), default="generated")
    reason: Mapped[str] = mapped_column(String(200), default="")


class RosterVersion(Base):
    """A published month, frozen: the whole month as JSON, and what changed from the previous version."""

    __tablename__ = "roster_version"
    __table_args__ = (UniqueConstraint("month", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    month: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    calendar_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    """False when published over an unconfirmed holiday year (with the administrator's explicit confirmation)."""
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RosterChange(Base):
    """A swap or substitution (调换/替班): its own record with the reason and who approved it."""

    __tablename__ = "roster_change"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    month: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """swap (two leaders exchange days) or substitute (another leader takes a day)."""
    day: Mapped[date] = mapped_column()
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"))
    other_day: Mapped[date | None] = mapped_column()
    other_leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"))
    reason: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int | None] = mapped_column(Integer)
    """The published version this change produced (None when made on a draft)."""


# -- case lifecycle: running clocks, supervision, notifications (生命周期、督办、告知) -------------------------------


class CaseClock(Base):
    """A clock running on a case now: a projection of its events, rewritten by every lifecycle transition.

    Kept so that the due-soon, overdue and per-unit lists are one indexed range query on ``due_on`` /
    ``amber_on`` instead of a replay of every case's events. ``kind`` is ``duty`` (overdue when missed) or
    ``window`` (a right of the petitioner that simply expires).
    """

    __tablename__ = "case_clock"
    __table_args__ = (
        Index("ix_case_clock_kind_due", "kind", "due_on"),
        Index("ix_case_clock_unit_kind_due", "unit_id", "kind", "due_on"),
        Index("ix_case_clock_kind_due_amber", "kind", "due_on", "amber_on"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    clock_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"))
    started_on: Mapped[date] = mapped_column()
    due_on: Mapped[date] = mapped_column()
    amber_on: Mapped[date] = mapped_column()
    """The first day the clock shows amber (from the thresholds in force when it was written)."""
    allowed: Mapped[int] = mapped_column(Integer)
    extended_by: Mapped[int] = mapped_column(Integer, default=0)
    """The count crossed a year whose holiday arrangement is not confirmed."""
    ref: Mapped[str] = mapped_column(String(36), default="")
    """The supervision a ``supervision`` clock belongs to."""


class Supervision(Base):
    """督办: a dissatisfied or overdue case supervised, with a note and its own feedback clock."""

    __tablename__ = "supervision"
    __table_args__ = (Index("ix_supervision_state_due", "state", "due_on"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column()
    opened_on: Mapped[date] = mapped_column()
    opened_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    """open or resolved."""
    round: Mapped[int] = mapped_column(Integer, default=1)
    """1, then +1 each time a not-resolved answer sends it back to the handling unit."""
    due_on: Mapped[date] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    answer_note: Mapped[str] = mapped_column(Text, default="")


class Notification(Base):
    """告知信访人: a notice the law says the petitioner must be told about, waiting in the outbox or sent.

    The text carries the case number and query code, never an ID number; the phone is looked up when sending.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("case_event.id"))
    template: Mapped[str] = mapped_column(String(32))
    petitioner_id: Mapped[str | None] = mapped_column(ForeignKey("petitioner.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, sent or failed."""
    created_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str] = mapped_column(String(200), default="")
    gateway_ref: Mapped[str] = mapped_column(String(64), default="")


# -- leader reception (领导接访、现场答复、约访、包案) -------------------------------------------------------------


class LeaderAppointment(Base):
    """约访: a leader meets a petitioner about a case on an agreed day, time and place."""

    __tablename__ = "leader_appointment"
    __table_args__ = (Index("ix_leader_appointment_day", "day"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    leader_id: Mapped[str | None] = mapped_column(ForeignKey("leader.id"))
    day: Mapped[date] = mapped_column()
    time: Mapped[str] = mapped_column(String(5), default="")
    """HH:MM local time ('' when only the day is agreed)."""
    place: Mapped[str] = mapped_column(String(100), default="")
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))


class LeaderReception(Base):
    """接访记录: one reception by a leader, with the reply given on the spot (现场答复) and its outcome.

    One row per visit (or appointment) received: batches (批次) count rows, persons (人次) sum ``headcount``.
    """

    __tablename__ = "leader_reception"
    __table_args__ = (Index("ix_leader_reception_received_on", "received_on"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visit.id"), unique=True)
    appointment_id: Mapped[str | None] = mapped_column(ForeignKey("leader_appointment.id"), unique=True)
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"), index=True)
    received_at: Mapped[datetime] = mapped_column()
    received_on: Mapped[date] = mapped_column()
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    reply: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"))
    due_on: Mapped[date | None] = mapped_column()
    """办理期限 set by the leader for a unit the case was assigned to (交办)."""
    legal_channel: Mapped[str] = mapped_column(String(200), default="")
    units_present: Mapped[str] = mapped_column(String(400), default="")
    """到场单位, names joined by "、"."""
    reaction: Mapped[str] = mapped_column(String(16))
    follow_up: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseOwnership(Base):
    """包案: a leader takes personal charge of a case until it is resolved (``ended_on`` set)."""

    __tablename__ = "case_ownership"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"), index=True)
    since: Mapped[date] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    reception_id: Mapped[str | None] = mapped_column(ForeignKey("leader_reception.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))


# -- leaders' work beyond the desk (下访、积案) ----------------------------------------------------------------------


class DownVisit(Base):
    """下访 (带案下访): a leader goes down to a township, village or unit on a day, taking cases along."""

    __tablename__ = "down_visit"
    __table_args__ = (Index("ix_down_visit_day", "day"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    leader_id: Mapped[str] = mapped_column(ForeignKey("leader.id"), index=True)
    day: Mapped[date] = mapped_column()
    place: Mapped[str] = mapped_column(String(100))
    locality_id: Mapped[str | None] = mapped_column(ForeignKey("locality.id"))
    purpose: Mapped[str] = mapped_column(Text, default="")
    """What the visit was for (e.g. 无会周带案下访, a key group conflict)."""
    result: Mapped[str] = mapped_column(Text, default="")
    households: Mapped[int] = mapped_column(Integer, default=0)
    """走访户数, when the leader visited households."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))


class DownVisitCase(Base):
    """A case taken along on a down-visit, with what was done about it there."""

    __tablename__ = "down_visit_case"
    __table_args__ = (UniqueConstraint("down_visit_id", "case_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    down_visit_id: Mapped[str] = mapped_column(ForeignKey("down_visit.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class BacklogCase(Base):
    """积案: a long-standing case listed for resolution (``hard`` marks a 骨头案), until ``resolved_on``."""

    __tablename__ = "backlog_case"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("petition_case.id"), unique=True)
    listed_on: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    hard: Mapped[bool] = mapped_column(Boolean, default=False)
    leader_id: Mapped[str | None] = mapped_column(ForeignKey("leader.id"))
    """The leader in charge of resolving it (usually the case's 包案 leader)."""
    resolved_on: Mapped[date | None] = mapped_column(index=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))


# -- statistics: per-day aggregates kept by the statistics module (统计缓存) ----------------------------------------


class StatsDay(Base):
    """One day's aggregate of one kind (visits by channel and flags, new cases by grid / category / unit, decisions,
    replies and evaluations by unit, ...), computed by ``reception.stats.cache`` from the base tables.

    A derived cache, never synced: a day's rows are valid while the day is listed in ``stats_cached_day``; SQLite
    triggers on the base tables remove that mark whenever a row of the day changes, so the next report recomputes it.
    """

    __tablename__ = "stats_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    k1: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    k2: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, default=0)
    m: Mapped[int] = mapped_column(Integer, default=0)


class StatsCachedDay(Base):
    """A day whose ``stats_day`` rows are up to date (``ready``), or being computed (not yet ready). The base
    tables' triggers delete the row when the day changes, so a computation that raced a change is not kept."""

    __tablename__ = "stats_cached_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)


# -- sync bookkeeping of this desk (本机同步记录; never synced themselves) ---------------------------------------------


class SyncPeer(Base):
    """This desk's enrolment with the central server (one row, id 1) and the state of its last sync.

    ``cursor`` is the last server sequence number applied here, valid only for the server named by ``server_id``:
    a different (new or restored) server makes the desk pull again from the start, without touching the outbox.
    """

    __tablename__ = "sync_peer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    server_url: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(36))
    """This desk's id in the server's registry of desks."""
    desk_code: Mapped[str] = mapped_column(String(16))
    server_id: Mapped[str] = mapped_column(String(36), default="")
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    token_store: Mapped[str] = mapped_column(String(16), default="keyring")
    """keyring (the operating system's credential store) or file (a protected file in the data directory)."""
    enrolled_at: Mapped[datetime] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    offline_since: Mapped[datetime | None] = mapped_column()
    """When the server was first found unreachable in the current run of failures (None: reachable)."""
    last_error: Mapped[str] = mapped_column(String(400), default="")
    clock_skew_s: Mapped[int | None] = mapped_column(Integer)
    """Desk clock minus server clock at the last handshake, in seconds (only for the warning; never for ordering)."""
    schema_head: Mapped[str] = mapped_column(String(16), default="")
    """The desk schema the cursor was reached with: after an upgrade (which may bring tables an older desk skipped
    while pulling) the desk pulls everything again."""


class SyncOutbox(Base):
    """A change to a synced record, written in the same transaction as the change itself (transactional outbox).

    ``data`` is the whole row as it was after the change (plaintext attribute values, no ``*_bidx`` columns);
    ``base_version`` is the version of the record the change was made against (0: a new record). A row leaves the
    table when the server's answer for its ``mutation_id`` is stored; a rejected one stays ``parked`` with the reason.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        Index("ix_sync_outbox_state_seq", "state", "seq"),
        Index("ix_sync_outbox_record", "table_name", "record_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8))
    """upsert, delete, or ensure (upload if the server does not have it yet: enrolment and a new server)."""
    base_version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any] | None] = mapped_column()
    proof: Mapped[dict[str, Any] | None] = mapped_column()
    """An administrator's (or the account holder's) signature of this change (``reception.sync.proof``)."""
    created_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(8), default="pending")
    """pending or parked (rejected by the server: kept with its reason, never blocking the others)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(400), default="")


class SyncRow(Base):
    """The version of each synced record this desk last agreed on with the server (the base of its next change)."""

    __tablename__ = "sync_row"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SyncConflict(Base):
    """Something sync could not settle by itself, kept with both sides for a person to resolve.

    ``version``: this desk changed a record that had meanwhile changed on the server; ``collision``: a case number
    also issued for another case; ``apply``: a pulled record that could not be stored here (kept with its data).
    """

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_state", "state"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    mutation_id: Mapped[str] = mapped_column(String(36), default="")
    local_data: Mapped[dict[str, Any] | None] = mapped_column()
    server_data: Mapped[dict[str, Any] | None] = mapped_column()
    server_version: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(400), default="")
    detected_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(12), default="open")
    """open or resolved."""
    resolution: Mapped[str] = mapped_column(String(16), default="")
    """local, server or merged (version conflicts); acknowledged (collisions, apply problems)."""
    resolved_at: Mapped[datetime | None] = mapped_column()


# -- ledger import (台账导入): where each imported record came from; this desk's bookkeeping --------------------


class LedgerImport(Base):
    """One run of the ledger import: the file, its sheet and mapping, who ran it and what came of it."""

    __tablename__ = "ledger_import"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    file_name: Mapped[str] = mapped_column(String(260))
    file_digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the file's bytes (which file it was; re-importing is refused row by row, not by this)."""
    sheet: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The header rows and field -> column label used."""
    state: Mapped[str] = mapped_column(String(12), default="running")
    """running, done, cancelled (stopped between batches: what was imported stays), failed (an error stopped it;
    the committed batches stay) or undone."""
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    """Rows left out: errors in the dry run, or already imported."""
    held: Mapped[int] = mapped_column(Integer, default=0)
    """Rows not imported because their petitioner needs a person's decision (``ledger_review``)."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    started_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))
    undone_at: Mapped[datetime | None] = mapped_column()
    undone_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))


class LedgerRow(Base):
    """One ledger row brought in (or held): its source (import, sheet, row) and the records made from it.

    ``row_key`` is a keyed hash (``blind_index``) of the row's mapped values, unique: the same row in the same or
    another file is never imported twice."""

    __tablename__ = "ledger_row"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    import_id: Mapped[str] = mapped_column(ForeignKey("ledger_import.id"), index=True)
    sheet: Mapped[str] = mapped_column(String(100))
    row_no: Mapped[int] = mapped_column(Integer)
    """The row's number as the spreadsheet shows it (1 = the first row)."""
    row_key: Mapped[str] = mapped_column(String(64), unique=True)
    case_ref: Mapped[str] = mapped_column(String(64), default="", index=True)
    """The ledger's own number of the matter (原编号): rows sharing it are visits of one case."""
    status: Mapped[str] = mapped_column(String(12))
    """imported, held (waiting in ``ledger_review``; tried again by the next import) or ignored (left out for good)."""
    case_id: Mapped[str | None] = mapped_column(ForeignKey("petition_case.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visit.id"))
    petitioner_id: Mapped[str | None] = mapped_column(ForeignKey("petitioner.id"), index=True)
    new_case: Mapped[bool] = mapped_column(Boolean, default=False)
    new_petitioner: Mapped[bool] = mapped_column(Boolean, default=False)


class LedgerReview(Base):
    """A doubtful petitioner match for a person to decide: never merged silently."""

    __tablename__ = "ledger_review"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    import_id: Mapped[str] = mapped_column(ForeignKey("ledger_import.id"), index=True)
    row_id: Mapped[str] = mapped_column(ForeignKey("ledger_row.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    """same_id_other_name (row held), same_name_other_phone, same_name_no_phone, same_phone_other_name,
    id_new_for_known (a known person without ID, the row with one)."""
    message: Mapped[str] = mapped_column(String(200))
    petitioner_id: Mapped[str | None] = mapped_column(ForeignKey("petitioner.id"))
    """The record the row made (None when held)."""
    candidate_id: Mapped[str] = mapped_column(ForeignKey("petitioner.id"))
    """The existing record it may be the same person as."""
    state: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- protection at rest: blind indexes follow every ORM write of the encrypted columns ---------------------------


@event.listens_for(Petitioner, "before_insert")
@event.listens_for(Petitioner, "before_update")
def _fill_blind_indexes(_mapper: Mapper[Petitioner], _conn: Connection, target: Petitioner) -> None:
    """Every ORM write (intake, an update, rows a sync applies) keeps ``*_bidx`` in step with the plaintext."""
    target.id_number_bidx, target.phone_bidx = petitioner_blind_indexes(target.id_number, target.phone)


def petitioner_blind_indexes(id_number: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """A petitioner's ``id_number_bidx`` and ``phone_bidx``: what the ORM event above stores, for a writer that
    inserts petitioners around the unit of work (the sync pull's bulk insert)."""
    return blind_index(id_number, "id_number"), blind_index(phone, "phone")


def _fill_blind_index_rows(_conn: Connection, rows: list[dict[str, Any]]) -> None:
    """``_fill_blind_indexes`` for new petitioner rows inserted around the unit of work (``db.insert_hooks``)."""
    for row in rows:
        row["id_number_bidx"], row["phone_bidx"] = petitioner_blind_indexes(row.get("id_number"), row.get("phone"))


insert_hooks.register(Petitioner, "before_insert", _fill_blind_indexes, _fill_blind_index_rows)


@cache
def encrypted_columns() -> dict[str, tuple[str, ...]]:
    """table -> its encrypted columns (``EncryptedString``: the ID numbers and phones). The one lookup of the
    personal fields: the desk's outbox keeps them encrypted, the server seals them at rest (``server/protect.py``)."""
    out: dict[str, tuple[str, ...]] = {}
    for t in Base.metadata.sorted_tables:
        names = tuple(c.name for c in t.columns if isinstance(c.type, EncryptedString))
        if names:
            out[t.name] = names
    return out
