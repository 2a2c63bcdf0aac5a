"""Which column holds what: the header rows found, each field guessed from its Chinese header, named profiles.

A ledger's header may take several rows (a title row merged across the sheet, a group row such as 信访人信息 over
姓名 / 身份证号 / 联系电话, and columns merged down over both); ``find_header`` locates them and labels each column
with its header texts joined by "/" (``信访人信息/姓名``). ``guess_mapping`` then matches each field's synonyms
against the last part first, then the whole label. A mapping can be saved under a name (this desk's ``setting``
``ledger_profiles``) and used again for next year's file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from reception.db.models import Setting
from reception.ledger.values import parse_moment, text_of


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("name", "姓名", ("姓名", "信访人", "信访人姓名", "来访人", "来访人姓名", "反映人", "当事人"), True),
    Field("id_number", "身份证号", ("身份证号", "身份证号码", "身份证", "公民身份号码", "证件号码", "证件号")),
    Field("phone", "联系电话", ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码")),
    Field("address", "住址", ("住址", "家庭住址", "地址", "现住址", "通讯地址", "户籍地址")),
    Field("visited_on", "来访时间", ("来访时间", "来访日期", "登记时间", "登记日期", "信访日期", "信访时间",
                                   "接待时间", "接访日期", "日期", "时间"), True),
    Field("request", "反映问题", ("反映问题", "主要问题", "反映内容", "诉求", "信访事项", "问题", "主要诉求",
                                "来访事由", "事由", "内容"), True),
    Field("facts", "事实和理由", ("事实和理由", "事实与理由", "具体情况", "详细情况", "情况说明")),
    Field("locality", "问题属地", ("问题属地", "属地", "所属乡镇", "乡镇街道", "乡镇", "街道", "问题发生地"), True),
    Field("unit", "责任单位", ("责任单位", "承办单位", "交办单位", "办理单位", "转送单位", "转办单位", "处理单位")),
    Field("category", "问题类别", ("问题类别", "问题分类", "类别", "问题类型", "分类")),
    Field("channel", "信访形式", ("信访形式", "信访方式", "来访形式", "形式", "渠道")),
    Field("headcount", "来访人数", ("来访人数", "人数")),
    Field("result", "办理结果", ("办理结果", "处理结果", "办理情况", "处理情况", "结果", "办结情况", "答复意见")),
    Field("closed_on", "办结时间", ("办结时间", "办结日期", "答复时间", "答复日期", "结案时间", "结案日期",
                                  "回复时间")),
    Field("rating", "满意度", ("满意度", "满意度评价", "评价", "是否满意")),
    Field("case_ref", "原编号", ("编号", "原编号", "台账编号", "案件编号", "事项编号", "登记编号")),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
REQUIRED = tuple(f.key for f in FIELDS if f.required)
HEADER_SCAN_ROWS = 15
PROFILES_KEY = "ledger_profiles"


def _norm(text: str) -> str:
    return "".join(text.split()).replace("（", "(").replace("）", ")").split("(")[0].strip("*：:")


def _match(text: str) -> str | None:
    """The field whose synonym equals this header text (normalised), else None."""
    t = _norm(text)
    if not t:
        return None
    for f in FIELDS:
        if t in f.synonyms:
            return f.key
    return None


def _looks_like_data(row: list[Any]) -> bool:
    return any(parse_moment(v) is not None and not isinstance(v, str) for v in row)


@dataclass(frozen=True, slots=True)
class Header:
    first_row: int
    """0-based index of the header's first row."""
    rows: int
    """How many rows the header takes; data starts at ``first_row + rows``."""
    labels: tuple[str, ...]
    """Each column's header texts joined by "/" ("" for a column without a header)."""

    @property
    def data_start(self) -> int:
        return self.first_row + self.rows


def _score(row: list[Any]) -> int:
    return len({k for v in row if isinstance(v, str) and (k := _match(v))})


def find_header(rows: list[list[Any]], *, first_row: int | None = None, count: int | None = None) -> Header:
    """The header block of a sheet: the row naming most fields in the first rows, the sub-header row under it,
    the group rows above it (not the title: a row that holds one text across the sheet). ``first_row`` and
    ``count`` fix it by hand."""
    width = max((len(r) for r in rows), default=0)
    if first_row is None or count is None:
        scan = rows[:HEADER_SCAN_ROWS]
        scores = [_score(r) for r in scan]
        best = max(range(len(scan)), key=lambda i: (scores[i], -i), default=0)
        end = best
        if best + 1 < len(scan) and scores[best + 1] > 0 and not _looks_like_data(scan[best + 1]):
            end = best + 1
        start = best
        while start > 0:
            above = [text_of(v) for v in rows[start - 1] if text_of(v)]
            if len(above) < 2 or len(set(above)) < 2 or _looks_like_data(rows[start - 1]):
                break
            start -= 1
        first_row, count = start, end - start + 1
    labels = []
    for c in range(width):
        parts: list[str] = []
        for r in rows[first_row:first_row + count]:
            t = text_of(r[c]) if c < len(r) else ""
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        labels.append("/".join(parts))
    return Header(first_row, count, tuple(labels))


def guess_mapping(labels: tuple[str, ...] | list[str]) -> dict[str, int]:
    """field key -> column index, from the header labels: the last part of a label first, then any part."""
    found: dict[str, int] = {}
    for passes in ("last", "any"):
        for c, label in enumerate(labels):
            if c in found.values():
                continue
            parts = label.split("/")
            candidates = [parts[-1]] if passes == "last" else parts[:-1]
            for part in candidates:
                key = _match(part)
                if key and key not in found:
                    found[key] = c
                    break
    return found


def missing_required(mapping: dict[str, int]) -> list[str]:
    """Labels of the required fields not mapped to a column."""
    return [FIELD_BY_KEY[k].label for k in REQUIRED if k not in mapping]


@dataclass(slots=True)
class Profile:
    """A saved mapping: by header label, so it fits next year's file even when the columns moved."""

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    """field key -> header label."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Values for fields the ledger has no column for: ``category`` (a category code), ``channel``."""

    def mapping_for(self, labels: tuple[str, ...] | list[str]) -> dict[str, int]:
        """The columns of a sheet with these header labels: the same label, else the same last part (a file
        whose group row was dropped, e.g. its CSV export: ``信访人信息/姓名`` finds ``姓名``)."""
        index = {label: c for c, label in enumerate(labels) if label}
        last: dict[str, int] = {}
        for c, label in enumerate(labels):
            if label:
                last.setdefault(label.split("/")[-1], c)
        out: dict[str, int] = {}
        for key, label in self.columns.items():
            found = index.get(label, last.get(label.split("/")[-1]))
            if found is not None:
                out[key] = found
        return out


def load_profiles(session: Session) -> dict[str, Profile]:
    row = session.get(Setting, PROFILES_KEY)
    data: dict[str, Any] = dict(row.value) if row is not None else {}
    return {name: Profile(name, dict(p.get("columns", {})), dict(p.get("defaults", {})))
            for name, p in data.get("profiles", {}).items()}


def save_profile(session: Session, profile: Profile) -> None:
    """Store (or replace) a named profile on this desk."""
    profiles = load_profiles(session)
    profiles[profile.name] = profile
    value = {"profiles": {n: {"columns": p.columns, "defaults": p.defaults} for n, p in profiles.items()}}
    row = session.get(Setting, PROFILES_KEY)
    if row is None:
        session.add(Setting(key=PROFILES_KEY, value=value))
    else:
        row.value = value


def profile_from(name: str, mapping: dict[str, int], labels: tuple[str, ...] | list[str],
                 defaults: dict[str, str] | None = None) -> Profile:
    return Profile(name, {k: labels[c] for k, c in mapping.items() if c < len(labels) and labels[c]},
                   dict(defaults or {}))


def profile_json(profile: Profile) -> dict[str, Any]:
    return asdict(profile)
