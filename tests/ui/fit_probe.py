"""Run in a subprocess by test_fit_screen.py on an offscreen screen of a given size and scale: open the real main
window on a data directory, show every page, and report (JSON on stdout) where the window and each page's buttons
are. Optionally saves a screenshot of each page (``--shots DIR``), as the manual's screenshots are made.

    QT_QPA_PLATFORM=offscreen:configfile=screen.json python -m tests.ui.fit_probe DATA_DIR [--shots DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea, QWidget


def inside_scroll_area(widget: QWidget, stop: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not stop:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def off_window(window: QWidget, page: QWidget) -> list[str]:
    """Visible buttons of ``page`` that are not wholly inside the window (buttons in a scroll area are reached by
    scrolling, so they do not count)."""
    bounds = window.rect()
    out = []
    for b in page.findChildren(QAbstractButton):
        if not b.isVisibleTo(window) or inside_scroll_area(b, page):
            continue
        rect = QRect(b.mapTo(window, QPoint(0, 0)), b.size())
        if not bounds.contains(rect):
            out.append(f"{b.accessibleName() or b.text()} at {rect.getRect()}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--shots", type=Path)
    parser.add_argument("--saved-geometry", help="a geometry to restore: WIDTHxHEIGHT (saved on a larger screen)")
    args = parser.parse_args(argv)
    app = QApplication([sys.argv[0]])
    from ui.app import create_main_window, prepare_application
    from ui.main_window import UI_SETTINGS_FILE
    from ui.tasks import TaskManager

    prepare_application(app)
    if args.saved_geometry:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QMainWindow

        w, h = (int(n) for n in args.saved_geometry.split("x"))
        big = QMainWindow()
        big.setGeometry(0, 0, w, h)
        QSettings(str(args.data_dir / UI_SETTINGS_FILE), QSettings.Format.IniFormat).setValue(
            "main/geometry", big.saveGeometry())
    window = create_main_window(args.data_dir, tasks=TaskManager(synchronous=True), printer=lambda _p, _f: None)
    window.confirm_on_close = False
    window.show()
    app.processEvents()
    screen = window.screen()
    report: dict[str, object] = {
        "available": screen.availableGeometry().getRect(),
        "dpr": screen.devicePixelRatio(),
        "frame": window.frameGeometry().getRect(),
        "size": window.size().toTuple(),
        "minimum": window.minimumSizeHint().toTuple(),
        "pages": {},
    }
    pages: dict[str, object] = {}
    for index in range(window.nav.count()):
        window.show_page(index)
        app.processEvents()
        name = window.nav.item(index).text()
        page = window.pages.currentWidget()
        assert page is not None
        pages[name] = off_window(window, page)
        if args.shots:
            args.shots.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(args.shots / f"page-{index}.png"))
    report["pages"] = pages
    window.close()
    app.processEvents()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
