"""Settings for the whole test run: the data key lives in a throwaway folder, never in the user's keyring."""

from __future__ import annotations

import os
import tempfile


def pytest_configure() -> None:
    # protection at rest (reception.security.crypto): a key file in a temporary folder, one key for the run
    os.environ["RECEPTION_KEYSTORE"] = "file"
    os.environ.setdefault("RECEPTION_KEY_DIR", tempfile.mkdtemp(prefix="reception-test-keys-"))
