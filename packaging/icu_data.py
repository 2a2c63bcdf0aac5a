"""A smaller ICU data library for the Linux build (build.spec): PySide6's Qt for Linux brings its own ICU, whose data
library (libicudata.so.73, 30.6 MiB) holds the data of every locale and about 200 legacy converters. Qt reaches ICU
through three of its services only (libQt6Core's imports): collation (``ucol_*``: QCollator,
QString::localeAwareCompare), the converters (``ucnv_*``: QStringConverter/QStringDecoder for encodings Qt does not
implement itself) and the calendar (``ucal_open``). The desk's language is Simplified Chinese, so this keeps

- the collation of the root, Chinese and English locales and the collation tables (``coll/ucadata.icu``);
- the root, Chinese and English locale data of the main tree and every item that is not a locale's (the supplemental
  data, likely subtags, time zones, plural rules, normalization, converter aliases...);
- the converters of the Chinese encodings (GB18030, GBK, GB 2312/EUC-CN, Big5, Big5-HKSCS, and the CNS 11643 and
  ISO-IR-165 tables ISO-2022-CN reads) and the Windows code pages 1250-1258 (windows-1252...); UTF-8/16/32, ASCII,
  Latin-1, ISO-2022 and the other algorithmic converters are code in libicuuc and need no data (EUC-TW's 0.5 MiB table
  goes);

and leaves out the trees Qt never opens (break iterators and their dictionaries, transliteration, spelled-out numbers,
units, currency, language, region and time zone display names) and the other locales' data. ICU falls back along a
locale's parents to the root for whatever is missing (an Arabic collator is then the root one), and a converter name
whose table is gone fails to open (QStringConverter::isValid() is false), as an unknown name does.

The data library is ICU's common data format (a header, a table of contents of sorted item names, the items) inside an
ELF shared object that exports it as one symbol (``icudt73_dat``); :func:`shrink_library` reads it, keeps the items
:func:`keep_item` names, and links a new library with binutils (``as``, ``ld``: PyInstaller needs binutils on Linux
anyway). Windows builds are untouched: PySide6's Windows wheels hold no ICU (Qt uses the system's icu.dll).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

# the tree items of these locales are kept (with their scripts and regions: zh_Hans_CN, en_US_POSIX...)
KEPT_LOCALES = ("root", "zh", "en")
# trees of the data that Qt's use of ICU (collation, converters, the calendar) never opens
DROPPED_TREES = frozenset({"brkitr", "translit", "rbnf", "unit", "curr", "lang", "region", "zone"})
# converter tables kept (file name stems); the rest of the ~190 legacy tables go
KEPT_CONVERTERS = re.compile(
    r"gb18030|windows-936-2000|ibm-1386_|ibm-1383_|ibm-5478_|iso-ir-165|windows-950-2000|ibm-950_|ibm-1373_"
    r"|ibm-1375_|cns-11643-1992|ibm-534[6-9]_|ibm-535[0-4]_"
)
_LOCALE_ITEM = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)*\.res|root\.res")
_MAGIC = b"\xda\x27"


def keep_item(name: str) -> bool:
    """Whether the data item ``name`` (as in the table of contents: ``icudt73l/coll/zh.res``) stays."""
    parts = name.split("/")[1:] if "/" in name else [name]
    if len(parts) > 1:
        tree, leaf = parts[0], parts[-1]
        if tree in DROPPED_TREES:
            return False
        if tree == "coll":
            return not _LOCALE_ITEM.fullmatch(leaf) or _kept_locale(leaf)
        return True  # (no other tree in ICU 73's data)
    leaf = parts[0]
    if leaf.endswith(".cnv"):
        return bool(KEPT_CONVERTERS.match(leaf))
    if leaf.endswith(".spp") or leaf.endswith(".cfu") or leaf == "unames.icu":
        return False  # stringprep (IDNA 2003), spoof checks and character names: not reached through Qt
    if _LOCALE_ITEM.fullmatch(leaf):
        return _kept_locale(leaf)
    return True


def _kept_locale(leaf: str) -> bool:
    locale = leaf[: -len(".res")]
    # (res_index, the tree's list of its locales, looks like a locale's name to the pattern)
    return locale == "res_index" or locale.split("_")[0] in KEPT_LOCALES


def read_items(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (name, data) items of ICU common data (little-endian, the "CmnD" format)."""
    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != _MAGIC or blob[12:16] != b"CmnD":
        raise ValueError("not ICU common data (CmnD)")
    toc = header_size
    count = struct.unpack_from("<I", blob, toc)[0]
    entries = [struct.unpack_from("<II", blob, toc + 4 + 8 * i) for i in range(count)]
    ends = [offset for _name, offset in entries[1:]] + [len(blob) - toc]
    items = []
    for (name_offset, data_offset), end in zip(entries, ends, strict=True):
        name_end = blob.index(b"\0", toc + name_offset)
        items.append((blob[toc + name_offset:name_end].decode("ascii"), blob[toc + data_offset:toc + end]))
    return blob[:header_size], items


def write_items(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """ICU common data with these items (their order kept: ICU looks names up by binary search), each 16-aligned."""
    count = len(items)
    names = b"".join(name.encode("ascii") + b"\0" for name, _data in items)
    table = 4 + 8 * count
    data_start = _align(table + len(names), 16)
    toc = bytearray(struct.pack("<I", count))
    name_offset, data_offset = table, data_start
    body = bytearray()
    for name, data in items:
        toc += struct.pack("<II", name_offset, data_offset)
        name_offset += len(name) + 1
        padded = data + b"\0" * (_align(len(data), 16) - len(data))
        body += padded
        data_offset += len(padded)
    out = bytes(header) + bytes(toc) + names + b"\0" * (data_start - table - len(names)) + bytes(body)
    return out


def _align(n: int, to: int) -> int:
    return (n + to - 1) // to * to


def data_symbol(library: Path) -> tuple[str, int, int]:
    """The data symbol (``icudt73_dat``) of an ICU data library and its file offset and size, from its ELF tables."""
    elf = library.read_bytes()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError(f"{library.name}: not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, _shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    for _name, kind, _flags, _addr, offset, size, link, _info, _alignment, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strtab = sections[link]
        for i in range(1, size // entsize):
            st_name, _st_info, _other, shndx, value, st_size = struct.unpack_from("<IBBHQQ", elf, offset + i * entsize)
            start = strtab[4] + st_name
            name = elf[start:elf.index(b"\0", start)].decode("ascii")
            if re.fullmatch(r"icudt\d+_dat", name):
                target = sections[shndx]  # (addr, offset) of the section holding it
                return name, target[4] + value - target[3], st_size
    raise ValueError(f"{library.name}: no icudtNN_dat symbol")


def shrink_library(library: Path, out: Path) -> tuple[int, int]:
    """Write to ``out`` the ICU data library ``library`` with only the kept items; returns (items kept, of all)."""
    symbol, offset, size = data_symbol(library)
    blob = library.read_bytes()[offset:offset + size] if size else library.read_bytes()[offset:]
    header, items = read_items(blob)
    kept = [(name, data) for name, data in items if keep_item(name)]
    soname = _soname(library)
    assembler, linker = shutil.which("as"), shutil.which("ld")
    if not assembler or not linker:
        raise FileNotFoundError("as and ld (binutils) are needed to link the smaller ICU data library")
    with tempfile.TemporaryDirectory(prefix="icudata-") as tmp:
        folder = Path(tmp)
        (folder / "data.dat").write_bytes(write_items(header, kept))
        (folder / "data.s").write_text(
            f'\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n{symbol}:\n'
            f'\t.incbin "data.dat"\n\t.size {symbol}, . - {symbol}\n\t.section .note.GNU-stack,"",@progbits\n',
            encoding="utf-8")
        subprocess.run([assembler, "-o", "data.o", "data.s"], cwd=folder, check=True)
        subprocess.run([linker, "-shared", "-soname", soname, "-o", "lib.so", "data.o"], cwd=folder, check=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "lib.so", out)
    return len(kept), len(items)


def _soname(library: Path) -> str:
    out = subprocess.run(["objdump", "-p", str(library)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"SONAME\s+(\S+)", out)
    return match.group(1) if match else library.name
