"""The reference directory (localities, categories, units, routing rules) as plain rows in memory, for the lookups
a registration repeats: validation, the routing proposal's ancestor walks, the locality and category labels of the
receipt.

Those lookups were ~35 primary-key ``session.get`` calls per save (SQLAlchemy's identity map is weak, so each went
back to SQLite: ~0.13 ms apiece). Here a session reads the four small tables once, with four plain statements on
its own connection (~0.25 ms for the demo district's ~270 rows), inside its own transaction: what it answers is
always what that transaction sees, whoever changed the directory before (this desk, another ``AppContext`` on the
same file, the sync's bulk pull, another process). Nothing to invalidate. The Python side is shared: when the rows
read equal the rows last read (from any session of the process), the indexes built from them are reused.

Within one session the snapshot is kept for its transaction while the session's connection has written none of the
four tables since: every statement SQLAlchemy sends is checked for a write whose target is one of them
(``_count_directory_writes``, a listener on every engine), and a rollback to a savepoint counts as one. So a bulk
load that writes cases and visits in one long transaction (the ledger import, the generators) reads the directory
once, not once a row. Rows the session holds unflushed (new, changed or deleted directory objects) are laid over
the snapshot, as ``session.get`` would have returned them.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from reception.db.models import Category, Locality, RoutingRule, Unit


@dataclass(frozen=True, slots=True)
class LocalityRow:
    id: str
    parent_id: str | None
    name: str
    level: str
    active: bool


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: str
    parent_id: str | None
    name: str
    legal_channel: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: str
    name: str
    active: bool


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: str
    category_id: str
    locality_id: str | None
    unit_id: str
    action: str
    priority: int
    note: str
    active: bool


_QUERIES = (
    "SELECT id, parent_id, name, level, active FROM locality",
    "SELECT id, parent_id, name, legal_channel, active FROM category",
    "SELECT id, name, active FROM unit",
    "SELECT id, category_id, locality_id, unit_id, action, priority, note, active FROM routing_rule",
)
Raw = tuple[list[tuple[Any, ...]], ...]


class Directory:
    """One consistent view of the directory tables (rows by id; active routing rules by category)."""

    __slots__ = ("localities", "categories", "units", "rules", "_rules_by_category")

    def __init__(self, localities: dict[str, LocalityRow], categories: dict[str, CategoryRow],
                 units: dict[str, UnitRow], rules: dict[str, RuleRow]) -> None:
        self.localities = localities
        self.categories = categories
        self.units = units
        self.rules = rules
        by_category: dict[str, list[RuleRow]] = defaultdict(list)
        for rule in rules.values():
            if rule.active:
                by_category[rule.category_id].append(rule)
        self._rules_by_category = dict(by_category)

    @classmethod
    def from_raw(cls, raw: Raw) -> Directory:
        loc, cat, unit, rule = raw
        return cls(
            {r[0]: LocalityRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in loc},
            {r[0]: CategoryRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in cat},
            {r[0]: UnitRow(r[0], r[1], bool(r[2])) for r in unit},
            {r[0]: RuleRow(r[0], r[1], r[2], r[3], r[4], int(r[5] or 0), r[6] or "", bool(r[7])) for r in rule},
        )

    def active_rules(self, category_ids: list[str]) -> list[RuleRow]:
        """The active routing rules on any of ``category_ids`` (the order of the table does not matter: the
        proposal ranks them)."""
        out: list[RuleRow] = []
        for category_id in category_ids:
            out.extend(self._rules_by_category.get(category_id, ()))
        return out

    def ancestors(self, rows: dict[str, Any], start_id: str) -> list[str]:
        """The id itself, then its parent, grandparent, ... (most specific first; a cycle stops the walk)."""
        chain: list[str] = []
        current = rows.get(start_id)
        while current is not None and current.id not in chain:
            chain.append(current.id)
            current = rows.get(current.parent_id) if current.parent_id else None
        return chain

    def locality_label(self, locality_id: str) -> str:
        """"township / village / grid" (the district level left out)."""
        names: list[str] = []
        seen: set[str] = set()
        current = self.localities.get(locality_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            if current.level != "district":
                names.append(current.name)
            current = self.localities.get(current.parent_id) if current.parent_id else None
        return " / ".join(reversed(names))

    def category_label(self, category_id: str) -> str:
        names: list[str] = []
        seen: set[str] = set()
        current = self.categories.get(category_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = self.categories.get(current.parent_id) if current.parent_id else None
        return " / ".join(reversed(names))

    def legal_channel_for(self, category_id: str) -> str | None:
        seen: set[str] = set()
        current = self.categories.get(category_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            if current.legal_channel:
                return current.legal_channel
            current = self.categories.get(current.parent_id) if current.parent_id else None
        return None


_lock = threading.Lock()
_shared: tuple[Raw, Directory] | None = None
"""The rows last read by any session of the process, and the directory built from them."""
_SESSION_KEY = "reception.directory"
_MODELS = (Locality, Category, Unit, RoutingRule)
_WRITES_KEY = "reception.directory_writes"
"""In the DBAPI connection's ``info`` (kept with the pooled connection): how many statements wrote a directory table
on it."""
_TABLES = "|".join(re.escape(str(m.__tablename__)) for m in _MODELS)
_DIRECTORY_WRITE = re.compile(
    r"^\s*(?:(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"
    rf"[\"`\[]?(?:{_TABLES})[\"`\]]?(?![\w])", re.IGNORECASE)
"""A statement whose target is a directory table (a false positive only costs a read)."""


def _bump(conn: Connection) -> None:
    info = conn.info
    info[_WRITES_KEY] = info.get(_WRITES_KEY, 0) + 1


@event.listens_for(Engine, "before_cursor_execute")
def _count_directory_writes(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any,
                            executemany: bool) -> None:
    if statement[:1] not in ("S", "s", "P", "p") and _DIRECTORY_WRITE.match(statement):
        _bump(conn)


@event.listens_for(Engine, "rollback_savepoint")
def _savepoint_rolled_back(conn: Connection, name: Any, context: Any) -> None:
    _bump(conn)  # what the savepoint wrote is gone: read again


def _dbapi(session: Session) -> sqlite3.Connection | None:
    """The session's sqlite3 connection (in its transaction: ``Session.connection`` begins it); None on another
    database (PostgreSQL: the statements then go through SQLAlchemy, and nothing is kept between calls)."""
    dbapi = session.connection().connection.driver_connection
    return dbapi if isinstance(dbapi, sqlite3.Connection) else None


def _read(session: Session, dbapi: sqlite3.Connection | None) -> Directory:
    global _shared
    if dbapi is not None:
        raw: Raw = tuple(dbapi.execute(q).fetchall() for q in _QUERIES)
    else:
        conn = session.connection()
        raw = tuple([tuple(r) for r in conn.exec_driver_sql(q).fetchall()] for q in _QUERIES)
    with _lock:
        shared = _shared
    if shared is not None and shared[0] == raw:
        return shared[1]
    built = Directory.from_raw(raw)
    with _lock:
        _shared = (raw, built)
    return built


def _pending(session: Session) -> list[Any]:
    return [o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, _MODELS)]


def _overlay(base: Directory, session: Session, pending: list[Any]) -> Directory:
    """``base`` with the session's unflushed directory objects laid over it (a deleted one removed)."""
    tables: dict[type, dict[str, Any]] = {Locality: dict(base.localities), Category: dict(base.categories),
                                          Unit: dict(base.units), RoutingRule: dict(base.rules)}
    deleted = set(map(id, session.deleted))
    for obj in pending:
        rows = tables[type(obj)]
        if id(obj) in deleted:
            rows.pop(obj.id, None)
            continue
        if obj.id is None:  # (an id comes from the column default at flush: not reachable by id before)
            continue
        if isinstance(obj, Locality):
            rows[obj.id] = LocalityRow(obj.id, obj.parent_id, obj.name, obj.level, obj.active is not False)
        elif isinstance(obj, Category):
            rows[obj.id] = CategoryRow(obj.id, obj.parent_id, obj.name, obj.legal_channel, obj.active is not False)
        elif isinstance(obj, Unit):
            rows[obj.id] = UnitRow(obj.id, obj.name, obj.active is not False)
        else:
            rows[obj.id] = RuleRow(obj.id, obj.category_id, obj.locality_id, obj.unit_id, obj.action,
                                   int(obj.priority or 0), obj.note or "", obj.active is not False)
    return Directory(tables[Locality], tables[Category], tables[Unit], tables[RoutingRule])


def directory_of(session: Session) -> Directory:
    """The directory as ``session`` sees it now (see the module's docstring)."""
    dbapi = _dbapi(session)
    changes = session.connection().info.get(_WRITES_KEY, 0) if dbapi is not None else -1
    transaction = session.get_transaction()
    kept = session.info.get(_SESSION_KEY)
    if dbapi is not None and kept is not None and kept[0] is dbapi and kept[1] == changes and kept[2] is transaction:
        base: Directory = kept[3]
    else:
        base = _read(session, dbapi)
        if dbapi is not None:
            session.info[_SESSION_KEY] = (dbapi, changes, transaction, base)
    pending = _pending(session)
    return _overlay(base, session, pending) if pending else base
