"""What a synced record must look like: the table's schema and the domain's rules, checked at both ends of sync.

The server checks every pushed mutation with ``mutation_problem`` before it stores anything
(``reception.server.validate``); a desk checks every pulled record with ``record_problem`` before it applies it,
and parks one it cannot read (``reception.sync.desk``) instead of failing the whole cycle. Both answer a short
Chinese reason ('' when the record is fine), shown as is on the sync page and in the push answer.

The schema part comes from the desk's models (``reception.db.models``): each wire column's type (text and its
length, integers within the column's range, booleans, dates, JSON objects), whether it may be null, and whether it
is required for a new record. Text never holds a lone surrogate or a control character, and an encrypted column
never holds what looks like ciphertext (``enc1:``/``senc1:``: a value the server would leave as it is and then fail
to open for every desk). The domain part: a case number has the pattern of ``reception.domain.case_numbers``, a
case's class and status are known ones, a case event replays (``lifecycle.machine.fold_one``), a centre setting
reads with its loader's rules, an audit entry carries its chain fields, holiday years are plausible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, String, Text, TypeDecorator

from reception.domain.textcheck import FACTS_MAX, REQUEST_MAX, all_clean, text_problem
from reception.sync.codec import TableCodec, codec_for

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
CIPHER_PREFIXES = ("enc1:", "senc1:")
RECORD_ID_RE = re.compile(r"[A-Za-z0-9_.:|+\-]{1,64}\Z")
HASH_RE = re.compile(r"[0-9a-f]{64}\Z")
MAX_JSON_DEPTH = 8


@cache
def _columns(table: str) -> dict[str, Any]:
    """wire column name -> SQLAlchemy column of the desk table."""
    codec = codec_for(table)
    if codec is None:
        return {}
    mapped = codec.model.__table__.columns
    return {f.column: mapped[f.column] for f in codec.fields}


def _base_type(column_type: Any) -> Any:
    return column_type.impl if isinstance(column_type, TypeDecorator) else column_type


def _json_problem(value: Any, depth: int = 0) -> str:
    if depth > MAX_JSON_DEPTH:
        return "嵌套过深"
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return "" if INT64[0] <= value <= INT64[1] else "整数超出范围"
    if isinstance(value, float):
        return "" if math.isfinite(value) else "数值无效"
    if isinstance(value, list):
        for item in value:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return ""
    if isinstance(value, dict):
        for k, item in value.items():
            problem = text_problem(str(k)) or _json_problem(item, depth + 1)
            if problem:
                return problem
        return ""
    return "类型错误"


@dataclass(frozen=True, slots=True)
class _Col:
    """What the check needs of one column, worked out once per table (a pull checks every record)."""

    kind: str  # bool, int, float, datetime, date, json, text, other
    nullable: bool
    low: int = 0
    high: int = 0
    length: int | None = None
    encrypted: bool = False


def _col(column: Any) -> _Col:
    from reception.security.crypto import EncryptedString

    t = _base_type(column.type)
    nullable = bool(column.nullable)
    if isinstance(t, Boolean):
        return _Col("bool", nullable)
    if isinstance(t, Integer):
        low, high = INT64 if isinstance(t, BigInteger) else INT32
        return _Col("int", nullable, low, high)
    if isinstance(t, Float):
        return _Col("float", nullable)
    if isinstance(t, DateTime):
        return _Col("datetime", nullable)
    if isinstance(t, Date):
        return _Col("date", nullable)
    if isinstance(t, JSON):
        return _Col("json", nullable)
    if isinstance(t, String | Text):
        length = getattr(column.type, "length", None) or getattr(t, "length", None)
        return _Col("text", nullable, length=length, encrypted=isinstance(column.type, EncryptedString))
    return _Col("other", nullable)


def _value_problem(c: _Col, value: Any) -> str:
    if value is None:
        return "" if c.nullable else "不能为空"
    kind = c.kind
    if kind == "text":
        if type(value) is not str:
            return "应为文本"
        if c.length is not None and len(value) > c.length:
            return f"超过 {c.length} 个字符"
        if c.encrypted and value.startswith(CIPHER_PREFIXES):
            return "不应是密文"
        return text_problem(value)
    if kind == "datetime" or kind == "date":
        if type(value) is not str or len(value) > 40:
            return "日期格式错误"
        try:
            parsed: Any = datetime.fromisoformat(value) if kind == "datetime" else date.fromisoformat(value)
        except ValueError:
            return "日期格式错误"
        return "" if 1900 <= parsed.year <= 2200 else "日期超出范围"
    if kind == "bool":
        return "" if type(value) is bool else "应为是或否"
    if kind == "int":
        if type(value) is not int:
            return "应为整数"
        return "" if c.low <= value <= c.high else "整数超出范围"
    if kind == "float":
        if type(value) not in (int, float):
            return "应为数字"
        return "" if math.isfinite(value) else "数值无效"
    if kind == "json":
        if type(value) is not dict:
            return "应为 JSON 对象"
        return _json_problem(value)
    return ""


def _required(column: Any) -> bool:
    return (not column.nullable and column.default is None and column.server_default is None
            and not (column.primary_key and column.autoincrement is True))


@cache
def _plan(table: str) -> tuple[dict[str, _Col], frozenset[str]]:
    """Per table: each wire column's check, and the columns a new record must carry."""
    columns = _columns(table)
    return ({n: _col(c) for n, c in columns.items()},
            frozenset(n for n, c in columns.items() if _required(c)))


def schema_problem(table: str, data: dict[str, Any], *, new: bool = True) -> str:
    """The table's schema: every column's type, required columns present for a record that may be new."""
    checks, required = _plan(table)
    texts: list[str] = []
    for name, value in data.items():
        c = checks.get(name)
        if c is None:
            continue  # (unknown columns: a newer desk's; the server refuses them itself, a desk ignores them)
        if (c.kind == "text" and type(value) is str and (c.length is None or len(value) <= c.length)
                and not (c.encrypted and value.startswith(CIPHER_PREFIXES))):
            texts.append(value)  # (its characters are checked below, with the record's other texts at once)
            continue
        problem = _value_problem(c, value)
        if problem:
            return f"字段 {name} {problem}"
    if texts and not all_clean(texts):
        for name, value in data.items():  # (which one: the first, as a check field by field names it)
            c = checks.get(name)
            if c is not None and c.kind == "text":
                problem = _value_problem(c, value)
                if problem:
                    return f"字段 {name} {problem}"
    if new and not required <= data.keys():
        missing = sorted(required - data.keys())
        return f"缺少字段：{', '.join(missing[:5])}"
    return ""


def record_id_problem(codec: TableCodec, record_id: str) -> str:
    if not RECORD_ID_RE.match(record_id):
        return "记录编号格式错误"
    if _text_key(codec.table):
        return ""  # (any id of the pattern is a valid key: nothing to parse)
    try:
        codec.key_of(record_id)
    except (ValueError, TypeError):
        return "记录编号格式错误"
    return ""


@cache
def _text_key(table: str) -> bool:
    codec = codec_for(table)
    return codec is not None and codec.key_type() is str


# -- the domain's rules ---------------------------------------------------------------------------------------------


@cache
def _case_values() -> tuple[frozenset[str], frozenset[str], re.Pattern[str]]:
    from reception.domain.case_numbers import CASE_NO_RE
    from reception.domain.enums import CaseStatus, ContentClass

    return frozenset(c.value for c in ContentClass), frozenset(c.value for c in CaseStatus), CASE_NO_RE


@cache
def _machine() -> tuple[Any, Any, Any]:
    """(the lifecycle's CaseState, Event and fold_one: imported once, not by every check of an event)"""
    from reception.lifecycle.machine import CaseState, Event, fold_one

    return CaseState, Event, fold_one


def _case_problem(data: dict[str, Any]) -> str:
    classes, statuses, CASE_NO_RE = _case_values()  # noqa: N806  (the pattern's own name)
    case_no = data.get("case_no")
    if case_no is not None and not (isinstance(case_no, str) and CASE_NO_RE.fullmatch(case_no)
                                    and "\n" not in case_no):
        return "案件编号格式错误"
    if "content_class" in data and data["content_class"] not in classes:
        return "内容分类无效"
    if "status" in data and data["status"] not in statuses:
        return "案件状态无效"
    if len(str(data.get("request") or "")) > REQUEST_MAX or len(str(data.get("facts") or "")) > FACTS_MAX:
        return f"诉求或事实和理由过长（最多 {REQUEST_MAX} / {FACTS_MAX} 字）"
    return ""


def _event_problem(data: dict[str, Any]) -> str:
    CaseState, Event, fold_one = _machine()  # noqa: N806  (the classes' own names)
    payload = data.get("data", {})
    if not isinstance(payload, dict):
        return "事件内容应为 JSON 对象"
    days = payload.get("days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650):
        return "延期天数无效"
    try:
        on = date.fromisoformat(str(data.get("occurred_on")))
        fold_one(CaseState(), Event(str(data.get("kind", "")), on, data.get("actor_id"), data.get("unit_id"),
                                    payload))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return "案件事件无法读取"
    return ""


def _setting_problem(record_id: str, data: dict[str, Any]) -> str:
    value = data.get("value")
    if not isinstance(value, dict):
        return "设置内容应为 JSON 对象"
    try:
        if record_id == "lifecycle":
            for name in ("amber_days", "evaluation_days", "supervision_days", "sign_days"):
                v = value.get(name, 1)
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 3650:
                    return f"设置 {name} 无效"
            fraction = value.get("amber_fraction", 0.2)
            if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
                return "设置 amber_fraction 无效"
        elif record_id == "deadline_roll":
            from reception.domain.deadlines import RollPolicy

            if "policy" in value:
                RollPolicy.parse(str(value["policy"]))
    except ValueError:
        return "设置内容无效"
    return ""


def _audit_problem(data: dict[str, Any]) -> str:
    if not HASH_RE.match(str(data.get("hash") or "")):
        return "审计记录缺少有效的哈希"
    prev = str(data.get("prev_hash") or "")
    if prev and not HASH_RE.match(prev):
        return "审计记录的前序哈希无效"
    seq = data.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return "审计记录的序号无效"
    if not data.get("chain"):
        return "审计记录缺少工位链"
    return ""


def domain_problem(table: str, record_id: str, data: dict[str, Any]) -> str:
    if table == "petition_case":
        return _case_problem(data)
    if table == "case_event":
        return _event_problem(data)
    if table == "centre_setting":
        return _setting_problem(record_id, data)
    if table == "audit_entry":
        return _audit_problem(data)
    if table == "holiday_year":
        year = data.get("year")
        return "" if isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2200 else "年份无效"
    return ""


def record_problem(table: str, record_id: str, data: dict[str, Any] | None, *, deleted: bool = False) -> str:
    """Whether a record (as pulled or pushed) can be stored: '' if so, else the reason. A well-formed record passes
    the table's compiled check (``_compiled``: every check below, in one pass); any doubt takes the check below,
    field by field, which names the reason."""
    if not deleted and type(data) is dict:
        fast = _compiled(table)
        if fast is not None and fast(record_id, data):
            return ""
    return field_by_field_problem(table, record_id, data, deleted=deleted)


def field_by_field_problem(table: str, record_id: str, data: dict[str, Any] | None, *, deleted: bool = False) -> str:
    """``record_problem`` without the compiled check: each check in turn, the first failing one named."""
    codec = codec_for(table)
    if codec is None:
        return f"未知的表：{table}"
    problem = record_id_problem(codec, record_id)
    if problem or data is None:
        return problem if problem or deleted else "缺少记录内容"
    if not isinstance(data, dict):
        return "缺少记录内容"
    try:
        if codec.record_id_of(data) != record_id:
            return "记录编号与内容不符"
    except KeyError:
        return "缺少主键字段"
    if deleted:
        return ""
    return schema_problem(table, data) or domain_problem(table, record_id, data)


# -- the compiled check ---------------------------------------------------------------------------------------------

_Fast = Callable[[str, dict[str, Any]], bool]


@cache
def _compiled(table: str) -> _Fast | None:
    """The table's check of a whole record (not deleted, its data a dict) as one function, built once: True when
    the record passes every check ``record_problem`` makes (record id, key, schema, domain), False at the first
    doubt (then ``record_problem`` checks field by field for the reason). The function is written out for the
    table's columns (``_source``: one straight run of tests per column, its limits as constants; no per-field
    dispatch or loop), and the record's texts (JSON keys and strings included) are checked for bad characters in
    one regex search."""
    codec = codec_for(table)
    if codec is None:
        return None
    namespace: dict[str, Any] = {
        "id_match": RECORD_ID_RE.match, "key_of": codec.key_of, "record_id_of": codec.record_id_of,
        "required": _plan(table)[1], "prefixes": CIPHER_PREFIXES, "isfinite": math.isfinite,
        "datetime_of": datetime.fromisoformat, "date_of": date.fromisoformat, "json_ok": _json_ok,
        "all_clean": all_clean, "domain_problem": domain_problem, "table": table}
    exec(compile(_source(table), f"<record check: {table}>", "exec"), namespace)  # noqa: S102  (our own text)
    check: _Fast = namespace["check"]
    return check


def _source(table: str) -> str:
    """The text of ``_compiled``'s function for ``table`` (column names are the models' identifiers, written as
    string literals; the limits as numbers)."""
    checks, _required = _plan(table)
    out = ["def check(record_id, data):",
           "    if type(record_id) is not str or not id_match(record_id) or not required <= data.keys():",
           "        return False"]
    if not _text_key(table):
        out += ["    try:", "        key_of(record_id)", "    except (ValueError, TypeError):", "        return False"]
    out += ["    try:", "        if record_id_of(data) != record_id:", "            return False",
            "    except KeyError:", "        return False", "    get = data.get", "    found = []"]
    for name, c in checks.items():
        n = repr(name)
        out.append(f"    v = get({n})")
        out.append("    if v is None:")
        out.append("        pass" if c.nullable else f"        if {n} in data:\n            return False")
        if c.kind == "text":
            bad = ["type(v) is not str"]
            if c.length is not None:
                bad.append(f"len(v) > {int(c.length)}")
            if c.encrypted:
                bad.append("v.startswith(prefixes)")
            out += [f"    elif {' or '.join(bad)}:", "        return False",
                    "    elif not (v.isascii() and v.isprintable()):",  # (printable ASCII is clean: no search)
                    "        found.append(v)"]
        elif c.kind in ("datetime", "date"):
            parse = "datetime_of" if c.kind == "datetime" else "date_of"
            out += ["    elif type(v) is not str or len(v) > 40:", "        return False", "    else:",
                    "        try:", f"            year = {parse}(v).year", "        except ValueError:",
                    "            return False", "        if not 1900 <= year <= 2200:", "            return False"]
        elif c.kind == "bool":
            out += ["    elif type(v) is not bool:", "        return False"]
        elif c.kind == "int":
            out += [f"    elif type(v) is not int or not {int(c.low)} <= v <= {int(c.high)}:", "        return False"]
        elif c.kind == "float":  # (an int here: the full check)
            out += ["    elif type(v) is not float or not isfinite(v):", "        return False"]
        elif c.kind == "json":
            out += ["    elif type(v) is not dict or not json_ok(v, 0, found):", "        return False"]
    out += ["    if found and not all_clean(found):", "        return False",
            "    return not domain_problem(table, record_id, data)", ""]
    return "\n".join(out)


def _json_ok(value: Any, depth: int, texts: list[str]) -> bool:
    """``_json_problem(value, depth)`` is '' (``value`` a dict or list), its strings (keys too) left in ``texts`` to
    be checked with the record's other texts; False at anything a closer look must judge."""
    if depth >= MAX_JSON_DEPTH:
        return False  # (a nesting this deep: the full check, which counts exactly)
    items = value.items() if type(value) is dict else enumerate(value)
    for k, item in items:
        if type(k) is str:
            texts.append(k)
        elif type(value) is dict:
            return False
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is dict or kind is list:
            if not _json_ok(item, depth + 1, texts):
                return False
        elif kind is int:
            if not INT64[0] <= item <= INT64[1]:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif not (kind is bool or item is None):
            return False
    return True
