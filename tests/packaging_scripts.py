"""The scripts under ``packaging/`` (the build's helpers, not a package) loaded as modules by the tests that check
them."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

PACKAGING = Path(__file__).resolve().parents[1] / "packaging"


def load(name: str) -> types.ModuleType:
    """``packaging/<name>.py`` as a module of that name (run as a plain import would run it: not frozen)."""
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
