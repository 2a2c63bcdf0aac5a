"""The reference directory: localities (four levels), units, the category tree and routing rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.db.models import Category, Desk, Locality, Unit, User
from reception.domain.enums import RoutingAction
from reception.intake.dirsnap import RuleRow, directory_of
from reception.intake.dto import CategoryNode, DeskInfo, LocalityNode, RouteProposal, UnitInfo, UserInfo


def locality_tree(session: Session) -> tuple[LocalityNode, ...]:
    """Active localities as a forest of township/street roots (the district row itself is skipped)."""
    rows = session.scalars(
        select(Locality).where(Locality.active.is_(True)).order_by(Locality.sort_order, Locality.code)
    ).all()
    children: dict[str | None, list[Locality]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)

    def build(row: Locality) -> LocalityNode:
        return LocalityNode(
            row.id, row.code, row.name, row.level, row.parent_id, tuple(build(c) for c in children[row.id])
        )

    roots = [build(r) for r in children[None]]
    if len(roots) == 1 and roots[0].level == "district":
        return roots[0].children
    return tuple(roots)


def locality_path(session: Session, locality_id: str) -> list[Locality]:
    """From the township down to the given locality (the district level left out)."""
    path: list[Locality] = []
    current = session.get(Locality, locality_id)
    while current is not None:
        if current.level != "district":
            path.append(current)
        current = session.get(Locality, current.parent_id) if current.parent_id else None
    return list(reversed(path))


def locality_label(session: Session, locality_id: str) -> str:
    """"township / village / grid" (the district level left out), from the session's directory snapshot."""
    return directory_of(session).locality_label(locality_id)


def locality_labels(session: Session, locality_ids: Iterable[str]) -> dict[str, str]:
    """Labels ("township / village / grid") of many localities from one read of the (small) locality table."""
    wanted = set(locality_ids)
    if not wanted:
        return {}
    rows = {r.id: r for r in session.execute(select(Locality.id, Locality.parent_id, Locality.name, Locality.level))}
    labels: dict[str, str] = {}
    for locality_id in wanted:
        names: list[str] = []
        current = rows.get(locality_id)
        while current is not None and len(names) < 8:
            if current.level != "district":
                names.append(current.name)
            current = rows.get(current.parent_id) if current.parent_id else None
        labels[locality_id] = " / ".join(reversed(names))
    return labels


def category_tree(session: Session) -> tuple[CategoryNode, ...]:
    rows = session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.code)
    ).all()
    children: dict[str | None, list[Category]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)

    def build(row: Category) -> CategoryNode:
        return CategoryNode(
            row.id,
            row.code,
            row.name,
            row.parent_id,
            row.legal_channel,
            tuple(build(c) for c in children[row.id]),
        )

    return tuple(build(r) for r in children[None])


def category_label(session: Session, category_id: str) -> str:
    """"parent / child", from the session's directory snapshot."""
    return directory_of(session).category_label(category_id)


def category_labels(session: Session) -> dict[str, str]:
    """"parent / child" labels of every category, from one read of the (small) category table."""
    rows = {r.id: r for r in session.execute(select(Category.id, Category.parent_id, Category.name))}
    labels: dict[str, str] = {}
    for category_id in rows:
        names: list[str] = []
        current = rows.get(category_id)
        while current is not None and len(names) < 8:
            names.append(current.name)
            current = rows.get(current.parent_id) if current.parent_id else None
        labels[category_id] = " / ".join(reversed(names))
    return labels


def legal_channel_for(session: Session, category_id: str) -> str | None:
    """The legal channel (诉访分离) of a category or of its nearest ancestor that names one."""
    return directory_of(session).legal_channel_for(category_id)


def units(session: Session) -> tuple[UnitInfo, ...]:
    rows = session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.code))
    return tuple(UnitInfo(u.id, u.code, u.name, u.kind) for u in rows)


def desks(session: Session) -> tuple[DeskInfo, ...]:
    return tuple(DeskInfo(d.id, d.code, d.name, d.unit_name) for d in session.scalars(select(Desk)))


def desk_info(session: Session, desk_id: str) -> DeskInfo | None:
    d = session.get(Desk, desk_id)
    return DeskInfo(d.id, d.code, d.name, d.unit_name) if d else None


def user_info(session: Session, user_id: str) -> UserInfo | None:
    u = session.get(User, user_id)
    return UserInfo(u.id, u.username, u.display_name, u.role) if u else None


def propose_route(session: Session, category_id: str, locality_id: str | None) -> RouteProposal | None:
    """The routing rule table (category × locality → unit) proposes a unit; the most specific rule wins.

    Specificity: a rule on the exact locality beats one on its village, township or "anywhere"; within the same
    locality depth, a rule on the exact category beats one on a parent category; then the higher priority.
    """
    snap = directory_of(session)
    categories = snap.ancestors(snap.categories, category_id)
    localities = snap.ancestors(snap.localities, locality_id) if locality_id else []
    if not categories:
        return None
    best: tuple[tuple[int, int, int], RuleRow] | None = None
    for rule in snap.active_rules(categories):
        if rule.locality_id is None:
            loc_rank = len(localities)
        elif rule.locality_id in localities:
            loc_rank = localities.index(rule.locality_id)
        else:
            continue
        key = (loc_rank, categories.index(rule.category_id), -rule.priority)
        if best is None or key < best[0]:
            best = (key, rule)
    if best is None:
        return None
    rule = best[1]
    unit = snap.units.get(rule.unit_id)
    if unit is None or not unit.active:
        return None
    where = snap.locality_label(rule.locality_id) if rule.locality_id else "全区"
    explanation = f"按规则：{snap.category_label(rule.category_id)} × {where} → {unit.name}"
    if rule.note:
        explanation += f"（{rule.note}）"
    action = rule.action if rule.action in {a.value for a in RoutingAction} else RoutingAction.ASSIGN.value
    return RouteProposal(unit.id, unit.name, action, rule.id, explanation)


def iter_leaf_localities(nodes: Iterable[LocalityNode]) -> Iterable[LocalityNode]:
    for node in nodes:
        if node.children:
            yield from iter_leaf_localities(node.children)
        else:
            yield node


def users(session: Session, *, active_only: bool = True) -> tuple[UserInfo, ...]:
    query = select(User).order_by(User.display_name)
    if active_only:
        query = query.where(User.active.is_(True))
    return tuple(UserInfo(u.id, u.username, u.display_name, u.role) for u in session.scalars(query))


def user_by_username(session: Session, username: str) -> UserInfo | None:
    u = session.scalar(select(User).where(User.username == username.strip()))
    return UserInfo(u.id, u.username, u.display_name, u.role) if u else None
