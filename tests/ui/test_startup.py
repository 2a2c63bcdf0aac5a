"""The desk app's start (issue 18): the login dialog is painted before the data directory is opened, and what must
come first still does: an old database is migrated, a newer one refused, a new desk gets the first-run wizard.

The app itself is started (``main.py`` in a subprocess, as ``bench/bench_startup.py`` starts it); nothing is timed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from reception.db.database import make_engine
from reception.db.migrate import SCHEMA_HEAD, alembic_config, current_revision
from reception.security.accounts import DEMO_PASSWORD
from tests.ui.helpers import by_name, click, type_into
from ui.security.login import LoginDialog
from ui.tasks import TaskManager

REPO = Path(__file__).resolve().parents[2]

NOT_BEFORE_THE_FIRST_WINDOW = ("sqlalchemy", "reception.db.models", "alembic", "argon2", "keyring", "cryptography",
                               "reportlab", "openpyxl", "httpx", "pypinyin", "lunar_python", "PySide6.QtPdf",
                               "PySide6.QtPrintSupport", "PySide6.QtCharts")


def run_app(data_dir: Path, *, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RECEPTION_EXIT_AFTER_SHOWN="1", QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    args = ["-c", code] if code is not None else [str(REPO / "main.py"), "--data-dir", str(data_dir)]
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def test_the_login_dialog_is_drawn_without_the_core(tmp_path: Path) -> None:
    """What the first window needs imports none of the heavy modules (a regression guard, not a timing)."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui.app import prepare_application\n"
        "from ui.security.app_login import sign_in_at_start\n"
        "from ui.security.login import LoginDialog\n"
        "from ui.tasks import TaskManager\n"
        "from reception.startstate import start_state\n"
        "app = QApplication([])\n"
        "prepare_application(app)\n"
        "dialog = LoginDialog(None, TaskManager(), demo=True)\n"
        "dialog.show()\n"
        "app.processEvents()\n"
        f"loaded = [m for m in {NOT_BEFORE_THE_FIRST_WINDOW!r} if m in sys.modules]\n"
        "print('loaded:', loaded)\n"
        "sys.exit(1 if loaded or not dialog.isVisible() else 0)\n"
    )
    done = run_app(tmp_path, code=code)
    assert done.returncode == 0, done.stdout + done.stderr


def test_what_the_main_window_needs_is_loaded_while_the_password_is_typed(tmp_path: Path) -> None:
    """``prepare_main_window`` (run once the login dialog is painted) imports the main window's modules and loads
    the icon font (qtawesome's, with its qtpy wrappers: the better part of the wait after 登录, bench_main_window);
    PySide6's lazily made classes are made then too (``realize_qt_classes``: else in the first frame after 登录)."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui.app import prepare_application\n"
        "from ui.security.app_login import prepare_main_window\n"
        "app = QApplication([])\n"
        "prepare_application(app)\n"
        "before = [m for m in ('qtawesome', 'ui.main_window') if m in sys.modules]\n"
        "prepare_main_window()\n"
        "from ui import icons\n"
        "after = [m for m in ('qtawesome', 'ui.main_window') if m in sys.modules]\n"
        "from PySide6 import QtWidgets\n"
        "lazy = 'QWizard' in vars(QtWidgets)  # (created by PySide6 with the others at once)\n"
        "print('before:', before, 'after:', after, 'font:', bool(icons._font), 'classes:', lazy)\n"
        "sys.exit(0 if not before and len(after) == 2 and icons._font and lazy else 1)\n"
    )
    done = run_app(tmp_path, code=code)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_app_opens_its_data_directory_after_the_first_paint(data_dir: Path) -> None:
    done = run_app(data_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["window", "shown", "ready"]  # the dialog first, then the directory opened


def test_an_old_database_is_migrated_when_the_app_starts(tmp_path: Path) -> None:
    from alembic import command

    db = tmp_path / "reception.sqlite3"
    engine = make_engine(db)
    try:
        with engine.begin() as conn:  # the schema an earlier release left
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0011_ledger")
    finally:
        engine.dispose()
    assert current_revision(db) == "0011_ledger"
    done = run_app(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "window shown" in done.stdout  # (the first-run wizard: nobody can sign in to this desk yet)
    assert current_revision(db) == SCHEMA_HEAD
    assert [p.name for p in (tmp_path / "backups").iterdir()][0].endswith("-before-0011_ledger.sqlite3")


def test_a_newer_database_is_refused_when_the_app_starts(data_dir: Path) -> None:
    db = data_dir / "reception.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QMessageBox\n"
        "QMessageBox.critical = staticmethod(lambda _parent, _title, text: print('refused:', text))\n"
        "from ui.app import main\n"
        f"sys.exit(main(['--data-dir', {str(data_dir)!r}]))\n"
    )
    done = run_app(data_dir, code=code)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refused:" in done.stdout and "更高版本" in done.stdout and "window shown" not in done.stdout
    assert db.read_bytes() == before


def test_a_sign_in_before_the_directory_is_open_opens_it_first(qtbot: QtBot, data_dir: Path) -> None:
    from reception.bootstrap import open_data_dir
    from reception.context import AppContext

    dialog = LoginDialog(None, TaskManager(synchronous=True))
    qtbot.addWidget(dialog)
    opened: list[AppContext] = []

    def prepare() -> None:
        opened.append(open_data_dir(data_dir))
        dialog.ctx = opened[0]

    dialog.prepare = prepare
    dialog.show()
    try:
        type_into(qtbot, by_name(dialog, QLineEdit, "用户名"), "admin")
        type_into(qtbot, by_name(dialog, QLineEdit, "密码"), DEMO_PASSWORD)
        with qtbot.waitSignal(dialog.signedIn):
            click(qtbot, dialog, "登录")
        assert len(opened) == 1 and dialog.user is not None and dialog.user.role == "admin"
    finally:
        for ctx in opened:
            ctx.close()


NOT_WITH_THE_MAIN_WINDOW = ("httpx", "pydantic")
"""Loaded by no page of a desk that is not syncing (bench/bench_main_window.py: the main window's peak memory)."""
NOT_BEFORE_THEIR_PAGE = ("ui.cases.page", "ui.roster.page", "ui.leader.page", "ui.stats.page", "ui.sync.page",
                         "PySide6.QtCharts")
"""Only 来访登记 is built with the main window; the other pages (and QtCharts, the statistics') when first shown."""


def test_the_main_window_is_built_and_shown_without_the_sync_client_and_other_pages(data_dir: Path) -> None:
    """The demo desk (standalone): the window, its status bar, its sync timer and every page, each shown once,
    import neither httpx nor pydantic (the sync client and the protocol's models: about 17 MB with what httpx
    brings along; they come with the first sync, enrolment or download); the pages but 来访登记 are imported when
    first shown."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui.app import create_main_window, prepare_application\n"
        "from ui.security.app_login import prepare_main_window\n"
        "app = QApplication([])\n"
        "prepare_application(app)\n"
        "prepare_main_window()\n"
        f"window = create_main_window(Path({str(data_dir)!r}))\n"
        "window.confirm_on_close = False\n"
        "window.show()\n"
        "deadline = time.monotonic() + 2\n"
        "while time.monotonic() < deadline:\n"
        "    app.processEvents()\n"
        f"shown = [m for m in {NOT_WITH_THE_MAIN_WINDOW + NOT_BEFORE_THEIR_PAGE!r} if m in sys.modules]\n"
        "for index in range(window.nav.count()):\n"
        "    window.show_page(index)\n"
        "    app.processEvents()\n"
        "deadline = time.monotonic() + 2\n"
        "while time.monotonic() < deadline:\n"
        "    app.processEvents()\n"
        f"visited = [m for m in {NOT_WITH_THE_MAIN_WINDOW!r} if m in sys.modules]\n"
        f"pages = [m for m in {NOT_BEFORE_THEIR_PAGE!r} if m not in sys.modules]\n"
        "print('shown:', shown, 'every page visited:', visited, 'pages not loaded:', pages,\n"
        "      'sync:', window.sync_status.text())\n"
        "window.close()\n"
        "sys.exit(1 if shown or visited or pages or '单机' not in window.sync_status.text() else 0)\n"
    )
    done = run_app(data_dir, code=code)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_sources_pyside_reads_at_each_import_are_not_kept(tmp_path: Path) -> None:
    """PySide6 reads the source of each module imported after it; ``prepare_application`` has linecache drop it
    again (about 19 MB at the main window: SQLAlchemy, the models, the pages). The check's answers are the same."""
    code = (
        "import linecache, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui.app import prepare_application\n"
        "app = QApplication([])\n"
        "prepare_application(app)\n"
        "import sqlalchemy.orm\n"
        "import ui.widgets\n"
        "kept = [k for k in linecache.cache if k.endswith(('.py', '.pyw'))]  # (sqlalchemy's '<generated>' stay)\n"
        "feature = sys.modules['shibokensupport.feature']\n"
        "answers = (feature._mod_uses_pyside(ui.widgets), feature._mod_uses_pyside(sqlalchemy.orm))\n"
        "print('kept:', len(kept), kept[:3], 'answers:', answers)\n"
        "sys.exit(0 if not kept and answers == (True, False) else 1)\n"
    )
    done = run_app(tmp_path, code=code)
    assert done.returncode == 0, done.stdout + done.stderr
