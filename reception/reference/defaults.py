"""The default category tree shipped with the app (``reception/data/default_categories.json``; its ``source`` says
plainly what it is built from). A new centre may start from it in the first-run wizard and change it later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.db.models import Category
from reception.reference.model import CategoryRow, ReferenceData
from reception.reference.store import ImportSummary, import_in_session

DEFAULT_CATEGORIES_FILE = Path(__file__).resolve().parent.parent / "data" / "default_categories.json"


def load_default_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_CATEGORIES_FILE.read_text(encoding="utf-8"))
    return data


def default_categories() -> list[CategoryRow]:
    rows: list[CategoryRow] = []
    for p_order, parent in enumerate(load_default_file()["categories"]):
        rows.append(CategoryRow(parent["code"], parent["name"], "", parent.get("legal_channel", ""), p_order))
        for c_order, child in enumerate(parent.get("children", ())):
            rows.append(CategoryRow(child["code"], child["name"], parent["code"], child.get("legal_channel", ""),
                                    c_order))
    return rows


def seed_default_categories(session: Session) -> ImportSummary | None:
    """Store the default tree when the desk has no category yet (None: it has some, nothing is changed)."""
    if session.scalar(select(func.count()).select_from(Category)):
        return None
    return import_in_session(session, ReferenceData(categories=default_categories()), [])
