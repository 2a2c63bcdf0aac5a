"""The app's own icon (resources/icons, drawn by packaging/make_icon.py): window, task bar, About dialog."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from reception.paths import resources_dir

ICON_FILES = ("app.ico", "app.png")


def app_icon() -> QIcon:
    """Every size of the .ico (Qt picks the one it needs), with the 256 px PNG; a null icon when neither is there."""
    icon = QIcon()
    folder = resources_dir() / "icons"
    for name in ICON_FILES:
        path = folder / name
        if path.is_file():
            icon.addFile(str(path))
    return icon
