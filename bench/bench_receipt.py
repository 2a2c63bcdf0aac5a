"""Benchmark the receipt renderer: N receipts per layout, median / p95 time and PDF size, against a bare ReportLab
page that draws the same text with canvas.drawString in the same font (no layout, no QR).

    .venv/bin/python bench/bench_receipt.py [-n 100]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from reception.domain.enums import ReceiptLayout  # noqa: E402
from reception.receipts import (  # noqa: E402
    ReceiptData,
    check_fonts,
    font_set,
    render_receipt,
    render_receipt_result,
)
from reception.receipts.render import THERMAL_WIDTH, format_date, format_datetime  # noqa: E402
from tests.unit import receipt_fixtures as fx  # noqa: E402


def receipt_lines(d: ReceiptData) -> list[str]:
    """The receipt's text, one string per field (what the bare page draws)."""
    lines = ["登记回执", d.registering_unit, f"编号 {d.case_no}", f"查询码 {d.query_code}",
             f"登记时间 {format_datetime(d.registered_at)}", f"接待窗口 {d.desk_name}", f"登记人 {d.officer_name}",
             f"信访形式 {d.channel_label}", f"内容分类 {d.content_class_label}", f"问题类别 {d.category_label}",
             f"问题属地 {d.locality_label}"]
    for p in d.persons:
        lines.append(f"{p.name} {p.id_type_label} {p.id_masked} {p.phone_masked}")
    text = d.request_summary
    lines.extend(text[i:i + 40] for i in range(0, len(text), 40))
    lines.append(f"处理方式 {d.routing_label} 去向 {d.routing_unit}")
    for dl in d.deadlines:
        lines.append(f"{dl.label} {format_date(dl.due) if dl.due else dl.note} {dl.basis}")
    hint = d.query_hint
    lines.extend(hint[i:i + 40] for i in range(0, len(hint), 40))
    lines.append(d.footer)
    return lines


def bare_page(d: ReceiptData, layout: ReceiptLayout) -> bytes:
    font = font_set().primary
    lines = receipt_lines(d)
    width = THERMAL_WIDTH if layout is ReceiptLayout.THERMAL_80 else 595.28
    leading = 11.5
    height = max(842.0, leading * (len(lines) + 4))
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(width, height), invariant=1, initialFontName=font)
    canvas.setFont(font, 8.5)
    y = height - 20
    for line in lines:
        canvas.drawString(10, y, line)
        y -= leading
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def timed(fn: Callable[[], bytes], n: int) -> tuple[float, float, int]:
    times: list[float] = []
    size = 0
    for _ in range(n):
        t0 = time.perf_counter()
        size = len(fn())
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100, help="receipts per layout and fixture")
    args = parser.parse_args()

    t0 = time.perf_counter()
    report = check_fonts()
    fonts_ms = (time.perf_counter() - t0) * 1000
    assert report.primary is not None
    print(f"fonts: primary {report.primary.family} ({'shipped' if report.primary.shipped else 'system'}), "
          f"fallbacks {[f.family for f in report.fallbacks]}, uncovered probe chars {len(report.uncovered)}; "
          f"check_fonts() {fonts_ms:.0f} ms (cold, loads all)")
    t0 = time.perf_counter()
    render_receipt(fx.basic(), ReceiptLayout.A4)
    print(f"first receipt after font load: {(time.perf_counter() - t0) * 1000:.0f} ms")
    print()
    print(f"{'receipt':<14}{'layout':<11}{'pages':>6}{'median ms':>11}{'p95 ms':>9}{'PDF KB':>9}"
          f"{'bare median':>13}{'bare KB':>9}")
    for name in ("basic", "collective", "long_request"):
        data = fx.ALL[name]()
        for layout in ReceiptLayout:
            render_receipt(data, layout)  # warm
            med, p95, size = timed(lambda d=data, lay=layout: render_receipt(d, lay), args.n)
            bmed, _bp95, bsize = timed(lambda d=data, lay=layout: bare_page(d, lay), args.n)
            pages = render_receipt_result(data, layout).pages
            print(f"{name:<14}{layout.value:<11}{pages:>6}{med:>11.1f}{p95:>9.1f}{size / 1024:>9.1f}"
                  f"{bmed:>13.1f}{bsize / 1024:>9.1f}")


if __name__ == "__main__":
    main()
