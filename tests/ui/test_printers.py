"""The receipt printer remembered per desk and per paper: 直接打印 when set, the preview otherwise and on request."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QDialog, QPushButton
from pytestqt.qtbot import QtBot

from reception.domain.enums import ReceiptLayout
from reception.receipts import render_receipt
from tests.ui.conftest import PrintRecorder
from tests.ui.helpers import by_name, choose, click, fill_valid
from tests.unit import receipt_fixtures as fx
from ui.main_window import UI_SETTINGS_FILE, MainWindow
from ui.printing import DeskPrinter, PrintChoice, PrinterSettings, load_pdf, paper_of

THERMAL = "收发室热敏打印机"
LASER = "二楼激光打印机"


class PdfDeskPrinter(DeskPrinter):
    """The real DeskPrinter, with its printers writing PDF files (no printer driver on a test machine), and
    a preview that records what it was asked and closes."""

    def __init__(self, settings_file: Path, out: Path, *, printed_on: str | None = None) -> None:
        self.messages: list[str] = []
        super().__init__(settings_file, notify=self.messages.append, printers=lambda: [THERMAL, LASER])
        self.out = out
        self.direct_files: list[tuple[str, Path]] = []
        self.previews: list[tuple[Path, str]] = []
        self.printed_on = printed_on

    def open_printer(self, name: str) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        target = self.out / f"direct-{len(self.direct_files)}.pdf"
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        printer.setResolution(150)
        self.direct_files.append((name, target))
        return printer

    def open_preview(self, parent: object, pdf_path: Path, printer_name: str) -> str | None:
        self.previews.append((pdf_path, printer_name))
        return self.printed_on


@pytest.fixture
def receipts(tmp_path: Path) -> dict[ReceiptLayout, Path]:
    out = {}
    for layout in ReceiptLayout:
        path = tmp_path / f"receipt-{layout.value}.pdf"
        path.write_bytes(render_receipt(fx.basic(), layout))
        out[layout] = path
    return out


def test_the_paper_of_a_pdf(qtbot: QtBot, receipts: dict[ReceiptLayout, Path]) -> None:
    for layout, path in receipts.items():
        doc = load_pdf(path)
        assert paper_of(doc) is layout
        doc.close()


def test_choices_are_remembered_per_paper(tmp_path: Path) -> None:
    ini = tmp_path / UI_SETTINGS_FILE
    PrinterSettings(ini).remember(ReceiptLayout.THERMAL_80, PrintChoice(THERMAL, direct=True))
    PrinterSettings(ini).remember(ReceiptLayout.A4, PrintChoice(LASER, direct=False))
    again = PrinterSettings(ini)
    assert again.choice(ReceiptLayout.THERMAL_80) == PrintChoice(THERMAL, True)
    assert again.choice(ReceiptLayout.A4) == PrintChoice(LASER, False)
    assert again.choice(ReceiptLayout.A5) == PrintChoice("", False)
    PrinterSettings(ini).remember(ReceiptLayout.A5, PrintChoice("", direct=True))  # direct needs a printer
    assert again.choice(ReceiptLayout.A5) == PrintChoice("", False)


def test_direct_printing_sends_the_receipt_without_a_dialog(qtbot: QtBot, tmp_path: Path,
                                                            receipts: dict[ReceiptLayout, Path]) -> None:
    ini = tmp_path / UI_SETTINGS_FILE
    PrinterSettings(ini).remember(ReceiptLayout.THERMAL_80, PrintChoice(THERMAL, direct=True))
    desk = PdfDeskPrinter(ini, tmp_path)
    desk(None, receipts[ReceiptLayout.THERMAL_80])
    assert desk.previews == []  # no preview, no dialog
    assert [name for name, _ in desk.direct_files] == [THERMAL]
    printed = PdfReader(desk.direct_files[0][1])
    original = PdfReader(receipts[ReceiptLayout.THERMAL_80])
    assert len(printed.pages) == len(original.pages)
    assert abs(float(printed.pages[0].mediabox.width) - float(original.pages[0].mediabox.width)) < 2
    assert desk.messages == [f"已直接打印到“{THERMAL}”（80毫米热敏纸，{len(original.pages)}页）。"]

    # an A4 receipt on the same desk: no direct choice for A4, so the preview
    desk(None, receipts[ReceiptLayout.A4])
    assert desk.previews == [(receipts[ReceiptLayout.A4], "")]
    assert len(desk.direct_files) == 1
    # the preview on request, even with 直接打印 set
    desk.preview(None, receipts[ReceiptLayout.THERMAL_80])
    assert desk.previews[-1] == (receipts[ReceiptLayout.THERMAL_80], THERMAL)


def test_a_disconnected_printer_falls_back_to_the_preview(qtbot: QtBot, tmp_path: Path,
                                                          receipts: dict[ReceiptLayout, Path]) -> None:
    ini = tmp_path / UI_SETTINGS_FILE
    PrinterSettings(ini).remember(ReceiptLayout.A4, PrintChoice("已拆除的打印机", direct=True))
    desk = PdfDeskPrinter(ini, tmp_path)
    desk(None, receipts[ReceiptLayout.A4])
    assert desk.direct_files == [] and desk.previews == [(receipts[ReceiptLayout.A4], "")]
    assert desk.messages == ["打印机“已拆除的打印机”未连接，请在预览中选择打印机。"]


def test_the_preview_remembers_the_printer_it_printed_on(qtbot: QtBot, tmp_path: Path,
                                                         receipts: dict[ReceiptLayout, Path]) -> None:
    ini = tmp_path / UI_SETTINGS_FILE
    desk = PdfDeskPrinter(ini, tmp_path, printed_on=LASER)
    desk(None, receipts[ReceiptLayout.A5])
    assert PrinterSettings(ini).choice(ReceiptLayout.A5) == PrintChoice(LASER, False)
    desk(None, receipts[ReceiptLayout.A5])
    assert desk.previews[-1] == (receipts[ReceiptLayout.A5], LASER)  # chosen in the dialog next time


def test_the_real_preview_dialog_opens_and_closes(qtbot: QtBot, receipts: dict[ReceiptLayout, Path],
                                                  tmp_path: Path) -> None:
    desk = DeskPrinter(tmp_path / UI_SETTINGS_FILE, printers=lambda: [])
    seen: list[str] = []

    def close_preview() -> None:
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "printPreview" and isinstance(widget, QDialog):
                seen.append(widget.windowTitle())
                widget.reject()

    QTimer.singleShot(200, close_preview)
    desk(None, receipts[ReceiptLayout.A4])
    assert seen == ["打印预览：receipt-a4"]
    assert PrinterSettings(tmp_path / UI_SETTINGS_FILE).choice(ReceiptLayout.A4) == PrintChoice()


def test_settings_dialog_sets_printer_and_direct_printing(qtbot: QtBot, window: MainWindow,
                                                          data_dir: Path) -> None:
    from ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.ctx, window.reference, window.tasks, window, printers=lambda: [THERMAL, LASER])
    qtbot.addWidget(dialog)
    dialog.show()
    combo = by_name(dialog, QComboBox, "80毫米热敏纸打印机")
    direct = by_name(dialog, QCheckBox, "80毫米热敏纸直接打印")
    assert combo.currentText() == "系统默认打印机（每次预览）" and not direct.isEnabled()
    choose(combo, THERMAL)
    assert direct.isEnabled()
    direct.setChecked(True)
    choose(by_name(dialog, QComboBox, "A4打印机"), LASER)
    click(qtbot, dialog, "保存")
    settings = PrinterSettings(data_dir / UI_SETTINGS_FILE)
    assert settings.choice(ReceiptLayout.THERMAL_80) == PrintChoice(THERMAL, True)
    assert settings.choice(ReceiptLayout.A4) == PrintChoice(LASER, False)
    # shown again: what was saved, and a remembered printer that is gone is marked
    again = SettingsDialog(window.ctx, window.reference, window.tasks, window, printers=lambda: [LASER])
    qtbot.addWidget(again)
    assert by_name(again, QComboBox, "80毫米热敏纸打印机").currentText() == f"{THERMAL}（未连接）"
    assert by_name(again, QCheckBox, "80毫米热敏纸直接打印").isChecked()


def test_intake_offers_the_preview_on_request(qtbot: QtBot, window: MainWindow, printed: PrintRecorder) -> None:
    page = window.intake_page
    fill_valid(qtbot, page.form)
    page.save(print_receipt=False)
    assert page.result is not None and printed.calls == []
    click(qtbot, page.saved_panel, "打印预览")  # through the main window's preview of its print function
    assert [path for path, _ in printed.calls] == [Path(page.result.receipt_path)]
    assert by_name(page.saved_panel, QPushButton, "打印回执").isEnabled()
