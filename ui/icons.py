"""The app's icons: its own (resources/icons, drawn by packaging/make_icon.py: window, task bar, About dialog), and
the one icon set of the navigation, the main actions, the status bar and the case states (``icon(concept)``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

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


# -- the app's icon set: one font (Material Design Icons 6, through qtawesome), concepts mapped to glyphs -------------
#
# Font glyphs are drawn at the size and the device pixel ratio asked for, so they stay sharp at 150 % and 200 %.
# Code asks for a concept ("nav_intake", "sync_ok", a case status's code), never for a glyph name: changing the set
# is a change here only. Colours are the status bar's and the navigation's own (ui.sync.status, main window).

ICON_SET = "mdi6"

GLYPHS: dict[str, str] = {
    # navigation (NAV_ITEMS)
    "nav_intake": "account-edit-outline",
    "nav_cases": "folder-search-outline",
    "nav_roster": "calendar-account-outline",
    "nav_leader": "account-tie-voice-outline",
    "nav_stats": "chart-box-outline",
    "nav_sync": "cloud-sync-outline",
    # the main actions (menus and the intake page's buttons)
    "new": "file-document-plus-outline",
    "save": "content-save-outline",
    "save_print": "printer-outline",
    "find": "magnify",
    "today": "calendar-today",
    "settings": "cog-outline",
    "quit": "exit-to-app",
    "about": "information-outline",
    "switch_user": "account-switch-outline",
    "sign_out": "logout",
    "password": "form-textbox-password",
    "lock": "lock-outline",
    "audit": "text-box-search-outline",
    "print": "printer-outline",
    "refresh": "refresh",
    "export": "file-export-outline",
    "preview": "file-eye-outline",
    "report": "file-chart-outline",
    "generate": "calendar-refresh-outline",
    "publish": "bullhorn-outline",
    # the status bar
    "desk": "desktop-classic",
    "user": "account-outline",
    "duty_leader": "account-tie-outline",
    "sync_standalone": "lan-disconnect",
    "sync_ok": "cloud-check-outline",
    "sync_running": "cloud-sync-outline",
    "sync_pending": "cloud-upload-outline",
    "sync_offline": "cloud-off-outline",
    "sync_problem": "cloud-alert-outline",
    "deadline_ok": "alarm-check",
    "deadline_soon": "alarm",
    "deadline_late": "alarm-light-outline",
    "deadline_unknown": "alarm-off",
    "busy": "progress-clock",
    # case states (reception.domain.enums.CaseStatus codes)
    "registered": "file-document-outline",
    "forwarded": "share-outline",
    "assigned": "sign-direction",
    "signed": "inbox-arrow-down-outline",
    "accepted": "clipboard-check-outline",
    "not_accepted": "close-octagon-outline",
    "in_handling": "progress-wrench",
    "extended": "timer-plus-outline",
    "replied": "message-reply-text-outline",
    "closed": "archive-check-outline",
    "in_review": "file-search-outline",
    "in_recheck": "scale-balance",
    "final": "check-decagram-outline",
    "legal_channel": "gavel",
    "void": "file-cancel-outline",
}

BUTTON_ICONS: dict[str, str] = {
    "保存": "save", "保存并打印回执": "save_print", "新登记": "new", "打印回执": "print", "打印预览": "preview",
    "查询": "find", "刷新": "refresh", "打印": "print", "打印公告": "print", "导出Excel": "export",
    "导出PDF": "export", "导出…": "export", "生成报告": "report", "生成排班": "generate", "发布": "publish",
}
"""The main actions' buttons (``ui.widgets.button``) by their text: the same icon wherever the same action is."""

COLOURS: dict[str, str] = {
    "sync_ok": "#2e7d32", "sync_running": "#1565c0", "sync_pending": "#ef6c00", "sync_offline": "#ef6c00",
    "sync_problem": "#c62828", "sync_standalone": "#546e7a",
    "deadline_ok": "#2e7d32", "deadline_soon": "#ef6c00", "deadline_late": "#c62828", "deadline_unknown": "#546e7a",
    "not_accepted": "#c62828", "extended": "#ef6c00", "closed": "#2e7d32", "final": "#2e7d32",
    "legal_channel": "#546e7a", "void": "#546e7a",
}
"""Icons whose colour says the state (as the text beside them does); the others take ``DEFAULT_COLOUR``."""
DEFAULT_COLOUR = "#37474f"
NAV_COLOUR, NAV_SELECTED = "#eceff1", "#ffffff"

STATUS_ICON_PX = 16


def icon(concept: str, *, colour: str | None = None, selected: str | None = None) -> QIcon:
    """The icon of a concept (a null icon for an unknown one, so a new case state never breaks a list)."""
    glyph = GLYPHS.get(concept)
    if glyph is None:
        return QIcon()
    options: dict[str, str] = {"color": colour or COLOURS.get(concept, DEFAULT_COLOUR)}
    if selected:
        options["color_selected"] = selected
        options["color_active"] = selected
    made: QIcon = _icon_font().icon(f"{ICON_SET}.{glyph}", **options)
    return made


_font: list[Any] = []


def _icon_font() -> Any:
    """qtawesome's font object with only our set loaded. ``qtawesome.icon`` would load and checksum all twelve of
    its bundled fonts (6 MB, ~0.1 s at start-up); the frozen build ships only this one (build.spec)."""
    import qtawesome
    from qtawesome.iconic_font import IconicFont

    if _font and not qtawesome.has_valid_font_ids(_font[0]):
        _font.clear()  # (a new QApplication: the font database was emptied)
    if not _font:
        entry = next(f for f in qtawesome._BUNDLED_FONTS if f[0] == ICON_SET)
        _font.append(IconicFont(entry))
    return _font[0]


def prepare() -> None:
    """Load the icon font ahead (importing qtawesome brings qtpy's wrappers of Qt: about 0.27 s, the better part of
    building the main window); ``ui.security.app_login.prepare_main_window`` calls it while the password is typed."""
    _icon_font()


def nav_icon(concept: str) -> QIcon:
    """A navigation entry's icon: light on the dark navigation bar, white when selected."""
    return icon(concept, colour=NAV_COLOUR, selected=NAV_SELECTED)


def case_status_icon(status: str) -> QIcon:
    return icon(status)


class IconLabel(QLabel):
    """A status bar icon: drawn for the screen's device pixel ratio each time it changes, so it stays crisp."""

    def __init__(self, concept: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.concept = ""
        self.setFixedSize(STATUS_ICON_PX + 4, STATUS_ICON_PX + 4)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.set_concept(concept)

    def set_concept(self, concept: str) -> None:
        self.concept = concept
        self.setObjectName(f"icon_{concept}" if concept else "icon")
        self._draw()

    def _draw(self) -> None:
        if not self.concept:
            self.clear()
            return
        size = QSize(STATUS_ICON_PX, STATUS_ICON_PX)
        self.setPixmap(icon(self.concept).pixmap(size, self.devicePixelRatioF()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._draw()
        super().changeEvent(event)


def status_item(concept: str, label: QLabel) -> tuple[QWidget, IconLabel]:
    """An icon and its text label side by side, for the status bar; the label's text and accessible name stay
    its own (the icon is decoration and has no name of its own)."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(8, 0, 8, 0)
    row.setSpacing(4)
    mark = IconLabel(concept)
    mark.setAccessibleName("")
    row.addWidget(mark)
    row.addWidget(label)
    return box, mark
