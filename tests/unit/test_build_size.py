"""packaging/build_size.py: the build's size by what its files are, and the budget counted without the parts a Linux
build carries that a Windows build does not (ICU, the Linux system libraries, Qt's Linux-only plugins)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from tests import packaging_scripts


def _build_size() -> types.ModuleType:
    return packaging_scripts.load("build_size")


def _folder(root: Path, sizes: dict[str, int]) -> Path:
    for rel, size in sizes.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.truncate(size)  # (sparse: the size is what counts)
    return root


def test_build_size_counts_the_budget_without_the_linux_only_parts(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bs = _build_size()
    mib = bs.MIB
    assert bs.kind("_internal/PySide6/Qt/lib/libicudata.so.73") == bs.ICU
    assert bs.kind("_internal/PySide6/Qt/plugins/platforms/libqxcb.so") == bs.LINUX_QT
    assert bs.kind("_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so") == bs.QT
    assert bs.kind("_internal/libX11.so.6") == bs.LINUX_SYSTEM
    assert bs.kind("_internal/libcrypto.so.3") == bs.SHARED_SYSTEM
    assert bs.kind("_internal/psycopg_binary.libs/libcrypto-3a0647ea.so.3") == bs.OTHER
    assert bs.kind("reception.exe") == bs.kind("ReceptionDesk") == bs.EXECUTABLES
    sizes = {"ReceptionDesk": 14 * mib, "reception": mib // 8, "_internal/PySide6/Qt/lib/libicudata.so.73": 30 * mib,
             "_internal/libX11.so.6": 20 * mib, "_internal/PySide6/Qt/lib/libQt6Core.so.6": 100 * mib}
    ok = _folder(tmp_path / "ok", sizes)
    assert bs.main([str(ok), "--top", "2"]) == 0
    out = capsys.readouterr()
    assert "without the Linux-only parts (50.0 MiB): 114.1 MiB" in out.out
    # the whole folder (164.1 MiB, 172.1 MB) is over the 150 MB the Linux build is kept under: a warning
    assert "WARNING: the whole folder is 172.1 MB, over the 150 MB" in out.err
    assert "over the 150 MiB budget" not in out.err
    assert bs.main([str(ok), "--top", "0", "--folder-budget", "180"]) == 0
    assert "WARNING" not in capsys.readouterr().err
    assert bs.main([str(ok), "--budget", "110", "--limit", "120"]) == 0
    assert "WARNING: 114.1 MiB, over the 110 MiB budget" in capsys.readouterr().err
    assert bs.main([str(ok), "--budget", "100", "--limit", "110"]) == 1
    # the command carrying its own modules again fails, whatever the total
    fat = _folder(tmp_path / "fat", {**sizes, "reception": 13 * mib})
    assert bs.main([str(fat), "--top", "0"]) == 1
    assert "the reception executable is 13.0 MiB" in capsys.readouterr().err
