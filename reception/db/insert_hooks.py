"""What an insert of a row must do besides storing it, for writers that insert around the unit of work.

Some tables have ORM insert events (``before_insert``/``after_insert`` listeners: a petitioner's blind indexes, its
search index rows). A writer that inserts many new rows at once with Core (the sync pull's bulk insert) skips them,
so it must do the same work itself. This registry names each such listener together with the function that does
its work for a list of rows (``register``); ``stand_ins`` answers, for a mapped class, the functions that stand in
for ALL its insert listeners, or ``None`` when it has a listener nobody registered (a new event a later change
added, or a registered one replaced): such a table's rows must then go through the ORM, where every event runs.

A stand-in is called as ``fn(conn, rows)``: ``rows`` are the new rows as dicts of column name -> Python value (before
the column types' bind processing: plaintext for the encrypted columns). A ``before_insert`` stand-in runs before
the rows are inserted and may fill columns in place; an ``after_insert`` one runs after, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect

RowsHook = Callable[[Any, list[dict[str, Any]]], None]
"""(connection, rows) -> None"""

INSERT_EVENTS = ("before_insert", "after_insert")


@dataclass(frozen=True, slots=True)
class StandIn:
    event: str
    listener: Callable[..., Any]
    """The ORM listener function whose work ``rows`` does."""
    rows: RowsHook


_REGISTRY: dict[type, list[StandIn]] = {}


def register(model: type, event_name: str, listener: Callable[..., Any], rows: RowsHook) -> None:
    """Declare that ``rows`` does for a list of new rows of ``model`` what ``listener`` (listening to
    ``event_name`` on it) does for one ORM insert."""
    if event_name not in INSERT_EVENTS:
        raise ValueError(f"not an insert event: {event_name}")
    entries = _REGISTRY.setdefault(model, [])
    if not any(e.event == event_name and e.listener is listener for e in entries):
        entries.append(StandIn(event_name, listener, rows))


def unregister(model: type, listener: Callable[..., Any]) -> None:
    """(tests: take a registration back)"""
    _REGISTRY[model] = [e for e in _REGISTRY.get(model, []) if e.listener is not listener]


def stand_ins(model: type) -> dict[str, list[RowsHook]] | None:
    """event name -> the stand-ins of ``model``'s insert listeners, in registration order; ``None`` when the mapper
    has an insert listener that is not registered here (or a registered one is no longer attached), so its rows
    must take the ORM."""
    dispatch: Any = sa_inspect(model).dispatch
    out: dict[str, list[RowsHook]] = {}
    for name in INSERT_EVENTS:
        entries = [e for e in _REGISTRY.get(model, []) if e.event == name]
        if len(getattr(dispatch, name)) != len(entries):
            return None  # (a listener nobody declared, or a declared one detached)
        if not all(event.contains(model, name, e.listener) for e in entries):
            return None  # (as many listeners, but not the declared ones: one was replaced)
        out[name] = [e.rows for e in entries]
    return out
