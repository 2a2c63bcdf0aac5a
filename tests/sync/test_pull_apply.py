"""What a pulled batch must leave on a desk, whichever way its rows went in (the unit of work for anything with ORM
insert events that have no declared stand-in, the driver's executemany per table for the rest and for new
petitioners, whose blind indexes and search index rows the pull then adds itself, and the screens told of them):
personal data encrypted at rest with blind indexes that find it, the same search index rows as the desk that
registered them, audit entries that still verify as a hash chain, and the cases' clocks recomputed."""

from __future__ import annotations

from sqlalchemy import func, select, text

from reception.changes import Change, ChangeSet, attach_changes
from reception.db.models import AuditEntry, Case, CaseClock, CaseEvent, Petitioner, Visit, encrypted_columns
from reception.security.audit import verify
from reception.security.crypto import blind_index
from reception.sync.codec import codec_for
from tests.sync.conftest import Env


def test_pulled_rows_keep_encryption_blind_indexes_audit_chain_and_clocks(env: Env) -> None:
    a, b = env.desk("一号窗口", seed=11), env.desk("二号窗口", seed=12)
    case_ids = a.intake(30)
    assert a.sync().ok
    seen: list[ChangeSet] = []
    attach_changes(b.ctx.db).subscribe(seen.append)
    report = b.sync()
    assert report.ok and report.pulled > 0, report
    # the screens hear of the pulled cases though their rows went in by the driver's executemany
    assert any(Change.CASES in changes for changes in seen), seen

    with a.ctx.db.read() as sa, b.ctx.db.read() as sb:
        people_a = {p.id: (p.id_number, p.phone) for p in sa.scalars(select(Petitioner))}
        people_b = {p.id: (p.id_number, p.phone) for p in sb.scalars(select(Petitioner))}
        assert people_b == people_a and len(people_b) >= 30
        # at rest: ciphertext in the file, blind indexes computed on this desk that find the plaintext
        raw = {r[0]: r[1:] for r in sb.execute(text(
            "SELECT id, id_number, phone, id_number_bidx, phone_bidx FROM petitioner"))}
        for pid, (id_number, phone) in people_b.items():
            stored_id, stored_phone, id_bidx, phone_bidx = raw[pid]
            if id_number:
                assert stored_id != id_number and id_number not in str(stored_id)
                assert id_bidx == blind_index(id_number, "id_number")
                assert sb.scalar(select(Petitioner.id).where(Petitioner.id_number_bidx == id_bidx)) is not None
            if phone:
                assert stored_phone != phone and phone_bidx == blind_index(phone, "phone")

        # the search index rows B added for its bulk-inserted petitioners are the ones A's ORM events made
        for index in ("petitioner_token", "petitioner_gram"):
            rows_a = set(map(tuple, sa.execute(text(f"SELECT * FROM {index}"))))
            rows_b = set(map(tuple, sb.execute(text(f"SELECT * FROM {index}"))))
            assert rows_a and rows_b == rows_a, index

        for model in (Case, Visit, CaseEvent, Petitioner):  # (tables that go in as a bulk INSERT)
            ids_a = set(sa.scalars(select(model.id)))
            assert ids_a and ids_a <= set(sb.scalars(select(model.id)))
            # stored as the ORM stores them: the same text in the file (dates, times, JSON, booleans), encrypted
            # columns aside (random nonces), and the same values read back
            table = model.__tablename__
            codec = codec_for(table)
            assert codec is not None
            secret = set(encrypted_columns().get(table, ()))  # (and the blind indexes: no wire column, per desk)
            names = ", ".join(f.column for f in codec.fields if f.column not in secret)
            raw_a = {r[0]: tuple(r) for r in sa.execute(text(f"SELECT id, {names} FROM {table}"))}
            raw_b = {r[0]: tuple(r) for r in sb.execute(text(f"SELECT id, {names} FROM {table}"))}
            assert {k: raw_b.get(k) for k in raw_a} == raw_a, table
            wire_a = {codec.record_id(o): codec.encode(o) for o in sa.scalars(select(model))}
            wire_b = {codec.record_id(o): codec.encode(o)
                      for o in sb.scalars(select(model).where(model.id.in_(list(wire_a))))}
            assert wire_b == wire_a, table
        assert set(case_ids) <= set(sb.scalars(select(Case.id)))
        hashes_a = {r[0]: r[1] for r in sa.execute(select(AuditEntry.id, AuditEntry.hash))}
        hashes_b = {r[0]: r[1] for r in sb.execute(select(AuditEntry.id, AuditEntry.hash))}
        assert hashes_a and all(hashes_b.get(k) == v for k, v in hashes_a.items())
        verdict = verify(sb)
        assert verdict.ok, verdict.problems

        clocks_a = sorted(sa.execute(select(CaseClock.case_id, CaseClock.kind, CaseClock.due_on)
                                     .where(CaseClock.case_id.in_(case_ids))).all())
        clocks_b = sorted(sb.execute(select(CaseClock.case_id, CaseClock.kind, CaseClock.due_on)
                                     .where(CaseClock.case_id.in_(case_ids))).all())
        assert clocks_a and clocks_b == clocks_a
        assert sb.scalar(select(func.count()).select_from(Case).where(Case.id.in_(case_ids))) == 30
