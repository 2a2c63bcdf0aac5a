"""packaging/icu_data.py: the smaller ICU data library of the Linux build (build.spec) — which data items stay, the
common-data container read and written back, and (where PySide6's Qt brings its own ICU, i.e. on Linux) that the
library it links still serves what Qt asks of ICU: Chinese collation, the Chinese converters, the calendar."""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from tests import packaging_scripts


def _icu_data() -> types.ModuleType:
    return packaging_scripts.load("icu_data")


def test_which_items_stay() -> None:
    icu = _icu_data()
    kept = ["icudt73l/coll/zh.res", "icudt73l/coll/zh_Hans_CN.res", "icudt73l/coll/root.res", "icudt73l/coll/en.res",
            "icudt73l/coll/ucadata.icu", "icudt73l/coll/res_index.res", "icudt73l/zh_Hans_CN.res", "icudt73l/en.res",
            "icudt73l/root.res", "icudt73l/pool.res", "icudt73l/res_index.res", "icudt73l/supplementalData.res",
            "icudt73l/likelySubtags.res", "icudt73l/zoneinfo64.res", "icudt73l/cnvalias.icu", "icudt73l/nfkc.nrm",
            "icudt73l/gb18030.cnv", "icudt73l/windows-936-2000.cnv", "icudt73l/ibm-1373_P100-2002.cnv",
            "icudt73l/ibm-5348_P100-1997.cnv"]
    dropped = ["icudt73l/coll/ja.res", "icudt73l/coll/fr_CA.res", "icudt73l/brkitr/cjdict.dict",
               "icudt73l/translit/root.res", "icudt73l/zone/zh.res", "icudt73l/curr/zh.res", "icudt73l/fr.res",
               "icudt73l/ja_JP.res", "icudt73l/ibm-37_P100-1995.cnv", "icudt73l/euc-jp-2007.cnv",
               "icudt73l/rfc3491.spp", "icudt73l/unames.icu"]
    assert [n for n in kept if not icu.keep_item(n)] == []
    assert [n for n in dropped if icu.keep_item(n)] == []


def _header() -> bytes:
    # MappedData (headerSize, magic) + UDataInfo (size 20, little-endian, ASCII, UChar 2, "CmnD" 1.0), padded to 32
    info = struct.pack("<HBBBBBB4s4s4s", 20, 0, 0, 0, 2, 0, 0, b"CmnD", bytes([1, 0, 0, 0]), bytes(4))
    return (struct.pack("<H", 32) + b"\xda\x27" + info).ljust(32, b"\0")


def test_common_data_round_trip() -> None:
    icu = _icu_data()
    items = [("icudt73l/a.res", b"A" * 5), ("icudt73l/coll/b.res", b"B" * 17), ("icudt73l/z.cnv", b"Z" * 32)]
    blob = icu.write_items(_header(), items)
    header, back = icu.read_items(blob)
    assert header == _header()
    # the items come back in their order, each padded to 16 bytes (ICU maps them in place)
    assert [(name, data[:len(orig)]) for (name, data), (_n, orig) in zip(back, items, strict=True)] == items
    count = struct.unpack_from("<I", blob, 32)[0]
    offsets = [struct.unpack_from("<II", blob, 32 + 4 + 8 * i)[1] for i in range(count)]
    assert count == 3 and all(offset % 16 == 0 for offset in offsets)
    with pytest.raises(ValueError, match="CmnD"):
        icu.read_items(b"\x20\x00\x00\x00" + bytes(60))


def _qt_icu_data() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    found = sorted((Path(spec.origin).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


CHECK = textwrap.dedent("""
    import ctypes, functools, sys
    folder, v = sys.argv[1], sys.argv[2]
    uc = ctypes.CDLL(folder + "/libicuuc.so." + v)
    i18n = ctypes.CDLL(folder + "/libicui18n.so." + v)
    def f(lib, name, restype=ctypes.c_int):
        fn = getattr(lib, name + "_" + v)
        fn.restype = restype
        return fn
    status = ctypes.c_int(0)
    collator = f(i18n, "ucol_open", ctypes.c_void_p)(b"zh_CN", ctypes.byref(status))
    strcoll = f(i18n, "ucol_strcoll")
    strcoll.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    def utf16(s):
        return s.encode("utf-16-le")
    # ucol_strcoll takes UChar* (UTF-16) and lengths in UChars
    key = functools.cmp_to_key(lambda a, b: strcoll(collator, utf16(a), len(a), utf16(b), len(b)))
    print(" ".join(sorted(["上海", "北京", "中国", "阿", "张三", "李四"], key=key)))
    for name in ("GB18030", "GBK", "GB2312", "Big5", "Big5-HKSCS", "ISO-2022-CN", "windows-1252", "Shift_JIS"):
        status.value = 0
        converter = f(uc, "ucnv_open", ctypes.c_void_p)(name.encode(), ctypes.byref(status))
        print(name, "ok" if converter and status.value <= 0 else "missing")
    status.value = 0
    calendar = f(i18n, "ucal_open", ctypes.c_void_p)(None, 0, b"zh_CN", 0, ctypes.byref(status))
    print("calendar", "ok" if calendar and status.value <= 0 else "missing")
""")


@pytest.mark.skipif(_qt_icu_data() is None, reason="PySide6's Qt brings no ICU of its own here (Windows, macOS)")
@pytest.mark.skipif(not (shutil.which("as") and shutil.which("ld") and shutil.which("objdump")),
                    reason="binutils (as, ld, objdump) missing")
def test_the_smaller_library_serves_what_qt_asks(tmp_path: Path) -> None:
    icu = _icu_data()
    original = _qt_icu_data()
    assert original is not None
    version = original.name.rsplit(".", 1)[1]
    folder = tmp_path / "icu"
    kept, total = icu.shrink_library(original, folder / original.name)
    assert 0 < kept < total / 10
    small = (folder / original.name).stat().st_size
    assert small < original.stat().st_size / 4
    for lib in ("libicuuc", "libicui18n"):  # (their RUNPATH, $ORIGIN, finds the smaller data library beside them)
        shutil.copyfile(original.with_name(f"{lib}.so.{version}"), folder / f"{lib}.so.{version}")
    out = subprocess.run([sys.executable, "-c", CHECK, str(folder), version], capture_output=True, text=True,
                         encoding="utf-8", check=True).stdout.splitlines()
    assert out[0] == "阿 北京 李四 上海 张三 中国"  # pinyin order: the Chinese collation is there
    assert out[1:] == ["GB18030 ok", "GBK ok", "GB2312 ok", "Big5 ok", "Big5-HKSCS ok", "ISO-2022-CN ok",
                       "windows-1252 ok", "Shift_JIS missing", "calendar ok"]
