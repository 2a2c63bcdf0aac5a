"""Ledger files the tests write: a 2021 ledger as the centre kept it (title row, grouped two-row header, merged
cells), in xlsx (openpyxl), ods (written by hand: OpenDocument is zipped XML), GBK CSV, and the committed xls."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reception.domain.idnumber import check_digit

DATA = Path(__file__).resolve().parents[2] / "data"
XLS_SAMPLE = DATA / "ledger_2021.xls"
"""Written by tests/data/make_ledger_xls.py (xlwt, not a project dependency) with the rows of ``LEDGER_ROWS``."""


def resident_id(body17: str) -> str:
    return body17 + check_digit(body17)


ID_ZHANG = resident_id("43050319800101001")
ID_LI = resident_id("43050319751212002")
BAD_ID = ID_ZHANG[:-1] + ("0" if ID_ZHANG[-1] != "0" else "1")

HEADER = ["姓名", "身份证号", "联系电话", "来访时间", "反映问题", "问题类别", "问题属地", "责任单位", "办理结果",
          "满意度", "办结时间"]

LEDGER_ROWS: list[list[Any]] = [
    # 1 closed, satisfied, Excel date cell
    ["张三", ID_ZHANG, "13800138000", datetime(2021, 3, 5, 9, 30), "要求尽快办理房屋不动产权证", "房屋办证", "翠园街道",
     "区住房和城乡建设局", "已办结，支持其诉求", "满意", "2021.4.20"],
    # 2 the same person again (by ID), another matter, in handling, dotted date
    ["张三", ID_ZHANG, "13800138000", "2021.6.1", "反映小区物业服务差，要求更换物业公司", "物业管理",
     "翠园街道/尚书茗苑社区", "翠园街道", "办理中", "", ""],
    # 3 Chinese date, closed without rating (closed once the evaluation window ran out)
    ["李四", ID_LI, "13900139000", "2021年3月8日", "反映工地拖欠农民工工资，要求协调支付", "拖欠工资", "城南街道",
     "区人力资源和社会保障局", "已答复并办结", "", "2021年3月30日"],
    # 4 bad ID checksum
    ["王五", BAD_ID, "13700137000", "2021-03-09", "反映夜间施工噪声扰民", "噪声扰民", "雨溪街道", "区生态环境分局", "",
     "", ""],
    # 5 unknown locality
    ["赵六", "", "13600136000", "2021/3/10", "要求公开村集体资产处置情况", "村务公开与集体资产", "火星街道",
     "区农业农村局", "", "", ""],
    # 6 unknown unit
    ["钱七", "", "13500135000", "2021-03-11", "申请低保未获批准，要求说明理由", "低保与特困救助", "学院路街道",
     "区外星事务局", "", "", ""],
    # 7 unreadable date
    ["孙八", "", "13400134000", "三月中旬", "要求补缴养老保险费用", "社会保险", "城南街道",
     "区人力资源和社会保障局", "", "", ""],
    # 8 empty required field (反映问题)
    ["周九", "", "13300133000", "2021-03-12", "", "社会保险", "城南街道", "区人力资源和社会保障局", "", "", ""],
    # 9 Excel serial number as a number (44270 = 2021-03-15), no ID, no category (the default applies)
    ["吴十", "", "13200132000", 44270, "反映商铺音响噪声扰民", "", "雨溪街道", "区生态环境分局", "已受理", "", ""],
]
"""Rows 1-3 and 9 import; 4-8 each have one error the dry run names."""


def write_xlsx(path: Path, rows: list[list[Any]] | None = None) -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "2021年台账"
    ws.append(["示范区2021年信访台账"])
    ws.merge_cells("A1:K1")
    ws.append(["信访人信息", None, None, "来访时间", "反映问题", "问题类别", "问题属地", "办理情况", None, None,
               "办结时间"])
    ws.append([None, None, None, None, None, None, None, "责任单位", "办理结果", "满意度", None])
    for c in ("A2:C2", "H2:J2"):
        ws.merge_cells(c)
    for col in "DEFGK":
        ws.merge_cells(f"{col}2:{col}3")
    ws["A3"], ws["B3"], ws["C3"] = "姓名", "身份证号", "联系电话"
    for row in rows if rows is not None else LEDGER_ROWS:
        ws.append(row)
    wb.create_sheet("说明").append(["本表为示范数据"])
    wb.save(path)
    return path


def write_csv_gbk(path: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for row in LEDGER_ROWS:
        w.writerow([v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in row])
    path.write_bytes(buf.getvalue().encode("gbk"))
    return path


def _ods_cell(value: Any) -> str:
    if isinstance(value, datetime):
        return (f'<table:table-cell office:value-type="date" office:date-value="{value:%Y-%m-%dT%H:%M:%S}">'
                f"<text:p>{value:%Y-%m-%d %H:%M}</text:p></table:table-cell>")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if value in ("", None):
        return "<table:table-cell/>"
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path) -> Path:
    """A minimal OpenDocument spreadsheet (what LibreOffice writes, less the styles), with a merged title."""
    rows = ['<table:table-row><table:table-cell table:number-columns-spanned="11" office:value-type="string">'
            "<text:p>示范区2021年信访台账</text:p></table:table-cell>"
            + "<table:covered-table-cell/>" * 10 + "</table:table-row>"]
    for row in [HEADER, *LEDGER_ROWS]:
        rows.append("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="台账">'
        + "".join(rows) + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
