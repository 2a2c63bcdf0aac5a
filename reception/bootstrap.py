"""The start-up wiring, in one place: open a data directory and hook the core's listeners onto its database.

The app (``ui/app.py``), the command line, the smoke test, the central server and the tests open a desk's data
through ``open_data_dir``; nothing below this module wires anything in. What it connects, in order:

- the database, migrated to the current schema (``reception.db.migrate``), its sessions on the desk's clock;
- the audit trail's sealing (``reception.security.audit.install_sealing``: every flush seals new entries into
  their desk's hash chain);
- protection at rest (``reception.security.atrest``: the key check, plaintext rows from before 0007, the audit
  chain's triggers);
- the sync outbox (``reception.sync.outbox.attach_outbox``: changes to synced tables fill it in their own
  transaction, when the desk is enrolled);
- the working-day calendar from the holiday table (``reception.db.calendar_table``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from reception.context import AppContext
from reception.db.calendar_table import load_work_calendar
from reception.db.database import Database
from reception.db.migrate import upgrade_database
from reception.paths import DataPaths
from reception.security import atrest, audit
from reception.sync.outbox import attach_outbox

__all__ = ["AppContext", "install_hooks", "open_data_dir"]


def install_hooks() -> None:
    """The process-wide listeners (on every SQLAlchemy ``Session``): the audit trail's sealing. Idempotent; also
    for a process that opens a desk database without ``open_data_dir`` (the server's reference import)."""
    audit.install_sealing()
    # the search indexes (``petitioner_token``, ``petitioner_gram``) follow every ORM write of a petitioner: the
    # mapper listeners are registered when ``reception.search.index`` is imported
    import reception.search.index  # noqa: F401


OpenProgress = Callable[[str, int, int], None]
"""What opening is doing, for a window to show: (a sentence in Chinese, done, total; total 0 when unknown). Called
from the opening thread."""


def open_data_dir(root: Path, *, now: Callable[[], datetime] | None = None,
                  progress: OpenProgress | None = None) -> AppContext:
    """Create the folders if needed, migrate the database to the current schema, and open it. ``progress`` hears
    of the long steps (a migration with its backup, filling the search indexes: minutes at a million visits)."""
    say: OpenProgress = progress or (lambda text, done, total: None)
    install_hooks()
    paths = DataPaths(root).ensure()
    say("正在检查数据库版本，必要时先备份再升级…", 0, 0)
    outcome = upgrade_database(paths.database, paths.backups)
    ctx = AppContext(paths=paths, db=Database(paths.database), migration=outcome)
    if now is not None:
        ctx.now = now
    ctx.db.clock = lambda: ctx.now()  # the audit trail's times follow the desk's clock (``session_now``)
    try:
        with ctx.db.read() as session:
            pending = atrest.needs_work(session)
        if pending:  # the key check, plaintext rows from before 0007, the audit chain's triggers (idempotent)
            say("正在检查数据加密与审计记录…", 0, 0)
            with ctx.db.write() as session:
                atrest.prepare(session)
        from reception.search import index as search_index

        with ctx.db.read() as session:
            unbuilt = search_index.needs_build(session)
        if unbuilt:  # the upgrade that created the search indexes (or a new index version): fill them once
            with ctx.db.write() as session:
                search_index.ensure_built(session, progress=lambda done, total: say(
                    f"正在重建检索索引（升级后只做一次）：{done:,} / {total:,} 位信访人", done, total))
        if pending or unbuilt or outcome.changed:
            say("正在更新数据库统计信息…", 0, 0)
            ctx.db.optimize(analyze=True)  # the planner's statistics, taken after the bulk changes
    except BaseException:
        ctx.close()
        raise

    attach_outbox(ctx.db)  # changes to synced tables fill the sync outbox in their own transaction (when enrolled)

    with ctx.db.read() as session:
        ctx.calendar = load_work_calendar(session)
    return ctx
