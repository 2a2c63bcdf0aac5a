"""``reception.startstate``: what the app reads with plain sqlite3 before its first window agrees with the core."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from reception.bootstrap import open_data_dir
from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.migrate import SCHEMA_HEAD
from reception.db.models import SyncPeer, User
from reception.security.accounts import add_user
from reception.setup import needs_first_run
from reception.startstate import DEMO_SETTING, StartState, start_state
from reception.sync.first_start import DEMO_KEY, mark_demo


def _agrees(ctx: AppContext) -> StartState:
    state = start_state(ctx.paths.database)
    assert state is not None
    assert state.first_run == needs_first_run(ctx)
    return state


def test_the_first_run_answer_follows_the_desk_through_its_states(tmp_path: Path) -> None:
    ctx = open_data_dir(tmp_path)
    try:
        assert _agrees(ctx).first_run  # a new desk: nobody can sign in
        user_id = add_user(ctx, "admin", "管理员", "admin", actor_id=None)  # an account without a password
        assert _agrees(ctx).first_run
        with ctx.db.write() as session:
            session.get_one(User, user_id).password_hash = "$argon2id$v=19$stand-in"
        assert not _agrees(ctx).first_run  # someone can sign in
        with ctx.db.write() as session:
            session.get_one(User, user_id).active = False
        assert _agrees(ctx).first_run  # only a deactivated account has a password
        with ctx.db.write() as session:
            session.add(SyncPeer(id=1, server_url="http://127.0.0.1:1", client_id="c", desk_code="D01",
                                 enrolled_at=utcnow()))
        assert not _agrees(ctx).first_run  # enrolled: the server's accounts
        with ctx.db.write() as session:
            session.delete(session.get_one(SyncPeer, 1))
            mark_demo(session)
        assert not _agrees(ctx).first_run  # the demo district
    finally:
        ctx.close()
    assert DEMO_SETTING == DEMO_KEY


def test_a_database_not_at_this_schema_is_opened_first(tmp_path: Path) -> None:
    assert start_state(tmp_path / "reception.sqlite3") is None  # no database yet: created (and migrated) first
    open_data_dir(tmp_path).close()
    db = tmp_path / "reception.sqlite3"
    assert start_state(db) is not None
    for revision in ("0011_ledger", "ffff_from_the_future"):  # an older schema (migrate), a newer one (refuse)
        conn = sqlite3.connect(db)
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        conn.commit()
        conn.close()
        assert start_state(db) is None
    foreign = tmp_path / "foreign.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE spreadsheet (a TEXT)")
    conn.commit()
    conn.close()
    assert start_state(foreign) is None
    assert SCHEMA_HEAD != "ffff_from_the_future"


def test_a_search_index_to_rebuild_is_opened_first(tmp_path: Path) -> None:
    """An index built for another ``INDEX_VERSION`` is rebuilt by the open: before any window, as before."""
    from reception.search import index as search_index

    open_data_dir(tmp_path).close()
    db = tmp_path / "reception.sqlite3"
    assert start_state(db) is not None
    conn = sqlite3.connect(db)
    conn.execute("UPDATE setting SET value = ? WHERE key = ?",
                 (f'{{"version": {search_index.INDEX_VERSION - 1}}}', search_index.SETTING_KEY))
    conn.commit()
    conn.close()
    assert start_state(db) is None
    ctx = open_data_dir(tmp_path)  # (the open rebuilds it)
    ctx.close()
    assert start_state(db) is not None


def test_start_state_reads_without_sqlalchemy(tmp_path: Path) -> None:
    open_data_dir(tmp_path).close()
    code = (
        "import sys; from pathlib import Path; from reception.startstate import start_state; "
        f"state = start_state(Path({str(tmp_path / 'reception.sqlite3')!r})); "
        "sys.exit(0 if state is not None and 'sqlalchemy' not in sys.modules else 1)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
