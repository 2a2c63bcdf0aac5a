"""Start the desk app: arguments, the data directory, the application font, the main window.

``create_main_window`` builds exactly the window ``main()`` shows, for an existing data directory (tests use it).
Heavy modules (ReportLab, QtPdf, QtPrintSupport, the demo generator) are imported only when first needed, so the
window appears quickly. The first window, the login dialog, is painted before the data directory is opened (with it
SQLAlchemy and the models): ``reception.startstate`` answers with plain sqlite3 what must be known before it, and
``ui.security.app_login.sign_in_at_start`` opens the directory right after the first paint
(``tests/ui/test_startup.py``; ``bench/bench_startup.py``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reception import APP_NAME, APP_TITLE, __version__
from reception.domain.errors import ReceptionError
from reception.paths import DATA_DIR_ENV, DataPaths, default_data_dir, resolve_data_dir, resources_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from reception.context import AppContext
    from ui.main_window import MainWindow
    from ui.printing import PrintFn
    from ui.tasks import TaskManager

log = logging.getLogger(__name__)

FONT_FILE = "wqy-microhei.ttc"


def create_main_window(
    data_dir: Path,
    user: str | None = None,
    *,
    tasks: TaskManager | None = None,
    printer: PrintFn | None = None,
    now: Callable[[], datetime] | None = None,
    ctx: AppContext | None = None,
) -> MainWindow:
    """The main window for an existing (or new, empty) data directory; migrates its database first.

    ``user`` is the id of the officer signed in (default: the desk's configured officer). ``tasks`` and ``printer``
    are for tests: a synchronous TaskManager and a print function that opens no dialog. ``ctx``: the data
    directory already opened (``main`` opens it once for the login and the window); the window owns it then.
    """
    from reception.bootstrap import open_data_dir
    from ui.main_window import MainWindow
    from ui.scanner import install_scanner

    if ctx is None:
        ctx = open_data_dir(Path(data_dir), now=now)
    try:
        window = MainWindow(ctx, user_id=user, tasks=tasks, printer=printer)
        install_scanner(window)  # a receipt scanned on any page opens its case
        return window
    except BaseException:
        ctx.close()
        raise


def install_application_font(app: QApplication) -> str | None:
    """Use the shipped CJK font (WenQuanYi Micro Hei) when it is there; returns the family name."""
    from PySide6.QtGui import QFont, QFontDatabase

    path = resources_dir() / "fonts" / FONT_FILE
    if not path.is_file():
        return None
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.warning("could not load the application font %s", FONT_FILE)
        return None
    font = QFont(app.font())
    font.setFamilies([families[0], *app.font().families()])
    app.setFont(font)
    return families[0]


EXIT_AFTER_SHOWN_ENV = "RECEPTION_EXIT_AFTER_SHOWN"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reception-desk", description=f"{APP_TITLE}（桌面端）")
    parser.add_argument("--data-dir", metavar="DIR", help=f"data directory (default: per-user; env {DATA_DIR_ENV})")
    parser.add_argument("--demo", action="store_true", help="use a demo data directory, seeded when empty")
    parser.add_argument("--user", metavar="USERNAME", help="user name to put in the login dialog")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Qt's own options (-platform, -style …) pass through untouched
    args, qt_args = parser.parse_known_args(list(argv) if argv is not None else sys.argv[1:])
    args.qt_args = qt_args
    return args


def choose_data_dir(args: argparse.Namespace) -> Path:
    """``--data-dir``, else the environment variable, else (with ``--demo``) a separate demo folder, else the
    per-user data directory. Demo data never goes into the real data directory by accident."""
    if args.data_dir or os.environ.get(DATA_DIR_ENV):
        return resolve_data_dir(args.data_dir)
    if args.demo:
        return default_data_dir().with_name(f"{APP_NAME}-demo")
    return default_data_dir()


def seed_demo_if_empty(data_dir: Path) -> bool:
    """Fill a fresh data directory with the demo district; a directory that has a database is left alone."""
    if DataPaths(data_dir).database.exists():
        return False
    from reception.bootstrap import open_data_dir
    from reception.demo import seed_demo  # the demo generator is only needed here
    from reception.sync.first_start import mark_demo

    ctx = open_data_dir(data_dir)
    try:
        seed_demo(ctx)
        with ctx.db.write() as session:
            mark_demo(session)  # a demo directory is never offered enrolment
    finally:
        ctx.close()
    return True


def run_first_run_if_needed(ctx: AppContext) -> str | bool | None:
    """The first-run wizard on a desk nobody can sign in to yet (``reception.setup.needs_first_run``):
    the administrator's user name once set up, False when cancelled, None when no set-up was needed."""
    from reception.setup import needs_first_run

    if not needs_first_run(ctx):
        return None
    from ui.admin.setup_wizard import run_setup_wizard

    username = run_setup_wizard(ctx, exit_when_shown=bool(os.environ.get(EXIT_AFTER_SHOWN_ENV)))
    return username if username else False


LOG_FILE = "desk.log"
LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 5
"""desk.log rotates at 2 MB and keeps five old files (desk.log.1 ... desk.log.5): at most 12 MB."""


def configure_logging(data_dir: Path) -> Path | None:
    """The desk's log: ``logs/desk.log`` in the data directory (beside the database it describes, so a demo
    directory keeps its own), UTF-8, rotating. Returns the log file, or None when it could not be opened (then
    the log goes to stderr). Personal data stays out (``reception.security.logsafe``)."""
    from logging.handlers import RotatingFileHandler

    from reception.security import logsafe

    logsafe.install()
    root = logging.getLogger()
    for existing in root.handlers:
        if isinstance(existing, RotatingFileHandler):
            return Path(existing.baseFilename)
    if root.handlers:  # someone (a test runner, an embedding script) configured logging already
        return None
    log_file: Path | None
    try:
        logs = DataPaths(data_dir).logs
        logs.mkdir(parents=True, exist_ok=True)
        log_file = logs / LOG_FILE
        handler: logging.Handler = RotatingFileHandler(log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS,
                                                       encoding="utf-8", delay=True)
    except OSError:
        handler = logging.StreamHandler()
        log_file = None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return log_file



QT_TRANSLATION_CATALOGS = ("qtbase",)
"""Qt's own texts (QMessageBox buttons, the print and print-preview dialogs, file dialogs, context menus)."""


def qt_translation_dirs() -> list[Path]:
    """Where Qt's .qm files are: Qt's own translations folder, then (in a frozen build) the bundled copy."""
    from PySide6.QtCore import QLibraryInfo

    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        dirs += [Path(bundle) / "PySide6" / "Qt" / "translations", Path(bundle) / "PySide6" / "translations"]
    return dirs


def install_qt_translations(app: QApplication, locale_name: str = "zh_CN") -> list[str]:
    """Load Qt's Simplified Chinese translations into ``app`` (kept alive as its children); returns the files
    loaded. Without them Qt's dialogs say Yes/No, Print, Cancel in English."""
    from PySide6.QtCore import QLocale, QTranslator

    locale = QLocale(locale_name)  # (only to pick the files: number and date formats stay the system's)
    loaded: list[str] = []
    for catalog in QT_TRANSLATION_CATALOGS:
        name = f"qt-translation-{catalog}_{locale_name}"
        already = app.findChild(QTranslator, name)
        if already is not None:  # (a second start in the same process: tests, the smoke test)
            loaded.append(already.filePath())
            continue
        for folder in qt_translation_dirs():
            translator = QTranslator(app)
            translator.setObjectName(name)
            if translator.load(locale, catalog, "_", str(folder)):
                app.installTranslator(translator)
                loaded.append(translator.filePath())
                break
            translator.deleteLater()
        else:
            log.warning("Qt translation %s_%s not found", catalog, locale_name)
    return loaded


def forget_sources_read_by_pyside() -> None:
    """PySide6 reads the source of every module imported after it (``inspect.getsource``: does it use PySide6's
    ``__feature__`` switches?), and ``linecache`` keeps every line of it for the life of the process: about 19 MB
    for SQLAlchemy, the models and the main window's modules (bench/bench_main_window.py). The check still runs,
    with the same answer; the source it read is dropped from the cache afterwards, as is what it read before this
    call (a traceback reads them again). Left alone when PySide6's support module is not as expected."""
    import linecache

    feature = sys.modules.get("shibokensupport.feature")
    check = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(check) or getattr(check, "forgets_source", False):
        return

    def uses_pyside(module: object) -> object:
        try:
            return check(module)
        finally:
            filename = getattr(module, "__file__", None)
            if isinstance(filename, str):
                linecache.cache.pop(filename, None)

    uses_pyside.forgets_source = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    for filename in [name for name in linecache.cache if not name.startswith("<")]:  # (read before this call)
        linecache.cache.pop(filename, None)


def realize_qt_classes() -> None:
    """Have PySide6 create now the Python classes (and their enums) of QtCore, QtGui and QtWidgets that it creates
    lazily, all at once, the first time it hands Python an object of a class it does not wrap: here a QLabel's
    private text control. The main window's first frame did that (the receipt scanner's application-wide event
    filter sees every object's events; about 50 ms), so ``prepare_main_window`` does it while the password is
    typed. (qtawesome's qtpy did the same with its star imports.)"""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(" ")
    label.children()  # (the QWidgetTextControl, a private class)
    label.deleteLater()


def prepare_application(app: QApplication) -> None:
    """What every start of the desk app's QApplication needs: names, version, font, Chinese Qt dialogs."""
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_TITLE)
    app.setApplicationVersion(__version__)
    forget_sources_read_by_pyside()
    install_application_font(app)
    install_qt_translations(app)
    from ui.icons import app_icon

    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)


def _opener(data_dir: Path) -> Callable[[], AppContext]:
    def open_it() -> AppContext:
        from reception.bootstrap import open_data_dir

        return open_data_dir(data_dir)

    return open_it


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = choose_data_dir(args)
    log_file = configure_logging(data_dir)

    from PySide6.QtWidgets import QApplication, QMessageBox

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *args.qt_args])
    prepare_application(app)
    from ui.crash import install_crash_handler

    install_crash_handler(log_file)
    from reception.startstate import start_state

    ctx: AppContext | None = None
    try:
        if args.demo:
            seed_demo_if_empty(data_dir)
        # The login dialog is the first window; opening the data directory (SQLAlchemy, the models, the key and
        # index checks: ~0.4 s) waits until it is painted, when the file is at this version's schema and the desk
        # is set up (reception.startstate). Otherwise the directory is opened first, as it must be: a migration,
        # a newer schema refused, the first-run wizard.
        state = start_state(DataPaths(data_dir).database)
        if state is None or (state.first_run and not args.demo):
            from ui.opening import open_with_progress

            ctx = open_with_progress(data_dir)  # a migration or an index build can take minutes: shown as it goes
        username = args.user
        if ctx is not None and not args.demo:
            set_up = run_first_run_if_needed(ctx)
            if set_up is False:  # 取消 in the first-run wizard
                return 0
            username = set_up or username
            if set_up:  # the wizard set the desk up (perhaps enrolled it): the login opens it afresh
                ctx.close()
                ctx = None
        from ui.security.app_login import sign_in_at_start

        signed, ctx = sign_in_at_start(ctx if ctx is not None else _opener(data_dir), demo=args.demo,
                                       username=username, exit_when_shown=bool(os.environ.get(EXIT_AFTER_SHOWN_ENV)))
        if signed is None or ctx is None:  # 退出 in the login dialog (or the start-up benchmark's early exit)
            return 0
        opened, ctx = ctx, None  # the window owns it now (closed with the window, or by create_main_window on failure)
        window = create_main_window(data_dir, user=signed.user_id, ctx=opened)
    except ReceptionError as exc:
        log.error("start-up refused: %s", exc.key)
        QMessageBox.critical(None, APP_TITLE, exc.message)
        return 1
    except ImportError:
        log.exception("start-up failed: a module is missing")
        QMessageBox.critical(None, APP_TITLE, "演示数据模块不可用，无法创建演示数据。")
        return 1
    finally:
        if ctx is not None:
            ctx.close()
    window.show()
    from ui.security.app_login import after_sign_in

    after_sign_in(window, signed)
    from ui.sync.first_run import offer_enrolment

    if not os.environ.get(EXIT_AFTER_SHOWN_ENV):
        offer_enrolment(window, demo=args.demo)  # first start of a desk that is not enrolled (never for --demo)
    log.info("desk app started (version %s)", __version__)
    from PySide6.QtCore import QTimer

    from reception import heap

    QTimer.singleShot(0, heap.settle)  # after the first frame: later full collections skip the start-up heap
    if os.environ.get(EXIT_AFTER_SHOWN_ENV):
        # bench/bench_startup.py: report once the first frame is up, then leave
        def _shown() -> None:
            print("window shown", flush=True)
            window.confirm_on_close = False
            app.quit()

        QTimer.singleShot(0, _shown)
    return app.exec()


def standard_button_text(name: str) -> str:
    """The text Qt gives a standard QMessageBox button (``"Yes"``, ``"Cancel"``...) in the current language."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox()
    try:
        button = box.addButton(getattr(QMessageBox.StandardButton, name))
        return button.text() if button is not None else ""
    finally:
        box.deleteLater()


def bundled_icu_problem() -> str | None:
    """What is wrong with the ICU data a frozen Linux build carries, or None (also when it carries none: Windows, or
    not frozen). build.spec keeps only the data Qt reaches for the root, Chinese and English locales
    (packaging/icu_data.py); this proves that what Qt asks of ICU still answers: Chinese collation in pinyin order
    (北京 before 上海, which the code points and the root order put the other way round) and the GB18030 converter
    (PySide6 has no decode call on QStringDecoder: that it opens is what is checked)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle or not any((Path(bundle) / "PySide6" / "Qt" / "lib").glob("libicudata.so.*")):
        return None
    from PySide6.QtCore import QCollator, QLocale, QStringDecoder

    if QCollator(QLocale("zh_CN")).compare("北京", "上海") >= 0:
        return "QCollator(zh_CN) does not sort 北京 before 上海 (ICU's coll/zh.res missing?)"
    if not QStringDecoder("GB18030").isValid():  # (ICU opens the converter's table, gb18030.cnv, here)
        return "Qt has no GB18030 converter (ICU's gb18030.cnv missing?)"
    return None


def smoke_test_window() -> int:
    """``main.py --smoke-test``: build and show the real main window on a throwaway data directory, then exit.

    Proves that the frozen build has its Qt plugins, that the window builds against a migrated, seeded database and
    that start-up imports are complete. Without a display on Linux the offscreen platform is used.
    """
    import tempfile
    import time

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    started = time.perf_counter()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    prepare_application(app)
    from reception.smoke import throwaway_key

    with tempfile.TemporaryDirectory(prefix="reception-ui-smoke-") as tmp, throwaway_key(Path(tmp)):
        from reception.bootstrap import open_data_dir
        from reception.demo import seed_reference

        ctx = open_data_dir(Path(tmp))
        try:
            with ctx.db.write() as session:
                seed_reference(session)
        finally:
            ctx.close()
        window = create_main_window(Path(tmp))
        window.confirm_on_close = False
        window.show()
        app.processEvents()
        ok = window.isVisible() and window.intake_page.form.category_combo.count() > 0
        yes = standard_button_text("Yes")
        window.close()
        app.processEvents()
    elapsed = (time.perf_counter() - started) * 1000
    if not ok:
        print("window smoke test FAILED: the main window did not build", file=sys.stderr)
        return 1
    if "是" not in yes:
        print(f"window smoke test FAILED: Qt's dialogs are not in Chinese (the Yes button reads {yes!r}; "
              "qtbase_zh_CN.qm missing?)", file=sys.stderr)
        return 1
    icu = bundled_icu_problem()
    if icu:
        print(f"window smoke test FAILED: {icu}", file=sys.stderr)
        return 1
    loaded = ", ".join(Path(f).name for f in install_qt_translations(app))  # (already installed: just named)
    print(f"window smoke test OK: main window shown and closed, {elapsed:.0f} ms; Qt in Chinese ({loaded})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
