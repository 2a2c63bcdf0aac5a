"""Protection at rest: petitioners' ID numbers and phones encrypted with AES-GCM, looked up by a keyed blind index.

Why field encryption and not an encrypted database file: SQLCipher needs a custom SQLite build that pysqlite and
the PyInstaller bundle do not ship dependably on Windows; AES-GCM through ``cryptography`` (wheels for every
platform) protects exactly the identifying columns, keeps the rest of the database (and its WAL, backups and
migrations) ordinary SQLite, and keeps the history check an indexed equality lookup: the blind index is
HMAC-SHA256 of the normalised value under a second key, so equal values give equal index entries while the file
alone reveals nothing.

The key (32 random bytes) belongs to this installation, not to a database file. It is kept by the operating
system's protected store through ``keyring`` (Windows Credential Manager, protected by DPAPI under the user's
account); where no keyring backend exists (a headless Linux box, CI) it lives in a key file outside the data
directory (``RECEPTION_KEY_DIR``, else the per-user config folder), readable by its owner only. Two sub-keys are
derived with HKDF: one encrypts, one computes blind indexes. Ciphertext looks like ``enc1:<base64>`` so legacy
plaintext rows are recognised and encrypted on upgrade (``reception.security.atrest``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import String, TypeDecorator
from sqlalchemy.engine import Dialect

from reception import APP_NAME
from reception.domain.errors import ReceptionError

log = logging.getLogger(__name__)

PREFIX = "enc1:"
KEY_DIR_ENV = "RECEPTION_KEY_DIR"
KEYSTORE_ENV = "RECEPTION_KEYSTORE"
"""``auto`` (default: keyring when it has a backend, else the key file) or ``file`` (never ask keyring)."""
KEYRING_SERVICE = APP_NAME
KEYRING_USER = "data-key"
KEY_FILE = "data-key.b64"
BIDX_HEX = 32
"""Blind index length in hex digits (128 bits): no collisions in practice, half the index size of 256 bits."""


class DataKeyError(ReceptionError):
    key = "data_key"


@dataclass(frozen=True, slots=True)
class DataKeys:
    encrypt: bytes
    index: bytes
    source: str
    """Where the key came from: ``keyring`` or the key file's path."""

    def check_value(self) -> str:
        """A value stored in the database to notice at start-up that the key is not the one it was written with."""
        return hmac.new(self.index, b"reception-key-check", hashlib.sha256).hexdigest()[:16]


def _derive(master: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def key_dir() -> Path:
    env = os.environ.get(KEY_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=False)) / "keys"


def _keyring_usable() -> bool:
    if os.environ.get(KEYSTORE_ENV, "auto") == "file":
        return False
    try:
        return _keyring_backend() is not None
    except Exception:  # no backend, a broken D-Bus session, …: fall back to the file
        return False


def _keyring_backend() -> Any | None:
    """The keyring backend that keeps the key (set as keyring's own), or None: the key file.

    keyring's detection imports every backend it knows and asks each (on Linux the macOS one runs ``ldconfig``):
    50–200 ms of every start-up. The platform's own store is taken directly instead (Windows Credential Manager,
    the macOS Keychain), unless keyring is told otherwise (``PYTHON_KEYRING_BACKEND``, a ``keyringrc.cfg``, a
    backend already set in this process): then its detection decides, as before. Elsewhere every store keyring
    knows talks D-Bus, so a session with no D-Bus session bus (a headless box, CI) has none, and keyring is not
    even imported; with a bus, keyring's detection decides."""
    core = sys.modules.get("keyring.core")
    if core is None and sys.platform not in ("win32", "darwin") and not _session_bus_likely() \
            and not os.environ.get("PYTHON_KEYRING_BACKEND") and not _linux_keyring_config().is_file():
        return None
    import keyring
    from keyring.backends import fail

    chosen: Any
    configured = (getattr(keyring.core, "_keyring_backend", None) is not None
                  or os.environ.get("PYTHON_KEYRING_BACKEND") or keyring.core._config_path().is_file())  # type: ignore[no-untyped-call]
    if configured or sys.platform not in ("win32", "darwin"):
        chosen = keyring.get_keyring()
    else:
        if sys.platform == "win32":
            from keyring.backends.Windows import WinVaultKeyring as native
        else:
            from keyring.backends.macOS import Keyring as native
        try:
            viable = native.priority > 0  # (raises when the store's libraries are missing)
        except Exception:
            viable = False
        if not viable:
            chosen = keyring.get_keyring()  # (keyring's detection: whatever else it finds)
        else:
            chosen = native()
            keyring.set_keyring(chosen)
    if isinstance(chosen, fail.Keyring) or getattr(chosen, "priority", 0) <= 0:
        return None
    return chosen


def _session_bus_likely() -> bool:
    """A D-Bus session bus this process could reach: the address in the environment, the per-user socket, or a
    display (D-Bus may be started for an X session)."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and runtime != "" and Path(runtime, "bus").exists()


def _linux_keyring_config() -> Path:
    """keyring's configuration file on Linux (``keyring.util.platform_``), found without importing keyring."""
    root = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(root, "python_keyring", "keyringrc.cfg")


def _read_file(path: Path) -> bytes | None:
    if not path.is_file():
        return None
    raw = base64.b64decode(path.read_text(encoding="utf-8").strip())
    if len(raw) != 32:
        raise DataKeyError(f"数据密钥文件已损坏：{path}", key="data_key_corrupt")
    return raw


def _write_file(path: Path, master: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(base64.b64encode(master).decode("ascii"), encoding="utf-8")
    with contextlib.suppress(OSError):  # owner only (on Windows only the read-only flag: the folder is per-user)
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_master_key(*, create: bool = True) -> tuple[bytes, str]:
    """The installation's master key and where it came from; made on first use."""
    path = key_dir() / KEY_FILE
    if _keyring_usable():
        import keyring

        try:
            stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
            if stored:
                return base64.b64decode(stored), "keyring"
            from_file = _read_file(path)  # a key imported from a backup file moves into the protected store
            master = from_file or secrets.token_bytes(32)
            if from_file is None and not create:
                raise DataKeyError("没有找到数据密钥", key="data_key_missing")
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, base64.b64encode(master).decode("ascii"))
            return master, "keyring"
        except DataKeyError:
            raise
        except Exception:
            log.warning("keyring unavailable, using the key file")
    master_or_none = _read_file(path)
    if master_or_none is None:
        if not create:
            raise DataKeyError("没有找到数据密钥", key="data_key_missing")
        master_or_none = secrets.token_bytes(32)
        _write_file(path, master_or_none)
        log.info("a new data key was created (key file)")
    return master_or_none, str(path)


def store_master_key(master: bytes) -> str:
    """Put a master key (from a backup) where ``load_master_key`` finds it; returns where it went."""
    if len(master) != 32:
        raise DataKeyError("密钥备份文件无效（应为32字节密钥的Base64文本）", key="data_key_corrupt")
    encoded = base64.b64encode(master).decode("ascii")
    if _keyring_usable():
        import keyring

        try:
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, encoded)
            return "keyring"
        except Exception:
            log.warning("keyring unavailable, using the key file")
    path = key_dir() / KEY_FILE
    _write_file(path, master)
    return str(path)


_lock = threading.Lock()
_keys: DataKeys | None = None


def data_keys() -> DataKeys:
    """The process's data keys (loaded once; every database this installation opens uses them)."""
    global _keys
    with _lock:
        if _keys is None:
            master, source = load_master_key()
            _keys = DataKeys(_derive(master, b"reception/aes-gcm/v1"), _derive(master, b"reception/blind-index/v1"),
                             source)
        return _keys


def reset_keys() -> None:
    """Forget the loaded keys (tests switch key folders; an imported key takes effect)."""
    global _keys
    with _lock:
        _keys = None


_aead: list[Any] = []
"""The AES-GCM object for the loaded key (made once: a lookup decrypts dozens of values)."""


def _cipher() -> Any:
    keys = data_keys()
    if not _aead or _aead[0] is not keys:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        _aead[:] = [keys, AESGCM(keys.encrypt)]
    return _aead[1]


def encrypt(value: str, purpose: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _cipher().encrypt(nonce, value.encode("utf-8"), purpose.encode("ascii"))
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(stored: str, purpose: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # a row from before encryption (encrypted on upgrade: reception.security.atrest)
    from cryptography.exceptions import InvalidTag

    raw = base64.b64decode(stored[len(PREFIX):])
    try:
        return str(_cipher().decrypt(raw[:12], raw[12:], purpose.encode("ascii")).decode("utf-8"))
    except InvalidTag as exc:
        raise DataKeyError("无法解密个人信息：本机的数据密钥与数据库不匹配（请恢复原密钥，见 README“数据密钥”）",
                        key="data_key_mismatch") from exc


def blind_index(value: str | None, purpose: str) -> str | None:
    """HMAC-SHA256 of a normalised value (None stays None): equal values, equal index, value not recoverable."""
    if not value:
        return None
    digest = hmac.new(data_keys().index, purpose.encode("ascii") + b"\x00" + value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:BIDX_HEX]


class EncryptedString(TypeDecorator[str]):
    """A string column stored as AES-GCM ciphertext; ORM attributes and query results stay plaintext.

    ``purpose`` (e.g. ``petitioner.id_number``) is the associated data: a ciphertext copied into another column
    does not decrypt. Never compare such a column in SQL (each encryption differs): use its blind index.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int, purpose: str) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(PREFIX):
            return value
        return encrypt(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(value, self.purpose)
