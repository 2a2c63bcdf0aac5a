"""A realistic demo district for trying the desk app: ``reception init --demo`` or ``main.py --demo``.

The streets and communities named in the centre's own report, plus invented townships, villages and grids to make
up a four-level directory; district departments; a category tree with routing rules and legal channels; desks,
officers and leaders; and a few weeks of cases registered through the real intake service (so every rule that
applies at the desk applied to them too), some of them repeat, collective or already concluded.
All people are invented; their ID numbers are valid in form only.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.base import CHINA_TZ
from reception.db.models import (
    Case,
    Category,
    Desk,
    Leader,
    Locality,
    RoutingRule,
    Unit,
    User,
)
from reception.db.settings import DeskSettings, save_desk_settings
from reception.domain.enums import (
    CaseStatus,
    Channel,
    ContentClass,
    DocumentType,
    Gender,
    LocalityLevel,
    Role,
    RoutingAction,
    UnitKind,
)
from reception.domain.idnumber import check_digit
from reception.domain.workcalendar import WorkCalendar
from reception.intake import directory
from reception.intake.service import IntakeInput, PersonInput, register_in_session

DATA_FILE = Path(__file__).resolve().parent / "data" / "demo_district.json"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强文海燕玉兰德胜春生福云珍龙荣元妹轩"


def load_district() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


@dataclass
class _Person:
    name: str
    id_number: str
    gender: Gender
    phone: str
    address: str
    locality_id: str


def _make_id(rng: random.Random, gender: Gender) -> str:
    region = rng.choice(["430503", "430502", "430511", "430521", "430523"])
    birth = date(1945, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    seq = rng.randrange(0, 500) * 2 + (1 if gender is Gender.MALE else 0)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def _make_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def seed_reference(session: Session) -> dict[str, Any]:
    """Localities, units, categories, routing rules, desks, users and leaders. Returns lookup tables."""
    data = load_district()
    rng = random.Random(20211231)
    district = Locality(code=data["district"]["code"], name=data["district"]["name"],
                        level=LocalityLevel.DISTRICT.value)
    session.add(district)
    session.flush()
    township_unit: dict[str, str] = {}
    township_loc: dict[str, str] = {}
    leaves: list[tuple[str, str, str]] = []  # (grid locality id, township code, address prefix)
    for t_order, t in enumerate(data["townships"]):
        town = Locality(code=f"{data['district']['code']}-{t['code']}", name=t["name"],
                        level=LocalityLevel.TOWNSHIP.value, parent_id=district.id, sort_order=t_order)
        session.add(town)
        session.flush()
        township_loc[t["code"]] = town.id
        unit = Unit(code=t["code"], name=t["name"] if t["kind"] == "street" else f"{t['name']}人民政府",
                    kind=UnitKind.TOWNSHIP.value, locality_id=town.id, sort_order=t_order)
        session.add(unit)
        session.flush()
        township_unit[t["code"]] = unit.id
        for v_order, v_name in enumerate(t["villages"]):
            village = Locality(code=f"{town.code}-{v_order + 1:02d}", name=v_name, level=LocalityLevel.VILLAGE.value,
                               parent_id=town.id, sort_order=v_order)
            session.add(village)
            session.flush()
            for g in range(1, rng.randint(3, 6) + 1):
                grid = Locality(code=f"{village.code}-{g:02d}", name=f"第{g}网格", level=LocalityLevel.GRID.value,
                                parent_id=village.id, sort_order=g)
                session.add(grid)
                session.flush()
                leaves.append((grid.id, t["code"], f"{data['district']['name']}{t['name']}{v_name}"))
    dept_unit: dict[str, str] = {}
    for order, (code, name) in enumerate(data["departments"]):
        unit = Unit(code=code, name=name, kind=UnitKind.DEPARTMENT.value, sort_order=100 + order)
        session.add(unit)
        session.flush()
        dept_unit[code] = unit.id
    categories: dict[str, str] = {}
    for p_order, parent in enumerate(data["categories"]):
        cat = Category(code=parent["code"], name=parent["name"], sort_order=p_order)
        session.add(cat)
        session.flush()
        for c_order, child in enumerate(parent["children"]):
            code, name, target = child[0], child[1], child[2]
            legal = child[3] if len(child) > 3 else None
            leaf = Category(code=code, name=name, parent_id=cat.id, legal_channel=legal, sort_order=c_order)
            session.add(leaf)
            session.flush()
            categories[code] = leaf.id
            if target == "@township":
                for t_code, loc_id in township_loc.items():
                    session.add(RoutingRule(category_id=leaf.id, locality_id=loc_id, unit_id=township_unit[t_code],
                                            action=RoutingAction.ASSIGN.value, note="属地管理"))
            elif target:
                session.add(RoutingRule(category_id=leaf.id, locality_id=None, unit_id=dept_unit[target],
                                        action=RoutingAction.ASSIGN.value, note="谁主管、谁负责"))
    # a locality-specific exception: property disputes in 翠园街道's estates go to the housing bureau
    session.add(RoutingRule(category_id=categories["CJ01"], locality_id=township_loc["CY"], unit_id=dept_unit["ZJJ"],
                            action=RoutingAction.ASSIGN.value, priority=10, note="尚书茗苑等小区办证专项"))
    desks = [Desk(code="JD01", name="一号接待窗口", unit_name="区信访接待中心"),
             Desk(code="JD02", name="二号接待窗口", unit_name="区信访接待中心")]
    users = [User(username="liuxy", display_name="刘晓燕", role=Role.DESK_OFFICER.value),
             User(username="chenj", display_name="陈静", role=Role.DESK_OFFICER.value),
             User(username="supervisor", display_name="何督查", role=Role.SUPERVISOR.value),
             User(username="admin", display_name="系统管理员", role=Role.ADMIN.value),
             User(username="leader", display_name="值班领导", role=Role.DUTY_LEADER.value),
             User(username="unit_cy", display_name="翠园街道经办人", role=Role.UNIT_STAFF.value,
                  unit_id=township_unit["CY"])]
    # every demo account signs in with the documented demo password (README)
    from reception.security.accounts import DEMO_PASSWORD, hash_password

    demo_hash = hash_password(DEMO_PASSWORD)
    for user in users:
        user.password_hash = demo_hash
    session.add_all(desks)
    session.add_all(users)
    for order, (name, title) in enumerate(data["leaders"]):
        session.add(Leader(name=name, title=title, rank_order=order))
    session.flush()
    save_desk_settings(session, DeskSettings(desk_id=desks[0].id, officer_id=users[0].id))
    return {
        "leaves": leaves,
        "categories": categories,
        "requests": data["requests"],
        "desks": [d.id for d in desks],
        "officers": [users[0].id, users[1].id],
        "supervisor": users[2].id,
        "township_unit": township_unit,
    }


def _working_days_back(end: date, count: int, cal: WorkCalendar) -> list[date]:
    days: list[date] = []
    day = end
    while len(days) < count:
        if cal.is_workday(day):
            days.append(day)
        day -= timedelta(days=1)
    return list(reversed(days))


def seed_demo(ctx: AppContext, *, weeks: int = 4, seed: int = 2021) -> int:
    """Seed an empty data directory. Returns the number of cases created (0 when it was not empty)."""
    with ctx.db.read() as session:
        if session.scalar(select(func.count()).select_from(Locality)):
            return 0
    rng = random.Random(seed)
    with ctx.db.write() as session:
        ref = seed_reference(session)
    today = ctx.now().date()
    people: list[_Person] = []
    for _ in range(160):
        gender = rng.choice((Gender.MALE, Gender.FEMALE))
        grid_id, _t, prefix = rng.choice(ref["leaves"])
        people.append(_Person(
            name=_make_name(rng),
            id_number=_make_id(rng, gender),
            gender=gender,
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            address=f"{prefix}{rng.randint(1, 60)}栋{rng.randint(1, 6)}单元{rng.randint(101, 1802)}",
            locality_id=grid_id,
        ))
    cases_created = 0
    open_cases: list[tuple[str, int]] = []  # (case id, person index)
    codes = list(ref["categories"])
    returned = False
    with ctx.db.write() as session:
        # history from last year: a matter concluded after re-check (复核终结), whose petitioner will come again
        final_day = today - timedelta(days=400)
        final = _intake(session, ref, people[0], "CJ03", datetime.combine(final_day, datetime.min.time(),
                        CHINA_TZ).replace(hour=9), rng, codes)
        _advance(session, final, CaseStatus.FINAL, final_day, ref, rng)
        cases_created += 1
        # older matters still in handling, so the reminder lists have something to show: their 60-day handling
        # clocks (from acceptance, three days after registration) run out around today
        for back in (50, 56, 58, 60, 64, 70, 75):
            day = today - timedelta(days=back)
            while not ctx.calendar.is_workday(day):
                day -= timedelta(days=1)
            moment = datetime.combine(day, datetime.min.time(), CHINA_TZ).replace(hour=10)
            code = rng.choice([c for c in codes if not c.startswith("FD")])
            older = _intake(session, ref, people[rng.randrange(1, len(people))], code, moment, rng, codes)
            older_case = session.get(Case, older)
            if older_case is not None and older_case.status == CaseStatus.ASSIGNED.value:
                _advance(session, older, CaseStatus.IN_HANDLING, day, ref, rng)
                cases_created += 1
    weights = [0.25 if code.startswith("FD") else 1.0 for code in codes]
    days = _working_days_back(today, weeks * 5, ctx.calendar)
    for day in days:
        with ctx.db.write() as session:
            moment = datetime.combine(day, datetime.min.time(), CHINA_TZ).replace(hour=8, minute=30)
            for _ in range(rng.randint(3, 8)):
                moment += timedelta(minutes=rng.randint(5, 50))
                if open_cases and rng.random() < 0.2:
                    case_id, pidx = rng.choice(open_cases)
                    _intake(session, ref, people[pidx], None, moment, rng, codes, join=case_id)
                    continue
                pidx = rng.randrange(len(people))
                if day == days[-1] and not returned:
                    returned = True  # the petitioner whose matter was concluded comes back
                    final_case = session.scalar(select(Case.id).where(Case.status == CaseStatus.FINAL.value))
                    if final_case:
                        _intake(session, ref, people[0], None, moment, rng, codes, join=final_case)
                        continue
                code = rng.choices(codes, weights)[0]
                result_id = _intake(session, ref, people[pidx], code, moment, rng, codes)
                cases_created += 1
                age = (today - day).days
                case = session.get(Case, result_id)
                assert case is not None
                if case.status in (CaseStatus.ASSIGNED.value, CaseStatus.FORWARDED.value):
                    if age > 20 and rng.random() < 0.6:
                        _advance(session, result_id, CaseStatus.CLOSED, day, ref, rng)
                    elif age > 3:
                        _advance(session, result_id, CaseStatus.IN_HANDLING, day, ref, rng)
                    open_cases.append((result_id, pidx))
    seed_roster(ctx)
    seed_beyond_desk(ctx, rng)
    return cases_created


def seed_beyond_desk(ctx: AppContext, rng: random.Random) -> None:
    """Leaders' work beyond the desk, through the services: appointments (约访) in the coming days, down-visits
    (下访) with cases in the past weeks, leaders owning cases (包案), and backlog cases (积案, one 骨头案, one
    resolved)."""
    from reception.db.models import CaseOwnership, Leader
    from reception.leader import beyond
    from reception.leader.service import AppointmentInput

    today = ctx.now().date()
    with ctx.db.read() as session:
        leaders = list(session.scalars(select(Leader.id).where(Leader.active.is_(True)).order_by(Leader.rank_order)))
        handling = [(i, no, reg) for i, no, reg in session.execute(
            select(Case.id, Case.case_no, Case.registered_on).where(Case.status == CaseStatus.IN_HANDLING.value)
            .order_by(Case.registered_on))]
    if not leaders or len(handling) < 6:
        return
    oldest, others = handling[:3], handling[3:]
    with ctx.db.write() as session:  # 包案: two district leaders own the two oldest matters
        for (case_id, _no, _reg), leader in zip(oldest[:2], leaders, strict=False):
            session.add(CaseOwnership(case_id=case_id, leader_id=leader, since=today - timedelta(days=30),
                                      note="领导包案，限期化解"))
    beyond.list_backlog_case(ctx, beyond.BacklogInput(oldest[0][1], "历时较长、多次重复来访，涉及多个部门", hard=True),
                             actor_id=None)
    beyond.list_backlog_case(ctx, beyond.BacklogInput(oldest[2][1], "群众反映强烈，久拖未决"), actor_id=None)
    resolved = beyond.list_backlog_case(ctx, beyond.BacklogInput(oldest[1][1], "历史遗留问题"), actor_id=None)
    beyond.resolve_backlog_case(ctx, resolved, "包案领导召集有关部门现场协调，问题得到解决，信访人息诉罢访", today,
                                actor_id=None)
    places = ("翠园街道尚书茗苑社区", "雨溪街道罗塘社区", "城南街道紫霞社区", "学院路街道桂花社区")
    for n, back in enumerate((40, 26, 12)):
        day = today - timedelta(days=back)
        eligible = [no for _id, no, reg in handling if reg <= day]
        if not eligible:
            continue
        taken = rng.sample(eligible, k=min(len(eligible), 1 + n))
        beyond.create_down_visit(ctx, beyond.DownVisitInput(
            leaders[n % len(leaders)], day, places[n % len(places)], " ".join(taken),
            purpose="无会周带案下访", result="听取群众意见，现场协调有关部门限期解决", households=rng.randint(5, 30)),
            actor_id=None)
    for n, ahead in enumerate((0, 2, 5)):
        no = others[-1 - n][1]
        beyond.schedule_by_case_no(ctx, no, AppointmentInput(
            "", today + timedelta(days=ahead), f"{9 + n * 2:02d}:30", leaders[(n + 1) % len(leaders)],
            "区信访接待中心", headcount=1 + n), actor_id=None)


def seed_roster(ctx: AppContext) -> None:
    """The holiday table of this year (from the package), the default roster rules, and this month's roster:
    generated, and published when the year's holidays are known."""
    from reception.roster import service as roster
    from reception.roster.holidays import load_work_calendar, seed_year
    from reception.roster.rules import RosterRules, save_roster_rules

    today = ctx.now().date()
    with ctx.db.write() as session:
        seed_year(session, today.year, by="demo")
        save_roster_rules(session, RosterRules())
        ctx.calendar = load_work_calendar(session)
    month = f"{today:%Y-%m}"
    roster.generate_month(ctx, month, by="demo")
    if ctx.calendar.knows(today.year):
        roster.publish_month(ctx, month, by="演示管理员", note="演示数据")


def _intake(session: Session, ref: dict[str, Any], person: _Person, code: str | None, moment: datetime,
            rng: random.Random, codes: list[str], *, join: str | None = None) -> str:
    desk_id = rng.choice(ref["desks"])
    officer_id = rng.choice(ref["officers"])
    main = PersonInput(name=person.name, id_type=DocumentType.RESIDENT_ID, id_number=person.id_number,
                       gender=person.gender, phone=person.phone, address=person.address)
    if join is not None:
        case = session.get(Case, join)
        assert case is not None
        form = IntakeInput(person=main, channel=Channel.VISIT, content_class=ContentClass.parse(case.content_class),
                           category_id=case.category_id, locality_id=case.locality_id,
                           request="再次来访，询问办理进度", facts=case.facts, join_case_id=join)
        return register_in_session(session, form, desk_id=desk_id, officer_id=officer_id, now=moment).case_id
    assert code is not None
    category_id = ref["categories"][code]
    legal = directory.legal_channel_for(session, category_id)
    proposal = directory.propose_route(session, category_id, person.locality_id)
    headcount = rng.choice((1,) * 12 + (3, 6, 12))
    reps: tuple[PersonInput, ...] = ()
    if headcount > 1:
        reps = tuple(
            PersonInput(name=_make_name(rng), id_type=DocumentType.NONE, phone=f"139{rng.randrange(10**8):08d}")
            for _ in range(min(headcount, 5) - 1)
        )
    if legal:
        action, unit_id = RoutingAction.LEGAL_CHANNEL, None
    elif proposal is not None:
        action = RoutingAction.parse(proposal.action)
        unit_id = proposal.unit_id
    else:
        action, unit_id = RoutingAction.LEADER_RECEPTION, None
    content = ContentClass.ACCUSATION if code in ("CJ04", "FD05") else (
        ContentClass.SUGGESTION if rng.random() < 0.1 else ContentClass.CLAIM)
    request = rng.choice(ref["requests"].get(code, ["要求解决相关问题"]))
    channel = rng.choice((Channel.VISIT,) * 6 + (Channel.LETTER, Channel.PHONE, Channel.ONLINE))
    # letters and online petitions arrive a few days before they are registered (收件日期)
    received = moment.date() - timedelta(days=rng.randint(0, 5)) if channel in (Channel.LETTER, Channel.ONLINE) \
        else None
    form = IntakeInput(
        person=main,
        channel=channel,
        received_on=received,
        headcount=headcount,
        content_class=content,
        category_id=category_id,
        locality_id=person.locality_id,
        request=request,
        facts=f"信访人称：{request}。已多次向有关方面反映，问题至今未得到解决。",
        routing_action=action,
        unit_id=unit_id,
        legal_channel=legal or "",
        skip_level=rng.random() < 0.05,
        representatives=reps,
    )
    return register_in_session(session, form, desk_id=desk_id, officer_id=officer_id, now=moment).case_id


def _advance(session: Session, case_id: str, target: CaseStatus, start: date, ref: dict[str, Any],
             rng: random.Random) -> None:
    """Walk a demo case forward through the lifecycle engine (sign, accept, handle, reply, evaluate, close; then
    review, re-check and finality), each step on its own day after ``start``."""
    from reception.lifecycle import machine as m
    from reception.lifecycle.service import apply_in_session
    from reception.roster.holidays import load_work_calendar

    cal = load_work_calendar(session)
    rater = ref["officers"][0]  # a desk officer calls back; unit staff (the handlers) never rate
    steps: list[tuple[int, m.Transition, CaseStatus, str | None]] = [
        (1, m.SignFor(), CaseStatus.SIGNED, None),
        (3, m.Accept(), CaseStatus.ACCEPTED, None),
        (4, m.StartHandling(), CaseStatus.IN_HANDLING, None),
    ]
    if target in (CaseStatus.CLOSED, CaseStatus.FINAL):
        steps += [
            (18, m.Reply(rng.choice(list(m.ReplyOutcome)), "依据有关政策规定", start + timedelta(days=18),
                         m.DeliveryMeans.IN_PERSON), CaseStatus.REPLIED, None),
            (19, m.Evaluate(rng.choice((m.Rating.SATISFIED, m.Rating.BASICALLY)), m.EvaluationChannel.PHONE),
             CaseStatus.REPLIED, rater),
            (20, m.Close(), CaseStatus.CLOSED, ref["supervisor"]),  # 销号 is the supervisor's
        ]
    if target is CaseStatus.FINAL:
        steps += [
            (40, m.RequestReview(start + timedelta(days=40), "区人民政府"), CaseStatus.IN_REVIEW, None),
            (60, m.Reply(m.ReplyOutcome.REJECT, "维持原处理意见", start + timedelta(days=60), m.DeliveryMeans.POST),
             CaseStatus.REPLIED, None),
            (80, m.RequestRecheck(start + timedelta(days=80), "市人民政府"), CaseStatus.IN_RECHECK, None),
            (110, m.Reply(m.ReplyOutcome.REJECT, "维持复查意见", start + timedelta(days=110), m.DeliveryMeans.POST),
             CaseStatus.FINAL, None),
        ]
    for offset, transition, status, actor in steps:
        when = datetime.combine(start + timedelta(days=offset), datetime.min.time(), CHINA_TZ).replace(hour=10)
        apply_in_session(session, case_id, transition, actor_id=actor, now=when, cal=cal)
        if status is target:
            break
