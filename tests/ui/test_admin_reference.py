"""管理 → 基础数据 in the desk window, clicked as an administrator would: add, edit and retire on each tab, errors
next to the field, what the intake form offers afterwards (a retired unit is no longer offered, while the cases
routed to it still show it), and the workbook exported and imported again unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reception.db.models import Case, Category, Locality, RoutingRule, Unit
from reception.intake import directory
from reception.intake.cases import case_detail
from reception.reference.model import Kind
from tests.ui.helpers import by_name, choose, click, sign_in, type_into
from ui.admin.menu import open_reference_admin
from ui.admin.reference import ReferenceAdmin, RowDialog
from ui.main_window import MainWindow


@pytest.fixture
def admin(window: MainWindow) -> ReferenceAdmin:
    sign_in(window, "admin")
    assert window.reference_action.isEnabled()
    return open_reference_admin(window)


def _dialog(admin: ReferenceAdmin, kind: Kind) -> RowDialog:
    dialog = admin.tab[kind].dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _texts(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_only_administrators_get_the_menu(window: MainWindow) -> None:
    sign_in(window, "liuxy")
    assert not window.reference_action.isEnabled() and not window.accounts_action.isEnabled()
    sign_in(window, "admin")
    assert window.reference_action.isEnabled()


def test_directory_add_edit_retire(qtbot: QtBot, window: MainWindow, admin: ReferenceAdmin) -> None:
    tab = admin.tab[Kind.LOCALITY]
    admin.tabs.setCurrentWidget(tab)
    click(qtbot, tab, "新增…")
    dialog = _dialog(admin, Kind.LOCALITY)
    type_into(qtbot, by_name(dialog, QLineEdit, "代码"), "XQ")
    type_into(qtbot, by_name(dialog, QLineEdit, "名称"), "新区街道")
    choose(by_name(dialog, QComboBox, "层级"), "乡镇（街道）")
    click(qtbot, dialog, "保存")
    assert not dialog.isVisible()
    township = window.intake_page.form.township_combo
    assert "新区街道" in _texts(township)  # the intake form offers it at once

    # a village needs its township: the message is next to 上级代码, and what was typed stays
    click(qtbot, tab, "新增…")
    dialog = _dialog(admin, Kind.LOCALITY)
    type_into(qtbot, by_name(dialog, QLineEdit, "代码"), "XQ-01")
    type_into(qtbot, by_name(dialog, QLineEdit, "名称"), "新区社区")
    choose(by_name(dialog, QComboBox, "层级"), "村（社区）")
    click(qtbot, dialog, "保存")
    assert dialog.isVisible() and "须填写所属乡镇（街道）的代码" in dialog.form.error_text("parent_code")
    assert by_name(dialog, QLineEdit, "名称").text() == "新区社区"
    choose(by_name(dialog, QComboBox, "上级代码"), "XQ 新区街道")
    click(qtbot, dialog, "保存")
    assert not dialog.isVisible()

    tab.select_row_where(code="XQ")
    click(qtbot, tab, "编辑…")
    dialog = _dialog(admin, Kind.LOCALITY)
    name = by_name(dialog, QLineEdit, "名称")
    name.clear()
    type_into(qtbot, name, "新区街道办")
    click(qtbot, dialog, "保存")
    assert "新区街道办" in _texts(township) and "新区街道" not in _texts(township)

    # the township cannot be retired while its village is active; the village can
    tab.select_row_where(code="XQ")
    click(qtbot, tab, "停用")
    assert "仍在启用" in admin.banner.label.text()
    tab.select_row_where(code="XQ-01")
    click(qtbot, tab, "停用")
    tab.select_row_where(code="XQ")
    click(qtbot, tab, "停用")
    assert "新区街道办" not in _texts(township)
    with window.ctx.db.read() as s:
        assert s.scalar(select(Locality.active).where(Locality.code == "XQ")) is False  # kept, retired


def test_units_retired_not_offered_old_cases_still_show_it(qtbot: QtBot, window: MainWindow,
                                                          admin: ReferenceAdmin) -> None:
    tab = admin.tab[Kind.UNIT]
    admin.tabs.setCurrentWidget(tab)
    click(qtbot, tab, "新增…")
    dialog = _dialog(admin, Kind.UNIT)
    type_into(qtbot, by_name(dialog, QLineEdit, "代码"), "TYJ")
    type_into(qtbot, by_name(dialog, QLineEdit, "名称"), "区退役军人事务局")
    choose(by_name(dialog, QComboBox, "类型"), "区直部门")
    type_into(qtbot, by_name(dialog, QLineEdit, "联系人"), "吴敏")
    type_into(qtbot, by_name(dialog, QLineEdit, "联系电话"), "电话号码")
    click(qtbot, dialog, "保存")
    assert "联系电话只能包含数字" in dialog.form.error_text("contact_phone")
    phone = by_name(dialog, QLineEdit, "联系电话")
    phone.clear()
    type_into(qtbot, phone, "0739-5200100")
    click(qtbot, dialog, "保存")
    assert not dialog.isVisible()
    units = window.intake_page.form.unit_combo
    assert "区退役军人事务局" in _texts(units)
    with window.ctx.db.read() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "TYJ"))
        assert unit is not None and (unit.contact_person, unit.contact_phone) == ("吴敏", "0739-5200100")

    # 区民政局 has cases and rules: retiring it is refused while a rule routes to it
    with window.ctx.db.read() as s:
        mzj = s.scalar(select(Unit).where(Unit.code == "MZJ"))
        assert mzj is not None
        old_case = s.scalar(select(Case.id).where(Case.unit_id == mzj.id).limit(1))
        assert old_case is not None
    tab.select_row_where(code="MZJ")
    click(qtbot, tab, "停用")
    assert "交办规则" in admin.banner.label.text()
    assert "区民政局" in _texts(units)
    rules = admin.tab[Kind.RULE]
    admin.tabs.setCurrentWidget(rules)
    while any(r.unit_code == "MZJ" and r.active for _i, r in rules.rows):  # type: ignore[union-attr]
        rules.select_row_where(unit_code="MZJ", active=True)
        click(qtbot, rules, "停用")
    admin.tabs.setCurrentWidget(tab)
    tab.select_row_where(code="MZJ")
    click(qtbot, tab, "停用")
    assert "区民政局" not in _texts(units)
    assert case_detail(window.ctx, old_case).summary.unit == "区民政局"  # the old case still names it
    tab.select_row_where(code="MZJ")
    click(qtbot, tab, "启用")
    assert "区民政局" in _texts(units)


def test_categories_and_rules(qtbot: QtBot, window: MainWindow, admin: ReferenceAdmin) -> None:
    tab = admin.tab[Kind.CATEGORY]
    admin.tabs.setCurrentWidget(tab)
    click(qtbot, tab, "新增…")
    dialog = _dialog(admin, Kind.CATEGORY)
    type_into(qtbot, by_name(dialog, QLineEdit, "代码"), "CJ09")
    type_into(qtbot, by_name(dialog, QLineEdit, "名称"), "电梯安全")
    choose(by_name(dialog, QComboBox, "上级代码"), "CJ 城乡建设")
    click(qtbot, dialog, "保存")
    categories = window.intake_page.form.category_combo
    assert "城乡建设 / 电梯安全" in _texts(categories)
    tab.select_row_where(code="CJ09")
    click(qtbot, tab, "编辑…")
    dialog = _dialog(admin, Kind.CATEGORY)
    type_into(qtbot, by_name(dialog, QLineEdit, "法定途径"), "人民法院（提起诉讼）")
    click(qtbot, dialog, "保存")
    with window.ctx.db.read() as s:
        cat = s.scalar(select(Category).where(Category.code == "CJ09"))
        assert cat is not None and cat.legal_channel == "人民法院（提起诉讼）"
        cat_id = cat.id
        town = s.scalar(select(Locality.id).where(Locality.code.endswith("-CY")))

    rules = admin.tab[Kind.RULE]
    admin.tabs.setCurrentWidget(rules)
    click(qtbot, rules, "新增…")
    dialog = _dialog(admin, Kind.RULE)
    choose(by_name(dialog, QComboBox, "问题类别代码"), "CJ09 电梯安全")
    choose(by_name(dialog, QComboBox, "责任单位代码"), "SJJ 区市场监督管理局")
    by_name(dialog, QSpinBox, "优先级").setValue(5)
    click(qtbot, dialog, "保存")
    assert not dialog.isVisible()
    with window.ctx.db.read() as s:
        proposal = directory.propose_route(s, cat_id, town)
        assert proposal is not None and proposal.unit_name == "区市场监督管理局"
    # the same category × locality × unit again is refused next to the unit
    click(qtbot, rules, "新增…")
    dialog = _dialog(admin, Kind.RULE)
    choose(by_name(dialog, QComboBox, "问题类别代码"), "CJ09 电梯安全")
    choose(by_name(dialog, QComboBox, "责任单位代码"), "SJJ 区市场监督管理局")
    click(qtbot, dialog, "保存")
    assert "已存在" in dialog.form.error_text("unit_code")
    dialog.reject()
    rules.select_row_where(category_code="CJ09")
    click(qtbot, rules, "编辑…")
    dialog = _dialog(admin, Kind.RULE)
    choose(by_name(dialog, QComboBox, "属地代码"), next(t for t in _texts(by_name(dialog, QComboBox, "属地代码"))
                                                    if t.endswith("翠园街道")))
    click(qtbot, dialog, "保存")
    with window.ctx.db.read() as s:
        rule = s.scalar(select(RoutingRule).where(RoutingRule.category_id == cat_id))
        assert rule is not None and rule.locality_id == town and rule.priority == 5
    rules.select_row_where(category_code="CJ09")
    click(qtbot, rules, "停用")
    with window.ctx.db.read() as s:
        assert directory.propose_route(s, cat_id, town) is None
    admin.tabs.setCurrentWidget(tab)
    tab.select_row_where(code="CJ09")
    click(qtbot, tab, "停用")
    assert "城乡建设 / 电梯安全" not in _texts(categories)


def test_the_demo_district_exported_and_imported_again_unchanged(qtbot: QtBot, tmp_path: Path,
                                                                 admin: ReferenceAdmin) -> None:
    target = tmp_path / "基础数据.xlsx"
    admin.save_file = lambda _s: target  # type: ignore[method-assign]
    click(qtbot, admin, "导出…")
    assert target.is_file() and "已保存" in admin.banner.label.text()
    before = {k: list(admin.tab[k].rows) for k in Kind}
    admin.open_file = lambda: target  # type: ignore[method-assign]
    click(qtbot, admin, "导入…")
    assert "新增0条、更新0条" in admin.banner.label.text() and "新增1" not in admin.banner.label.text()
    assert {k: list(admin.tab[k].rows) for k in Kind} == before
