"""The routing rule table proposes a unit: the most specific rule wins (domain.md §2.3)."""

from __future__ import annotations

from reception.db.models import RoutingRule
from reception.domain.enums import RoutingAction
from reception.intake import directory
from tests.unit.conftest import Desk


def propose(desk: Desk, category: str, locality: str | None) -> str | None:
    with desk.ctx.db.read() as s:
        p = directory.propose_route(s, desk.category(category), desk.locality(locality) if locality else None)
    return p.unit_name if p else None


def test_department_rule_applies_everywhere(desk: Desk) -> None:
    assert propose(desk, "LD01", "城南街道/紫霞社区/第1网格") == "区人力资源和社会保障局"
    assert propose(desk, "LD01", None) == "区人力资源和社会保障局"


def test_locality_rule_sends_the_matter_to_its_township(desk: Desk) -> None:
    assert propose(desk, "CJ02", "城南街道/紫霞社区/第1网格") == "城南街道"
    assert propose(desk, "CJ02", "板桥乡/石塘村/第2网格") == "板桥乡人民政府"
    assert propose(desk, "CJ02", None) is None  # no locality, no township to send it to


def test_more_specific_locality_beats_a_district_wide_rule(desk: Desk) -> None:
    with desk.ctx.db.write() as s:
        s.add(RoutingRule(category_id=desk.category("LD01"), locality_id=desk.locality("雨溪街道/唐四社区"),
                          unit_id=desk.unit("YX"), action=RoutingAction.FORWARD.value, note="专班"))
    assert propose(desk, "LD01", "雨溪街道/唐四社区/第1网格") == "雨溪街道"
    assert propose(desk, "LD01", "雨溪街道/罗塘社区/第1网格") == "区人力资源和社会保障局"
    with desk.ctx.db.read() as s:
        p = directory.propose_route(s, desk.category("LD01"), desk.locality("雨溪街道/唐四社区/第1网格"))
    assert p is not None and p.action == "forward" and "专班" in p.explanation


def test_legal_channel_categories_name_their_channel(desk: Desk) -> None:
    with desk.ctx.db.read() as s:
        assert directory.legal_channel_for(s, desk.category("FD03")) == "区劳动人事争议仲裁委员会（申请仲裁）"
        assert directory.legal_channel_for(s, desk.category("LD01")) is None


def test_locality_tree_has_four_levels_below_the_district(desk: Desk) -> None:
    with desk.ctx.db.read() as s:
        tree = directory.locality_tree(s)
    names = [t.name for t in tree]
    assert {"翠园街道", "火车南站街道", "学院路街道", "雨溪街道", "城南街道"} <= set(names)
    cuiyuan = next(t for t in tree if t.name == "翠园街道")
    village = next(v for v in cuiyuan.children if v.name == "尚书茗苑社区")
    assert village.children and all(g.level == "grid" for g in village.children)


def test_locality_labels_in_one_read_match_the_single_label(desk: Desk) -> None:
    with desk.ctx.db.read() as s:
        ids = [g.id for t in directory.locality_tree(s) for v in t.children for g in v.children][:40]
        ids += [t.id for t in directory.locality_tree(s)]
        many = directory.locality_labels(s, ids)
        assert many == {i: directory.locality_label(s, i) for i in ids}
    assert many[desk.locality("翠园街道/尚书茗苑社区/第1网格")] == "翠园街道 / 尚书茗苑社区 / 第1网格"


def test_category_labels_in_one_read_match_the_single_label(desk: Desk) -> None:
    with desk.ctx.db.read() as s:
        labels = directory.category_labels(s)
        assert labels == {i: directory.category_label(s, i) for i in labels}
    assert labels[desk.category("CJ01")] == "城乡建设 / 房屋办证"
