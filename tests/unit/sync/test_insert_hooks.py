"""The pull's bulk insert skips the ORM's insert events, so it runs only for tables whose every insert listener has a
declared stand-in (``reception.db.insert_hooks``): a listener nobody declared, or a declared one replaced by another,
sends the table's rows back through the ORM, where it runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

import reception.search.index as search_index
import reception.security.audit  # noqa: F401  (every listener of the desk attached)
import reception.sync.outbox  # noqa: F401
from reception.db import insert_hooks, models
from reception.db.models import Petitioner
from reception.sync.desk.pull import _bulk_insertable
from reception.sync.registry import pulled, synced_tables


def _unknown(_mapper: Any, _conn: Any, _target: Any) -> None:
    """(a listener no stand-in was declared for)"""


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    for name in ("before_insert", "after_insert"):
        if event.contains(Petitioner, name, _unknown):
            event.remove(Petitioner, name, _unknown)
    if not event.contains(Petitioner, "after_insert", search_index._on_insert):
        event.listen(Petitioner, "after_insert", search_index._on_insert)


def test_petitioners_take_the_bulk_path_with_their_declared_stand_ins() -> None:
    hooks = insert_hooks.stand_ins(Petitioner)
    assert hooks == {"before_insert": [models._fill_blind_index_rows],
                     "after_insert": [search_index._insert_new_rows]}
    assert _bulk_insertable("petitioner")


@pytest.mark.parametrize("event_name", ["before_insert", "after_insert"])
def test_an_undeclared_listener_sends_petitioners_through_the_orm(restore: None, event_name: str) -> None:
    event.listen(Petitioner, event_name, _unknown)
    assert insert_hooks.stand_ins(Petitioner) is None
    assert not _bulk_insertable("petitioner")
    event.remove(Petitioner, event_name, _unknown)
    assert _bulk_insertable("petitioner")


def test_a_replaced_listener_is_not_taken_for_the_declared_one(restore: None) -> None:
    # as many listeners as before (what counting them would accept), but not the one the stand-in does the work of
    event.remove(Petitioner, "after_insert", search_index._on_insert)
    event.listen(Petitioner, "after_insert", _unknown)
    assert insert_hooks.stand_ins(Petitioner) is None
    assert not _bulk_insertable("petitioner")


def test_no_pulled_table_leaves_the_bulk_path_unnoticed() -> None:
    """A listener added to a pulled table without a declared stand-in fails here (the pull would quietly go slow):
    declare its stand-in with ``insert_hooks.register``, or add the table here if the ORM must insert its rows."""
    orm_only = {"holiday_day"}  # (keyed by a date, not a raw id: found and written by the ORM)
    assert {t for t in synced_tables() if pulled(t) and not _bulk_insertable(t)} == orm_only


def test_only_insert_events_can_be_stood_in_for() -> None:
    with pytest.raises(ValueError):
        insert_hooks.register(Petitioner, "after_update", _unknown, lambda _conn, _rows: None)


def test_the_ledger_imports_bulk_insert_refuses_a_listener_nothing_stands_in_for(restore: None) -> None:
    """``sync.outbox.insert_captured`` (the ledger import) reads the same registry: an undeclared listener is never
    skipped silently."""
    from reception.sync.outbox import insert_captured

    event.listen(Petitioner, "after_insert", _unknown)
    with pytest.raises(RuntimeError, match="insert_hooks"):
        insert_captured(cast(Session, None), [Petitioner(name="张三")])  # (refused before the session is used)
