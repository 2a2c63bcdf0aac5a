"""Reference rows as the workbook and the admin screens see them: plain values, other records named by code."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reception.domain.enums import LocalityLevel, RoutingAction, UnitKind


class Kind(StrEnum):
    """The four kinds of reference data, each a sheet of the workbook and a tab of the admin screen."""

    LOCALITY = "locality"
    UNIT = "unit"
    CATEGORY = "category"
    RULE = "routing_rule"

    @property
    def sheet(self) -> str:
        return SHEET_NAMES[self]


SHEET_NAMES = {Kind.LOCALITY: "属地", Kind.UNIT: "责任单位", Kind.CATEGORY: "问题类别", Kind.RULE: "交办规则"}
ACTIVE_TEXT, RETIRED_TEXT = "启用", "停用"


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    attr: str
    required: bool = False
    width: int = 16
    note: str = ""


@dataclass(frozen=True, slots=True)
class LocalityRow:
    code: str
    name: str
    level: str
    """A ``LocalityLevel`` value."""
    parent_code: str = ""
    sort_order: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class UnitRow:
    code: str
    name: str
    kind: str
    """A ``UnitKind`` value."""
    locality_code: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    address: str = ""
    sort_order: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class CategoryRow:
    code: str
    name: str
    parent_code: str = ""
    legal_channel: str = ""
    sort_order: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class RuleRow:
    category_code: str
    unit_code: str
    locality_code: str = ""
    """Empty: anywhere in the district (全区)."""
    action: str = RoutingAction.ASSIGN.value
    priority: int = 0
    note: str = ""
    active: bool = True
    rule_id: str = ""
    """The rule's id once stored (the workbook's 规则编号; empty for a new rule)."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.category_code, self.locality_code, self.unit_code)


Row = LocalityRow | UnitRow | CategoryRow | RuleRow

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.LOCALITY: (
        Column("代码", "code", True, 18, "唯一，如 CY、CY-01、CY-01-03"),
        Column("名称", "name", True, 20),
        Column("层级", "level", True, 14, "乡镇（街道）、村（社区）或网格"),
        Column("上级代码", "parent_code", False, 18, "村（社区）填所属乡镇（街道）的代码，网格填所属村（社区）的代码"),
        Column("排序", "sort_order", False, 8),
        Column("状态", "active", False, 8, "启用或停用（空白为启用）"),
    ),
    Kind.UNIT: (
        Column("代码", "code", True, 14),
        Column("名称", "name", True, 24),
        Column("类型", "kind", True, 14, "乡镇（街道）、区直部门或信访接待中心"),
        Column("所在属地代码", "locality_code", False, 16, "乡镇（街道）单位填其属地代码"),
        Column("联系人", "contact_person", False, 12),
        Column("联系电话", "contact_phone", False, 16),
        Column("地址", "address", False, 28),
        Column("排序", "sort_order", False, 8),
        Column("状态", "active", False, 8, "启用或停用（空白为启用）"),
    ),
    Kind.CATEGORY: (
        Column("代码", "code", True, 12),
        Column("名称", "name", True, 24),
        Column("上级代码", "parent_code", False, 12, "一级类别留空"),
        Column("法定途径", "legal_channel", False, 36, "依法应通过诉讼、仲裁、复议等途径解决的类别，填写应告知的途径"),
        Column("排序", "sort_order", False, 8),
        Column("状态", "active", False, 8, "启用或停用（空白为启用）"),
    ),
    Kind.RULE: (
        Column("问题类别代码", "category_code", True, 14),
        Column("属地代码", "locality_code", False, 14, "留空表示全区"),
        Column("责任单位代码", "unit_code", True, 14),
        Column("处理方式", "action", False, 12, "交办、转送或转值班领导接访（空白为交办）"),
        Column("优先级", "priority", False, 8, "同等具体的规则中数字大者优先"),
        Column("说明", "note", False, 28),
        Column("状态", "active", False, 8, "启用或停用（空白为启用）"),
        Column("规则编号", "rule_id", False, 38, "系统生成，新增规则留空"),
    ),
}

LEVEL_CHOICES = (LocalityLevel.TOWNSHIP, LocalityLevel.VILLAGE, LocalityLevel.GRID)
"""Levels an administrator enters (the district row itself, when a directory has one, is kept as it is)."""
LEVEL_PARENT = {LocalityLevel.TOWNSHIP.value: (LocalityLevel.DISTRICT.value, ""),
                LocalityLevel.VILLAGE.value: (LocalityLevel.TOWNSHIP.value,),
                LocalityLevel.GRID.value: (LocalityLevel.VILLAGE.value,),
                LocalityLevel.DISTRICT.value: ("",)}
"""The level a locality's parent must have ("" = none)."""
RULE_ACTIONS = (RoutingAction.ASSIGN, RoutingAction.FORWARD, RoutingAction.LEADER_RECEPTION)
UNIT_KINDS = tuple(UnitKind)

LEVEL_ALIASES = {"乡镇": "township", "街道": "township", "乡镇街道": "township", "乡镇（街道）": "township",
                 "乡镇(街道)": "township", "村": "village", "社区": "village", "村社区": "village",
                 "村（社区）": "village", "村(社区)": "village", "网格": "grid", "区": "district"}
KIND_ALIASES = {"乡镇": "township", "街道": "township", "乡镇（街道）": "township", "乡镇(街道)": "township",
                "区直部门": "department", "部门": "department", "信访接待中心": "centre"}
ACTION_ALIASES = {"交办": "assign", "转送": "forward", "转值班领导接访": "leader_reception",
                  "值班领导接访": "leader_reception"}


@dataclass
class ReferenceData:
    """What a workbook holds (or the database): rows per kind. A kind whose sheet was absent is None (untouched)."""

    localities: list[LocalityRow] | None = None
    units: list[UnitRow] | None = None
    categories: list[CategoryRow] | None = None
    rules: list[RuleRow] | None = None
    row_numbers: dict[tuple[Kind, int], int] = field(default_factory=dict)
    """(kind, index in its list) → the workbook's row number, for the report."""

    def rows(self, kind: Kind) -> list[Row] | None:
        found: list[LocalityRow] | list[UnitRow] | list[CategoryRow] | list[RuleRow] | None = {
            Kind.LOCALITY: self.localities, Kind.UNIT: self.units, Kind.CATEGORY: self.categories,
            Kind.RULE: self.rules}[kind]
        return list(found) if found is not None else None

    def counts(self) -> dict[Kind, int]:
        return {k: len(r) for k in Kind if (r := self.rows(k)) is not None}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem of the validation report: where (sheet, row, column) and what, in Chinese."""

    sheet: str
    row: int
    """The workbook's row number (0: the sheet as a whole; a single edited row on the admin screen)."""
    column: str
    """The column's header (in Chinese), as the workbook shows it."""
    message: str
    attr: str = ""
    """The column's field key (``Column.attr``; empty for a sheet- or row-wide problem): an edit form's errors."""

    @property
    def text(self) -> str:
        where = f"第{self.row}行" if self.row else ""
        column = f"“{self.column}”" if self.column else ""
        return f"{self.sheet} {where}{column}：{self.message}"
