"""Reference rows in the database: read them, apply a validated workbook (all or nothing), and the admin screens'
single-row add / edit / retire. Nothing is deleted: a record cases refer to is retired (``active`` False) and keeps
its name for the cases that show it.

A record new to this database gets a stable id derived from its code (``stable_id``): the same workbook imported at
two standalone desks, or at a desk and on the server, names the same records the same way, so a desk that enrols
later meets the centre's records instead of duplicates of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import Category, Locality, RoutingRule, Unit
from reception.domain.errors import FieldError, FieldErrors, NotFoundError, ReceptionError
from reception.reference.model import (
    COLUMNS,
    CategoryRow,
    Issue,
    Kind,
    LocalityRow,
    ReferenceData,
    Row,
    RuleRow,
    UnitRow,
)
from reception.reference.validate import validate
from reception.reference.workbook import read_workbook, write_workbook
from reception.security import audit
from reception.security.permissions import Permission, require

NAMESPACE = uuid.UUID("5d0c3c6e-2f7a-4c1e-9a57-7e1f0b6a2c41")
MODELS: dict[Kind, type[Locality] | type[Unit] | type[Category] | type[RoutingRule]] = {
    Kind.LOCALITY: Locality, Kind.UNIT: Unit, Kind.CATEGORY: Category, Kind.RULE: RoutingRule}
ATTR = {Kind.LOCALITY: "localities", Kind.UNIT: "units", Kind.CATEGORY: "categories", Kind.RULE: "rules"}


def stable_id(table: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{table}:{key}"))


class ReferenceImportError(ReceptionError):
    """The workbook has problems: nothing was imported. ``issues`` is the report (sheet, row, column, problem)."""

    key = "reference_invalid"

    def __init__(self, issues: list[Issue]) -> None:
        shown = "\n".join(i.text for i in issues[:20])
        more = f"\n……共{len(issues)}处问题" if len(issues) > 20 else ""
        super().__init__(f"工作簿有{len(issues)}处问题，未导入任何数据：\n{shown}{more}")
        self.issues = list(issues)


@dataclass
class ImportSummary:
    added: dict[Kind, int] = field(default_factory=dict)
    changed: dict[Kind, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        parts = [f"{k.sheet}新增{self.added.get(k, 0)}条、更新{self.changed.get(k, 0)}条"
                 for k in Kind if k in self.added or k in self.changed]
        return "；".join(parts) or "没有需要导入的变化"


# -- reading -------------------------------------------------------------------------------------------------------


def _by_id(session: Session) -> tuple[dict[str, Locality], dict[str, Unit], dict[str, Category]]:
    return ({r.id: r for r in session.scalars(select(Locality))}, {r.id: r for r in session.scalars(select(Unit))},
            {r.id: r for r in session.scalars(select(Category))})


def rows_with_ids(session: Session) -> dict[Kind, list[tuple[str, Row]]]:
    """Every record (retired too) as a row, with its id, in display order."""
    locs, units, cats = _by_id(session)

    def code(table: dict[str, Any], rid: str | None) -> str:
        return str(table[rid].code) if rid and rid in table else ""

    out: dict[Kind, list[tuple[str, Row]]] = {}
    out[Kind.LOCALITY] = [
        (r.id, LocalityRow(r.code, r.name, r.level, code(locs, r.parent_id), r.sort_order, r.active))
        for r in sorted(locs.values(), key=lambda r: (_depth(locs, r.id), r.sort_order, r.code))]
    out[Kind.UNIT] = [
        (u.id, UnitRow(u.code, u.name, u.kind, code(locs, u.locality_id), u.contact_person, u.contact_phone,
                       u.address, u.sort_order, u.active))
        for u in sorted(units.values(), key=lambda u: (u.sort_order, u.code))]
    out[Kind.CATEGORY] = [
        (c.id, CategoryRow(c.code, c.name, code(cats, c.parent_id), c.legal_channel or "", c.sort_order, c.active))
        for c in sorted(cats.values(), key=lambda c: (_depth(cats, c.id), c.sort_order, c.code))]
    rules = session.scalars(select(RoutingRule)).all()
    rule_rows = [RuleRow(code(cats, r.category_id), code(units, r.unit_id), code(locs, r.locality_id),
                         r.action, r.priority, r.note, r.active, r.id) for r in rules]
    rule_rows.sort(key=lambda x: (x.category_code, x.locality_code, -x.priority))
    out[Kind.RULE] = [(r.rule_id, r) for r in rule_rows]
    return out


def _depth(table: dict[str, Any], rid: str) -> int:
    depth, current = 0, table.get(rid)
    while current is not None and current.parent_id and depth < 10:
        depth += 1
        current = table.get(current.parent_id)
    return depth


def read_reference(session: Session) -> ReferenceData:
    rows = rows_with_ids(session)
    data = ReferenceData()
    for kind in Kind:
        setattr(data, ATTR[kind], [r for _id, r in rows[kind]])
    return data


# -- applying --------------------------------------------------------------------------------------------------------


def _set(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _tree_order(rows: list[Any]) -> list[Any]:
    """Parents before children (rows of the same sheet; a parent that is already stored needs no order)."""
    codes = {r.code for r in rows}
    done: set[str] = set()
    ordered: list[Any] = []
    pending = list(rows)
    while pending:
        rest = [r for r in pending if r.parent_code in codes and r.parent_code not in done and r.parent_code != r.code]
        ready = [r for r in pending if r not in rest]
        if not ready:  # (a cycle: validation reports it; never reached after a clean validation)
            ordered.extend(rest)
            break
        ordered.extend(ready)
        done.update(r.code for r in ready)
        pending = rest
    return ordered


def apply(session: Session, data: ReferenceData) -> ImportSummary:
    """Store validated rows: a code already stored updates that record, a new code adds one."""
    summary = ImportSummary()
    locs = {r.code: r for r in session.scalars(select(Locality))}
    units = {r.code: r for r in session.scalars(select(Unit))}
    cats = {r.code: r for r in session.scalars(select(Category))}

    def count(kind: Kind, added: bool, changed: bool) -> None:
        target = summary.added if added else summary.changed
        summary.added.setdefault(kind, 0)
        summary.changed.setdefault(kind, 0)
        if added or changed:
            target[kind] += 1

    for row in _tree_order(list(data.localities or ())):
        values = {"name": row.name, "level": row.level, "sort_order": row.sort_order, "active": row.active,
                  "parent_id": locs[row.parent_code].id if row.parent_code else None}
        loc = locs.get(row.code)
        if loc is None:
            loc = locs[row.code] = Locality(id=stable_id("locality", row.code), code=row.code, **values)
            session.add(loc)
            session.flush()
            count(Kind.LOCALITY, True, False)
        else:
            count(Kind.LOCALITY, False, _set(loc, values))
    for row in data.units or ():
        values = {"name": row.name, "kind": row.kind, "sort_order": row.sort_order, "active": row.active,
                  "locality_id": locs[row.locality_code].id if row.locality_code else None,
                  "contact_person": row.contact_person, "contact_phone": row.contact_phone, "address": row.address}
        unit = units.get(row.code)
        if unit is None:
            unit = units[row.code] = Unit(id=stable_id("unit", row.code), code=row.code, **values)
            session.add(unit)
            count(Kind.UNIT, True, False)
        else:
            count(Kind.UNIT, False, _set(unit, values))
    for row in _tree_order(list(data.categories or ())):
        values = {"name": row.name, "legal_channel": row.legal_channel or None, "sort_order": row.sort_order,
                  "active": row.active, "parent_id": cats[row.parent_code].id if row.parent_code else None}
        cat = cats.get(row.code)
        if cat is None:
            cat = cats[row.code] = Category(id=stable_id("category", row.code), code=row.code, **values)
            session.add(cat)
            session.flush()
            count(Kind.CATEGORY, True, False)
        else:
            count(Kind.CATEGORY, False, _set(cat, values))
    session.flush()
    if data.rules is not None:
        stored = session.scalars(select(RoutingRule)).all()
        by_id = {r.id: r for r in stored}
        by_key = {(r.category_id, r.locality_id, r.unit_id): r for r in stored}
        for row in data.rules:
            cat_id, unit_id = cats[row.category_code].id, units[row.unit_code].id
            loc_id = locs[row.locality_code].id if row.locality_code else None
            values = {"category_id": cat_id, "locality_id": loc_id, "unit_id": unit_id, "action": row.action,
                      "priority": row.priority, "note": row.note, "active": row.active}
            rule = by_id.get(row.rule_id) if row.rule_id else None
            rule = rule or by_key.get((cat_id, loc_id, unit_id))
            if rule is None:
                rule = RoutingRule(id=row.rule_id or stable_id("routing_rule", "|".join(row.key)), **values)
                session.add(rule)
                by_id[rule.id] = rule
                by_key[(cat_id, loc_id, unit_id)] = rule
                count(Kind.RULE, True, False)
            else:
                count(Kind.RULE, False, _set(rule, values))
    session.flush()
    return summary


def import_in_session(session: Session, data: ReferenceData, issues: list[Issue]) -> ImportSummary:
    """Validate ``data`` against the database and store it; ``ReferenceImportError`` (nothing stored) on problems."""
    issues = issues + validate(data, read_reference(session))
    if issues:
        raise ReferenceImportError(sorted(issues, key=lambda i: (list(Kind).index(_kind_of(i.sheet)), i.row)))
    return apply(session, data)


def _kind_of(sheet: str) -> Kind:
    return next(k for k in Kind if k.sheet == sheet)


def import_workbook(ctx: AppContext, source: Path | bytes, *, actor_id: str | None) -> ImportSummary:
    """Import a workbook, all or nothing (an administrator; ``actor_id`` None: the command line)."""
    data, issues = read_workbook(source)
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        summary = import_in_session(session, data, issues)
        audit.record(session, user_id=actor_id, action="reference_import", entity="reference", entity_id="workbook",
                     detail=summary.text)
    return summary


def export_workbook(ctx: AppContext, *, actor_id: str | None) -> bytes:
    """Every reference record (retired ones too, marked 停用) as the workbook; on an empty desk, the template."""
    with ctx.db.read() as session:
        require(session, actor_id, Permission.ADMIN)
        data = read_reference(session)
    return write_workbook(data)


def template_workbook() -> bytes:
    return write_workbook(ReferenceData(localities=[], units=[], categories=[], rules=[]))


# -- the admin screens: one record at a time ---------------------------------------------------------------------


def list_rows(ctx: AppContext, kind: Kind) -> list[tuple[str, Row]]:
    with ctx.db.read() as session:
        return rows_with_ids(session)[kind]


def _stored_row(session: Session, kind: Kind, record_id: str) -> Row:
    for rid, row in rows_with_ids(session)[kind]:
        if rid == record_id:
            return row
    raise NotFoundError("该记录不存在（可能已被其他工位修改），请刷新后重试。", key="reference_not_found")


def save_row(ctx: AppContext, kind: Kind, row: Row, *, record_id: str | None = None,
             actor_id: str | None) -> str:
    """Add (``record_id`` None) or edit one record; ``FieldErrors`` keyed by the columns' ``attr`` on problems.
    Returns the record's id."""
    if kind is Kind.RULE and isinstance(row, RuleRow):
        row = replace(row, rule_id=record_id or "")
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        before: Row | None = _stored_row(session, kind, record_id) if record_id else None
        existing = read_reference(session)
        code = getattr(row, "code", None)
        old_code = getattr(before, "code", None)
        if code is not None and code != old_code and code in {getattr(r, "code", None) for r in
                                                                existing.rows(kind) or ()}:
            raise FieldErrors([FieldError("code", f"代码“{code}”已存在", key="code_taken")])
        if (kind is Kind.RULE and isinstance(row, RuleRow)
                and any(r.key == row.key and r.rule_id != record_id for r in existing.rules or ())):
            raise FieldErrors([FieldError("unit_code", "同一类别、属地和单位的规则已存在，请编辑原规则",
                                              key="rule_exists")])
        incoming = ReferenceData()
        setattr(incoming, ATTR[kind], [row])
        issues = validate(incoming, existing)
        if issues:
            raise FieldErrors([FieldError(i.attr, i.message) for i in issues])
        if record_id and code is not None and code != old_code:
            obj: Any = session.get(MODELS[kind], record_id)
            assert obj is not None and not isinstance(obj, RoutingRule)
            obj.code = code
            session.flush()
        apply(session, incoming)
        saved_id = record_id or _id_of(session, kind, row)
        after = _stored_row(session, kind, saved_id)
        audit.record(session, user_id=actor_id, action="update" if record_id else "create",
                     entity=MODELS[kind].__tablename__, entity_id=saved_id,
                     changes=audit.changes_of(_fields(before) if before else {}, _fields(after)))
        return saved_id


def _fields(row: Row) -> dict[str, Any]:
    kind = {LocalityRow: Kind.LOCALITY, UnitRow: Kind.UNIT, CategoryRow: Kind.CATEGORY, RuleRow: Kind.RULE}[type(row)]
    return {c.attr: getattr(row, c.attr) for c in COLUMNS[kind] if c.attr != "rule_id"}


def _id_of(session: Session, kind: Kind, row: Row) -> str:
    if isinstance(row, RuleRow):
        for rid, stored in rows_with_ids(session)[Kind.RULE]:
            if isinstance(stored, RuleRow) and stored.key == row.key:
                return rid
        raise NotFoundError("规则未保存", key="reference_not_found")
    model: Any = MODELS[kind]
    for obj in session.scalars(select(model)):
        if getattr(obj, "code", None) == row.code:
            return str(obj.id)
    raise NotFoundError("记录未保存", key="reference_not_found")


def set_active(ctx: AppContext, kind: Kind, record_id: str, active: bool, *, actor_id: str | None) -> None:
    """停用 (retire) or 启用 again: the same validation as an edit (a parent with active children, a unit that
    active rules still route to, cannot be retired)."""
    with ctx.db.read() as session:
        row = _stored_row(session, kind, record_id)
    try:
        save_row(ctx, kind, replace(row, active=active), record_id=record_id, actor_id=actor_id)
    except FieldErrors as exc:
        raise ReceptionError("；".join(e.message for e in exc.errors), key="retire_refused") from exc
