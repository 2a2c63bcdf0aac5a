"""Business settings stored in the database.

Two kinds: this PC's own settings (``DeskSettings``: its desk, officer, receipt layout, query hint), a row of the
local ``setting`` table; and the centre's rules (``centre_setting``, synced to every desk): the deadline roll-over
rule here, the lifecycle's windows (``reception.lifecycle.service``), the ranking's weights
(``reception.stats.ranking``) and the roster's rules (``reception.roster.rules``). ``DeskSettings`` still carries the
roll-over rule for its readers: ``load_desk_settings`` fills it from the centre setting, and only
``reception.setup.update_desk_settings`` (an administrator) changes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from reception.db.models import CentreSetting, Setting
from reception.domain.deadlines import DEFAULT_ROLL, RollPolicy
from reception.domain.enums import ReceiptLayout

DESK_KEY = "desk"
ROLL_KEY = "deadline_roll"
"""The centre setting holding the roll-over rule: ``{"policy": RollPolicy value}``."""
CENTRE_FIELDS = ("roll_deadline_to_workday", "deadline_roll")
"""``DeskSettings`` fields that are the centre's (stored in ``centre_setting``, never in the desk's row)."""


# -- the centre's settings (synced) ----------------------------------------------------------------------------


def load_centre_setting(session: Session, key: str) -> dict[str, Any] | None:
    """A centre setting's JSON object (a copy), None when never set."""
    row = session.get(CentreSetting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else None


def save_centre_setting(session: Session, key: str, value: dict[str, Any]) -> bool:
    """Store a centre setting through the ORM (so an enrolled desk sends it to the others); an unchanged value is
    not written again (no sync mutation, no version). Returns whether it changed."""
    row = session.get(CentreSetting, key)
    if row is None:
        session.add(CentreSetting(key=key, value=dict(value)))
        return True
    if row.value == value:
        return False
    row.value = dict(value)
    return True


def load_roll_policy(session: Session) -> RollPolicy:
    """期限末日顺延 for the whole centre (the default until an administrator chose one)."""
    return roll_policy_from(load_centre_setting(session, ROLL_KEY))


def roll_policy_from(value: dict[str, Any] | None) -> RollPolicy:
    """The roll-over rule from its stored ``deadline_roll`` object (None when never set: the default)."""
    try:
        return RollPolicy.parse(str((value or {}).get("policy") or DEFAULT_ROLL.value))
    except ValueError:
        return DEFAULT_ROLL


def save_roll_policy(session: Session, policy: RollPolicy) -> bool:
    """Store the rule (no permission check: ``update_desk_settings`` is the use case); recompute the clocks after."""
    return save_centre_setting(session, ROLL_KEY, {"policy": policy.value})


# -- this desk's settings (local) --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeskSettings:
    desk_id: str = ""
    """This PC's workstation (a row of ``desk``)."""
    officer_id: str = ""
    """The officer signed in at this desk (until accounts arrive: the default officer)."""
    receipt_layout: str = ReceiptLayout.A4.value
    query_hint: str = "可凭案件编号和查询码在区信访接待中心窗口、网上信访平台或拨打12345查询办理进度并评价。"
    query_base_url: str = ""
    """The public query page's address for the receipt's QR code (``https://xf.example.gov.cn``; the code becomes
    ``<it>/q/<case no>?c=<query code>``). Empty: the address of the sync server this desk is enrolled with."""
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
    """This desk's settings, with the centre's roll-over rule filled in."""
    row = session.get(Setting, DESK_KEY)
    known = {f.name for f in fields(DeskSettings)} - set(CENTRE_FIELDS)
    values: dict[str, Any] = {k: v for k, v in row.value.items() if k in known} if row is not None else {}
    policy = load_roll_policy(session)
    return DeskSettings(**values, deadline_roll=policy.value, roll_deadline_to_workday=policy is not RollPolicy.NONE)


def save_desk_settings(session: Session, settings: DeskSettings) -> None:
    """Store this desk's own settings. The roll-over fields are the centre's and are NOT stored here (a desk's
    set-up or enrolment never changes the centre's rule): ``update_desk_settings`` changes them."""
    value = {k: v for k, v in asdict(settings).items() if k not in CENTRE_FIELDS}
    row = session.get(Setting, DESK_KEY)
    if row is None:
        session.add(Setting(key=DESK_KEY, value=value))
    else:
        row.value = value

