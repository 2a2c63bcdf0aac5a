"""告知信访人: notices from templates into an outbox, and a pluggable SMS gateway that sends them.

Each event the law says the petitioner must be told about (routing, acceptance or not, extension, the reply, the
review and re-check steps) puts one notice in the ``notification`` table, in the same transaction as the event.
The text carries the case number and query code, never an ID number or a name of the accused; the phone number is
looked up only when sending. ``send_pending`` hands pending notices to an ``SmsGateway`` and marks each sent or
failed; the default ``RecordingGateway`` only records what would have been sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import new_id
from reception.db.models import Case, Notification, Petitioner, Unit, Visit, VisitPerson
from reception.domain.enums import ContentClass
from reception.security.permissions import EVERYTHING, CaseScope, Permission, case_scope, require

log = logging.getLogger(__name__)

SIGNATURE = "【区信访接待中心】"

TEMPLATES: Mapping[str, str] = {
    "routed": "您反映的信访事项（编号{case_no}）已于{date}{action}{unit}办理，"
              "有关单位将自收到之日起15日内告知是否受理。查询码{query_code}。",
    "accepted": "您反映的信访事项（编号{case_no}）已于{date}受理，"
                "将自受理之日起{limit}内办结并书面答复。查询码{query_code}。",
    "not_accepted": "您反映的信访事项（编号{case_no}）不予受理。理由：{reason}。"
                    "请通过{channel}依法提出。查询码{query_code}。",
    "extended": "您反映的信访事项（编号{case_no}）因{reason}，经批准延期{days}日办理，"
                "办理期限延至{due}。查询码{query_code}。",
    "replied": "您反映的信访事项（编号{case_no}）已出具处理意见书（{outcome}）。如不服，可自收到之日起30日内请求复查。"
               "请凭查询码{query_code}对办理情况进行评价。",
    "replied_on_spot": "您反映的信访事项（编号{case_no}）已由接访领导于{date}当面答复（{outcome}）。"
                       "请凭查询码{query_code}对答复情况进行评价。",
    "review_requested": "您对信访事项（编号{case_no}）的复查请求已于{date}收到，将自收到之日起30日内提出复查意见。"
                        "查询码{query_code}。",
    "review_decided": "您的信访事项（编号{case_no}）复查意见已作出（{outcome}）。如不服，可自收到之日起30日内请求复核。"
                      "查询码{query_code}。",
    "recheck_requested": "您对信访事项（编号{case_no}）的复核请求已于{date}收到，将自收到之日起30日内提出复核意见。"
                         "查询码{query_code}。",
    "recheck_decided": "您的信访事项（编号{case_no}）复核意见已作出（{outcome}）。信访人仍以同一事实和理由提出的，"
                       "不再受理。查询码{query_code}。",
}  # fmt: skip
"""One template per event the petitioner must be told about. Placeholders: case_no, query_code, date and the
event's own (unit, reason, channel, days, due, outcome, limit, action)."""


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def render_notice(template: str, case_no: str, query_code: str, on: date, values: Mapping[str, Any]) -> str:
    """The text of a notice (the signature first, as SMS gateways require)."""
    fields = {"case_no": case_no, "query_code": query_code, "date": _cn(on), "unit": "", "reason": "",
              "channel": "", "days": "", "due": "", "outcome": "", "limit": "60日", "action": "交办"}
    fields.update({k: str(v) for k, v in values.items()})
    return SIGNATURE + TEMPLATES[template].format(**fields)


def petitioner_of(session: Session, case_id: str) -> str | None:
    """The first petitioner of the case's first visit (the one the notice goes to)."""
    return session.scalar(
        select(VisitPerson.petitioner_id)
        .join(Visit, Visit.id == VisitPerson.visit_id)
        .where(Visit.case_id == case_id)
        .order_by(Visit.visit_no, VisitPerson.position)
        .limit(1)
    )


def enqueue(session: Session, case: Case, template: str, event_id: str, on: date, now: datetime,
            values: Mapping[str, Any]) -> Notification:
    """Put one notice in the outbox (inside the caller's transaction)."""
    values = dict(values)
    if template == "routed":
        unit = session.get(Unit, values.pop("unit_id", "") or "")
        # an accusation's handling unit is not named in a text message
        restricted = case.content_class == ContentClass.ACCUSATION.value
        values["unit"] = "有关单位" if restricted or unit is None else unit.name
    text = render_notice(template, case.case_no, case.query_code, on, values)
    row = Notification(id=new_id(), case_id=case.id, event_id=event_id, template=template,
                       petitioner_id=petitioner_of(session, case.id), text=text, status="pending", created_at=now)
    session.add(row)
    return row


# --- the gateway ----------------------------------------------------------------------------------------------


class GatewayError(Exception):
    """The gateway refused or failed to send one message (the reason is safe to store: no personal data)."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Send one message; return the gateway's message id, or raise ``GatewayError``."""
        ...


@dataclass
class RecordingGateway:
    """The default gateway: sends nothing, records what would have been sent (phone, text)."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_phones: set[str] = field(default_factory=set)
    """Phones for which ``send`` fails (for tests)."""

    def send(self, phone: str, text: str) -> str:
        if phone in self.fail_phones:
            raise GatewayError("短信网关拒绝发送")
        self.sent.append((phone, text))
        return f"rec-{len(self.sent)}"


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int
    failed: int


def send_pending(ctx: AppContext, gateway: SmsGateway, *, limit: int = 200, retry_failed: bool = False,
                 actor_id: str | None = None) -> SendReport:
    """Send the oldest pending notices (and failed ones when ``retry_failed``), marking each sent or failed.
    ``actor_id`` must hold ``NOTIFY`` (None: the system's background job)."""
    return _send(ctx, gateway, ["pending", "failed"] if retry_failed else ["pending"], limit=limit, actor_id=actor_id)


def resend_failed(ctx: AppContext, gateway: SmsGateway, *, ids: Sequence[str] | None = None, limit: int = 200,
                  actor_id: str | None = None) -> SendReport:
    """Send failed notices again (all of them, or only ``ids``): after the phone was added or the gateway is back.
    Each try counts in ``attempts``."""
    return _send(ctx, gateway, ["failed"], ids=ids, limit=limit, actor_id=actor_id)


def _send(ctx: AppContext, gateway: SmsGateway, states: list[str], *, ids: Sequence[str] | None = None,
          limit: int, actor_id: str | None = None) -> SendReport:
    with ctx.db.read() as session:
        require(session, actor_id, Permission.NOTIFY)
        q = (select(Notification.id, Notification.text, Petitioner.phone)
             .outerjoin(Petitioner, Petitioner.id == Notification.petitioner_id)
             .where(Notification.status.in_(states)))
        if ids is not None:
            q = q.where(Notification.id.in_(list(ids)))
        rows = session.execute(q.order_by(Notification.created_at).limit(limit)).all()
    results: list[tuple[str, str, str]] = []  # (id, status, ref or error)
    for nid, text, phone in rows:
        if not phone:
            results.append((nid, "failed", "信访人未留手机号码"))
            continue
        try:
            results.append((nid, "sent", gateway.send(phone, text)))
        except GatewayError as exc:
            results.append((nid, "failed", str(exc)[:200]))
        except Exception as exc:  # a broken gateway must not lose the outbox; its message may hold the phone
            log.error("sms gateway failed: %s", type(exc).__name__)
            results.append((nid, "failed", "短信网关异常"))
    now = ctx.now()
    with ctx.db.write() as session:
        for nid, status, info in results:
            row = session.get(Notification, nid)
            if row is None:
                continue
            row.status, row.attempts = status, row.attempts + 1
            if status == "sent":
                row.sent_at, row.gateway_ref, row.error = now, info[:64], ""
            else:
                row.error = info
    sent = sum(1 for _, s, _ in results if s == "sent")
    return SendReport(sent, len(results) - sent)


@dataclass(frozen=True, slots=True)
class NoticeRow:
    id: str
    case_id: str
    case_no: str
    template: str
    text: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    error: str


def _scope(session: Session, actor_id: str | None) -> CaseScope:
    return EVERYTHING if actor_id is None else case_scope(session, actor_id)


def outbox(ctx: AppContext, *, status: str | None = None, case_id: str | None = None, limit: int = 500,
           actor_id: str | None = None) -> list[NoticeRow]:
    """The outbox, newest first: pending / sent / failed; ``actor_id``: only the notices of cases that user may see
    (a unit's staff: their unit's)."""
    q = select(Notification, Case.case_no).join(Case, Case.id == Notification.case_id)
    if status:
        q = q.where(Notification.status == status)
    if case_id:
        q = q.where(Notification.case_id == case_id)
    with ctx.db.read() as session:
        q = q.where(_scope(session, actor_id).condition())
        return [
            NoticeRow(n.id, n.case_id, no, n.template, n.text, n.status, n.created_at, n.sent_at, n.attempts, n.error)
            for n, no in session.execute(q.order_by(Notification.created_at.desc()).limit(limit))
        ]


def outbox_counts(ctx: AppContext, *, actor_id: str | None = None) -> dict[str, int]:
    with ctx.db.read() as session:
        scope = _scope(session, actor_id)
        q = select(Notification.status, func.count())
        if scope.restricted:
            q = q.join(Case, Case.id == Notification.case_id).where(scope.condition())
        return {s: n for s, n in session.execute(q.group_by(Notification.status))}
