"""The content digest a server binds each mutation id to, and a signature covers, must never change with the code:
a desk re-sending a mutation after a server upgrade (its answer was lost), or a desk and a server of different
versions checking a signature, compare digests computed by different releases. The value below was computed by
the release before the digest's JSON encoder was made reusable (bffdb47)."""

from __future__ import annotations

from reception.sync.proof import canonical_json, content_digest, content_digest_of

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


NASTY_IDS = ["c-1", 'a"b', "back\\slash", "ctl\x01\x1f", "中文", "tab\there", ""]


def test_the_digest_of_data_encoded_once_is_the_same_digest() -> None:
    """The server encodes each pushed record once (``canonical_json``) for its digest and its stored text:
    ``content_digest_of`` must give exactly ``content_digest`` for every table name, record id and data."""
    values: list[dict[str, object] | None] = [DATA, None, {}, {"k": 'q"\\\n\t\x00', "nested": {"b": [1, {"z": 2.5}]}}]
    for table in ("petition_case", 'odd"table'):
        for record_id in NASTY_IDS:
            for op in ("upsert", "delete", "ensure"):
                for data in values:
                    assert content_digest_of(table, record_id, op, 7, canonical_json(data)) == content_digest(
                        table, record_id, op, 7, data)
    assert content_digest_of("petition_case", "c-1", "upsert", 3, canonical_json(DATA)) == (
        "2e26907515b04d4fe72b242cc306e16ed016907d7d6d901135c38d1d2b71ac92")
