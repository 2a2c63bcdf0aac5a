"""Printing archived receipt PDFs: QtPdf renders each page, QPainter paints it onto a QPrinter.

Facts this follows (conventions.md, "Receipts and printing"):
- paint a white background first: transparent areas come out black on some thermal drivers;
- render at the printer's resolution, capped (~300 dpi is plenty for text and a QR code, and keeps memory sane);
- set the page size from the PDF page, and again just before painting: the Windows print dialog may have reset it;
- very tall pages (80 mm thermal rolls) are rendered in horizontal bands so memory stays bounded.

QtPdf and QtPrintSupport are imported inside the functions: they are not needed to show the main window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtWidgets import QWidget

from reception.domain.errors import ReceptionError

if TYPE_CHECKING:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrinter

log = logging.getLogger(__name__)

MAX_DPI = 300
BAND_PIXELS = 2048
"""Render tall pages in bands of at most this many pixel rows."""

PrintFn = Callable[[QWidget | None, Path], None]
"""Shows a receipt PDF for printing. The default opens a print preview; tests inject a recorder."""


class PrintError(ReceptionError):
    key = "print_failed"


def load_pdf(path: Path) -> QPdfDocument:
    from PySide6.QtPdf import QPdfDocument

    doc = QPdfDocument()
    error = doc.load(str(path))
    if error != QPdfDocument.Error.None_ or doc.pageCount() < 1:
        raise PrintError("无法打开回执文件，请在案件列表中补打回执。", key="pdf_unreadable")
    return doc


def page_size_of(doc: QPdfDocument, page: int) -> QPageSize:
    points = doc.pagePointSize(page)
    return QPageSize(QSizeF(points.width(), points.height()), QPageSize.Unit.Point, "",
                     QPageSize.SizeMatchPolicy.FuzzyMatch)


def apply_page(printer: QPrinter, size: QPageSize) -> None:
    """The receipt's own paper, full page, no margins (the PDF already has its margins)."""
    orientation = (QPageLayout.Orientation.Landscape if size.sizePoints().width() > size.sizePoints().height()
                   else QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    printer.setPageLayout(QPageLayout(size, orientation, printer.pageLayout().margins(), QPageLayout.Unit.Point))
    printer.setPageOrientation(orientation)


def render_page(doc: QPdfDocument, page: int, dpi: float, band: QRect | None = None) -> QImage:
    """A page (or one horizontal band of it) as an opaque image on white, at ``dpi``."""
    from PySide6.QtPdf import QPdfDocumentRenderOptions

    points = doc.pagePointSize(page)
    full = QSize(max(1, round(points.width() * dpi / 72)), max(1, round(points.height() * dpi / 72)))
    options = QPdfDocumentRenderOptions()
    size = full
    if band is not None:
        # QtPdf builds its clip matrix from QRect.right()/bottom() (one pixel short), scaling a band by (w-1)/w
        # and (h-1)/h; enlarge the scaled page by the inverse so every band matches the whole-page rendering.
        w, h = max(2, band.width()), max(2, band.height())
        options.setScaledSize(QSize(round(full.width() * w / (w - 1)), round(full.height() * h / (h - 1))))
        options.setScaledClipRect(band)
        size = band.size()
    rendered = doc.render(page, size, options)
    # QtPdf leaves the page transparent where the PDF paints nothing: flatten onto white (thermal drivers print
    # transparent pixels black).
    opaque = QImage(rendered.size(), QImage.Format.Format_RGB32)
    opaque.fill(QColor(Qt.GlobalColor.white))
    painter = QPainter(opaque)
    try:
        painter.drawImage(0, 0, rendered)
    finally:
        painter.end()
    return opaque


def paint_document(printer: QPrinter, doc: QPdfDocument, *, max_dpi: int = MAX_DPI) -> int:
    """Paint every page of ``doc`` onto ``printer``; returns the number of pages painted."""
    pages = doc.pageCount()
    apply_page(printer, page_size_of(doc, 0))
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("打印机无法开始打印，请检查打印机是否就绪。", key="printer_not_ready")
    try:
        for page in range(pages):
            if page:
                apply_page(printer, page_size_of(doc, page))
                printer.newPage()
            _paint_page(painter, printer, doc, page, max_dpi)
    finally:
        painter.end()
    return pages


def _paint_page(painter: QPainter, printer: QPrinter, doc: QPdfDocument, page: int, max_dpi: int) -> None:
    from PySide6.QtPrintSupport import QPrinter

    target = QRectF(printer.paperRect(QPrinter.Unit.DevicePixel))
    target.moveTo(0, 0)
    painter.fillRect(target, Qt.GlobalColor.white)
    points = doc.pagePointSize(page)
    if points.width() <= 0 or points.height() <= 0:
        return
    # fit the page into the paper (they match unless the driver forced another paper), keeping proportions
    scale = min(target.width() / points.width(), target.height() / points.height())
    width, height = points.width() * scale, points.height() * scale
    left = target.left() + (target.width() - width) / 2
    dpi = float(min(printer.resolution(), max_dpi))
    full_height = max(1, round(points.height() * dpi / 72))
    full_width = max(1, round(points.width() * dpi / 72))
    if full_height <= BAND_PIXELS:
        image = render_page(doc, page, dpi)
        painter.drawImage(QRectF(left, target.top(), width, height), image)
        return
    for top in range(0, full_height, BAND_PIXELS):
        rows = min(BAND_PIXELS, full_height - top)
        image = render_page(doc, page, dpi, QRect(0, top, full_width, rows))
        y = target.top() + height * top / full_height
        painter.drawImage(QRectF(left, y, width, height * rows / full_height), image)


def print_preview(parent: QWidget | None, pdf_path: Path) -> None:
    """Open the print preview of a receipt; its print button goes through the system print dialog."""
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    doc = load_pdf(pdf_path)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(pdf_path.stem)
    apply_page(printer, page_size_of(doc, 0))
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(f"打印预览：{pdf_path.stem}")

    def paint(target: QPrinter) -> None:
        try:
            paint_document(target, doc)
        except PrintError as exc:
            log.warning("printing failed: %s", exc.key)

    dialog.paintRequested.connect(paint)
    dialog.resize(900, 900)
    dialog.exec()
    doc.close()


def print_to_pdf(pdf_path: Path, out_path: Path, *, max_dpi: int = MAX_DPI) -> int:
    """Paint a receipt through the same QPrinter path into a PDF file (for tests and diagnostics)."""
    from PySide6.QtPrintSupport import QPrinter

    doc = load_pdf(pdf_path)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out_path))
    printer.setResolution(max_dpi)
    try:
        return paint_document(printer, doc, max_dpi=max_dpi)
    finally:
        doc.close()
