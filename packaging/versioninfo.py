"""Build helpers for ``build.spec``: the app version and the Windows version resource.

Plain Python (no PyInstaller import), so it can be checked on any OS; the resource itself is only attached to the
executables on Windows.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

PRODUCT_NAME = "信访接待一站式服务台 Reception Desk"
COMPANY_NAME = "Reception Desk"
COPYRIGHT = "Proprietary"
TEMPLATE = Path(__file__).resolve().parent / "version_info.txt.in"


def read_version(package_dir: Path) -> str:
    """``__version__`` from ``reception/__init__.py``, read as text so the build never imports the app."""
    text = (package_dir / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if not match:
        raise SystemExit(f"build.spec: no __version__ in {package_dir / '__init__.py'}")
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``"1.2.3rc1"`` -> ``(1, 2, 3, 0)``: the four 16-bit numbers of a Windows FILEVERSION."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def write_version_file(target: Path, version: str, exe_name: str, description: str) -> Path:
    """Fill ``version_info.txt.in`` for one executable and return the written file's path."""
    text = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        version_tuple=repr(version_tuple(version)),
        version=repr(version),
        company=repr(COMPANY_NAME),
        description=repr(description),
        internal_name=repr(exe_name),
        original_filename=repr(f"{exe_name}.exe"),
        product=repr(PRODUCT_NAME),
        copyright=repr(COPYRIGHT),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """``python packaging/versioninfo.py --version | --file-version``: for the Windows workflow's installer step
    (the installer's file name and its version resource use the same version as the app's About dialog)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    version = read_version(Path(__file__).resolve().parent.parent / "reception")
    if args == ["--file-version"]:
        print(".".join(str(n) for n in version_tuple(version)))
    elif args in ([], ["--version"]):
        print(version)
    else:
        print("usage: versioninfo.py [--version | --file-version]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
