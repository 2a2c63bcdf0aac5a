"""What a committed write changed, by kind (Anki's ``OpChanges``): the screens refresh on it instead of each
caller telling each page that it is stale.

``attach_changes(db)`` listens to the database: every INSERT, UPDATE or DELETE a session's transaction runs (through
the ORM or as a Core statement on the session's connection, as the sync's bulk pull does) names its table; when the
transaction commits, the hub publishes one ``ChangeSet`` of the kinds those tables belong to. Rolled-back work
publishes nothing. Subscribers are plain callables called on the committing thread (the UI's bridge,
``ui/changes.py``, carries them to the GUI thread). Pure Python: no Qt here.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (SQLAlchemy only when a database is attached: the login dialog's modules import this one)
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session, SessionTransaction

    from reception.db.database import Database


class Change(StrEnum):
    """The kinds of things a write can change, as the screens see them."""

    CASES = "cases"
    """Petitioners, cases, visits, their events, receipts, supervision, notices, down visits, backlog."""
    LEADER = "leader"
    """Leaders' appointments and receptions (the 领导接访 queue and records)."""
    ROSTER = "roster"
    """The duty roster, leaders and their memberships and absences, the holiday table."""
    REFERENCE = "reference"
    """The directory: localities, units, categories, routing rules, desks, user accounts."""
    SETTINGS = "settings"
    """Desk and centre settings."""
    SYNC = "sync"
    """The sync peer, outbox, row versions and conflicts."""


TABLE_CHANGES: dict[str, Change] = {
    **dict.fromkeys(("petitioner", "petition_case", "visit", "visit_person", "case_event", "receipt_print",
                     "supervision", "notification", "case_ownership", "down_visit", "down_visit_case",
                     "backlog_case", "ledger_import", "ledger_row", "ledger_review", "case_merge",
                     "petitioner_merge"), Change.CASES),
    **dict.fromkeys(("leader_appointment", "leader_reception"), Change.LEADER),
    **dict.fromkeys(("leader", "leader_membership", "leader_unavailability", "holiday_day", "holiday_year",
                     "roster_month", "roster_slot", "roster_version", "roster_change"), Change.ROSTER),
    **dict.fromkeys(("locality", "unit", "category", "routing_rule", "desk", "user"), Change.REFERENCE),
    **dict.fromkeys(("setting", "centre_setting"), Change.SETTINGS),
    **dict.fromkeys(("sync_peer", "sync_outbox", "sync_row", "sync_conflict"), Change.SYNC),
}
"""Which kind each table's rows are. Tables absent here change nothing a screen shows by themselves: the audit
trail, case-number counters, and caches derived from other rows and rewritten by reads (``case_clock``,
``stats_day``, ``stats_cached_day``), and the search indexes derived from petitioners (``petitioner_token``,
``petitioner_gram``); a screen refreshing on them would refresh on its own reads."""


@dataclass(frozen=True)
class ChangeSet:
    """The kinds one or more committed writes changed (empty: nothing a screen shows)."""

    kinds: frozenset[Change] = frozenset()

    @classmethod
    def of(cls, *kinds: Change) -> ChangeSet:
        return cls(frozenset(kinds))

    @classmethod
    def from_tables(cls, tables: Iterable[str]) -> ChangeSet:
        return cls(frozenset(TABLE_CHANGES[t] for t in tables if t in TABLE_CHANGES))

    def touches(self, *kinds: Change) -> bool:
        """Whether any of ``kinds`` changed."""
        return not self.kinds.isdisjoint(kinds)

    def __or__(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet(self.kinds | other.kinds)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def __contains__(self, kind: object) -> bool:
        return kind in self.kinds


ALL_CHANGES = ChangeSet(frozenset(Change))

Subscriber = Callable[[ChangeSet], None]


class ChangeHub:
    """Subscribers of one database's committed changes. Thread-safe; a subscriber's failure is not the writer's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call ``fn`` after every commit that changed something; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, changes: ChangeSet) -> None:
        if not changes:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            fn(changes)


INFO_KEY = "reception.changes"
_TABLES_KEY = "reception.changes.tables"

_lock = threading.Lock()
_by_connection: weakref.WeakKeyDictionary[Connection, set[str]] = weakref.WeakKeyDictionary()
"""The tables written on each connection in the session transaction that holds it."""


def attach_changes(db: Database) -> ChangeHub:
    """Listen to ``db``'s sessions and statements. Idempotent; returns the database's hub."""
    from sqlalchemy import event

    makers = db.sessionmakers()
    existing = makers[0].kw.get("info", {}).get(INFO_KEY)
    if isinstance(existing, ChangeHub):
        return existing
    hub = ChangeHub()
    for maker in makers:
        info = dict(maker.kw.get("info") or {})
        info[INFO_KEY] = hub
        maker.configure(info=info)
        event.listen(maker, "after_begin", _after_begin)
        event.listen(maker, "after_commit", _after_commit)
        event.listen(maker, "after_soft_rollback", _forget)
        event.listen(maker, "after_transaction_end", _after_transaction_end)
    event.listen(db.engine, "after_execute", _after_execute)
    return hub


def change_hub(db: Database) -> ChangeHub:
    return attach_changes(db)


def _after_begin(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    tables = session.info.get(_TABLES_KEY)
    if tables is None:
        tables = session.info[_TABLES_KEY] = set()
    with _lock:
        _by_connection[connection] = tables


def _after_execute(conn: Connection, clause: Any, *_args: Any) -> None:
    if not getattr(clause, "is_dml", False):
        return
    name = getattr(getattr(clause, "table", None), "name", None)
    if name is None:
        return
    with _lock:
        tables = _by_connection.get(conn)
    if tables is not None:
        tables.add(str(name))


def note_written(conn: Connection, tables: Iterable[str]) -> None:
    """Name tables written on ``conn`` around SQLAlchemy's statements (the driver's own executemany: the sync
    pull's bulk insert), which ``_after_execute`` cannot see: published with the transaction when it commits."""
    with _lock:
        written = _by_connection.get(conn)
    if written is not None:
        written.update(tables)


def _after_commit(session: Session) -> None:
    tables = session.info.pop(_TABLES_KEY, None)
    hub = session.info.get(INFO_KEY)
    if tables and isinstance(hub, ChangeHub):
        hub.publish(ChangeSet.from_tables(tables))


def _forget(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # a savepoint rolled back: what the outer transaction wrote may still commit
        session.info.pop(_TABLES_KEY, None)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: nothing it wrote is left to publish
        session.info.pop(_TABLES_KEY, None)
