"""Reading the text files people bring to the desk: CSV and JSON saved by Excel or Notepad on Chinese Windows.

Excel on a Chinese Windows saves "CSV" in the ANSI code page, GBK (936); Notepad and newer Excel save UTF-8, with or
without a byte-order mark. Every import goes through :func:`decode_text`, so none ends in a ``UnicodeDecodeError``:
UTF-8 (BOM or not) is tried first, strictly, because GBK would also "decode" most UTF-8 bytes into nonsense; then
GB18030, the superset of GBK that also holds the rare characters of names. A file that is neither raises
:class:`UnreadableText` with a Chinese message for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DecodedText", "UnreadableText", "decode_text", "read_text_file"]


class UnreadableText(ValueError):
    """The bytes are neither UTF-8 nor GB18030 text (a binary file, or another encoding)."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        where = f"“{name}”" if name else "文件"
        super().__init__(f"{where}无法识别编码：请另存为 UTF-8 或 GBK（ANSI）编码的文本文件后再导入")


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    """``utf-8-sig``, ``utf-8`` or ``gb18030``: what the file turned out to be (shown in import reports)."""


def decode_text(data: bytes, *, name: str = "") -> DecodedText:
    """The text of ``data``, detected as UTF-8 (with or without BOM) or GBK/GB18030; a NUL byte means binary."""
    if b"\x00" in data:
        raise UnreadableText(name)
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return DecodedText(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnreadableText(name) from exc
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(data.decode("gb18030"), "gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableText(name) from exc


def read_text_file(path: Path) -> DecodedText:
    """Read and decode a whole file (see :func:`decode_text`); ``OSError`` passes through for the caller to word."""
    return decode_text(Path(path).read_bytes(), name=Path(path).name)
