"""A small district's reference workbook written with openpyxl directly (as a centre fills in the template in
Excel), for the reference import tests of the core and of the desk app."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

LOCALITIES = [
    ("代码", "名称", "层级", "上级代码", "排序", "状态"),
    ("HX", "和平街道", "乡镇（街道）", "", 1, "启用"),
    ("HX-01", "和平社区", "村（社区）", "HX", 1, None),
    ("HX-01-01", "第一网格", "网格", "HX-01", 1, None),
    ("HX-01-02", "第二网格", "网格", "HX-01", 2, None),
    ("SQ", "石桥镇", "乡镇", "", 2, None),
    ("SQ-01", "石桥村", "村", "SQ", 1, None),
    ("SQ-01-01", "石桥村第一网格", "网格", "SQ-01", 1, None),
]
UNITS = [
    ("代码", "名称", "类型", "所在属地代码", "联系人", "联系电话", "地址", "排序", "状态"),
    ("HX", "和平街道办事处", "乡镇（街道）", "HX", "周红", "0731-8888001", "和平路1号", 1, None),
    ("SQ", "石桥镇人民政府", "乡镇（街道）", "SQ", "", "", "", 2, None),
    ("ZJJ", "区住房和城乡建设局", "区直部门", "", "李强", "0731-8888100", "", 10, None),
    ("RSJ", "区人力资源和社会保障局", "区直部门", "", "", "", "", 11, None),
]
CATEGORIES = [
    ("代码", "名称", "上级代码", "法定途径", "排序", "状态"),
    ("CJ", "城乡建设", "", "", 1, None),
    ("CJ01", "房屋办证", "CJ", "", 1, None),
    ("CJ02", "物业管理", "CJ", "", 2, None),
    ("LD", "劳动社保", "", "", 2, None),
    ("LD01", "拖欠工资", "LD", "", 1, None),
    ("FD", "依法应通过法定途径解决的事项", "", "", 9, None),
    ("FD03", "劳动人事争议", "FD", "区劳动人事争议仲裁委员会（申请仲裁）", 1, None),
]
RULES = [
    ("问题类别代码", "属地代码", "责任单位代码", "处理方式", "优先级", "说明", "状态", "规则编号"),
    ("CJ01", "", "ZJJ", "交办", 0, "谁主管、谁负责", None, None),
    ("CJ02", "HX", "HX", "交办", 0, "属地管理", None, None),
    ("CJ02", "SQ", "SQ", "交办", 0, "属地管理", None, None),
    ("LD01", "", "RSJ", "转送", 0, "", None, None),
]


def write_district(path: Path, *, broken: bool = False) -> Path:
    """The workbook; ``broken`` adds rows with problems (an unknown parent, a bad level, a duplicate code, a
    rule to an unknown unit, a priority that is not a number)."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    sheets = {"属地": list(LOCALITIES), "责任单位": list(UNITS), "问题类别": list(CATEGORIES), "交办规则": list(RULES)}
    if broken:
        sheets["属地"] += [("HX-02", "幸福社区", "村（社区）", "NOPE", 2, None),   # row 9: unknown parent
                           ("HX-03", "光明社区", "居委会", "HX", 3, None),       # row 10: bad level
                           ("HX-01", "重复社区", "村（社区）", "HX", 4, None)]    # row 11: duplicate code
        sheets["交办规则"] += [("LD01", "", "XXJ", "交办", "高", "", None, None)]  # row 6: unknown unit, bad priority
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path
