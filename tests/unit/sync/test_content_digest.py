"""The content digest a server binds each mutation id to, and a signature covers, must never change with the code:
a desk re-sending a mutation after a server upgrade (its answer was lost), or a desk and a server of different
versions checking a signature, compare digests computed by different releases. The value below was computed by
the release before the digest's JSON encoder was made reusable (bffdb47)."""

from __future__ import annotations

from reception.sync.proof import content_digest

DATA = {"request": '要求\n"修路"\\', "n": 2, "x": 0.25, "big": 1.5e16, "a": {"z": None, "b": [True, "中"]}}


def test_the_digest_is_the_one_earlier_releases_computed() -> None:
    assert content_digest("petition_case", "c-1", "upsert", 3, DATA) == (
        "2e26907515b04d4fe72b242cc306e16ed016907d7d6d901135c38d1d2b71ac92")


def test_key_order_does_not_change_the_digest_but_content_does() -> None:
    reordered = dict(reversed(list(DATA.items())))
    assert content_digest("petition_case", "c-1", "upsert", 3, reordered) == content_digest(
        "petition_case", "c-1", "upsert", 3, DATA)
    assert content_digest("petition_case", "c-1", "upsert", 3, {**DATA, "n": 3}) != content_digest(
        "petition_case", "c-1", "upsert", 3, DATA)
