"""The working-day calendar as the desk stores it: the package's official arrangement, overridden by the holiday
table (``holiday_day``, ``holiday_year``). The table's use cases (import, confirm, edit) are
``reception.roster.holidays``; this reader sits with the storage so that the lifecycle and the start-up wiring read
the calendar without depending on them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import HolidayDay, HolidayYear
from reception.domain.workcalendar import DayOverride, WorkCalendar


def load_work_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar: the package's official arrangement, overridden by the holiday table."""
    overrides = {
        row.day: DayOverride(row.workday, row.name) for row in session.scalars(select(HolidayDay))
    }
    confirmed = session.scalars(select(HolidayYear.year).where(HolidayYear.confirmed.is_(True))).all()
    return WorkCalendar(overrides, confirmed)
