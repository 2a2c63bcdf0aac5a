"""The core's import graph: no loops inside ``reception/`` (local imports count), and no way up into ``ui`` or Qt.

A loop hidden behind a function-level import still ties the modules together (neither can be read, tested or moved
alone, and the import order decides what works); ``tests/importgraph.py`` prints the loop it finds, with the lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests import importgraph

CORE = Path(__file__).resolve().parents[2] / "reception"
FORBIDDEN = ("ui", "PySide6", "shiboken6", "qtawesome")


def test_no_import_cycle_inside_the_core() -> None:
    assert importgraph.report(CORE) == []


def test_the_checker_finds_a_loop_hidden_in_a_function(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from pkg.sub import b\n", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("def f():\n    from pkg import a\n", encoding="utf-8")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
                              encoding="utf-8")
    (pkg / "d.py").write_text("import pkg.c\n", encoding="utf-8")
    edges = importgraph.graph(pkg)
    assert importgraph.cycles(edges) == [["pkg.a", "pkg.sub.b"]]
    assert edges["pkg.c"] == set()  # TYPE_CHECKING imports never run
    assert edges["pkg.a"] == {"pkg.sub", "pkg.sub.b"}  # importing pkg.sub.b runs pkg/sub/__init__.py first
    assert edges["pkg.d"] == {"pkg.c"}  # (pkg/__init__.py ran before pkg.d itself)
    assert importgraph.report(pkg)[1:] == ["    pkg.a -> pkg.sub.b  (line 1)",
                                           "    pkg.sub.b -> pkg.a  (line 2, local)"]


def test_the_core_never_imports_ui_or_qt() -> None:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path.relative_to(CORE.parent)}:{node.lineno} {name}" for name in names
                      if name.split(".")[0] in FORBIDDEN]
    assert found == []
