"""Exports of the report and the ranking: Excel (openpyxl: one formatted sheet per table, the definitions on their
own sheet) and PDF (ReportLab with the receipts' embedded CJK font, charts drawn with reportlab.graphics).

Optional detail lists (drill-downs such as the backlog cases resolved) go in as extra sheets / an appendix; their
rows come from ``drill`` and carry masked names only (surname + 某 + last character). Nothing here reads the
database: the caller passes finished results, so the same bytes can be written by the CLI or the desk.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from reception.db.base import to_local
from reception.stats.common import Table
from reception.stats.drill import DRILL_HEADERS, DrillList
from reception.stats.indicators import INDICATORS
from reception.stats.ranking import WEIGHT_LABELS, Ranking
from reception.stats.report import PeriodReport, definitions

DETAIL_KEYS = ("backlog_resolved", "supervised", "owned_resolved")
"""The lists the exported report appends (积案化解, 督办, 包案化解), like the district's own report names its cases."""

_PERCENT = re.compile(r"^-?\d+(?:\.\d+)?%$")
_HEADER_FILL = "DDE6F0"
_TITLE = "信访工作统计报告"
_RANKING_TITLE = "一考一评单位排队"


def _stamp(moment: datetime) -> str:
    return f"{to_local(moment):%Y年%m月%d日 %H:%M}"


def detail_table(listed: DrillList) -> Table:
    rows = tuple((r.case_no or "—", r.on, r.petitioner, r.category, r.locality, r.unit,
                  r.status_label, r.detail) for r in listed.rows)
    note = listed.definition + (f"（仅列出前{len(listed.rows)}条，共{listed.total}条）" if listed.truncated else "")
    return Table(f"detail_{listed.key}", f"明细：{listed.title}", DRILL_HEADERS, rows, note=note)


# --- Excel ----------------------------------------------------------------------------------------------------------


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "表"
    base, n = name, 2
    while name in used:
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def _write_table(wb: Any, used: set[str], table: Table, subtitle: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    ws = wb.create_sheet(_sheet_name(table.title, used))
    ncols = len(table.headers)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(ncols, 1))
    ws.cell(row=2, column=1, value=subtitle).font = Font(color="555555")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(ncols, 1))
    for c, header in enumerate(table.headers, start=1):
        cell = ws.cell(row=3, column=c, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    widths = [max(6, _display_width(h)) for h in table.headers]
    for r, row in enumerate(table.rows, start=4):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value, number_format = cell_value(value)
            if number_format:
                cell.number_format = number_format
            cell.border = border
            long_text = isinstance(value, str) and len(value) > 30
            cell.alignment = Alignment(vertical="top", wrap_text=long_text)
            shown = f"{value:%Y-%m-%d}" if isinstance(value, date) else str(value)
            widths[c - 1] = max(widths[c - 1], min(60, _display_width(shown)))
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w + 2
    if table.note:
        note_row = len(table.rows) + 5
        ws.cell(row=note_row, column=1, value=f"说明：{table.note}").alignment = Alignment(wrap_text=True,
                                                                                          vertical="top")
        ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=max(ncols, 1))
        ws.row_dimensions[note_row].height = 15 * (1 + len(table.note) // 60)
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    a4_page_setup(ws, landscape=sum(widths) > 100 or ncols > 6)


def a4_page_setup(ws: Any, *, landscape: bool, one_page: bool = False) -> None:
    """A4, as wide as the page (as many pages down as it takes, or ``one_page``), centred, page numbers below."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # (without it Excel ignores fitToWidth)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.7
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


_INTEGER = re.compile(r"^-?(?:0|[1-9]\d{0,14})$")
_DECIMAL = re.compile(r"^-?(?:0|[1-9]\d{0,14})\.\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_FORMAT = "yyyy-mm-dd"


def cell_value(value: object) -> tuple[object, str | None]:
    """What a table value becomes in a cell, with its number format: counts are numbers, rates fractions shown as
    percentages, scores decimals, dates dates. Text stays text: codes with leading zeros, "—" (nothing to divide),
    case numbers, names."""
    if isinstance(value, bool):
        return ("是" if value else "否"), None
    if isinstance(value, int):
        return value, "0"
    if isinstance(value, float):
        return value, "0.0"
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None), "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, str):
        if _PERCENT.match(value):
            return float(value[:-1]) / 100, "0.0%"
        if _INTEGER.match(value):
            return int(value), "0"
        if _DECIMAL.match(value):
            return float(value), "0.0"
        if _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value), DATE_FORMAT
            except ValueError:
                return value, None
    return value, None


def _display_width(text: str) -> int:
    """Excel column width counts a CJK character as about two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _definitions_table() -> Table:
    return Table("definitions", "统计口径", ("指标", "单位", "定义"), definitions(),
                 note="各项指标均按事项登记、办理、接访等记录的当地日期统计；统计期含首尾两日。")


def report_xlsx(report: PeriodReport, details: Sequence[DrillList] = ()) -> bytes:
    """The period report as a workbook: 主要指标 (values with definitions), one sheet per breakdown, 逐月情况,
    统计口径, and a sheet per detail list."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    subtitle = f"统计期间：{report.period.label}（{report.period.start:%Y-%m-%d}至{report.period.end:%Y-%m-%d}）" \
               f"　生成时间：{_stamp(report.generated_at)}"
    for table in report.tables:
        _write_table(wb, used, table, subtitle)
    _write_table(wb, used, _definitions_table(), subtitle)
    for listed in details:
        _write_table(wb, used, detail_table(listed), subtitle)
    wb.properties.title = f"{_TITLE}（{report.period.label}）"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _weights_table(ranking: Ranking) -> Table:
    w = ranking.weights.as_dict()
    total = ranking.weights.total
    rows = tuple((WEIGHT_LABELS[k], f"{w[k]:g}", f"{100 * w[k] / total:.1f}%") for k in WEIGHT_LABELS)
    return Table("weights", "权重设置", ("指标", "权重", "折合占比"), rows, note=INDICATORS["score"].definition)


def ranking_xlsx(ranking: Ranking) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    subtitle = f"考评期间：{ranking.period.label}　生成时间：{_stamp(ranking.generated_at)}"
    for table in ranking.tables():
        _write_table(wb, used, table, subtitle)
    _write_table(wb, used, _weights_table(ranking), subtitle)
    keys = ("accept_rate", "on_time_rate", "satisfaction_rate", "repeat_rate", "supervised", "score")
    _write_table(wb, used, Table("definitions", "统计口径", ("指标", "单位", "定义"),
                                 tuple((INDICATORS[k].name, INDICATORS[k].unit, INDICATORS[k].definition)
                                       for k in keys)), subtitle)
    wb.properties.title = f"{_RANKING_TITLE}（{ranking.period.label}）"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- PDF --------------------------------------------------------------------------------------------------------------


class _Pdf:
    """A4 document pieces with the embedded CJK font (fallback fonts for rare characters, as on the receipts)."""

    def __init__(self, landscape_pages: bool = False) -> None:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.styles import ParagraphStyle

        import reception.receipts.render  # noqa: F401  (CJK line-breaking rules for every paragraph)
        from reception.receipts.fonts import font_set

        self.fonts = font_set()
        f = self.fonts.primary
        self.colors = colors
        self.page = landscape(A4) if landscape_pages else A4
        self.title = ParagraphStyle("t", fontName=f, fontSize=18, leading=26, alignment=1, wordWrap="CJK")
        self.sub = ParagraphStyle("s", fontName=f, fontSize=10, leading=14, alignment=1, wordWrap="CJK",
                                  textColor=colors.HexColor("#555555"))
        self.h = ParagraphStyle("h", fontName=f, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4,
                                wordWrap="CJK")
        self.cell = ParagraphStyle("c", fontName=f, fontSize=9, leading=12, wordWrap="CJK")
        self.small = ParagraphStyle("sm", fontName=f, fontSize=8, leading=11, wordWrap="CJK",
                                    textColor=colors.HexColor("#444444"))
        self.missing: list[str] = []

    def p(self, text: str, style: Any = None) -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(self.fonts.markup(str(text), self.missing), style or self.cell)

    def table(self, t: Table, widths: Sequence[float] | None = None) -> list[Any]:
        from reportlab.platypus import Spacer, TableStyle
        from reportlab.platypus import Table as RLTable

        c = self.colors
        data = [[self.p(h) for h in t.headers]] + [[self.p("" if v is None else v) for v in row] for row in t.rows]
        if not t.rows:
            data.append([self.p("（无）")] + [self.p("") for _ in t.headers[1:]])
        table = RLTable(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), self.fonts.primary),  # (the default, Helvetica, is not embedded)
            ("GRID", (0, 0), (-1, -1), 0.5, c.HexColor("#888888")),
            ("BACKGROUND", (0, 0), (-1, 0), c.HexColor("#" + _HEADER_FILL)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        out: list[Any] = [self.p(t.title, self.h), table]
        if t.note:
            out += [Spacer(1, 3), self.p(f"说明：{t.note}", self.small)]
        return out

    def build(self, story: list[Any], title: str) -> bytes:
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        buf = io.BytesIO()
        primary = self.fonts.primary

        def footer(canvas: Any, doc: Any) -> None:
            canvas.saveState()
            canvas.setFont(primary, 8)
            canvas.drawCentredString(self.page[0] / 2, 10 * mm, f"第 {doc.page} 页")
            canvas.restoreState()

        doc = SimpleDocTemplate(buf, pagesize=self.page, leftMargin=16 * mm, rightMargin=16 * mm,
                                topMargin=16 * mm, bottomMargin=18 * mm, title=title, author="信访接待一站式服务台",
                                initialFontName=primary, initialFontSize=9)
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
        return buf.getvalue()

    @property
    def width(self) -> float:
        from reportlab.lib.units import mm

        return float(self.page[0] - 32 * mm)


def _trend_chart(pdf: _Pdf, report: PeriodReport) -> Any:
    """Walk-in visits (批次) and new cases (件) per month, as grouped bars."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String

    f = pdf.fonts.primary
    width, height = pdf.width, 190.0
    d = Drawing(width, height)
    d.initialFontName, d.initialFontSize = f, 8  # (else Helvetica, which is not embedded)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, width - 60, height - 75
    months = report.months
    chart.data = [[m.visits for m in months] or [0], [m.new_cases for m in months] or [0]]
    chart.categoryAxis.categoryNames = [f"{m.month}月" if len(months) <= 12 else m.label for m in months] or [""]
    chart.categoryAxis.labels.fontName = f
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = f
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = pdf.colors.HexColor("#4472C4")
    chart.bars[1].fillColor = pdf.colors.HexColor("#ED7D31")
    chart.barSpacing = 1
    d.add(chart)
    legend = Legend()
    legend.fontName = f
    legend.fontSize = 8
    legend.x, legend.y = width - 170, height - 10
    legend.columnMaximum = 1
    legend.alignment = "right"
    legend.colorNamePairs = [(chart.bars[0].fillColor, "来访（批次）"), (chart.bars[1].fillColor, "新登记事项（件）")]
    d.add(legend)
    d.add(String(0, height - 12, "逐月来访与新登记事项", fontName=f, fontSize=10))
    return d


def _township_chart(pdf: _Pdf, table: Table) -> Any:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String

    f = pdf.fonts.primary
    rows = list(table.rows)[:15]
    width = pdf.width
    height = 50.0 + 16 * max(len(rows), 1)
    d = Drawing(width, height)
    d.initialFontName, d.initialFontSize = f, 8
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 90, 20, width - 120, height - 45
    chart.data = [[int(r[1]) for r in reversed(rows)] or [0]]
    chart.categoryAxis.categoryNames = [str(r[0]) for r in reversed(rows)] or [""]
    chart.categoryAxis.labels.fontName = f
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = f
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = pdf.colors.HexColor("#4472C4")
    chart.barLabels.fontName = f
    chart.barLabels.fontSize = 7
    chart.barLabelFormat = "%d"
    chart.barLabels.nudge = 8
    d.add(chart)
    d.add(String(0, height - 12, table.title, fontName=f, fontSize=10))
    return d


def report_pdf(report: PeriodReport, details: Sequence[DrillList] = ()) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Spacer

    pdf = _Pdf()
    w = pdf.width
    p = report.period
    story: list[Any] = [
        pdf.p(_TITLE, pdf.title),
        pdf.p(f"{p.label}（{p.start:%Y年%m月%d日}至{p.end:%Y年%m月%d日}）　生成时间：{_stamp(report.generated_at)}",
              pdf.sub),
        Spacer(1, 6 * mm),
    ]
    sections: dict[str, list[Any]] = {}
    for fig in report.figures:
        sections.setdefault(fig.section, []).append(fig)
    for section, figs in sections.items():
        t = Table(section, section, ("指标", "数值", "统计口径"),
                  tuple((f.name, f.text + ("" if f.unit in ("%",) else f.unit), f.definition) for f in figs))
        story += pdf.table(t, [w * 0.2, w * 0.14, w * 0.66])
    story += [PageBreak(), pdf.p("图表", pdf.h), _trend_chart(pdf, report), Spacer(1, 4 * mm),
              _township_chart(pdf, report.table("by_township"))]
    for key in ("by_township", "by_category", "by_unit"):
        story += pdf.table(report.table(key), [w * 0.5, w * 0.25, w * 0.25])
    story += pdf.table(report.table("monthly"), [w * 0.2] * 5)
    for listed in details:
        story += pdf.table(detail_table(listed), [w * x for x in (0.15, 0.1, 0.08, 0.11, 0.17, 0.13, 0.08, 0.18)])
    return pdf.build(story, f"{_TITLE}（{p.label}）")


def ranking_pdf(ranking: Ranking) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    pdf = _Pdf(landscape_pages=True)
    w = pdf.width
    story: list[Any] = [
        pdf.p(_RANKING_TITLE, pdf.title),
        pdf.p(f"考评期间：{ranking.period.label}　生成时间：{_stamp(ranking.generated_at)}", pdf.sub),
        Spacer(1, 5 * mm),
    ]
    widths = [w * x for x in (0.05, 0.17, 0.07, 0.08, 0.07, 0.08, 0.07, 0.08, 0.07, 0.08, 0.08, 0.1)]
    for table in ranking.tables():
        story += pdf.table(table, widths)
    story += pdf.table(_weights_table(ranking), [w * 0.3, w * 0.2, w * 0.2])
    return pdf.build(story, f"{_RANKING_TITLE}（{ranking.period.label}）")
