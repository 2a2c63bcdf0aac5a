"""The post-migration step run whenever a data directory is opened (``open_data_dir``), idempotently.

Migrations may not import reception code nor know the data key, so what needs the key or the chain happens here:

1. the data key is checked against the value stored when the database was first protected (a wrong key is refused
   with a clear message instead of failing later on the first petitioner read);
2. petitioner ID numbers and phones still in plaintext (rows from before schema 0007, or written around the ORM)
   are encrypted and their blind indexes filled; so are those in the sync outbox and the stored conflicts, written in
   clear before they were sealed there (``sync.outbox.seal_personal``; at-rest version 2);
3. audit entries from before the chain are sealed into their desk's chain, then the append-only triggers are
   installed.

The database backups the migration made before upgrading still hold plaintext rows of the old schema; they are
written before this step by design (never lose data) and stay in ``backups/`` of the user's data directory. Backups
made after (every later upgrade) hold only ciphertext.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from reception.db.models import Setting
from reception.security import AT_REST_SETTING, AT_REST_VERSION, audit
from reception.security.crypto import PREFIX, DataKeyError, blind_index, data_keys, decrypt, encrypt

log = logging.getLogger(__name__)

SETTING_KEY = AT_REST_SETTING


def _state(session: Session) -> dict[str, Any]:
    row = session.get(Setting, SETTING_KEY)
    return dict(row.value) if row is not None else {}


def _triggers_present(session: Session) -> bool:
    found = session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_entry_no_%'")
    )
    return bool(found == 2)


def needs_work(session: Session) -> bool:
    state = _state(session)
    return (state.get("key_check") != data_keys().check_value() or state.get("at_rest") != AT_REST_VERSION
            or not _triggers_present(session))


def encrypt_plaintext_rows(session: Session) -> int:
    """Encrypt ID numbers and phones still stored in clear and fill missing blind indexes. Returns rows changed."""
    rows = session.execute(text(
        "SELECT id, id_number, phone, id_number_bidx, phone_bidx FROM petitioner WHERE "
        f"(id_number IS NOT NULL AND (id_number NOT LIKE '{PREFIX}%' OR id_number_bidx IS NULL)) OR "
        f"(phone IS NOT NULL AND (phone NOT LIKE '{PREFIX}%' OR phone_bidx IS NULL))"
    )).all()
    changed: list[str] = []
    for pid, id_number, phone, _ib, _pb in rows:
        plain_id = decrypt(id_number, "petitioner.id_number") if id_number else None
        plain_phone = decrypt(phone, "petitioner.phone") if phone else None
        session.execute(
            text("UPDATE petitioner SET id_number = :i, phone = :p, id_number_bidx = :ib, phone_bidx = :pb "
                 "WHERE id = :id"),
            {"i": encrypt(plain_id, "petitioner.id_number") if plain_id else None,
             "p": encrypt(plain_phone, "petitioner.phone") if plain_phone else None,
             "ib": blind_index(plain_id, "id_number"), "pb": blind_index(plain_phone, "phone"), "id": pid},
        )
        changed.append(pid)
    if changed:  # (written around the ORM: the search's keyed suffix indexes follow here)
        from reception.search import index as search_index

        search_index.refresh(session, changed)
    return len(changed)


def seal_sync_rows(session: Session) -> int:
    """Seal the personal fields of the outbox rows and stored conflicts still holding them in clear (written before
    the outbox sealed them; a desk offline across that upgrade keeps such rows until it next pushes, and a conflict
    until someone resolves it). Signatures are of the record as sent, opened again at the push: unaffected. Returns
    the rows changed."""
    from reception.db.models import SyncConflict, SyncOutbox, encrypted_columns
    from reception.sync.outbox import seal_personal

    tables = list(encrypted_columns())
    changed = 0
    for row in session.scalars(select(SyncOutbox).where(SyncOutbox.table_name.in_(tables))):
        sealed = seal_personal(row.table_name, row.data)
        if sealed != row.data:
            row.data = sealed
            changed += 1
    # (column values, not entities: a loaded conflict shows its fields opened, ``sync.outbox._open_conflict``)
    for cid, table, local, server in session.execute(
            select(SyncConflict.id, SyncConflict.table_name, SyncConflict.local_data, SyncConflict.server_data)
            .where(SyncConflict.table_name.in_(tables))).all():
        local_sealed, server_sealed = seal_personal(table, local), seal_personal(table, server)
        if (local_sealed, server_sealed) != (local, server):
            session.execute(update(SyncConflict).where(SyncConflict.id == cid)
                            .values(local_data=local_sealed, server_data=server_sealed))
            changed += 1
    session.flush()
    return changed


def prepare(session: Session) -> None:
    """Steps 1–3 inside the caller's write transaction."""
    state = _state(session)
    check = data_keys().check_value()
    stored = state.get("key_check")
    if stored and stored != check:
        raise DataKeyError(
            "本机的数据密钥与该数据库不匹配，无法读取信访人的证件号码和电话。请恢复原来的密钥"
            "（reception key import），或在原电脑上打开。数据库未作任何改动。", key="data_key_mismatch")
    if stored is None:
        # encrypted before but never checked (a copy from a desk that crashed mid-step): adopt this key only if it
        # opens the data, else refuse before anything is written
        for column in ("id_number", "phone"):
            sample = session.scalar(text(f"SELECT {column} FROM petitioner WHERE {column} LIKE '{PREFIX}%' LIMIT 1"))
            if sample is not None:
                decrypt(str(sample), f"petitioner.{column}")
    if state.get("at_rest") != AT_REST_VERSION:
        # rewritten rows leave their old (plaintext) bytes in the page's free space unless SQLite zeroes them
        session.execute(text("PRAGMA secure_delete = ON"))
        try:
            count = encrypt_plaintext_rows(session)
            waiting = seal_sync_rows(session)
        finally:
            session.execute(text("PRAGMA secure_delete = OFF"))
        if count:
            log.info("protection at rest: %d petitioner rows encrypted", count)
        if waiting:
            log.info("protection at rest: %d outbox or conflict rows sealed", waiting)
    if not _triggers_present(session):
        if state.get("at_rest") != AT_REST_VERSION:
            # once, on the upgrade to the chained trail: entries from before it. Afterwards an entry without a hash
            # can only have been put in around the app (the triggers dropped): verify reports it, it is never sealed
            sealed = audit.seal_legacy(session)
            if sealed:
                log.info("audit trail: %d earlier entries sealed into their chains", sealed)
        else:
            log.warning("audit trail: the append-only triggers were missing and are installed again")
        audit.install_append_only(session)
    state.update(key_check=check, at_rest=AT_REST_VERSION)
    row = session.get(Setting, SETTING_KEY)
    if row is None:
        session.add(Setting(key=SETTING_KEY, value=state))
    else:
        row.value = state
