"""The size of the one-folder build (dist/ReceptionDesk), by what its files are, and the largest files.

    python packaging/build_size.py dist/ReceptionDesk [--top 25] [--budget 150] [--limit 180]

The budget (issue 18) is for the folder a desk installs, the Windows build. A Linux build also carries what Windows
provides itself or does not need, so the budget applies to the Linux build without those parts:

- ICU (libicudata/libicuuc/libicui18n, 38 MB): PySide6's Qt for Linux brings its own; on Windows Qt uses the ICU of
  the system (icu.dll, Windows 10 1703 and later), and PySide6's Windows wheels hold no ICU.
- the Linux system libraries PyInstaller copies from /usr/lib (X11 and XCB, GLib, GnuTLS, CUPS, Kerberos, systemd,
  ...): on Windows their counterparts are part of the system. The few with a Windows file of their own in the folder
  (OpenSSL for Python's ssl and hashlib, SQLite, libffi, the C++ runtime) are counted as shared, not subtracted.
- Qt's Linux-only libraries and plugins (Wayland, XCB, D-Bus, IBus and compose input, the desktop portal, CUPS
  printing); the Windows build has its own few instead (the windows platform plugin, the modern Windows style).

Exit status 1 when the size counted against the budget is over ``--limit`` MB or when the ``reception`` executable is
over 2 MB (it carries no modules of its own: packaging/pyi_rth_shared_pyz.py); over ``--budget`` it only warns, and so
it does when the whole folder, Linux-only parts and all, is over ``--folder-budget`` (150 MB, 10^6 bytes: the Linux
build is kept under it too since build.spec takes the desktop's system libraries from the machine and cuts ICU's data).
Sizes are MiB (1,048,576 bytes), as the Windows workflow counts them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

MIB = 1024 * 1024
COMMAND_LIMIT = 2 * MIB

ICU = "ICU (Linux only: Windows Qt uses the system's)"
LINUX_QT = "Qt's Linux-only libraries and plugins (Wayland, XCB, D-Bus, IBus, portal, CUPS)"
LINUX_SYSTEM = "Linux system libraries (X11/XCB, GLib, GnuTLS, CUPS, Kerberos, systemd...)"
SHARED_SYSTEM = "libpython and system libraries with a Windows file of their own (OpenSSL, SQLite, libffi, C++)"
QT = "Qt and PySide6"
EXECUTABLES = "the two executables (ReceptionDesk holds the Python modules of both)"
OTHER = "Python, its packages and their libraries, data files"
LINUX_ONLY = (ICU, LINUX_QT, LINUX_SYSTEM)

_ICU = re.compile(r"(^|/)libicu(data|uc|i18n)\.so")
_LINUX_QT = re.compile(r"Qt6(Wayland|XcbQpa|DBus|WlShell|EglFsKmsSupport)"
                       r"|plugins/(wayland[^/]*|xcbglintegrations|platforminputcontexts|platformthemes)/"
                       r"|plugins/platforms/libq(xcb|wayland)"
                       r"|plugins/printsupport/libcups")
_SYSTEM_LIB = re.compile(r"^lib[^/]*\.so(\.|$)")  # PyInstaller puts them at the top of _internal/
_SHARED_SYSTEM = re.compile(r"^lib(crypto|ssl|sqlite3|ffi|stdc\+\+|gcc_s|python3[.\d]*)\.so")


def kind(rel: str) -> str:
    """What the file at ``rel`` (a path relative to the build folder, with forward slashes) is."""
    inner = rel.split("/", 1)[1] if rel.startswith("_internal/") else rel
    if _ICU.search(inner):
        return ICU
    if _LINUX_QT.search(inner):
        return LINUX_QT
    if _SYSTEM_LIB.match(inner):
        return SHARED_SYSTEM if _SHARED_SYSTEM.match(inner) else LINUX_SYSTEM
    if inner.startswith(("PySide6/", "shiboken6/")):
        return QT
    if "/" not in rel and Path(rel).stem in ("ReceptionDesk", "reception"):
        return EXECUTABLES
    return OTHER


def files_of(folder: Path) -> list[tuple[str, int]]:
    out = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath, name)
            if not path.is_symlink():
                out.append((path.relative_to(folder).as_posix(), path.stat().st_size))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=25, help="list this many largest files")
    parser.add_argument("--budget", type=float, default=150, help="MiB: warn above")
    parser.add_argument("--limit", type=float, default=180, help="MiB: fail above")
    parser.add_argument("--folder-budget", type=float, default=150,
                        help="MB (10^6 bytes): warn when the whole folder, Linux-only parts included, is above")
    args = parser.parse_args(argv)
    files = files_of(args.folder)
    if not files:
        print(f"{args.folder}: no files", file=sys.stderr)
        return 1
    by_kind: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for rel, size in files:
        by_kind[kind(rel)].append((rel, size))
    total = sum(size for _rel, size in files)
    print(f"{args.folder}: {total / MIB:.1f} MiB ({total / 1e6:.1f} MB) in {len(files)} files")
    for name, entries in sorted(by_kind.items(), key=lambda kv: -sum(s for _r, s in kv[1])):
        size = sum(s for _r, s in entries)
        mark = "  [Linux only]" if name in LINUX_ONLY else ""
        print(f"  {size / MIB:7.1f} MiB {len(entries):4d} files  {name}{mark}")
    linux_only = sum(size for name in LINUX_ONLY for _rel, size in by_kind.get(name, []))
    counted = total - linux_only
    if linux_only:
        print(f"without the Linux-only parts ({linux_only / MIB:.1f} MiB): {counted / MIB:.1f} MiB "
              f"({counted / 1e6:.1f} MB), what the budget counts (a Windows build adds its own few Windows-only files)")
    if args.top > 0:
        print(f"the {args.top} largest files:")
        for rel, size in sorted(files, key=lambda f: -f[1])[:args.top]:
            print(f"  {size / MIB:6.2f} MiB  {rel}")
    status = 0
    command = [size for rel, size in files if "/" not in rel and Path(rel).stem == "reception"]
    if not command or command[0] > COMMAND_LIMIT:
        print(f"FAIL: the reception executable is {'missing' if not command else f'{command[0] / MIB:.1f} MiB'}; it "
              "should be a bootloader without Python modules (build.spec, packaging/pyi_rth_shared_pyz.py)",
              file=sys.stderr)
        status = 1
    if counted > args.limit * MIB:
        print(f"FAIL: {counted / MIB:.1f} MiB, far over the {args.budget:g} MiB budget (limit {args.limit:g})",
              file=sys.stderr)
        status = 1
    elif counted > args.budget * MIB:
        print(f"WARNING: {counted / MIB:.1f} MiB, over the {args.budget:g} MiB budget", file=sys.stderr)
    if total > args.folder_budget * 1e6:
        print(f"WARNING: the whole folder is {total / 1e6:.1f} MB, over the {args.folder_budget:g} MB it is kept under "
              "(issue 18, measured on Linux: build.spec's cuts undone, or a larger wheel?)", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
