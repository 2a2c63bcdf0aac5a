"""The search index's tokens are HMAC-SHA256 under the blind-index key (``reception.search.tokens``), built from
pre-absorbed inner and outer hashes for speed: they must stay exactly the standard HMAC, or an index built by an
earlier release (or by ``rebuild``) would no longer match what a search looks up."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from reception.search import tokens
from reception.security.crypto import data_keys


def _reference(purpose: str, suffix: str) -> int:
    mac = hmac.new(data_keys().index, b"reception/search/v1\x00", hashlib.sha256)
    mac.update(purpose.encode("ascii") + b"\x00" + suffix.encode("utf-8"))
    return int.from_bytes(mac.digest()[:8], "big", signed=True)


def test_tokens_are_the_standard_hmac_of_each_suffix() -> None:
    rng = random.Random(7)
    for _ in range(300):
        suffix = "".join(rng.choice("0123456789Xx紫霞社区栋单元室-") for _ in range(rng.randrange(0, 12)))
        for purpose in (tokens.ID_PURPOSE, tokens.PHONE_PURPOSE, tokens.ADDRESS_PURPOSE):
            assert tokens.token(purpose, suffix) == _reference(purpose, suffix)
    assert tokens.phone_tokens("13907393912") == {_reference(tokens.PHONE_PURPOSE, "13907393912"[-n:])
                                                  for n in tokens.PHONE_SUFFIXES}
    address = "示范区城南街道紫霞社区8栋1单元302室"
    assert tokens.address_tokens(address) == {_reference(tokens.ADDRESS_PURPOSE, g)
                                              for g in tokens.address_grams(address)}


def test_a_batch_hashes_each_suffix_once_with_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """``all_rows`` (a pull's new petitioners, a rebuild's chunk) hashes a suffix the batch's petitioners share
    once, and gives each petitioner the rows ``rows`` gives it alone."""
    people = [(f"p{i}", name, id_number, phone, "示范区城南街道紫霞社区8栋1单元302室")
              for i, (name, id_number, phone) in enumerate([("李秀英", "430503199001011234", "13907393912"),
                                                            ("王建国", "430503198502021234", "13807393912"),
                                                            ("张伟", None, "13907393912")])]
    alone = [tokens.rows(*p) for p in people]
    inner, outer = tokens._pads()
    made: list[int] = []

    class Counted:
        def copy(self) -> object:
            made.append(1)
            return outer.copy()

    monkeypatch.setattr(tokens, "_pads", lambda: (inner, Counted()))
    tok, grams = tokens.all_rows(people)
    suffixes = {(tokens.ID_PURPOSE, i[-n:]) for _p, _n, i, _ph, _a in people if i for n in tokens.ID_SUFFIXES}
    suffixes |= {(tokens.PHONE_PURPOSE, ph[-n:]) for _p, _n, _i, ph, _a in people for n in tokens.PHONE_SUFFIXES}
    suffixes |= {(tokens.ADDRESS_PURPOSE, g) for g in tokens.address_grams(people[0][4])}
    assert len(made) == len(suffixes)
    assert sorted(tok) == sorted(t for one, _g in alone for t in one)
    assert sorted(grams) == sorted(g for _t, many in alone for g in many)
    assert {t for t, _p in tok} == {_reference(purpose, s) for purpose, s in suffixes}
