"""Test-wide setup that must happen before Qt is imported: run Qt headless unless told otherwise; the data key
(protection at rest, ``reception.security.crypto``) lives in a throwaway folder, never in the user's keyring."""

from __future__ import annotations

import os
import select
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["RECEPTION_KEYSTORE"] = "file"
os.environ.setdefault("RECEPTION_KEY_DIR", tempfile.mkdtemp(prefix="reception-test-keys-"))
# the sync server's own data key (``reception.server.protect``), shared by the test process and its servers
os.environ.setdefault("RECEPTION_SERVER_KEY_FILE", os.path.join(os.environ["RECEPTION_KEY_DIR"], "server-data.key"))


def _sleep_by_select(seconds: float) -> None:
    select.select([], [], [], seconds)


# Under libfaketime 0.9.10 (Debian 12) with FAKETIME_DONT_FAKE_MONOTONIC=1, as the CI step ``dated`` runs the
# date-sensitive tests (.ci/run), clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), which time.sleep uses, fails with
# EINVAL; select's relative timeout is not faked. (Faking the monotonic clock instead hangs every timed lock wait.)
if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    time.sleep = _sleep_by_select
