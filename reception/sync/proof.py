"""Proof of an administrator (or of an account's own holder) on a pushed mutation: Ed25519 signatures.

A desk token identifies a PC, not a person, so the server applies a change to accounts or to the centre's reference
data (``registry.ADMIN_TABLES``) only when the mutation carries a signature it can check (``reception.server
.authority``). Each account's key pair is derived from its password (Argon2id over the password, salted with the
account's id, gives the Ed25519 seed): the desk can sign only while it holds the password, i.e. while that person is
signed in, and the private key is never stored anywhere. The server knows public keys only:

- an administrator's key is registered on the server by the server's own command, ``reception server trust-admin
  USERNAME`` (the password is typed at the server console and checked against the account's hash there; the key's
  fingerprint is shown, and ``reception user signing-key NAME`` shows the same fingerprint at a desk);
- a change to an account signed by a trusted key may name the account's next key (``next_key``: the key of the
  password the change sets), so a password set by an administrator, or changed by its holder, moves the key on.

What is signed: SHA-256 over a canonical JSON of the mutation's id, table, record id, operation, base version and
data (``mutation_digest``), so a signature cannot be moved to another change or another record.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_CONTEXT = b"reception-account-key-v1:"
SIGNERS_KEY = "reception.sync.signers"
"""``session.info``: (table, record id) -> Signer for one change (a person changing their own password signs it
with the key of their old password)."""
NEXT_KEYS = "reception.sync.next_keys"
"""``session.info``: user id -> the public key of the password this transaction sets for that account."""


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
"""The canonical JSON of a digest (``json.dumps`` with these options builds this encoder on every call: the server
digests every pushed mutation). Its output must never change: desks and servers of other versions compare it."""


def content_digest(table: str, record_id: str, op: str, base_version: int, data: dict[str, Any] | None) -> str:
    """SHA-256 (hex) of a mutation's content: what the server binds a mutation id to (idempotency)."""
    text = _CANONICAL.encode([table, record_id, op, int(base_version), data])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """``value`` in the canonical JSON ``content_digest`` hashes (keys sorted, compact, UTF-8 characters as they
    are): valid JSON text for any JSON value a push can carry, so the server can also store it as the record."""
    return _CANONICAL.encode(value)


_PLAIN_HEAD = re.compile(r'[^"\\\x00-\x1f]*\Z')
"""Strings the canonical JSON writes between quotes as they are (no quote, backslash or control character)."""


def content_digest_of(table: str, record_id: str, op: str, base_version: int, data_json: str) -> str:
    """``content_digest`` for data already in canonical JSON (``canonical_json(data)``): the same digest, with the
    data encoded once for the digest and the stored record (the server digests every pushed mutation)."""
    if _PLAIN_HEAD.match(table + record_id + op):
        head = f'["{table}","{record_id}","{op}",{int(base_version)},'
    else:
        head = _CANONICAL.encode([table, record_id, op, int(base_version)])[:-1] + ","
    return hashlib.sha256(f"{head}{data_json}]".encode()).hexdigest()


def mutation_digest(mutation_id: str, table: str, record_id: str, op: str, base_version: int,
                    data: dict[str, Any] | None) -> bytes:
    """The bytes a proof signs: the content digest bound to the mutation id."""
    return hashlib.sha256(f"{mutation_id}\n{content_digest(table, record_id, op, base_version, data)}"
                          .encode("ascii")).digest()


def derive_private_key(user_id: str, password: str) -> Ed25519PrivateKey:
    from argon2.low_level import Type, hash_secret_raw

    salt = hashlib.sha256(KEY_CONTEXT + user_id.encode("utf-8")).digest()[:16]
    seed = hash_secret_raw(password.encode("utf-8"), salt, time_cost=2, memory_cost=19456, parallelism=1,
                           hash_len=32, type=Type.ID)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def public_key_for(user_id: str, password: str) -> str:
    """The account's public key (base64 of the 32 raw bytes) for this password."""
    return public_text(derive_private_key(user_id, password).public_key())


def fingerprint(public_key: str) -> str:
    """A short form to compare by eye: the first 16 hex digits of the key's SHA-256, in groups of four."""
    digest = hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Signer:
    """An account's private key, held in memory while its holder is signed in."""

    user_id: str
    key: Ed25519PrivateKey

    @classmethod
    def of(cls, user_id: str, password: str) -> Signer:
        return cls(user_id, derive_private_key(user_id, password))

    @property
    def public_key(self) -> str:
        return public_text(self.key.public_key())

    def proof(self, mutation_id: str, table: str, record_id: str, op: str, base_version: int,
              data: dict[str, Any] | None, *, next_key: str | None = None) -> dict[str, Any]:
        sig = self.key.sign(mutation_digest(mutation_id, table, record_id, op, base_version, data))
        out: dict[str, Any] = {"by": self.user_id, "key": self.public_key,
                               "sig": base64.b64encode(sig).decode("ascii")}
        if next_key:
            out["next_key"] = next_key
        return out


def verify(public_key: str, signature: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(base64.b64decode(signature),
                                                                                message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
