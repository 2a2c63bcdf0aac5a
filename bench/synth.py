"""Synthetic petitioners and intake forms for the benchmarks (shared by ``generate.py`` and ``bench_intake.py``).

Everything here builds *inputs*: the ``IntakeInput`` an officer would type at the desk. Nothing writes to the
database; the caller hands each form to the real intake service (``register_in_session`` / ``register_intake``),
so every validation and routing rule of the app applies to the synthetic data too.

Realism, roughly (all invented people; ID numbers are valid in form only):

* names: surnames with their real-world skew (王/李/张 ≈ 7 % each, a long tail, a few compound surnames),
  given names from gendered pools with Zipf weights, one or two characters — so many people share a name;
* documents: GB 11643 resident IDs (mostly local 4305xx regions, some from elsewhere in Hunan and other
  provinces, a few typed as the 15-digit legacy number or with a lower-case x), passports, Hong Kong/Macao and
  Taiwan permits, foreign permanent residence cards, and ~4 % with no document at all;
* phones: mobiles typed in several ways (spaces, dashes, +86), local landlines with area code and sometimes an
  extension, a few shared by family members, ~4 % none;
* addresses from the demo district's four-level directory.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from reception.domain.enums import Channel, ContentClass, DocumentType, Gender, RoutingAction  # noqa: E402
from reception.domain.idnumber import check_digit  # noqa: E402
from reception.intake import directory  # noqa: E402
from reception.intake.service import IntakeInput, PersonInput  # noqa: E402

# --- names -------------------------------------------------------------------------------------------------------

# Approximate shares (per cent) of the most frequent surnames (national figures, rounded), then a tail.
_TOP_SURNAMES = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.3), ("赵", 2.1),
    ("吴", 2.0), ("周", 1.9), ("徐", 1.5), ("孙", 1.4), ("马", 1.3), ("朱", 1.3), ("胡", 1.2), ("郭", 1.1),
    ("何", 1.1), ("高", 1.0), ("林", 1.0), ("罗", 0.9), ("郑", 0.8), ("梁", 0.7), ("谢", 0.7), ("宋", 0.6),
    ("唐", 0.6), ("许", 0.6), ("韩", 0.6), ("冯", 0.6), ("邓", 0.6), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5),
    ("肖", 0.5), ("田", 0.5), ("董", 0.5), ("袁", 0.5), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4),
    ("余", 0.4), ("杜", 0.4), ("叶", 0.4), ("程", 0.4), ("苏", 0.4), ("魏", 0.4), ("吕", 0.3), ("丁", 0.3),
    ("任", 0.3), ("沈", 0.3),
)  # fmt: skip
_TAIL_SURNAMES = (
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
)
_COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "司徒")
_MALE_GIVEN = (
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林建国志文海德胜春生福云荣元兵东峰亮成光永新"
    "学金民友顺祥清发安和忠义良武庆毅卫红军兴贵富仁全玉中立正江山松柏树根宝才喜"
)
_FEMALE_GIVEN = (
    "芳娜秀英敏静丽艳娟霞桂兰梅燕玉珍妹萍红玲琴雪莉慧凤洁琳婷晶颖莹倩丹璐佳欣怡雯悦瑶月彩春菊秋美翠香淑华"
    "云花荣金银巧爱琼丽青平小"
)


def _zipf(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


_SURNAMES = [s for s, _ in _TOP_SURNAMES] + list(_TAIL_SURNAMES)
_TAIL_SHARE = 100.0 - sum(w for _, w in _TOP_SURNAMES) - 0.6  # what the top 50 and compounds leave
_tail_w = _zipf(len(_TAIL_SURNAMES), 0.7)
_SURNAME_W = [w for _, w in _TOP_SURNAMES] + [_TAIL_SHARE * w / sum(_tail_w) for w in _tail_w]
_SURNAME_CUM = list(__import__("itertools").accumulate(_SURNAME_W))
_MALE_W = list(__import__("itertools").accumulate(_zipf(len(_MALE_GIVEN), 0.9)))
_FEMALE_W = list(__import__("itertools").accumulate(_zipf(len(_FEMALE_GIVEN), 0.9)))


def make_name(rng: random.Random, gender: Gender) -> str:
    compound = rng.random() < 0.006
    surname = rng.choice(_COMPOUND) if compound else rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    pool, cum = (_FEMALE_GIVEN, _FEMALE_W) if gender is Gender.FEMALE else (_MALE_GIVEN, _MALE_W)
    if rng.random() < 0.22:  # one-character given names (more common among older people)
        return surname + rng.choices(pool, cum_weights=cum)[0]
    first = rng.choices(pool, cum_weights=cum)[0]
    if gender is Gender.FEMALE and rng.random() < 0.015:
        return surname + first + first  # 婷婷, 丹丹
    second = first
    while second == first:
        second = rng.choices(pool, cum_weights=cum)[0]
    return surname + first + second


# --- documents ------------------------------------------------------------------------------------------------

# Address codes: mostly the city's own districts and counties (邵阳 4305xx), then Hunan, then elsewhere.
_LOCAL_REGIONS = ("430502", "430503", "430511", "430522", "430523", "430524", "430525", "430527", "430528",
                  "430529", "430581", "430582", "430521")
_HUNAN_REGIONS = ("430102", "430103", "430104", "430105", "430111", "430302", "430304", "430405", "430602",
                  "430703", "430802", "430902", "431002", "431102", "431202", "431302", "433101")
_OTHER_REGIONS = ("110105", "120104", "130102", "140105", "210102", "310115", "320106", "330106", "340104",
                  "350203", "360102", "370102", "410105", "420106", "440106", "440304", "450103", "460105",
                  "500103", "510107", "520102", "530102", "610113", "620102", "640104", "650102")


def _resident_id(rng: random.Random, gender: Gender, region: str | None = None) -> tuple[str, date]:
    if region is None:
        r = rng.random()
        pool = _LOCAL_REGIONS if r < 0.86 else _HUNAN_REGIONS if r < 0.96 else _OTHER_REGIONS
        region = rng.choice(pool)
    # petitioners are adults, more of them middle-aged and older
    age_days = int(rng.triangular(18 * 365, 88 * 365, 55 * 365))
    birth = date(2026, 6, 30) - timedelta(days=age_days)
    seq = rng.randrange(0, 500) * 2 + (1 if gender is Gender.MALE else 0)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body), birth


@dataclass(slots=True)
class Person:
    """One invented person, as the officer would type them in (``id_input``/``phone_input`` may be untidy)."""

    name: str
    gender: Gender
    id_type: DocumentType
    id_number: str
    """The normalised number ("" when none): what the database will hold."""
    id_input: str
    """How it is typed at the desk the first time (15-digit legacy form, lower-case x, spaces...)."""
    phone: str
    """Digits only ("" when none)."""
    phone_input: str
    address: str
    home: str
    """Locality id (grid) of the home address."""
    tickets: int = 0
    """Weight for coming back: 0 for one-time visitors, up to ``MAX_TICKETS`` for frequent petitioners."""
    petitioner_id: str | None = None
    cases: list[tuple[str, str, str, str]] = field(default_factory=list)
    """Recent cases (case id, content class, category id, locality id), newest last, at most five."""

    def form_person(self, *, fresh_typing: bool = True, with_pid: bool = False) -> PersonInput:
        return PersonInput(
            name=self.name,
            id_type=self.id_type,
            id_number=self.id_input if fresh_typing else self.id_number,
            gender=self.gender if (self.id_type is not DocumentType.RESIDENT_ID or len(self.name) % 2) else
            Gender.UNKNOWN,
            phone=self.phone_input if fresh_typing else self.phone,
            address=self.address,
            petitioner_id=self.petitioner_id if with_pid else None,
        )


class Identities:
    """Makes people with unique document numbers (two real people never share one) and mostly unique phones."""

    def __init__(self, rng: random.Random, leaves: list[tuple[str, str, str]]) -> None:
        self.rng = rng
        self.leaves = leaves
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.shared_phones: list[str] = []

    def _id(self, gender: Gender) -> tuple[DocumentType, str, str]:
        rng = self.rng
        r = rng.random()
        if r < 0.955:
            while True:
                number, birth = _resident_id(rng, gender, "810000" if r < 0.0008 else None)
                if number not in self.ids:
                    break
            typed = number
            t = rng.random()
            if t < 0.01 and birth.year < 2000 and not number.startswith("81"):
                typed = number[:6] + number[8:17]  # first-generation 15-digit card, converted on save
            elif t < 0.03 and number.endswith("X"):
                typed = number[:-1] + "x"
            elif t < 0.04:
                typed = f"{number[:6]} {number[6:14]} {number[14:]}"
            return DocumentType.RESIDENT_ID, number, typed
        if r < 0.96:
            while True:
                number = rng.choice("EEEG") + f"{rng.randrange(10**8):08d}"
                if number not in self.ids:
                    return DocumentType.PASSPORT, number, number
        if r < 0.963:
            while True:
                number = rng.choice("HM") + f"{rng.randrange(10**8):08d}"
                if number not in self.ids:
                    return DocumentType.HK_MACAO_PERMIT, number, number
        if r < 0.965:
            while True:
                number = f"{rng.randrange(10**8):08d}"
                if number not in self.ids:
                    return DocumentType.TAIWAN_PERMIT, number, number
        if r < 0.9655:
            while True:
                number = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3)) + \
                    f"{rng.randrange(10**12):012d}"
                if number not in self.ids:
                    return DocumentType.FOREIGN_RESIDENCE, number, number
        return DocumentType.NONE, "", ""

    def _phone(self) -> tuple[str, str]:
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            return "", ""
        if r < 0.05 and self.shared_phones:  # a family member's number
            number = rng.choice(self.shared_phones)
            return number, number
        if r < 0.87:
            while True:
                number = "1" + rng.choice("3333355578889") + f"{rng.randrange(10**9):09d}"
                if number not in self.phones:
                    break
            t = rng.random()
            typed = (number if t < 0.82 else f"{number[:3]} {number[3:7]} {number[7:]}" if t < 0.92 else
                     f"{number[:3]}-{number[3:7]}-{number[7:]}" if t < 0.97 else f"+86 {number}")
        else:
            while True:
                local = rng.choice("2345678") + f"{rng.randrange(10**6):06d}"
                number = "0739" + local
                if number not in self.phones:
                    break
            t = rng.random()
            typed = (f"0739-{local}" if t < 0.6 else number if t < 0.8 else f"(0739){local}" if t < 0.9 else
                     f"0739-{local}转{rng.randint(1, 899)}")
        self.phones.add(number)
        if rng.random() < 0.05:
            self.shared_phones.append(number)
            if len(self.shared_phones) > 5000:
                del self.shared_phones[: len(self.shared_phones) // 2]
        return number, typed

    def address(self, prefix: str) -> str:
        rng = self.rng
        if prefix.endswith("村"):
            return f"{prefix}{rng.randint(1, 18)}组{rng.randint(1, 120)}号"
        return f"{prefix}{rng.randint(1, 60)}栋{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"

    def person(self, *, tickets: int = 0, with_id: bool = True) -> Person:
        rng = self.rng
        gender = Gender.MALE if rng.random() < 0.56 else Gender.FEMALE
        if with_id:
            id_type, number, typed = self._id(gender)
        else:
            id_type, number, typed = DocumentType.NONE, "", ""
        if number:
            self.ids.add(number)
        phone, phone_typed = self._phone()
        if id_type is DocumentType.NONE and not phone and rng.random() < 0.9:
            phone, phone_typed = self._phone() or ("", "")
        grid, _town, prefix = rng.choice(self.leaves)
        return Person(name=make_name(rng, gender), gender=gender, id_type=id_type, id_number=number,
                      id_input=typed, phone=phone, phone_input=phone_typed, address=self.address(prefix),
                      home=grid, tickets=tickets)


# --- the matter ------------------------------------------------------------------------------------------------

_CATEGORY_GROUP_WEIGHT = {"CJ": 30, "LD": 15, "GT": 10, "NY": 7, "HB": 6, "MZ": 6, "JY": 4, "WS": 4, "SC": 5,
                          "ZA": 8, "FD": 5}
_SINCE = ("去年", "前年", "今年初", "三年前", "2019年", "2020年", "2021年", "2022年", "2023年", "上个月", "半年前")
_REASONS = (
    "曾多次向社区（村）和街道（乡镇）反映，至今未得到明确答复。",
    "相关部门答复后一直未落实，信访人认为处理不公。",
    "涉及家庭多人生活，家庭经济困难，情绪较为激动。",
    "已向有关部门提交书面材料，对方称正在研究。",
    "信访人称对方态度恶劣，拒绝协商。",
    "同一小区（村组）还有多户存在相同情况。",
    "信访人表示如不解决将继续反映。",
)
_EVIDENCE = (
    "信访人提供了合同、收据复印件。",
    "信访人出示了相关照片和聊天记录。",
    "信访人未提供书面材料。",
    "信访人提交了手写情况说明一份。",
    "",
)
_REPEAT_REQUESTS = (
    "再次来访，询问办理进度",
    "再次来访，要求加快办理并书面答复",
    "对办理单位的答复不满意，要求重新处理",
    "反映交办后问题仍未解决",
    "询问责任单位是否已受理",
)
_OVERRIDE_REASONS = (
    "经与属地协调，由该单位牵头办理",
    "涉及多个部门，按联席会议意见改派",
    "原建议单位已撤并，改派承接单位",
)


@dataclass(slots=True)
class Reference:
    """The directory as the generator needs it, looked up once (the service still checks everything itself)."""

    leaves: list[tuple[str, str, str]]
    categories: dict[str, str]
    """code → id (leaf categories only)."""
    requests: dict[str, list[str]]
    desks: list[str]
    officers: list[str]
    legal: dict[str, str | None]
    """category id → legal channel (诉访分离) or None."""
    units: list[str]
    _routes: dict[tuple[str, str], tuple[str, str] | None] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    code_weights: list[float] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, ref: dict[str, Any]) -> Reference:
        from reception.db.models import Unit

        categories: dict[str, str] = ref["categories"]
        legal = {cid: directory.legal_channel_for(session, cid) for cid in categories.values()}
        units = [u.id for u in session.query(Unit).all()]
        out = cls(leaves=ref["leaves"], categories=categories, requests=ref["requests"], desks=ref["desks"],
                  officers=ref["officers"], legal=legal, units=units)
        groups: dict[str, list[str]] = {}
        for code in categories:
            groups.setdefault(code[:2], []).append(code)
        for group, codes in groups.items():
            for code in codes:
                out.codes.append(code)
                out.code_weights.append(_CATEGORY_GROUP_WEIGHT.get(group, 3) / len(codes))
        return out

    def route(self, session: Session, category_id: str, locality_id: str) -> tuple[str, str] | None:
        """(unit id, action) proposed by the rule table, cached per category × grid."""
        key = (category_id, locality_id)
        if key not in self._routes:
            p = directory.propose_route(session, category_id, locality_id)
            self._routes[key] = (p.unit_id, p.action) if p is not None else None
        return self._routes[key]


def pick_channel(rng: random.Random) -> Channel:
    r = rng.random()
    return (Channel.VISIT if r < 0.70 else Channel.ONLINE if r < 0.80 else Channel.LETTER if r < 0.90 else
            Channel.PHONE if r < 0.98 else Channel.LEADER_DAY)


def new_case_form(rng: random.Random, session: Session, ref: Reference, ids: Identities, person: Person,
                  *, fresh_typing: bool, with_pid: bool) -> IntakeInput:
    """A first visit about a new matter: category, locality, routing per the rule table, maybe collective."""
    code = rng.choices(ref.codes, ref.code_weights)[0]
    category_id = ref.categories[code]
    locality = person.home if rng.random() < 0.85 else rng.choice(ref.leaves)[0]
    channel = pick_channel(rng)
    headcount = 1
    reps: tuple[PersonInput, ...] = ()
    if channel in (Channel.VISIT, Channel.LEADER_DAY) and rng.random() < 0.05:
        r = rng.random()
        headcount = rng.randint(2, 5) if r < 0.55 else rng.randint(6, 20) if r < 0.9 else rng.randint(21, 120)
        n_reps = min(headcount, rng.randint(2, 5))
        reps = tuple(ids.person(with_id=rng.random() < 0.6).form_person() for _ in range(n_reps - 1))
    legal = ref.legal[category_id]
    route = ref.route(session, category_id, locality)
    unit_id: str | None = None
    override = ""
    if legal:
        action = RoutingAction.LEGAL_CHANNEL
    elif channel is Channel.LEADER_DAY or route is None:
        action = RoutingAction.LEADER_RECEPTION
        unit_id = route[0] if route else None
    else:
        unit_id = route[0]
        action = RoutingAction.FORWARD if rng.random() < 0.07 else RoutingAction.parse(route[1])
        if rng.random() < 0.03:
            unit_id = rng.choice([u for u in ref.units if u != route[0]])
            override = rng.choice(_OVERRIDE_REASONS)
    if code in ("CJ04", "FD05") or rng.random() < 0.04:
        content = ContentClass.ACCUSATION
    elif rng.random() < 0.08:
        content = ContentClass.SUGGESTION
    else:
        content = ContentClass.CLAIM
    request = rng.choice(ref.requests.get(code) or ["要求解决相关问题"])
    if rng.random() < 0.25:
        request += rng.choice(("，并尽快书面答复", "，追究相关人员责任", "，给予合理补偿", "，请领导重视"))
    facts = (f"信访人称：{rng.choice(_SINCE)}起，{request}。{rng.choice(_REASONS)}"
             f"{rng.choice(_REASONS) if rng.random() < 0.4 else ''}{rng.choice(_EVIDENCE)}")
    return IntakeInput(
        person=person.form_person(fresh_typing=fresh_typing, with_pid=with_pid),
        channel=channel,
        headcount=headcount,
        content_class=content,
        category_id=category_id,
        locality_id=locality,
        request=request,
        facts=facts,
        routing_action=action,
        unit_id=unit_id,
        override_reason=override,
        legal_channel=legal or "",
        skip_level=rng.random() < 0.03,
        representatives=reps,
    )


def repeat_form(rng: random.Random, person: Person, case: tuple[str, str, str, str], *, with_pid: bool
                ) -> IntakeInput:
    """A further visit about a matter already registered, joined to that case (no duplicate case).

    As the desk fills it in: the person and this visit's request; the matter's class, category and locality are
    the case's own.
    """
    r = rng.random()
    channel = Channel.VISIT if r < 0.75 else Channel.PHONE if r < 0.88 else Channel.ONLINE if r < 0.96 else \
        Channel.LETTER
    return IntakeInput(
        person=person.form_person(fresh_typing=not with_pid, with_pid=with_pid),
        channel=channel,
        request=rng.choice(_REPEAT_REQUESTS),
        skip_level=rng.random() < 0.04,
        join_case_id=case[0],
    )


def reference_from_db(session: Session) -> dict[str, Any]:
    """The lookup tables ``demo.seed_reference`` returns, rebuilt from any seeded data directory."""
    from sqlalchemy import select

    from reception.db.models import Locality, User
    from reception.demo import load_district
    from reception.domain.enums import Role

    district = session.scalars(select(Locality).where(Locality.level == "district")).first()
    district_name = district.name if district else ""
    leaves: list[tuple[str, str, str]] = []
    for town in directory.locality_tree(session):
        for village in town.children:
            for grid in village.children or (village,):
                leaves.append((grid.id, town.code.rsplit("-", 1)[-1], f"{district_name}{town.name}{village.name}"))
    categories: dict[str, str] = {}

    def walk(nodes: Any) -> None:
        for node in nodes:
            if node.children:
                walk(node.children)
            else:
                categories[node.code] = node.id

    walk(directory.category_tree(session))
    desks = [d.id for d in directory.desks(session)]
    officers = list(session.scalars(select(User.id).where(User.role == Role.DESK_OFFICER.value)))
    return {"leaves": leaves, "categories": categories, "requests": load_district()["requests"], "desks": desks,
            "officers": officers}
