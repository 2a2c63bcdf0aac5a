"""The import graph of a package, read from the source, and its cycles.

Every import counts, at module level or inside a function (a local import hides a loop, it does not break it), except
those under ``if TYPE_CHECKING:``, which never run. Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py``
first, so it is an edge to each of them as well (but not from a module inside them: its own packages always ran
first); ``from a.b import c`` is an edge to the module ``a.b.c`` when there is one, else to ``a.b``.

Run it as ``python -m tests.importgraph [package-dir]`` (default ``reception``): it prints each cycle (a strongly
connected component of more than one module, or a module that imports itself), smallest first, and one shortest loop
through it; the exit status is the number of cycles (capped at 100). ``tests/unit/test_import_graph.py`` asserts there
are none.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    local: bool  # inside a function, not at module level


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by its dotted name."""
    base = root.parent
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:  # the ``else:`` of ``if TYPE_CHECKING`` does run
                yield from _walk_one(other, in_function)
            continue
        yield from _walk_one(child, in_function)


def _walk_one(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, in_function
        return
    inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    yield from _walk(node, inner)


def _with_parents(name: str, known: dict[str, Path]) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in known]


def imports(root: Path) -> list[Import]:
    """Every import between two modules of the package at ``root``."""
    known = module_names(root)
    found: list[Import] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, local in _walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                for alias in node.names:
                    targets += _with_parents(alias.name, known)
            else:
                if node.level:
                    up = package.split(".")
                    up = up[: len(up) - (node.level - 1)]
                    source = ".".join(up + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets += _with_parents(source, known)
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    if sub in known:
                        targets.append(sub)
            for target in dict.fromkeys(targets):
                if target != name and not name.startswith(target + "."):  # its own packages ran before it
                    found.append(Import(name, target, node.lineno, local))
    return found


def graph(root: Path) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in module_names(root)}
    for edge in imports(root):
        edges[edge.importer].add(edge.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative), smallest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (len(c), c))


def shortest_loop(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest loop through the first module of ``component`` (breadth-first inside the component)."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(edges[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    return component


def report(root: Path) -> list[str]:
    edges = graph(root)
    by_pair = {(e.importer, e.target): e for e in imports(root)}
    lines: list[str] = []
    for component in cycles(edges):
        lines.append(f"cycle of {len(component)} modules: {', '.join(component)}")
        loop = shortest_loop(edges, component)
        for a, b in zip(loop, loop[1:], strict=False):
            edge = by_pair[(a, b)]
            lines.append(f"    {a} -> {b}  (line {edge.line}{', local' if edge.local else ''})")
    return lines


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "reception").resolve()
    lines = report(root)
    found = sum(1 for line in lines if line.startswith("cycle"))
    print("\n".join(lines) if lines else f"no import cycles in {root.name}/")
    return min(found, 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
