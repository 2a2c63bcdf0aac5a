"""Reference data the desk app loads at start-up (and again after enrolment or a sync that changed it: the main
window's ``reload_reference``): the directory, this desk, the signed-in officer. ``refill_combo`` puts a new list
into a combo box without losing what was chosen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from PySide6.QtWidgets import QComboBox

from reception.context import AppContext
from reception.db.settings import DeskSettings, load_desk_settings
from reception.intake import directory
from reception.intake.dto import CategoryNode, DeskInfo, LocalityNode, UnitInfo, UserInfo


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    """A leaf of the category tree, as the intake form lists it ("parent / child")."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Reference:
    localities: tuple[LocalityNode, ...]
    categories: tuple[CategoryChoice, ...]
    units: tuple[UnitInfo, ...]
    desks: tuple[DeskInfo, ...]
    settings: DeskSettings
    desk: DeskInfo | None
    user: UserInfo | None

    @property
    def desk_id(self) -> str:
        return self.desk.id if self.desk else ""

    @property
    def user_id(self) -> str:
        return self.user.id if self.user else ""

    def with_settings(self, settings: DeskSettings, desk: DeskInfo | None) -> Reference:
        return replace(self, settings=settings, desk=desk)


def leaf_choices(nodes: tuple[CategoryNode, ...], prefix: str = "") -> list[CategoryChoice]:
    out: list[CategoryChoice] = []
    for node in nodes:
        label = f"{prefix} / {node.name}" if prefix else node.name
        if node.is_leaf:
            out.append(CategoryChoice(node.id, label))
        else:
            out.extend(leaf_choices(node.children, label))
    return out


def load_reference(ctx: AppContext, user_id: str | None = None) -> Reference:
    """One short read: the directory and who sits at this desk (``user_id`` overrides the configured officer)."""
    with ctx.db.read() as session:
        settings = load_desk_settings(session)
        officer = user_id or settings.officer_id
        return Reference(
            localities=directory.locality_tree(session),
            categories=tuple(leaf_choices(directory.category_tree(session))),
            units=directory.units(session),
            desks=directory.desks(session),
            settings=settings,
            desk=directory.desk_info(session, settings.desk_id) if settings.desk_id else None,
            user=directory.user_info(session, officer) if officer else None,
        )


def refill_combo(combo: QComboBox, items: Iterable[tuple[str, object]], *, fallback: int = -1) -> bool:
    """Replace the combo's items with ``items`` (text, data), keeping the chosen item when it is still listed (else
    index ``fallback``: -1 shows the placeholder). Emits no signals; returns whether the chosen data changed."""
    new = list(items)
    old = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    if new == old:
        return False
    chosen = combo.currentData() if combo.currentIndex() >= 0 else None
    combo.blockSignals(True)
    try:
        combo.clear()
        for text, data in new:
            combo.addItem(text, data)
        index = combo.findData(chosen) if chosen is not None else -1
        combo.setCurrentIndex(index if index >= 0 else fallback)
    finally:
        combo.blockSignals(False)
    now = combo.currentData() if combo.currentIndex() >= 0 else None
    return now != chosen
