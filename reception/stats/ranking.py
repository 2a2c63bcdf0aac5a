"""一考一评: the half-year ranking of the townships/streets and of the district departments.

Per handling unit: timely acceptance (按期受理率), on-time completion (按期办结率), satisfaction (满意率), repeat-visit
rate (重复访率) and supervised cases (督办件数), then an overall score with the weights stored as the
``stats_ranking`` setting (they travel with the data, so every desk ranks the same way). Townships and departments
are ranked separately ("分类排队"). The formula is written out in ``indicators.INDICATORS["score"]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import Case, Supervision, Unit
from reception.db.settings import load_centre_setting, save_centre_setting
from reception.domain.enums import UnitKind
from reception.domain.errors import FieldError, FieldErrors
from reception.domain.workcalendar import WorkCalendar
from reception.lifecycle.service import load_settings
from reception.merge.resolve import case_now_id, not_void
from reception.security.permissions import Permission, require
from reception.stats import cache
from reception.stats import queries as q
from reception.stats.common import Table, Timeliness, format_value
from reception.stats.indicators import INDICATORS
from reception.stats.periods import Period

SETTING_KEY = "stats_ranking"
"""The centre setting (``centre_setting``, synced) holding the weights."""

WEIGHT_LABELS = {
    "accept_rate": "按期受理率",
    "on_time_rate": "按期办结率",
    "satisfaction_rate": "满意率",
    "repeat_rate": "重复访率",
    "supervised": "督办件数",
}


@dataclass(frozen=True, slots=True)
class Weights:
    """Points of each indicator in the overall score (any non-negative numbers; they are used as proportions)."""

    accept_rate: float = 20
    on_time_rate: float = 30
    satisfaction_rate: float = 30
    repeat_rate: float = 10
    supervised: float = 10

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def total(self) -> float:
        return sum(self.as_dict().values())


def validate_weights(values: dict[str, Any]) -> Weights:
    """Weights from user input (numbers or text); ``FieldErrors`` keyed by the weights' names (``accept_rate``…)."""
    errors: list[FieldError] = []
    clean: dict[str, float] = {}
    for key, label in WEIGHT_LABELS.items():
        raw = values.get(key, getattr(Weights(), key))
        try:
            number = float(str(raw).strip())
        except ValueError:
            errors.append(FieldError(key, f"{label}的权重应为数字", key="weight_number"))
            continue
        if not 0 <= number <= 1000:
            errors.append(FieldError(key, f"{label}的权重应在0至1000之间", key="weight_range"))
            continue
        clean[key] = number
    if not errors and sum(clean.values()) <= 0:
        errors.append(FieldError("accept_rate", "权重不能全部为0", key="weight_zero"))
    if errors:
        raise FieldErrors(errors)
    return Weights(**clean)


def load_weights(session: Session) -> Weights:
    stored = dict((load_centre_setting(session, SETTING_KEY) or {}).get("weights", {}))
    if not stored:
        return Weights()
    try:
        return validate_weights(stored)
    except FieldErrors:
        return Weights()


def save_weights(ctx: AppContext, values: dict[str, Any], *, actor_id: str | None = None) -> Weights:
    """Store the weights for the whole centre (a synced centre setting: every desk ranks the same way). Only an
    administrator changes them; ``actor_id`` None is the system."""
    weights = validate_weights(values)
    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        save_centre_setting(session, SETTING_KEY, {"weights": weights.as_dict()})
    return weights


def get_weights(ctx: AppContext) -> Weights:
    with ctx.db.read() as session:
        return load_weights(session)


# --- the ranking ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RankingRow:
    unit_id: str
    unit_name: str
    kind: str
    sort_order: int
    accept_decided: int = 0
    accept_timely: int = 0
    replied: int = 0
    replied_on_time: int = 0
    evaluated: int = 0
    satisfied: int = 0
    visits: int = 0
    repeat: int = 0
    supervised: int = 0
    score: float | None = None
    rank: int | None = None
    components: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _rate(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    @property
    def accept_rate(self) -> float | None:
        return self._rate(self.accept_timely, self.accept_decided)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.replied_on_time, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.evaluated)

    @property
    def repeat_rate(self) -> float | None:
        return self._rate(self.repeat, self.visits)

    @property
    def active(self) -> bool:
        return bool(self.accept_decided or self.replied or self.evaluated or self.visits or self.supervised)

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "unit_id": self.unit_id, "unit": self.unit_name, "kind": self.kind,
                "accept_decided": self.accept_decided, "accept_timely": self.accept_timely,
                "accept_rate": self.accept_rate, "replied": self.replied, "replied_on_time": self.replied_on_time,
                "on_time_rate": self.on_time_rate, "evaluated": self.evaluated, "satisfied": self.satisfied,
                "satisfaction_rate": self.satisfaction_rate, "visits": self.visits, "repeat": self.repeat,
                "repeat_rate": self.repeat_rate, "supervised": self.supervised, "score": self.score}


@dataclass(frozen=True, slots=True)
class Ranking:
    period: Period
    weights: Weights
    townships: tuple[RankingRow, ...]
    departments: tuple[RankingRow, ...]
    generated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period.to_json(), "weights": self.weights.as_dict(),
                "generated_at": self.generated_at.isoformat(timespec="seconds"),
                "townships": [r.to_json() for r in self.townships],
                "departments": [r.to_json() for r in self.departments]}

    def tables(self) -> tuple[Table, Table]:
        return ranking_table("ranking_townships", "乡镇（街道）排队", self.townships), ranking_table(
            "ranking_departments", "区直部门排队", self.departments)


RANKING_HEADERS = ("名次", "单位", "受理决定", "按期受理率", "出具意见", "按期办结率", "参与评价", "满意率",
                   "登记批次", "重复访率", "督办件数", "综合得分")


def ranking_table(key: str, title: str, rows: tuple[RankingRow, ...]) -> Table:
    def pct(v: float | None) -> str:
        return format_value(v, "%")

    return Table(key, title, RANKING_HEADERS, tuple(
        (r.rank if r.rank is not None else "—", r.unit_name, r.accept_decided, pct(r.accept_rate), r.replied,
         pct(r.on_time_rate), r.evaluated, pct(r.satisfaction_rate), r.visits, pct(r.repeat_rate), r.supervised,
         format_value(r.score, "分")) for r in rows),
        note=INDICATORS["score"].definition + "统计期内没有任何办理事项的单位不参加排名，列在最后。",
        row_filters=tuple({"unit_id": r.unit_id} for r in rows), drill_key="accept_decided")


def unit_ranking(ctx: AppContext, period: Period, *, use_cache: bool = True) -> Ranking:
    if use_cache:
        cache.ensure(ctx, period.start, period.end)
    with ctx.db.read() as session:
        return ranking_in_session(session, period, ctx.calendar, ctx.now(), use_cache=use_cache)


def ranking_in_session(session: Session, period: Period, cal: WorkCalendar, now: datetime, *,
                       use_cache: bool = True) -> Ranking:
    a, b = period.start, period.end
    weights = load_weights(session)
    rows: dict[str, RankingRow] = {
        u.id: RankingRow(u.id, u.name, u.kind, u.sort_order)
        for u in session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.sort_order)
                                 .where(Unit.kind.in_((UnitKind.TOWNSHIP.value, UnitKind.DEPARTMENT.value))))
    }
    agg = cache.aggregates(session, a, b, cal) if use_cache else cache.live(
        session, a, b, Timeliness(cal, load_settings(session)))
    for unit_id, row in rows.items():
        row.accept_decided, row.accept_timely = agg.decisions.get(unit_id, [0, 0])
        row.replied, row.replied_on_time = agg.replies.get(unit_id, [0, 0])
        row.visits, row.repeat = agg.visit_units.get(unit_id, [0, 0])
    for (unit_id, rating), n in agg.evaluations.items():
        found = rows.get(unit_id)
        if found is not None:
            found.evaluated += n
            if rating in q.SATISFIED:
                found.satisfied += n
    # cases supervised, each once (a merged group once, as ``queries.count_supervised``), none 已撤销
    for sup_unit, n in session.execute(
        select(Supervision.unit_id, func.count(func.distinct(case_now_id(Case)))).join(Case, Case.id ==
                                                                                      Supervision.case_id)
        .where(q.between(Supervision.opened_on, a, b), not_void(Case)).group_by(Supervision.unit_id)
    ):
        sup_row = rows.get(sup_unit or "")
        if sup_row is not None:
            sup_row.supervised = int(n)
    towns = _rank([r for r in rows.values() if r.kind == UnitKind.TOWNSHIP.value], weights)
    depts = _rank([r for r in rows.values() if r.kind == UnitKind.DEPARTMENT.value], weights)
    return Ranking(period, weights, towns, depts, now)


def score(row: RankingRow, weights: Weights, max_supervised: int) -> float | None:
    """The weighted score of an active unit (None for a unit without any case in the period)."""
    if not row.active:
        return None
    parts: dict[str, float] = {}
    if row.accept_rate is not None:
        parts["accept_rate"] = row.accept_rate
    if row.on_time_rate is not None:
        parts["on_time_rate"] = row.on_time_rate
    if row.satisfaction_rate is not None:
        parts["satisfaction_rate"] = row.satisfaction_rate
    if row.repeat_rate is not None:
        parts["repeat_rate"] = 100.0 - row.repeat_rate
    parts["supervised"] = 100.0 * (1 - row.supervised / max_supervised) if max_supervised else 100.0
    w = weights.as_dict()
    total_weight = sum(w[k] for k in parts)
    row.components = parts
    if total_weight <= 0:
        return None
    return round(sum(w[k] * v for k, v in parts.items()) / total_weight, 1)


def _rank(rows: list[RankingRow], weights: Weights) -> tuple[RankingRow, ...]:
    max_sup = max((r.supervised for r in rows), default=0)
    for r in rows:
        r.score = score(r, weights, max_sup)
    ranked = sorted((r for r in rows if r.score is not None),
                    key=lambda r: (-(r.score or 0), r.supervised, r.sort_order, r.unit_name))
    previous: tuple[float | None, int] | None = None
    for i, r in enumerate(ranked, start=1):
        if previous is not None and previous[0] == r.score:
            r.rank = previous[1]  # 并列
        else:
            r.rank = i
        previous = (r.score, r.rank)
    idle = sorted((r for r in rows if r.score is None), key=lambda r: (r.sort_order, r.unit_name))
    return tuple(ranked) + tuple(idle)

