"""CJK fonts for the receipts: find, register and check them, and split text by which font has each glyph.

ReportLab must embed a TrueType-outline font: the built-in ``STSong-Light`` CID font is never embedded (each viewer
substitutes its own) and CFF/PostScript-outline fonts (Noto Sans CJK, Source Han Sans) are rejected by ReportLab.
The font shipped in ``resources/fonts/`` comes first, then system fonts. The first usable one is the primary font;
the others are fallbacks, loaded only when a character is missing from every font loaded so far (a rare character
in a name). A character no font has is replaced by a visible "□" and reported, never silently dropped.

Registration is cached for the process and guarded by a lock, so the second receipt loads no font.
Nothing here logs text: names are personal data.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from reception.domain.errors import ReceptionError
from reception.paths import resources_dir

log = logging.getLogger(__name__)

REPLACEMENT = "□"
"""Printed in place of a character no font can show."""

PROBE_TEXT = "登记回执信访事项编号查询码，。：（）〇堃喆䶮𠮷"
"""Characters the start-up check looks at: common text, punctuation and rare name characters (Ext-A, Ext-B)."""

_REQUIRED = "登记回执信访，。"
"""A font must have these glyphs to count as a CJK font."""


class ReceiptFontError(ReceptionError):
    """No usable CJK font: receipts cannot be printed."""

    key = "receipt_font_missing"


@dataclass(frozen=True, slots=True)
class FontCandidate:
    """A font file to try, in search order."""

    path: Path
    subfont_index: int = 0
    shipped: bool = False

    @property
    def key(self) -> tuple[str, int]:
        """Same file name and face = same font (the shipped copy and the system copy of WenQuanYi)."""
        return (self.path.name.lower(), self.subfont_index)


@dataclass(frozen=True, slots=True)
class FontInfo:
    """A registered font."""

    name: str
    """The name registered with ReportLab (use it in ``fontName`` and ``<font name=…>``)."""
    family: str
    """The font's own family name, e.g. "WenQuanYi Micro Hei"."""
    path: str
    subfont_index: int
    shipped: bool


@dataclass(frozen=True, slots=True)
class FontReport:
    """What the start-up check found."""

    primary: FontInfo | None
    fallbacks: tuple[FontInfo, ...]
    skipped: tuple[tuple[str, str], ...]
    """(path, reason) of font files that exist but cannot be used (CFF outlines, no CJK glyphs, unreadable)."""
    uncovered: str
    """Characters of the probe text no font has; they print as "□"."""

    @property
    def ok(self) -> bool:
        return self.primary is not None

    @property
    def warnings(self) -> tuple[str, ...]:
        """Messages for the desk officer or the administrator, in Chinese; empty when all is well."""
        out: list[str] = []
        if self.primary is None:
            out.append("未找到可嵌入的中文字体（TrueType），无法打印登记回执。请重新安装本程序。")
            return tuple(out)
        if not self.primary.shipped:
            out.append(f"随程序安装的字体缺失，登记回执改用系统字体“{self.primary.family}”。")
        if self.uncovered:
            chars = "、".join(self.uncovered)
            out.append(f"以下生僻字没有可用字体，打印时显示为“{REPLACEMENT}”：{chars}")
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text drawn with one font."""

    font: str
    text: str
    missing: bool = False
    """True when ``text`` is replacement marks standing for characters no font has."""


@dataclass(slots=True)
class _Loaded:
    info: FontInfo
    cmap: dict[int, int] = field(repr=False)

    def has(self, cp: int) -> bool:
        return self.cmap.get(cp, 0) != 0


# -- where to look ---------------------------------------------------------------------------------------------

SHIPPED_FONTS: tuple[tuple[str, int], ...] = (("wqy-microhei.ttc", 0),)

_WINDOWS_FONTS: tuple[tuple[str, int], ...] = (
    ("msyh.ttc", 0),  # Microsoft YaHei
    ("simsun.ttc", 0),  # SimSun: also most of Ext-A
    ("simhei.ttf", 0),
    ("simsunb.ttf", 0),  # SimSun-ExtB: Ext-B and beyond (𠮷)
    ("SimsunExtG.ttf", 0),  # Windows 11: Ext-G
)

_UNIX_FONTS: tuple[str, ...] = (
    # Debian / Ubuntu
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    # Fedora / Arch
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/droid/DroidSansFallbackFull.ttf",
    # macOS
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
)


def default_candidates() -> list[FontCandidate]:
    """All font files to try, in order: shipped, Windows, then Linux/macOS. Only existing files."""
    found: list[FontCandidate] = []
    shipped_dir = resources_dir() / "fonts"
    for file_name, index in SHIPPED_FONTS:
        found.append(FontCandidate(shipped_dir / file_name, index, shipped=True))
    if sys.platform == "win32":
        dirs = [Path(os.environ.get("WINDIR") or os.environ.get("SYSTEMROOT") or r"C:\Windows") / "Fonts"]
        local = os.environ.get("LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")  # fonts installed per user
        for file_name, index in _WINDOWS_FONTS:
            for folder in dirs:
                found.append(FontCandidate(folder / file_name, index))
    else:
        found.extend(FontCandidate(Path(p)) for p in _UNIX_FONTS)
    seen: set[tuple[str, int]] = set()
    out: list[FontCandidate] = []
    for cand in found:
        if cand.key in seen or not cand.path.is_file():
            continue
        seen.add(cand.key)
        out.append(cand)
    return out


# -- the font set ----------------------------------------------------------------------------------------------


def _skip_char(ch: str) -> bool:
    """Invisible characters that need no glyph: controls, format characters, variation selectors."""
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf"):
        return True
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _cache_tables(font: TTFont) -> None:
    """Keep the font's tables once read. ReportLab re-reads (copies) them from the font file's bytes for every
    subset of every PDF: the 3.5 MB ``glyf`` table and the 0.5 MB ``post`` table of WenQuanYi twice per receipt.
    The tables are immutable bytes, and subsetting only slices them."""
    face = font.face
    read = face.get_table
    tables: dict[str, bytes] = {}

    def get_table(tag: str) -> bytes:
        data = tables.get(tag)
        if data is None:
            data = tables[tag] = read(tag)
        return data

    face.get_table = get_table


_COMPOSITE_MORE = 0x0020
_COMPOSITE_WORDS = 0x0001
_COMPOSITE_SCALE = 0x0008
_COMPOSITE_XY_SCALE = 0x0040
_COMPOSITE_2X2 = 0x0080


def _components(data: bytes) -> tuple[tuple[int, int], ...]:
    """A glyph's components (position in ``data`` of each component's glyph index, that index), read as
    ReportLab's ``TTFontFile.makeSubset`` reads them; () for a simple glyph."""
    if len(data) <= 2 or int.from_bytes(data[:2], "big", signed=True) >= 0:
        return ()
    found: list[tuple[int, int]] = []
    pos = 10
    flags = _COMPOSITE_MORE
    while flags & _COMPOSITE_MORE:
        flags = int.from_bytes(data[pos:pos + 2], "big")
        found.append((pos + 2, int.from_bytes(data[pos + 2:pos + 4], "big")))
        pos += 8 if flags & _COMPOSITE_WORDS else 6
        if flags & _COMPOSITE_SCALE:
            pos += 2
        elif flags & _COMPOSITE_XY_SCALE:
            pos += 4
        elif flags & _COMPOSITE_2X2:
            pos += 8
    return tuple(found)


def _cache_glyphs(font: TTFont) -> None:
    """Subset the font from glyphs read once per process. ReportLab's ``makeSubset`` (two subsets a receipt)
    re-reads every glyph of a subset from the font file's bytes and re-parses it for components each time, and
    WenQuanYi's CJK glyphs are mostly composites (~3 glyphs a character). The replacement builds the same subset
    file, byte for byte (``tests/unit/test_receipts.py`` compares them), from a cache of each glyph's bytes
    (padded to 4 bytes, as the subset's ``glyf`` table stores them) and components. Fonts with a glyph of one or
    two bytes (which ReportLab reads differently in its two passes) keep ReportLab's own subsetting."""
    from struct import pack

    try:  # (ReportLab's own helpers; a ReportLab without them keeps its own subsetting)
        from reportlab.pdfbase.ttfonts import TTFontMaker, _set_ushort
    except ImportError:
        return
    face = font.face
    positions: list[int] = face.glyphPos
    if any(0 < b - a <= 2 for a, b in zip(positions, positions[1:], strict=False)):
        return
    padded: dict[int, bytes] = {}
    components: dict[int, tuple[tuple[int, int], ...]] = {}
    char_to_glyph: dict[int, int] = face.charToGlyph
    hmetrics: list[tuple[int, int]] = face.hmetrics

    def read(index: int) -> tuple[tuple[int, int], ...]:
        data = face.get_table("glyf")[positions[index]:positions[index + 1]]
        found = components[index] = _components(data)
        padded[index] = data + b"\0" * (-len(data) % 4)
        return found

    def make_subset(subset: Sequence[int]) -> bytes:
        # (ReportLab 5.1's TTFontFile.makeSubset, step by step, with the glyphs from the cache)
        output = TTFontMaker()
        glyph_map = [0]
        glyph_set = {0: 0}
        code_to_glyph: list[int] = []
        for code in subset:
            original = char_to_glyph.get(code, 0)
            new = glyph_set.get(original)
            if new is None:
                new = glyph_set[original] = len(glyph_map)
                glyph_map.append(original)
            code_to_glyph.append(new)
        n = 0
        while n < len(glyph_map):
            original = glyph_map[n]
            parts = components.get(original)
            if parts is None:
                parts = read(original)
            for _at, component in parts:
                if component not in glyph_set:
                    glyph_set[component] = len(glyph_map)
                    glyph_map.append(component)
            n += 1
        for tag in ("name", "OS/2", "cvt ", "fpgm", "prep"):
            with contextlib.suppress(KeyError):  # (cvt, fpgm and prep are optional)
                output.add(tag, face.get_table(tag))
        output.add("post", b"\x00\x03\x00\x00" + face.get_table("post")[4:16] + b"\x00" * 16)
        hmtx: list[int] = []
        for original in glyph_map:
            aw, lsb = hmetrics[original]
            hmtx += (int(aw), int(lsb))
        n = len(hmtx) - 2
        while n and hmtx[n] == hmtx[n - 2]:
            n -= 2
        n += 2
        hmtx = hmtx[:n] + hmtx[n + 1::2]
        output.add("hmtx", pack(f">{len(hmtx)}H", *hmtx))
        output.add("hhea", _set_ushort(face.get_table("hhea"), 34, n >> 1))
        output.add("maxp", _set_ushort(face.get_table("maxp"), 4, len(glyph_map)))
        cmap = [0, 1, 1, 0, 0, 12, 6, 10 + len(subset) * 2, 0, 0, len(subset), *code_to_glyph]
        output.add("cmap", pack(f">{len(cmap)}H", *cmap))
        offsets: list[int] = []
        glyf: list[bytes] = []
        pos = 0
        for original in glyph_map:
            offsets.append(pos)
            data = padded[original]
            parts = components[original]
            if parts:
                patched = bytearray(data)
                for at, component in parts:
                    patched[at:at + 2] = glyph_set[component].to_bytes(2, "big")
                data = bytes(patched)
            glyf.append(data)
            pos += len(data)
        offsets.append(pos)
        output.add("glyf", b"".join(glyf))
        if (pos + 1) >> 1 > 0xFFFF:
            loc_format = 1
            loca = pack(f">{len(offsets)}L", *offsets)
        else:
            loc_format = 0
            loca = pack(f">{len(offsets)}H", *(o >> 1 for o in offsets))
        output.add("loca", loca)
        output.add("head", _set_ushort(face.get_table("head"), 50, loc_format))
        stream: bytes = output.makeStream()
        return stream

    face.makeSubset = make_subset


_PLAIN_CACHE_SIZE = 4096


class FontSet:
    """A primary CJK font and its fallbacks, registered with ReportLab."""

    def __init__(self, candidates: Sequence[FontCandidate], *, prefix: str = "RD") -> None:
        self._prefix = prefix
        self._lock = threading.RLock()
        self._pending: list[FontCandidate] = list(candidates)
        self._loaded: tuple[_Loaded, ...] = ()
        self._skipped: list[tuple[str, str]] = []
        self._missing: set[int] = set()
        """Code points known to be in no font (valid once nothing is pending)."""
        self._plain: dict[str, str | None] = {}
        while self._pending and not self._loaded:
            self._load_next()

    # loading

    def _load_next(self) -> _Loaded | None:
        with self._lock:
            if not self._pending:
                return None
            cand = self._pending.pop(0)
            name = f"{self._prefix}-{cand.path.stem}-{cand.subfont_index}".replace(" ", "")
            try:
                font = TTFont(name, str(cand.path), subfontIndex=cand.subfont_index)
            except Exception as exc:  # CFF outlines, no embedding rights, corrupt file: try the next one
                self._skipped.append((str(cand.path), f"{type(exc).__name__}: {exc}"))
                log.info("font skipped: %s (%s)", cand.path, type(exc).__name__)
                return None
            cmap: dict[int, int] = font.face.charToGlyph
            if not all(cmap.get(ord(c), 0) for c in _REQUIRED):
                self._skipped.append((str(cand.path), "no CJK glyphs"))
                return None
            _cache_tables(font)
            _cache_glyphs(font)
            pdfmetrics.registerFont(font)
            # no bold or italic faces: map them to the same font so markup cannot fail
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
            family = font.face.familyName
            info = FontInfo(
                name=name,
                family=family.decode("latin-1") if isinstance(family, bytes) else str(family),
                path=str(cand.path),
                subfont_index=cand.subfont_index,
                shipped=cand.shipped,
            )
            loaded = _Loaded(info, cmap)
            self._loaded = (*self._loaded, loaded)
            log.info("font registered: %s (%s)", info.family, cand.path)
            return loaded

    def load_all(self) -> None:
        with self._lock:
            while self._pending:
                self._load_next()

    # queries

    @property
    def ok(self) -> bool:
        return bool(self._loaded)

    @property
    def primary(self) -> str:
        """ReportLab name of the primary font; raises ReceiptFontError when there is none."""
        if not self._loaded:
            raise ReceiptFontError("未找到可嵌入的中文字体，无法生成登记回执。")
        return self._loaded[0].info.name

    @property
    def fonts(self) -> tuple[FontInfo, ...]:
        return tuple(f.info for f in self._loaded)

    @property
    def replacement(self) -> str:
        return REPLACEMENT if self._loaded and self._loaded[0].has(ord(REPLACEMENT)) else "?"

    def font_for(self, ch: str) -> str | None:
        """The first font (in search order) that has a glyph for ``ch``; None when none has."""
        cp = ord(ch)
        for f in self._loaded:
            if f.has(cp):
                return f.info.name
        if cp in self._missing:
            return None
        with self._lock:
            for f in self._loaded:  # another thread may have loaded it meanwhile
                if f.has(cp):
                    return f.info.name
            while self._pending:
                loaded = self._load_next()
                if loaded is not None and loaded.has(cp):
                    return loaded.info.name
            self._missing.add(cp)
        return None

    def missing(self, text: str) -> str:
        """The distinct characters of ``text`` that no font has, in order of appearance."""
        out: list[str] = []
        for ch in text:
            if ch not in out and not ch.isspace() and not _skip_char(ch) and self.font_for(ch) is None:
                out.append(ch)
        return "".join(out)

    def runs(self, text: str, missing: list[str] | None = None) -> list[Run]:
        """Split ``text`` into runs by font. Characters no font has become "□" runs and go into ``missing``."""
        primary = self.primary
        out: list[Run] = []
        buf: list[str] = []
        cur_font = primary
        cur_missing = False

        def flush() -> None:
            if buf:
                out.append(Run(cur_font, "".join(buf), cur_missing))
                buf.clear()

        for ch in text:
            if _skip_char(ch) and ch not in "\n\t":
                continue
            if ch.isspace():
                font = cur_font if not cur_missing else primary
                is_missing = False
                ch = " " if ch in "\t\r" else ch
            else:
                found = self.font_for(ch)
                is_missing = found is None
                font = primary if found is None else found
                if found is None:
                    if missing is not None:
                        missing.append(ch)
                    ch = self.replacement
            if font != cur_font or is_missing != cur_missing:
                flush()
                cur_font, cur_missing = font, is_missing
            buf.append(ch)
        flush()
        return out

    def plain(self, text: str) -> str | None:
        """``text`` as a paragraph would print it in one line of the primary font (whitespace runs collapsed to one
        space, ends stripped), or None when that is not so simple: a line break, a no-break space, an invisible
        character, a character the primary font lacks, or nothing left. Cached per text (labels repeat)."""
        if text in self._plain:
            return self._plain[text]
        result: str | None = " ".join(text.split())
        cmap = self._loaded[0].cmap if self._loaded else {}
        for ch in text:
            if ch.isspace():
                if ch not in " \u3000":
                    result = None
                    break
            elif not cmap.get(ord(ch)) or _skip_char(ch):
                result = None
                break
        if not result:
            result = None
        if len(self._plain) >= _PLAIN_CACHE_SIZE:
            self._plain.clear()
        self._plain[text] = result
        return result

    def markup(self, text: str, missing: list[str] | None = None) -> str:
        """ReportLab paragraph markup for plain ``text``: escaped, fallback runs in ``<font name=…>``, newlines as
        ``<br/>``. The paragraph style's font must be the primary font."""
        primary = self.primary
        parts: list[str] = []
        for run in self.runs(text, missing):
            body = escape(run.text).replace("\n", "<br/>")
            if run.font == primary:
                parts.append(body)
            else:
                parts.append(f'<font name="{run.font}">{body}</font>')
        return "".join(parts)

    def report(self, probe: str = PROBE_TEXT) -> FontReport:
        self.load_all()
        loaded = self._loaded
        return FontReport(
            primary=loaded[0].info if loaded else None,
            fallbacks=tuple(f.info for f in loaded[1:]),
            skipped=tuple(self._skipped),
            uncovered=self.missing(probe) if loaded else "",
        )


# -- process-wide cache ----------------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_font_set: FontSet | None = None


def font_set() -> FontSet:
    """The process-wide font set: the first call finds and registers the primary font, later calls are free."""
    global _font_set
    fs = _font_set
    if fs is not None:
        return fs
    with _cache_lock:
        if _font_set is None:
            _font_set = FontSet(default_candidates())
        return _font_set


def check_fonts(probe: str = PROBE_TEXT) -> FontReport:
    """Start-up check: loads every candidate font (a second or so on Windows; run it off the UI thread) and
    reports the primary font, the fallbacks and the probe characters nobody can print. See ``FontReport.warnings``."""
    return font_set().report(probe)


def reset_font_cache(candidates: Iterable[FontCandidate] | None = None) -> FontSet:
    """Replace the cached font set (tests; or after the administrator installs a font)."""
    global _font_set
    with _cache_lock:
        cands = list(candidates) if candidates is not None else default_candidates()
        _font_set = FontSet(cands)
        return _font_set
