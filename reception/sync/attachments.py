"""The handling units' attachments (处理意见书 scans, photos) at a desk: listed from the case's events, fetched from
the central server on demand (they are not synced: a desk downloads one when someone opens it).

A unit's upload at ``/unit`` (``reception.server.unit_work``) is recorded as a case event (``unit_attachment``, or a
``unit_progress`` note with files) naming each file's id, name, type, size and SHA-256; ``download`` asks the server
for the bytes (``GET /sync/attachments/{id}`` with the desk's token) and checks them against that digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from reception.context import AppContext
from reception.db.models import CaseEvent, SyncPeer
from reception.domain.errors import ReceptionError
from reception.sync import credentials
from reception.sync.desk.common import ClientFactory, _default_client

if TYPE_CHECKING:
    from reception.sync.client import SyncClient

KINDS = ("unit_attachment", "unit_progress")


@dataclass(frozen=True, slots=True)
class Attachment:
    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    by: str


def case_attachments(ctx: AppContext, case_id: str) -> list[Attachment]:
    """The files the handling unit attached to the case, oldest first."""
    out: list[Attachment] = []
    with ctx.db.read() as s:
        for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(KINDS))
                           .order_by(CaseEvent.occurred_at)):
            data = e.data or {}
            for f in data.get("attachments") or []:
                if isinstance(f, dict) and f.get("id"):
                    out.append(Attachment(str(f["id"]), str(f.get("name", "")), str(f.get("type", "")),
                                          int(f.get("size") or 0), str(f.get("sha256", "")), e.occurred_at,
                                          str(data.get("unit_user", ""))))
    return out


def download(ctx: AppContext, attachment: Attachment, *, client_factory: ClientFactory = _default_client) -> bytes:
    """The attachment's bytes from the server, checked against the digest the unit's event recorded; a
    ``ReceptionError`` with the reason in Chinese (not enrolled, offline, refused, altered)."""
    from reception.sync.client import SyncRefused, SyncTransportError  # (httpx: only when something is downloaded)

    with ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        if peer is None:
            raise ReceptionError("本工位未登记到服务器，无法下载责任单位的附件", key="not_enrolled")
        url, client_id, store = peer.server_url, peer.client_id, peer.token_store
    try:
        token = credentials.load_token(ctx.paths.root, client_id, store)
        client: SyncClient
        with client_factory(url, token) as client:
            content = client._request("GET", f"/sync/attachments/{attachment.id}").content
    except (SyncTransportError, SyncRefused) as exc:
        raise ReceptionError(f"无法下载附件“{attachment.name}”：{exc}", key="attachment_download") from exc
    if attachment.sha256 and hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise ReceptionError(f"附件“{attachment.name}”与责任单位上传时的内容不符，未保存", key="attachment_digest")
    return content
