"""PyInstaller runtime hook of Reception Desk: runs before ``main.py`` in the frozen app.

- Never write ``__pycache__`` into the install folder: Alembic loads the migration scripts from
  ``_internal/reception/db/migrations`` by path, and that folder may be read-only (Program Files) or shared.
- The Windows desk exe is windowed (no console), so ``sys.stdout``/``sys.stderr`` are ``None`` there. When
  ``RECEPTION_CONSOLE_LOG`` names a file, send both streams to it (UTF-8, appended), so that
  ``ReceptionDesk.exe --smoke-test`` can be checked in CI and a support call can capture a traceback.
"""

import os
import sys

sys.dont_write_bytecode = True

_log = os.environ.get("RECEPTION_CONSOLE_LOG")
if _log and (sys.stdout is None or sys.stderr is None):
    _stream = open(_log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (lives as long as the process)
    if sys.stdout is None:
        sys.stdout = _stream
    if sys.stderr is None:
        sys.stderr = _stream
