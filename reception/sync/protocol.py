"""The wire format between desks and the central server (pydantic models shared by both sides).

``PROTOCOL_VERSION`` changes when the meaning of a message changes; the server refuses desks older than
``MIN_PROTOCOL`` with a message the desk shows as is. Every request names its protocol in ``PROTOCOL_HEADER``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

PROTOCOL_VERSION = 1
MIN_PROTOCOL = 1
PROTOCOL_HEADER = "X-Reception-Protocol"
SCHEMA_HEADER = "X-Reception-Schema"
CLOCK_SKEW_WARN_S = 300
"""Warn when the desk's clock differs from the server's by more than five minutes (never used for ordering)."""
MAX_BATCH = 2000
MAX_PUSH_BYTES = 8 * 1024 * 1024
"""The largest push body the server reads (8 MiB); the desk splits its batches to stay under it."""
INT32_MAX = 2**31 - 1
"""Record versions are 32-bit integers in the server's tables (PostgreSQL ``integer``)."""
INT64_MAX = 2**63 - 1
"""Sequence numbers are 64-bit (``bigint``): a larger ``after`` overflowed the database driver (a 500)."""
PROTOCOL_MAX = 10_000

MutationOp = Literal["upsert", "delete", "ensure"]
MutationStatus = Literal["applied", "conflict", "rejected"]


class Hello(BaseModel):
    protocol: int = Field(ge=0, le=PROTOCOL_MAX)
    schema_head: str
    app_version: str = ""
    desk_time: datetime


class HelloReply(BaseModel):
    server_id: str
    server_time: datetime
    protocol: int
    min_protocol: int
    high_seq: int
    client_id: str
    desk_code: str
    desk_id: str


class Mutation(BaseModel):
    mutation_id: str = Field(min_length=8, max_length=36, pattern=r"^[A-Za-z0-9-]+$")
    table: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    record_id: str = Field(max_length=64)
    op: MutationOp
    base_version: int = Field(ge=0, le=INT32_MAX - 1)  # (the stored version is one more)
    data: dict[str, Any] | None = None
    desk_time: datetime | None = None
    proof: dict[str, Any] | None = None
    """An administrator's (or the account holder's) signature for accounts and reference data
    (``reception.sync.proof``): {"by": user id, "key": public key, "sig": signature, "next_key"?}."""


class MutationResult(BaseModel):
    mutation_id: str
    status: MutationStatus
    version: int = 0
    reason: str = ""
    code: int = 0
    """For a rejected mutation, the HTTP-like status of the refusal: 400 malformed, 403 not allowed for this
    desk, 409 a mutation id reused with other content or by another desk."""
    server_data: dict[str, Any] | None = None
    server_deleted: bool = False
    collision: dict[str, Any] | None = None
    """A case number the server already had for another case: {"case_no", "other_id"} (stored, not refused)."""


class AnswerUnreadable(ValueError):
    """A push answer that is not one of a reception server (the desk tries again later)."""


@dataclass(slots=True)
class PushAnswer:
    """The server's answer to one pushed mutation: the one type both sides build and read. ``MutationResult`` is
    its description in the API's OpenAPI document (``tests/unit/sync/test_protocol_answer.py`` keeps the two alike);
    the push's hot path uses this light form instead, thousands per batch, without a pydantic model each. On the
    wire and in the server's store it is ``wire()``: a plain dict without the default fields."""

    mutation_id: str
    status: str
    """A ``MutationStatus``."""
    version: int = 0
    reason: str = ""
    code: int = 0
    server_data: dict[str, Any] | None = None
    server_deleted: bool = False
    collision: dict[str, Any] | None = None

    @classmethod
    def of(cls, r: dict[str, Any]) -> PushAnswer:
        """Read one answer of the wire form (raises ``AnswerUnreadable``, ``KeyError`` or ``TypeError``)."""
        status = str(r["status"])
        if status not in ("applied", "conflict", "rejected"):
            raise AnswerUnreadable(f"服务器的应答无法识别（{status[:20]}）")
        return cls(str(r["mutation_id"]), status, int(r.get("version") or 0), str(r.get("reason") or ""),
                   int(r.get("code") or 0), r.get("server_data"), bool(r.get("server_deleted")), r.get("collision"))

    def wire(self) -> dict[str, Any]:
        """The wire form: ``mutation_id`` and ``status``, and only the other fields that are set."""
        out: dict[str, Any] = {"mutation_id": self.mutation_id, "status": self.status}
        for name in _ANSWER_EXTRAS:
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


_ANSWER_EXTRAS = ("version", "reason", "code", "server_data", "server_deleted", "collision")


class PushRequest(BaseModel):
    mutations: list[Mutation] = Field(max_length=MAX_BATCH)


class PushReply(BaseModel):
    server_id: str
    results: list[MutationResult]


class PulledRecord(BaseModel):
    seq: int
    table: str
    record_id: str
    version: int
    deleted: bool
    data: dict[str, Any] | None
    origin: str = ""


class PullReply(BaseModel):
    server_id: str
    records: list[PulledRecord]
    high_seq: int
    more: bool
    cursor: int
    """The last sequence number this answer covers (records of the asking desk itself may have been left out)."""


class EnrollRequest(BaseModel):
    code: str = Field(min_length=4, max_length=64)
    protocol: int = Field(ge=0, le=PROTOCOL_MAX)
    desk_id: str | None = Field(default=None, max_length=36)
    """The desk row this PC already has (kept, so its cases keep their desk); None: the server makes one."""
    name: str = Field(default="", max_length=100)
    unit_name: str = Field(default="", max_length=100)


class EnrollReply(BaseModel):
    server_id: str
    client_id: str
    desk_code: str
    desk_id: str
    token: str


class UnitEventIn(BaseModel):
    """A handling unit's progress on a case (办理进展), posted through the unit API."""

    kind: Literal["unit_progress", "unit_feedback"] = "unit_progress"
    note: str = Field(min_length=1, max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict, max_length=50)


class UnitCase(BaseModel):
    case_id: str
    case_no: str
    status: str
    registered_on: str
    request: str


class UnitEventReply(BaseModel):
    event_id: str
    case_id: str
    seq: int


class AuditHeadOut(BaseModel):
    chain: str
    seq: int
    hash: str


class AuditHeadsReply(BaseModel):
    """The newest audit entry the server holds of each chain the calling desk pushed (its verify compares)."""

    heads: list[AuditHeadOut]
