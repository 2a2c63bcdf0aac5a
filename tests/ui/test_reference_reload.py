"""``MainWindow.reload_reference`` on the demo district (no server): reference data changed in the database reaches
every page that lists it, what the officer typed and chose stays, and pages that read from it are marked stale."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from reception.db.models import Category, Locality, Unit
from tests.ui.helpers import by_name, choose, sign_in, type_into
from ui.main_window import PAGE_CASES, PAGE_INTAKE, PAGE_ROSTER, MainWindow
from ui.reference import refill_combo


def items(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_reload_reaches_every_page_and_keeps_the_choices(qtbot: QtBot, window: MainWindow) -> None:
    form = window.intake_page.form
    window.show_page(PAGE_CASES)
    window.show_page(PAGE_INTAKE)
    type_into(qtbot, by_name(form, QLineEdit, "姓名"), "夏丽云")
    choose(form.category_combo, "城乡建设 / 物业管理")
    choose(form.township_combo, "翠园街道")
    village = form.village_combo.itemText(1)
    choose(form.village_combo, village)
    chosen_unit = form.unit_combo.itemText(2)
    choose(form.unit_combo, chosen_unit)
    form.unit_combo.activated.emit(2)  # picked by the officer (as a click in the list does): the proposal yields
    with window.ctx.db.write() as s:
        parent = s.query(Category).filter(Category.name == "城乡建设").one()
        s.add(Category(parent_id=parent.id, code="CJ99", name="小区停车", sort_order=99))
        s.add(Unit(code="U99", name="区新设机构", kind="department", sort_order=999))
        town = s.query(Locality).filter(Locality.name == "翠园街道").one()
        s.add(Locality(code=f"{town.code}-99", name="新建社区", level="village", parent_id=town.id, sort_order=99))
    before = window.reference

    window.reload_reference()

    assert window.reference is not before
    assert "城乡建设 / 小区停车" in items(form.category_combo)
    assert "区新设机构" in items(form.unit_combo)
    assert "新建社区" in items(form.village_combo)
    assert "区新设机构" in items(window.leader_page.form.unit_combo)
    assert "区新设机构" in items(window.cases_page.overdue_tab.unit_combo)
    # what was typed and chosen stays
    assert by_name(form, QLineEdit, "姓名").text() == "夏丽云"
    assert form.category_combo.currentText() == "城乡建设 / 物业管理"
    assert form.township_combo.currentText() == "翠园街道"
    assert form.village_combo.currentText() == village
    assert form.unit_combo.currentText() == chosen_unit
    assert window.intake_page.reference is window.reference and window.leader_page.reference is window.reference


def test_reload_marks_the_roster_stale_and_keeps_the_signed_in_user(window: MainWindow) -> None:
    window.show_page(PAGE_ROSTER)
    window.show_page(PAGE_INTAKE)
    leader_id = sign_in(window, "leader")
    with window.ctx.db.write() as s:
        s.add(Unit(code="U98", name="区另一新机构", kind="department", sort_order=998))
    generation = window.roster_page._generation
    window.reload_reference()
    assert window.reference.user is not None and window.reference.user.id == leader_id
    window.show_page(PAGE_ROSTER)
    assert window.roster_page._generation == generation + 1  # read again when shown after the reload
    # the leader page's tabs beyond the desk act for the user signed in now (not the one at start-up)
    assert window.leader_page.appointments_tab.actor() == leader_id


def test_reload_without_changes_keeps_the_reference(window: MainWindow) -> None:
    before = window.reference
    window.reload_reference(only_if_changed=True)
    assert window.reference is before
    window.reload_reference()
    assert window.reference == before and window.reference is not before


def test_refill_combo_keeps_the_choice_or_falls_back(qtbot: QtBot) -> None:
    combo = QComboBox()
    qtbot.addWidget(combo)
    combo.addItem("全部", "")
    combo.addItem("甲", "a")
    combo.addItem("乙", "b")
    combo.setCurrentIndex(2)
    seen: list[int] = []
    combo.currentIndexChanged.connect(seen.append)
    assert not refill_combo(combo, [("全部", ""), ("丙", "c"), ("乙", "b")])
    assert combo.currentData() == "b" and items(combo) == ["全部", "丙", "乙"]
    assert refill_combo(combo, [("全部", ""), ("甲", "a")], fallback=0)
    assert combo.currentIndex() == 0
    assert seen == []  # a refill is not a choice: no change signals
