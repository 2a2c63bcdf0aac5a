"""The frozen ``reception`` command reads its Python modules from the desk executable's archive
(packaging/pyi_rth_shared_pyz.py, build.spec): the archive lookup, on archives written by PyInstaller's own writers
and laid out like an executable (bootloader in front, a code signature behind). The frozen build itself runs in
.ci/run and the Windows workflow (the smoke test and the command's round trip)."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest

from tests import packaging_scripts

ROOT = Path(__file__).resolve().parents[2]

writers = pytest.importorskip("PyInstaller.archive.writers", reason="PyInstaller (the [build] extra) not installed")
readers = pytest.importorskip("PyInstaller.archive.readers")
loader_archive = pytest.importorskip("PyInstaller.loader.pyimod01_archive")


def _hook() -> types.ModuleType:
    return packaging_scripts.load("pyi_rth_shared_pyz")  # not frozen: defines the functions and switches nothing


def _fake_executable(tmp_path: Path, *, signature: int) -> Path:
    """A bootloader stand-in (which, like the real one, holds the cookie magic), then a PKG with a data file and a
    PYZ of two modules, then ``signature`` bytes (Authenticode appends the signature after the archive)."""
    hook = _hook()
    (tmp_path / "greeting.py").write_text("TEXT = '你好'\n", encoding="utf-8")
    (tmp_path / "numbers.py").write_text("VALUE = 6 * 7\n", encoding="utf-8")
    code = {name: compile((tmp_path / f"{name}.py").read_text(encoding="utf-8"), f"{name}.py", "exec")
            for name in ("greeting", "numbers")}
    pyz = tmp_path / "PYZ-00.pyz"
    writers.ZlibArchiveWriter(str(pyz), [(name, str(tmp_path / f"{name}.py"), "PYMODULE") for name in code], code)
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(50_000))
    pkg = tmp_path / "app.pkg"
    writers.CArchiveWriter(str(pkg), [("pyi-contents-directory _internal", "", False, "o"),
                                      ("data.bin", str(data), True, "x"),
                                      ("PYZ-00.pyz", str(pyz), False, "z")], "libpython3.so")
    exe = tmp_path / "ReceptionDesk"
    bootloader = os.urandom(100_000) + hook.COOKIE_MAGIC + os.urandom(30_000)
    exe.write_bytes(bootloader + pkg.read_bytes() + os.urandom(signature))
    return exe


@pytest.mark.parametrize("signature", [0, 9_000, 70_000])  # none, a typical one, one longer than a search chunk
def test_the_desk_executables_pyz_is_found(tmp_path: Path, signature: int) -> None:
    hook = _hook()
    exe = _fake_executable(tmp_path, signature=signature)
    offset = hook.pyz_offset(str(exe))
    # where PyInstaller's own reader of the archive puts it
    if signature == 0:
        pkg = readers.CArchiveReader(str(exe))
        assert offset == pkg._start_offset + pkg.toc["PYZ-00.pyz"][0]
    # and the frozen importer's reader reads the modules from there
    pyz = loader_archive.ZlibArchiveReader(str(exe), start_offset=offset, check_pymagic=True)
    assert set(pyz.toc) == {"greeting", "numbers"}
    namespace: dict[str, object] = {}
    exec(pyz.extract("numbers"), namespace)
    assert namespace["VALUE"] == 42
    exec(pyz.extract("greeting"), namespace)
    assert namespace["TEXT"] == "你好"


def test_a_file_without_an_archive_is_refused(tmp_path: Path) -> None:
    hook = _hook()
    plain = tmp_path / "ReceptionDesk"
    plain.write_bytes(os.urandom(200_000).replace(hook.COOKIE_MAGIC, b""))
    with pytest.raises(hook.SharedArchiveError, match="no PyInstaller archive"):
        hook.pyz_offset(str(plain))
    # an archive without a PYZ
    pkg = tmp_path / "nopyz.pkg"
    (tmp_path / "a.bin").write_bytes(b"abc")
    writers.CArchiveWriter(str(pkg), [("a.bin", str(tmp_path / "a.bin"), False, "x")], "libpython3.so")
    with pytest.raises(hook.SharedArchiveError, match="holds no PYZ"):
        hook.pyz_offset(str(pkg))


def test_the_desk_executable_is_the_one_beside_the_command() -> None:
    hook = _hook()
    folder = os.path.join(os.sep, "opt", "ReceptionDesk")
    assert hook.desk_executable(os.path.join(folder, "reception"), "linux") == os.path.join(folder, "ReceptionDesk")
    assert hook.desk_executable(os.path.join(folder, "reception.exe"), "win32") \
        == os.path.join(folder, "ReceptionDesk.exe")


def test_build_spec_gives_the_command_the_hook_first() -> None:
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert 'cli = analysis("packaging/reception_cli.py", CORE_IMPORTS, [SHARED_PYZ_HOOK] + RUNTIME_HOOKS)' in spec
    assert f'name="{_hook().DESK_EXECUTABLE}",' in spec

