"""Text files from Chinese Windows: UTF-8 with or without BOM, GBK/GB18030, and binary refused in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from reception.textio import UnreadableText, decode_text, read_text_file

SAMPLE = "日期,是否上班,名称\n2027-01-01,否,元旦\n2027-02-06,否,春节（除夕）\n"


RARE = "姓名\n䶮\n"  # a rare name character that GBK lacks and GB18030 holds


@pytest.mark.parametrize(("data", "text", "encoding"), [
    (SAMPLE.encode("utf-8"), SAMPLE, "utf-8"),
    (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), SAMPLE, "utf-8-sig"),
    (SAMPLE.encode("gbk"), SAMPLE, "gb18030"),
    (RARE.encode("gb18030"), RARE, "gb18030"),
])
def test_detected_and_decoded(data: bytes, text: str, encoding: str) -> None:
    decoded = decode_text(data)
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_binary_or_unknown_is_refused_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "节假日.xlsx"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(UnreadableText, match="无法识别编码") as info:
        read_text_file(path)
    assert "节假日.xlsx" in str(info.value)
    with pytest.raises(UnreadableText):
        decode_text(b"\xef\xbb\xbf\xff\xfe")


def test_file_read_as_bytes(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(SAMPLE.encode("gbk"))
    assert read_text_file(path).text == SAMPLE
