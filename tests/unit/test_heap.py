"""The collector settings: full collections postponed inside bulk work and restored after, start-up heap frozen."""

from __future__ import annotations

import gc
import threading

from reception import heap


def test_bulk_work_postpones_full_collections_and_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with heap.bulk_work():
        inside = gc.get_threshold()
        with heap.bulk_work():  # nested (a sync cycle inside an import): still postponed
            assert gc.get_threshold() == inside
        assert gc.get_threshold() == inside
    assert inside[:2] == before[:2]
    assert inside[2] == heap.NO_FULL_COLLECTIONS
    assert gc.get_threshold() == before


def test_bulk_work_restores_after_an_error() -> None:
    before = gc.get_threshold()
    try:
        with heap.bulk_work():
            raise RuntimeError("sync failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_overlapping_bulk_work_in_two_threads_restores_once_both_end() -> None:
    before = gc.get_threshold()
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with heap.bulk_work():
            entered.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    assert entered.wait(10)
    with heap.bulk_work():
        pass
    assert gc.get_threshold()[2] == heap.NO_FULL_COLLECTIONS  # the other thread is still inside
    release.set()
    t.join(10)
    assert gc.get_threshold() == before


def test_settle_freezes_what_exists() -> None:
    try:
        heap.settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
