"""Cases for the web tests, made the real way: registered on an enrolled desk (``register_intake``), taken through
the lifecycle with the desk's own service (``lifecycle.service.apply``) on the test clock, then synced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from reception.db.base import CHINA_TZ
from reception.db.models import Case, Category, Unit, User
from reception.db.settings import load_desk_settings
from reception.domain.enums import Channel, ContentClass, DocumentType, RoutingAction
from reception.intake import directory
from reception.intake.service import IntakeInput, PersonInput, register_intake
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc
from tests.clock import Clock
from tests.sync.harness import DeskHandle

GRID = "翠园街道/尚书茗苑社区/第1网格"
NAME = "夏明云"
ID_NUMBER = "430503198001011231"
PHONE = "13812345678"
ADDRESS = "示范区翠园街道尚书茗苑小区3栋"
REQUEST = "要求尽快办理房屋不动产权证"
UNIT = "ZJJ"


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=CHINA_TZ)


@dataclass
class Made:
    case_id: str
    case_no: str
    query_code: str


class CaseMaker:
    """Registers and moves cases on ``desk`` (its clock is set to each step's day)."""

    def __init__(self, desk: DeskHandle) -> None:
        self.desk = desk
        self.clock = Clock(at(date(2026, 8, 3)))
        desk.ctx.now = self.clock
        with desk.ctx.db.read() as s:
            st = load_desk_settings(s)
        self.desk_id, self.officer_id = st.desk_id, st.officer_id
        self.handler = self._user("web-handler", "unit_staff", UNIT)
        self.caller = self._user("web-callback", "supervisor", None)

    def _user(self, username: str, role: str, unit: str | None) -> str:
        with self.desk.ctx.db.write() as s:
            found = s.scalar(select(User.id).where(User.username == username))
            if found is not None:
                return found
            unit_id = s.scalar(select(Unit.id).where(Unit.code == unit)) if unit else None
            u = User(username=username, display_name=username, role=role, unit_id=unit_id)
            s.add(u)
            s.flush()
            return u.id

    def register(self, on: date, *, content: ContentClass = ContentClass.CLAIM, name: str = NAME) -> Made:
        self.clock.moment = at(on, 9)
        with self.desk.ctx.db.read() as s:
            nodes = directory.locality_tree(s)
            node = None
            for part in GRID.split("/"):
                node = next(n for n in nodes if n.name == part)
                nodes = node.children
            assert node is not None
            category = s.scalar(select(Category.id).where(Category.code == "CJ01"))
            unit_id = s.scalar(select(Unit.id).where(Unit.code == UNIT))
        form = IntakeInput(
            person=PersonInput(name=name, id_type=DocumentType.RESIDENT_ID, id_number=ID_NUMBER, phone=PHONE,
                               address=ADDRESS),
            channel=Channel.VISIT, content_class=content, category_id=str(category), locality_id=node.id,
            request=REQUEST, facts="小区交房五年仍未办证。", routing_action=RoutingAction.ASSIGN, unit_id=unit_id,
        )
        result = register_intake(self.desk.ctx, form, desk_id=self.desk_id, officer_id=self.officer_id,
                                 render_receipt=False)
        with self.desk.ctx.db.read() as s:
            case = s.get(Case, result.case_id)
            assert case is not None
            return Made(case.id, case.case_no, case.query_code)

    def step(self, made: Made, on: date, t: m.Transition, actor: str | None = None) -> lc.TransitionResult:
        self.clock.moment = at(on)
        return lc.apply(self.desk.ctx, made.case_id, t, actor_id=actor or self.handler)

    def replied(self, on: date, *, outcome: m.ReplyOutcome = m.ReplyOutcome.EXPLAIN,
                content: ContentClass = ContentClass.CLAIM) -> Made:
        """A case registered on ``on``, signed for and accepted the next day, replied 20 days later."""
        made = self.register(on, content=content)
        day = date.fromordinal(on.toordinal() + 1)
        self.step(made, day, m.SignFor())
        self.step(made, day, m.Accept(note="属于本单位职责"))
        self.step(made, day, m.StartHandling())
        reply_on = date.fromordinal(on.toordinal() + 21)
        self.step(made, reply_on, m.Reply(outcome, "《不动产登记暂行条例》", reply_on, m.DeliveryMeans.IN_PERSON))
        return made

    def status(self, made: Made) -> str:
        with self.desk.ctx.db.read() as s:
            case = s.get(Case, made.case_id)
            assert case is not None
            return case.status
