"""Where a desk keeps its long-lived token: the operating system's credential store (Windows Credential Manager
through ``keyring``), or, when no credential store exists (a Linux box without a keyring daemon, CI), a file in the
data directory readable only by its owner. Never in the database, never in a log.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from reception.domain.errors import ReceptionError

log = logging.getLogger(__name__)

SERVICE = "reception-desk-sync"
STORE_ENV = "RECEPTION_TOKEN_STORE"
"""Set to ``file`` to skip the credential store (portable installs, tests)."""


def token_file(data_dir: Path) -> Path:
    return data_dir / "sync" / "token"


def store_token(data_dir: Path, client_id: str, token: str) -> str:
    """Keep the token; returns where (``keyring`` or ``file``)."""
    if os.environ.get(STORE_ENV, "").lower() != "file":
        try:
            import keyring
            from keyring.errors import KeyringError

            try:
                keyring.set_password(SERVICE, client_id, token)
                if keyring.get_password(SERVICE, client_id) == token:
                    return "keyring"
            except KeyringError as exc:
                log.info("no usable credential store (%s): the token goes to a protected file", type(exc).__name__)
        except ImportError:  # pragma: no cover - keyring is a dependency
            pass
    path = token_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
    with contextlib.suppress(OSError):
        path.chmod(0o600)  # (on Windows only the read-only bit applies; the file is in the user's own profile)
    return "file"


def load_token(data_dir: Path, client_id: str, store: str) -> str:
    if store == "keyring":
        import keyring
        from keyring.errors import KeyringError

        try:
            token = keyring.get_password(SERVICE, client_id)
        except KeyringError:
            token = None
        if token:
            return token
        raise ReceptionError("系统凭据库中找不到本工位的同步令牌，请重新登记（reception enroll）。",
                             key="token_missing")
    path = token_file(data_dir)
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ReceptionError("找不到本工位的同步令牌文件，请重新登记（reception enroll）。",
                             key="token_missing") from exc

