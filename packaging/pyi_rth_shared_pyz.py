"""PyInstaller runtime hook of the frozen ``reception`` command: import Python modules from the desk executable.

The one-folder build (build.spec) has two executables: ``ReceptionDesk[.exe]`` (windowed on Windows) and
``reception[.exe]`` (a console program, so that it prints to the console and the shell waits for its exit code).
PyInstaller gives each executable its own archive of Python modules (PYZ), compressed into the executable: two copies
of the same 14 MB. build.spec puts every module either program needs into the desk executable's archive and gives
the command an archive with only ``ctypes`` (which the bootstrap imports before any runtime hook runs). This hook,
the command's first, then points PyInstaller's importer at the desk executable's archive, found the way the
bootloader finds its own: the archive cookie at the end of the file, then the table of contents it points to.

The functions take the layout as arguments, so tests/packaging/test_shared_pyz.py checks them on archives written
by PyInstaller's own writers without a build.
"""

# Only os and sys (in base_library.zip) may be imported before the switch: every other module, typing and __future__
# included, is in the archive this hook switches to.
import os
import sys

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing; mypy knows the name)
if TYPE_CHECKING:
    from typing import BinaryIO

DESK_EXECUTABLE = "ReceptionDesk"  # build.spec's name of the desk executable (+ ".exe" on Windows)

# PyInstaller's CArchive (PyInstaller/archive/readers.py, bootloader/src/pyi_archive.h): a cookie at the end of the
# archive, big-endian:  magic[8], pkg_length, toc_offset, toc_length, python_version (uint32 each), python_libname[64]
COOKIE_MAGIC = b"MEI\014\013\012\013\016"
COOKIE_LENGTH = 8 + 4 * 4 + 64
# a TOC entry: entry_length, offset, length, uncompressed_length (uint32 each), compression_flag, typecode, name
TOC_ENTRY_HEADER = 4 * 4 + 2
PYZ_TYPECODE = ord("z")
_CHUNK = 64 * 1024


class SharedArchiveError(Exception):
    pass


def _find_cookie(f: "BinaryIO") -> int:
    """Offset of the last cookie magic in the file: the archive is appended to the bootloader (which holds the
    pattern too), and a code signature may follow it, so search backwards from the end, as the bootloader does."""
    end = f.seek(0, os.SEEK_END)
    while end >= len(COOKIE_MAGIC):
        start = max(0, end - _CHUNK)
        f.seek(start)
        pos: int = f.read(end - start).rfind(COOKIE_MAGIC)
        if pos != -1:
            return start + pos
        if start == 0:
            break
        end = start + len(COOKIE_MAGIC) - 1  # overlap: a pattern across two chunks
    raise SharedArchiveError(f"{path_name(f)}: no PyInstaller archive in this file")


def path_name(f: "BinaryIO") -> str:
    return os.path.basename(getattr(f, "name", "?"))


def pyz_offset(executable: str) -> int:
    """Offset in ``executable`` of its embedded PYZ archive (what the bootloader passes as ``sys._pyinstaller_pyz``)."""
    with open(executable, "rb") as f:
        cookie_at = _find_cookie(f)
        f.seek(cookie_at)
        cookie = f.read(COOKIE_LENGTH)
        if len(cookie) != COOKIE_LENGTH:
            raise SharedArchiveError(f"{path_name(f)}: the archive cookie is cut short")
        pkg_length, toc_offset, toc_length = (int.from_bytes(cookie[i:i + 4], "big") for i in (8, 12, 16))
        pkg_start = cookie_at + COOKIE_LENGTH - pkg_length
        if pkg_start < 0:
            raise SharedArchiveError(f"{path_name(f)}: the archive cookie gives a length beyond the file")
        f.seek(pkg_start + toc_offset)
        toc = f.read(toc_length)
    pos = 0
    while pos + TOC_ENTRY_HEADER <= len(toc):
        entry_length = int.from_bytes(toc[pos:pos + 4], "big")
        if entry_length < TOC_ENTRY_HEADER:
            break
        if toc[pos + 17] == PYZ_TYPECODE:
            return pkg_start + int.from_bytes(toc[pos + 4:pos + 8], "big")
        pos += entry_length
    raise SharedArchiveError(f"{os.path.basename(executable)}: its archive holds no PYZ")


def use_archive_of(executable: str) -> None:
    """Make PyInstaller's frozen importer read modules from ``executable``'s PYZ from now on. Modules imported
    before (ctypes) stay as they are; the finders cached for the old archive are dropped, so the next import makes
    new ones on the new archive."""
    # PyInstaller's bootstrap modules (in the executable's archive, outside any PYZ)
    import pyimod01_archive  # type: ignore[import-not-found]
    import pyimod02_importers  # type: ignore[import-not-found]

    if not hasattr(pyimod02_importers, "pyz_archive") or not hasattr(pyimod02_importers, "PyiFrozenFinder"):
        raise SharedArchiveError("this PyInstaller's importer has no pyz_archive/PyiFrozenFinder (build.spec checks)")
    archive = pyimod01_archive.ZlibArchiveReader(executable, start_offset=pyz_offset(executable), check_pymagic=True)
    pyimod02_importers.pyz_archive = archive
    pyimod02_importers._pyz_tree = None  # (the prefix tree of the old archive, which pkgutil.iter_modules reads)
    for key, finder in list(sys.path_importer_cache.items()):
        if isinstance(finder, pyimod02_importers.PyiFrozenFinder):
            del sys.path_importer_cache[key]


def desk_executable(command_executable: str, platform: str = sys.platform) -> str:
    """The desk executable beside the command's."""
    name = DESK_EXECUTABLE + (".exe" if platform == "win32" else "")
    return os.path.join(os.path.dirname(os.path.abspath(command_executable)), name)


if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
    _desk = desk_executable(sys.executable)
    try:
        use_archive_of(_desk)
    except (OSError, SharedArchiveError) as _exc:
        # (sys.stderr exists: the command is a console program)
        print(f"reception: cannot read the program's modules from {_desk} ({_exc}); "
              "the command needs the whole program folder (reinstall or copy the folder again)", file=sys.stderr)
        raise SystemExit(70) from None
