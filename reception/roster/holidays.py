"""The editable holiday table (节假日表) and the working-day calendar built from it.

``holiday_day`` holds days off (法定节假日) and make-up working days (调休上班); ``holiday_year`` whether an
administrator confirmed a year. Years the ``chinese-calendar`` package knows are seeded from it (``seed_year``);
later years are imported from a file (CSV or JSON: date, workday yes/no, name) or edited by hand, then confirmed.
Any edit of a year withdraws its confirmation: the administrator confirms the final table.

Every change of the table goes through ``import_year`` / ``confirm`` / ``edit_day`` (the command line and the
administration screen): the change, the recompute of the stored clocks (``lifecycle.service.
recompute_clocks_in_session``) and the check of the published roster run in one write transaction, and
``ctx.calendar`` is replaced once it is committed, so lists, counts and the case detail agree at once. An import that
would remove days of the table (an empty or shorter file) is refused unless forced (``ImportWouldRemove`` lists them).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.base import utcnow
from reception.db.calendar_table import load_work_calendar
from reception.db.models import AuditEntry, HolidayDay, HolidayYear, User
from reception.domain.errors import FieldError
from reception.domain.workcalendar import WorkCalendar, YearState
from reception.security.permissions import Permission, require_by
from reception.textio import UnreadableText, read_text_file

if TYPE_CHECKING:
    from reception.context import AppContext
    from reception.lifecycle.service import RecomputeResult

__all__ = [
    "CalendarChange",
    "HolidayEntry",
    "HolidayYearStatus",
    "ImportWouldRemove",
    "YearComparison",
    "compare_year",
    "confirm",
    "confirm_year",
    "edit_day",
    "import_year",
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
    state: YearState = YearState.PROVISIONAL

    @property
    def known(self) -> bool:
        return self.package_knows or self.confirmed

    @property
    def provisional(self) -> bool:
        return not self.known

    @property
    def message(self) -> str:
        """What the app says about the year, in Chinese."""
        differs = "（与公布安排或法定节假日有差异，请核对）" if self.state is YearState.DIFFERS else ""
        if self.confirmed:
            return f"{self.year}年节假日安排已由{self.confirmed_by or '管理员'}确认{differs}"
        if self.package_knows:
            return f"{self.year}年节假日安排来自国务院办公厅通知（chinese-calendar 软件包）{differs}"
        if self.entries:
            return (f"{self.year}年节假日表已录入{self.entries}天，尚未确认；"
                    "确认前期限按法定节假日推算，以国务院公布的放假安排为准")
        return (f"{self.year}年放假安排尚未公布：法定节假日已按《全国年节及纪念日放假办法》推算，"
                "调休安排未知，期限以国务院公布的放假安排为准")


def _audit(session: Session, action: str, entity_id: str, by: str, detail: str = "") -> None:
    user_id = by if by and session.get(User, by) is not None else None
    session.add(AuditEntry(user_id=user_id, action=action, entity="holiday", entity_id=entity_id,
                           detail=(f"by={by} " + detail).strip()[:200]))


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
        state=load_work_calendar(session).year_state(year),
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


_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")


def _parse_date(value: object, where: str) -> date:
    """2027-01-01, 2027/1/1, 2027.1.1 or 2027年1月1日 (and a date cell of a workbook); anything else is refused."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DATE.match(str(value if value is not None else ""))
    try:
        if m is None:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise FieldError("file", f"{where}：无法识别日期“{value if value is not None else ''}”，"
                                 "应为 2027-01-01、2027/1/1 或 2027年1月1日", key="holiday_file_invalid") from None


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


def parse_workbook(path: Path) -> list[HolidayEntry]:
    """Rows of an Excel workbook (.xlsx): the first sheet, a header row like the CSV's, then one day a row."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 (openpyxl raises many kinds for a file that is no workbook)
        raise FieldError("file", f"“{path.name}”不是有效的 Excel 工作簿（.xlsx）", key="holiday_file_invalid") from None
    try:
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        return []
    aliases = {"日期": "date", "是否上班": "workday", "上班": "workday", "名称": "name", "节日": "name"}
    header = [aliases.get(str(h or "").strip(), str(h or "").strip().lower()) for h in rows[0]]
    if "date" not in header or "workday" not in header:
        raise FieldError("file", "工作表首行应为 date,workday,name（或 日期,是否上班,名称）",
                         key="holiday_file_invalid")
    col = {h: i for i, h in enumerate(header)}
    out: list[HolidayEntry] = []
    for line, rec in enumerate(rows[1:], 2):
        if not any(v not in (None, "") for v in rec):
            continue
        where = f"第{line}行"

        def cell(name: str, rec: list[Any] = rec) -> Any:
            i = col.get(name)
            return rec[i] if i is not None and i < len(rec) else None

        out.append(HolidayEntry(_parse_date(cell("date"), where), _parse_bool(cell("workday"), where),
                                str(cell("name") or "").strip(), "import"))
    return out


def read_holiday_file(path: Path) -> list[HolidayEntry]:
    """A CSV, JSON or Excel holiday file, decoded as UTF-8 (with or without BOM) or GBK; ``FieldError`` in Chinese
    for a file that cannot be read."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return parse_workbook(path)
    try:
        text = read_text_file(path).text
    except UnreadableText as exc:
        raise FieldError("file", str(exc), key="holiday_file_encoding") from None
    except OSError as exc:
        raise FieldError("file", f"无法读取“{path.name}”：{exc.strerror or exc}",
                         key="holiday_file_unreadable") from None
    return parse_holiday_file(text, suffix=path.suffix)


class ImportWouldRemove(FieldError):
    """The file holds fewer days than the table (an empty or shorter file): ``removed`` would be deleted."""

    def __init__(self, year: int, removed: list[HolidayEntry]) -> None:
        listed = "、".join(f"{e.day.isoformat()}（{'上班' if e.workday else '休息'}{e.name}）" for e in removed[:20])
        more = f"等{len(removed)}天" if len(removed) > 20 else f"共{len(removed)}天"
        super().__init__("file", f"导入将删除{year}年节假日表中的{listed}{more}；确认无误后请选择仍要导入"
                                 "（命令行加 --force）", key="holiday_import_removes")
        self.year = year
        self.removed = removed


def check_entries(year: int, rows: list[HolidayEntry]) -> None:
    """A day of another year or a day twice: ``FieldError`` naming it (nothing is changed)."""
    seen: set[date] = set()
    for e in rows:
        if e.day.year != year:
            raise FieldError("file", f"{e.day.isoformat()} 不属于{year}年：请检查文件或所选年份",
                             key="holiday_file_wrong_year")
        if e.day in seen:
            raise FieldError("file", f"{e.day.isoformat()} 在文件中重复出现", key="holiday_file_duplicate")
        seen.add(e.day)


def removed_by_import(session: Session, year: int, rows: Iterable[HolidayEntry]) -> list[HolidayEntry]:
    """The days of the table that importing ``rows`` for ``year`` would delete."""
    keep = {e.day for e in rows}
    return [e for e in year_entries(session, year) if e.day not in keep]


def import_holidays(session: Session, year: int, entries: Iterable[HolidayEntry] | Path, *, by: str = "",
                    force: bool = False) -> int:
    """Replace the table's rows of ``year`` with ``entries`` (or the rows of a file); withdraws confirmation.
    Refused with ``ImportWouldRemove`` when it would delete days of the table, unless ``force``."""
    require_by(session, by, Permission.ADMIN)
    if isinstance(entries, Path):
        entries = read_holiday_file(entries)
    rows = list(entries)
    check_entries(year, rows)
    removed = removed_by_import(session, year, rows)
    if removed and not force:
        raise ImportWouldRemove(year, removed)
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


# --- the calendar changes: the table, the stored clocks and the roster in one transaction ----------------------


@dataclass(frozen=True, slots=True)
class CalendarChange:
    """What a change of the holiday table did to what depends on it."""

    year: int
    status: HolidayYearStatus
    clocks: RecomputeResult
    roster_conflicts: tuple[str, ...] = field(default_factory=tuple)
    """Published roster days of the year that are now days off (to cancel or replace)."""
    count: int = 0
    """Rows imported (import only)."""

    @property
    def message(self) -> str:
        parts = [self.status.message, f"已重新计算期限：检查{self.clocks.checked}项，更新{self.clocks.changed}项"]
        if self.roster_conflicts:
            parts.append(f"已发布的排班中有{len(self.roster_conflicts)}天现为休息日，需要调整")
        return "；".join(parts)


def _published_on_days_off(session: Session, cal: WorkCalendar, year: int) -> tuple[str, ...]:
    from reception.db.models import Leader, RosterMonth, RosterSlot

    lo, hi = _year_range(year)
    rows = session.execute(
        select(RosterSlot.day, Leader.name).join(Leader, Leader.id == RosterSlot.leader_id)
        .join(RosterMonth, RosterMonth.month == RosterSlot.month)
        .where(RosterSlot.day >= lo, RosterSlot.day <= hi, RosterMonth.status == "published")
        .order_by(RosterSlot.day)).all()
    return tuple(f"{d.isoformat()} 按现行节假日安排为{cal.holiday_name(d) or '休息日'}，{name}的接访安排需调整"
                 for d, name in rows if not cal.is_workday(d))


def _changed(ctx: AppContext, session: Session, year: int,
             progress: Callable[[int, int], None] | None) -> tuple[WorkCalendar, CalendarChange]:
    from reception.lifecycle.service import recompute_clocks_in_session

    session.flush()
    cal = load_work_calendar(session)
    result = recompute_clocks_in_session(session, cal, today=ctx.now().date(), years=[year], progress=progress)
    return cal, CalendarChange(year, year_status(session, year), result, _published_on_days_off(session, cal, year))


def import_year(ctx: AppContext, year: int, source: Iterable[HolidayEntry] | Path, *, by: str = "",
                force: bool = False, progress: Callable[[int, int], None] | None = None) -> CalendarChange:
    """Import ``year``'s arrangement (a file or rows) and recompute what depends on it, in one transaction."""
    rows = read_holiday_file(source) if isinstance(source, Path) else list(source)
    with ctx.db.write() as session:
        count = import_holidays(session, year, rows, by=by, force=force)
        cal, change = _changed(ctx, session, year, progress)
    ctx.calendar = cal
    return CalendarChange(change.year, change.status, change.clocks, change.roster_conflicts, count)


def confirm(ctx: AppContext, year: int, *, by: str,
            progress: Callable[[int, int], None] | None = None) -> CalendarChange:
    """Confirm ``year``'s table and recompute what depends on it (the provisional marks go), in one transaction."""
    with ctx.db.write() as session:
        confirm_year(session, year, by=by)
        cal, change = _changed(ctx, session, year, progress)
    ctx.calendar = cal
    return change


def edit_day(ctx: AppContext, day: date, workday: bool | None, name: str = "", *, by: str = "",
             progress: Callable[[int, int], None] | None = None) -> CalendarChange:
    """Enter, change or (``workday`` None) remove one day and recompute what depends on it, in one transaction."""
    with ctx.db.write() as session:
        set_holiday(session, day, workday, name, by=by)
        cal, change = _changed(ctx, session, day.year, progress)
    ctx.calendar = cal
    return change


@dataclass(frozen=True, slots=True)
class YearComparison:
    """A year's table against the computed statutory days and against the package (the administration screen)."""

    year: int
    state: YearState
    statutory: dict[date, str]
    statutory_working: list[tuple[date, str]]
    """Statutory days off that the calendar makes working days (against the law: check)."""
    bridge_days: list[tuple[date, str]]
    """Weekdays off beyond the statutory days (调休 bridge days)."""
    makeup_workdays: list[tuple[date, str]]
    package_differences: list[tuple[date, bool, bool]]
    """(day, working day here, working day in the package) where they disagree."""


def compare_year(session: Session, year: int) -> YearComparison:
    cal = load_work_calendar(session)
    statutory = cal.statutory_days(year)
    bridges = [(d, n) for d, n in cal.holidays(year).items() if d not in statutory and d.weekday() < 5]
    return YearComparison(year, cal.year_state(year), statutory, cal.statutory_differences(year), bridges,
                          sorted(cal.makeup_workdays(year).items()), cal.package_differences(year))
