"""The public notice of the leaders' reception roster (区级领导接访安排表): A4 landscape, embedded CJK font.

The data is plain (``RosterNotice``) so this module knows nothing of the roster services. Rendering shares the
receipts' lock: ReportLab's TrueType subsetting is not thread-safe.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reception.receipts.fonts import FontSet, font_set
from reception.receipts.render import _render_lock


@dataclass(frozen=True, slots=True)
class NoticeRow:
    date: str
    """e.g. "2月24日"."""
    weekday: str
    leaders: str
    """One line per leader: "王建国\\n李文华"."""
    titles: str
    place: str
    mark: str = ""
    """"书记接访日", "无会周", "调休上班"…"""


@dataclass(frozen=True, slots=True)
class RosterNotice:
    title: str
    subtitle: str
    """e.g. "2026年2月"."""
    rows: tuple[NoticeRow, ...]
    footer: str
    """Hours, place, version and a note on unconfirmed holidays."""


COLUMNS = ("日期", "星期", "接访领导", "职务", "接访地点", "备注")
_WIDTHS_MM = (26, 20, 42, 68, 74, 47)


def _styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("n", fontName=fonts.primary, fontSize=11, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("t", parent=base, fontSize=20, leading=26, alignment=TA_CENTER),
        "sub": ParagraphStyle("s", parent=base, fontSize=12, leading=16, alignment=TA_CENTER),
        "head": ParagraphStyle("h", parent=base, alignment=TA_CENTER),
        "cell": ParagraphStyle("c", parent=base, alignment=TA_CENTER),
        "left": ParagraphStyle("l", parent=base, alignment=TA_LEFT),
        "foot": ParagraphStyle("f", parent=base, fontSize=10, leading=14),
    }


def render_roster_notice(notice: RosterNotice) -> bytes:
    fonts = font_set()
    with _render_lock:
        st = _styles(fonts)

        def p(text: str, style: str = "cell") -> Paragraph:
            return Paragraph(fonts.markup(text), st[style])

        data = [[p(c, "head") for c in COLUMNS]]
        for r in notice.rows:
            data.append([p(r.date), p(r.weekday), p(r.leaders), p(r.titles), p(r.place), p(r.mark)])
        table = Table(data, colWidths=[w * mm for w in _WIDTHS_MM], repeatRows=1)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for i, r in enumerate(notice.rows, 1):
            if "书记接访日" in r.mark:
                style.append(("BACKGROUND", (0, i), (-1, i), colors.Color(1.0, 0.93, 0.85)))
        table.setStyle(TableStyle(style))
        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
                                topMargin=12 * mm, bottomMargin=12 * mm, title=f"{notice.title} {notice.subtitle}",
                                author="区信访接待中心")
        story = [p(notice.title, "title"), Spacer(1, 2 * mm), p(notice.subtitle, "sub"), Spacer(1, 4 * mm), table,
                 Spacer(1, 4 * mm), p(notice.footer, "foot")]
        doc.build(story)
        return buf.getvalue()
