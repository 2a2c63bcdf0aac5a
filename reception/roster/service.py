"""Roster use cases over the database: one short session each, plain dataclasses out.

The desk app's calendar view reads ``month_roster``; generation, publication, swaps and substitutions write.
A published month is frozen in ``roster_version`` (a JSON snapshot with names and titles as printed); a swap or a
substitution on a published month immediately publishes the next version, with the list of changed days.
Generation never touches a published month, so membership changes (effective dates) never alter published days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.base import utcnow
from reception.db.models import (
    AuditEntry,
    Leader,
    LeaderMembership,
    LeaderUnavailability,
    RosterChange,
    RosterMonth,
    RosterSlot,
    RosterVersion,
)
from reception.domain.errors import FieldError, NotFoundError, ReceptionError
from reception.domain.workcalendar import WorkCalendar
from reception.roster.holidays import load_work_calendar, year_status
from reception.roster.rotation import (
    DUTY,
    SECRETARY,
    Absence,
    Period,
    RosterLeader,
    RotationState,
    plan_month,
)
from reception.roster.rules import (
    WEEKDAYS_ZH,
    RosterRules,
    load_roster_rules,
    month_days,
    month_key,
    no_meeting_week,
    parse_month,
    quarter_of,
    quarter_start,
    save_roster_rules,
    secretary_days_in,
)
from reception.security.permissions import Permission, require_by, resolve_by

if TYPE_CHECKING:
    from reception.context import AppContext

DRAFT = "draft"
PUBLISHED = "published"


class RosterError(ReceptionError):
    key = "roster"


class UnconfirmedHolidaysError(RosterError):
    """Publishing a month of a year whose holiday arrangement nobody confirmed."""

    key = "holidays_unconfirmed"


# -- plain data for the UI ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DutyLeader:
    leader_id: str
    name: str
    title: str
    role: str
    """duty (daily rotation) or secretary (书记接访日)."""
    reason: str
    phone: str = ""


@dataclass(frozen=True, slots=True)
class RosterDay:
    day: date
    weekday: str
    workday: bool
    holiday: str
    """The holiday the day belongs to (春节…), also for make-up working days; '' otherwise."""
    makeup_workday: bool
    secretary_day: bool
    no_meeting_week: bool
    leaders: tuple[DutyLeader, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "weekday": self.weekday,
            "workday": self.workday,
            "holiday": self.holiday,
            "makeup_workday": self.makeup_workday,
            "secretary_day": self.secretary_day,
            "no_meeting_week": self.no_meeting_week,
            "leaders": [{"id": x.leader_id, "name": x.name, "title": x.title, "role": x.role, "reason": x.reason}
                        for x in self.leaders],
        }


@dataclass(frozen=True, slots=True)
class MonthRoster:
    month: str
    status: str
    """none (never generated), draft or published."""
    version: int
    """The published version shown (0 for a draft)."""
    calendar_known: bool
    """False: the year's holidays are neither in the package nor confirmed (weekdays assumed)."""
    calendar_note: str
    place: str
    hours: str
    title: str
    days: tuple[RosterDay, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month, "status": self.status, "version": self.version,
            "calendar_known": self.calendar_known, "calendar_note": self.calendar_note,
            "place": self.place, "hours": self.hours, "title": self.title,
            "days": [d.to_json() for d in self.days],
        }


@dataclass(frozen=True, slots=True)
class DayChange:
    day: date
    before: tuple[str, ...]
    after: tuple[str, ...]
    """Leaders as "姓名（职务）"."""

    @property
    def text(self) -> str:
        return f"{self.day.month}月{self.day.day}日：{'、'.join(self.before) or '无'} → {'、'.join(self.after) or '无'}"


@dataclass(frozen=True, slots=True)
class VersionInfo:
    month: str
    version: int
    published_at: datetime
    published_by: str
    note: str
    calendar_confirmed: bool
    changes: tuple[DayChange, ...]


@dataclass(frozen=True, slots=True)
class ChangeInfo:
    id: str
    kind: str
    day: date
    leader: str
    other_day: date | None
    other_leader: str
    reason: str
    approved_by: str
    created_at: datetime
    created_by: str
    version: int | None


@dataclass(frozen=True, slots=True)
class DutyToday:
    day: date
    workday: bool
    published: bool
    secretary_day: bool
    leaders: tuple[DutyLeader, ...]
    place: str
    hours: str

    @property
    def label(self) -> str:
        """For the status bar: "今日接访领导：张志强（区委副书记）"."""
        if not self.workday:
            return "今日非工作日"
        if not self.leaders:
            return "今日接访领导：未排班"
        names = "、".join(f"{x.name}（{x.title}）" for x in self.leaders)
        return f"今日接访领导：{names}" + ("" if self.published else "（草稿）")


# -- helpers -------------------------------------------------------------------------------------------------------


def _audit(session: Session, action: str, entity: str, entity_id: str, by: str, detail: str = "") -> None:
    by_user = resolve_by(session, by)
    user_id = by_user.id if by_user is not None else None
    session.add(AuditEntry(user_id=user_id, action=action, entity=entity, entity_id=entity_id,
                           detail=(f"by={by} " + detail).strip()[:200]))


def load_leaders(session: Session) -> list[RosterLeader]:
    """Every leader with membership periods and absences (the leaders directory)."""
    periods: dict[str, list[Period]] = defaultdict(list)
    for m in session.scalars(select(LeaderMembership)):
        periods[m.leader_id].append(Period(m.active_from, m.active_to, m.in_rotation, m.id))
    absences: dict[str, list[Absence]] = defaultdict(list)
    for a in session.scalars(select(LeaderUnavailability).order_by(LeaderUnavailability.start)):
        absences[a.leader_id].append(Absence(a.start, a.end, a.reason, a.id))
    return [
        RosterLeader(x.id, x.name, x.title, x.rank_order, x.phone, x.active, tuple(periods[x.id]),
                     tuple(absences[x.id]))
        for x in session.scalars(select(Leader).order_by(Leader.rank_order, Leader.id))
    ]


def _rotation_state(session: Session, leaders: list[RosterLeader], rules: RosterRules, start: date) -> RotationState:
    """The rotation as it stood before ``start`` (the first day of the month being generated)."""
    state = RotationState()
    qstart = quarter_start(start)
    rows = session.execute(select(RosterSlot.leader_id, RosterSlot.day)
                           .where(RosterSlot.role == DUTY, RosterSlot.day < start)).all()
    for leader_id, day in rows:
        if day > state.last_served.get(leader_id, date.min):
            state.last_served[leader_id] = day
    if qstart < start:
        state.quarter = quarter_of(start)
        principal_titles = {rules.secretary_title, rules.head_title}
        earlier = [d for d in _days_between(qstart, start)]
        for x in leaders:
            if (rules.principals_in_rotation or x.title not in principal_titles) and any(
                    x.in_rotation_on(d) for d in earlier):
                state.counts[x.id] = 0
        for leader_id, day in rows:
            if day >= qstart:
                state.counts[leader_id] = state.counts.get(leader_id, 0) + 1
    return state


def _days_between(start: date, end: date) -> list[date]:
    out: list[date] = []
    y, m = start.year, start.month
    while (y, m) < (end.year, end.month):
        out.extend(month_days(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return [d for d in out if start <= d < end]


def _leader_label(name: str, title: str) -> str:
    return f"{name}（{title}）"


def _build_snapshot(session: Session, cal: WorkCalendar, rules: RosterRules, year: int, month: int) -> dict[str, Any]:
    """The month as it stands now, as JSON (the form stored in a published version)."""
    key = month_key(year, month)
    leaders = {x.id: x for x in session.scalars(select(Leader))}
    by_day: dict[date, list[RosterSlot]] = defaultdict(list)
    for s in session.scalars(select(RosterSlot).where(RosterSlot.month == key)):
        by_day[s.day].append(s)
    sec_days = secretary_days_in(cal, year, month, rules)
    nm_start, nm_end = no_meeting_week(cal, year, month, rules)
    days: list[dict[str, Any]] = []
    for day in month_days(year, month):
        slots = sorted(by_day.get(day, []),
                       key=lambda s: (s.role != SECRETARY, leaders[s.leader_id].rank_order, s.leader_id))
        days.append({
            "date": day.isoformat(),
            "weekday": WEEKDAYS_ZH[day.weekday()],
            "workday": cal.is_workday(day),
            "holiday": cal.holiday_name(day) or "",
            "makeup_workday": cal.is_makeup_workday(day),
            "secretary_day": day in sec_days,
            "no_meeting_week": nm_start <= day <= nm_end,
            "leaders": [{"id": s.leader_id, "name": leaders[s.leader_id].name, "title": leaders[s.leader_id].title,
                         "role": s.role, "reason": s.reason, "phone": leaders[s.leader_id].phone} for s in slots],
        })
    return {"month": key, "place": rules.place, "hours": rules.hours, "title": rules.notice_title, "days": days}


def _roster_from_snapshot(snapshot: dict[str, Any], *, status: str, version: int, calendar_known: bool,
                          calendar_note: str) -> MonthRoster:
    days = tuple(
        RosterDay(
            day=date.fromisoformat(d["date"]), weekday=d["weekday"], workday=d["workday"], holiday=d["holiday"],
            makeup_workday=d["makeup_workday"], secretary_day=d["secretary_day"],
            no_meeting_week=d["no_meeting_week"],
            leaders=tuple(DutyLeader(x["id"], x["name"], x["title"], x["role"], x["reason"], x.get("phone", ""))
                          for x in d["leaders"]),
        )
        for d in snapshot["days"]
    )
    return MonthRoster(snapshot["month"], status, version, calendar_known, calendar_note, snapshot["place"],
                       snapshot["hours"], snapshot["title"], days)


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[DayChange]:
    old = {d["date"]: d for d in before["days"]} if before else {}
    out: list[DayChange] = []
    for d in after["days"]:
        prev = old.get(d["date"])
        a = tuple(_leader_label(x["name"], x["title"]) for x in d["leaders"])
        b = tuple(_leader_label(x["name"], x["title"]) for x in prev["leaders"]) if prev else ()
        if (prev is None or [x["id"] for x in prev["leaders"]] != [x["id"] for x in d["leaders"]]) and (a or b):
            out.append(DayChange(date.fromisoformat(d["date"]), b, a))
    return out


def _changes_from_json(data: dict[str, Any]) -> tuple[DayChange, ...]:
    return tuple(DayChange(date.fromisoformat(c["date"]), tuple(c["before"]), tuple(c["after"]))
                 for c in data.get("days", []))


def _changes_to_json(changes: Iterable[DayChange]) -> dict[str, Any]:
    return {"days": [{"date": c.day.isoformat(), "before": list(c.before), "after": list(c.after)}
                     for c in changes]}


def _latest_version(session: Session, key: str) -> RosterVersion | None:
    return session.scalar(select(RosterVersion).where(RosterVersion.month == key)
                          .order_by(RosterVersion.version.desc()).limit(1))


def _version_info(v: RosterVersion) -> VersionInfo:
    return VersionInfo(v.month, v.version, v.published_at, v.published_by, v.note, v.calendar_confirmed,
                       _changes_from_json(v.changes))


# -- rules ---------------------------------------------------------------------------------------------------------


def roster_rules(ctx: AppContext) -> RosterRules:
    with ctx.db.read() as session:
        return load_roster_rules(session)


def save_rules(ctx: AppContext, rules: RosterRules, *, by: str = "") -> None:
    """Save the rules; they apply to months generated from now on (published months keep theirs)."""
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        save_roster_rules(session, rules)
        _audit(session, "roster_rules", "setting", "roster", by)


# -- month views ---------------------------------------------------------------------------------------------------


def month_roster(ctx: AppContext, month: str, *, version: int | None = None) -> MonthRoster:
    """A month for the calendar view and the notice: the latest published version (or ``version``), else the
    draft, else an empty month with its calendar marks (status "none")."""
    year, mon = parse_month(month)
    key = month_key(year, mon)
    with ctx.db.read() as session:
        cal = load_work_calendar(session)
        status_row = year_status(session, year)
        known = cal.knows(year)
        row = session.get(RosterMonth, key)
        if version is not None or (row is not None and row.status == PUBLISHED):
            q = select(RosterVersion).where(RosterVersion.month == key)
            v = (session.scalar(q.where(RosterVersion.version == version)) if version is not None
                 else _latest_version(session, key))
            if v is None:
                raise NotFoundError(f"{key} 没有第{version}版", key="roster_version_not_found")
            return _roster_from_snapshot(v.snapshot, status=PUBLISHED, version=v.version,
                                         calendar_known=v.calendar_confirmed, calendar_note=status_row.message)
        rules = load_roster_rules(session)
        snapshot = _build_snapshot(session, cal, rules, year, mon)
        return _roster_from_snapshot(snapshot, status=row.status if row else "none", version=0,
                                     calendar_known=known, calendar_note=status_row.message)


def duty_leaders_on(ctx: AppContext, day: date) -> DutyToday:
    """Who receives at the centre on ``day`` (the status bar and the intake page: send a walk-in there)."""
    with ctx.db.read() as session:
        cal = load_work_calendar(session)
        rules = load_roster_rules(session)
        row = session.get(RosterMonth, month_key(day.year, day.month))
        rows = session.execute(
            select(RosterSlot, Leader).join(Leader, Leader.id == RosterSlot.leader_id)
            .where(RosterSlot.day == day)
        ).all()
    rows = sorted(rows, key=lambda r: (r[0].role != SECRETARY, r[1].rank_order, r[1].id))
    leaders = tuple(DutyLeader(ld.id, ld.name, ld.title, s.role, s.reason, ld.phone) for s, ld in rows)
    return DutyToday(
        day=day, workday=cal.is_workday(day), published=bool(row and row.status == PUBLISHED),
        secretary_day=any(x.role == SECRETARY for x in leaders), leaders=leaders, place=rules.place,
        hours=rules.hours,
    )


# -- generation ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GenerationResult:
    month: str
    slots: int
    warnings: tuple[str, ...]
    calendar_known: bool


def generate_month(ctx: AppContext, month: str, *, by: str = "") -> GenerationResult:
    """(Re)generate the draft of ``month``. Refused for a published month (use swaps and substitutions)."""
    year, mon = parse_month(month)
    key = month_key(year, mon)
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        row = session.get(RosterMonth, key)
        if row is not None and row.status == PUBLISHED:
            raise RosterError(f"{key} 已发布（第{row.version}版），不再重新生成；请用调换或替班修改",
                              key="roster_published")
        cal = load_work_calendar(session)
        rules = load_roster_rules(session)
        leaders = load_leaders(session)
        start = date(year, mon, 1)
        state = _rotation_state(session, leaders, rules, start)
        plan = plan_month(cal, rules, leaders, year, mon, state)
        for old in session.scalars(select(RosterSlot).where(RosterSlot.month == key)):
            session.delete(old)  # through the ORM: an enrolled desk sends the regenerated month to the others
        session.flush()  # (the old slots leave before the new ones take their (day, leader) places)
        session.add_all([RosterSlot(month=key, day=s.day, leader_id=s.leader_id, role=s.role, reason=s.reason)
                         for s in plan.slots])
        if row is None:
            row = RosterMonth(month=key, status=DRAFT, version=0)
            session.add(row)
        row.generated_at, row.generated_by = utcnow(), by
        _audit(session, "roster_generate", "roster_month", key, by, f"slots={len(plan.slots)}")
        return GenerationResult(key, len(plan.slots), plan.warnings, cal.knows(year))


def generate_months(ctx: AppContext, months: Iterable[str], *, by: str = "") -> list[GenerationResult]:
    """Generate several months in order (each continues the rotation of the previous one)."""
    return [generate_month(ctx, m, by=by) for m in months]


@dataclass(frozen=True, slots=True)
class YearGeneration:
    year: int
    generated: tuple[GenerationResult, ...]
    skipped: tuple[tuple[str, int], ...]
    """Published months left as they are: (month, published version)."""

    @property
    def message(self) -> str:
        done = "、".join(r.month[5:].lstrip("0") + "月" for r in self.generated) or "无"
        text = f"{self.year}年已生成：{done}"
        if self.skipped:
            text += "；已发布、未重新生成：" + "、".join(f"{m[5:].lstrip('0')}月（第{v}版）" for m, v in self.skipped)
        return text


def generate_year(ctx: AppContext, year: int, *, by: str = "") -> YearGeneration:
    """Generate every month of ``year`` that is not published (in order, so the rotation runs on); the published
    months are skipped and named (change them with swaps, substitutions, cancellations or moves)."""
    generated: list[GenerationResult] = []
    skipped: list[tuple[str, int]] = []
    for mon in range(1, 13):
        key = month_key(year, mon)
        with ctx.db.read() as session:
            row = session.get(RosterMonth, key)
            published = row is not None and row.status == PUBLISHED
            version = row.version if row is not None else 0
        if published:
            skipped.append((key, version))
        else:
            generated.append(generate_month(ctx, key, by=by))
    return YearGeneration(year, tuple(generated), tuple(skipped))


# -- publication ---------------------------------------------------------------------------------------------------


def _unconfirmed_message(session: Session, year: int, key: str) -> str:
    status = year_status(session, year)
    table = f"节假日表已录入{status.entries}天但尚未确认" if status.entries else "节假日表尚未录入"
    return (f"{key} 所在的{year}年节假日安排未确认：chinese-calendar 软件包不含{year}年，{table}，"
            f"排班只避开了按法定节假日推算的休息日，调休放假的日子可能被排成接访日。请先导入并确认{year}年节假日表"
            f"（管理 → 节假日表，或 reception holidays import/confirm {year}），或明确确认按推算的日历发布。")


def _publish(session: Session, key: str, cal: WorkCalendar, rules: RosterRules, *, by: str, note: str
             ) -> RosterVersion:
    year, mon = parse_month(key)
    row = session.get(RosterMonth, key)
    assert row is not None
    snapshot = _build_snapshot(session, cal, rules, year, mon)
    latest = _latest_version(session, key)
    if latest is not None and latest.snapshot["days"] == snapshot["days"]:
        return latest
    number = latest.version + 1 if latest else 1
    changes = _diff(latest.snapshot, snapshot) if latest else []
    v = RosterVersion(month=key, version=number, published_by=by, note=note[:200],
                      calendar_confirmed=cal.knows(year), snapshot=snapshot, changes=_changes_to_json(changes))
    session.add(v)
    row.status, row.version = PUBLISHED, number
    _audit(session, "roster_publish", "roster_month", key, by, f"version={number}")
    session.flush()
    return v


def publish_month(ctx: AppContext, month: str, *, by: str, force: bool = False, note: str = "") -> VersionInfo:
    """Publish the month (version 1, or the next version when the month changed since). A month of a year whose
    holidays are unconfirmed needs ``force=True`` (the administrator's explicit confirmation); otherwise
    ``UnconfirmedHolidaysError`` says why."""
    year, mon = parse_month(month)
    key = month_key(year, mon)
    if not by.strip():
        raise FieldError("by", "请填写发布人", key="published_by_required")
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        row = session.get(RosterMonth, key)
        if row is None:
            raise RosterError(f"{key} 尚未生成排班，请先生成", key="roster_not_generated")
        cal = load_work_calendar(session)
        if not cal.knows(year) and not force:
            raise UnconfirmedHolidaysError(_unconfirmed_message(session, year, key))
        rules = load_roster_rules(session)
        if not cal.knows(year):
            note = (note + "；" if note else "") + f"{year}年节假日未确认，经发布人确认后发布"
        v = _publish(session, key, cal, rules, by=by, note=note)
        return _version_info(v)


def versions(ctx: AppContext, month: str) -> list[VersionInfo]:
    year, mon = parse_month(month)
    with ctx.db.read() as session:
        rows = session.scalars(select(RosterVersion).where(RosterVersion.month == month_key(year, mon))
                               .order_by(RosterVersion.version))
        return [_version_info(v) for v in rows]


def diff_versions(ctx: AppContext, month: str, old: int, new: int) -> list[DayChange]:
    """What changed from version ``old`` to version ``new`` of a published month."""
    a, b = month_roster(ctx, month, version=old), month_roster(ctx, month, version=new)
    before = {d.day: d for d in a.days}
    out: list[DayChange] = []
    for d in b.days:
        p = before[d.day]
        if [x.leader_id for x in p.leaders] != [x.leader_id for x in d.leaders]:
            out.append(DayChange(d.day, tuple(_leader_label(x.name, x.title) for x in p.leaders),
                                 tuple(_leader_label(x.name, x.title) for x in d.leaders)))
    return out


# -- swaps and substitutions ---------------------------------------------------------------------------------------


def _slot(session: Session, day: date, leader_id: str) -> RosterSlot:
    s = session.scalar(select(RosterSlot).where(RosterSlot.day == day, RosterSlot.leader_id == leader_id))
    if s is None:
        raise NotFoundError(f"{day.isoformat()} 没有该领导的接访安排", key="roster_slot_not_found")
    return s


def _require(reason: str, approved_by: str) -> None:
    errors = []
    if not reason.strip():
        errors.append(FieldError("reason", "请填写调整原因", key="reason_required"))
    if not approved_by.strip():
        errors.append(FieldError("approved_by", "请填写批准人", key="approved_by_required"))
    if errors:
        from reception.domain.errors import FieldErrors

        raise FieldErrors(errors)


def _check_can_take(session: Session, leader: RosterLeader, day: date) -> None:
    if session.scalar(select(RosterSlot.id).where(RosterSlot.day == day, RosterSlot.leader_id == leader.id)):
        raise RosterError(f"{leader.name}在{day.isoformat()}已有接访安排，同一天不能安排两次",
                          key="roster_double_booked")
    if not leader.member_on(day):
        raise RosterError(f"{leader.name}在{day.isoformat()}不在接访领导名单内", key="roster_not_member")
    absent = leader.absence_on(day)
    if absent:
        raise RosterError(f"{leader.name}在{day.isoformat()}{absent}", key="roster_leader_unavailable")


def _after_change(session: Session, months: set[str], *, by: str, note: str) -> int | None:
    """Republish the touched months that were published; returns the new version of the first one."""
    cal = load_work_calendar(session)
    rules = load_roster_rules(session)
    produced: int | None = None
    for key in sorted(months):
        row = session.get(RosterMonth, key)
        if row is not None and row.status == PUBLISHED:
            v = _publish(session, key, cal, rules, by=by, note=note)
            produced = produced or v.version
    return produced


def substitute(ctx: AppContext, day: date, leader_id: str, new_leader_id: str, *, reason: str, approved_by: str,
               by: str = "") -> ChangeInfo:
    """Another leader takes ``leader_id``'s place on ``day`` (替班)."""
    _require(reason, approved_by)
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        leaders = {x.id: x for x in load_leaders(session)}
        if new_leader_id not in leaders or leader_id not in leaders:
            raise NotFoundError("没有该领导", key="leader_not_found")
        slot = _slot(session, day, leader_id)
        old, new = leaders[leader_id], leaders[new_leader_id]
        _check_can_take(session, new, day)
        slot.leader_id, slot.origin = new.id, "substitute"
        slot.reason = f"替班：原定{old.name}，{reason.strip()}（{approved_by.strip()}批准）"[:200]
        session.flush()
        change = RosterChange(month=slot.month, kind="substitute", day=day, leader_id=old.id, other_day=None,
                              other_leader_id=new.id, reason=reason.strip(), approved_by=approved_by.strip(),
                              created_by=by)
        session.add(change)
        note = f"替班：{day.month}月{day.day}日 {old.name} → {new.name}"
        change.version = _after_change(session, {slot.month}, by=by or approved_by, note=note)
        _audit(session, "roster_substitute", "roster_change", change.id, by)
        session.flush()
        return _change_info(change, leaders)


def swap(ctx: AppContext, day: date, leader_id: str, other_day: date, other_leader_id: str, *, reason: str,
         approved_by: str, by: str = "") -> ChangeInfo:
    """Two leaders exchange their days (调换): ``leader_id`` goes to ``other_day`` and vice versa."""
    _require(reason, approved_by)
    if day == other_day:
        raise RosterError("调换的两天不能是同一天", key="roster_swap_same_day")
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        leaders = {x.id: x for x in load_leaders(session)}
        a = _slot(session, day, leader_id)
        b = _slot(session, other_day, other_leader_id)
        la, lb = leaders[leader_id], leaders[other_leader_id]
        _check_can_take(session, la, other_day)
        _check_can_take(session, lb, day)
        a.leader_id, b.leader_id = lb.id, la.id
        a.origin = b.origin = "swap"
        a.reason = f"与{la.name}调换（原定{other_day.month}月{other_day.day}日）：{reason.strip()}"[:200]
        b.reason = f"与{lb.name}调换（原定{day.month}月{day.day}日）：{reason.strip()}"[:200]
        session.flush()
        change = RosterChange(month=a.month, kind="swap", day=day, leader_id=la.id, other_day=other_day,
                              other_leader_id=lb.id, reason=reason.strip(), approved_by=approved_by.strip(),
                              created_by=by)
        session.add(change)
        note = f"调换：{la.name}（{day.month}月{day.day}日）与{lb.name}（{other_day.month}月{other_day.day}日）"
        change.version = _after_change(session, {a.month, b.month}, by=by or approved_by, note=note)
        _audit(session, "roster_swap", "roster_change", change.id, by)
        session.flush()
        return _change_info(change, leaders)


def cancel_slot(ctx: AppContext, day: date, leader_id: str, *, reason: str, approved_by: str,
                by: str = "") -> ChangeInfo:
    """Cancel a leader's reception on ``day`` (e.g. a day that turned out to be a holiday once the year's arrangement
    was confirmed): a published month gets its next version (the public notice shows it), with reason and approver."""
    _require(reason, approved_by)
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        leaders = {x.id: x for x in load_leaders(session)}
        slot = _slot(session, day, leader_id)
        month = slot.month
        session.delete(slot)
        session.flush()
        change = RosterChange(month=month, kind="cancel", day=day, leader_id=leader_id, other_day=None,
                              other_leader_id=leader_id, reason=reason.strip(), approved_by=approved_by.strip(),
                              created_by=by)
        session.add(change)
        note = f"取消：{day.month}月{day.day}日 {leaders[leader_id].name}（{reason.strip()}）"
        change.version = _after_change(session, {month}, by=by or approved_by, note=note)
        _audit(session, "roster_cancel", "roster_change", change.id, by)
        session.flush()
        return _change_info(change, leaders)


def move_slot(ctx: AppContext, day: date, leader_id: str, new_day: date, *, new_leader_id: str | None = None,
              reason: str, approved_by: str, by: str = "") -> ChangeInfo:
    """Replace a reception by one on ``new_day`` (a working day; by the same leader or ``new_leader_id``), e.g. a
    published 1 January moved to the next working day. Both months' published versions follow."""
    _require(reason, approved_by)
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        leaders = {x.id: x for x in load_leaders(session)}
        taker_id = new_leader_id or leader_id
        if taker_id not in leaders or leader_id not in leaders:
            raise NotFoundError("没有该领导", key="leader_not_found")
        cal = load_work_calendar(session)
        if not cal.is_workday(new_day):
            name = cal.holiday_name(new_day) or "休息日"
            raise RosterError(f"{new_day.isoformat()} 为{name}，不能安排接访", key="roster_day_off")
        slot = _slot(session, day, leader_id)
        old_month, role = slot.month, slot.role
        session.delete(slot)
        session.flush()
        taker = leaders[taker_id]
        _check_can_take(session, taker, new_day)
        new_month = month_key(new_day.year, new_day.month)
        old = leaders[leader_id]
        who = "" if taker_id == leader_id else f"，由{taker.name}接访"
        session.add(RosterSlot(month=new_month, day=new_day, leader_id=taker_id, role=role, origin="move",
                               reason=f"由{day.month}月{day.day}日改至本日{who}：{reason.strip()}"
                                      f"（{approved_by.strip()}批准）"[:200]))
        session.flush()
        change = RosterChange(month=old_month, kind="move", day=day, leader_id=leader_id, other_day=new_day,
                              other_leader_id=taker_id, reason=reason.strip(), approved_by=approved_by.strip(),
                              created_by=by)
        session.add(change)
        note = f"改期：{old.name}（{day.month}月{day.day}日）改至{new_day.month}月{new_day.day}日{who}"
        change.version = _after_change(session, {old_month, new_month}, by=by or approved_by, note=note)
        _audit(session, "roster_move", "roster_change", change.id, by)
        session.flush()
        return _change_info(change, leaders)


def _change_info(c: RosterChange, leaders: dict[str, RosterLeader]) -> ChangeInfo:
    return ChangeInfo(c.id, c.kind, c.day, leaders[c.leader_id].name, c.other_day, leaders[c.other_leader_id].name,
                      c.reason, c.approved_by, c.created_at, c.created_by, c.version)


def changes(ctx: AppContext, month: str) -> list[ChangeInfo]:
    """The swaps and substitutions touching ``month``, oldest first."""
    year, mon = parse_month(month)
    with ctx.db.read() as session:
        leaders = {x.id: x for x in load_leaders(session)}
        rows = session.scalars(select(RosterChange).where(RosterChange.month == month_key(year, mon))
                               .order_by(RosterChange.created_at))
        return [_change_info(c, leaders) for c in rows]


def published_conflicts(ctx: AppContext, month: str) -> list[str]:
    """Published days whose leader has since left the roster or become unavailable, or that turned out to be
    holidays once the year's arrangement was confirmed: to swap or cancel by hand."""
    year, mon = parse_month(month)
    cal = ctx.calendar
    with ctx.db.read() as session:
        leaders = {x.id: x for x in load_leaders(session)}
        rows = session.scalars(select(RosterSlot).where(RosterSlot.month == month_key(year, mon))
                               .order_by(RosterSlot.day))
        out: list[str] = []
        for s in rows:
            x = leaders[s.leader_id]
            if not cal.is_workday(s.day):
                name = cal.holiday_name(s.day) or "休息日"
                out.append(f"{s.day.isoformat()} 按现行节假日安排为{name}，{x.name}的接访安排需调整")
            elif not x.member_on(s.day):
                out.append(f"{s.day.isoformat()} {x.name}已不在接访领导名单内")
            elif x.absence_on(s.day):
                out.append(f"{s.day.isoformat()} {x.name}{x.absence_on(s.day)}")
        return out


# -- leaders directory ---------------------------------------------------------------------------------------------


def leaders(ctx: AppContext) -> list[RosterLeader]:
    with ctx.db.read() as session:
        return load_leaders(session)


def add_leader(ctx: AppContext, name: str, title: str, *, rank_order: int = 0, phone: str = "",
               active_from: date | None = None, in_rotation: bool = True, by: str = "") -> str:
    if not name.strip() or not title.strip():
        raise FieldError("name", "请填写领导姓名和职务", key="leader_required")
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        leader = Leader(name=name.strip(), title=title.strip(), rank_order=rank_order, phone=phone.strip())
        session.add(leader)
        session.flush()
        if active_from is not None or not in_rotation:
            session.add(LeaderMembership(leader_id=leader.id, active_from=active_from, in_rotation=in_rotation,
                                         created_by=by))
        _audit(session, "leader_add", "leader", leader.id, by)
        return leader.id


def change_title(ctx: AppContext, leader_id: str, title: str, *, by: str = "") -> None:
    """A leader's new title (职务), shown from now on; published versions keep the title they were printed with."""
    if not title.strip():
        raise FieldError("title", "请填写新职务", key="leader_title_required")
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        leader = session.get(Leader, leader_id)
        if leader is None:
            raise NotFoundError("没有该领导", key="leader_not_found")
        old, leader.title = leader.title, title.strip()
        _audit(session, "leader_title", "leader", leader_id, by, f"{old}→{leader.title}")


def end_membership(ctx: AppContext, leader_id: str, last_day: date, *, by: str = "") -> None:
    """The leader leaves the roster after ``last_day`` (open periods are closed; none: a period up to it)."""
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        rows = session.scalars(select(LeaderMembership).where(LeaderMembership.leader_id == leader_id)).all()
        open_rows = [r for r in rows if r.active_to is None or r.active_to > last_day]
        if not rows:
            session.add(LeaderMembership(leader_id=leader_id, active_from=None, active_to=last_day, created_by=by))
        for r in open_rows:
            r.active_to = last_day
        _audit(session, "leader_membership_end", "leader", leader_id, by)


def add_absence(ctx: AppContext, leader_id: str, start: date, end: date, reason: str = "请假", *,
                by: str = "") -> str:
    if end < start:
        raise FieldError("end", "结束日期不能早于开始日期", key="period_invalid")
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        if session.get(Leader, leader_id) is None:
            raise NotFoundError("没有该领导", key="leader_not_found")
        row = LeaderUnavailability(leader_id=leader_id, start=start, end=end, reason=reason.strip() or "请假",
                                   created_by=by)
        session.add(row)
        session.flush()
        _audit(session, "leader_absence", "leader", leader_id, by)
        return row.id


def remove_absence(ctx: AppContext, absence_id: str, *, by: str = "") -> None:
    with ctx.db.write() as session:
        require_by(session, by, Permission.ROSTER)
        row = session.get(LeaderUnavailability, absence_id)
        if row is not None:
            _audit(session, "leader_absence_remove", "leader", row.leader_id, by)
            session.delete(row)
