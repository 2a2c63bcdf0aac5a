"""Read one sheet of a ledger file into rows of plain cell values.

``.xlsx``, ``.xls`` (Excel 97-2003) and ``.ods`` are read with python-calamine (one reader for all three, written in
Rust; about 8x faster than openpyxl on the same sheet, see bench/ledger_read.py); CSV through
``reception.textio`` (UTF-8 with or without BOM, or GBK). Merged cells are filled in: every cell of a merged range
holds the range's value, so a group header spanning three columns labels all three and a vertically merged header
labels the data row below it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reception.domain.errors import ReceptionError
from reception.textio import UnreadableText, read_text_file

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv", ".txt")
SUFFIXES = SPREADSHEET_SUFFIXES + CSV_SUFFIXES
CSV_SHEET = "CSV"
"""The one "sheet" of a CSV file."""

Cell = Any
"""str, int, float, bool, datetime.date, datetime.datetime, datetime.time or "" (empty)."""


class LedgerReadError(ReceptionError):
    """The file cannot be read (a Chinese message for the user)."""

    def __init__(self, message: str, key: str = "ledger_unreadable") -> None:
        super().__init__(message, key=key)


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    rows: list[list[Cell]]
    """Every row from the sheet's first row, cells from column A (merged ranges filled in), trailing blanks kept."""


def sheet_names(path: Path) -> list[str]:
    """The visible sheets of a workbook (``["CSV"]`` for a CSV file)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return [CSV_SHEET]
    wb = _open(path)
    try:
        return [m.name for m in wb.sheets_metadata if str(m.visible).endswith("Visible")
                and "Hidden" not in str(m.visible)]
    finally:
        wb.close()


def _open(path: Path) -> Any:
    import python_calamine

    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise LedgerReadError(f"不支持的文件类型“{path.suffix}”：请选择 xlsx、xls、ods 或 csv 文件", "ledger_type")
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except OSError as exc:
        raise LedgerReadError(f"无法打开文件“{path.name}”：{exc.strerror or '读取失败'}") from exc
    except Exception as exc:  # calamine's own errors (a damaged or password-protected workbook)
        raise LedgerReadError(f"无法读取“{path.name}”：文件已损坏、加密或不是表格文件") from exc


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """One sheet (the first when ``sheet`` is None)."""
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        return Sheet(CSV_SHEET, _read_csv(path))
    wb = _open(path)
    try:
        names = wb.sheet_names
        name = sheet if sheet is not None else (names[0] if names else "")
        if name not in names:
            raise LedgerReadError(f"文件中没有名为“{name}”的工作表", "ledger_no_sheet")
        try:
            ws = wb.get_sheet_by_name(name)
            rows = [list(r) for r in ws.to_python(skip_empty_area=False)]
            merged = ws.merged_cell_ranges or []
        except Exception as exc:
            raise LedgerReadError(f"无法读取工作表“{name}”：文件已损坏") from exc
    finally:
        wb.close()
    _fill_merged(rows, merged)
    return Sheet(name, rows)


def _fill_merged(rows: list[list[Cell]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] == "" or row[c] is None:
                    row[c] = value


def _read_csv(path: Path) -> list[list[Cell]]:
    try:
        decoded = read_text_file(path)
    except UnreadableText as exc:
        raise LedgerReadError(str(exc), "ledger_encoding") from exc
    except OSError as exc:
        raise LedgerReadError(f"无法打开文件“{path.name}”：{exc.strerror or '读取失败'}") from exc
    text = decoded.text
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
