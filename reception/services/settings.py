"""Business settings stored in the database (they travel with the data and, later, with sync)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reception.db.models import Setting
from reception.domain.deadlines import RollPolicy
from reception.domain.enums import ReceiptLayout

if TYPE_CHECKING:
    from reception.services.context import AppContext

DESK_KEY = "desk"


@dataclass(frozen=True, slots=True)
class DeskSettings:
    desk_id: str = ""
    """This PC's workstation (a row of ``desk``)."""
    officer_id: str = ""
    """The officer signed in at this desk (until accounts arrive: the default officer)."""
    receipt_layout: str = ReceiptLayout.A4.value
    query_hint: str = "可凭案件编号和查询码在区信访接待中心窗口、网上信访平台或拨打12345查询办理进度并评价。"
    roll_deadline_to_workday: bool = True
    """The first form of the roll-over setting (kept so older databases read the same): True = NON_WORKING_DAYS."""
    deadline_roll: str = ""
    """期限末日顺延: a ``RollPolicy`` value. When a calendar-day deadline ends on a day off, whether it moves to the
    next working day (a convention, see ``reception.domain.deadlines``). Empty: follow ``roll_deadline_to_workday``."""

    @property
    def roll_policy(self) -> RollPolicy:
        if self.deadline_roll:
            try:
                return RollPolicy.parse(self.deadline_roll)
            except ValueError:
                pass
        return RollPolicy.NON_WORKING_DAYS if self.roll_deadline_to_workday else RollPolicy.NONE

    @property
    def layout(self) -> ReceiptLayout:
        try:
            return ReceiptLayout.parse(self.receipt_layout)
        except ValueError:
            return ReceiptLayout.A4


def load_desk_settings(session: Session) -> DeskSettings:
    row = session.get(Setting, DESK_KEY)
    if row is None:
        return DeskSettings()
    known = {f.name for f in fields(DeskSettings)}
    values: dict[str, Any] = {k: v for k, v in row.value.items() if k in known}
    return DeskSettings(**values)


def save_desk_settings(session: Session, settings: DeskSettings) -> None:
    row = session.get(Setting, DESK_KEY)
    if row is None:
        session.add(Setting(key=DESK_KEY, value=asdict(settings)))
    else:
        row.value = asdict(settings)


def update_desk_settings(ctx: AppContext, *, actor_id: str | None = None, **changes: Any) -> DeskSettings:
    """Change some settings on top of the stored ones. The roll-over rule (``deadline_roll``) is a rule of law for
    the whole centre: only an administrator changes it, and since it moves due dates every stored clock is computed
    again before this returns. ``actor_id`` None is the system (the command line, set-up)."""
    with ctx.db.write() as session:
        current = load_desk_settings(session)
        updated = replace(current, **changes)
        if updated.roll_policy is not current.roll_policy:
            from reception.security.permissions import Permission, require

            require(session, actor_id, Permission.ADMIN)
        save_desk_settings(session, updated)
    if updated.roll_policy is not current.roll_policy:
        from reception.lifecycle.service import recompute_clocks

        recompute_clocks(ctx)
    return updated
