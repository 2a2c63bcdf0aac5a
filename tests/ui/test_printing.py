"""Printing receipts through QtPdf and QPrinter: white background, page sizes kept, tall pages in bands."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from reception.domain.enums import ReceiptLayout
from reception.receipts import render_receipt
from tests.unit import receipt_fixtures as fx
from ui.printing import PrintError, load_pdf, print_to_pdf, render_page


@pytest.fixture(params=list(ReceiptLayout), ids=lambda layout: layout.value)
def receipt(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"receipt-{request.param.value}.pdf"
    path.write_bytes(render_receipt(fx.basic(), request.param))
    return path


def _points(path: Path) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(path).pages]


def test_printed_pages_keep_the_receipt_paper(qtbot: QtBot, receipt: Path, tmp_path: Path) -> None:
    out = tmp_path / "printed.pdf"
    pages = print_to_pdf(receipt, out, max_dpi=150)
    original = _points(receipt)
    printed = _points(out)
    assert pages == len(original) == len(printed)
    for (w0, h0), (w1, h1) in zip(original, printed, strict=True):
        assert abs(w0 - w1) < 2 and abs(h0 - h1) < 2


def test_rendered_page_is_opaque_white_behind_the_text(qtbot: QtBot, receipt: Path) -> None:
    doc = load_pdf(receipt)
    image = render_page(doc, 0, 72)
    assert image.format() == QImage.Format.Format_RGB32  # no alpha channel for a thermal driver to turn black
    assert image.pixelColor(1, 1) == QColor("white")
    dark = sum(
        1 for y in range(0, image.height(), 4) for x in range(0, image.width(), 4)
        if image.pixelColor(x, y).lightness() < 128
    )
    assert dark > 50  # there is text on it
    doc.close()


def test_band_rendering_matches_the_whole_page(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "thermal.pdf"
    path.write_bytes(render_receipt(fx.long_request(), ReceiptLayout.THERMAL_80))
    doc = load_pdf(path)
    whole = render_page(doc, 0, 100)
    band_rect = QRect(0, 200, whole.width(), 300)
    band = render_page(doc, 0, 100, band_rect)
    assert band.size() == band_rect.size()
    expected = whole.copy(band_rect)
    differing = sum(
        1 for y in range(0, band.height(), 3) for x in range(0, band.width(), 3)
        if abs(band.pixelColor(x, y).lightness() - expected.pixelColor(x, y).lightness()) > 40
    )
    assert differing < 20
    doc.close()


def test_unreadable_file_is_a_reception_error(qtbot: QtBot, tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(PrintError) as info:
        load_pdf(bad)
    assert "补打" in info.value.message
