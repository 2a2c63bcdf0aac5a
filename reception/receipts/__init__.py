"""登记回执 (registration receipt): data, fonts and the PDF renderer."""

from reception.receipts.data import ReceiptData, ReceiptDeadline, ReceiptPerson
from reception.receipts.fonts import FontReport, ReceiptFontError, check_fonts, font_set
from reception.receipts.render import RenderResult, qr_payload, render_receipt, render_receipt_result

__all__ = [
    "FontReport",
    "ReceiptData",
    "ReceiptDeadline",
    "ReceiptFontError",
    "ReceiptPerson",
    "RenderResult",
    "check_fonts",
    "font_set",
    "qr_payload",
    "render_receipt",
    "render_receipt_result",
]
