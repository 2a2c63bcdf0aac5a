"""Fixtures for the UI-free core: real SQLite files in tmp_path, the demo reference directory, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reception.bootstrap import AppContext, open_data_dir
from reception.db.settings import load_desk_settings
from reception.demo import seed_reference
from reception.intake import directory
from tests.clock import UNIT_NOW, Clock


@dataclass
class Desk:
    ctx: AppContext
    clock: Clock
    desk_id: str
    officer_id: str

    def category(self, code: str) -> str:
        from sqlalchemy import select

        from reception.db.models import Category

        with self.ctx.db.read() as s:
            found = s.scalar(select(Category.id).where(Category.code == code))
        assert found is not None, code
        return found

    def locality(self, name_path: str) -> str:
        """A locality by "township/village/grid" names, e.g. "翠园街道/尚书茗苑社区/第1网格"."""
        with self.ctx.db.read() as s:
            nodes = directory.locality_tree(s)
        node = None
        for part in name_path.split("/"):
            node = next(n for n in nodes if n.name == part)
            nodes = node.children
        assert node is not None
        return node.id

    def user(self, role: str, *, unit: str | None = None, username: str | None = None) -> str:
        """An account with ``role`` (and, for unit staff, the unit with code ``unit``), made on first use."""
        from sqlalchemy import select

        from reception.db.models import User

        name = username or f"{role}-{unit or 'centre'}"
        with self.ctx.db.write() as s:
            found = s.scalar(select(User.id).where(User.username == name))
            if found is not None:
                return found
            u = User(username=name, display_name=name, role=role, unit_id=self.unit(unit) if unit else None)
            s.add(u)
            s.flush()
            return u.id

    def unit(self, code: str) -> str:
        from sqlalchemy import select

        from reception.db.models import Unit

        with self.ctx.db.read() as s:
            found = s.scalar(select(Unit.id).where(Unit.code == code))
        assert found is not None, code
        return found


@pytest.fixture
def clock() -> Clock:
    return Clock(UNIT_NOW)


def open_desk(folder: Path, clock: Clock) -> Desk:
    """A desk on a new data directory in ``folder`` with the demo district's reference data, on ``clock``; the
    caller closes ``desk.ctx``."""
    ctx = open_data_dir(folder, now=clock)
    with ctx.db.write() as session:
        seed_reference(session)
    with ctx.db.read() as session:
        settings = load_desk_settings(session)
    return Desk(ctx, clock, settings.desk_id, settings.officer_id)


@pytest.fixture
def desk(tmp_path: Path, clock: Clock) -> Iterator[Desk]:
    opened = open_desk(tmp_path / "data", clock)
    yield opened
    opened.ctx.close()
