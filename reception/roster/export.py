"""The roster as a public notice: the rows shared by the PDF (``reception.receipts.roster_notice``) and Excel."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reception.receipts.roster_notice import NoticeRow, RosterNotice, render_roster_notice
from reception.roster.service import MonthRoster, RosterDay, month_roster

if TYPE_CHECKING:
    from reception.context import AppContext


def _mark(day: RosterDay) -> str:
    marks = []
    if day.secretary_day:
        marks.append("书记接访日")
    if day.makeup_workday:
        marks.append(f"{day.holiday}调休上班" if day.holiday else "调休上班")
    if day.no_meeting_week:
        marks.append("无会周")
    return "、".join(marks)


def notice_of(roster: MonthRoster) -> RosterNotice:
    """The public notice of a month: one row per working day with leaders."""
    year, month = roster.month.split("-")
    rows = tuple(
        NoticeRow(
            date=f"{d.day.month}月{d.day.day}日",
            weekday=d.weekday,
            leaders="\n".join(x.name for x in d.leaders),
            titles="\n".join(x.title for x in d.leaders),
            place=roster.place,
            mark=_mark(d),
        )
        for d in roster.days
        if d.workday and d.leaders
    )
    footer = f"接访时间：工作日{roster.hours}。接访地点：{roster.place}。"
    if roster.version:
        footer += f"（第{roster.version}版）"
    if not roster.calendar_known:
        footer += (f"注：{int(year)}年放假安排尚未公布，节假日按法定节假日推算，以国务院公布的放假安排为准，"
                   "如有调整另行通知。")
    status = "" if roster.status == "published" else "（草稿）"
    return RosterNotice(roster.title, f"{int(year)}年{int(month)}月{status}", rows, footer)


def notice_pdf(ctx: AppContext, month: str, *, version: int | None = None) -> bytes:
    return render_roster_notice(notice_of(month_roster(ctx, month, version=version)))


def notice_xlsx(ctx: AppContext, month: str, *, version: int | None = None) -> bytes:
    """The same table as an Excel workbook, printed like the PDF notice: A4 landscape on one page, borders,
    wrapped text, the header row repeated and frozen. The date column holds real dates (shown as 12月1日)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]

    from reception.stats.export import a4_page_setup

    roster = month_roster(ctx, month, version=version)
    notice = notice_of(roster)
    days = [d.day for d in roster.days if d.workday and d.leaders]  # the notice's rows, in the same order
    wb = Workbook()
    ws = wb.active
    ws.title = month
    headers = ("日期", "星期", "接访领导", "职务", "接访地点", "备注")
    widths = (12, 8, 14, 30, 34, 20)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.cell(1, 1, notice.title).font = Font(size=18, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.row_dimensions[1].height = 30
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws.cell(2, 1, notice.subtitle).alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for col, (h, w) in enumerate(zip(headers, widths, strict=True), 1):
        c = ws.cell(3, col, h)
        c.font, c.border, c.alignment = Font(bold=True), border, center
        c.fill = PatternFill("solid", fgColor="DDDDDD")
        ws.column_dimensions[c.column_letter].width = w
    for i, (r, day) in enumerate(zip(notice.rows, days, strict=True), 4):
        for col, value in enumerate((day, r.weekday, r.leaders, r.titles, r.place, r.mark), 1):
            c = ws.cell(i, col, value)
            c.border, c.alignment = border, center
            if col == 1:
                c.number_format = 'm"月"d"日"'
            if "书记接访日" in r.mark:
                c.fill = PatternFill("solid", fgColor="FFEED9")
        lines = max(1, r.leaders.count("\n") + 1, _lines(r.titles, widths[3]), _lines(r.place, widths[4]))
        ws.row_dimensions[i].height = 16 * lines + 4
    footer_row = len(notice.rows) + 5
    ws.merge_cells(start_row=footer_row, start_column=1, end_row=footer_row, end_column=len(headers))
    ws.cell(footer_row, 1, notice.footer).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[footer_row].height = 16 * _lines(notice.footer, sum(widths)) + 4
    ws.print_title_rows = "3:3"
    ws.freeze_panes = "A4"
    a4_page_setup(ws, landscape=True, one_page=True)  # a public notice is one sheet of paper
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs: Excel's column width counts a CJK character as about two."""
    total = 0
    for part in text.split("\n"):
        chars = sum(2 if ord(ch) > 0x2E80 else 1 for ch in part)
        total += max(1, -(-chars // max(1, int(width) - 1)))
    return total
