"""Plain data the services hand to the UI and the command line: never live ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from reception.domain.enums import CaseStatus, HistoryFlag


@dataclass(frozen=True, slots=True)
class LocalityNode:
    id: str
    code: str
    name: str
    level: str
    parent_id: str | None
    children: tuple[LocalityNode, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitInfo:
    id: str
    code: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class CategoryNode:
    id: str
    code: str
    name: str
    parent_id: str | None
    legal_channel: str | None
    children: tuple[CategoryNode, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True, slots=True)
class RouteProposal:
    unit_id: str
    unit_name: str
    action: str
    """A RoutingAction value (assign or forward)."""
    rule_id: str
    explanation: str
    """Why this unit, in Chinese: which rule matched."""


@dataclass(frozen=True, slots=True)
class DeskInfo:
    id: str
    code: str
    name: str
    unit_name: str


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    username: str
    display_name: str
    role: str


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One case as the history panel and the case list show it (personal data already masked)."""

    id: str
    case_no: str
    registered_on: date
    status: str
    status_label: str
    category: str
    locality: str
    unit: str
    request_excerpt: str
    visit_count: int
    last_visit_on: date
    petitioner_names: str
    """The main petitioner's full name, plus "等N人" when there are more (desk staff see full names)."""
    id_masked: str
    phone_masked: str
    flags: tuple[HistoryFlag, ...] = ()
    content_class: str = ""
    category_id: str = ""
    locality_id: str = ""


@dataclass(frozen=True, slots=True)
class PersonMatch:
    petitioner_id: str
    name: str
    id_type: str
    id_masked: str
    phone_masked: str
    gender: str
    address: str
    matched_by: tuple[str, ...]
    """Which inputs matched: "id_number", "phone", "name"; from the history panel's search box also the other
    readings of ``reception.search.query.Kind`` ("phone_suffix", "id_suffix", "name_part", "address", "case_no"...)."""
    visit_count: int
    last_visit_on: date | None
    cases: tuple[CaseSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryResult:
    persons: tuple[PersonMatch, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.persons

    @property
    def open_cases(self) -> tuple[CaseSummary, ...]:
        """Cases still open (not closed, concluded or steered to legal channels), each once."""
        seen: dict[str, CaseSummary] = {}
        for person in self.persons:
            for case in person.cases:
                if CaseStatus.parse(case.status).is_open:
                    seen.setdefault(case.id, case)
        return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """The history panel's search box: the people the text matched (the strongest first, at most ``MAX_PERSONS``
    of ``total``), as the automatic look-up shows them."""

    history: HistoryResult = field(default_factory=HistoryResult)
    total: int = 0
    """People matched in all (more than shown: the text should say more)."""
    capped: bool = False
    """So many matched that only the best were ranked (a surname, 社区...)."""
    readings: tuple[str, ...] = ()
    """How the text was read, in Chinese (电话尾号, 姓名中的字...)."""

    @property
    def empty(self) -> bool:
        return self.history.empty


@dataclass(frozen=True, slots=True)
class IntakeResult:
    case_id: str
    case_no: str
    query_code: str
    visit_id: str
    visit_no: int
    is_new_case: bool
    flags: tuple[HistoryFlag, ...]
    receipt_path: str | None
    """Archived receipt, or None when rendering failed (the record is saved regardless; see receipt_error)."""
    receipt_error: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class VisitDetail:
    id: str
    visit_no: int
    visited_at: datetime
    channel_label: str
    headcount: int
    is_collective: bool
    is_repeat: bool
    is_skip_level: bool
    desk: str
    officer: str
    persons: tuple[tuple[str, str, str, bool], ...]
    """(name, masked id, masked phone, is representative)."""
    note: str


@dataclass(frozen=True, slots=True)
class EventDetail:
    kind: str
    label: str
    occurred_at: datetime
    actor: str
    unit: str
    note: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    summary: CaseSummary
    query_code: str
    content_class_label: str
    channel_label: str
    request: str
    facts: str
    routing_label: str
    unit: str
    routing_override_reason: str
    legal_channel: str
    first_desk: str
    first_officer: str
    registered_at: datetime
    headcount: int
    is_collective: bool
    visits: tuple[VisitDetail, ...]
    events: tuple[EventDetail, ...]
    receipt_count: int
    merged_case_nos: tuple[str, ...] = ()
    """Numbers of the cases merged into this one (aliases that find it); their visits and events are listed here."""
    opened_as: str = ""
    """The merged-away case number this detail was opened by ("" when opened by its own)."""
