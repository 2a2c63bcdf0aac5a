"""The reference workbook (.xlsx): written by ``write_workbook`` (an export, or the empty template), read back by
``read_workbook`` with a report of every cell that cannot be read (row, column, problem, in Chinese).

Read with openpyxl (already a dependency, and what writes the file): the centre fills in the template this app
wrote, so .xlsx is the format that matters; a sheet missing from the file leaves that kind of data untouched.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

from reception.domain.enums import LocalityLevel, RoutingAction, UnitKind
from reception.domain.errors import ReceptionError
from reception.reference.model import (
    ACTION_ALIASES,
    ACTIVE_TEXT,
    COLUMNS,
    KIND_ALIASES,
    LEVEL_ALIASES,
    LEVEL_CHOICES,
    RETIRED_TEXT,
    RULE_ACTIONS,
    CategoryRow,
    Column,
    Issue,
    Kind,
    LocalityRow,
    ReferenceData,
    RuleRow,
    UnitRow,
)

INSTRUCTIONS_SHEET = "填写说明"
TEXT_ROWS = 500
"""Rows of the code columns formatted as text in the template, so Excel keeps codes such as 001 as typed."""
ROW_TYPES: dict[Kind, type[LocalityRow | UnitRow | CategoryRow | RuleRow]] = {
    Kind.LOCALITY: LocalityRow, Kind.UNIT: UnitRow, Kind.CATEGORY: CategoryRow, Kind.RULE: RuleRow}
INSTRUCTIONS = (
    "本工作簿用于导入本中心的基础数据：属地（乡镇街道 → 村社区 → 网格）、责任单位及联系人、"
    "问题类别及法定途径、交办规则。",
    "每个工作表第一行为表头，请勿修改表头；从第二行起每行一条记录，空行忽略。",
    "各工作表按代码对应已有记录：代码相同即更新该记录，代码不存在即新增。不需要修改的工作表可以删除，删除的工作表不受影响。",
    "记录一律不删除：不再使用的属地、单位、类别或规则，把“状态”改为“停用”。已登记的案件仍显示原来的名称。",
    "交办规则：问题类别 × 属地 → 责任单位；属地留空表示全区。最具体的规则优先（属地越具体越优先，其次类别越具体，"
    "再次优先级数字大者优先）。",
    "导入前系统会检查全部数据；有任何问题时整份工作簿都不导入，并列出问题所在的工作表、行、列和原因。",
)


class WorkbookError(ReceptionError):
    """The file is not a workbook this app can read (not .xlsx, damaged, or without any sheet it knows)."""

    key = "workbook_unreadable"


def _label(kind: Kind, attr: str, value: Any) -> Any:
    if attr == "active":
        return ACTIVE_TEXT if value else RETIRED_TEXT
    if kind is Kind.LOCALITY and attr == "level":
        return LocalityLevel.label_of(value)
    if kind is Kind.UNIT and attr == "kind":
        return UnitKind.label_of(value)
    if kind is Kind.RULE and attr == "action":
        return RoutingAction.label_of(value)
    return value


def write_workbook(data: ReferenceData) -> bytes:
    """The workbook of ``data`` (every kind; an empty list gives the sheet with its header only: the template)."""
    wb = Workbook()
    info = wb.active
    assert info is not None
    info.title = INSTRUCTIONS_SHEET
    info.column_dimensions["A"].width = 110
    info.append(["信访接待一站式服务台 基础数据导入模板"])
    info["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTIONS:
        info.append([line])
    info.append([])
    info.append(["各列说明："])
    for kind in Kind:
        for column in COLUMNS[kind]:
            must = "（必填）" if column.required else ""
            info.append([f"{kind.sheet} / {column.header}{must}：{column.note or '—'}"])
    for row in info.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for kind in Kind:
        ws = wb.create_sheet(kind.sheet)
        columns = COLUMNS[kind]
        ws.append([c.header for c in columns])
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=index)
            cell.font = Font(bold=True, color="C00000" if column.required else "000000")
            cell.fill = head_fill
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        for row in data.rows(kind) or ():
            ws.append([_label(kind, c.attr, getattr(row, c.attr)) for c in columns])
        for attr, choices in _choices(kind).items():
            letter = get_column_letter(next(i for i, c in enumerate(columns, 1) if c.attr == attr))
            dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
            dv.error, dv.errorTitle = "请从列表中选择", "输入有误"
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}5000")
        rows = len(data.rows(kind) or ())
        for index, column in enumerate(columns, start=1):  # codes stay text in Excel (a leading 0 is kept)
            if column.attr.endswith("code") or column.attr == "rule_id":
                for r in range(2, max(rows + 2, TEXT_ROWS) + 1):
                    ws.cell(row=r, column=index).number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _choices(kind: Kind) -> dict[str, list[str]]:
    status = [ACTIVE_TEXT, RETIRED_TEXT]
    if kind is Kind.LOCALITY:
        return {"level": [lv.label for lv in LEVEL_CHOICES], "active": status}
    if kind is Kind.UNIT:
        return {"kind": [k.label for k in UnitKind], "active": status}
    if kind is Kind.RULE:
        return {"action": [a.label for a in RULE_ACTIONS], "active": status}
    return {"active": status}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse(kind: Kind, column: Column, raw: Any) -> tuple[Any, str]:
    """(value, problem): the cell's value for the row, or a problem in Chinese."""
    text = _text(raw)
    attr = column.attr
    if attr in ("sort_order", "priority"):
        if not text:
            return 0, ""
        try:
            number = float(text)
        except ValueError:
            return 0, "应为整数"
        if not number.is_integer():
            return 0, "应为整数"
        return int(number), ""
    if attr == "active":
        if text in ("", ACTIVE_TEXT, "是", "有效", "正常"):
            return True, ""
        if text in (RETIRED_TEXT, "否", "撤销", "已停用"):
            return False, ""
        return True, "状态应为“启用”或“停用”"
    aliases = {(Kind.LOCALITY, "level"): (LEVEL_ALIASES, LocalityLevel),
               (Kind.UNIT, "kind"): (KIND_ALIASES, UnitKind),
               (Kind.RULE, "action"): (ACTION_ALIASES, RoutingAction)}.get((kind, attr))
    if aliases is not None:
        table, enum = aliases
        if not text and kind is Kind.RULE:
            return RoutingAction.ASSIGN.value, ""
        if text in table:
            return table[text], ""
        try:
            return enum.parse(text).value, ""
        except ValueError:
            return text, ""  # reported by the validation with the list of choices
    return text, ""


def read_workbook(source: Path | bytes) -> tuple[ReferenceData, list[Issue]]:
    """The rows of every known sheet, with the problems of cells that could not be read."""
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else source
        wb = load_workbook(handle, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise WorkbookError("无法读取该文件：请选择用本程序导出的模板填写的 Excel 工作簿（.xlsx）。") from exc
    data = ReferenceData()
    issues: list[Issue] = []
    found = False
    try:
        for kind in Kind:
            if kind.sheet not in wb.sheetnames:
                continue
            found = True
            rows = _read_sheet(wb[kind.sheet], kind, data, issues)
            setattr(data, {Kind.LOCALITY: "localities", Kind.UNIT: "units", Kind.CATEGORY: "categories",
                           Kind.RULE: "rules"}[kind], rows)
    finally:
        wb.close()
    if not found:
        raise WorkbookError("工作簿中没有“属地”“责任单位”“问题类别”“交办规则”中的任何一个工作表，"
                            "请使用本程序导出的模板。")
    return data, issues


def _read_sheet(ws: Any, kind: Kind, data: ReferenceData, issues: list[Issue]) -> list[Any]:
    columns = COLUMNS[kind]
    rows_iter = ws.iter_rows(values_only=True)
    header = [_text(v) for v in next(rows_iter, ())]
    positions: dict[str, int] = {}
    for column in columns:
        if column.header in header:
            positions[column.attr] = header.index(column.header)
        elif column.required:
            issues.append(Issue(kind.sheet, 1, column.header, "缺少该列（请勿修改模板的表头）"))
    if len(positions) < sum(1 for c in columns if c.required):
        return []
    out: list[Any] = []
    for number, values in enumerate(rows_iter, start=2):
        cells = list(values)
        if not any(_text(v) for v in cells):
            continue
        fields: dict[str, Any] = {}
        for column in columns:
            at = positions.get(column.attr)
            raw = cells[at] if at is not None and at < len(cells) else None
            value, problem = _parse(kind, column, raw)
            if problem:
                issues.append(Issue(kind.sheet, number, column.header, problem))
            fields[column.attr] = value
        data.row_numbers[(kind, len(out))] = number
        out.append(ROW_TYPES[kind](**fields))
    return out
