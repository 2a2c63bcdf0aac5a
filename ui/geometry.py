"""Windows that fit the screen they open on: 1366×768 at 100 %, 1920×1080 at 150 % (1280×720 logical pixels), or
anything larger. A window asks for its preferred size; it gets at most the screen's available area (without the
task bar) less the title bar, centred. A geometry restored from the settings is clamped the same way, so a window
saved on a large monitor still fits a laptop's screen.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

TITLE_BAR = 32
"""Room left for the window's title bar and frame (logical pixels; Windows 10/11 use about 31 at any scale)."""
MARGIN = 8


def available_area(widget: QWidget | None = None) -> QRect:
    """The available geometry (without the task bar) of the widget's screen, else the primary screen."""
    screen: QScreen | None = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def fitted_size(preferred: QSize, available: QRect, minimum: QSize | None = None) -> QSize:
    """``preferred`` cut to what ``available`` holds with a frame around it; never below ``minimum``."""
    width = min(preferred.width(), available.width() - 2 * MARGIN)
    height = min(preferred.height(), available.height() - TITLE_BAR - MARGIN)
    if minimum is not None:
        width, height = max(width, minimum.width()), max(height, minimum.height())
    return QSize(max(width, 1), max(height, 1))


def fit_to_screen(window: QWidget, width: int, height: int, *, centred: bool = True) -> QSize:
    """Resize a top-level window to its preferred size, cut to its screen, and centre it there (a dialog,
    ``centred=False``, is left for Qt to place over its parent)."""
    area = available_area(window.parentWidget() or window)
    size = fitted_size(QSize(width, height), area)
    window.resize(size)
    if centred:
        centre(window, area)
    return size


def clamp_to_screen(window: QWidget) -> bool:
    """After ``restoreGeometry``: a window larger than its screen (or off it) is cut down and moved onto it.
    Returns whether anything changed."""
    area = available_area(window)
    size = window.size()
    fitted = fitted_size(size, area)
    changed = fitted != size
    if changed:
        window.resize(fitted)
    frame = window.frameGeometry()
    if changed or not area.contains(frame.topLeft()) or frame.right() > area.right() + MARGIN \
            or frame.bottom() > area.bottom() + MARGIN:
        centre(window, area)
        changed = True
    return changed


def centre(window: QWidget, area: QRect) -> None:
    size = window.size()
    x = area.left() + max(0, (area.width() - size.width()) // 2)
    y = area.top() + max(0, (area.height() - size.height() - TITLE_BAR) // 2)
    window.move(x, y)
