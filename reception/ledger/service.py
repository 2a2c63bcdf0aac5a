"""The ledger import: a dry run that reports every row, the import in batches, and undoing a whole import.

Each row becomes a case with one visit (rows sharing an 原编号 become visits of one case), registered with the intake
service's own checks and builders (``validate_intake``, ``update_petitioner``, ``new_case_row``, ``visit_records``)
on the row's own date, then walked through the lifecycle's state machine (``CaseHistory``: sign, accept, handle,
reply, evaluate, close) on the dates the ledger gives, so its events and clocks are those of a case registered then.
Nothing writes a case's events or status around those two services. A batch (``BATCH_ROWS``) is one write
transaction: its look-ups are made once, its new records inserted together around the ORM's unit of work, one
Core statement per table (``sync.outbox.insert_captured``: the sync outbox gets each pushed record as the flush
events would give it; the blind indexes, search index rows and audit seals the ORM's events would add are made
here for the whole batch), its clocks computed once per case and inserted in bulk.

Petitioners are found by ID number (its blind index), else by name and phone. A doubtful match is never merged:
the row either makes a new record and a review item (``ledger_review``), or, when the ID number is already
registered under another name, is held for review and not imported.

Each record keeps its source (``ledger_row``: import, sheet, row); a row already imported (the same mapped values,
from this or another file) is skipped, so importing a file again adds nothing. No personal data is logged: log
lines carry counts and row numbers only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from reception import heap
from reception.context import AppContext
from reception.db.base import CHINA_TZ, new_id, transient, utcnow
from reception.db.models import (
    AuditEntry,
    Case,
    CaseClock,
    CaseEvent,
    Category,
    Desk,
    LedgerImport,
    LedgerReview,
    LedgerRow,
    Locality,
    Notification,
    Petitioner,
    RoutingRule,
    Supervision,
    SyncOutbox,
    SyncPeer,
    SyncRow,
    Unit,
    User,
    Visit,
    VisitPerson,
)
from reception.db.settings import load_desk_settings
from reception.domain.enums import Channel, ContentClass, DocumentType, Role, RoutingAction
from reception.domain.errors import FieldError, FieldErrors, NotFoundError, ReceptionError
from reception.domain.idnumber import parse_resident_id
from reception.domain.masking import mask_name
from reception.domain.phone import normalize_phone
from reception.domain.textcheck import field_problem
from reception.intake import directory
from reception.intake.service import F_UNIT, IntakeInput, PersonInput
from reception.ledger.mapping import FIELD_BY_KEY, Header, find_header, guess_mapping, missing_required
from reception.ledger.reader import read_sheet
from reception.ledger.values import Outcome, parse_moment, parse_outcome, parse_rating, text_of
from reception.security import audit
from reception.security.crypto import blind_index
from reception.security.permissions import PermissionDenied

log = logging.getLogger(__name__)

BATCH_ROWS = 1000
"""Rows per write transaction. Every row inserts some thirty index entries at random places (UUID keys, blind
indexes, search tokens), so a large register has each of them dirty its own page, and every page is written to
the write-ahead log at the commit and again at the checkpoint: the rows of a bigger batch share more pages
(bench_ledger, 2,000 rows on a 30,000-row desk: 527 KiB written per row at 200 rows per batch, 489 at 500, 403 at
1000; 5,000 rows on a new enrolled desk: 77 KiB at 500, 63 at 1000). Since the batch's records go in around the
unit of work (``_write``), 1000 rows take about the time 500 did before, so the write lock is still held for a
few seconds at most (an intake at another window waits, ``BUSY_TIMEOUT_MS``) and progress and cancel come within
a batch's time. On the 100,000-row desk (bench_ledger, 4,000 more rows) 2,000 rows a batch wrote 479 KiB a row
and 4,000 wrote 330 against 639 at 1,000, without a CPU or wall time difference above the noise of a shared
machine (2.4-2.5 ms a row there, the cache cold): kept at 1,000 for the write lock and the progress."""
IMPORT_CACHE_KIB = 256 * 1024
"""The page cache of the import's connections (``Database.large_cache``) instead of the desk's 32 MiB: each row
inserts ~30 index entries at random places, and on a file of a few hundred megabytes (100,000 rows make ~2 GB)
every one of them is otherwise a page read from disk, and written back at the checkpoint. Taken only as pages are
read; given back after the import."""
IMPORT_OFFICER = "ledger-import"
"""The account named as registrant of imported cases (the officer who wrote the ledger is not known): a desk
officer without a password, so it can never sign in."""
NO_ADDRESS = "（原台账未登记住址）"
SOURCE_NOTE = "台账导入"
_CLOCKS = cast(Table, CaseClock.__table__)
IMPORT_ROLES = frozenset({Role.ADMIN.value, Role.SUPERVISOR.value})


class LedgerError(ReceptionError):
    pass


# --- what to read ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerSource:
    path: Path
    sheet: str | None = None
    mapping: dict[str, int] | None = None
    """field key -> column index (0-based); None: guessed from the header."""
    header_row: int | None = None
    """0-based first header row and ``header_rows``: fixed by hand (None: found)."""
    header_rows: int | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    """``category``: a category code (or name) for rows without one; ``channel``: a channel label (default 来访)."""


@dataclass(frozen=True, slots=True)
class Issue:
    row_no: int
    field: str
    message: str
    error: bool
    """True: the row cannot be imported; False: a warning (imported, with what the message says)."""


@dataclass(slots=True)
class RowPlan:
    row_no: int
    key: str
    values: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return not self.duplicate and not any(i.error for i in self.issues)


@dataclass(frozen=True, slots=True)
class DryRunReport:
    file_name: str
    sheet: str
    header: Header
    mapping: dict[str, int]
    rows: tuple[RowPlan, ...]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def ready(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def with_errors(self) -> int:
        return sum(1 for r in self.rows if not r.duplicate and not r.ok)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rows if r.duplicate)

    @property
    def issues(self) -> list[Issue]:
        return [i for r in self.rows for i in r.issues]

    def lines(self) -> list[str]:
        """The report for people, one line per problem (``第12行 身份证号：…``), then the totals."""
        out = [f"第{i.row_no}行 {'错误' if i.error else '提示'} {i.field}：{i.message}" for i in self.issues]
        out.extend(f"第{r.row_no}行 跳过：已导入过" for r in self.rows if r.duplicate)
        out.append(f"共{self.total}行：可导入{self.ready}行，有错误{self.with_errors}行，已导入过{self.duplicates}行")
        return out


# --- reference look-ups ----------------------------------------------------------------------------------------

_SEPARATORS = str.maketrans("", "", " \t/\\-—>＞、，,·")


def _key(text: str) -> str:
    return text.translate(_SEPARATORS).strip()


class Lookup:
    """Localities, units and categories by the names a ledger uses (loaded once per run)."""

    def __init__(self, session: Session) -> None:
        locs = {loc.id: loc for loc in session.scalars(select(Locality))}
        self.locality_level = {lid: loc.level for lid, loc in locs.items()}
        self.localities: dict[str, str | None] = {}
        by_name: dict[str, list[str]] = {}
        for lid, loc in locs.items():
            path: list[str] = []
            node: Locality | None = loc
            while node is not None:
                path.insert(0, node.name)
                node = locs.get(node.parent_id) if node.parent_id else None
            for start in range(len(path)):
                self.localities.setdefault(_key("".join(path[start:])), lid)
            by_name.setdefault(_key(loc.name), []).append(lid)
            self.localities[_key(loc.code)] = lid
        for name, ids in by_name.items():  # a bare name that two places share is ambiguous
            if len(ids) > 1:
                self.localities[name] = None
        self.units: dict[str, str] = {}
        for unit in session.scalars(select(Unit)):
            self.units[_key(unit.name)] = unit.id
            self.units.setdefault(_key(unit.code), unit.id)
        self.categories: dict[str, str] = {}
        cats = {c.id: c for c in session.scalars(select(Category))}
        self.leaf_categories = {c.id for c in cats.values()} - {c.parent_id for c in cats.values() if c.parent_id}
        for cat in cats.values():
            self.categories[_key(cat.code)] = cat.id
            self.categories.setdefault(_key(cat.name), cat.id)
            parent = cats.get(cat.parent_id) if cat.parent_id else None
            if parent is not None:
                self.categories[_key(parent.name + cat.name)] = cat.id
        self.default_category = next((cid for cid in sorted(self.leaf_categories) if cats[cid].name.startswith("其他")),
                                     None)
        self.existing_keys: set[str] = set(session.scalars(select(LedgerRow.row_key)
                                                           .where(LedgerRow.status != "held")))
        """Rows already brought in (a held row is tried again: its petitioner may have been corrected since)."""


# --- the dry run -----------------------------------------------------------------------------------------------

_TEXT_FIELDS = ("name", "id_number", "phone", "address", "request", "facts", "locality", "unit", "category",
                "channel", "headcount", "result", "rating", "case_ref")
_LIMITS = {"name": 64, "address": 200, "request": 4000, "facts": 20000, "result": 2000, "case_ref": 64}


def _cell(row: list[Any], column: int | None) -> Any:
    if column is None or column >= len(row):
        return ""
    value = row[column]
    return "" if value is None else value


def _row_key(values: dict[str, Any]) -> str:
    parts = [str(values.get(k) or "") for k in ("name", "id_number", "phone", "request", "locality", "unit",
                                                 "case_ref")]
    visited = values.get("visited_at")
    parts.append(visited.isoformat() if isinstance(visited, datetime) else "")
    key = blind_index("\x1f".join(parts), "ledger_row")
    assert key is not None
    return key


def plan_row(row: list[Any], row_no: int, mapping: dict[str, int], lookup: Lookup, defaults: dict[str, str],
             today: date) -> RowPlan:
    """Read and check one data row: every problem found, each an error (not imported) or a warning."""
    raw = {k: _cell(row, mapping.get(k)) for k in FIELD_BY_KEY}
    v: dict[str, Any] = {k: text_of(raw[k]) for k in _TEXT_FIELDS}
    issues: list[Issue] = []

    def err(key: str, message: str, error: bool = True) -> None:
        issues.append(Issue(row_no, FIELD_BY_KEY[key].label, message, error))

    for key in _TEXT_FIELDS:
        problem = field_problem(FIELD_BY_KEY[key].label, v[key], _LIMITS.get(key))
        if problem:
            err(key, problem)
    for key in ("name", "request", "locality"):
        if not v[key]:
            err(key, f"{FIELD_BY_KEY[key].label}为空（必填）")
    if v["request"] and len(v["request"]) < 4:
        err("request", "反映问题过于简略（至少4个字）")
    # the date of the visit
    visited = parse_moment(raw["visited_on"])
    if visited is None:
        shown = text_of(raw["visited_on"])
        err("visited_on", f"无法识别的日期“{shown}”（可写作2021-03-05、2021.3.5、2021年3月5日）" if shown
            else "来访时间为空（必填）")
    elif visited.date() > today:
        err("visited_on", f"日期{visited:%Y年%m月%d日}晚于今天")
    v["visited_at"] = visited
    # the person
    if v["id_number"]:
        try:
            v["id_number"] = parse_resident_id(v["id_number"], today=visited.date() if visited else today).number
        except FieldError as exc:
            err("id_number", exc.message)
    if v["phone"]:
        try:
            v["phone"] = normalize_phone(v["phone"]).number
        except FieldError as exc:
            err("phone", exc.message)
    # where, who, what
    if v["locality"]:
        lid = lookup.localities.get(_key(v["locality"]))
        if lid is None:
            err("locality", f"“{v['locality']}”不在基础数据的问题属地中" +
                ("（名称重复，请写明所属乡镇、街道）" if _key(v["locality"]) in lookup.localities else ""))
        elif lookup.locality_level.get(lid) == "district":
            err("locality", "问题属地请写到乡镇、街道一级")
        v["locality_id"] = lid
    category = v["category"] or defaults.get("category", "")
    cid = lookup.categories.get(_key(category)) if category else lookup.default_category
    if cid is None:
        err("category", f"“{category}”不在基础数据的问题类别中" if category
            else "问题类别为空，且未指定默认类别")
    elif cid not in lookup.leaf_categories:
        err("category", f"“{category}”是大类，请写到具体类别")
    v["category_id"] = cid
    if v["unit"]:
        uid = lookup.units.get(_key(v["unit"]))
        if uid is None:
            err("unit", f"“{v['unit']}”不在基础数据的责任单位中")
        v["unit_id"] = uid
    else:
        v["unit_id"] = None  # the routing rules propose one at import; none: an error there
    channel_text = v["channel"] or defaults.get("channel", "")
    v["channel_value"] = Channel.VISIT
    if channel_text:
        found = next((c for c in Channel if c.label in channel_text or channel_text in c.label), None)
        if found is None:
            err("channel", f"“{channel_text}”不是信访形式（来访、来信、来电、网上），按来访导入", error=False)
        else:
            v["channel_value"] = found
    headcount = 1
    if v["headcount"]:
        try:
            headcount = max(1, int(float(v["headcount"])))
        except ValueError:
            err("headcount", f"“{v['headcount']}”不是人数，按1人导入", error=False)
    v["headcount_value"] = headcount
    outcome = parse_outcome(v["result"])
    if outcome is None:
        err("result", f"无法判断“{v['result'][:20]}”的办理阶段，按已交办导入", error=False)
        outcome = Outcome.ROUTED
    v["outcome"] = outcome
    closed = parse_moment(raw["closed_on"], default_time=time(10, 0))
    if closed is None and text_of(raw["closed_on"]):
        err("closed_on", f"无法识别的日期“{text_of(raw['closed_on'])}”，按来访日期记", error=False)
    if closed is not None and visited is not None and closed.date() < visited.date():
        err("closed_on", "办结时间早于来访时间")
    if closed is not None and closed.date() > today:
        err("closed_on", f"日期{closed:%Y年%m月%d日}晚于今天")
    if closed is None and outcome in (Outcome.REPLIED, Outcome.CLOSED, Outcome.NOT_ACCEPTED):
        err("closed_on", "未载办结（答复）时间，按来访日期记", error=False)
    v["closed_at"] = closed
    rating = parse_rating(v["rating"]) if v["rating"] else None
    if v["rating"] and rating is None:
        err("rating", f"“{v['rating']}”不是满意度评价（满意、基本满意、不满意），不导入评价", error=False)
    v["rating_value"] = rating
    plan = RowPlan(row_no, "", v, issues)
    plan.key = _row_key(v)
    return plan


def _today(ctx: AppContext) -> date:
    return ctx.now().date()


def dry_run(ctx: AppContext, source: LedgerSource) -> DryRunReport:
    """Read the file and check every row, writing nothing."""
    sheet = read_sheet(source.path, source.sheet)
    header = find_header(sheet.rows, first_row=source.header_row, count=source.header_rows)
    mapping = dict(source.mapping) if source.mapping is not None else guess_mapping(header.labels)
    missing = missing_required(mapping)
    if missing:
        raise LedgerError("以下必填项没有对应的列：" + "、".join(missing) + "。请在列映射中指定。",
                          key="ledger_mapping_incomplete")
    with ctx.db.read() as session:
        lookup = Lookup(session)
    today = _today(ctx)
    seen: set[str] = set()
    plans: list[RowPlan] = []
    for index in range(header.data_start, len(sheet.rows)):
        row = sheet.rows[index]
        if not any(text_of(c) for c in row):
            continue  # blank rows between blocks
        plan = plan_row(row, index + 1, mapping, lookup, source.defaults, today)
        if plan.key in lookup.existing_keys or plan.key in seen:
            plan.duplicate = True
        seen.add(plan.key)
        plans.append(plan)
    return DryRunReport(source.path.name, sheet.name, header, mapping, tuple(plans))


# --- the import ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportSummary:
    import_id: str
    total: int
    imported: int
    duplicates: int
    errors: int
    held: int
    reviews: int
    new_cases: int
    new_petitioners: int
    cancelled: bool
    failed: tuple[tuple[int, str], ...] = ()
    """Rows the dry run passed that the registration still refused: (row number, reason)."""

    def text(self) -> str:
        head = "导入已取消" if self.cancelled else "导入完成"
        return (f"{head}：共{self.total}行，导入{self.imported}行（新建信访事项{self.new_cases}件、信访人"
                f"{self.new_petitioners}人），已导入过{self.duplicates}行，"
                f"有错误未导入{self.errors + len(self.failed)}行，"
                f"待人工核对{self.held}行，疑似同一人{self.reviews}条")


Progress = Callable[[int, int], None]


def _check_importer(session: Session, actor_id: str | None) -> None:
    if actor_id is None:
        return  # the command line, run by whoever holds the data directory
    user = session.get(User, actor_id)
    if user is None or not user.active or user.role not in IMPORT_ROLES:
        raise PermissionDenied("只有系统管理员和督查人员可以导入台账。", key="ledger_not_allowed")


def _import_officer(session: Session) -> str:
    found = session.scalar(select(User.id).where(User.username == IMPORT_OFFICER))
    if found is not None:
        return found
    user = User(username=IMPORT_OFFICER, display_name="台账导入", role=Role.DESK_OFFICER.value, active=True,
                password_hash="")
    session.add(user)
    session.flush()
    return user.id


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_import(ctx: AppContext, source: LedgerSource, *, actor_id: str | None, progress: Progress | None = None,
               cancelled: Callable[[], bool] | None = None, batch_rows: int = BATCH_ROWS,
               report: DryRunReport | None = None) -> ImportSummary:
    """Import the rows the dry run passes, ``batch_rows`` per write transaction. ``progress(done, total)`` after
    each batch; ``cancelled()`` is asked between batches (what was imported stays, a later run continues)."""
    with ctx.db.read() as session:
        _check_importer(session, actor_id)
    report = report or dry_run(ctx, source)
    todo = sorted((r for r in report.rows if r.ok), key=lambda r: (r.values["visited_at"], r.row_no))
    total = len(todo)
    with ctx.db.write() as session:
        _check_importer(session, actor_id)
        desk = load_desk_settings(session)
        officer_id = _import_officer(session)
        run = LedgerImport(file_name=source.path.name[:260], file_digest=_digest(source.path), sheet=report.sheet,
                           mapping={"header_row": report.header.first_row, "header_rows": report.header.rows,
                                    "columns": {k: report.header.labels[c] if c < len(report.header.labels) else c
                                                for k, c in report.mapping.items()},
                                    "defaults": dict(source.defaults)},
                           total_rows=report.total, started_by=actor_id, state="running")
        session.add(run)
        session.flush()
        import_id = run.id
        audit.record(session, user_id=actor_id, desk_id=desk.desk_id, action="ledger_import", entity="ledger_import",
                     entity_id=import_id, detail=f"rows:{report.total}")
    counts = {"imported": 0, "held": 0, "reviews": 0, "new_cases": 0, "new_petitioners": 0}
    routes: dict[tuple[str, str | None], Any] = {}
    failed: list[tuple[int, str]] = []
    stopped = False
    done = 0
    if progress:
        progress(0, total)
    try:
        # the batches' random index pages stay read; full collections (walking the report's rows and every record
        # of the batch, ~12 % of the import's time) wait for its end, as a sync cycle's do
        with ctx.db.large_cache(IMPORT_CACHE_KIB), heap.bulk_work():
            for start in range(0, total, max(1, batch_rows)):
                if cancelled is not None and cancelled():
                    stopped = True
                    break
                batch = todo[start:start + batch_rows]
                with ctx.db.write() as session:
                    importer = _RowImporter(session, ctx, import_id, report.sheet, desk.desk_id, officer_id, routes)
                    importer.import_batch(batch)
                    failed.extend(importer.failed)
                    for k in counts:
                        counts[k] += importer.counts[k]
                done += len(batch)
                if progress:
                    progress(done, total)
    except BaseException:
        with ctx.db.write() as session:  # what the committed batches brought in stays, and can be undone
            run_row = session.get(LedgerImport, import_id)
            if run_row is not None:
                run_row.state, run_row.finished_at = "failed", ctx.now()
                run_row.imported, run_row.held = counts["imported"], counts["held"]
        raise
    with ctx.db.write() as session:
        run_row = session.get(LedgerImport, import_id)
        assert run_row is not None
        run_row.imported, run_row.held = counts["imported"], counts["held"]
        run_row.skipped = report.total - counts["imported"] - counts["held"]
        run_row.state = "cancelled" if stopped else "done"
        run_row.finished_at = ctx.now()  # (the desk's clock, as the events': ``_undo_synced`` compares them)
    log.info("ledger import %s: %d rows imported, %d held, %d failed%s", import_id, counts["imported"],
             counts["held"], len(failed), " (cancelled)" if stopped else "")
    return ImportSummary(import_id, report.total, counts["imported"], report.duplicates, report.with_errors,
                         counts["held"], counts["reviews"], counts["new_cases"], counts["new_petitioners"], stopped,
                         tuple(failed))


def _moment(day_time: datetime | None, fallback: datetime, hour: int | None = None) -> datetime:
    d = day_time or fallback
    if hour is not None and day_time is None:
        d = d.replace(hour=hour, minute=0, second=0)
    return d.replace(tzinfo=CHINA_TZ)


@dataclass(slots=True)
class _Person:
    """What the matching needs of a registered petitioner: its keys (the blind indexes), never its decrypted
    values."""

    id: str
    name: str
    id_type: str
    id_key: str | None
    phone_key: str | None
    merged_into: str | None

    @classmethod
    def of(cls, p: Petitioner) -> _Person:
        """From a record in hand (a new one is not flushed yet: its blind indexes are computed here)."""
        return cls(p.id, p.name, p.id_type, blind_index(p.id_number, "id_number"), blind_index(p.phone, "phone"),
                   p.merged_into)


class _RowImporter:
    """One batch's rows, in the caller's write transaction, their new records written together (``_write``).

    Every row goes through the intake's own checks and builders (``validate_intake``, ``update_petitioner``,
    ``new_case_row``, ``visit_records``) and the lifecycle's state machine (``CaseHistory``), but the look-ups are
    made once per batch (petitioners by blind index, name and phone; held rows; 原编号 joins; visit counts), the case
    numbers come from the day's counter held in memory, and the new records are inserted together, table by table
    (``_write``). The clocks are computed once per case, from its final state, and inserted in bulk after them."""

    def __init__(self, session: Session, ctx: AppContext, import_id: str, sheet: str, desk_id: str,
                 officer_id: str, routes: dict[tuple[str, str | None], Any]) -> None:
        from reception.lifecycle.service import load_settings
        from reception.security.permissions import Permission, require

        self.session, self.ctx, self.import_id, self.sheet = session, ctx, import_id, sheet
        self.desk_id, self.officer_id = desk_id, officer_id
        self.cal = ctx.calendar
        self.settings = load_settings(session)
        self.today = ctx.now().date()
        self.counts = {"imported": 0, "held": 0, "reviews": 0, "new_cases": 0, "new_petitioners": 0}
        # the reference rows every registration looks up, held here: the session's identity map keeps only objects
        # someone references, so without this each ``session.get`` of a unit or locality went to the database
        self._held: list[Any] = [*session.scalars(select(Unit)), *session.scalars(select(Locality)),
                                 *session.scalars(select(Category)), *session.scalars(select(RoutingRule))]
        desk, officer = session.get(Desk, desk_id), session.get(User, officer_id)
        if desk is None or officer is None:
            raise NotFoundError("本机工位或登记人员未设置，请先在“设置”中选择。", key="desk_not_configured")
        require(session, officer_id, Permission.REGISTER)
        self.desk, self.officer = desk, officer
        self._routes = routes
        self._counters: dict[date, Any] = {}
        self._taken: dict[date, set[str]] = {}
        self.clock_rows: list[dict[str, Any]] = []
        self.failed: list[tuple[int, str]] = []
        self.late: list[tuple[Any, dict[str, Any]]] = []
        self.unwritten: set[str] = set()
        """The cases made by rows not yet flushed."""
        """Changes to rows already stored (a held row now imported), made after the batch's new records are in."""

    def _propose(self, category_id: str, locality_id: str | None) -> Any:
        key = (category_id, locality_id)
        if key not in self._routes:
            self._routes[key] = directory.propose_route(self.session, category_id, locality_id)
        return self._routes[key]

    # -- the batch's look-ups

    def _prefetch(self, plans: list[RowPlan]) -> None:
        s = self.session
        ids = {blind_index(p.values["id_number"], "id_number") for p in plans if p.values["id_number"]}
        phones = {blind_index(p.values["phone"], "phone") for p in plans if p.values["phone"]}
        names = {p.values["name"] for p in plans}
        # the records a row may link to (the same ID number) are loaded whole; those that only share a name or a
        # phone are candidates for the review list, read as their keys (a common name has hundreds of records:
        # loading and decrypting each of them for every batch made the import slower as the database grew)
        self.records: dict[str, Petitioner] = {}
        for chunk in _chunks(sorted(i for i in ids if i)):
            self.records.update((p.id, p) for p in s.scalars(select(Petitioner).where(
                Petitioner.id_type == DocumentType.RESIDENT_ID.value, Petitioner.id_number_bidx.in_(chunk))))
        people = {pid: _Person.of(p) for pid, p in self.records.items()}
        columns = (Petitioner.id, Petitioner.name, Petitioner.id_type, Petitioner.id_number_bidx,
                   Petitioner.phone_bidx, Petitioner.merged_into)
        for chunk in _chunks(sorted(names)):
            for found in s.execute(select(*columns).where(Petitioner.name.in_(chunk))):
                people.setdefault(found.id, _Person(*found))
        for chunk in _chunks(sorted(i for i in phones if i)):
            for found in s.execute(select(*columns).where(Petitioner.phone_bidx.in_(chunk))):
                people.setdefault(found.id, _Person(*found))
        self.by_id: dict[str, _Person] = {}
        self.by_name: dict[str, list[_Person]] = {}
        self.by_phone: dict[str, list[_Person]] = {}
        for person in sorted(people.values(), key=lambda p: p.id):
            self._index(person)
        keys = [p.key for p in plans]
        self.held_rows: dict[str, LedgerRow] = {}
        self.taken_keys: set[str] = set()
        for chunk in _chunks(keys):
            for row in s.scalars(select(LedgerRow).where(LedgerRow.row_key.in_(chunk))):
                if row.status == "held":
                    self.held_rows[row.row_key] = row
                else:
                    self.taken_keys.add(row.row_key)
        refs = sorted({p.values["case_ref"][:64] for p in plans if p.values["case_ref"]})
        self.joins: dict[str, str] = {}
        for chunk in _chunks(refs):
            for ref, case_id in s.execute(select(LedgerRow.case_ref, LedgerRow.case_id).where(
                    LedgerRow.case_ref.in_(chunk), LedgerRow.case_id.is_not(None), LedgerRow.status != "undone")
                    .order_by(LedgerRow.id)):
                if case_id is not None:
                    self.joins.setdefault(ref, case_id)
        if self.joins:  # a 原编号 of a case merged away since: the visit joins its survivor (as the intake's does)
            from reception.merge.resolve import case_survivors

            survivors = case_survivors(s, set(self.joins.values()))
            self.joins = {ref: survivors[case_id] for ref, case_id in self.joins.items()}
        self.visits: dict[str, int] = {}
        joined = sorted(set(self.joins.values()))
        self.cases: dict[str, Case] = {}
        for chunk in _chunks(joined):
            self.cases.update((c.id, c) for c in s.scalars(select(Case).where(Case.id.in_(chunk))))
            for case_id, n in s.execute(select(Visit.case_id, func.count()).where(Visit.case_id.in_(chunk))
                                        .group_by(Visit.case_id)):
                self.visits[case_id] = n
        # the case-number counters of the batch's days, and the numbers already issued on them (one query each)
        from reception.db.models import CaseNumberCounter
        from reception.domain.case_numbers import format_case_no

        days: list[date] = sorted({p.values["visited_at"].date() for p in plans} - set(self._counters))
        for day_chunk in _chunks(days):
            for counter in s.scalars(select(CaseNumberCounter).where(CaseNumberCounter.desk_code == self.desk.code,
                                                                      CaseNumberCounter.day.in_(day_chunk))):
                self._counters[counter.day] = counter
                self._taken.setdefault(counter.day, set())
            prefixes = {format_case_no(self.desk.code, d, 1)[:-4]: d for d in day_chunk}
            for case_no in s.scalars(select(Case.case_no).where(Case.registered_on.in_(day_chunk))):
                d = prefixes.get(case_no.rsplit("-", 1)[0] + "-")
                if d is not None:
                    self._taken.setdefault(d, set()).add(case_no)
        self.open_reviews: dict[str, list[LedgerReview]] = {}
        held_ids = [r.id for r in self.held_rows.values()]
        for chunk in _chunks(held_ids):
            for item in s.scalars(select(LedgerReview).where(LedgerReview.row_id.in_(chunk),
                                                             LedgerReview.state == "open")):
                self.open_reviews.setdefault(item.row_id, []).append(item)

    def _index(self, p: _Person) -> None:
        id_key = p.id_key if p.id_type == DocumentType.RESIDENT_ID.value else None
        if id_key:  # a live record before a merged-away one (as the intake's look-up orders them)
            held = self.by_id.get(id_key)
            if held is None or (held.merged_into and not p.merged_into):
                self.by_id[id_key] = p
        self.by_name.setdefault(p.name, []).append(p)
        if p.phone_key:
            self.by_phone.setdefault(p.phone_key, []).append(p)

    def _refresh(self, p: Petitioner) -> None:
        """A linked record's keys after the row updated it (as it is listed: by name; the maps by ID and phone stay
        as the batch's look-up made them)."""
        fresh = _Person.of(p)
        for person in self.by_name.get(p.name, []):
            if person.id == p.id:
                person.id_key, person.phone_key = fresh.id_key, fresh.phone_key

    def _case_no(self, day: date) -> str:
        from reception.db.models import CaseNumberCounter
        from reception.domain.case_numbers import format_case_no

        s = self.session
        counter = self._counters.get(day)
        if counter is None:
            counter = CaseNumberCounter(desk_code=self.desk.code, day=day, last=0)
            s.add(counter)
            self._counters[day] = counter
        taken = self._taken.setdefault(day, set())
        while True:  # a restored or copied database may have lost its counter: never reuse a number
            counter.last += 1
            case_no = format_case_no(self.desk.code, day, counter.last)
            if case_no not in taken:
                taken.add(case_no)
                return case_no

    # -- petitioners

    def _match(self, v: dict[str, Any]) -> tuple[str | None, list[tuple[str, str, str]], bool]:
        """(existing petitioner to link, doubtful candidates (reason, message, id), hold the row)."""
        name, id_number, phone = v["name"], v["id_number"] or None, v["phone"] or None
        if id_number:
            found = self.by_id.get(blind_index(id_number, "id_number") or "")
            if found is not None:
                if found.name == name:
                    return found.id, [], False
                return None, [("same_id_other_name", "身份证号已登记在另一姓名下，未导入，请核对", found.id)], True
        same_name = self.by_name.get(name, [])[:20]
        phone_key = blind_index(phone, "phone") if phone else None
        if phone_key is not None:
            exact = [p for p in same_name if p.phone_key == phone_key]
            if exact and not id_number:
                return exact[0].id, [], False
            if exact and id_number:  # the same name and phone, the known record without (this) ID number
                return None, [("id_new_for_known", "姓名、电话与已登记信访人相同，但证件号码不同或未登记",
                               exact[0].id)], False
        doubts: list[tuple[str, str, str]] = []
        for p in same_name[:3]:
            if p.id_key and id_number:
                continue  # both have ID numbers, and they differ: two people of one name
            reason = ("same_name_other_phone", "姓名相同、电话不同") if phone and p.phone_key else (
                "same_name_no_phone", "姓名相同，无法以电话核对")
            doubts.append((reason[0], reason[1], p.id))
        if phone_key is not None and not doubts:
            other = next((p for p in self.by_phone.get(phone_key, []) if p.name != name), None)
            if other is not None:
                doubts.append(("same_phone_other_name", "电话相同、姓名不同（可能是家人）", other.id))
        return None, doubts, False

    # -- the batch

    def import_batch(self, plans: list[RowPlan]) -> None:
        self._prefetch(plans)
        s = self.session
        groups: dict[type, list[Any]] = {}
        with s.no_autoflush:
            for plan in plans:
                if plan.key in self.taken_keys:  # the row came in meanwhile (another import of the same rows)
                    self.failed.append((plan.row_no, "该行已由另一次导入导入"))
                    continue
                ref = plan.values["case_ref"][:64]
                if ref and self.joins.get(ref) in self.unwritten:
                    self._write(groups, attach=True)  # a further visit to a case of this batch
                try:
                    records = self._row(plan)
                except (FieldErrors, ReceptionError) as exc:
                    messages = exc.errors if isinstance(exc, FieldErrors) else [exc]
                    self.failed.append((plan.row_no, "；".join(getattr(e, "message", str(e)) for e in messages)))
                    continue
                for obj in records:
                    groups.setdefault(type(obj), []).append(obj)
                self.taken_keys.add(plan.key)
        self._write(groups)
        if self.clock_rows:
            s.execute(insert(_CLOCKS), self.clock_rows)

    def _write(self, groups: dict[type, list[Any]], *, attach: bool = False) -> None:
        """Insert the new records gathered, table by table, parents first, each table's in one Core statement
        (``sync.outbox.insert_captured``: the outbox gets each pushed record as the flush events would give it)
        with what the ORM's insert events do done for the whole batch by their stand-ins (``db.insert_hooks``: the
        petitioners' blind indexes and search index rows) and the audit entries sealed in their desk's chain here.
        The changes to records already stored (a linked petitioner's new phone, a joined case's version, a held row
        now imported) flush through the ORM as before. ``attach``: the rows of the batch still to come may change
        the records written (a further visit to a case written now): they become the session's persistent
        objects."""
        from sqlalchemy.orm import make_transient_to_detached

        from reception.sync.outbox import insert_captured

        s = self.session
        written: list[Any] = []
        with s.no_autoflush:  # (the stored records' changes flush after the new petitioners, as one flush orders them)
            for kind in _INSERT_ORDER:
                objs = groups.pop(kind, None)
                if objs:
                    if kind is AuditEntry:
                        audit.seal(s, objs)
                    insert_captured(s, objs)  # (the petitioners' blind indexes and search rows: its stand-ins)
                    if attach and kind in (Petitioner, Case):
                        written += objs
                if kind is Petitioner:
                    s.flush()
        assert not groups, groups.keys()
        for obj, values in self.late:
            for attr, value in values.items():
                setattr(obj, attr, value)
        self.late.clear()
        s.flush()
        for obj in written:
            make_transient_to_detached(obj)
            s.add(obj)
        self.unwritten.clear()

    def _row(self, plan: RowPlan) -> list[Any]:
        """The records of one row (nothing added to the session: a refused row leaves nothing behind)."""
        from reception.intake.service import (
            new_case_row,
            new_petitioner,
            petitioner_audit,
            update_petitioner,
            validate_intake,
            visit_records,
        )

        v = plan.values
        out: list[Any] = []
        link, doubts, hold = self._match(v)
        earlier = self.held_rows.get(plan.key)
        if earlier is not None and hold:
            self.counts["held"] += 1  # still held: its review item is still open
            return out
        if hold:
            row = transient(LedgerRow, id=new_id(), import_id=self.import_id, sheet=self.sheet[:100],
                            row_no=plan.row_no, row_key=plan.key, case_ref=v["case_ref"][:64], status="held")
            reason, message, candidate = doubts[0]
            out += [row, transient(LedgerReview, id=new_id(), import_id=self.import_id, row_id=row.id, reason=reason,
                                   message=message, petitioner_id=None, candidate_id=candidate)]
            self.counts["held"] += 1
            self.counts["reviews"] += 1
            return out
        visited: datetime = v["visited_at"]
        moment = visited.replace(tzinfo=CHINA_TZ)
        address, phone = v["address"], v["phone"]
        known = self.records.get(link) if link else None
        if known is None and link is not None:
            known = self.session.get(Petitioner, link)
        if known is not None:
            if known.phone:
                phone = ""  # a ledger's old phone never replaces the one on record
            if known.address:
                address = known.address
        id_type = DocumentType.RESIDENT_ID if v["id_number"] else DocumentType.NONE
        person = PersonInput(name=v["name"], id_type=id_type, id_number=v["id_number"], phone=phone,
                             address=address or NO_ADDRESS, petitioner_id=link)
        join = self.joins.get(v["case_ref"][:64]) if v["case_ref"] else None
        if join is not None:
            form = IntakeInput(person=person, channel=v["channel_value"], headcount=v["headcount_value"],
                               request=v["request"], join_case_id=join)
        else:
            unit_id = v["unit_id"]
            proposal = self._propose(v["category_id"], v["locality_id"])
            if unit_id is None:
                if proposal is None:
                    raise FieldErrors([FieldError(F_UNIT, "责任单位为空，路由规则也无法确定",
                                                  key="ledger_no_unit")])
                unit_id = proposal.unit_id
            override = proposal is not None and proposal.unit_id != unit_id
            form = IntakeInput(person=person, channel=v["channel_value"], headcount=v["headcount_value"],
                               content_class=ContentClass.CLAIM, category_id=v["category_id"],
                               locality_id=v["locality_id"], request=v["request"],
                               facts=v["facts"] or v["request"], routing_action=RoutingAction.ASSIGN,
                               unit_id=unit_id,
                               override_reason=f"{SOURCE_NOTE}：按原台账责任单位" if override else "",
                               note=f"{SOURCE_NOTE}：第{plan.row_no}行")
        valid = validate_intake(self.session, form, today=moment.date(), routes=self._propose)
        clean = valid.persons[0]
        if known is not None:
            petitioner = known
            changed = update_petitioner(known, clean)  # (raises before changing anything)
            if changed:  # a phone it lacked: the next rows of the batch compare with it
                self._refresh(known)
        else:
            petitioner, changed = new_petitioner(clean), {}
            out.append(petitioner)
        entry = petitioner_audit(petitioner, clean, changed, created=known is None, officer_id=self.officer_id,
                                 desk_id=self.desk_id)
        history = None
        if join is None:
            case = new_case_row(form, self.desk, self.officer, moment, self._case_no(moment.date()))
            visits_before = 0
        else:
            case = self.cases[join]
            visits_before = self.visits.get(join, 0)
        visit, _flags, records = visit_records(case, form, [petitioner], visits_before, desk=self.desk,
                                               officer=self.officer, now=moment, proposal=valid.proposal)
        if join is None:
            history = self._history(case, records, v, moment)  # LifecycleError: nothing of the row is kept
            out.append(case)
        if entry is not None:
            out.append(entry)
        out += records
        if history is not None:
            out += history.objects
            self.unwritten.add(case.id)
            self.clock_rows += history.clock_rows()
            self.cases[case.id] = case
        self.visits[case.id] = visits_before + 1
        if known is None:
            self.records[petitioner.id] = petitioner
            self._index(_Person.of(petitioner))
        if v["case_ref"] and join is None:
            self.joins.setdefault(v["case_ref"][:64], case.id)
        earlier_row = self.held_rows.pop(plan.key, None)
        source = {"import_id": self.import_id, "sheet": self.sheet[:100], "row_no": plan.row_no,
                  "status": "imported", "case_id": case.id, "visit_id": visit.id, "petitioner_id": petitioner.id,
                  "new_case": join is None, "new_petitioner": known is None}
        if earlier_row is not None:  # held before, importable now: that review is settled (once its records are in)
            row = earlier_row
            self.late.append((row, source))
            self.late.extend((item, {"state": "resolved"}) for item in self.open_reviews.get(row.id, []))
        else:
            row = transient(LedgerRow, id=new_id(), row_key=plan.key, case_ref=v["case_ref"][:64], **source)
            out.append(row)
        for reason, message, candidate in doubts:
            if candidate != petitioner.id:
                out.append(transient(LedgerReview, id=new_id(), import_id=self.import_id, row_id=row.id, reason=reason,
                                     message=message, petitioner_id=petitioner.id, candidate_id=candidate))
                self.counts["reviews"] += 1
        if join is None:
            self.counts["new_cases"] += 1
        if known is None:
            self.counts["new_petitioners"] += 1
        self.counts["imported"] += 1
        return out

    # -- the case's history

    def _history(self, case: Case, records: list[Any], v: dict[str, Any], moment: datetime) -> Any:
        """Walk the new case to the stage its 办理结果 names, on the ledger's dates, through the state machine."""
        from reception.lifecycle import machine as m
        from reception.lifecycle.service import CaseHistory

        events = [m.Event(e.kind, e.occurred_on, e.actor_id, e.unit_id, e.data or {})
                  for e in records if isinstance(e, CaseEvent)]
        last = max(e.occurred_at for e in records if isinstance(e, CaseEvent))
        h = CaseHistory(case, m.fold(events, content_class=case.content_class), last, cal=self.cal,
                        settings=self.settings, actor_id=None)
        outcome: Outcome = v["outcome"]
        first = moment.date()
        closed: datetime | None = v["closed_at"]
        end = _moment(closed, moment + timedelta(minutes=30))
        steps: list[tuple[datetime, m.Transition]] = []
        if outcome is not Outcome.ROUTED:
            steps.append((moment, m.SignFor(received_on=first, note=SOURCE_NOTE)))
        if outcome is Outcome.NOT_ACCEPTED:
            steps += [(end, m.Reject(v["result"] or "不予受理", "见原台账", note=SOURCE_NOTE)),
                      (end, m.Close(note=SOURCE_NOTE))]
        elif outcome is not Outcome.ROUTED:
            steps.append((moment, m.Accept(note=SOURCE_NOTE)))
            if outcome is not Outcome.ACCEPTED:
                steps.append((moment, m.StartHandling(note=SOURCE_NOTE)))
            if outcome in (Outcome.REPLIED, Outcome.CLOSED):
                text = v["result"]
                reply = (m.ReplyOutcome.REJECT if "不予支持" in text or "不支持" in text
                         else m.ReplyOutcome.SUPPORT if "支持" in text or "解决" in text else m.ReplyOutcome.EXPLAIN)
                steps.append((end, m.Reply(reply, text or "见原台账", end.date(), m.DeliveryMeans.OTHER,
                                           note=SOURCE_NOTE)))
                if v["rating_value"]:
                    steps.append((end, m.Evaluate(m.Rating.parse(v["rating_value"]), m.EvaluationChannel.PHONE,
                                                  note=SOURCE_NOTE)))
        status, version = case.status, case.version
        try:
            for when, transition in steps:
                h.apply(when, transition)
        except BaseException:
            case.status, case.version = status, version
            raise
        if outcome is Outcome.CLOSED:
            close_at = end
            if not v["rating_value"]:  # no rating recorded: 销号 once the evaluation window has run out
                window = m.evaluation_due(h.state, self.cal, self.settings)
                close_at = max(end, datetime.combine(window + timedelta(days=1), time(10, 0), CHINA_TZ))
            if close_at.date() <= self.today:
                # (a dissatisfied rating opened a supervision: the case stays replied, as the law says)
                with contextlib.suppress(m.LifecycleError):
                    h.apply(close_at, m.Close(note=SOURCE_NOTE))
        return h


_T = TypeVar("_T")
_INSERT_ORDER: tuple[type, ...] = (Petitioner, Case, Visit, VisitPerson, CaseEvent, Supervision, AuditEntry,
                                   LedgerRow, LedgerReview)


def _chunks(items: list[_T], size: int = 500) -> list[list[_T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- the review list, the imports, undo ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportInfo:
    id: str
    file_name: str
    sheet: str
    state: str
    total_rows: int
    imported: int
    held: int
    started_at: datetime


def list_imports(ctx: AppContext) -> list[ImportInfo]:
    with ctx.db.read() as session:
        return [ImportInfo(r.id, r.file_name, r.sheet, r.state, r.total_rows, r.imported, r.held, r.started_at)
                for r in session.scalars(select(LedgerImport).order_by(LedgerImport.started_at.desc()))]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: str
    import_id: str
    row_no: int
    reason: str
    message: str
    petitioner_id: str | None
    candidate_id: str
    held: bool
    candidate: str = ""
    """The registered petitioner's name, masked (夏某云)."""
    file_name: str = ""


def review_items(ctx: AppContext, import_id: str | None = None) -> list[ReviewItem]:
    """The doubtful matches still open (no names: the UI shows them masked from the records)."""
    with ctx.db.read() as session:
        q = (select(LedgerReview, LedgerRow.row_no, LedgerRow.status, Petitioner.name, LedgerImport.file_name)
             .join(LedgerRow, LedgerRow.id == LedgerReview.row_id)
             .join(Petitioner, Petitioner.id == LedgerReview.candidate_id)
             .join(LedgerImport, LedgerImport.id == LedgerReview.import_id)
             .where(LedgerReview.state == "open"))
        if import_id is not None:
            q = q.where(LedgerReview.import_id == import_id)
        return [ReviewItem(r.id, r.import_id, row_no, r.reason, r.message, r.petitioner_id, r.candidate_id,
                           status == "held", mask_name(name), file_name)
                for r, row_no, status, name, file_name in session.execute(
                    q.order_by(LedgerImport.started_at, LedgerRow.row_no))]


REVIEW_DECISIONS = {"different": "不是同一人", "ignore": "不导入此行"}


def resolve_review(ctx: AppContext, review_id: str, decision: str, *, actor_id: str | None) -> None:
    """Settle one doubtful match: ``different`` (two people: the records stay apart) or ``ignore`` (a held row is
    left out for good; the file's row is then skipped like an imported one). Audited. Merging two records of one
    person is not offered here (see the report of issue 17)."""
    if decision not in REVIEW_DECISIONS:
        raise LedgerError("未知的核对结论", key="ledger_review_decision")
    with ctx.db.write() as session:
        _check_importer(session, actor_id)
        item = session.get(LedgerReview, review_id)
        if item is None or item.state != "open":
            raise NotFoundError("该核对事项不存在或已处理", key="ledger_review_unknown")
        row = session.get(LedgerRow, item.row_id)
        if decision == "ignore":
            if row is None or row.status != "held":
                raise LedgerError("只有未导入的行可以选择不导入", key="ledger_review_not_held")
            row.status = "ignored"
        item.state = "resolved"
        audit.record(session, user_id=actor_id, action="ledger_review", entity="ledger_review", entity_id=item.id,
                     detail=f"{item.reason}:{decision}")


@dataclass(frozen=True, slots=True)
class UndoSummary:
    cases: int
    """Cases removed (before sync) or made 已撤销 (after sync)."""
    visits: int
    """Their visits."""
    petitioners: int
    """Petitioners removed (before sync only: after sync the petitioners stay, see ``undo_import``)."""
    synced: bool = False
    """True: the import had synced, its cases were undone as lifecycle steps (撤销导入) that sync like any change."""
    kept: tuple[str, ...] = ()
    """Case numbers of the import's cases that got later work (a visit, a step, a unit's report) and were kept."""

    def text(self) -> str:
        """The result for people (the wizard and the command line show it)."""
        if not self.synced:
            return f"已撤销：删除信访事项{self.cases}件、来访{self.visits}次、信访人{self.petitioners}人"
        out = (f"已撤销：该次导入已同步，{self.cases}件信访事项（来访{self.visits}次）已标记为“已撤销”，"
               "将随下次同步通知其他工位")
        if self.kept:
            shown = "、".join(self.kept[:5]) + ("等" if len(self.kept) > 5 else "")
            out += f"；{len(self.kept)}件此后已有新的来访或办理，未撤销（{shown}），请逐件核对"
        return out


UNDO_REASON = "台账导入有误，整批撤销"


_UNDO_TABLES = ("petition_case", "visit", "visit_person", "case_event", "petitioner", "supervision")


def undo_import(ctx: AppContext, import_id: str, *, actor_id: str | None, reason: str = UNDO_REASON) -> UndoSummary:
    """Undo a whole import, administrators only: cleanly while none of it has reached the server, as ordinary
    changes after.

    Before sync: the cases, their visits, events, clocks and supervisions go, and the petitioners the import created
    that no other visit names; petitioners it only linked stay untouched. Changes still waiting in the outbox go
    with them (the server never saw the records). Refused when a case got a visit the import did not make.

    After sync (any case or visit of the import known to the server): ``_undo_synced``, each case a lifecycle step
    (撤销导入, ``machine.UndoImport``) that syncs like any other. The audit trail keeps the import and its undo."""
    from reception.security.permissions import Permission, require
    from reception.sync.outbox import APPLYING_KEY

    with ctx.db.write() as session:
        require(session, actor_id, Permission.ADMIN)
        run = session.get(LedgerImport, import_id)
        if run is None:
            raise NotFoundError("未找到该次导入", key="ledger_import_unknown")
        if run.state == "undone":
            raise LedgerError("该次导入已经撤销", key="ledger_already_undone")
        rows = list(session.scalars(select(LedgerRow).where(LedgerRow.import_id == import_id)))
        case_ids = sorted({r.case_id for r in rows if r.case_id and r.new_case})
        visit_ids = sorted({r.visit_id for r in rows if r.visit_id})
        if _known_to_server(session, case_ids, visit_ids):
            return _undo_synced(ctx, session, run, rows, actor_id=actor_id, reason=reason)
        foreign = session.scalar(select(func.count()).select_from(Visit).where(
            Visit.case_id.in_(case_ids), Visit.id.not_in(visit_ids)))
        if foreign:
            raise LedgerError("导入的信访事项此后又登记了来访，不能整批撤销", key="ledger_undo_changed")
    with ctx.db.write() as session:
        if _known_to_server(session, case_ids, visit_ids):  # a push read them meanwhile: the undo after sync
            run = session.get(LedgerImport, import_id)
            assert run is not None
            rows = list(session.scalars(select(LedgerRow).where(LedgerRow.import_id == import_id)))
            return _undo_synced(ctx, session, run, rows, actor_id=actor_id, reason=reason)
        session.info[APPLYING_KEY] = True  # the server never had these records: nothing to send about them
        try:
            rows = list(session.scalars(select(LedgerRow).where(LedgerRow.import_id == import_id)))
            made_petitioners = {r.petitioner_id for r in rows if r.petitioner_id and r.new_petitioner}
            visits = list(session.scalars(select(Visit).where(Visit.id.in_(visit_ids))))
            ids: dict[str, set[str]] = {t: set() for t in _UNDO_TABLES}
            session.execute(delete(LedgerReview).where(LedgerReview.import_id == import_id))
            for r in rows:
                session.delete(r)
            session.flush()
            for vp in session.scalars(select(VisitPerson).where(VisitPerson.visit_id.in_(visit_ids))):
                ids["visit_person"].add(vp.id)
                session.delete(vp)
            session.flush()
            for visit in visits:
                ids["visit"].add(visit.id)
                session.delete(visit)
            for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))):
                ids["case_event"].add(event.id)
                session.delete(event)
            for sup in session.scalars(select(Supervision).where(Supervision.case_id.in_(case_ids))):
                ids["supervision"].add(sup.id)
                session.delete(sup)
            session.execute(delete(CaseClock).where(CaseClock.case_id.in_(case_ids)))
            session.execute(delete(Notification).where(Notification.case_id.in_(case_ids)))
            session.flush()
            for case in session.scalars(select(Case).where(Case.id.in_(case_ids))):
                ids["petition_case"].add(case.id)
                session.delete(case)
            session.flush()
            removed_people = 0
            for pid in made_petitioners:
                still = session.scalar(select(func.count()).select_from(VisitPerson)
                                       .where(VisitPerson.petitioner_id == pid))
                named = session.scalar(select(func.count()).select_from(LedgerReview).where(
                    (LedgerReview.candidate_id == pid) | (LedgerReview.petitioner_id == pid)))
                person = session.get(Petitioner, pid)
                if person is not None and not still and not named:
                    ids["petitioner"].add(pid)
                    session.delete(person)
                    removed_people += 1
            session.flush()
            for table, record_ids in ids.items():
                if record_ids:
                    session.execute(delete(SyncOutbox).where(SyncOutbox.table_name == table,
                                                             SyncOutbox.record_id.in_(sorted(record_ids))))
        finally:
            session.info.pop(APPLYING_KEY, None)
    with ctx.db.write() as session:  # (apart: this audit entry syncs like any other)
        audit.record(session, user_id=actor_id, action="ledger_undo", entity="ledger_import", entity_id=import_id,
                     detail=f"cases:{len(case_ids)}")
        run = session.get(LedgerImport, import_id)
        assert run is not None
        run.state, run.undone_at, run.undone_by = "undone", utcnow(), actor_id
    log.info("ledger import %s undone: %d cases", import_id, len(case_ids))
    return UndoSummary(len(case_ids), len(visit_ids), removed_people)


def _known_to_server(session: Session, case_ids: list[str], visit_ids: list[str]) -> bool:
    """Whether a server may hold any case or visit of an import. On an enrolled desk: unless the creation of every
    one is still in the outbox and was never handed to a server (``sync.outbox.unsent_creations``; a row merely
    waiting in the outbox is not enough: a push that failed after the server applied it leaves its rows there).
    A desk not enrolled (any more): whether any has a ``sync_row`` (a version agreed with a server)."""
    from reception.sync.outbox import capturing, unsent_creations

    if capturing(session) or session.get(SyncPeer, 1) is not None:
        return (unsent_creations(session, "petition_case", case_ids) != set(case_ids)
                or unsent_creations(session, "visit", visit_ids) != set(visit_ids))
    return any(session.scalar(select(func.count()).select_from(SyncRow).where(
        SyncRow.table_name.in_(("petition_case", "visit")), SyncRow.record_id.in_(chunk)))
        for chunk in _chunks(case_ids + visit_ids))


_OWN_KINDS = ("received", "visit_added", "visit_to_leader")
"""Events a later visit brings (its ``visit`` row is what tells it apart) or the import's registration writes."""


def _undo_synced(ctx: AppContext, session: Session, run: LedgerImport, rows: list[LedgerRow], *,
                 actor_id: str | None, reason: str) -> UndoSummary:
    """The undo of an import some of which the server holds (in ``undo_import``'s write transaction, the
    administrator checked): the cases are not deleted (other desks and the units may have them) but each gets the
    lifecycle step 撤销导入 (``machine.UndoImport``, through ``lifecycle.service.apply_in_session``: its event, the
    case's status 已撤销, its clocks gone, an audit entry), and its open supervisions are closed; these sync to the
    server and the other desks as ordinary changes. A case of the import that got work the import did not make —
    a visit registered since, or a step or note recorded at or after the import finished by the desk's clock
    (``finished_at``) other than the import's own 台账导入 steps (a unit's reply, a progress report, a merge) — is
    kept as it is and reported (``UndoSummary.kept``): someone worked on it, so a person
    decides. Refused when every case is kept. Petitioners stay (a petitioner record with no live case is
    harmless: it finds no history, and deleting it would need a tombstone every desk applies). The rows of the
    undone cases become ``undone`` and free their keys, so the file can be imported again."""
    from reception.lifecycle.machine import UndoImport
    from reception.lifecycle.service import apply_in_session, forget_case_days, load_settings

    now = ctx.now()
    cutoff = run.finished_at or ctx.now()
    imported = [r for r in rows if r.status == "imported"]
    visit_ids = {r.visit_id for r in imported if r.visit_id}
    case_ids = sorted({r.case_id for r in imported if r.case_id and r.new_case})
    cases = {c.id: c for chunk in _chunks(case_ids) for c in session.scalars(select(Case).where(Case.id.in_(chunk)))}
    touched: set[str] = set()
    for chunk in _chunks(case_ids):
        for cid, vid in session.execute(select(Visit.case_id, Visit.id).where(Visit.case_id.in_(chunk))):
            if vid not in visit_ids:
                touched.add(cid)
        touched.update(session.scalars(select(CaseEvent.case_id).where(
            CaseEvent.case_id.in_(chunk), CaseEvent.occurred_at >= cutoff, CaseEvent.kind.not_in(_OWN_KINDS),
            CaseEvent.note.not_like(SOURCE_NOTE + "%"))))
    already = {cid for cid, c in cases.items() if c.status == "void"}
    kept = sorted(cid for cid in case_ids if cid in touched or (cid in cases and cases[cid].merged_into))
    undo = [cid for cid in case_ids if cid in cases and cid not in kept and cid not in already]
    if case_ids and not undo and not already:
        raise LedgerError("该次导入的信访事项此后都已有新的来访或办理，不能撤销（请逐件核对更正）",
                          key="ledger_undo_changed")
    settings = load_settings(session)
    for cid in undo:
        apply_in_session(session, cid, UndoImport(run.id, reason), actor_id=actor_id, now=now, cal=ctx.calendar,
                         settings=settings)
        for sup in session.scalars(select(Supervision).where(Supervision.case_id == cid,
                                                             Supervision.state == "open")):
            sup.state, sup.answered_at, sup.answer_note = "resolved", now, "台账导入已撤销"
    forget_case_days(session, undo)
    done = set(undo) | already
    visits = 0
    for r in imported:
        if r.case_id in done:
            r.status, r.row_key = "undone", f"undone:{r.id}"
            visits += 1
    for item in session.scalars(select(LedgerReview).where(LedgerReview.import_id == run.id,
                                                           LedgerReview.state == "open")):
        item.state = "resolved"
    numbers = tuple(cases[cid].case_no for cid in kept if cid in cases)
    audit.record(session, user_id=actor_id, action="ledger_undo", entity="ledger_import", entity_id=run.id,
                 detail=f"synced cases:{len(undo)} kept:{len(kept)}")
    run.state, run.undone_at, run.undone_by = "undone", utcnow(), actor_id
    log.info("ledger import %s undone after sync: %d cases, %d kept", run.id, len(undo), len(kept))
    return UndoSummary(len(undo), visits, 0, synced=True, kept=numbers)
