"""Render a 登记回执 (registration receipt) to PDF with ReportLab platypus.

Three layouts: A4 and A5 portrait (bordered tables, signature and stamp line) and 80 mm thermal paper (72 mm
printed, one page as tall as its content). All text is in the embedded CJK font (see ``fonts.py``); paragraphs
wrap with ``wordWrap='CJK'`` (plus a fix to ReportLab's list of 禁则 characters) so no line starts with "，" or
"。". The QR code carries only ASCII: the query page's address ``<base URL>/q/<case_no>?c=<query_code>``, or
``XF:<case_no>:<query_code>`` when no base URL is known.

Nothing here logs personal data: only the layout, page count, size and time.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib import textsplit as _rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _rl_paragraph

from reception.domain import case_numbers
from reception.domain.enums import ReceiptLayout
from reception.domain.workcalendar import provisional_text
from reception.receipts import qr
from reception.receipts.data import ReceiptData, ReceiptDeadline, ReceiptPerson
from reception.receipts.fonts import FontSet, font_set

log = logging.getLogger(__name__)

TITLE = "登记回执"
REPRINT_MARK = "（补打）"
CORRECTION_MARK = "（更正）"
THERMAL_WIDTH = 80 * mm
THERMAL_MAX_HEIGHT = 14400.0
"""PDF viewers and drivers cap a page at 200 inches; longer thermal receipts continue on a second page."""

# ReportLab's CJK line breakers (textsplit.wordSplit for plain paragraphs, paragraph.cjkFragSplit for paragraphs
# with markup) keep a character that may not start a line (禁则) at the end of the previous line, but their list
# lacks the full-width comma and most Chinese closing punctuation, so a line can start with "，". Extend the list
# both functions read from their module globals (idempotent; helps every CJK paragraph in the process).
CANNOT_START_LINE = "，。、；：？！”’）》〉」』】〕〗］｝…﹐﹑﹒﹔﹕﹖﹗"


def _patch_cjk_line_breaking() -> None:
    for module in (_rl_textsplit, _rl_paragraph):
        current: str = module.ALL_CANNOT_START
        extra = "".join(ch for ch in CANNOT_START_LINE if ch not in current)
        if extra:
            module.ALL_CANNOT_START = current + extra


_patch_cjk_line_breaking()

_GREY = colors.HexColor("#EDEDED")
_LINE = colors.HexColor("#555555")


@dataclass(frozen=True, slots=True)
class RenderResult:
    pdf: bytes
    pages: int
    page_size: tuple[float, float]
    """Width and height of the first page, in points."""
    missing_chars: str
    """Characters no font has, printed as "□": the UI should tell the officer to write them in by hand.
    Personal data (they come from names): show them, never log them."""


@dataclass(frozen=True, slots=True)
class _Spec:
    width: float
    height: float | None
    """None: fitted to the content (thermal)."""
    margin_x: float
    hang: float
    """Extra right margin for punctuation that hangs past the line end (禁则): only where the margin is the edge of
    the printable area (thermal)."""
    margin_top: float
    margin_bottom: float
    body: float
    leading: float
    small: float
    title: float
    heading: float
    qr: float
    wide: bool
    """Bordered grid tables with two label/value pairs per row."""
    signature: bool
    label_width: float
    cell_pad: float


_SPECS: dict[ReceiptLayout, _Spec] = {
    ReceiptLayout.A4: _Spec(
        width=A4[0], height=A4[1], margin_x=18 * mm, hang=0, margin_top=14 * mm, margin_bottom=15 * mm,
        body=10.5, leading=14.5, small=8.5, title=22, heading=11.5, qr=26 * mm, wide=True, signature=True,
        label_width=21 * mm, cell_pad=2.2,
    ),
    ReceiptLayout.A5: _Spec(
        width=A5[0], height=A5[1], margin_x=11 * mm, hang=0, margin_top=9 * mm, margin_bottom=10 * mm,
        body=8.5, leading=11.6, small=7, title=16, heading=9.5, qr=20 * mm, wide=True, signature=True,
        label_width=15.5 * mm, cell_pad=1.6,
    ),
    ReceiptLayout.THERMAL_80: _Spec(
        width=THERMAL_WIDTH, height=None, margin_x=4 * mm, hang=5, margin_top=3 * mm, margin_bottom=6 * mm,
        body=8.5, leading=11.5, small=7, title=14, heading=9, qr=20 * mm, wide=False, signature=False,
        label_width=14 * mm, cell_pad=1.0,
    ),
}


# -- formatting ------------------------------------------------------------------------------------------------


def format_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def format_datetime(dt: datetime) -> str:
    return f"{format_date(dt)} {dt:%H:%M}"


def qr_payload(data: ReceiptData) -> str:
    """What the QR code carries: only the ASCII case number and query code, never personal data."""
    return case_numbers.qr_payload(data.case_no, data.query_code, data.query_base_url)


# -- building blocks -------------------------------------------------------------------------------------------


class QrFlowable(Flowable):  # type: ignore[misc]  # ReportLab is untyped
    """A QR code drawn as one filled path (ReportLab's QrCodeWidget draws a shape per run and encodes twice).

    ``size`` includes the 4-module quiet zone the standard asks for. The matrix comes from ``qr.qr_matrix``
    (ReportLab's encoder with a fast mask choice; cached per payload, so a reprint encodes nothing)."""

    BORDER = 4

    def __init__(self, payload: str, size: float, level: str = "M") -> None:
        super().__init__()
        self.payload = payload
        self.modules = qr.qr_matrix(payload, level)  # raises ValueError unless ASCII
        self.runs = qr.dark_runs(payload, level)
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        n = len(self.modules)
        box = self.width / (n + 2 * self.BORDER)
        path = self.canv.beginPath()
        for r, c, count in self.runs:
            # a hair taller than a module so adjacent rows never show a seam
            y = self.height - (r + self.BORDER + 1) * box
            path.rect((c + self.BORDER) * box, y - box * 0.02, count * box, box * 1.04)
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)
        self.canv.restoreState()


class _Para(Paragraph):  # type: ignore[misc]  # ReportLab is untyped
    """A Paragraph that breaks its lines once per width: a table sizes its cells by wrapping them, then wraps them
    again to draw them, and KeepTogether wraps its content once more. The lines depend on the width only (and the
    style and text, which do not change), so a repeat wrap at the same width returns the same size."""

    _wrapped: tuple[float, object, float] | None = None
    """Width, lines and height of the last wrap (``split`` may drop or replace ``blPara`` and zero the height)."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        done = self._wrapped
        if (done is not None and done[0] == avail_width and done[1] is self.__dict__.get("blPara")
                and done[2] == self.height):
            return self.width, self.height
        size: tuple[float, float] = super().wrap(avail_width, avail_height)
        self._wrapped = (avail_width, self.__dict__.get("blPara"), self.height)
        return size


class _Line(Flowable):  # type: ignore[misc]  # ReportLab is untyped
    """Text that fits on one line of a left, centred or right aligned, borderless paragraph style, in the primary
    font: drawn where and as that Paragraph would draw it (one line as tall as the style's leading, the baseline
    one font size below the top), without parsing markup or breaking lines. Most of a receipt's cells are such
    lines. When the text does not fit the width it is given, a Paragraph takes over (wrapping, splitting)."""

    def __init__(self, text: str, style: ParagraphStyle, markup: str) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self._markup = markup
        self._text_width = float(pdfmetrics.stringWidth(text, style.fontName, style.fontSize))
        self._para: _Para | None = None
        self._use_para = False
        self._extra = 0.0

    @staticmethod
    def suits(style: ParagraphStyle) -> bool:
        return bool(
            style.alignment in (TA_LEFT, TA_CENTER, TA_RIGHT) and not style.borderWidth and style.backColor is None
            and not getattr(style, "bulletText", None) and not getattr(style, "textTransform", None)
            and style.wordWrap == "CJK"
        )

    def _paragraph(self) -> _Para:
        if self._para is None:
            self._para = _Para(self._markup, self.style)
        return self._para

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        st = self.style
        line_width = avail_width - st.leftIndent - st.firstLineIndent - st.rightIndent
        if self._text_width <= line_width:
            self._use_para = False
            self._extra = line_width - self._text_width
            self.width, self.height = avail_width, st.leading
            return avail_width, st.leading
        self._use_para = True
        self.width, self.height = self._paragraph().wrap(avail_width, avail_height)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        if self._use_para:
            parts: list[Flowable] = self._paragraph().split(avail_width, avail_height)
            return parts
        return []

    def minWidth(self) -> float:  # noqa: N802 (ReportLab's name)
        st = self.style
        return float(self._text_width + st.leftIndent + st.firstLineIndent + st.rightIndent)

    def draw(self) -> None:
        if self._use_para:
            self._paragraph().drawOn(self.canv, 0, 0)
            return
        st = self.style
        x = st.leftIndent + st.firstLineIndent
        if st.alignment == TA_CENTER:
            x += 0.5 * self._extra
        elif st.alignment == TA_RIGHT:
            x += self._extra
        canv = self.canv
        canv.setFillColor(st.textColor)
        canv.setFont(st.fontName, st.fontSize, st.leading)
        canv.drawString(x, self.height - st.fontSize, self.text)


class _KeepTogether(KeepTogether):  # type: ignore[misc]  # ReportLab is untyped
    """KeepTogether without the deep copy of the document's frame that each of its wraps makes (ReportLab's
    ``_listWrapOn`` copies the frame so that generated content, e.g. an ``Indenter``, can be tried on it): the
    receipt's closing block has no generated content, and it is wrapped several times per page."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        doc: Any = getattr(self.canv, "_doctemplate", None)
        frame = getattr(doc, "frame", None)
        if doc is None or frame is None:
            size: tuple[float, float] = super().wrap(avail_width, avail_height)
            return size
        doc.frame = None  # (read by ``_listWrapOn`` only to make that copy)
        try:
            size = super().wrap(avail_width, avail_height)
        finally:
            doc.frame = frame
        return size


class _Styles:
    def __init__(self, spec: _Spec, primary_font: str) -> None:
        f = primary_font

        def style(name: str, size: float, leading: float, **kw: object) -> ParagraphStyle:
            return ParagraphStyle(name, fontName=f, fontSize=size, leading=leading, wordWrap="CJK", **kw)

        self.body = style("body", spec.body, spec.leading)
        self.request = style("request", spec.body, spec.leading, spaceAfter=spec.leading * 0.25)
        self.label = style("label", spec.body, spec.leading)
        self.small_label = style("small_label", spec.small, spec.small * 1.3)
        # grey prints dithered and faint on thermal paper: black there
        self.small = style("small", spec.small, spec.small * 1.4, textColor=_LINE if spec.wide else colors.black)
        self.small_center = style("small_center", spec.small, spec.small * 1.4, alignment=TA_CENTER)
        self.title = style("title", spec.title, spec.title * 1.25, alignment=TA_CENTER)
        self.subtitle = style("subtitle", spec.body, spec.leading, alignment=TA_CENTER)
        self.reprint = style(
            "reprint", spec.body, spec.leading, alignment=TA_CENTER, borderWidth=0.8, borderColor=colors.black,
            borderPadding=(2, 4, 2, 4), leftIndent=4, rightIndent=4, spaceBefore=4, spaceAfter=6,
        )
        self.heading = style(
            "heading", spec.heading, spec.heading * 1.3, spaceBefore=spec.leading * 0.5,
            spaceAfter=spec.leading * 0.2, keepWithNext=1,
        )
        self.case_no = style("case_no", spec.body + 1.5, (spec.body + 1.5) * 1.35)
        pad = spec.body * 0.5
        self.notice = style(  # the border is drawn ``pad`` outside the text: indent so it stays in the frame
            "notice", spec.body, spec.leading, borderWidth=0.8, borderColor=colors.black,
            borderPadding=pad, leftIndent=pad, rightIndent=pad,
            spaceBefore=spec.leading * 0.5 + pad, spaceAfter=pad + spec.leading * 0.2,
        )
        self.sign = style("sign", spec.body, spec.leading * 2)
        self.sign_right = style("sign_right", spec.body, spec.leading * 2, alignment=TA_RIGHT)
        self.right = style("right", spec.body, spec.leading, alignment=TA_RIGHT)
        self.left = style("left", spec.body, spec.leading, alignment=TA_LEFT)


@functools.lru_cache(maxsize=16)
def _styles(layout: ReceiptLayout, primary_font: str) -> _Styles:
    """The paragraph styles of a layout, built once (ReportLab only reads a style while it lays out and draws)."""
    return _Styles(_SPECS[layout], primary_font)


class _Builder:
    def __init__(self, data: ReceiptData, layout: ReceiptLayout, fonts: FontSet) -> None:
        self.data = data
        self.layout = layout
        self.spec = _SPECS[layout]
        self.fonts = fonts
        self.st = _styles(layout, fonts.primary)
        self.missing: list[str] = []
        self.frame_width = self.spec.width - 2 * self.spec.margin_x - self.spec.hang

    # text

    def m(self, text: str) -> str:
        """Markup for data text: escaped, with font fallback for rare characters."""
        return self.fonts.markup(text, self.missing)

    def p(self, text: str, style: ParagraphStyle | None = None) -> Flowable:
        style = style or self.st.body
        line = self.fonts.plain(text)
        if line is not None and _Line.suits(style):
            return _Line(line, style, escape(line))  # (all in the primary font: nothing missing, no fallback runs)
        return _Para(self.m(text), style)

    def heading(self, text: str) -> Flowable:
        return self.p(f"■ {text}" if self.spec.wide else f"【{text}】", self.st.heading)

    # tables

    def ts(self, cmds: Sequence[tuple[object, ...]]) -> TableStyle:
        """A table style whose cells default to the primary font (ReportLab's default, Helvetica, is not embedded:
        even an empty string cell would pull it into the PDF)."""
        return TableStyle([("FONTNAME", (0, 0), (-1, -1), self.fonts.primary), *cmds])

    def _table(self, rows: list[list[Flowable | str]], widths: Sequence[float],
               label_cells: Sequence[tuple[int, int]] = (),
               spans: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
               header: bool = False) -> Table:
        pad = self.spec.cell_pad
        cmds: list[tuple[object, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), pad + 1.5 if self.spec.wide else 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad + 1.5 if self.spec.wide else 2),
            ("TOPPADDING", (0, 0), (-1, -1), pad),
            ("BOTTOMPADDING", (0, 0), (-1, -1), pad + (0.5 if self.spec.wide else 0)),
        ]
        if self.spec.wide:
            cmds.append(("GRID", (0, 0), (-1, -1), 0.5, _LINE))
            for cell in label_cells:
                cmds.append(("BACKGROUND", cell, cell, _GREY))
            if header:
                cmds.append(("BACKGROUND", (0, 0), (-1, 0), _GREY))
        elif header:
            cmds.append(("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black))
        for start, end in spans:
            cmds.append(("SPAN", start, end))
        table = Table(rows, colWidths=list(widths), style=self.ts(cmds), repeatRows=1 if header else 0,
                      hAlign="LEFT")
        return table

    def kv_table(self, items: Sequence[tuple[str, str, bool]]) -> Table:
        """Label/value rows. ``wide`` layouts put two pairs per row; an item flagged True takes a whole row."""
        lw = self.spec.label_width
        rows: list[list[Flowable | str]] = []
        labels: list[tuple[int, int]] = []
        spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
        if not self.spec.wide:
            for label, value, _full in items:
                rows.append([self.p(label, self.st.label), self.p(value)])
            return self._table(rows, [lw, self.frame_width - lw])
        vw = (self.frame_width - 2 * lw) / 2
        pending: list[tuple[str, str]] = []

        def flush_pair() -> None:
            if not pending:
                return
            r = len(rows)
            if len(pending) == 1:  # a lone pair takes the whole row
                (l1, v1), = pending
                rows.append([self.p(l1, self.st.label), self.p(v1), "", ""])
                spans.append(((1, r), (3, r)))
                labels.append((0, r))
            else:
                (l1, v1), (l2, v2) = pending
                rows.append([self.p(l1, self.st.label), self.p(v1), self.p(l2, self.st.label), self.p(v2)])
                labels.extend([(0, r), (2, r)])
            pending.clear()

        for label, value, full in items:
            if full:
                flush_pair()
                pending.append((label, value))
                flush_pair()
            else:
                pending.append((label, value))
                if len(pending) == 2:
                    flush_pair()
        flush_pair()
        return self._table(rows, [lw, vw, lw, vw], label_cells=labels, spans=spans)

    # sections

    def qr(self) -> QrFlowable:
        return QrFlowable(qr_payload(self.data), self.spec.qr)

    def title_block(self) -> list[Flowable]:
        d = self.data
        title = TITLE + (CORRECTION_MARK if d.correction else REPRINT_MARK if d.reprint else "")
        out: list[Flowable] = [self.p(title, self.st.title)]
        if d.registering_unit:
            out.append(self.p(d.registering_unit, self.st.subtitle))
        if d.correction:  # replaces the receipt handed out before: the corrected content, said so
            text = "更正件（登记信息已更正，以本回执为准）"
            if d.printed_at is not None:
                text += f"　更正时间：{format_datetime(d.printed_at)}"
            out.append(self.p(text, self.st.reprint))
        elif d.reprint:
            text = "补打件"
            if d.printed_at is not None:
                text += f"　补打时间：{format_datetime(d.printed_at)}"
            out.append(self.p(text, self.st.reprint))
        else:
            out.append(Spacer(1, self.spec.leading * 0.4))
        return out

    def header(self) -> Flowable:
        """Case number, query code and time on the left, the QR code on the right."""
        d = self.data
        lw = self.spec.label_width if self.spec.wide else 12 * mm
        rows = [
            [self.p("编号", self.st.small_label), self.p(d.case_no, self.st.case_no)],
            [self.p("查询码", self.st.small_label), self.p(d.query_code, self.st.case_no)],
            [self.p("登记时间", self.st.small_label), self.p(format_datetime(d.registered_at))],
        ]
        qr_col = self.spec.qr + (6 if self.spec.wide else 1)
        zero = [(k, (0, 0), (-1, -1), 0) for k in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")]
        left = Table(rows, colWidths=[lw, self.frame_width - qr_col - lw], hAlign="LEFT",
                     style=self.ts([*zero, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                       ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        return Table([[left, self.qr()]], colWidths=[self.frame_width - qr_col, qr_col],
                     style=self.ts([*zero, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                       ("ALIGN", (1, 0), (1, 0), "RIGHT")]))

    def registration(self) -> list[Flowable]:
        d = self.data
        items: list[tuple[str, str, bool]] = [
            ("登记单位", d.registering_unit, False),
            ("接待窗口", d.desk_name, False),
            ("登记人", d.officer_name, False),
            ("信访形式", d.channel_label, False),
            ("内容分类", d.content_class_label, False),
            ("问题类别", d.category_label, False),
            ("问题属地", d.locality_label, True),
        ]
        items.extend((label, value, True) for label, value in d.extra_lines)
        return [self.heading("登记信息"), self.kv_table(items)]

    @staticmethod
    def _person_id(person: ReceiptPerson) -> str:
        return " ".join(x for x in (person.id_type_label, person.id_masked) if x) or "—"

    def persons(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = [self.heading("信访人")]
        reps = sum(1 for p in d.persons if p.is_representative)
        if d.headcount > 1 or reps:
            text = f"集体访，来访共 {d.headcount} 人" if d.headcount >= 5 or reps else f"来访共 {d.headcount} 人"
            if reps:
                text += f"，推选代表 {reps} 人（下列标“代表”者）"
            out.append(self.p(text + "。"))
            out.append(Spacer(1, 2))
        if not d.persons:
            out.append(self.p("（未登记信访人信息）"))
            return out
        if self.spec.wide:
            size = self.spec.body
            idw = max(self._text_width(self._person_id(p), size) for p in d.persons) + 12
            phone_w = max(self._text_width(x, size) for x in ["联系电话", *(p.phone_masked for p in d.persons)]) + 12
            num_w = self._text_width("序号", size) + 12
            role_w = self._text_width("身份", size) + 12 if reps else 0.0
            rest = self.frame_width - num_w - phone_w - role_w
            idw = min(idw, rest * 0.68)
            widths = [num_w, rest - idw, idw, phone_w] + ([role_w] if reps else [])
            heads = ["序号", "姓名", "证件", "联系电话"] + (["身份"] if reps else [])
            rows: list[list[Flowable | str]] = [[self.p(h, self.st.label) for h in heads]]
            for i, person in enumerate(d.persons, 1):
                row: list[Flowable | str] = [
                    self.p(str(i)),
                    self.p(person.name),
                    self.p(self._person_id(person)),
                    self.p(person.phone_masked or "—"),
                ]
                if reps:
                    row.append(self.p("代表" if person.is_representative else ""))
                rows.append(row)
            out.append(self._table(rows, widths, header=True))
            return out
        for i, person in enumerate(d.persons, 1):
            mark = "（代表）" if person.is_representative else ""
            lines = [f"{i}. {person.name}{mark}"]
            if person.id_masked or person.id_type_label:
                lines.append(self._person_id(person))
            if person.phone_masked:
                lines.append(f"电话 {person.phone_masked}")
            out.append(self.p("\n".join(lines), self.st.body))
            out.append(Spacer(1, 1.5))
        return out

    def request(self) -> list[Flowable]:
        text = self.data.request_summary.strip() or "（无）"
        paras = [line for line in text.splitlines() if line.strip()]
        out: list[Flowable] = [self.heading("诉求摘要")]
        out.extend(self.p(line, self.st.request) for line in paras)
        return out

    def routing(self) -> list[Flowable]:
        d = self.data
        long_label = len(d.routing_label) > 8
        items: list[tuple[str, str, bool]] = [("处理方式", d.routing_label or "—", long_label)]
        if d.routing_unit:
            items.append(("去向", d.routing_unit, long_label))
        return [self.heading("办理去向"), self.kv_table(items)]

    @staticmethod
    def _due_text(dl: ReceiptDeadline) -> str:
        due = format_date(dl.due) if dl.due is not None else ""
        if due and dl.provisional:
            due = provisional_text(due)
        if dl.note:
            return f"{due}（{dl.note}）" if due else dl.note
        return due or "—"

    def _text_width(self, text: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(text, self.fonts.primary, size))

    def deadlines(self) -> list[Flowable]:
        d = self.data
        if not d.deadlines:
            return []
        out: list[Flowable] = [self.heading("办理时限")]
        if self.spec.wide:
            size = self.spec.body
            pad = 2 * (self.spec.cell_pad + 1.5) + 1
            fw = self.frame_width
            date_w = min(max(self._text_width(self._due_text(x), size) for x in d.deadlines) + pad, fw * 0.34)
            basis_w = min(max(self._text_width(x.basis or "—", size) for x in d.deadlines) + pad, fw * 0.36)
            widths = [fw - date_w - basis_w, date_w, basis_w]
            rows: list[list[Flowable | str]] = [[self.p(h, self.st.label) for h in ("事项", "期限", "依据")]]
            for dl in d.deadlines:
                rows.append([self.p(dl.label), self.p(self._due_text(dl)), self.p(dl.basis or "—")])
            out.append(self._table(rows, widths, header=True))
            return out
        for dl in d.deadlines:
            out.append(self.p(f"{dl.label}：{self._due_text(dl)}"))
            if dl.basis:
                out.append(self.p(f"依据：{dl.basis}", self.st.small))
            out.append(Spacer(1, 1.5))
        return out

    def notice(self) -> list[Flowable]:
        text = self.data.notice.strip()
        if not text:
            return []
        return [_Para(self.m("告知事项：" + text), self.st.notice)]

    def query(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = [self.heading("查询与评价")]
        ask = "查询时请提供本回执上的编号和查询码。"
        lines = [line for line in d.query_hint.splitlines() if line.strip()]
        if lines:
            lines[-1] = lines[-1].rstrip() + ask
        else:
            lines = [ask]
        out.extend(self.p(line) for line in lines)
        return out

    def signature(self) -> list[Flowable]:
        """Signatures on the left; the unit and the date on the right, where the stamp goes."""
        if not self.spec.signature:
            return []
        blank = "＿" * 7
        unit = self.data.registering_unit
        rows: list[list[Flowable | str]] = [
            [self.p(f"登记人（签名）：{blank}", self.st.sign), self.p(f"{unit}（盖章）", self.st.sign_right)],
            [self.p(f"信访人（签名）：{blank}", self.st.sign),
             self.p(format_date(self.data.registered_at.date()), self.st.sign_right)],
        ]
        w = self.frame_width / 2
        table = Table(rows, colWidths=[w, w], style=self.ts([
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ]))
        return [Spacer(1, self.spec.leading * 0.5), table]

    def tail(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = []
        lines: list[str] = []
        if d.printed_at is not None and not d.reprint and not d.correction:
            lines.append(f"打印时间：{format_datetime(d.printed_at)}")
        if d.footer:
            lines.append(d.footer)
        if lines and self.spec.wide:
            out.append(Spacer(1, self.spec.leading * 0.5))
            out.append(self.p("　".join(lines), self.st.small))
        elif lines:
            out.append(Spacer(1, self.spec.leading * 0.6))
            out.extend(self.p(line, self.st.small_center) for line in lines)
        if not self.spec.wide:
            out.append(Spacer(1, 3))
            out.append(HRFlowable(width="100%", thickness=0.5, dash=[2, 2], color=colors.black))
        return out

    def closing(self) -> list[Flowable]:
        """How to query, signature, stamp and footer: kept together so a page break never strands the date."""
        block = [*self.query(), *self.signature(), *self.tail()]
        return [_KeepTogether(block)] if self.spec.wide else block

    def story(self) -> list[Flowable]:
        sep: list[Flowable] = []
        if not self.spec.wide:
            sep = [HRFlowable(width="100%", thickness=0.5, color=colors.black, spaceBefore=2, spaceAfter=1)]
        story: list[Flowable] = [*self.title_block(), self.header(), *sep]
        story += self.registration()
        story += self.persons()
        story += self.request()
        story += self.routing()
        story += self.deadlines()
        story += self.notice()
        story += self.closing()
        return story


# -- page and document -----------------------------------------------------------------------------------------


def measure(story: Sequence[Flowable], width: float) -> float:
    """Height the story takes in a frame of ``width`` without padding (mirrors ``Frame._add``)."""
    total = 0.0
    first = True
    for flowable in story:
        _w, h = flowable.wrap(width, 1e9)
        if not first:
            total += flowable.getSpaceBefore()
        total += h
        total += flowable.getSpaceAfter()
        first = False
    return total


def _render(data: ReceiptData, layout: ReceiptLayout, fonts: FontSet) -> RenderResult:
    spec = _SPECS[layout]
    builder = _Builder(data, layout, fonts)
    story = builder.story()
    frame_w = builder.frame_width
    if spec.height is None:
        content = measure(story, frame_w) + 2.0  # rounding slack so the last line never spills to a page 2
        height = min(content + spec.margin_top + spec.margin_bottom, THERMAL_MAX_HEIGHT)
    else:
        height = spec.height
    page = (spec.width, height)
    frame = Frame(spec.margin_x, spec.margin_bottom, frame_w, height - spec.margin_top - spec.margin_bottom,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    primary = fonts.primary
    case_no = data.case_no

    def on_page(canvas: Canvas, doc: BaseDocTemplate) -> None:
        if spec.height is None:
            return
        canvas.saveState()
        canvas.setFont(primary, spec.small)
        canvas.setFillColor(_LINE)
        text = f"{TITLE}　{case_no}　第 {doc.page} 页"
        canvas.drawRightString(spec.width - spec.margin_x, spec.margin_bottom * 0.5, text)
        canvas.restoreState()

    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=page,
        leftMargin=spec.margin_x,
        rightMargin=spec.margin_x,
        topMargin=spec.margin_top,
        bottomMargin=spec.margin_bottom,
        title=f"{TITLE} {case_no}",
        author="",
        subject="",
        creator="Reception Desk",
        producer="Reception Desk (ReportLab)",
        invariant=1,
        pageCompression=1,
        initialFontName=primary,
        initialFontSize=spec.body,
        lang="zh-CN",
    )
    doc.addPageTemplates([PageTemplate(id="receipt", frames=[frame], onPage=on_page, pagesize=page)])
    doc.build(story)
    pages = int(doc.page)
    seen: list[str] = []
    for ch in builder.missing:
        if ch not in seen:
            seen.append(ch)
    return RenderResult(pdf=buf.getvalue(), pages=pages, page_size=page, missing_chars="".join(seen))


_render_lock = threading.Lock()
"""ReportLab's TrueType subsetting moves a read position inside the shared font object (``TTFontFace.makeSubset``),
so two documents built at once corrupt each other (IndexError or wrong glyphs). Renders take ~30 ms: serialize."""


ZLIB_LEVEL = 1
"""The receipt's streams (the font subsets, most of the file) are deflated at level 1: ~1.5 ms less per receipt
than ReportLab's default level 6, for ~4 % more bytes (~52 KB, well under the 100 KB budget)."""


@contextlib.contextmanager
def _fast_streams() -> Iterator[None]:
    """During one receipt: deflate at ``ZLIB_LEVEL`` and no ASCII85 layer over the deflated page (a 7-bit-safe
    encoding nobody needs in a file that is written in binary; ReportLab's default ``useA85=1``). Both are
    process-wide ReportLab settings: set inside the render lock and put back after."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfdoc

    def encode(text: str | bytes) -> bytes:
        return zlib.compress(text.encode("utf8") if isinstance(text, str) else text, ZLIB_LEVEL)

    a85 = rl_config.useA85
    rl_config.useA85 = 0
    pdfdoc.PDFZCompress.encode = encode  # (an instance attribute: taken out after)
    try:
        yield
    finally:
        del pdfdoc.PDFZCompress.encode
        rl_config.useA85 = a85


def render_receipt_result(data: ReceiptData, layout: ReceiptLayout) -> RenderResult:
    """Render and report: the PDF, its page count and size, and characters that could not be printed.
    Safe to call from several threads (renders are serialized)."""
    started = time.perf_counter()
    fonts = font_set()
    with _render_lock, _fast_streams():
        result = _render(data, layout, fonts)
    log.debug(
        "receipt rendered: layout=%s pages=%d bytes=%d missing_glyphs=%d ms=%.1f",
        layout.value, result.pages, len(result.pdf), len(result.missing_chars),
        (time.perf_counter() - started) * 1000,
    )
    return result


def render_receipt(data: ReceiptData, layout: ReceiptLayout) -> bytes:
    """The receipt as PDF bytes. Raises ReceiptFontError when no CJK font is available."""
    return render_receipt_result(data, layout).pdf
