"""The cyclic garbage collector's settings for the desk app and the server.

Both processes hold a large heap of long-lived objects after start-up (Qt bindings, SQLAlchemy's mappers, FastAPI's
and pydantic's schemas): several hundred thousand, all tracked by the collector. Every full collection walks all of
them; a sync batch of thousands of records allocates enough to set one off every few batches, and each cost 60 to
100 ms here (a fifth of the server's time on a 16,000-change push). Two remedies, both from the standard library:

- ``settle``: once start-up is over, move everything made so far to the permanent generation (``gc.freeze``), so
  later collections walk only what was made since. Those objects live as long as the process anyway.
- ``bulk_work``: while a sync cycle or an import runs, full collections are postponed (young ones still run, so
  short-lived cycles are still freed); the next full collection after it does the rest.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
NO_FULL_COLLECTIONS = 1_000_000
"""A third threshold no run of young collections reaches in a bulk operation (it counts second-generation runs)."""


def settle() -> None:
    """Collect once, then freeze what survives: call when start-up is over (app window shown, server ready)."""
    gc.collect()
    gc.freeze()


@contextmanager
def bulk_work() -> Iterator[None]:
    """Postpone full collections for the duration (re-entrant and thread-safe: the outermost exit restores)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], NO_FULL_COLLECTIONS)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
