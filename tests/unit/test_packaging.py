"""The installer script, the build's icon and translations, and the workflows that build and check them: the
facts a broken edit would silently lose (the Windows workflow compiles and round-trips the installer itself)."""

from __future__ import annotations

import re
from pathlib import Path

from reception import __version__

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "packaging" / "installer.iss"


def _sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for match in re.finditer(r"^\[(\w+)\]\s*$(.*?)(?=^\[\w+\]\s*$|\Z)", text, re.MULTILINE | re.DOTALL):
        out[match.group(1)] = match.group(2)
    return out


def test_installer_script() -> None:
    raw = ISS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: ISCC reads the Chinese texts right
    text = raw.decode("utf-8-sig")
    sections = _sections(text)
    assert {"Setup", "Languages", "Tasks", "InstallDelete", "Files", "Icons", "Run", "Code"} <= set(sections)
    setup = sections["Setup"]
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", setup, re.MULTILINE)
    assert "OutputBaseFilename=ReceptionDesk-{#AppVersion}-setup" in setup
    # per user by default; /CURRENTUSER and /ALLUSERS work on the command line (the workflow's silent install)
    assert "PrivilegesRequired=lowest" in setup and "PrivilegesRequiredOverridesAllowed=commandline dialog" in setup
    assert "AppVersion={#AppVersion}" in setup and "SetupIconFile=..\\resources\\icons\\app.ico" in setup
    assert (ISS.parent / "../resources/icons/app.ico").resolve().is_file()
    # upgrade in place: the old runtime is removed, inside the program folder only
    deletes = sections["InstallDelete"] + sections.get("UninstallDelete", "")
    for line in (ln for ln in deletes.splitlines() if ln.strip() and not ln.startswith(";")):
        assert 'Name: "{app}\\' in line, line
    assert "localappdata" not in deletes.lower() and "ReceptionDesk\"" not in deletes
    # shortcuts: Start menu (app, demo, uninstall) and the optional desktop one
    icons = sections["Icons"]
    assert icons.count("{group}") == 3 and "{autodesktop}" in icons and "Tasks: desktopicon" in icons
    assert 'Parameters: "--demo"' in icons
    # the data directory is refused as the program folder, and kept (with a message) on uninstall
    assert "InsideDataDir(WizardDirValue())" in sections["Code"] and "usPostUninstall" in sections["Code"]


def test_the_version_passed_to_the_installer_is_the_apps() -> None:
    import subprocess
    import sys

    run = [sys.executable, str(ROOT / "packaging" / "versioninfo.py")]
    assert subprocess.run([*run, "--version"], capture_output=True, text=True, check=True).stdout.strip() \
        == __version__
    file_version = subprocess.run([*run, "--file-version"], capture_output=True, text=True, check=True).stdout
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", file_version.strip())


def test_build_spec_names_files_that_exist() -> None:
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    icon = re.search(r'icon_file = ROOT / "resources" / "icons" / "app.ico"', spec)
    assert icon and (ROOT / "resources" / "icons" / "app.ico").is_file()
    assert '"qtbase_zh_CN.qm"' in spec and '"PySide6/Qt/translations"' in spec


def test_workflows_run_what_they_say() -> None:
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert re.search(r"services:\s+#[^\n]*\n\s+postgres:\s+image: postgres:", ci)
    assert "RECEPTION_TEST_PG_URL: postgresql+psycopg://postgres@postgres:5432/test" in ci
    win = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    build = win[win.index("  build:"):]
    assert re.search(r"^    needs: test\b", build, re.MULTILINE)  # no build when a test fails
    assert "packaging\\installer.iss" in build and "dist\\installer\\ReceptionDesk-$version-setup.exe" in build
    assert "one-folder build" in build  # its size is printed
    assert "if ($cli -gt 2MB)" in build  # and reception.exe checked for a copy of the modules of its own
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python packaging/build_size.py "$APP" || fail "build size"' in run
    assert "RECEPTION_TEST_PG_URL" in win[:win.index("  build:")]


def test_the_frozen_command_runs_multiprocessing_children() -> None:
    # `reception server --workers N` in the frozen build re-runs the executable with multiprocessing's arguments;
    # without freeze_support() before the command's parser they end as "invalid choice" errors and no worker starts
    # (checked by hand on the build: a server with 2 workers answers /query)
    entry = (ROOT / "packaging" / "reception_cli.py").read_text(encoding="utf-8")
    assert entry.index("multiprocessing.freeze_support()") < entry.index("from reception.cli import main")


def _spec_regex(name: str) -> re.Pattern[str]:
    """A ``NAME = re.compile(...)`` of build.spec, compiled here (the spec itself runs only inside PyInstaller)."""
    import ast

    tree = ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            call = node.value
            assert isinstance(call, ast.Call)
            pattern = ast.literal_eval(call.args[0])
            flags = [getattr(re, arg.attr) for arg in call.args[1:] if isinstance(arg, ast.Attribute)]
            return re.compile(pattern, *flags)
    raise AssertionError(f"build.spec has no {name}")


def test_the_frozen_linux_build_takes_only_the_desktops_libraries_from_the_machine() -> None:
    # The desktop's system libraries come from the machine (as for a pip-installed PySide6: the Quick start's apt
    # lines); the libraries of Python's own modules and the packages' own copies stay in the folder, and no Windows
    # file is matched.
    host = _spec_regex("HOST_LIBRARIES")
    machine = ["libX11.so.6", "libxcb-xkb.so.1", "libxkbcommon-x11.so.0", "libglib-2.0.so.0", "libfontconfig.so.1",
               "libfreetype.so.6", "libdbus-1.so.3", "libsystemd.so.0", "libgssapi_krb5.so.2", "libcups.so.2",
               "libgnutls.so.30", "libstdc++.so.6", "libzstd.so.1"]
    bundled = ["libpython3.11.so.1.0", "libcrypto.so.3", "libssl.so.3", "libsqlite3.so.0", "libz.so.1",
               "libbz2.so.1.0", "liblzma.so.5", "libffi.so.8", "libuuid.so.1", "libgcc_s.so.1",
               "libcrypto-3a0647ea.so.3", "libxcb-9065bb12.so.1.1.0", "libicuuc.so.73", "libQt6Core.so.6",
               "libcrypto-3-x64.dll", "Qt6Core.dll", "python311.dll", "msvcp140.dll"]
    assert [n for n in machine if not host.fullmatch(n)] == []
    assert [n for n in bundled if host.fullmatch(n)] == []
    # the platforms a desk needs stay, the others go (and nothing of Windows' own platform plugin is matched)
    plugins = _spec_regex("UNWANTED_PLUGINS")
    kept = ["PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
            "PySide6/Qt/plugins/platforms/qwindows.dll", "PySide6/Qt/plugins/platforms/qoffscreen.dll",
            "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
            "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
            "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
            "PySide6/Qt/plugins/styles/qmodernwindowsstyle.dll",
            "PySide6/Qt/plugins/imageformats/libqico.so", "PySide6/Qt/plugins/imageformats/qjpeg.dll"]
    dropped = ["PySide6/Qt/plugins/platforms/libqwayland.so", "PySide6/Qt/plugins/platforms/libqminimal.so",
               "PySide6/Qt/plugins/platforms/qminimal.dll",
               "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
               "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
               "PySide6/Qt/plugins/iconengines/qsvgicon.dll",
               "PySide6/Qt/plugins/imageformats/libqsvg.so"]
    assert [p for p in kept if plugins.search(p)] == []
    assert [p for p in dropped if not plugins.search(p)] == []
