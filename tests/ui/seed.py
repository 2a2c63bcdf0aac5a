"""A small, fixed directory for the UI tests (used until ``reception.demo.seed_demo`` exists, and for exact asserts).

Fictitious people and places. Two streets with villages and grids, a category tree with one legal-channel branch,
units, routing rules, one desk and one officer configured as this PC's desk.
"""

from __future__ import annotations

from dataclasses import dataclass

from reception.db.models import Category, Desk, Locality, RoutingRule, Unit, User
from reception.domain.idnumber import check_digit
from reception.services.context import AppContext
from reception.services.settings import DeskSettings, save_desk_settings


@dataclass(frozen=True)
class Seeded:
    desk_id: str
    officer_id: str


def valid_id(body17: str) -> str:
    """A resident ID with a correct check digit (fictitious)."""
    return body17 + check_digit(body17)


def seed_minimal(ctx: AppContext) -> Seeded:
    with ctx.db.write() as s:
        district = Locality(level="district", code="430302", name="测试区", sort_order=0)
        s.add(district)
        s.flush()
        streets: list[Locality] = []
        for i, name in enumerate(("翠园街道", "雨溪街道"), start=1):
            street = Locality(parent_id=district.id, level="township", code=f"430302{i:03d}", name=name,
                              sort_order=i)
            s.add(street)
            s.flush()
            streets.append(street)
            for j, vname in enumerate(("尚书茗苑社区", "罗塘村") if i == 1 else ("唐四村", "紫霞社区"), start=1):
                village = Locality(parent_id=street.id, level="village", code=f"{street.code}{j:03d}", name=vname,
                                   sort_order=j)
                s.add(village)
                s.flush()
                for k in (1, 2):
                    s.add(Locality(parent_id=village.id, level="grid", code=f"{village.code}{k:02d}",
                                   name=f"第{k}网格", sort_order=k))
        unit_cy = Unit(code="U01", name="翠园街道办事处", kind="township", locality_id=streets[0].id, sort_order=1)
        unit_yx = Unit(code="U02", name="雨溪街道办事处", kind="township", locality_id=streets[1].id, sort_order=2)
        unit_zj = Unit(code="U03", name="区住房和城乡建设局", kind="department", sort_order=3)
        unit_rs = Unit(code="U04", name="区人力资源和社会保障局", kind="department", sort_order=4)
        s.add_all([unit_cy, unit_yx, unit_zj, unit_rs])
        build = Category(code="C01", name="城乡建设", sort_order=1)
        labour = Category(code="C02", name="劳动和社会保障", sort_order=2)
        s.add_all([build, labour])
        s.flush()
        estate = Category(code="C0101", name="物业管理", parent_id=build.id, sort_order=1)
        demolition = Category(code="C0102", name="征地拆迁", parent_id=build.id, sort_order=2)
        wages = Category(code="C0201", name="拖欠工资", parent_id=labour.id, sort_order=1,
                         legal_channel="劳动人事争议仲裁")
        s.add_all([estate, demolition, wages])
        s.flush()
        s.add_all([
            RoutingRule(category_id=estate.id, locality_id=streets[0].id, unit_id=unit_cy.id, action="assign",
                        priority=1),
            RoutingRule(category_id=estate.id, locality_id=streets[1].id, unit_id=unit_yx.id, action="assign",
                        priority=1),
            RoutingRule(category_id=build.id, locality_id=None, unit_id=unit_zj.id, action="forward", priority=0),
            RoutingRule(category_id=wages.id, locality_id=None, unit_id=unit_rs.id, action="forward", priority=0),
        ])
        desk = Desk(code="JD01", name="1号接待窗口", unit_name="测试区信访接待中心")
        officer = User(username="liuxm", display_name="刘晓梅", role="desk_officer")
        s.add_all([desk, officer])
        s.flush()
        save_desk_settings(s, DeskSettings(desk_id=desk.id, officer_id=officer.id))
        return Seeded(desk.id, officer.id)
