"""Icons: one set (ui.icons), on the navigation, the main actions, the status bar's states and the case states,
drawn for the screen's pixel ratio; names and texts unchanged; the frozen build ships the icon font."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QPushButton

from reception.domain.enums import CaseStatus
from tests.ui.helpers import by_name
from ui.icons import BUTTON_ICONS, FONT_FILES, GLYPHS, ICON_SET, STATUS_ICON_PX, IconLabel, fonts_folder, icon
from ui.main_window import NAV_ITEMS, PAGE_CASES, MainWindow
from ui.window.pages import NAV_ICONS

ROOT = Path(__file__).resolve().parents[2]


def test_every_concept_has_a_glyph_of_the_one_set(qapp: object) -> None:
    import qtawesome

    for concept in GLYPHS:
        assert not icon(concept).isNull(), concept
    for status in CaseStatus:
        assert status.value in GLYPHS, status  # every case state has its icon
    assert set(BUTTON_ICONS.values()) <= set(GLYPHS) and set(NAV_ICONS) <= set(GLYPHS)
    assert icon("no such concept").isNull()
    assert ICON_SET == "mdi6" and qtawesome.icon(f"{ICON_SET}.{GLYPHS['save']}") is not None


def test_the_glyphs_are_drawn_as_qtawesome_draws_them(qapp: object) -> None:
    """ui.icons draws the set's glyphs itself (importing qtawesome costs ~20 MB): pixel for pixel what qtawesome's
    icon of the same glyph and colours gives, at the status bar's, the navigation's and a larger size, for the
    screen ratios 1, 1.5 and 2, in every mode (the navigation's selected entry, a disabled button)."""
    import qtawesome
    from qtawesome.iconic_font import IconicFont

    from ui.icons import COLOURS, DEFAULT_COLOUR, NAV_COLOUR, NAV_SELECTED

    theirs_font = IconicFont(next(f for f in qtawesome._BUNDLED_FONTS if f[0] == ICON_SET))
    modes = (QIcon.Mode.Normal, QIcon.Mode.Disabled, QIcon.Mode.Active, QIcon.Mode.Selected)
    compared = 0
    for concept, glyph in GLYPHS.items():
        for colour, selected in ((None, None), (NAV_COLOUR, NAV_SELECTED)):
            options = {"color": colour or COLOURS.get(concept, DEFAULT_COLOUR)}
            if selected:
                options |= {"color_selected": selected, "color_active": selected}
            mine, theirs = icon(concept, colour=colour, selected=selected), theirs_font.icon(f"{ICON_SET}.{glyph}",
                                                                                            **options)
            for px in (STATUS_ICON_PX, 20, 32):
                for ratio in (1.0, 1.5, 2.0):
                    for mode in modes:
                        a = mine.pixmap(QSize(px, px), ratio, mode).toImage()
                        assert a == theirs.pixmap(QSize(px, px), ratio, mode).toImage(), (concept, px, ratio, mode)
                        compared += 1
    assert compared == len(GLYPHS) * 2 * 3 * 3 * 4


def test_navigation_actions_and_buttons_carry_icons_with_names_unchanged(window: MainWindow) -> None:
    for i, text in enumerate(NAV_ITEMS):
        item = window.nav.item(i)
        assert item.text() == text and item.data(Qt.ItemDataRole.AccessibleTextRole) == text
        assert not item.icon().isNull()
    for action in (window.new_action, window.save_action, window.save_print_action, window.find_action,
                   window.account.lock_action):
        assert not action.icon().isNull()
    for text in ("保存", "保存并打印回执"):  # (新登记 shows after a save)
        b = by_name(window.intake_page, QPushButton, text)
        assert b.text() == text and not b.icon().isNull()


def test_status_bar_icons_follow_the_states(window: MainWindow) -> None:
    icons = window.status.icons
    assert icons["sync"].concept == "sync_standalone"  # the demo desk is not enrolled
    assert window.sync_status.text() == "同步：单机模式"
    late = window.deadline_status.text()
    assert icons["deadline"].concept == ("deadline_ok" if "超期0件，临期0件" in late else
                                         ("deadline_late" if "超期0件" not in late else "deadline_soon"))
    for mark in icons.values():
        assert not mark.pixmap().isNull() and mark.accessibleName() == ""
    assert window.deadline_status.accessibleName() == "期限提醒"


def test_icons_are_drawn_for_the_pixel_ratio(window: MainWindow) -> None:
    mark = IconLabel("sync_ok")
    pixmap = icon("sync_ok").pixmap(QSize(STATUS_ICON_PX, STATUS_ICON_PX), 2.0)
    assert pixmap.devicePixelRatio() == 2.0 and pixmap.width() == 2 * STATUS_ICON_PX
    assert mark.pixmap().deviceIndependentSize().width() == STATUS_ICON_PX


def test_case_states_show_their_icon(window: MainWindow) -> None:
    from ui.cases.model import COL_STATUS

    window.show_page(PAGE_CASES)
    model = window.cases_page.model
    assert model.rowCount() > 0
    cell = model.index(0, COL_STATUS)
    assert model.data(cell) == model.row_object(0).status_label
    assert model.data(cell, Qt.ItemDataRole.DecorationRole) is not None


def test_the_frozen_build_ships_the_icon_fonts(qapp: object) -> None:
    import qtawesome

    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("qtawesome"' in spec
    fonts = Path(qtawesome.__file__).parent / "fonts"
    assert all((fonts / name).is_file() for name in FONT_FILES) and fonts_folder() == fonts
    assert 'includes=["fonts/materialdesignicons6-*"]' in spec and all(n.startswith("materialdesignicons6-")
                                                                         for n in FONT_FILES)
