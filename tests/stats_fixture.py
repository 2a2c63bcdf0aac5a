"""A small district half-year (2026 H1) built through the real services, with every figure counted by hand.

Cases (A–I in the period, K before it, L after it), registered through ``register_intake``, moved through the
lifecycle with ``lifecycle.service.apply`` and received by leaders with ``leader.service.record_reception``;
down-visits, backlog cases and two ownerships are direct rows (no service writes them yet).

    A 03-02 来访 1人 翠园 CJ01 → 住建局 ZJJ; signed 03-03, accepted 03-05 (timely), replied 03-20 (on time),
         satisfied 03-25, closed 03-26; repeat visit A2 03-10; owned (direct) since 03-10; backlog, resolved 03-26
    B 03-02 来访 6人 (集体访) 火车南站 CJ03 → ZJJ; accepted 03-20 (due 03-17: late), replied 05-25 (due 05-19:
         late), dissatisfied 05-28 (→ 督办 opened 05-28); owned (direct) since 2025-11-01; backlog, unresolved
    C 03-03 来访 1人 翠园 LD01 → 人社局 RSJ; accepted 03-04, extended 30 days 04-20, replied 05-20 (on time only
         with the extension: due 06-02), basically satisfied 05-22
    D 03-04 来信 1人 翠园 GT02 → 翠园街道 CY; not accepted 03-06 (timely)
    E 03-05 领导接访日 1人 越级访 罗市镇 → duty leader: 现场解决 (on the spot)
    F 03-05 来访 3人 (集体访) 雨溪 → duty leader: 领导包案 (ownership ended 06-10 by a direct update); appointment
         04-10 received (解释说明, 2人); down-visits 03-15 and 05-20; backlog (骨头案) resolved 06-10
    G 03-06 来访 1人 火车南站 → duty leader: 交办 火车南站街道 HCNZ; accepted 03-09 (timely); supervised 06-01,
         supervision answered resolved 06-15; down-visit 03-15
    H 04-01 网上 1人 城南 HB01 → 生态环境分局 HBJ (nothing more: overdue); repeat visit H2 04-20 (来访)
    I 06-16 来电 1人 翠园 CJ01 → ZJJ, signed 06-17 (notice clock due 07-02: due soon on 06-30)
    K 2025-12-10 来访 ZJJ (outside; overdue); L 2026-07-02 来访 RSJ (outside)
    down-visit 2025-12-20 with B (outside), 2026-06-30 without cases (inside); appointment for B on 07-05 (outside)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update

from reception.db.base import CHINA_TZ
from reception.db.models import BacklogCase, CaseOwnership, DownVisit, DownVisitCase, Leader, User
from reception.domain.enums import Channel, ContentClass, DocumentType, RoutingAction
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.leader import service as ls
from reception.leader.service import AppointmentInput, Outcome, Reaction, RecordInput
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc

GRIDS = {
    "CY": "翠园街道/尚书茗苑社区/第1网格",
    "HCNZ": "火车南站街道/祭旗社区/第1网格",
    "LS": "罗市镇/罗市村/第1网格",
    "YX": "雨溪街道/唐四社区/第1网格",
    "CN": "城南街道/紫霞社区/第1网格",
}

# -- the answers, counted by hand from the story above ---------------------------------------------------------------

H1 = {
    "leader_batches": 4,  # E, F, G receptions + F's appointment
    "leader_persons": 7,  # 1 + 3 + 1 + 2
    "leader_on_spot": 2,  # E 现场解决, F appointment 解释说明
    "appointments": 1,  # F 04-10 (B's 07-05 is outside)
    "down_visits": 3,  # 03-15, 05-20, 06-30
    "down_visit_cases": 2,  # F, G
    "owned_cases": 3,  # A, B, F
    "owned_resolved": 2,  # A (closed 03-26), F (ownership ended 06-10)
    "supervised": 2,  # B (dissatisfied), G (manual)
    "supervision_resolved": 1,  # G
    "backlog_resolved": 2,  # A, F
    "backlog_hard_resolved": 1,  # F
    "registrations": 11,  # A B C D E F G A2 H H2 I
    "visits": 8,  # A B C E F G A2 H2 (D letter, H online, I phone are not walk-ins)
    "visit_persons": 15,  # 1+6+1+1+3+1+1+1
    "new_cases": 9,  # A–I
    "collective": 2,  # B, F
    "collective_persons": 9,
    "repeat": 2,  # A2, H2
    "skip_level": 1,  # E
    "accept_decided": 5,  # A C D G timely, B late
    "accept_timely": 4,
    "accept_rate": 80.0,
    "replied": 3,  # A on time, B late, C on time with its extension
    "replied_on_time": 2,
    "on_time_rate": 66.7,
    "evaluated": 3,  # A satisfied, B dissatisfied, C basically
    "satisfied": 2,
    "satisfaction_rate": 66.7,
}

NOW = date(2026, 6, 30)
OVERDUE_ON_NOW = {"B", "G", "H", "K"}
"""B: supervision feedback due 06-29 (06-27 rolled from a Saturday); G: handling due 05-08; H: never signed for,
the unit's 3-working-day sign-for clock due 04-07 (after the 清明 holiday 04-04..06); K: sign-for due 2025-12-15.
E (现场解决) and F (领导包案) were answered or taken by the duty leader, so no intake clock runs for them."""
DUE_SOON_ON_NOW = {"I"}
"""I: routed 06-16, signed for 06-17, the Art. 23 notice clock due 07-02, amber from 06-29."""

# ranking for 2026 H1 with the default weights (20/30/30/10/10):
#   departments: RSJ 100 (all 100%); HBJ (10×(100−50) + 10×100)/20 = 75; ZJJ (20×50+30×50+30×50+10×75+10×0)/100 = 47.5
#   townships:   CY (20×100+10×100+10×100)/40 = 100; HCNZ (20×100+10×100+10×0)/40 = 75
RANKING_DEPARTMENTS = [("RSJ", 100.0), ("HBJ", 75.0), ("ZJJ", 47.5)]
RANKING_TOWNSHIPS = [("CY", 100.0), ("HCNZ", 75.0)]


@dataclass
class StatsData:
    cases: dict[str, str] = field(default_factory=dict)
    """Letter → case id."""
    case_nos: dict[str, str] = field(default_factory=dict)
    handler: str = ""
    duty: str = ""
    leader: str = ""


def at(d: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=CHINA_TZ)


D = date


def build(ctx, desk_id: str, officer_id: str, clock, unit, category, locality) -> StatsData:  # type: ignore[no-untyped-def]
    """Build the data set into ``ctx`` (``clock`` settable; ``unit``, ``category`` and ``locality`` look codes and
    grid paths up). Returns the case ids by letter."""
    data = StatsData()
    with ctx.db.write() as s:
        # the centre's supervisor records the units' steps (units that report on paper); the duty leader his receptions
        h = User(username="handler", display_name="承办人", role="supervisor")
        duty = User(username="duty", display_name="值班领导", role="duty_leader")
        s.add_all([h, duty])
        s.flush()
        data.handler = h.id
        data.duty = duty.id
        leader = s.scalar(select(Leader.id).order_by(Leader.rank_order))
        assert leader is not None
        data.leader = leader
    handler = data.handler

    def intake(letter: str, on: date, hour: int, *, name: str, grid: str, cat: str, channel: Channel = Channel.VISIT,
               headcount: int = 1, action: RoutingAction = RoutingAction.ASSIGN, unit_code: str | None = None,
               skip: bool = False, join: str | None = None) -> str:
        clock.moment = at(on, hour)
        form = IntakeInput(
            person=PersonInput(name=name, id_type=DocumentType.NONE, phone="13812345678",
                               address="示范区翠园街道某小区"),
            channel=channel, headcount=headcount, content_class=ContentClass.CLAIM,
            category_id=category(cat), locality_id=locality(GRIDS[grid]),
            request="要求尽快解决反映的问题" if join is None else "再次来访，询问办理进度",
            facts="多次反映未果。", routing_action=action,
            unit_id=unit(unit_code) if unit_code else None, override_reason="按属地和职责交办",
            skip_level=skip, join_case_id=data.cases[join] if join else None,
        )
        result = register_intake(ctx, form, desk_id=desk_id, officer_id=officer_id, render_receipt=False)
        if join is None:
            data.cases[letter] = result.case_id
            data.case_nos[letter] = result.case_no
        return result.case_id

    def step(letter: str, on: date, t: m.Transition, actor: str | None = handler, hour: int = 10) -> None:
        clock.moment = at(on, hour)
        lc.apply(ctx, data.cases[letter], t, actor_id=actor)

    def receive(letter: str, on: date, outcome: Outcome, *, hour: int = 11, unit_code: str | None = None,
                due: date | None = None, appointment_id: str | None = None) -> None:
        clock.moment = at(on, hour)
        visit_id = None
        if appointment_id is None:
            visit_id = next(q.visit_id for q in ls.leader_queue(ctx, on) if q.case_id == data.cases[letter])
        ls.record_reception(ctx, RecordInput(
            case_id=data.cases[letter], leader_id=data.leader, reply="已听取诉求并当面答复处理意见。",
            outcome=outcome, reaction=Reaction.BASICALLY, visit_id=visit_id, appointment_id=appointment_id,
            unit_id=unit(unit_code) if unit_code else None, due_on=due), actor_id=data.duty)

    reply = m.ReplyOutcome.SUPPORT
    post = m.DeliveryMeans.POST
    # outside the period: K
    intake("K", D(2025, 12, 10), 9, name="柯明亮", grid="CY", cat="CJ01", unit_code="ZJJ")
    # the half-year
    intake("A", D(2026, 3, 2), 9, name="夏明云", grid="CY", cat="CJ01", unit_code="ZJJ")
    intake("B", D(2026, 3, 2), 10, name="唐华妹", grid="HCNZ", cat="CJ03", unit_code="ZJJ", headcount=6)
    intake("C", D(2026, 3, 3), 9, name="曹荣生", grid="CY", cat="LD01", unit_code="RSJ")
    intake("D", D(2026, 3, 4), 9, name="任子轩", grid="CY", cat="GT02", unit_code="CY", channel=Channel.LETTER)
    intake("E", D(2026, 3, 5), 9, name="姚玉珍", grid="LS", cat="CJ02", channel=Channel.LEADER_DAY,
           action=RoutingAction.LEADER_RECEPTION, skip=True)
    intake("F", D(2026, 3, 5), 9, name="朱永龙", grid="YX", cat="CJ03", headcount=3,
           action=RoutingAction.LEADER_RECEPTION)
    intake("G", D(2026, 3, 6), 9, name="何建华", grid="HCNZ", cat="CJ02", action=RoutingAction.LEADER_RECEPTION)
    receive("E", D(2026, 3, 5), Outcome.RESOLVED, hour=10)
    receive("F", D(2026, 3, 5), Outcome.OWNED, hour=11)
    receive("G", D(2026, 3, 6), Outcome.ASSIGNED, unit_code="HCNZ", due=D(2026, 3, 20))
    step("A", D(2026, 3, 3), m.SignFor())
    step("A", D(2026, 3, 5), m.Accept())
    step("C", D(2026, 3, 4), m.Accept())
    step("D", D(2026, 3, 6), m.Reject("属于宅基地权属争议", "向乡镇人民政府申请调处"))
    step("G", D(2026, 3, 9), m.Accept())
    intake("A2", D(2026, 3, 10), 9, name="夏明云", grid="CY", cat="CJ01", join="A")
    step("B", D(2026, 3, 20), m.Accept())
    step("A", D(2026, 3, 20), m.Reply(reply, "《不动产登记暂行条例》", D(2026, 3, 20), post))
    step("A", D(2026, 3, 25), m.Evaluate(m.Rating.SATISFIED, m.EvaluationChannel.PHONE), actor=None)
    step("A", D(2026, 3, 26), m.Close())
    intake("H", D(2026, 4, 1), 9, name="莫德明", grid="CN", cat="HB01", unit_code="HBJ", channel=Channel.ONLINE)
    clock.moment = at(D(2026, 4, 2), 9)
    appointment = ls.schedule_appointment(ctx, AppointmentInput(
        data.cases["F"], D(2026, 4, 10), "09:30", data.leader, "区信访接待中心", headcount=2), actor_id=officer_id)
    receive("F", D(2026, 4, 10), Outcome.EXPLAINED, appointment_id=appointment)
    step("C", D(2026, 4, 20), m.Extend(30, "局长", "需要调查取证", True))
    intake("H2", D(2026, 4, 20), 9, name="莫德明", grid="CN", cat="HB01", join="H")
    step("C", D(2026, 5, 20), m.Reply(reply, "《劳动保障监察条例》", D(2026, 5, 20), post))
    step("C", D(2026, 5, 22), m.Evaluate(m.Rating.BASICALLY, m.EvaluationChannel.SMS), actor=None)
    step("B", D(2026, 5, 25), m.Reply(m.ReplyOutcome.EXPLAIN, "征收补偿方案", D(2026, 5, 25), post))
    step("B", D(2026, 5, 28), m.Evaluate(m.Rating.DISSATISFIED, m.EvaluationChannel.PHONE), actor=None)
    clock.moment = at(D(2026, 6, 1))
    lc.apply(ctx, data.cases["G"], m.Supervise("请加快办理并反馈"), actor_id=handler)
    with ctx.db.read() as s:
        from reception.db.models import Supervision

        sup = s.scalar(select(Supervision.id).where(Supervision.case_id == data.cases["G"]))
        assert sup is not None
    step("G", D(2026, 6, 15), m.AnswerSupervision(sup, True, "已协调解决"))
    intake("I", D(2026, 6, 16), 9, name="孙立新", grid="CY", cat="CJ01", unit_code="ZJJ", channel=Channel.PHONE)
    step("I", D(2026, 6, 17), m.SignFor())
    # after the period: L, and B's appointment
    intake("L", D(2026, 7, 2), 9, name="罗建军", grid="CY", cat="LD01", unit_code="RSJ")
    clock.moment = at(D(2026, 6, 20), 9)
    ls.schedule_appointment(ctx, AppointmentInput(data.cases["B"], D(2026, 7, 5), "10:00", data.leader),
                            actor_id=officer_id)
    # rows no service writes yet: ownership ended, direct ownerships, down-visits, backlog cases
    with ctx.db.write() as s:
        s.execute(update(CaseOwnership).where(CaseOwnership.case_id == data.cases["F"]).values(ended_on=D(2026, 6, 10)))
        s.add_all([
            CaseOwnership(case_id=data.cases["A"], leader_id=data.leader, since=D(2026, 3, 10)),
            CaseOwnership(case_id=data.cases["B"], leader_id=data.leader, since=D(2025, 11, 1)),
            CaseOwnership(case_id=data.cases["K"], leader_id=data.leader, since=D(2025, 6, 1),
                          ended_on=D(2025, 12, 31)),
        ])
        visits = [
            (D(2025, 12, 20), "火车南站街道", ["B"]),
            (D(2026, 3, 15), "雨溪街道唐四社区", ["F", "G"]),
            (D(2026, 5, 20), "雨溪街道", ["F"]),
            (D(2026, 6, 30), "城南街道紫霞社区", []),
        ]
        for day, place, letters in visits:
            dv = DownVisit(leader_id=data.leader, day=day, place=place, purpose="无会周带案下访")
            s.add(dv)
            s.flush()
            for letter in letters:
                s.add(DownVisitCase(down_visit_id=dv.id, case_id=data.cases[letter]))
        s.add_all([
            BacklogCase(case_id=data.cases["A"], listed_on=D(2026, 1, 5), resolved_on=D(2026, 3, 26)),
            BacklogCase(case_id=data.cases["B"], listed_on=D(2026, 1, 1)),
            BacklogCase(case_id=data.cases["F"], listed_on=D(2025, 10, 1), hard=True, resolved_on=D(2026, 6, 10)),
            BacklogCase(case_id=data.cases["H"], listed_on=D(2025, 6, 1), resolved_on=D(2026, 7, 2)),
        ])
    clock.moment = at(NOW, 17)
    return data
