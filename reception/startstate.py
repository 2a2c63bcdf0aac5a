"""What the desk app must know before its first window, read from the database file with plain ``sqlite3``.

The login dialog needs nothing from the database to be drawn. Opening the data directory (``open_data_dir``)
means importing SQLAlchemy and setting up the models (about 0.4 s of CPU) and checking the data key and the search
index; the app does that right after the dialog's first paint instead of before it (``ui.security.app_login``).
Two questions must be answered first, because they decide what the first window is:

- is the database at this version's schema (``SCHEMA_HEAD``)? If not (a new file, an older schema to migrate, a
  newer one to refuse, a foreign file), the app opens the directory first, as it always did;
- does the desk need the first-run wizard instead of the login (``reception.setup.needs_first_run``)?

A search index built for another ``INDEX_VERSION`` is rebuilt when the directory is opened (tens of seconds at a
million visits, in one transaction), and the protection-at-rest step of a new ``AT_REST_VERSION`` scans every
petitioner: those too are done before the login, rather than with a login dialog that would
not answer meanwhile, on a worker thread with a window that counts the petitioners done (``ui.opening``).

Anything unexpected (a locked or damaged file, a missing table) answers None: open the directory first.
``tests/unit/test_startstate.py`` checks the answer against ``needs_first_run`` on the states a desk goes through.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from reception.db.migrate import SCHEMA_HEAD
from reception.search import INDEX_SETTING, INDEX_VERSION
from reception.security import AT_REST_SETTING, AT_REST_VERSION

DEMO_SETTING = "demo_data"
"""``reception.sync.first_start.DEMO_KEY`` (a test keeps them equal)."""


@dataclass(frozen=True, slots=True)
class StartState:
    first_run: bool
    """The desk needs the first-run wizard (``reception.setup.needs_first_run`` without ``demo``)."""


def start_state(db_path: Path) -> StartState | None:
    """The answers, or None when the data directory must be opened before anything is shown."""
    if not db_path.is_file():
        return None
    try:
        conn = sqlite3.connect(db_path)  # (only reads: the file exists, nothing is created)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if row is None or row[0] != SCHEMA_HEAD:
            return None
        index_row = conn.execute("SELECT value FROM setting WHERE key = ?", (INDEX_SETTING,)).fetchone()
        if index_row is None or _json_object(index_row[0]).get("version") != INDEX_VERSION:
            return None  # (the index is rebuilt at the open)
        rest_row = conn.execute("SELECT value FROM setting WHERE key = ?", (AT_REST_SETTING,)).fetchone()
        if rest_row is None or _json_object(rest_row[0]).get("at_rest") != AT_REST_VERSION:
            return None  # (the protection-at-rest step runs at the open: a scan of every petitioner, once)
        demo_row = conn.execute("SELECT value FROM setting WHERE key = ?", (DEMO_SETTING,)).fetchone()
        demo = demo_row is not None and bool(_json_object(demo_row[0]).get("demo"))
        enrolled = conn.execute("SELECT 1 FROM sync_peer WHERE id = 1").fetchone() is not None
        password = conn.execute(
            'SELECT 1 FROM "user" WHERE password_hash != \'\' AND active IS 1 LIMIT 1').fetchone() is not None
        return StartState(first_run=not demo and not enrolled and not password)
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()


def _json_object(raw: object) -> dict[str, object]:
    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
