"""Web fixtures: a real ``reception server`` process on loopback (SQLite always; PostgreSQL when
RECEPTION_TEST_PG_URL is set) with the demo district's reference data, and Playwright driving Debian's chromium.

- ``web_env``: ``tests.sync.conftest.Env`` (server process, its database, enrolled desks via ``web_env.desk(name)``).
  Set ``server_args`` in a test module (``@pytest.fixture def server_args(): return (...)``) to pass options.
- ``browser``: one headless chromium per session (``/usr/bin/chromium``, or ``$RECEPTION_CHROMIUM``); the tests that
  use it skip with the reason when playwright or chromium is missing.
- ``new_page(viewport)``: a fresh browser context (own cookies) and page at ``PHONE`` (390x844, touch, mobile) or
  ``DESKTOP`` (1366x768); closed after the test.
- ``shot(page, name)``: a full-page screenshot in the test's folder, also copied to ``$RECEPTION_WEB_SHOTS`` when set
  (to look at them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reception.security.accounts import DEMO_PASSWORD
from reception.server.authority import trust_admin
from reception.server.db import open_server_database
from reception.server.service import import_reference
from tests.pg import pg_base_url
from tests.sync.conftest import Env
from tests.sync.harness import ServerProcess, make_reference, pg_schema_url

CHROMIUM = os.environ.get("RECEPTION_CHROMIUM", "/usr/bin/chromium")
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                         "has_touch": True, "locale": "zh-CN"}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(autouse=True)
def _token_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEPTION_TOKEN_STORE", "file")


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_reference(tmp_path_factory.mktemp("reference"))


@pytest.fixture(params=["sqlite", "postgresql"])
def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
        return
    base = pg_base_url()  # skipped when unset, failed when set and unreachable
    with pg_schema_url(base) as url:
        yield url


@pytest.fixture
def server_args() -> tuple[str, ...]:
    """Extra ``reception server`` options for the web server process (override in a module)."""
    return ()


@pytest.fixture
def web_env(server_db_url: str, tmp_path: Path, reference_dir: Path, server_args: tuple[str, ...]) -> Iterator[Env]:
    db = open_server_database(server_db_url)
    import_reference(db, reference_dir)
    with db.session() as s:
        trust_admin(s, "admin", DEMO_PASSWORD)
    server = ServerProcess(server_db_url, tmp_path, extra_args=server_args).start()
    e = Env(server, db, tmp_path, [])
    try:
        yield e
    finally:
        for d in e.desks:
            d.close()
        server.stop()
        db.dispose()


def _browser_missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; the browser is Debian's chromium)"
    if not Path(CHROMIUM).exists():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium, or set RECEPTION_CHROMIUM)"
    return ""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Under CI's faketime step (libfaketime preloaded into pytest and what it starts) the browser and Playwright's
    # driver start without it: a faked clock stalls chromium's own timers. The server under test stays faked.
    preload = os.environ.pop("LD_PRELOAD", None)
    try:
        pw = sync_playwright().start()
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
    finally:
        if preload is not None:
            os.environ["LD_PRELOAD"] = preload
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def make(viewport: str | dict[str, Any] = "phone", **options: Any) -> Any:
        settings = VIEWPORTS[viewport] if isinstance(viewport, str) else viewport
        context = browser.new_context(**settings, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(tmp_path: Path) -> Callable[[Any, str], Path]:
    keep = os.environ.get("RECEPTION_WEB_SHOTS", "")

    def take(page: Any, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take
