"""The compiled record check (``sync.checks._compiled``) passes no record the check field by field refuses (and
passes the common well-formed one by itself), and ``record_problem`` gives the field-by-field check's answer for
every record: the same reason for every one it refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reception.sync.checks import _compiled, _plan, field_by_field_problem, record_problem

# (generated demo data, as a pull brings them)
SAMPLES: dict[str, dict[str, Any]] = {
    "petitioner": {
        "id": "4d1fb6bb-6326-4397-8abd-b12edb0f3006", "name": "韦梅生", "id_type": "resident_id",
        "id_number": "430521196311020970", "gender": "male", "phone": "13523832096", "address": "某街道某小区1栋",
        "merged_into": None, "created_at": "2026-12-03T16:30:26.133768+00:00",
        "updated_at": "2026-12-03T16:30:26.133774+00:00", "version": 1},
    "petition_case": {
        "id": "59b5f248-abf1-4b22-ac7f-3df3260a238c", "case_no": "D01-20260901-0001", "query_code": "76H6RVDW",
        "content_class": "claim", "category_id": "ee5add1e-aea0-48c3-8e28-de6ff95aed99",
        "locality_id": "c93a465b-bddd-4e98-83da-0ab9ab150333", "request": "要求解决小区停车位问题",
        "facts": "信访人称问题长期未解决。", "status": "assigned", "routing_action": "assign",
        "unit_id": "6471e3ed-5e36-425b-bbb9-9d4b53730cc7", "proposed_unit_id": "6471e3ed-5e36-425b-bbb9-9d4b53730cc7",
        "routing_override_reason": "", "legal_channel": "", "first_desk_id": "1bf5e924-78b7-45b6-9a7c-0430107e6439",
        "first_officer_id": "6b937bc5-4a7e-4f53-a480-67e4222cf3cf", "registered_at": "2026-09-01T00:30:37+00:00",
        "registered_on": "2026-09-01", "received_on": None, "merged_into": None,
        "created_at": "2026-12-03T16:30:26.767013+00:00", "updated_at": "2026-12-03T16:30:26.789640+00:00",
        "version": 1},
    "case_event": {
        "id": "d65d8a1d-0b93-4613-9786-a80561f81ebf", "case_id": "59b5f248-abf1-4b22-ac7f-3df3260a238c",
        "kind": "received", "occurred_at": "2026-09-01T00:30:37+00:00", "occurred_on": "2026-09-01",
        "actor_id": "6b937bc5-4a7e-4f53-a480-67e4222cf3cf", "unit_id": None, "note": "来访",
        "data": {"visit_id": "6107bb73-6a01-4310-b343-94b86ad2b2d8", "days": 3, "list": [1, 2.5, True, None, "x"]}},
    "audit_entry": {
        "id": "cadf46ac-a7c7-41e6-9ede-eccb4b9bcb99", "at": "2026-12-03T16:30:26.763849+00:00",
        "user_id": "6b937bc5-4a7e-4f53-a480-67e4222cf3cf", "desk_id": "1bf5e924-78b7-45b6-9a7c-0430107e6439",
        "action": "create", "entity": "petitioner", "entity_id": "4d1fb6bb-6326-4397-8abd-b12edb0f3006", "detail": "",
        "changes": {"gender": [None, "male"], "name": [None, "韦某生"], "phone": [None, "135****2096"]},
        "chain": "1bf5e924-78b7-45b6-9a7c-0430107e6439", "seq": 1, "prev_hash": "",
        "hash": "b65311cad600f6dbd97645c8f406a13c429606064e5e831099ea9c5f59ddeaa6"},
    "visit": {
        "id": "6107bb73-6a01-4310-b343-94b86ad2b2d8", "case_id": "59b5f248-abf1-4b22-ac7f-3df3260a238c",
        "visit_no": 1, "channel": "visit", "visited_at": "2026-09-01T00:30:37+00:00", "visited_on": "2026-09-01",
        "desk_id": "1bf5e924-78b7-45b6-9a7c-0430107e6439", "officer_id": "6b937bc5-4a7e-4f53-a480-67e4222cf3cf",
        "headcount": 1, "is_collective": False, "is_repeat": False, "is_skip_level": False, "note": "",
        "created_at": "2026-12-03T16:30:26.791414+00:00"},
    "user": {
        "id": "0dbb2897-5f06-4317-9f0a-de84db7a9d09", "username": "liuxy", "display_name": "刘晓燕",
        "role": "desk_officer", "active": True, "unit_id": None, "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$x",
        "must_change_password": False, "password_changed_at": None},
    "holiday_year": {"year": 2026, "confirmed": True, "confirmed_by": "admin", "confirmed_at": None, "note": ""},
    "holiday_day": {"day": "2026-10-01", "workday": False, "name": "国庆节", "source": "official",
                    "updated_at": "2026-09-01T00:00:00+00:00", "updated_by": "admin"},
    "centre_setting": {"key": "lifecycle", "value": {"amber_days": 3, "amber_fraction": 0.2},
                       "updated_at": "2026-09-01T00:00:00+00:00"},
}
RECORD_IDS = {"holiday_year": "2026", "holiday_day": "2026-10-01", "centre_setting": "lifecycle"}

BAD_VALUES: list[Any] = [
    None, "", "x" * 5001, "a\x00b", "\ud800", "enc1:abc", "senc1:abc", True, 0, -(2**31) - 1, 2**63, 1.5,
    float("nan"), float("inf"), [], {}, {"k": "\x07"}, {"k": ["ok", {"deep": "\ud800"}]}, {"\x01": 1},
    {"n": 2**64}, {"f": float("nan")}, {"o": object()}, {1: "non-text key"}, "2026-13-01", "1800-01-01",
    "2026-09-01T00:30:37+00:00", "1899-12-31T23:59:59", "2201-01-01", "2026-09-01 " + "0" * 40, "D01-20260901-0001",
    "claim", "bogus", "received", "assigned", "zz", "0" * 64, "g" * 64, -1, 3651, 7, object(),
]


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth):
        value = {"k": value}
    return value


def _record_id(table: str, data: dict[str, Any]) -> str:
    return RECORD_IDS.get(table, str(data.get("id")))


def _variants(table: str) -> list[tuple[str, dict[str, Any]]]:
    """The sample, then each column replaced by each bad value and removed, and an unknown column added."""
    base = SAMPLES[table]
    rid = _record_id(table, base)
    out: list[tuple[str, dict[str, Any]]] = [(rid, base)]
    checks, _required = _plan(table)
    for name in checks:
        for value in [*BAD_VALUES, _nested(7), _nested(8), _nested(9)]:
            data = copy.copy(base)
            data[name] = value
            out.append((rid, data))
        data = copy.copy(base)
        data.pop(name, None)
        out.append((rid, data))
    out.append((rid, {**base, "from_a_newer_desk": "\x00"}))
    out.append(("bad id!", base))
    out.append(("", base))
    out.append((rid + "x", base))
    return out


@pytest.mark.parametrize("table", sorted(SAMPLES))
def test_the_compiled_check_passes_exactly_what_the_full_check_passes(table: str) -> None:
    fast = _compiled(table)
    assert fast is not None
    assert record_problem(table, _record_id(table, SAMPLES[table]), SAMPLES[table]) == ""
    assert fast(_record_id(table, SAMPLES[table]), SAMPLES[table]) is True  # (the common record: no second look)
    refused = 0
    for rid, data in _variants(table):
        try:
            full = field_by_field_problem(table, rid, data)
        except (TypeError, ValueError, OverflowError) as exc:  # (the full check's own errors: the same either way)
            with pytest.raises(type(exc)):
                record_problem(table, rid, data)
            continue
        if fast(rid, data):  # (it may leave a fine record to the full check: an int in a JSON float, say)
            assert full == "", (rid, data, full)
        assert record_problem(table, rid, data) == full
        refused += full != ""
    assert refused > len(_plan(table)[0])  # (the variants do exercise the refusals)


def test_deleted_records_and_unknown_tables_are_checked_as_before() -> None:
    rid = SAMPLES["visit"]["id"]
    assert record_problem("visit", rid, None, deleted=True) == ""
    assert record_problem("visit", rid, None) == "缺少记录内容"
    assert record_problem("visit", rid, {**SAMPLES["visit"], "headcount": "x"}, deleted=True) == ""
    assert record_problem("no_such_table", rid, SAMPLES["visit"]).startswith("未知的表")
