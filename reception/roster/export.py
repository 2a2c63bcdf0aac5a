"""The roster as a public notice: the rows shared by the PDF (``reception.receipts.roster_notice``) and Excel."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reception.receipts.roster_notice import NoticeRow, RosterNotice, render_roster_notice
from reception.roster.service import MonthRoster, RosterDay, month_roster

if TYPE_CHECKING:
    from reception.services.context import AppContext


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
    """The same table as an Excel workbook (formatted for printing: A4 landscape, borders, wrapped text)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]

    notice = notice_of(month_roster(ctx, month, version=version))
    wb = Workbook()
    ws = wb.active
    ws.title = month
    headers = ("日期", "星期", "接访领导", "职务", "接访地点", "备注")
    widths = (12, 9, 16, 28, 36, 20)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.cell(1, 1, notice.title).font = Font(size=18, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
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
    for i, r in enumerate(notice.rows, 4):
        for col, value in enumerate((r.date, r.weekday, r.leaders, r.titles, r.place, r.mark), 1):
            c = ws.cell(i, col, value)
            c.border, c.alignment = border, center
            if "书记接访日" in r.mark:
                c.fill = PatternFill("solid", fgColor="FFEED9")
    ws.cell(len(notice.rows) + 5, 1, notice.footer)
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
