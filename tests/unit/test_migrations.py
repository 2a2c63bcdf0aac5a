"""Migrations run on real SQLite files: upgrade head equals the models; backups; refusal of newer databases."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from reception.bootstrap import open_data_dir
from reception.db.database import CACHE_KIB, WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, make_engine
from reception.db.migrate import current_revision, head_revision, upgrade_database
from reception.db.models import Base
from reception.domain.errors import DatabaseVersionError


def test_upgrade_head_on_empty_database_equals_the_models(tmp_path: Path) -> None:
    db = tmp_path / "fresh.sqlite3"
    outcome = upgrade_database(db, tmp_path / "backups")
    assert outcome.before is None and outcome.after == head_revision()
    assert outcome.backup is None
    engine = make_engine(db)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_database_is_wal_with_foreign_keys(tmp_path: Path) -> None:
    ctx = open_data_dir(tmp_path)
    with ctx.db.read() as session:
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # tuned for large syncs: fewer checkpoints, a larger page cache, and a grown log cut back
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_CHECKPOINT_PAGES
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == WAL_SIZE_LIMIT
    ctx.close()


def test_second_open_is_a_no_op_without_backup(tmp_path: Path) -> None:
    open_data_dir(tmp_path).close()
    ctx = open_data_dir(tmp_path)
    assert ctx.migration is not None and not ctx.migration.changed
    assert list((tmp_path / "backups").iterdir()) == []
    ctx.close()


PROBE_MIGRATION = """
from alembic import op
import sqlalchemy as sa

revision = "0002_probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("upgrade_probe", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("upgrade_probe")
"""


def test_upgrade_from_an_older_revision_backs_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reception.db.migrate as migrate

    db = tmp_path / "reception.sqlite3"
    upgrade_database(db, tmp_path / "backups")
    old_head = head_revision()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO setting (key, value) VALUES ('probe', '{}')")
    conn.commit()
    conn.close()
    # a newer release: the same scripts plus one more revision
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0002_probe.py").write_text(PROBE_MIGRATION.format(head=head_revision()), encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)

    outcome = upgrade_database(db, tmp_path / "backups")

    assert outcome.before == old_head and outcome.after == "0002_probe"
    assert outcome.backup is not None and outcome.backup.exists()
    backup = sqlite3.connect(outcome.backup)
    assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (old_head,)
    assert backup.execute("SELECT key FROM setting").fetchall() == [("probe",)]
    backup.close()
    upgraded = sqlite3.connect(db)
    assert upgraded.execute("SELECT count(*) FROM upgrade_probe").fetchone() == (0,)
    assert upgraded.execute("SELECT key FROM setting").fetchall() == [("probe",)]
    upgraded.close()


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "reception.sqlite3"
    upgrade_database(db, tmp_path / "backups")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(DatabaseVersionError) as info:
        upgrade_database(db, tmp_path / "backups")
    assert "更高版本" in info.value.message
    assert db.read_bytes() == before
    assert current_revision(db) == "ffff_from_the_future"


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "reception.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE spreadsheet (a TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseVersionError):
        upgrade_database(db, tmp_path / "backups")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("spreadsheet",)]
    conn.close()


def test_schema_head_constant_names_the_newest_migration() -> None:
    from reception.db.migrate import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


def test_opening_an_up_to_date_database_does_not_import_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    open_data_dir(tmp_path).close()
    code = (
        "import sys; from pathlib import Path; from reception.bootstrap import open_data_dir; "
        f"open_data_dir(Path({str(tmp_path)!r})).close(); "
        "sys.exit(1 if 'alembic' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def _database_at(db: Path, revision: str) -> None:
    """A desk database migrated to an older ``revision`` (as an earlier release left it)."""
    from alembic import command

    from reception.db.migrate import alembic_config

    engine = make_engine(db)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_0009_moves_the_centre_wide_settings_out_of_the_desk_settings(tmp_path: Path) -> None:
    import json

    from sqlalchemy import select

    from reception.db.models import CentreSetting, Setting
    from reception.db.settings import load_desk_settings
    from reception.domain.deadlines import RollPolicy
    from reception.lifecycle.service import load_settings
    from reception.roster.rules import load_roster_rules
    from reception.stats.ranking import load_weights

    db = tmp_path / "reception.sqlite3"
    _database_at(db, "0008")
    desk = {"desk_id": "d1", "officer_id": "u1", "receipt_layout": "a5", "query_hint": "请凭编号查询",
            "roll_deadline_to_workday": True, "deadline_roll": "holidays_only"}
    lifecycle = {"amber_days": 5, "amber_fraction": 0.3, "evaluation_days": 30, "supervision_days": 20,
                 "sign_days": 4}
    ranking = {"weights": {"accept_rate": 1, "on_time_rate": 2, "satisfaction_rate": 3, "repeat_rate": 4,
                           "supervised": 5}}
    roster = {"no_meeting_week": "week_of_last_workday"}
    conn = sqlite3.connect(db)
    for key, value in (("desk", desk), ("lifecycle", lifecycle), ("stats_ranking", ranking), ("roster", roster),
                       ("security", {"lock_minutes": 7})):
        conn.execute("INSERT INTO setting (key, value) VALUES (?, ?)", (key, json.dumps(value)))
    conn.commit()
    conn.close()

    ctx = open_data_dir(tmp_path)
    assert ctx.migration is not None and ctx.migration.before == "0008"
    with ctx.db.read() as s:
        local = {r.key: r.value for r in s.scalars(select(Setting))}
        centre = {r.key: r.value for r in s.scalars(select(CentreSetting))}
        assert set(local) == {"desk", "security", "search_index"}  # (only this PC's settings stay)
        assert local["desk"] == {k: v for k, v in desk.items() if k not in ("roll_deadline_to_workday",
                                                                            "deadline_roll")}
        assert local["security"]["lock_minutes"] == 7  # (open_data_dir adds the data key's check value)
        assert centre == {"deadline_roll": {"policy": "holidays_only"}, "lifecycle": lifecycle,
                          "stats_ranking": ranking, "roster": roster}
        # the loaders read the moved values, with their usual signatures
        settings = load_desk_settings(s)
        assert settings.roll_policy is RollPolicy.HOLIDAYS_ONLY
        assert (settings.desk_id, settings.receipt_layout, settings.query_hint) == ("d1", "a5", "请凭编号查询")
        st = load_settings(s)
        assert st.roll is RollPolicy.HOLIDAYS_ONLY and st.sign_days == 4 and st.supervision_days == 20
        assert st.thresholds.amber_days == 5
        assert load_weights(s).as_dict() == ranking["weights"]
        assert load_roster_rules(s).no_meeting_week == "week_of_last_workday"
    ctx.close()


def test_0009_keeps_the_first_form_of_the_roll_over_rule(tmp_path: Path) -> None:
    """A desk that only ever had the boolean (``roll_deadline_to_workday`` False: never roll) keeps its rule."""
    import json

    from reception.db.settings import load_desk_settings
    from reception.domain.deadlines import RollPolicy

    db = tmp_path / "reception.sqlite3"
    _database_at(db, "0008")
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO setting (key, value) VALUES ('desk', ?)",
                 (json.dumps({"desk_id": "d1", "roll_deadline_to_workday": False}),))
    conn.commit()
    conn.close()
    ctx = open_data_dir(tmp_path)
    with ctx.db.read() as s:
        assert load_desk_settings(s).roll_policy is RollPolicy.NONE
    ctx.close()
    fresh = tmp_path / "fresh"
    ctx = open_data_dir(fresh)  # a new data directory: the default rule, no centre setting stored
    with ctx.db.read() as s:
        assert load_desk_settings(s).roll_policy is RollPolicy.NON_WORKING_DAYS
    ctx.close()


def test_0009_downgrade_puts_the_settings_back(tmp_path: Path) -> None:
    import json

    from alembic import command

    from reception.db.migrate import alembic_config

    db = tmp_path / "reception.sqlite3"
    _database_at(db, "0008")
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO setting (key, value) VALUES ('desk', ?)",
                 (json.dumps({"desk_id": "d1", "roll_deadline_to_workday": True, "deadline_roll": "none"}),))
    conn.execute("INSERT INTO setting (key, value) VALUES ('lifecycle', ?)", (json.dumps({"sign_days": 6}),))
    conn.commit()
    conn.close()
    upgrade_database(db, tmp_path / "backups")
    engine = make_engine(db)
    try:
        with engine.begin() as c:
            config = alembic_config()
            config.attributes["connection"] = c
            command.downgrade(config, "0008")
    finally:
        engine.dispose()
    conn = sqlite3.connect(db)
    rows = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM setting")}
    conn.close()
    assert rows["lifecycle"] == {"sign_days": 6}
    assert rows["desk"]["deadline_roll"] == "none" and rows["desk"]["roll_deadline_to_workday"] is False
