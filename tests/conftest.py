"""Test-wide setup that must happen before Qt is imported: run Qt headless unless told otherwise; the data key
(protection at rest, ``reception.security.crypto``) lives in a throwaway folder, never in the user's keyring."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["RECEPTION_KEYSTORE"] = "file"
os.environ.setdefault("RECEPTION_KEY_DIR", tempfile.mkdtemp(prefix="reception-test-keys-"))
# the sync server's own data key (``reception.server.protect``), shared by the test process and its servers
os.environ.setdefault("RECEPTION_SERVER_KEY_FILE", os.path.join(os.environ["RECEPTION_KEY_DIR"], "server-data.key"))
