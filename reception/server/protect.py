"""Personal data at rest on the server: the fields the desks encrypt are stored sealed on the server as well.

A desk encrypts its petitioners' ID numbers and phones (``EncryptedString`` columns, ``reception.security``) but
sends them to the server as plain values inside each record (over TLS): the server needs them to hand the record
to the other desks. Without this module the server's ``record.data`` would keep them readable to anyone with a
dump of the server database. Here every such field is sealed with AES-GCM under the server's own key before it
is written, and opened again when a record is read for a desk (a pull, a conflict answer), so the database, its
backups and its dumps hold ``senc1:<base64>`` where the numbers were. The fields are found from the desk schema
(every ``EncryptedString`` column), so a column encrypted at the desks later is sealed here without a change.

The key is 32 random bytes in a file next to the server's data (``server-data.key`` in the server directory, or
``$RECEPTION_SERVER_KEY_FILE``), created on first start and readable by its owner only. With PostgreSQL the file
stays on the application host while the data lives in the database server: a database dump alone reveals no
number. Back the file up with the database (without it the sealed numbers cannot be read; the desks keep their
own copies). Values are compared only after opening (the batch logic works on plain values in memory).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

PREFIX = "senc1:"
KEY_FILE = "server-data.key"
KEY_FILE_ENV = "RECEPTION_SERVER_KEY_FILE"


def key_path(server_dir: Path) -> Path:
    env = os.environ.get(KEY_FILE_ENV)
    return Path(env).expanduser().resolve() if env else server_dir / KEY_FILE


def load_key(path: Path) -> bytes:
    """The server's data key from ``path``; a new random key is written there (owner-only) if there is none."""
    if path.exists():
        key = base64.b64decode(path.read_text(encoding="utf-8").strip())
        if len(key) != 32:
            raise ValueError(f"服务器数据密钥文件损坏：{path}")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(base64.b64encode(key).decode("ascii") + "\n")
    with contextlib.suppress(OSError):  # (on Windows the folder's ACL protects it; chmod only sets read-only)
        path.chmod(0o600)
    return key


class Sealer:
    """Seals and opens the personal fields of records (wire dicts) for one server key."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        from reception.db.models import encrypted_columns  # the desk schema's (every table registered)

        self.fields = encrypted_columns()

    def seal(self, table: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
        """A copy of ``data`` with its personal fields sealed (``data`` itself is left as it is)."""

        def seal_one(value: str, purpose: bytes) -> str:
            if value.startswith(PREFIX):
                return value
            nonce = secrets.token_bytes(12)
            return PREFIX + base64.b64encode(nonce + self._aead.encrypt(nonce, value.encode("utf-8"), purpose)
                                             ).decode("ascii")

        return self._each(table, data, seal_one)

    def open(self, table: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
        """A copy of ``data`` with its sealed fields opened (plain values, e.g. from before sealing, pass)."""

        def open_one(value: str, purpose: bytes) -> str:
            if not value.startswith(PREFIX):
                return value
            try:
                raw = base64.b64decode(value[len(PREFIX):], validate=True)
                return str(self._aead.decrypt(raw[:12], raw[12:], purpose).decode("utf-8"))
            except (ValueError, InvalidTag):
                # not a value this server sealed (e.g. one a desk of an earlier version pushed that merely looked
                # sealed): handed on as it is, so the desk parks that record instead of the pull failing for all
                return value

        return self._each(table, data, open_one)

    def open_text(self, table: str, data: str | None) -> str:
        """``open`` for a record stored as JSON text (``None``: SQL NULL), answered as JSON text: the text as it is
        unless the table has personal fields and the text holds a sealed value (``senc1:``; the server writes JSON
        with its own encoder, which never escapes ASCII letters), else decoded, opened and encoded again."""
        if data is None:
            return "null"
        if PREFIX not in data or not self.fields.get(table):
            return data
        return json.dumps(self.open(table, json.loads(data)), ensure_ascii=False, separators=(",", ":"))

    def _each(self, table: str, data: dict[str, Any] | None,
              change: Callable[[str, bytes], str]) -> dict[str, Any] | None:
        """A copy of ``data`` with ``change(value, purpose)`` applied to each non-empty personal field."""
        names = self.fields.get(table)
        if not names or not data:
            return data
        out = dict(data)
        for name in names:
            value = out.get(name)
            if isinstance(value, str) and value:
                out[name] = change(value, f"{table}.{name}".encode("ascii"))
        return out

    def is_sealed(self, table: str, data: dict[str, Any] | None) -> bool:
        names = self.fields.get(table)
        if not names or not data:
            return True
        return all(not isinstance(data.get(n), str) or not data.get(n) or str(data[n]).startswith(PREFIX)
                   for n in names)
