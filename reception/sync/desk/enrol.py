"""Enrolment: register this desk with the server by a one-time code, adopt the desk the server names, and queue
everything this desk holds that the server must have (the first upload)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.models import Desk, SyncPeer, User
from reception.db.settings import DeskSettings, load_desk_settings, save_desk_settings
from reception.domain.enums import Role
from reception.sync import credentials
from reception.sync.client import SyncRefused, SyncTransportError
from reception.sync.desk.common import ClientFactory, EnrollResult, SyncError, _default_client
from reception.sync.desk.cycle import _enqueue_everything, pulled_schema_mark, sync_once
from reception.sync.outbox import outbox_state
from reception.sync.protocol import PROTOCOL_VERSION, EnrollReply, EnrollRequest

log = logging.getLogger(__name__)


def enroll(ctx: AppContext, server_url: str, code: str, *, officer: str | None = None,
           client_factory: ClientFactory = _default_client, first_sync: bool = True) -> EnrollResult:
    """Enrol this desk with the one-time code; keeps the token, adopts the server's desk code, uploads what exists."""
    with ctx.db.read() as session:
        if session.get(SyncPeer, 1) is not None:
            raise SyncError("本工位已经登记到服务器；如需重新登记，请先由管理员停用原工位。", key="already_enrolled")
        settings = load_desk_settings(session)
        desk = session.get(Desk, settings.desk_id) if settings.desk_id else None
        request = EnrollRequest(code=code, protocol=PROTOCOL_VERSION, desk_id=desk.id if desk else None,
                                name=desk.name if desk else "", unit_name=desk.unit_name if desk else "")
    with client_factory(server_url, "") as client:
        try:
            reply = EnrollReply.model_validate(client.request("POST", "/enroll", json=request.model_dump()))
        except SyncRefused as exc:
            raise SyncError(exc.message, key="enroll_refused") from exc
        except SyncTransportError as exc:
            text = str(exc)
            if not text.startswith("服务器暂时无法处理"):  # (a 503 says why; anything else is the network)
                text = f"无法连接服务器 {server_url}：{text}"
            raise SyncError(text, key="server_unreachable") from exc
    store = credentials.store_token(ctx.paths.root, reply.client_id, reply.token)
    uploaded = 0
    with ctx.db.write() as session:
        session.add(SyncPeer(id=1, server_url=server_url, client_id=reply.client_id, desk_code=reply.desk_code,
                             server_id=reply.server_id, cursor=0, token_store=store, enrolled_at=utcnow(),
                             schema_head=pulled_schema_mark()))
        if desk is not None:
            local = session.get(Desk, desk.id)
            if local is not None:
                local.code = reply.desk_code  # new case numbers carry the server's unique desk code
        _rename_default_officer(session, reply.desk_code)
        uploaded = _enqueue_everything(session)
    outbox_state(ctx.db).enabled = True
    report = sync_once(ctx, client_factory=client_factory) if first_sync else None
    _adopt_desk(ctx, reply.desk_id, officer)
    log.info("desk enrolled as %s (%d local records to upload)", reply.desk_code, uploaded)
    return EnrollResult(reply.desk_code, reply.desk_id, reply.server_id, store, uploaded, report)


def _rename_default_officer(session: Session, desk_code: str) -> None:
    """The default officer every standalone desk creates is called ``desk``: make it unique before it goes up."""
    settings = load_desk_settings(session)
    user = session.get(User, settings.officer_id) if settings.officer_id else None
    if user is not None and user.username == "desk":
        user.username = f"desk-{desk_code.lower()}"


def _adopt_desk(ctx: AppContext, desk_id: str, officer: str | None) -> None:
    """Select the server's desk row (and an officer) in this PC's settings, once they have been pulled."""
    with ctx.db.write() as session:
        settings = load_desk_settings(session)
        if session.get(Desk, desk_id) is None:
            return
        officer_id = ""
        if settings.officer_id and session.get(User, settings.officer_id) is not None:
            officer_id = settings.officer_id
        if officer:
            found = session.scalar(select(User.id).where(User.username == officer))
            if found is None:
                raise SyncError(f"服务器上没有登录名为“{officer}”的人员", key="officer_unknown")
            officer_id = found
        if not officer_id:
            officer_id = session.scalar(select(User.id).where(User.role == Role.DESK_OFFICER.value,
                                                              User.active.is_(True)).order_by(User.username)) or ""
        save_desk_settings(session, DeskSettings(desk_id=desk_id, officer_id=officer_id,
                                                 receipt_layout=settings.receipt_layout,
                                                 query_hint=settings.query_hint,
                                                 roll_deadline_to_workday=settings.roll_deadline_to_workday))
