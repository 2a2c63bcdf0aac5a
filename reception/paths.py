"""Where things live: the user's data directory and the app's bundled resources.

The data directory comes, in order, from an explicit argument (``--data-dir``), the ``RECEPTION_DATA_DIR``
environment variable, or platformdirs' per-user data directory (``%LOCALAPPDATA%\\ReceptionDesk`` on Windows).
Resources come from the source tree or, in a PyInstaller build, from the bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from reception import APP_NAME

DATA_DIR_ENV = "RECEPTION_DATA_DIR"
DATABASE_FILE = "reception.sqlite3"


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the sources, or inside a frozen one-folder build."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


class DataPaths:
    """The files of one data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def database(self) -> Path:
        return self.root / DATABASE_FILE

    @property
    def receipts(self) -> Path:
        return self.root / "receipts"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def ensure(self) -> DataPaths:
        for folder in (self.root, self.receipts, self.backups, self.logs, self.exports):
            folder.mkdir(parents=True, exist_ok=True)
        return self
