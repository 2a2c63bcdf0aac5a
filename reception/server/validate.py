"""Every pushed mutation is checked here before the server stores anything (``service.push`` calls
``mutation_problem`` once per mutation): the table may be pushed, append-only tables are only appended to, the
record's columns are the table's, and the record itself satisfies the table's schema and the domain's rules
(``reception.sync.checks``, the same rules a desk applies to what it pulls). Deletes are checked too: their record
id must be one the table can have. A mutation that fails is rejected with the reason (the desk parks it), so
nothing malformed ever reaches another desk.

The accusation rule needs the records around the mutation (a case's accused units are case events), so it is
``accusation_problem``, called by the push with what the batch knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reception.sync.checks import record_id_problem, record_problem
from reception.sync.codec import codec_for
from reception.sync.protocol import Mutation
from reception.sync.registry import APPEND_ONLY, NEVER_SHIPPED_SUFFIXES, TABLES, pushable

ACCUSATION = "accusation"


def mutation_problem(m: Mutation) -> str:
    """The reason a mutation is malformed ('' when it is fine): rejected, never retried."""
    codec = codec_for(m.table)
    if codec is None or TABLES.get(m.table) is None:
        return f"未知的表：{m.table}"
    if not pushable(m.table):
        return f"表 {m.table} 由中心维护，工位不能上传（{TABLES[m.table].value}）"
    if m.table in APPEND_ONLY and (m.op == "delete" or m.base_version > 0):
        return f"表 {m.table} 只可追加，不可修改或删除"
    if m.op == "delete":
        problem = record_id_problem(codec, m.record_id)
        if problem:
            return problem
        if m.data is not None:
            return record_problem(m.table, m.record_id, m.data, deleted=True)
        return ""
    if not isinstance(m.data, dict):
        return "缺少记录内容"
    extra = m.data.keys() - codec.column_names
    if extra:
        shipped = sorted(k for k in extra if k.endswith(NEVER_SHIPPED_SUFFIXES))
        if shipped:
            return f"不应上传的字段：{', '.join(shipped)}"
        return f"未知字段：{', '.join(sorted(extra))}"
    return record_problem(m.table, m.record_id, m.data)


def accused_units(events: Iterable[dict[str, Any] | None], case_id: str) -> set[str]:
    return {str(e["unit_id"]) for e in events
            if e and e.get("case_id") == case_id and e.get("kind") == "accused_unit" and e.get("unit_id")}


def accusation_problem(table: str, data: dict[str, Any] | None, case: dict[str, Any] | None,
                       accused: set[str]) -> str:
    """'' unless the change would put an accusation in the hands of a unit it accuses: a case (``case``) routed to
    one of its ``accused`` units, a routing event to one, or a unit recorded as accused while it holds the case."""
    if not data or not case or case.get("content_class") != ACCUSATION:
        return ""
    if table == "petition_case" and data.get("unit_id") and data.get("unit_id") in accused:
        return "检举控告类事项不得转送、交办给被检举控告的单位（两个工位的修改冲突，请人工处理）"
    if table == "case_event":
        if data.get("kind") in ("assigned", "forwarded") and data.get("unit_id") in accused:
            return "检举控告类事项不得转送、交办给被检举控告的单位（两个工位的修改冲突，请人工处理）"
        if data.get("kind") == "accused_unit" and data.get("unit_id") and data.get("unit_id") == case.get("unit_id"):
            return "该事项正由被检举控告的单位办理（两个工位的修改冲突，请人工处理）"
    return ""
