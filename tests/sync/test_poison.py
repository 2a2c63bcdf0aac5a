"""No bad record can stop sync: the server refuses malformed mutations (deletes too), a desk parks a pulled record it
cannot read and goes on, a batch with one bad record still stores the rest parents first, a desk can never take
another desk's identity at enrolment, and an accusation never reaches the unit it accuses through sync or the unit
API. Real server process on loopback, real enrolled desks."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from reception.db.models import Case, CaseEvent, SyncConflict, Visit, VisitPerson
from reception.domain.enums import Channel, ContentClass, DocumentType, RoutingAction
from reception.lifecycle import machine as m
from reception.lifecycle import service as lc
from reception.server import service
from reception.server.models import Record
from reception.sync import credentials
from reception.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, EnrollRequest
from tests.sync.conftest import Env
from tests.sync.harness import DeskHandle

pytestmark = pytest.mark.slow


def desk_token(desk: DeskHandle) -> str:
    from reception.db.models import SyncPeer

    with desk.ctx.db.read() as s:
        peer = s.get(SyncPeer, 1)
        assert peer is not None
        return credentials.load_token(desk.ctx.paths.root, peer.client_id, peer.token_store)


def raw_push(env: Env, desk: DeskHandle, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    body = json.dumps({"mutations": mutations}, ensure_ascii=True)  # (a lone surrogate travels as an escape)
    reply = httpx.post(f"{env.server.url}/sync/push", content=body, timeout=30,
                       headers={"Authorization": f"Bearer {desk_token(desk)}", PROTOCOL_HEADER: str(PROTOCOL_VERSION),
                                "Content-Type": "application/json"})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["results"])


def mutation(table: str, record_id: str, data: dict[str, Any] | None, op: str = "upsert") -> dict[str, Any]:
    return {"mutation_id": str(uuid.uuid4()), "table": table, "record_id": record_id, "op": op,
            "base_version": 0, "data": data}


def server_copy(env: Env, table: str, record_id: str) -> dict[str, Any]:
    with env.db.read() as s:
        row = s.get(Record, (table, record_id))
        assert row is not None
        opened = env.db.sealer.open(table, row.data)
        assert opened is not None
        return dict(opened)


def test_malformed_mutations_are_refused_deletes_included(env: Env) -> None:
    a = env.desk("一号窗口", seed=1)
    [case_id] = a.intake(1)
    assert a.sync().ok
    case = server_copy(env, "petition_case", case_id)
    with a.ctx.db.read() as s:
        petitioner_id = s.scalar(select(VisitPerson.petitioner_id).join(Visit, Visit.id == VisitPerson.visit_id)
                               .where(Visit.case_id == case_id))
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).first()
        assert petitioner_id is not None and event is not None
    person = server_copy(env, "petitioner", petitioner_id)
    event_data = server_copy(env, "case_event", event.id)
    bad = [
        mutation("petitioner", "p-" + uuid.uuid4().hex[:8], {**person, "id": "", "id_number": "senc1:AAAA"}),
        mutation("case_event", (eid := str(uuid.uuid4())), {**event_data, "id": eid, "data": "not an object"}),
        mutation("case_event", (eid2 := str(uuid.uuid4())), {**event_data, "id": eid2, "kind": "extended",
                                                              "data": {"days": 10**12}}),
        mutation("centre_setting", "lifecycle", {"key": "lifecycle", "value": {"sign_days": "三天"},
                                                 "updated_at": "2026-03-02T01:00:00+00:00"}),
        mutation("holiday_day", "2026-10-09", {"day": "2026-10-09", "workday": "yes", "name": "", "source": "admin",
                                               "updated_at": "2026-03-02T01:00:00+00:00", "updated_by": ""}),
        mutation("petition_case", (cid := str(uuid.uuid4())), {**case, "id": cid, "case_no": "../../../evil",
                                                               "query_code": "X"}),
        mutation("petition_case", (cid2 := str(uuid.uuid4())), {**case, "id": cid2, "case_no": "D09-20260302-0001",
                                                                "request": "诉求\x00"}),
        mutation("holiday_day", "not-a-date", None, op="delete"),
        mutation("unit", "a" * 10 + "/../" + "b", None, op="delete"),
        mutation("audit_entry", (aid := str(uuid.uuid4())), {"id": aid, "hash": "", "chain": "x", "seq": 1,
                                                              "prev_hash": "", "at": "2026-03-02T01:00:00+00:00",
                                                              "action": "login", "entity": "user", "entity_id": "u",
                                                              "detail": "", "changes": {}, "user_id": None,
                                                              "desk_id": None}),
    ]
    bad[0]["record_id"] = bad[0]["data"]["id"] = str(uuid.uuid4())
    results = raw_push(env, a, bad)
    assert [r["status"] for r in results] == ["rejected"] * len(bad), results
    assert all(r.get("reason") for r in results)
    # nothing of it reached the server, and every desk still syncs
    b = env.desk("二号窗口", seed=2)
    assert b.sync().ok and a.sync().ok


def _poison_store(env: Env, desk: DeskHandle, case_id: str) -> list[tuple[str, str]]:
    """Malformed records written straight into the server's store (as a server of an earlier version, which did not
    validate, may hold them), each a copy of a good record with one thing broken."""
    with desk.ctx.db.read() as s:
        petitioner_id = s.scalar(select(VisitPerson.petitioner_id).join(Visit, Visit.id == VisitPerson.visit_id)
                               .where(Visit.case_id == case_id))
        event_id = s.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case_id))
    assert petitioner_id is not None and event_id is not None
    person = server_copy(env, "petitioner", petitioner_id)
    event = server_copy(env, "case_event", event_id)
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("petitioner", (p := str(uuid.uuid4())), {**person, "id": p, "id_number": "senc1:not-sealed-here"}),
        ("case_event", (e := str(uuid.uuid4())), {**event, "id": e, "data": ["not", "an", "object"]}),
        ("centre_setting", "lifecycle", {"key": "lifecycle", "value": {"sign_days": "三天"},
                                         "updated_at": "2026-03-02T01:00:00+00:00"}),
        ("holiday_day", "2026-10-09", {"day": "2026-10-09", "workday": "yes", "name": "", "source": "admin",
                                       "updated_at": "2026-03-02T01:00:00+00:00", "updated_by": ""}),
    ]
    with env.db.session() as s:
        counter = service._lock_counter(s)
        for table, rid, data in bad:
            counter.value += 1
            s.merge(Record(table_name=table, record_id=rid, version=1, seq=counter.value, deleted=False, data=data,
                           origin="legacy"))
    return [(t, r) for t, r, _d in bad]


def test_a_desk_parks_pulled_records_it_cannot_read_and_goes_on(env: Env) -> None:
    a = env.desk("一号窗口", seed=3)
    [case_id] = a.intake(1)
    assert a.sync().ok
    poisoned = _poison_store(env, a, case_id)
    more = a.intake(3)
    assert a.sync().ok
    b = env.desk("二号窗口", seed=4)  # (enrolment runs a first sync: it must complete)
    for _ in range(2):
        report = b.sync()
        assert report.ok, report
    with b.ctx.db.read() as s:
        parked = {(c.table_name, c.record_id): c.message for c in s.scalars(
            select(SyncConflict).where(SyncConflict.kind == "apply"))}
        assert set(poisoned) <= set(parked), parked
        assert all(msg.startswith("无法读取下载的记录") for msg in parked.values())
        assert set(more + [case_id]) <= set(s.scalars(select(Case.id)))  # everything else arrived
    assert a.sync().ok  # and the desk that pushed the good records is not stopped either


def test_one_bad_record_in_a_batch_leaves_the_rest_stored_parents_first(env: Env) -> None:
    a = env.desk("一号窗口", seed=5)
    cases = a.intake(12)
    assert a.sync().ok
    # children before parents in the server's order, and one case with a case number already used
    with env.db.session() as s:
        counter = service._lock_counter(s)
        rows = list(s.scalars(select(Record).where(Record.origin != "admin").order_by(Record.seq)))
        top = counter.value
        for n, row in enumerate(reversed(rows)):
            row.seq = top + 1 + n
        counter.value = top + len(rows) + 1
        twin = dict(env.db.sealer.open("petition_case", s.get(Record, ("petition_case", cases[0])).data) or {})
        twin["id"] = twin_id = str(uuid.uuid4())
        s.add(Record(table_name="petition_case", record_id=twin_id, version=1, seq=counter.value, deleted=False,
                     data=twin, origin="legacy", natural_key=twin["case_no"]))
    expected = {(r.table_name, r.record_id) for r in rows}
    b = env.desk("二号窗口", seed=6)
    assert b.sync().ok
    from tests.sync.harness import desk_rows

    stored = set(desk_rows(b.ctx))
    missing = expected - stored
    assert not missing, f"{len(missing)} of {len(expected)} records dropped, e.g. {sorted(missing)[:3]}"
    with b.ctx.db.read() as s:
        problems = list(s.scalars(select(SyncConflict).where(SyncConflict.kind == "apply")))
    assert [(c.table_name, c.record_id) for c in problems] == [("petition_case", twin_id)]


def test_enrolling_with_another_desks_id_does_not_take_its_code(env: Env) -> None:
    victim = env.desk("一号窗口", seed=7)
    victim_id, _officer = victim.ids
    _client, code = service.add_desk(env.db, "冒名工位")
    reply = service.enroll(env.db, EnrollRequest(code=code, protocol=PROTOCOL_VERSION, desk_id=victim_id))
    assert reply.desk_id != victim_id and reply.desk_code != victim.desk_code
    assert server_copy(env, "desk", victim_id)["code"] == victim.desk_code
    assert victim.sync().ok
    [case_id] = victim.intake(1)
    # (once the administrator revoked a desk, its own PC may enrol again with its row)
    service.revoke(env.db, victim.desk_code)
    _client, again = service.add_desk(env.db, "一号窗口（重新登记）")
    assert service.enroll(env.db, EnrollRequest(code=again, protocol=PROTOCOL_VERSION,
                                                desk_id=victim_id)).desk_id == victim_id
    with victim.ctx.db.read() as s:
        case_no = s.scalar(select(Case.case_no).where(Case.id == case_id))
    assert case_no is not None and case_no.startswith(victim.desk_code + "-")


def _accusation(desk: DeskHandle) -> str:
    from reception.intake.service import IntakeInput, PersonInput, register_intake
    from tests.sync.harness import _intake_form

    with desk.ctx.db.read() as s:
        form = _intake_form(s, desk.rng)
    desk_id, officer_id = desk.ids
    person = PersonInput(name="林检举", id_type=DocumentType.RESIDENT_ID, id_number=form.person.id_number,
                         gender=form.person.gender, phone="13911472586", address="某街道")
    intake = IntakeInput(person=person, channel=Channel.VISIT, content_class=ContentClass.ACCUSATION,
                         category_id=form.category_id, locality_id=form.locality_id, request="检举某单位负责人",
                         facts="信访人称有关负责人违规。", routing_action=RoutingAction.LEADER_RECEPTION, unit_id=None)
    return register_intake(desk.ctx, intake, desk_id=desk_id, officer_id=officer_id, render_receipt=False).case_id


def test_an_offline_race_never_routes_an_accusation_to_the_accused_unit(env: Env) -> None:
    a, b = env.desk("一号窗口", seed=8), env.desk("二号窗口", seed=9)
    case_id = _accusation(a)
    assert a.sync().ok and b.sync().ok
    with a.ctx.db.read() as s:
        from reception.db.models import Unit

        unit_id, unit_code = s.execute(select(Unit.id, Unit.code).order_by(Unit.code)).first()  # type: ignore[misc]
    # offline: A records the accused unit, B routes the case to that very unit
    lc.apply(a.ctx, case_id, m.RecordAccusedUnit(unit_id), actor_id=None)
    lc.apply(b.ctx, case_id, m.Route(unit_id), actor_id=None)
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.new_conflicts >= 1, report
    case = server_copy(env, "petition_case", case_id)
    assert case.get("unit_id") != unit_id
    with env.db.read() as s:
        routed = [d for d in s.scalars(select(Record.data).where(Record.table_name == "case_event"))
                  if d and d.get("case_id") == case_id and d.get("kind") in ("assigned", "forwarded")]
    assert routed == []
    # the unit API: neither listed to the accused unit nor open to its reports, even if the record says it is its
    with env.db.session() as s:
        s.execute(update(Record).where(Record.table_name == "petition_case", Record.record_id == case_id)
                  .values(data={**case, "unit_id": unit_id}))
    _cid, token = service.add_unit(env.db, unit_code)
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{env.server.url}/units/cases", headers=headers, timeout=10).json()
    assert case_id not in {c["case_id"] for c in listed}
    posted = httpx.post(f"{env.server.url}/units/cases/{case['case_no']}/events", headers=headers, timeout=10,
                        json={"note": "已收到"})
    assert posted.status_code == 403
    with b.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncConflict).where(SyncConflict.state == "open")) >= 1
