"""An SMS gateway for the ``reception server unit-reminders --gateway tests.web.sms_file_gateway:gateway`` test: each
message it is asked to send is appended as one JSON line (phone, text) to the file ``$RECEPTION_TEST_SMS_LOG``, so
the test reads back exactly what the command handed to the notifier. A phone listed in ``$RECEPTION_TEST_SMS_FAIL``
(comma-separated) is refused, as a real gateway may."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reception.lifecycle.notify import GatewayError


class FileGateway:
    def __init__(self, path: Path, failing: set[str]) -> None:
        self.path = path
        self.failing = failing

    def send(self, phone: str, text: str) -> str:
        if phone in self.failing:
            raise GatewayError("短信网关拒绝发送")
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"phone": phone, "text": text}, ensure_ascii=False) + "\n")
        return f"file-{phone[-4:]}"


def gateway() -> FileGateway:
    failing = {p for p in os.environ.get("RECEPTION_TEST_SMS_FAIL", "").split(",") if p}
    return FileGateway(Path(os.environ["RECEPTION_TEST_SMS_LOG"]), failing)
