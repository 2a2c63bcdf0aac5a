"""Icons: one set (ui.icons), on the navigation, the main actions, the status bar's states and the case states,
drawn for the screen's pixel ratio; names and texts unchanged; the frozen build ships the icon font."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QPushButton

from reception.domain.enums import CaseStatus
from tests.ui.helpers import by_name
from ui.icons import BUTTON_ICONS, GLYPHS, ICON_SET, STATUS_ICON_PX, IconLabel, icon
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
    assert any(p.name.startswith("materialdesignicons6") for p in fonts.iterdir())
