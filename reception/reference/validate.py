"""Every rule a reference row must satisfy, checked against the workbook's other rows and what the database holds.

``validate(incoming, existing)`` returns the report (empty: the rows may be stored). ``incoming`` is what a workbook
(or one edited row) brings; ``existing`` what the database holds. A row of ``incoming`` replaces the stored record
with the same code (a rule: the same 规则编号, else the same category × locality × unit), so references may point at
records of either. Row numbers come from ``incoming.row_numbers``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from reception.domain.enums import LocalityLevel, UnitKind
from reception.reference.model import (
    COLUMNS,
    LEVEL_PARENT,
    RULE_ACTIONS,
    CategoryRow,
    Issue,
    Kind,
    LocalityRow,
    ReferenceData,
    RuleRow,
    UnitRow,
)

CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
R = TypeVar("R", LocalityRow, UnitRow, CategoryRow)


def header(kind: Kind, attr: str) -> str:
    return next(c.header for c in COLUMNS[kind] if c.attr == attr)


class _Report:
    def __init__(self, data: ReferenceData) -> None:
        self.data = data
        self.issues: list[Issue] = []

    def add(self, kind: Kind, index: int, attr: str, message: str) -> None:
        row = self.data.row_numbers.get((kind, index), 0)
        self.issues.append(Issue(kind.sheet, row, header(kind, attr) if attr else "", message, attr))


def _merged(incoming: Sequence[R] | None, existing: Sequence[R] | None) -> dict[str, R]:
    out: dict[str, R] = {r.code: r for r in existing or ()}
    for r in incoming or ():
        out[r.code] = r
    return out


def _text_checks(report: _Report, kind: Kind, index: int, row: object, limits: dict[str, int]) -> None:
    for column in COLUMNS[kind]:
        value = getattr(row, column.attr)
        if column.required and isinstance(value, str) and not value.strip():
            report.add(kind, index, column.attr, "必填，不能为空")
        limit = limits.get(column.attr)
        if limit and isinstance(value, str) and len(value) > limit:
            report.add(kind, index, column.attr, f"不能超过{limit}个字")


def _codes(report: _Report, kind: Kind, rows: Sequence[LocalityRow | UnitRow | CategoryRow]) -> None:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row.code and not CODE_RE.match(row.code):
            report.add(kind, i, "code", "代码只能由字母、数字和 _ . - 组成，最多32位")
        if row.code in seen and row.code:
            first = report.data.row_numbers.get((kind, seen[row.code]), 0)
            report.add(kind, i, "code", f"代码“{row.code}”重复（与第{first}行相同）" if first
                       else f"代码“{row.code}”已存在")
        seen.setdefault(row.code, i)


def _active_children(report: _Report, kind: Kind, rows: Sequence[LocalityRow | CategoryRow],
                     merged: dict[str, LocalityRow] | dict[str, CategoryRow], what: str) -> None:
    active_children: dict[str, str] = {}
    for r in merged.values():
        if r.active and r.parent_code:
            active_children.setdefault(r.parent_code, r.name)
    for i, row in enumerate(rows):
        if not row.active and row.code in active_children:
            report.add(kind, i, "active", f"下级{what}“{active_children[row.code]}”仍在启用，请先停用下级")


def _check_localities(report: _Report, rows: Sequence[LocalityRow], merged: dict[str, LocalityRow]) -> None:
    kind = Kind.LOCALITY
    levels = {lv.value for lv in LocalityLevel}
    for i, row in enumerate(rows):
        _text_checks(report, kind, i, row, {"name": 100})
        if row.level not in levels:
            report.add(kind, i, "level", "层级应为乡镇（街道）、村（社区）或网格")
            continue
        wanted = LEVEL_PARENT[row.level]
        parent = merged.get(row.parent_code) if row.parent_code else None
        if row.parent_code and parent is None:
            report.add(kind, i, "parent_code", f"没有代码为“{row.parent_code}”的属地")
        elif row.parent_code == row.code and row.code:
            report.add(kind, i, "parent_code", "上级不能是自己")
        elif parent is None and "" not in wanted:
            above = LocalityLevel.label_of(wanted[0])
            report.add(kind, i, "parent_code", f"{LocalityLevel.label_of(row.level)}须填写所属{above}的代码")
        elif parent is not None and parent.level not in wanted:
            report.add(kind, i, "parent_code",
                       f"“{parent.name}”是{LocalityLevel.label_of(parent.level)}，"
                       f"不能作为{LocalityLevel.label_of(row.level)}的上级")
        elif parent is not None and row.active and not parent.active:
            report.add(kind, i, "parent_code", f"上级“{parent.name}”已停用")
    _active_children(report, kind, rows, merged, "属地")


def _check_units(report: _Report, rows: Sequence[UnitRow], localities: dict[str, LocalityRow]) -> None:
    kind = Kind.UNIT
    kinds = {k.value for k in UnitKind}
    for i, row in enumerate(rows):
        _text_checks(report, kind, i, row, {"name": 100, "contact_person": 64, "contact_phone": 64, "address": 200})
        if row.kind not in kinds:
            report.add(kind, i, "kind", "类型应为乡镇（街道）、区直部门或信访接待中心")
        if row.locality_code and row.locality_code not in localities:
            report.add(kind, i, "locality_code", f"没有代码为“{row.locality_code}”的属地")
        if row.contact_phone and not re.fullmatch(r"[0-9+()（）\- 转,，、/]{3,64}", row.contact_phone):
            report.add(kind, i, "contact_phone", "联系电话只能包含数字、- 和“转”（多个号码用顿号分隔）")


def _check_categories(report: _Report, rows: Sequence[CategoryRow], merged: dict[str, CategoryRow]) -> None:
    kind = Kind.CATEGORY
    for i, row in enumerate(rows):
        _text_checks(report, kind, i, row, {"name": 100, "legal_channel": 200})
        if not row.parent_code:
            continue
        parent = merged.get(row.parent_code)
        if parent is None:
            report.add(kind, i, "parent_code", f"没有代码为“{row.parent_code}”的问题类别")
            continue
        seen = {row.code}
        current: CategoryRow | None = parent
        while current is not None:
            if current.code in seen:
                report.add(kind, i, "parent_code", "上级关系形成了循环")
                break
            seen.add(current.code)
            current = merged.get(current.parent_code) if current.parent_code else None
        if row.active and not parent.active:
            report.add(kind, i, "parent_code", f"上级“{parent.name}”已停用")
    _active_children(report, kind, rows, merged, "类别")


def _check_rules(report: _Report, rows: Sequence[RuleRow], categories: dict[str, CategoryRow],
                 units: dict[str, UnitRow], localities: dict[str, LocalityRow]) -> None:
    kind = Kind.RULE
    actions = {a.value for a in RULE_ACTIONS}
    seen: dict[tuple[str, str, str], int] = {}
    for i, row in enumerate(rows):
        _text_checks(report, kind, i, row, {"note": 200})
        if row.category_code and row.category_code not in categories:
            report.add(kind, i, "category_code", f"没有代码为“{row.category_code}”的问题类别")
        if row.unit_code and row.unit_code not in units:
            report.add(kind, i, "unit_code", f"没有代码为“{row.unit_code}”的责任单位")
        elif row.unit_code and row.active and not units[row.unit_code].active:
            report.add(kind, i, "unit_code", f"责任单位“{units[row.unit_code].name}”已停用")
        if row.locality_code and row.locality_code not in localities:
            report.add(kind, i, "locality_code", f"没有代码为“{row.locality_code}”的属地")
        if row.action not in actions:
            report.add(kind, i, "action", "处理方式应为交办、转送或转值班领导接访")
        if row.key in seen and all(row.key):
            first = report.data.row_numbers.get((kind, seen[row.key]), 0)
            report.add(kind, i, "unit_code", f"同一类别、属地和单位的规则重复（与第{first}行相同）")
        seen.setdefault(row.key, i)


def _merged_rules(incoming: Sequence[RuleRow] | None, existing: Sequence[RuleRow] | None) -> list[RuleRow]:
    out = list(existing or ())
    for row in incoming or ():
        out = [r for r in out if not ((row.rule_id and r.rule_id == row.rule_id) or r.key == row.key)]
        out.append(row)
    return out


def validate(incoming: ReferenceData, existing: ReferenceData) -> list[Issue]:
    """The validation report of ``incoming`` on top of ``existing`` (empty: it may be stored)."""
    report = _Report(incoming)
    localities = _merged(incoming.localities, existing.localities)
    units = _merged(incoming.units, existing.units)
    categories = _merged(incoming.categories, existing.categories)
    checks: list[tuple[Sequence[object] | None, Callable[[], None]]] = [
        (incoming.localities, lambda: _codes(report, Kind.LOCALITY, incoming.localities or [])),
        (incoming.localities, lambda: _check_localities(report, incoming.localities or [], localities)),
        (incoming.units, lambda: _codes(report, Kind.UNIT, incoming.units or [])),
        (incoming.units, lambda: _check_units(report, incoming.units or [], localities)),
        (incoming.categories, lambda: _codes(report, Kind.CATEGORY, incoming.categories or [])),
        (incoming.categories, lambda: _check_categories(report, incoming.categories or [], categories)),
        (incoming.rules, lambda: _check_rules(report, incoming.rules or [], categories, units, localities)),
    ]
    for rows, check in checks:
        if rows is not None:
            check()
    if incoming.units is not None or incoming.categories is not None:
        # a unit or category retired here while an active rule still routes to it: the rule proposes nothing
        _retired_targets(report, incoming, _merged_rules(incoming.rules, existing.rules))
    return report.issues


def _retired_targets(report: _Report, incoming: ReferenceData, rules: list[RuleRow]) -> None:
    used = {r.unit_code for r in rules if r.active}
    for i, row in enumerate(incoming.units or ()):
        if not row.active and row.code in used:
            report.add(Kind.UNIT, i, "active", "仍有启用的交办规则指向该单位，请先停用或改派这些规则")
