"""While the import runs its connections get a large page cache (``ledger.service.IMPORT_CACHE_KIB``) and full
garbage collections wait (``heap.bulk_work``); the desk's usual settings come back afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from reception.db.database import CACHE_KIB
from reception.ledger import service as ledger
from reception.ledger.service import LedgerSource
from tests.unit.conftest import Desk
from tests.unit.ledger.files import write_xlsx

pytestmark = pytest.mark.dated


def _cache_kib(desk: Desk) -> int:
    with desk.ctx.db.read() as s:
        return -int(s.execute(text("PRAGMA cache_size")).scalar_one())


def test_the_import_raises_the_page_cache_and_gives_it_back(desk: Desk, tmp_path: Path) -> None:
    assert ledger.IMPORT_CACHE_KIB > CACHE_KIB
    assert _cache_kib(desk) == CACHE_KIB
    during: list[int] = []
    summary = ledger.run_import(desk.ctx, LedgerSource(write_xlsx(tmp_path / "s.xlsx"), defaults={"category": "HB01"}),
                                actor_id=None, batch_rows=1, progress=lambda _d, _t: during.append(_cache_kib(desk)))
    assert summary.imported > 1
    assert set(during[1:]) == {ledger.IMPORT_CACHE_KIB}  # (after each batch; the first call comes before)
    assert _cache_kib(desk) == CACHE_KIB


def test_the_import_postpones_full_collections(desk: Desk, tmp_path: Path) -> None:
    import gc

    from reception import heap

    before = gc.get_threshold()
    assert before[2] != heap.NO_FULL_COLLECTIONS
    during: list[int] = []
    ledger.run_import(desk.ctx, LedgerSource(write_xlsx(tmp_path / "s.xlsx"), defaults={"category": "HB01"}),
                      actor_id=None, batch_rows=1, progress=lambda _d, _t: during.append(gc.get_threshold()[2]))
    assert set(during[1:]) == {heap.NO_FULL_COLLECTIONS}
    assert gc.get_threshold() == before
