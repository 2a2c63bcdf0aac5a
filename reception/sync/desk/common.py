"""What the parts of the desk's sync engine share: its error, the results it hands the UI, the running tally of a
cycle, and the client it talks through.

Nothing here imports the client (httpx) or the protocol's models (pydantic): the sync page and the status bar read
the desk's state through ``status`` without them; they are imported when a sync, an enrolment or a download runs
(``tests/ui/test_startup.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reception.db.migrate import SCHEMA_HEAD
from reception.db.models import SyncPeer
from reception.domain.errors import ReceptionError
from reception.domain.workcalendar import WorkCalendar

if TYPE_CHECKING:
    from reception.sync.client import SyncClient

log = logging.getLogger(__name__)


ClientFactory = Callable[[str, str], "SyncClient"]
"""(server URL, token) -> client; tests and the benchmark inject transports or protocol versions through it."""


def _default_client(url: str, token: str) -> SyncClient:
    from reception.sync.client import SyncClient

    return SyncClient(url, token, schema=SCHEMA_HEAD)


class SyncError(ReceptionError):
    """Sync could not run (not enrolled, refused by the server); the message is for the person at the desk."""


@dataclass(frozen=True, slots=True)
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    parked: int = 0
    """Mutations the server rejected in this cycle (kept, with the reason)."""
    new_conflicts: int = 0
    conflicts: int = 0
    """Open conflicts remaining after the cycle."""
    collisions: int = 0
    held: int = 0
    """Pulled records not applied because this desk has pending changes to them."""
    pending: int = 0
    warnings: tuple[str, ...] = ()
    error: str = ""
    ok: bool = True

    def summary(self) -> str:
        text = (f"已上传 {self.pushed} 条，已下载 {self.pulled} 条，本次搁置 {self.parked} 条，"
                f"待上传 {self.pending} 条，未解决冲突 {self.conflicts} 个")
        if self.collisions:
            text += f"，案件编号重复 {self.collisions} 个"
        return text


@dataclass(frozen=True, slots=True)
class SyncStatus:
    enrolled: bool
    server_url: str = ""
    desk_code: str = ""
    pending: int = 0
    oldest_pending: datetime | None = None
    parked: int = 0
    conflicts: int = 0
    offline_since: datetime | None = None
    last_error: str = ""
    last_success_at: datetime | None = None
    clock_skew_s: int | None = None

    @property
    def clock_warning(self) -> str:
        if self.clock_skew_s is None:
            return ""
        from reception.sync.protocol import CLOCK_SKEW_WARN_S

        if abs(self.clock_skew_s) > CLOCK_SKEW_WARN_S:
            return f"本机时钟与服务器相差约 {round(abs(self.clock_skew_s) / 60)} 分钟，请校准系统时间"
        return ""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    table: str
    record_id: str
    op: str
    created_at: datetime
    state: str
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class ConflictView:
    id: str
    kind: str
    table: str
    record_id: str
    local_data: dict[str, Any] | None
    server_data: dict[str, Any] | None
    server_version: int
    message: str
    detected_at: datetime
    state: str
    resolution: str
    differing: tuple[str, ...] = field(default=())
    """Columns whose values differ between the two sides (what a person must decide)."""


@dataclass(frozen=True, slots=True)
class EnrollResult:
    desk_code: str
    desk_id: str
    server_id: str
    token_store: str
    uploaded: int
    report: SyncReport | None


@dataclass
class _Tally:
    pushed: int = 0
    pulled: int = 0
    parked: int = 0
    new_conflicts: int = 0
    collisions: int = 0
    held: int = 0
    warnings: list[str] = field(default_factory=list)
    calendar: WorkCalendar | None = None
    """The working-day calendar a batch being applied read anew (``pull._recompute_all_clocks``): it becomes
    ``ctx.calendar`` when that batch commits."""


def _peer(session: Session) -> SyncPeer:
    peer = session.get(SyncPeer, 1)
    if peer is None:
        raise SyncError("本工位尚未登记到服务器（reception enroll）", key="not_enrolled")
    return peer
