"""The desk's sync engine: enrolment (``enrol``), one sync cycle (``cycle``: handshake, ``push``, ``pull``), status
and conflict resolution (``status``); ``common`` holds what they share.

One cycle: a handshake (protocol and schema versions, the server's identity and clock); then the outbox is pushed
in batches in outbox order, each answer stored in one write transaction (applied rows leave the outbox, conflicts
are stored with both sides, rejected rows are parked with the server's reason); then records changed on the server
are pulled by sequence number and applied THROUGH THE ORM, each batch and the cursor in one transaction. A record
with pending local changes (or an open conflict) is never overwritten by a pull: the push decides, as a conflict.

The functions return plain dataclasses for the UI (``sync_once``, ``sync_status``, ``list_outbox``,
``list_conflicts``, ``resolve_conflict``) and never hold a transaction across a network call.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reception.sync.desk.common import (
    ClientFactory,
    ConflictView,
    EnrollResult,
    OutboxItem,
    SyncError,
    SyncReport,
    SyncStatus,
)
from reception.sync.desk.status import (
    audit_against_server,
    list_conflicts,
    list_outbox,
    resolve_conflict,
    retry_parked,
    sync_status,
)

if TYPE_CHECKING:
    from reception.sync.desk.cycle import pulled_schema_mark, schema_mark, sync_once
    from reception.sync.desk.enrol import enroll

_NETWORK = {"pulled_schema_mark": "cycle", "schema_mark": "cycle", "sync_once": "cycle", "enroll": "enrol"}
"""What talks to the server (the cycle, the enrolment: httpx and the protocol's pydantic models) is imported on
first use: the sync page and the status bar only read the desk's state (``status``)."""


def __getattr__(name: str) -> Any:
    module = _NETWORK.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ClientFactory",
    "ConflictView",
    "EnrollResult",
    "OutboxItem",
    "SyncError",
    "SyncReport",
    "SyncStatus",
    "audit_against_server",
    "enroll",
    "list_conflicts",
    "list_outbox",
    "pulled_schema_mark",
    "resolve_conflict",
    "retry_parked",
    "schema_mark",
    "sync_once",
    "sync_status",
]
