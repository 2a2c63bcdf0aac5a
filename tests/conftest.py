"""Test-wide setup that must happen before Qt is imported: run Qt headless unless told otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
