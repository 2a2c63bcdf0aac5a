"""Write tests/data/ledger_2021.xls, the Excel 97-2003 sample the ledger tests read (LibreOffice is not on the build
machine, and no xls writer is a project dependency). Run once with xlwt on the path:

    pip install --target /tmp/xlwt-lib xlwt
    PYTHONPATH=/tmp/xlwt-lib:. python tests/data/make_ledger_xls.py

The rows are ``tests.unit.ledger.files.LEDGER_ROWS``, under the same two-row header with merged cells as the xlsx.
"""

from __future__ import annotations

from datetime import datetime

import xlwt  # type: ignore[import-not-found]

from tests.unit.ledger.files import HEADER, LEDGER_ROWS, XLS_SAMPLE


def main() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("2021年台账")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    ws.write_merge(0, 0, 0, len(HEADER) - 1, "示范区2021年信访台账")
    ws.write_merge(1, 1, 0, 2, "信访人信息")
    ws.write_merge(1, 1, 7, 9, "办理情况")
    for col in (3, 4, 5, 6, 10):
        ws.write_merge(1, 2, col, col, HEADER[col])
    for col in (0, 1, 2, 7, 8, 9):
        ws.write(2, col, HEADER[col])
    for r, row in enumerate(LEDGER_ROWS, start=3):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write(r, c, value, date_style)
            elif value != "":
                ws.write(r, c, value)
    wb.add_sheet("说明").write(0, 0, "本表为示范数据")
    wb.save(str(XLS_SAMPLE))


if __name__ == "__main__":
    main()
