"""What the search indexes hold for one petitioner: keyed tokens of ID and phone suffixes, plain name n-grams.

ID numbers and phones are encrypted at rest (``reception.security.crypto``); their full values are found by the
blind index. A petitioner at the window says "手机尾号3912" or "身份证后四位123X", so the search also needs their
suffixes, and those must not be readable in the file either: each suffix becomes the first 64 bits of
HMAC-SHA256 under the desk's blind-index key, of a purpose label and the suffix. Without the key the file holds
only random-looking integers; with 10,000 possible 4-digit suffixes an HMAC (unlike a plain hash) cannot be
reversed by trying them all. Equal suffixes give equal tokens, which is exactly what a look-up needs (and all the
file reveals: which petitioners share a suffix, as the blind index reveals who shares a number).

Names are stored in clear (they are searched by prefix already): their two-character n-grams are stored as they
are, plus the pinyin initials of the whole name (``py:lxy`` for 李秀英) when the name is Chinese.

Addresses (住址: ``示范区城南街道紫霞社区3栋2单元1502室``) are personal data too. They are stored in clear in
``petitioner.address`` today, but their partial index is keyed all the same, like IDs and phones (so the index adds
nothing readable to the file, and stays right if the column is ever encrypted): one token per pair of consecutive
characters (``紫霞``, ``霞社``, ``社区``, ``区8``, ``8栋``...: the building and room numbers narrow a search for a
community of thousands; ``reception.search.service._by_address`` checks every candidate against the whole text).
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from reception.security.crypto import DataKeys, data_keys

ID_SUFFIXES = (4, 5, 6)
"""证件号码后4至6位."""
PHONE_SUFFIXES = (4, 5, 6, 7, 8)
"""电话尾号: 4 to 8 digits are indexed; a longer tail (9 or 10 digits) is found through its last 8 and checked
against the decrypted number (the full number has the blind index)."""
ID_PURPOSE = "search/id_suffix"
PHONE_PURPOSE = "search/phone_suffix"
ADDRESS_PURPOSE = "search/address_gram"
INITIALS_PREFIX = "py:"
GRAM = 2

_lock = threading.Lock()
_base: list[tuple[DataKeys, Any, Any]] = []
_CONTEXT = b"reception/search/v1\x00"


def _pads() -> tuple[Any, Any]:
    """HMAC-SHA256's inner hash (key XOR ipad, then the context label) and outer hash (key XOR opad) under the
    loaded key, absorbed once (RFC 2104): each token copies the two instead of building an HMAC, which cost more
    than hashing a suffix (a pulled batch indexes thousands of petitioners, ~40 tokens each)."""
    keys = data_keys()
    with _lock:
        if not _base or _base[0][0] is not keys:
            key = keys.index if len(keys.index) <= 64 else hashlib.sha256(keys.index).digest()
            key = key.ljust(64, b"\x00")
            inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
            inner.update(_CONTEXT)
            _base[:] = [(keys, inner, hashlib.sha256(bytes(b ^ 0x5C for b in key)))]
        return _base[0][1], _base[0][2]


Memo = dict[tuple[str, str], int]
"""(purpose, suffix) -> token, for one batch of petitioners (``all_rows``): the tokens under the key loaded when
the batch began. Petitioners of a batch share many suffixes (the address pairs of a community, ID and phone
tails): each is hashed once."""


def _tokens(purpose: str, suffixes: Iterable[str], memo: Memo | None = None) -> set[int]:
    """The index tokens of some suffixes of one kind: the first 64 bits (signed, SQLite's native INTEGER) of
    HMAC-SHA256 under the blind-index key of the context label, the purpose, a NUL and the suffix (``memo``: the
    tokens already computed for this batch, taken from there and added to it)."""
    inner0, outer0 = _pads()
    head = purpose.encode("ascii") + b"\x00"
    out: set[int] = set()
    for suffix in suffixes:
        if memo is not None:
            known = memo.get((purpose, suffix))
            if known is not None:
                out.add(known)
                continue
        inner = inner0.copy()
        inner.update(head + suffix.encode("utf-8"))
        outer = outer0.copy()
        outer.update(inner.digest())
        value = int.from_bytes(outer.digest()[:8], "big", signed=True)
        out.add(value)
        if memo is not None:
            memo[(purpose, suffix)] = value
    return out


def token(purpose: str, suffix: str) -> int:
    """The index token of one suffix (a signed 64-bit integer, SQLite's native INTEGER)."""
    return next(iter(_tokens(purpose, (suffix,))))


def id_tokens(id_number: str | None, memo: Memo | None = None) -> set[int]:
    value = (id_number or "").upper()
    return _tokens(ID_PURPOSE, [value[-n:] for n in ID_SUFFIXES if len(value) > n], memo)


def phone_tokens(phone: str | None, memo: Memo | None = None) -> set[int]:
    value = phone or ""
    return _tokens(PHONE_PURPOSE, [value[-n:] for n in PHONE_SUFFIXES if len(value) > n], memo)


def _address_char(ch: str) -> bool:
    return _is_han(ch) or (ch.isascii() and ch.isalnum())


def address_grams(address: str | None) -> list[str]:
    """The pairs of consecutive characters of an address (or of an address query) that have a Chinese character or
    are both digits or letters (``紫霞``, ``区8``, ``8栋``, ``30``...; not across spaces or punctuation), and the
    triples with a digit and a Chinese character, without repeats. Full-width digits and letters are folded first
    (NFKC), as the search box folds the text."""
    chars = "".join(unicodedata.normalize("NFKC", address or "").split()).upper()
    han = [_is_han(ch) for ch in chars]  # (each character's classes worked out once, not once per n-gram)
    ok = [h or (ch.isascii() and ch.isalnum()) for ch, h in zip(chars, han, strict=True)]  # (``_address_char``)
    digit = [ch.isdigit() for ch in chars]
    grams = {chars[i:i + GRAM] for i in range(len(chars) - GRAM + 1) if ok[i] and ok[i + 1]}
    # and the triples that join a number to its Chinese neighbours (区2栋, 2栋1, 元15...): 2栋 alone is one address
    # in ten, a community's 区2栋 one in sixty, so a building's look-up reads a short list
    for i in range(len(chars) - 2):
        if (ok[i] and ok[i + 1] and ok[i + 2] and (digit[i] or digit[i + 1] or digit[i + 2])
                and (han[i] or han[i + 1] or han[i + 2])):
            grams.add(chars[i:i + 3])
    return sorted(grams)


def address_tokens(address: str | None, memo: Memo | None = None) -> set[int]:
    return _tokens(ADDRESS_PURPOSE, address_grams(address), memo)


def secret_tokens(id_number: str | None, phone: str | None, address: str | None = None,
                  memo: Memo | None = None) -> set[int]:
    return id_tokens(id_number, memo) | phone_tokens(phone, memo) | address_tokens(address, memo)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"


def clean_name(text: str) -> str:
    """A name as the index sees it: no spaces, no middle dots (少数民族 names: 阿依·古丽)."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·•．.")


def initials(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name ('' when it has other characters): 李秀英 -> lxy."""
    chars = clean_name(name)
    if len(chars) < 2 or not all(_is_han(ch) for ch in chars):
        return ""
    from pypinyin import Style

    letters = _pinyin().lazy_pinyin(chars, style=Style.FIRST_LETTER, errors="ignore")
    out = "".join(part[:1] for part in letters).lower()
    return out if len(out) == len(chars) and out.isascii() and out.isalpha() else ""


_PINYIN: list[Any] = []
MEMO_MAX = 100_000
"""(the most words ``_pinyin``'s converter keeps: far more than a district's names use)"""


def _pinyin() -> Any:
    """pypinyin's ``lazy_pinyin`` as ``pypinyin.lazy_pinyin`` runs it (a ``Pinyin`` over an ``UltimateConverter``
    with the default options), made once, its converter keeping each word's answer: a name is cut into words
    (surnames, given-name characters, phrases) that a district's names share by the thousand, and converting one
    (dictionary look-up, the style's rewriting) was most of a pulled petitioner's n-grams."""
    if not _PINYIN:
        from pypinyin import Style
        from pypinyin.converter import UltimateConverter
        from pypinyin.core import Pinyin

        class Remembering(UltimateConverter):
            def __init__(self) -> None:
                super().__init__()
                self.known: dict[tuple[Any, ...], list[list[str]]] = {}

            def convert(self, words: str, style: Style, heteronym: bool, errors: Callable[[str], str] | str,
                        strict: bool = True, **kwargs: Any) -> list[list[str]]:
                key = (words, style, heteronym, errors, strict, *sorted(kwargs.items()))
                found = self.known.get(key)
                if found is None:
                    found = super().convert(words, style, heteronym, errors, strict, **kwargs)
                    if len(self.known) >= MEMO_MAX:
                        self.known.clear()
                    self.known[key] = found
                return [list(item) for item in found]  # (a copy: the caller may change its lists)

        with _lock:
            if not _PINYIN:
                _PINYIN.append(Pinyin(Remembering()))
    return _PINYIN[0]


def name_grams(name: str) -> set[str]:
    chars = clean_name(name)
    grams = {chars[i:i + GRAM] for i in range(len(chars) - GRAM + 1)}
    py = initials(chars)
    if py:
        grams.add(INITIALS_PREFIX + py)
    return grams


def grams_of_query(text: str) -> list[str]:
    """The n-grams a name query must all have (a query of 2 characters is its own one n-gram)."""
    chars = clean_name(text)
    return sorted({chars[i:i + GRAM] for i in range(len(chars) - GRAM + 1)})


def rows(petitioner_id: str, name: str, id_number: str | None, phone: str | None, address: str | None = None,
         memo: Memo | None = None) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """The (token, id) and (gram, id) rows of one petitioner (``memo``: the tokens of the batch so far)."""
    return ([(t, petitioner_id) for t in secret_tokens(id_number, phone, address, memo)],
            [(g, petitioner_id) for g in name_grams(name)])


def all_rows(people: Iterable[tuple[str, str, str | None, str | None, str | None]]
             ) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """The rows of many petitioners, each suffix of the batch hashed once."""
    tok: list[tuple[int, str]] = []
    grams: list[tuple[str, str]] = []
    memo: Memo = {}
    for pid, name, id_number, phone, address in people:
        t, g = rows(pid, name, id_number, phone, address, memo)
        tok.extend(t)
        grams.extend(g)
    return tok, grams
