"""QR code matrices for the receipts: ReportLab's encoder, with its mask choice and its error correction done
fast, cached per payload.

ReportLab's ``qrencoder`` picks the best of the eight mask patterns by scoring each candidate matrix in pure Python
(a third of a receipt's render time). :func:`lost_points` computes the same score on strings and integers, so the
chosen mask, and the matrix, are exactly ReportLab's (``tests/unit/test_receipts.py`` compares them for payloads of
many lengths). Any payload length the encoder accepts works: the version (size) is chosen per payload.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from reportlab.graphics.barcode import qrencoder

Matrix = tuple[tuple[bool, ...], ...]
Runs = tuple[tuple[int, int, int], ...]
"""Dark runs of a matrix: (row, first column, length)."""

_SAME_COLOUR_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = "10111010000"
"""The one finder-like pattern ReportLab's rule 3 looks for (dark-light-dark-dark-dark-light-dark, 4 light)."""


def lost_points(modules: list[list[bool]]) -> int:
    """ReportLab's ``QRUtil.getLostPoint`` of a matrix (rows of booleans), the same number, computed fast."""
    return _lost_points([int("".join("1" if m else "0" for m in row), 2) for row in modules], len(modules))


def _lost_points(bits: list[int], n: int) -> int:
    """The penalty of an ``n`` x ``n`` matrix given as one integer per row (column 0 = the highest bit).

    Rule 1: each run of five or more modules of one colour, in a row or a column, costs its length - 2.
    Rule 2: each 2x2 block of one colour costs 3.
    Rule 3: each finder-like pattern costs 40; ReportLab looks for it left to right in the rows only (its column
    check compares a tuple with a list and never matches) and never at the last possible position of a row.
    Rule 4: 10 per 5 % that the share of dark modules is away from 50 %.
    """
    rows = [format(b, f"0{n}b") for b in bits]
    cols = ["".join(col) for col in zip(*rows, strict=True)]
    score = 0
    for line in itertools.chain(rows, cols):
        for match in _SAME_COLOUR_RUN.finditer(line):
            score += len(match.group()) - 2
    for row in rows:
        score += 40 * row[:-1].count(_FINDER_LIKE)
    full = (1 << n) - 1
    inner = full >> 1
    for upper, lower in itertools.pairwise(bits):
        same_column = ~(upper ^ lower) & full
        same_row = ~(upper ^ (upper >> 1))
        score += 3 * (same_column & (same_column >> 1) & same_row & inner).bit_count()
    dark = sum(b.bit_count() for b in bits)
    score += 10 * (abs(100 * dark // (n * n) - 50) // 5)
    return score


_MASK_ROWS: dict[int, tuple[tuple[int, ...], ...]] = {}
"""Per QR version: for each of the eight mask patterns, one integer per row with the bits the mask flips (data
modules only)."""


class _QRCode(qrencoder.QRCode):  # type: ignore[misc]  # ReportLab is untyped
    def _mask_rows(self) -> tuple[tuple[int, ...], ...]:
        masks = _MASK_ROWS.get(self.version)
        if masks is None:
            n = self.moduleCount
            out = []
            for pattern in range(8):
                mask = qrencoder.QRUtil.getMask(pattern)
                rows = [0] * n
                for col, row in self.dataPosIterator():
                    if mask(row, col):
                        rows[row] |= 1 << (n - 1 - col)
                out.append(tuple(rows))
            masks = _MASK_ROWS[self.version] = tuple(out)
        return masks

    def getBestMaskPattern(self) -> int:  # noqa: N802 (ReportLab's name)
        """ReportLab's choice (the lowest penalty, the first of equals) from one trial layout instead of eight:
        the trial matrices differ only in the data modules, which each mask flips in its own places."""
        self.makeImpl(True, 0)
        n = self.moduleCount
        masks = self._mask_rows()
        unmasked = [int("".join("1" if m else "0" for m in row), 2) ^ m0
                    for row, m0 in zip(self.modules, masks[0], strict=True)]
        best_points = 0
        best = 0
        for pattern in range(8):
            points = _lost_points([u ^ m for u, m in zip(unmasked, masks[pattern], strict=True)], n)
            if pattern == 0 or points < best_points:
                best_points, best = points, pattern
        return best


@lru_cache(maxsize=64)
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    """The Reed-Solomon generator polynomial of ``ec_count`` error-correction codewords (ReportLab's own,
    computed once per size), as the logarithms of its coefficients after the leading 1."""
    poly = qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count).num
    assert poly[0] == 1 and all(poly)
    return tuple(qrencoder.LOG_TABLE[c] for c in poly[1:])


def _ec_codewords(data: list[int], ec_count: int) -> list[int]:
    """The remainder of ``data`` x^ec_count divided by the generator: ReportLab's ``QRPolynomial.mod``, as the
    usual shift-register division (the same numbers: the generator is monic, so its step ratio is the log of the
    leading coefficient)."""
    logs = _generator_logs(ec_count)
    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE
    msg = [*data, *([0] * ec_count)]
    for i in range(len(data)):
        coef = msg[i]
        if coef:
            lc = log[coef]
            for j, g in enumerate(logs, i + 1):
                msg[j] ^= exp[(lc + g) % 255]
    return msg[len(data):]


def create_data(version: int, level: int, data_list: list[object]) -> list[int]:
    """ReportLab's ``QRCode.createData`` (the codewords: data, padding, error correction, interleaved), the same
    list, with the error correction computed by :func:`_ec_codewords` (ReportLab rebuilds the generator
    polynomial and divides by recursion for every block of every code: a quarter of a receipt's QR time)."""
    rs_blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
    buffer = qrencoder.QRBitBuffer()
    for data in data_list:
        data.write(buffer, version)  # type: ignore[attr-defined]
    total = sum(block.dataCount for block in rs_blocks) * 8
    if buffer.getLengthInBits() > total:
        raise ValueError(f"code length overflow. ({buffer.getLengthInBits()} > {total})")
    if buffer.getLengthInBits() + 4 <= total:
        buffer.put(0, 4)
    while buffer.getLengthInBits() % 8 != 0:
        buffer.putBit(False)
    while buffer.getLengthInBits() < total:
        buffer.put(qrencoder.QRCode.PAD0, 8)
        if buffer.getLengthInBits() >= total:
            break
        buffer.put(qrencoder.QRCode.PAD1, 8)
    offset = 0
    dcdata: list[list[int]] = []
    ecdata: list[list[int]] = []
    for block in rs_blocks:
        dc = buffer.buffer[offset:offset + block.dataCount]
        offset += block.dataCount
        dcdata.append(dc)
        ecdata.append(_ec_codewords(dc, block.totalCount - block.dataCount))
    return [d for dd in itertools.chain(itertools.zip_longest(*dcdata), itertools.zip_longest(*ecdata))
            for d in dd if d is not None]


@lru_cache(maxsize=256)
def qr_matrix(payload: str, level: str = "M") -> Matrix:
    """The QR code of ``payload`` (ASCII), without the quiet zone: rows of modules, True = dark."""
    if not payload.isascii():
        raise ValueError("QR payload must be ASCII")
    code = _QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(payload)
    code.version = code.calculate_version()
    code.dataCache = create_data(code.version, code.errorCorrectLevel, code.dataList)
    code.make()
    return tuple(tuple(bool(m) for m in row) for row in code.modules)


@lru_cache(maxsize=256)
def dark_runs(payload: str, level: str = "M") -> Runs:
    """The dark runs of :func:`qr_matrix`, row by row (what the receipt draws, one rectangle each)."""
    out: list[tuple[int, int, int]] = []
    for r, row in enumerate(qr_matrix(payload, level)):
        c = 0
        for dark, run in itertools.groupby(row):
            count = sum(1 for _ in run)
            if dark:
                out.append((r, c, count))
            c += count
    return tuple(out)
