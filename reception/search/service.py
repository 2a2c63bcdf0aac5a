"""The search box's service: every reading of the typed text (``query.classify``) looked up through an index, the
matching cases ranked (exact matches first, then the newest), masked, one page at a time.

Only the page shown is summarised (names, masked ID and phone, category, unit...): a surname matches thousands of
cases, and building and masking every one of them was three quarters of a search's time. Candidates are capped
(``CASE_CAP``); beyond that the page says so and asks for more of the text.

ID and phone tails are looked up by their keyed tokens (``tokens``) and every candidate is checked against the
decrypted value, so a stale index row or a 64-bit token collision can never show a wrong case. The typed text is
never logged nor put in an error message (it is personal data: a phone, an ID number, a name).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reception.context import AppContext
from reception.db.models import Case, Desk, Petitioner, PetitionerGram, PetitionerToken, Visit, VisitPerson
from reception.domain.errors import FieldError
from reception.domain.textcheck import SEARCH_MAX, field_problem
from reception.intake.dto import CaseSummary, HistoryPage
from reception.intake.history import MAX_PERSONS, audited_history, history_of, summarise_cases
from reception.merge.resolve import petitioner_survivors
from reception.search import tokens
from reception.search.query import Kind, Reading, classify
from reception.security.crypto import blind_index
from reception.security.permissions import Permission, require, visible_case_ids

PAGE_SIZE = 30
"""Rows a page shows (about what the list shows without scrolling): only these are summarised."""
CASE_CAP = 1000
"""At most this many cases are ranked for one search (a surname alone matches thousands)."""
PERSON_CAP = 500
SURNAME_CAP = 200
"""A surname alone is the weakest query (thousands of people): fewer of them are ranked, and the page says so."""
PAIR_COUNTS_KEPT = 50_000
"""Address pairs whose row counts are remembered (``_pair_rows``): the district's addresses have a few thousand."""
ADDRESS_CAP = 100
"""A community's name alone matches thousands of people, a building a few hundred: at most this many are ranked (the
first found, in index order, as a surname alone ranks its first ``SURNAME_CAP``), the page says so, and the unit or
room narrows it."""
PREFIX_END = "\U0010ffff"
CHUNK = 900


@dataclass(frozen=True, slots=True)
class SearchHit:
    summary: CaseSummary
    matched: str
    """How the text matched, in Chinese (``query.LABELS``): 案件编号, 电话尾号, 姓名中的字, ..."""
    exact: bool


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...] = ()
    total: int = 0
    offset: int = 0
    page_size: int = PAGE_SIZE
    capped: bool = False
    """More than ``CASE_CAP`` cases matched: only the best ``CASE_CAP`` are ranked; the text should be longer."""
    readings: tuple[str, ...] = ()
    """How the text was read (labels), for the status line."""
    qr_case_id: str | None = None
    """A receipt's QR payload whose case number and query code match a case the user may see: open it."""
    qr_mismatch: bool = False
    """A QR payload naming a case whose query code differs (a forged or mistyped receipt)."""
    rows: tuple[CaseSummary, ...] = field(default=())

    @property
    def page_no(self) -> int:
        return self.offset // self.page_size + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.page_size < self.total


class _Found:
    """Case ids with their best rank and how they matched; petitioners waiting to be turned into their cases."""

    def __init__(self) -> None:
        self.cases: dict[str, tuple[int, Reading]] = {}
        self.when: dict[str, tuple[datetime, str]] = {}
        """Each case's registration time and number (the order within a rank), read with the case."""
        self.people: dict[str, tuple[int, Reading]] = {}
        self.people_capped = False
        self.qr_case_id: str | None = None
        self.qr_mismatch = False

    def case(self, case_id: str, reading: Reading, at: datetime, case_no: str, rank: int | None = None) -> None:
        r = reading.rank if rank is None else rank
        if case_id not in self.cases or self.cases[case_id][0] < r:
            self.cases[case_id] = (r, reading)
            self.when[case_id] = (at, case_no)

    def person(self, pid: str, reading: Reading, rank: int | None = None) -> None:
        r = reading.rank if rank is None else rank
        if pid not in self.people or self.people[pid][0] < r:
            self.people[pid] = (r, reading)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _by_token(session: Session, token: int, column: str, suffix: str) -> list[str]:
    """Petitioners whose (decrypted) ID number or phone ends with ``suffix``, through the keyed token."""
    pids = list(session.scalars(select(PetitionerToken.petitioner_id).where(PetitionerToken.token == token)
                                .limit(PERSON_CAP * 4)))
    found: list[str] = []
    attr = getattr(Petitioner, column)
    for chunk in _chunks(pids):
        for pid, value in session.execute(select(Petitioner.id, attr).where(Petitioner.id.in_(chunk))):
            if value and value.upper().endswith(suffix) and len(value) > len(suffix):
                found.append(pid)
    return found[:PERSON_CAP]


def _by_name(session: Session, name: str) -> list[tuple[str, str]]:
    """(id, name) of petitioners with ``name`` anywhere in their name (one character: names starting with it)."""
    if len(name) == 1:
        stmt = select(Petitioner.id, Petitioner.name).where(Petitioner.name >= name,
                                                            Petitioner.name < name + PREFIX_END)
        return [(pid, n) for pid, n in session.execute(stmt.limit(SURNAME_CAP))]
    else:
        grams = tokens.grams_of_query(name)
        having_all = (select(PetitionerGram.petitioner_id).where(PetitionerGram.gram.in_(grams))
                      .group_by(PetitionerGram.petitioner_id).having(func.count() == len(grams)))
        stmt = select(Petitioner.id, Petitioner.name).where(Petitioner.id.in_(having_all),
                                                            func.instr(Petitioner.name, name) > 0)
    return [(pid, n) for pid, n in session.execute(stmt.limit(PERSON_CAP))]


def _squeezed(column: Any) -> Any:
    """An address as the check compares it: no spaces, ASCII letters in upper case (as ``query.classify`` gives)."""
    return func.upper(func.replace(func.replace(column, " ", ""), "\u3000", ""))


_pair_counts: dict[tuple[str, int], int] = {}
_pair_lock = threading.Lock()


def _pair_rows(session: Session, token: int) -> int:
    """How many petitioners have this address pair (how long its list is: the rarest leads), remembered for the
    process: an estimate that a few saves do not change much, where an exact count of a pair that everyone has (示范,
    社区) costs ~10 ms at a million visits. A pair not found is counted again (it may have come since)."""
    key = (str(session.connection().engine.url), token)
    with _pair_lock:
        known = _pair_counts.get(key)
    if known is not None:
        return known
    n = session.scalar(select(func.count()).select_from(PetitionerToken).where(PetitionerToken.token == token)) or 0
    if n:
        with _pair_lock:
            if len(_pair_counts) >= PAIR_COUNTS_KEPT:
                _pair_counts.clear()
            _pair_counts[key] = n
    return n


def _by_address(session: Session, text: str) -> tuple[list[str], bool]:
    """Petitioners whose address contains ``text``, through the keyed tokens of its pairs (``tokens.address_grams``):
    the rarest pair leads (``_pair_rows``), the others must be there too (checked rarest first), then the address
    itself is checked, all in one statement that stops at ``ADDRESS_CAP`` people.
    Returns the ids and whether there were more than could be ranked (a community of thousands: the page says so)."""
    toks = [tokens.token(tokens.ADDRESS_PURPOSE, g) for g in tokens.address_grams(text)]
    if not toks:
        return [], False
    counted = []
    for t in dict.fromkeys(toks):
        n = _pair_rows(session, t)
        if n == 0:
            return [], False
        counted.append((n, t))
    counted.sort()
    lead = PetitionerToken.__table__.alias("lead")
    stmt = (select(lead.c.petitioner_id).join(Petitioner, Petitioner.id == lead.c.petitioner_id)
            .where(lead.c.token == counted[0][1]))
    for i, (_n, t) in enumerate(counted[1:]):
        other = PetitionerToken.__table__.alias(f"also{i}")
        stmt = stmt.where(select(other.c.token).where(other.c.token == t,
                                                      other.c.petitioner_id == lead.c.petitioner_id).exists())
    stmt = stmt.where(func.instr(_squeezed(Petitioner.address), text.upper()) > 0)
    found = list(session.scalars(stmt.limit(ADDRESS_CAP + 1)))
    return found[:ADDRESS_CAP], len(found) > ADDRESS_CAP


_CASE = select(Case.id, Case.registered_at, Case.case_no)


def _look_up(session: Session, found: _Found, reading: Reading) -> None:
    kind, value = reading.kind, reading.value
    if kind is Kind.QR:
        row = session.execute(select(Case.id, Case.registered_at, Case.case_no, Case.query_code)
                              .where(Case.case_no == value)).first()
        if row is not None:
            if row[3].upper() == reading.code:
                found.case(row[0], reading, row[1], row[2])
                found.qr_case_id = row[0]
            else:
                found.qr_mismatch = True
    elif kind is Kind.CASE_NO:
        for cid, at, no in session.execute(_CASE.where(Case.case_no == value)):
            found.case(cid, reading, at, no)
    elif kind is Kind.CASE_PART:
        day = datetime.strptime(value[:8], "%Y%m%d").date()
        codes = [f"{code}-{value}" for code in session.scalars(select(Desk.code))]
        for cid, at, no in session.execute(_CASE.where(Case.case_no.in_(codes))):
            found.case(cid, reading, at, no)
        # (numbers of desks this one has not heard of yet: that day's cases, by the end of their number)
        for cid, at, no in session.execute(_CASE.where(Case.registered_on == day, Case.case_no.like(f"%-{value}"))):
            found.case(cid, reading, at, no)
    elif kind is Kind.CASE_PREFIX:
        for cid, at, no in session.execute(_CASE.where(Case.case_no >= value, Case.case_no < value + PREFIX_END)
                                           .order_by(Case.case_no.desc()).limit(CASE_CAP + 1)):
            found.case(cid, reading, at, no)
    elif kind is Kind.QUERY_CODE:
        for cid, at, no in session.execute(_CASE.where(Case.query_code == value)):
            found.case(cid, reading, at, no)
    elif kind is Kind.ID_NUMBER:
        for pid in session.scalars(select(Petitioner.id).where(
                Petitioner.id_number_bidx == blind_index(value, "id_number")).limit(PERSON_CAP)):
            found.person(pid, reading)
    elif kind is Kind.PHONE:
        for pid in session.scalars(select(Petitioner.id).where(
                Petitioner.phone_bidx == blind_index(value, "phone")).limit(PERSON_CAP)):
            found.person(pid, reading)
    elif kind is Kind.ID_SUFFIX:
        for pid in _by_token(session, tokens.token(tokens.ID_PURPOSE, value), "id_number", value):
            found.person(pid, reading)
    elif kind is Kind.PHONE_SUFFIX:
        tail = value[-max(tokens.PHONE_SUFFIXES):]
        for pid in _by_token(session, tokens.token(tokens.PHONE_PURPOSE, tail), "phone", value):
            found.person(pid, reading)
    elif kind is Kind.NAME_EXACT:
        for pid in session.scalars(select(Petitioner.id).where(Petitioner.name == value).limit(PERSON_CAP)):
            found.person(pid, reading)
    elif kind is Kind.NAME:
        people = _by_name(session, value)
        if len(value) == 1 and len(people) >= SURNAME_CAP:
            found.people_capped = True
        for pid, name in people:
            found.person(pid, reading, reading.rank + (5 if name.startswith(value) else 0))
    elif kind is Kind.ADDRESS:
        pids, more = _by_address(session, value)
        found.people_capped = found.people_capped or more
        for pid in pids:
            found.person(pid, reading)
    elif kind is Kind.INITIALS:
        gram = tokens.INITIALS_PREFIX + value
        # (common initials, wxy or zjh, are shared by thousands: as few are ranked as for a surname alone)
        pids = list(session.scalars(select(PetitionerGram.petitioner_id).where(PetitionerGram.gram == gram)
                                    .limit(SURNAME_CAP + 1)))
        found.people_capped = found.people_capped or len(pids) > SURNAME_CAP
        for pid in pids[:SURNAME_CAP]:
            found.person(pid, reading)


def _cases_of_people(session: Session, found: _Found) -> None:
    """The cases of the petitioners found, with what ranks them, in one joined query per chunk of people."""
    pids = list(found.people)
    for chunk in _chunks(pids):
        rows = session.execute(
            select(VisitPerson.petitioner_id, Case.id, Case.registered_at, Case.case_no)
            .join(Visit, Visit.id == VisitPerson.visit_id).join(Case, Case.id == Visit.case_id)
            .where(VisitPerson.petitioner_id.in_(chunk)))
        for pid, cid, at, no in rows:
            rank, reading = found.people[pid]
            found.case(cid, reading, at, no, rank)
        if len(found.cases) > CASE_CAP:
            return


def _merged_people(session: Session, found: _Found) -> None:
    """A petitioner found is found with every record merged with theirs (``reception.merge``): the survivor's
    cases include those of the merged-away record, and the merged-away record's ID or phone finds the survivor's."""
    from reception.merge.resolve import merged_into_any, petitioner_group

    if not found.people:
        return
    merged = set(session.scalars(select(Petitioner.id).where(
        Petitioner.id.in_(list(found.people)[:CHUNK]), Petitioner.merged_into.is_not(None))))
    merged |= {into for _rid, into in merged_into_any(session, Petitioner, list(found.people)[:CHUNK])}
    for pid in sorted(merged):
        if pid not in found.people:
            continue
        rank, reading = found.people[pid]
        for other in petitioner_group(session, pid):
            found.person(other, reading, rank)


def _merged_cases(session: Session, found: _Found) -> None:
    """A merged-away case found (by its number, an alias) is shown as the case it was merged into."""
    from reception.merge.resolve import case_survivors

    ids = list(found.cases)
    moved: dict[str, str] = {}
    for chunk in _chunks(ids):
        away = list(session.scalars(select(Case.id).where(Case.id.in_(chunk), Case.merged_into.is_not(None))))
        moved.update({k: v for k, v in case_survivors(session, away).items() if k != v})
    if not moved:
        return
    for old, new in moved.items():
        rank, reading = found.cases.pop(old)
        found.when.pop(old, None)
        if found.qr_case_id == old:
            found.qr_case_id = new
        row = session.execute(select(Case.registered_at, Case.case_no).where(Case.id == new)).first()
        if row is not None:
            found.case(new, reading, row[0], row[1], rank)


def _uncounted_cases(session: Session, found: _Found) -> None:
    """A case that does not count (``merge.resolve.counted_case``) is never a hit: after ``_merged_cases`` listed a
    merged-away case as its survivor, what is left out here is 已撤销 (``CaseStatus.VOID``: an import undone)."""
    from reception.merge.resolve import counted_case

    ids = list(found.cases)
    for chunk in _chunks(ids):
        for cid in session.scalars(select(Case.id).where(Case.id.in_(chunk), ~counted_case(Case))):
            found.cases.pop(cid, None)
            found.when.pop(cid, None)
            if found.qr_case_id == cid:
                found.qr_case_id = None


def _ranked(found: _Found) -> list[str]:
    """Case ids: best rank first, then the newest registration, then the case number (newest first)."""
    when = found.when
    return sorted(found.cases, key=lambda cid: (found.cases[cid][0], when[cid][0], when[cid][1]), reverse=True)


def check_text(text: str) -> None:
    problem = field_problem("查询内容", text, SEARCH_MAX)
    if problem:
        raise FieldError("query", problem, key="search_invalid")


def search(ctx: AppContext, text: str, *, offset: int = 0, page_size: int = PAGE_SIZE,
           user_id: str | None = None) -> SearchPage:
    """One page of the cases matching the search box that ``user_id`` may see (accusations hidden from the accused
    unit's staff). Text with invalid characters, or longer than anything searchable, is refused with a message."""
    check_text(text)
    readings = classify(text)
    with ctx.db.read() as session:
        require(session, user_id, Permission.VIEW_CASES)
        found = _Found()
        for reading in readings:
            _look_up(session, found, reading)
        _merged_people(session, found)
        _cases_of_people(session, found)
        _merged_cases(session, found)
        _uncounted_cases(session, found)
        ranked = _ranked(found)
        capped = len(ranked) > CASE_CAP or found.people_capped
        visible = visible_case_ids(session, user_id, ranked[:CASE_CAP])
        offset = max(0, min(offset, (max(len(visible), 1) - 1) // page_size * page_size))
        page_ids = visible[offset:offset + page_size]
        summaries = {s.id: s for s in summarise_cases(session, page_ids)}
    hits = tuple(SearchHit(summaries[cid], found.cases[cid][1].kind.label, found.cases[cid][1].exact)
                 for cid in page_ids if cid in summaries)
    qr_case = found.qr_case_id if found.qr_case_id in set(visible) else None
    return SearchPage(hits=hits, total=len(visible), offset=offset, page_size=page_size, capped=capped,
                      readings=tuple(dict.fromkeys(r.kind.label for r in readings)), qr_case_id=qr_case,
                      qr_mismatch=found.qr_mismatch, rows=tuple(h.summary for h in hits))


HISTORY_KEYS = {Kind.ID_NUMBER: "id_number", Kind.PHONE: "phone", Kind.NAME_EXACT: "name", Kind.NAME: "name_part"}
"""How a reading is named in ``PersonMatch.matched_by`` (the automatic look-up's own names where they mean the same;
the ``Kind`` value otherwise)."""


def _people(session: Session, readings: Sequence[Reading]) -> tuple[list[tuple[str, Reading]], bool]:
    """Petitioners matching the readings, the strongest first and, within a rank, the one with the most recent case
    first: the people found by ID, phone, name or address themselves; everyone on a case found by its number, code
    or QR."""
    found = _Found()
    for reading in readings:
        _look_up(session, found, reading)
    best: dict[str, tuple[int, datetime, str, Reading]] = {}
    direct = list(found.people)
    for pid in direct:  # (a petitioner with no case yet stays last of their rank)
        rank, reading = found.people[pid]
        best[pid] = (rank, datetime.min, "", reading)
    for chunk in _chunks(direct):
        for pid, at, no in session.execute(
                select(VisitPerson.petitioner_id, func.max(Case.registered_at), func.max(Case.case_no))
                .join(Visit, Visit.id == VisitPerson.visit_id).join(Case, Case.id == Visit.case_id)
                .where(VisitPerson.petitioner_id.in_(chunk)).group_by(VisitPerson.petitioner_id)):
            rank, reading = found.people[pid]
            best[pid] = (rank, at, no, reading)
    for chunk in _chunks(list(found.cases)[:CASE_CAP]):
        for pid, cid in session.execute(
                select(VisitPerson.petitioner_id, Visit.case_id).join(Visit, Visit.id == VisitPerson.visit_id)
                .where(Visit.case_id.in_(chunk)).distinct()):
            rank, reading = found.cases[cid]
            at, no = found.when[cid]
            if pid not in best or best[pid][:3] < (rank, at, no):
                best[pid] = (rank, at, no, reading)
    order = sorted(best, key=lambda pid: best[pid][:3], reverse=True)
    return [(pid, best[pid][3]) for pid in order], found.people_capped or len(found.cases) > CASE_CAP


def find_history_by_text(session: Session, text: str, *, limit: int = MAX_PERSONS) -> HistoryPage:
    """The history panel's search box: earlier petitioners matching what was typed, read as the case list's search
    box reads it (a phone's or ID's tail, part of a name or an address, a case number, a query code, the receipt's
    QR...), shown masked as the automatic look-up shows them (``history.history_of``)."""
    check_text(text)
    readings = classify(text)
    if not readings:
        return HistoryPage()
    found, capped = _people(session, readings)
    # a merged-away record is the person it was merged into: each person once, by their best reading
    survivors = petitioner_survivors(session, [pid for pid, _r in found])
    people: list[tuple[str, Reading]] = []
    seen: set[str] = set()
    for pid, reading in found:  # (best first)
        if survivors[pid] not in seen:
            seen.add(survivors[pid])
            people.append((survivors[pid], reading))
    shown = people[:limit]
    matched = {pid: (HISTORY_KEYS.get(reading.kind, reading.kind.value),) for pid, reading in shown}
    return HistoryPage(history=history_of(session, [pid for pid, _r in shown], matched), total=len(people),
                       capped=capped, readings=tuple(dict.fromkeys(r.kind.label for r in readings)))


def search_history(ctx: AppContext, text: str, *, user_id: str | None = None,
                   desk_id: str | None = None) -> HistoryPage:
    """``find_history_by_text`` for ``user_id`` (the centre's staff only), each person shown audited as the automatic
    look-up audits them (who was looked at and how they matched; never the text)."""
    return audited_history(ctx, lambda session: find_history_by_text(session, text), user_id=user_id,
                           desk_id=desk_id)


def find_case_by_qr(ctx: AppContext, payload: str, *, user_id: str | None = None) -> SearchPage:
    """A scanned receipt: the page of its one case (``qr_case_id`` set when it may be opened)."""
    return search(ctx, payload, page_size=1, user_id=user_id)


__all__ = ["PAGE_SIZE", "SearchHit", "SearchPage", "find_case_by_qr", "find_history_by_text", "search",
           "search_history"]
