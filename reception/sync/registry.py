"""Which tables sync, and which way: ONE explicit classification of every table of the desk database.

- ``UP``: created and edited at desks (intakes, replies, events...); pushed to the server, pulled by other desks.
- ``DOWN``: owned by the server; pulled only. A desk never pushes them (the server rejects the mutation). Only
  ``desk`` now: the server issues desk codes at enrolment (they prefix case numbers, so they must stay unique), so a
  desk can neither rename nor re-code itself or another desk.
- ``BOTH``: created at desks and by the centre alike: officers, and the centre's reference data (directory,
  categories, routing, leaders, roster, holidays) and rules (``centre_setting``). Reference data is published with
  ``reception server import-reference`` AND edited at any enrolled desk by those allowed to (the services check
  the roster permission or the administrator's; the desk's outbox sends the change like any other, and two desks
  editing one record offline make a stored version conflict). Reference data a desk holds before it enrols (a
  demo seed, the default desk's set-up) is NOT uploaded by enrolment: see ``uploaded_at_enrolment``.
- ``LOCAL``: this desk only: counters, derived projections recomputed after pulled changes are applied, the
  desk's own settings and SMS outbox, and the sync bookkeeping itself.

``tests/unit/sync/test_registry.py`` fails when a table of ``Base.metadata`` is missing here: a table added by a
later branch must be classified when it is merged (an unclassified table would silently never sync).
"""

from __future__ import annotations

from enum import StrEnum

from reception.db import models  # noqa: F401  (registers every table on Base.metadata)
from reception.db.base import Base


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    BOTH = "both"
    LOCAL = "local"


TABLES: dict[str, Direction] = {
    # desk-created records
    "petitioner": Direction.UP,
    "petition_case": Direction.UP,
    "visit": Direction.UP,
    "visit_person": Direction.UP,
    "case_event": Direction.UP,
    "receipt_print": Direction.UP,
    "audit_entry": Direction.UP,
    "supervision": Direction.UP,
    "leader_appointment": Direction.UP,
    "leader_reception": Direction.UP,
    "case_ownership": Direction.UP,
    "down_visit": Direction.UP,
    "down_visit_case": Direction.UP,
    "backlog_case": Direction.UP,
    "case_merge": Direction.UP,  # merges (合并) and their undoing: append-only records (``reception.merge``)
    "petitioner_merge": Direction.UP,
    # reference data of the centre: published by import-reference, edited at desks (roster/admin permissions)
    "locality": Direction.BOTH,
    "unit": Direction.BOTH,
    "category": Direction.BOTH,
    "routing_rule": Direction.BOTH,
    "leader": Direction.BOTH,
    "leader_membership": Direction.BOTH,
    "leader_unavailability": Direction.BOTH,
    "holiday_day": Direction.BOTH,
    "holiday_year": Direction.BOTH,
    "roster_month": Direction.BOTH,
    "roster_slot": Direction.BOTH,
    "roster_version": Direction.BOTH,
    "roster_change": Direction.BOTH,
    "centre_setting": Direction.BOTH,  # the centre's rules: roll-over, lifecycle windows, ranking weights, roster
    # desks and their codes: issued by the server at enrolment (a desk's code prefixes its case numbers)
    "desk": Direction.DOWN,
    # officers: a desk's default officer is created at the desk and must reach the others (cases name it); the
    # accounts issue may make this DOWN once accounts are issued by the server
    "user": Direction.BOTH,
    # this desk only
    "case_number_counter": Direction.LOCAL,
    "case_clock": Direction.LOCAL,  # projection of the case's events: recomputed after pulled events are applied
    "notification": Direction.LOCAL,  # the SMS outbox of the desk that made the transition (sent once, from there)
    "setting": Direction.LOCAL,  # this desk's settings (its desk, officer, printer layout; the data key's check value;
    # the centre-wide rules are in centre_setting)
    "stats_day": Direction.LOCAL,  # the statistics' per-day cache, derived from the synced tables by triggers
    "stats_cached_day": Direction.LOCAL,
    "petitioner_token": Direction.LOCAL,  # the search's keyed partial indexes, derived from the petitioner locally
    "petitioner_gram": Direction.LOCAL,
    "sync_peer": Direction.LOCAL,
    "sync_outbox": Direction.LOCAL,
    "sync_row": Direction.LOCAL,
    "sync_conflict": Direction.LOCAL,
    "ledger_import": Direction.LOCAL,  # the ledger import's bookkeeping: which rows this desk brought in
    "ledger_row": Direction.LOCAL,
    "ledger_review": Direction.LOCAL,
}

APPEND_ONLY: frozenset[str] = frozenset({"case_event", "audit_entry", "case_merge", "petitioner_merge"})
"""Insert-only tables: merged as a union (a record is never edited, so two desks can never conflict over one)."""

PROJECTED_FROM_EVENTS: frozenset[str] = frozenset({"case_event", "petition_case"})
"""Pulled changes to these tables make the desk recompute the case's clocks (``case_clock``)."""

NEVER_SHIPPED_SUFFIXES: tuple[str, ...] = ("_bidx",)
"""Blind-index columns are recomputed locally from the plaintext attribute by an ORM event: never sent."""

LOCAL_COLUMNS: dict[str, frozenset[str]] = {
    "user": frozenset({"failed_attempts", "locked_until"}),
}
"""Columns of a synced table that stay on the desk: an account's lockout counts the wrong passwords typed at this
desk; a change to them alone makes no outbox row (else every mistyped password would be a mutation, and two desks'
counts a version conflict)."""


ENROLMENT_UPLOADS: frozenset[str] = frozenset({"user"})
"""The BOTH tables whose local records enrolment (and the re-upload to a new server) sends as ``ensure``, besides
every UP table: the desk's officers (its cases name them). NOT the reference tables nor ``centre_setting``: what a
desk holds of them before it enrols is a local seed (the demo's district with its own random ids, a set-up's
defaults), not the centre's data; uploading it would publish a second directory. Only later edits go up."""

CLOCK_INPUTS: frozenset[str] = frozenset({"holiday_day", "holiday_year"})
"""Pulled changes to these tables change the working-day calendar: the desk reloads it and recomputes every clock."""

CLOCK_SETTINGS: frozenset[str] = frozenset({"deadline_roll", "lifecycle"})
"""Keys of ``centre_setting`` whose pulled change makes the desk recompute every clock (the roll-over rule, the
lifecycle's windows and thresholds)."""


def pushable(table: str) -> bool:
    """A desk may send changes of this table to the server."""
    return TABLES.get(table) in (Direction.UP, Direction.BOTH)


def uploaded_at_enrolment(table: str) -> bool:
    """Enrolment queues every local record of this table (``ensure``): the UP tables and ``ENROLMENT_UPLOADS``."""
    return TABLES.get(table) is Direction.UP or (table in ENROLMENT_UPLOADS and pushable(table))


def pulled(table: str) -> bool:
    return TABLES.get(table) in (Direction.UP, Direction.DOWN, Direction.BOTH)


def synced_tables() -> list[str]:
    """Every synced table in dependency order (parents first), so uploads and applies respect foreign keys."""
    return [t.name for t in Base.metadata.sorted_tables if pulled(t.name)]


def unclassified() -> list[str]:
    return sorted(name for name in Base.metadata.tables if name not in TABLES)


def table_order() -> dict[str, int]:
    return {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


# -- authority: who may write what on the server (``reception.server.authority`` enforces it) ---------------------
#
# A desk's token identifies a PC, not a person. The server therefore decides per table and per record:
# - ``ADMIN_TABLES``: accounts (roles, password hashes) and the centre's directory, categories, routing rules and
#   rules (``centre_setting``). Applied only with an administrator's signature (``reception.sync.proof``), except
#   an account's own password change signed with the key of its old password, and a desk's own new accounts,
#   kept only as inactive placeholders (``desk_officer``, no password: they cannot sign in anywhere) so that the
#   records made at that desk can name them.
# - ``SHARED_REFERENCE``: the roster, the leaders and their absences, the holiday table: edited at desks by
#   supervisors (the desk's services check the roster permission); accepted from any enrolled desk, each change
#   recorded with the desk that made it (``record.origin``).
# - UP tables: a desk creates records only in its own name (``DESK_FIELDS`` must name the desk its token belongs
#   to, or at the first upload a desk row no enrolled desk holds; the audit chain of desk X is written by desk X
#   alone) and changes only the records it created (the
#   server's ``record.owner``), except the columns of ``SHARED_COLUMNS`` of another desk's case or petitioner
#   (what a lifecycle step or a further visit changes). Append-only tables are never changed, only added to.
# - ``NEVER_DELETED``: never deleted by a desk (tombstones come from the centre only).

ADMIN_TABLES: frozenset[str] = frozenset({"user", "centre_setting", "unit", "locality", "category", "routing_rule"})

SHARED_REFERENCE: frozenset[str] = frozenset({"leader", "leader_membership", "leader_unavailability", "holiday_day",
                                              "holiday_year", "roster_month", "roster_slot", "roster_version",
                                              "roster_change"})

NEVER_DELETED: frozenset[str] = frozenset({"petition_case", "petitioner", "user", "audit_entry", "case_event"})

DESK_FIELDS: dict[str, tuple[str, ...]] = {
    "petition_case": ("first_desk_id",),
    "visit": ("desk_id",),
    "audit_entry": ("desk_id", "chain"),
    "case_merge": ("desk_id",),
    "petitioner_merge": ("desk_id",),
}
"""Fields naming the desk a record was made at: on the server they must name the pushing desk (from its token)."""

SHARED_COLUMNS: dict[str, frozenset[str]] = {
    # a lifecycle step (routing, a unit's answer recorded at a desk, the legal channel) at any desk
    "petition_case": frozenset({"status", "routing_action", "unit_id", "legal_channel", "updated_at", "version",
                                "merged_into"}),
    # a further visit at another desk brings the contact details up to date (``intake._upsert_petitioner``)
    "petitioner": frozenset({"phone", "address", "gender", "id_type", "id_number", "updated_at", "version",
                             "merged_into"}),
}
"""Columns another desk may change on a record it did not create; every other column must stay as it is.
``merged_into`` only to what the table's merge records (``MERGE_TABLES``) determine (``authority``)."""

MERGE_TABLES: dict[str, str] = {"petition_case": "case_merge", "petitioner": "petitioner_merge"}
"""The merge records (``reception.merge``) that justify a change of a record's ``merged_into``."""

PASSWORD_COLUMNS: frozenset[str] = frozenset({"password_hash", "password_changed_at", "must_change_password",
                                              "updated_at", "version"})
"""What an account's holder may change on their own account (signed with the key of the old password)."""

UNIT_EVENT_KINDS: frozenset[str] = frozenset({"unit_progress", "unit_feedback"})
"""Case events only a handling unit reports (through the unit API): never accepted from a desk."""
