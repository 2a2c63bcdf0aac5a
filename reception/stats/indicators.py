"""Every figure the statistics report, defined once: its Chinese name, its unit and the written definition that the
reports print beside it (统计口径). The queries in ``report``, ``dashboard``, ``ranking`` and ``drill`` implement
exactly these definitions; the tests check each against hand-counted data.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

ACCEPT_DAYS = 15
"""受理告知期限: a unit decides on acceptance within 15 days of receiving a routed case (《信访工作条例》第二十三条)."""


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    name: str
    unit: str
    """批次, 人次, 件, 次 or % (a rate)."""
    section: str
    definition: str
    drill: bool = True
    """Whether the cases behind the figure can be listed."""
    higher_is_better: bool = True

S_LEADER = "领导接访下访"
S_VISITS = "来访登记"
S_HANDLING = "事项办理"
S_NOW = "当前时限"

_ALL: tuple[Indicator, ...] = (
    # -- leaders ---------------------------------------------------------------------------------------------------
    Indicator("leader_batches", "领导接访批次", "批次", S_LEADER,
              "统计期内领导接访记录的条数：每接待一次来访（或一次约访）计一批次，不论来访人数。"),
    Indicator("leader_persons", "领导接访人次", "人次", S_LEADER,
              "统计期内领导接访记录的来访人数之和（集体访按实际人数计）。"),
    Indicator("leader_on_spot", "现场答复解决问题", "个", S_LEADER,
              "统计期内领导接访处理结果为“现场解决”或“解释说明”的接访记录数，即当场答复、解决的问题个数。"),
    Indicator("appointments", "领导约访", "次", S_LEADER,
              "约定接访日期在统计期内的领导约访次数（含尚未接访的）。"),
    Indicator("down_visits", "领导下访", "次", S_LEADER,
              "下访日期在统计期内的领导下访（带案下访）次数。"),
    Indicator("down_visit_cases", "带案下访事项", "件", S_LEADER,
              "统计期内下访所带信访事项的件数；同一事项在期内多次被带案下访只计一件。"),
    Indicator("owned_cases", "领导包案", "件", S_LEADER,
              "统计期内处于领导包案状态的信访事项件数：包案开始日期不晚于期末，且包案未在期初以前结束；"
              "同一事项由多位领导包案只计一件。"),
    Indicator("owned_resolved", "包案化解", "件", S_LEADER,
              "领导包案的信访事项中，统计期内办结（销号或复核终结）或包案结束的件数。"),
    Indicator("supervised", "督办事项", "件", S_LEADER,
              "统计期内立项督办的信访事项件数（因群众不满意、超期或督查交办）；同一事项期内多次督办只计一件。",
              higher_is_better=False),
    Indicator("supervision_resolved", "督办办结", "件", S_LEADER,
              "统计期内责任单位反馈办结、督办结束的督办件数。"),
    Indicator("backlog_resolved", "化解信访积案", "件", S_LEADER,
              "化解日期在统计期内的信访积案件数。"),
    Indicator("backlog_hard_resolved", "其中“骨头案”", "件", S_LEADER,
              "化解的信访积案中，标记为“骨头案”（长期缠访、化解难度大）的件数。"),
    # -- visits ----------------------------------------------------------------------------------------------------
    Indicator("registrations", "信访登记", "批次", S_VISITS,
              "统计期内登记的来访、来信、来电、网上信访和领导接访日来访的总批次（每登记一次计一批次）。"),
    Indicator("visits", "来访批次", "批次", S_VISITS,
              "统计期内登记的走访（信访形式为“来访”或“领导接访日”）批次。"),
    Indicator("visit_persons", "来访人次", "人次", S_VISITS,
              "统计期内走访登记的来访人数之和（集体访按实际人数计）。"),
    Indicator("new_cases", "新登记信访事项", "件", S_VISITS,
              "统计期内首次登记的信访事项件数（同一事项再次来访不重复计件）。"),
    Indicator("collective", "集体访", "批次", S_VISITS,
              "统计期内登记为集体访的批次：多人就同一事项一起来访（登记时来访人数多于1人），推选代表反映诉求。",
              higher_is_better=False),
    Indicator("collective_persons", "集体访人次", "人次", S_VISITS,
              "统计期内集体访的来访人数之和。", higher_is_better=False),
    Indicator("repeat", "重复访", "批次", S_VISITS,
              "统计期内登记的重复访批次：就同一信访事项再次来访（并入已有事项的登记）。", higher_is_better=False),
    Indicator("skip_level", "越级访", "批次", S_VISITS,
              "统计期内登记时标记为越级访的批次（未按属地逐级反映，直接到上级机关信访）。", higher_is_better=False),
    # -- handling --------------------------------------------------------------------------------------------------
    Indicator("accept_decided", "作出受理决定", "件", S_HANDLING,
              "统计期内责任单位作出受理或不予受理决定的信访事项件数。"),
    Indicator("accept_timely", "按期受理", "件", S_HANDLING,
              f"作出受理决定的事项中，自转送、交办之日起{ACCEPT_DAYS}日内（期限末日遇节假日顺延）作出决定的件数。"),
    Indicator("accept_rate", "按期受理率", "%", S_HANDLING,
              f"按期受理件数 ÷ 作出受理决定件数 × 100%（{ACCEPT_DAYS}日受理率）。"),
    Indicator("replied", "出具处理意见", "件", S_HANDLING,
              "统计期内出具并送达首次处理意见书的信访事项件数（复查、复核意见不计）。"),
    Indicator("replied_on_time", "按期办结", "件", S_HANDLING,
              "出具处理意见的事项中，在办理期限内送达的件数：自受理之日起60日（简易办理10个工作日），"
              "经批准延期的加延长期限，期限末日遇节假日顺延。"),
    Indicator("on_time_rate", "按期办结率", "%", S_HANDLING,
              "按期办结件数 ÷ 出具处理意见件数 × 100%。"),
    Indicator("evaluated", "参与评价", "件", S_HANDLING,
              "统计期内信访人作出满意度评价的件次（每份处理意见一次评价）。"),
    Indicator("satisfied", "满意和基本满意", "件", S_HANDLING,
              "评价为“满意”或“基本满意”的件次。"),
    Indicator("satisfaction_rate", "满意率", "%", S_HANDLING,
              "（满意件次 + 基本满意件次）÷ 参与评价件次 × 100%。"),
    # -- now -------------------------------------------------------------------------------------------------------
    Indicator("due_soon", "临期事项", "件", S_NOW,
              "截至统计日，法定办理时限（含督办反馈期限）尚未届满但已进入提醒期的时限个数，与“临期提醒”列表一致"
              "（一件事项同时有两项时限临期的计两个）。",
              higher_is_better=False),
    Indicator("overdue", "超期事项", "件", S_NOW,
              "截至统计日，法定办理时限（含督办反馈期限）已届满仍未完成的时限个数，与“超期案件”列表和状态栏一致"
              "（一件事项同时有两项时限超期的计两个）。",
              higher_is_better=False),
    # -- ranking ---------------------------------------------------------------------------------------------------
    Indicator("repeat_rate", "重复访率", "%", S_VISITS,
              "统计期内责任单位所办事项的重复访批次 ÷ 这些事项的登记批次 × 100%。", higher_is_better=False),
    Indicator("score", "综合得分", "分", "一考一评",
              "各项指标换算为百分制后按权重加权：按期受理率、按期办结率、满意率直接计分；重复访率计"
              "（100 − 重复访率）；督办件数计 100 × (1 − 本单位督办件数 ÷ 同类单位最多督办件数)。某项指标没有"
              "可计数据（分母为0）的，不计该项，其余权重按比例折算。", drill=False),
)  # fmt: skip

INDICATORS = MappingProxyType({i.key: i for i in _ALL})

REPORT_KEYS: tuple[str, ...] = (
    "leader_batches", "leader_persons", "leader_on_spot", "appointments", "down_visits", "down_visit_cases",
    "owned_cases", "owned_resolved", "supervised", "supervision_resolved", "backlog_resolved",
    "backlog_hard_resolved",
    "registrations", "visits", "visit_persons", "new_cases", "collective", "collective_persons", "repeat",
    "skip_level",
    "accept_decided", "accept_timely", "accept_rate", "replied", "replied_on_time", "on_time_rate", "evaluated",
    "satisfied", "satisfaction_rate",
)  # fmt: skip
"""The period report's figures, in the order printed."""


def get(key: str) -> Indicator:
    return INDICATORS[key]
