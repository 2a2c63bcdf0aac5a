"""Business settings stored in the database (they travel with the data and, later, with sync)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from reception.db.models import Setting
from reception.domain.enums import ReceiptLayout

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
    """When a calendar-day deadline ends on a holiday, move it to the next working day (a convention)."""

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
