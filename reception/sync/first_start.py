"""First start of a desk that is not enrolled: whether the app offers enrolment, and the desk-local choices behind it.

An administrator signing in at a desk that has no sync peer is asked once to enrol it (the one-time code comes from
the administrator); choosing 单机使用（暂不登记） is remembered in the ``setting`` table (LOCAL: it never syncs) so the
question is not asked at every start. Others get a quiet hint. A demo data directory is never asked: it is marked
when the demo district is seeded (``mark_demo``), and ``--demo`` says so too.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import utcnow
from reception.db.models import Setting, SyncPeer, User
from reception.security.permissions import Permission, allowed

DEMO_KEY = "demo_data"
"""Setting row present (``{"demo": true}``) in a data directory seeded with the demo district."""
CHOICE_KEY = "enrolment_choice"
"""Setting row ``{"choice": "standalone", "by": user id, "at": ISO time}`` once 单机使用 was chosen."""
STANDALONE = "standalone"


class EnrolmentOffer(StrEnum):
    NONE = "none"
    """Enrolled, a demo directory, or 单机使用 was chosen: nothing to ask."""
    DIALOG = "dialog"
    """An administrator at a desk that is not enrolled: open the enrolment dialog."""
    HINT = "hint"
    """Someone else at a desk that is not enrolled: a quiet hint only (enrolment needs the administrator)."""


def mark_demo(session: Session) -> None:
    """This data directory holds the demo district (no enrolment is ever offered for it)."""
    row = session.get(Setting, DEMO_KEY)
    if row is None:
        session.add(Setting(key=DEMO_KEY, value={"demo": True}))


def is_demo(session: Session) -> bool:
    row = session.get(Setting, DEMO_KEY)
    return row is not None and bool(row.value.get("demo"))


def standalone_chosen(session: Session) -> bool:
    row = session.get(Setting, CHOICE_KEY)
    return row is not None and row.value.get("choice") == STANDALONE


def choose_standalone(ctx: AppContext, user_id: str | None) -> None:
    """单机使用（暂不登记）: remember it on this desk; enrolment stays possible on the 数据同步 page."""
    value = {"choice": STANDALONE, "by": user_id or "", "at": utcnow().isoformat(timespec="seconds")}
    with ctx.db.write() as session:
        row = session.get(Setting, CHOICE_KEY)
        if row is None:
            session.add(Setting(key=CHOICE_KEY, value=value))
        else:
            row.value = value


def enrolment_offer(ctx: AppContext, user_id: str | None, *, demo: bool = False) -> EnrolmentOffer:
    """What to do about enrolment when ``user_id`` has signed in at this desk (``demo``: started with --demo)."""
    with ctx.db.read() as session:
        if demo or session.get(SyncPeer, 1) is not None or is_demo(session) or standalone_chosen(session):
            return EnrolmentOffer.NONE
        user = session.get(User, user_id) if user_id else None
        if user is not None and user.active and allowed(user.role, Permission.ADMIN):
            return EnrolmentOffer.DIALOG
        return EnrolmentOffer.HINT
