"""First-run set-up of a data directory: this PC's desk, its officer and the desk settings."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import Desk, User
from reception.domain.case_numbers import DESK_CODE_RE
from reception.domain.enums import Role
from reception.domain.errors import FieldError
from reception.services.context import AppContext, open_data_dir
from reception.services.settings import DeskSettings, load_desk_settings, save_desk_settings

DEFAULT_DESK_CODE = "D01"
DEFAULT_UNIT = "区信访接待中心"


def ensure_desk(session: Session, *, code: str = DEFAULT_DESK_CODE, name: str = "一号接待窗口",
                unit_name: str = DEFAULT_UNIT, officer_username: str = "desk",
                officer_name: str = "接待员") -> DeskSettings:
    """Make sure this data directory has a desk and an officer selected; returns the settings."""
    settings = load_desk_settings(session)
    configured = (
        bool(settings.desk_id and settings.officer_id)
        and session.get(Desk, settings.desk_id) is not None
        and session.get(User, settings.officer_id) is not None
    )
    if configured:
        return settings
    code = code.strip().upper()
    if not DESK_CODE_RE.match(code):
        raise FieldError("工位代码", "工位代码应为2至10位大写字母或数字，以字母开头", key="desk_code_invalid")
    desk = session.scalar(select(Desk).where(Desk.code == code))
    if desk is None:
        desk = Desk(code=code, name=name, unit_name=unit_name)
        session.add(desk)
    officer = session.scalar(select(User).where(User.username == officer_username))
    if officer is None:
        officer = User(username=officer_username, display_name=officer_name, role=Role.DESK_OFFICER.value)
        session.add(officer)
    session.flush()
    settings = DeskSettings(desk_id=desk.id, officer_id=officer.id, receipt_layout=settings.receipt_layout,
                            query_hint=settings.query_hint,
                            roll_deadline_to_workday=settings.roll_deadline_to_workday,
                            deadline_roll=settings.deadline_roll)
    save_desk_settings(session, settings)
    return settings


def init_data_dir(root: Path, *, demo: bool = False, desk_code: str = DEFAULT_DESK_CODE) -> AppContext:
    """Create (or upgrade) a data directory; with ``demo``, seed the demo district when it is still empty."""
    ctx = open_data_dir(root)
    if demo:
        from reception.demo import seed_demo
        from reception.services.enrolment import mark_demo

        seed_demo(ctx)
        with ctx.db.write() as session:
            mark_demo(session)  # the desk app never offers to enrol a demo directory
    else:
        with ctx.db.write() as session:
            ensure_desk(session, code=desk_code)
    return ctx
