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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, QSettings, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtWidgets import QWidget

from reception.domain.enums import ReceiptLayout
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


def print_preview(parent: QWidget | None, pdf_path: Path, printer_name: str = "") -> str | None:
    """Open the print preview of a receipt; its print button goes through the system print dialog. Returns the
    printer it was printed on (None: closed without printing). ``printer_name`` is chosen first when given."""
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    doc = load_pdf(pdf_path)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if printer_name:
        printer.setPrinterName(printer_name)
    printer.setDocName(pdf_path.stem)
    apply_page(printer, page_size_of(doc, 0))
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setObjectName("printPreview")
    dialog.setWindowTitle(f"打印预览：{pdf_path.stem}")

    def paint(target: QPrinter) -> None:
        try:
            paint_document(target, doc)
        except PrintError as exc:
            log.warning("printing failed: %s", exc.key)

    dialog.paintRequested.connect(paint)
    from ui.geometry import fit_to_screen

    fit_to_screen(dialog, 900, 900, centred=False)
    printed = dialog.exec() == QPrintPreviewDialog.DialogCode.Accepted
    doc.close()
    if printed and printer.outputFormat() == QPrinter.OutputFormat.NativeFormat:
        return printer.printerName()
    return None


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


# --- the desk's printers ----------------------------------------------------------------------------------------------

UI_SETTINGS_FILE = "desk-ui.ini"
"""This desk's local settings (QSettings, INI) in its data directory: window geometry, printers."""


def paper_of(doc: QPdfDocument) -> ReceiptLayout:
    """Which paper a PDF is for, from its first page: 80 mm rolls are narrow, A5 is 148 mm wide (either way
    round); everything else (A4 receipts, notices, reports) prints on A4."""
    points = doc.pagePointSize(0)
    short = min(points.width(), points.height())
    if points.width() < 300:  # 80 mm = 227 pt
        return ReceiptLayout.THERMAL_80
    if abs(short - 420) < 15 and abs(max(points.width(), points.height()) - 595) < 20:
        return ReceiptLayout.A5
    return ReceiptLayout.A4


@dataclass(frozen=True, slots=True)
class PrintChoice:
    printer: str = ""
    """The printer's system name; empty: none remembered (the system default in the dialog)."""
    direct: bool = False
    """直接打印: send to ``printer`` without the preview and print dialog."""


class PrinterSettings:
    """The printer remembered for each paper, in this desk's local settings file (per desk, per user)."""

    def __init__(self, settings_file: Path) -> None:
        self.settings_file = settings_file

    def _settings(self) -> QSettings:
        return QSettings(str(self.settings_file), QSettings.Format.IniFormat)

    def choice(self, paper: ReceiptLayout) -> PrintChoice:
        s = self._settings()
        printer = s.value(f"printing/{paper.value}/printer", "")
        direct = s.value(f"printing/{paper.value}/direct", False)
        return PrintChoice(str(printer or ""), str(direct).lower() in ("true", "1"))

    def remember(self, paper: ReceiptLayout, choice: PrintChoice) -> None:
        s = self._settings()
        s.setValue(f"printing/{paper.value}/printer", choice.printer)
        s.setValue(f"printing/{paper.value}/direct", bool(choice.direct and choice.printer))
        s.sync()


def available_printers() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo

    return list(QPrinterInfo.availablePrinterNames())


class DeskPrinter:
    """The desk's print function (a ``PrintFn``): the printer remembered for the PDF's paper, straight to it when
    直接打印 is set and it is connected, else the print preview (which remembers the printer it printed on).
    ``preview`` always opens the preview (打印预览, on request)."""

    def __init__(self, settings_file: Path, *, notify: Callable[[str], None] | None = None,
                 printers: Callable[[], Sequence[str]] = available_printers) -> None:
        self.settings = PrinterSettings(settings_file)
        self.notify = notify or (lambda _text: None)
        self.printers = printers

    def __call__(self, parent: QWidget | None, pdf_path: Path) -> None:
        doc = load_pdf(pdf_path)
        try:
            paper = paper_of(doc)
            choice = self.settings.choice(paper)
            if choice.direct and choice.printer:
                if choice.printer in self.printers():
                    pages = self.print_direct(doc, choice.printer, pdf_path.stem)
                    self.notify(f"已直接打印到“{choice.printer}”（{paper.label}，{pages}页）。")
                    return
                self.notify(f"打印机“{choice.printer}”未连接，请在预览中选择打印机。")
        finally:
            doc.close()
        self.preview(parent, pdf_path)

    def preview(self, parent: QWidget | None, pdf_path: Path) -> None:
        doc = load_pdf(pdf_path)
        try:
            paper = paper_of(doc)
        finally:
            doc.close()
        choice = self.settings.choice(paper)
        used = self.open_preview(parent, pdf_path, choice.printer if choice.printer in self.printers() else "")
        if used and used != choice.printer:
            self.settings.remember(paper, PrintChoice(used, choice.direct))

    def open_preview(self, parent: QWidget | None, pdf_path: Path, printer_name: str) -> str | None:
        return print_preview(parent, pdf_path, printer_name)

    def open_printer(self, name: str) -> QPrinter:
        from PySide6.QtPrintSupport import QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPrinterName(name)
        return printer

    def print_direct(self, doc: QPdfDocument, name: str, title: str) -> int:
        printer = self.open_printer(name)
        printer.setDocName(title)
        return paint_document(printer, doc)


def preview_of(printer: PrintFn) -> PrintFn:
    """The 打印预览 of a print function (the function itself when it has no separate preview)."""
    preview = getattr(printer, "preview", None)
    return preview if callable(preview) else printer
