"""The editable holiday table (节假日表) and the working-day calendar built from it.

``holiday_day`` holds days off (法定节假日) and make-up working days (调休上班); ``holiday_year`` whether an
administrator confirmed a year. Years the ``chinese-calendar`` package knows are seeded from it (``seed_year``);
later years are imported from a file (CSV or JSON: date, workday yes/no, name) or edited by hand, then confirmed.
Any edit of a year withdraws its confirmation: the administrator confirms the final table.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.base import utcnow
from reception.db.models import AuditEntry, HolidayDay, HolidayYear, User
from reception.domain.errors import FieldError
from reception.domain.workcalendar import DayOverride, WorkCalendar
from reception.security.permissions import Permission, require_by

__all__ = [
    "HolidayEntry",
    "HolidayYearStatus",
    "confirm_year",
    "import_holidays",
    "load_work_calendar",
    "parse_holiday_file",
    "seed_year",
    "set_holiday",
    "year_entries",
    "year_status",
]


@dataclass(frozen=True, slots=True)
class HolidayEntry:
    day: date
    workday: bool
    name: str
    source: str


@dataclass(frozen=True, slots=True)
class HolidayYearStatus:
    year: int
    package_knows: bool
    """The chinese-calendar package has this year's official arrangement."""
    confirmed: bool
    """An administrator confirmed the table for this year."""
    confirmed_by: str
    confirmed_at: datetime | None
    entries: int

    @property
    def known(self) -> bool:
        return self.package_knows or self.confirmed

    @property
    def message(self) -> str:
        """What the app says about the year, in Chinese."""
        if self.confirmed:
            return f"{self.year}年节假日安排已由{self.confirmed_by or '管理员'}确认"
        if self.package_knows:
            return f"{self.year}年节假日安排来自国务院办公厅通知（chinese-calendar 软件包）"
        if self.entries:
            return f"{self.year}年节假日表已录入{self.entries}天，尚未确认"
        return f"{self.year}年节假日安排尚未公布或未录入，仅按周一至周五估算工作日"


def _audit(session: Session, action: str, entity_id: str, by: str, detail: str = "") -> None:
    user_id = by if by and session.get(User, by) is not None else None
    session.add(AuditEntry(user_id=user_id, action=action, entity="holiday", entity_id=entity_id,
                           detail=(f"by={by} " + detail).strip()[:200]))


def load_work_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar: the package's official arrangement, overridden by the holiday table."""
    overrides = {
        row.day: DayOverride(row.workday, row.name) for row in session.scalars(select(HolidayDay))
    }
    confirmed = session.scalars(select(HolidayYear.year).where(HolidayYear.confirmed.is_(True))).all()
    return WorkCalendar(overrides, confirmed)


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def year_entries(session: Session, year: int) -> list[HolidayEntry]:
    lo, hi = _year_range(year)
    rows = session.scalars(select(HolidayDay).where(HolidayDay.day >= lo, HolidayDay.day <= hi)
                           .order_by(HolidayDay.day))
    return [HolidayEntry(r.day, r.workday, r.name, r.source) for r in rows]


def year_status(session: Session, year: int) -> HolidayYearStatus:
    row = session.get(HolidayYear, year)
    entries = len(year_entries(session, year))
    return HolidayYearStatus(
        year=year,
        package_knows=WorkCalendar().package_knows(year),
        confirmed=bool(row and row.confirmed),
        confirmed_by=row.confirmed_by if row and row.confirmed else "",
        confirmed_at=row.confirmed_at if row and row.confirmed else None,
        entries=entries,
    )


def seed_year(session: Session, year: int, *, by: str = "") -> int:
    """Copy the package's arrangement of ``year`` into the table (days already in the table are kept).

    Returns the number of rows added (0 when the package does not know the year).
    """
    require_by(session, by, Permission.ADMIN)
    rows = WorkCalendar().seed_overrides(year)
    existing = {e.day for e in year_entries(session, year)}
    added = 0
    for day, override in sorted(rows.items()):
        if day in existing:
            continue
        session.add(HolidayDay(day=day, workday=override.workday, name=override.name, source="package",
                               updated_by=by))
        added += 1
    if added:
        _audit(session, "holiday_seed", str(year), by, f"rows={added}")
    return added


def _unconfirm(session: Session, year: int) -> None:
    row = session.get(HolidayYear, year)
    if row is not None and row.confirmed:
        row.confirmed = False
        row.note = "表格已修改，需重新确认"


def set_holiday(session: Session, day: date, workday: bool | None, name: str = "", *, by: str = "") -> None:
    """Enter one day (``workday`` True: 调休上班, False: day off); ``None`` removes the day from the table."""
    require_by(session, by, Permission.ADMIN)
    row = session.get(HolidayDay, day)
    if workday is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(HolidayDay(day=day, workday=workday, name=name, source="admin", updated_by=by))
    else:
        row.workday, row.name, row.source, row.updated_by, row.updated_at = workday, name, "admin", by, utcnow()
    _unconfirm(session, day.year)
    _audit(session, "holiday_edit", day.isoformat(), by, f"workday={workday}")


_YES = {"1", "true", "yes", "y", "是", "上班", "工作日", "班", "workday"}
_NO = {"0", "false", "no", "n", "否", "休", "休息", "放假", "节假日", "holiday"}


def _parse_bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise FieldError("file", f"{where}：无法识别是否上班“{value}”（应为 是/否、上班/休息、yes/no）",
                     key="holiday_file_invalid")


def _parse_date(value: object, where: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError("file", f"{where}：日期“{value}”格式应为 YYYY-MM-DD", key="holiday_file_invalid") from None


def parse_holiday_file(text: str, *, suffix: str = ".csv") -> list[HolidayEntry]:
    """Rows of a holiday file: JSON (a list of {date, workday, name}) or CSV with those columns (a header line,
    English or 日期/是否上班/名称). Raises ``FieldError`` naming the line."""
    out: list[HolidayEntry] = []
    if suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FieldError("file", f"JSON 格式错误：{exc}", key="holiday_file_invalid") from None
        if not isinstance(data, list):
            raise FieldError("file", "JSON 应为列表", key="holiday_file_invalid")
        for i, item in enumerate(data, 1):
            where = f"第{i}项"
            if not isinstance(item, dict):
                raise FieldError("file", f"{where}应为对象", key="holiday_file_invalid")
            out.append(HolidayEntry(_parse_date(item.get("date"), where),
                                    _parse_bool(item.get("workday"), where), str(item.get("name") or ""), "import"))
        return out
    aliases = {"日期": "date", "是否上班": "workday", "上班": "workday", "名称": "name", "节日": "name"}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        return out
    reader.fieldnames = [aliases.get(f.strip(), f.strip().lower()) for f in reader.fieldnames]
    if "date" not in reader.fieldnames or "workday" not in reader.fieldnames:
        raise FieldError("file", "CSV 首行应为 date,workday,name（或 日期,是否上班,名称）", key="holiday_file_invalid")
    for line, rec in enumerate(reader, 2):
        if not any((v or "").strip() for v in rec.values()):
            continue
        where = f"第{line}行"
        out.append(HolidayEntry(_parse_date(rec["date"], where), _parse_bool(rec["workday"], where),
                                (rec.get("name") or "").strip(), "import"))
    return out


def import_holidays(session: Session, year: int, entries: Iterable[HolidayEntry] | Path, *, by: str = "") -> int:
    """Replace the table's rows of ``year`` with ``entries`` (or the rows of a file); withdraws confirmation."""
    require_by(session, by, Permission.ADMIN)
    if isinstance(entries, Path):
        entries = parse_holiday_file(entries.read_text(encoding="utf-8-sig"), suffix=entries.suffix)
    rows = list(entries)
    seen: set[date] = set()
    for e in rows:
        if e.day.year != year:
            raise FieldError("file", f"{e.day.isoformat()} 不属于{year}年", key="holiday_file_wrong_year")
        if e.day in seen:
            raise FieldError("file", f"{e.day.isoformat()} 重复出现", key="holiday_file_duplicate")
        seen.add(e.day)
    lo, hi = _year_range(year)
    # through the ORM, row by row (an enrolled desk sends the change to the others): a day kept is updated in place
    current = {r.day: r for r in session.scalars(select(HolidayDay).where(HolidayDay.day >= lo, HolidayDay.day <= hi))}
    for e in rows:
        row = current.pop(e.day, None)
        if row is None:
            session.add(HolidayDay(day=e.day, workday=e.workday, name=e.name, source="import", updated_by=by))
        elif (row.workday, row.name, row.source) != (e.workday, e.name, "import"):
            row.workday, row.name, row.source = e.workday, e.name, "import"
            row.updated_by, row.updated_at = by, utcnow()
    for gone in current.values():
        session.delete(gone)
    _unconfirm(session, year)
    _audit(session, "holiday_import", str(year), by, f"rows={len(rows)}")
    return len(rows)


def confirm_year(session: Session, year: int, *, by: str) -> HolidayYearStatus:
    """The administrator confirms that the table holds ``year``'s complete official arrangement."""
    if not by.strip():
        raise FieldError("by", "请填写确认人", key="confirmed_by_required")
    require_by(session, by, Permission.ADMIN)
    status = year_status(session, year)
    if not status.entries and not status.package_knows:
        raise FieldError("year", f"{year}年节假日表为空，请先导入或录入节假日安排再确认", key="holiday_year_empty")
    row = session.get(HolidayYear, year)
    if row is None:
        row = HolidayYear(year=year)
        session.add(row)
    row.confirmed, row.confirmed_by, row.confirmed_at, row.note = True, by.strip(), utcnow(), ""
    _audit(session, "holiday_confirm", str(year), by)
    session.flush()
    return year_status(session, year)
