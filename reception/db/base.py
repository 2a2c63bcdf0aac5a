"""Declarative base with a naming convention (so Alembic batch migrations on SQLite can name constraints)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Date, DateTime, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite has no time zones of its own."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        str: String(),
    }


_ID_POOL = 256
_ids: list[str] = []
_ids_lock = threading.Lock()
_last_stamp = [0, 0]
"""The milliseconds and the next counter value of the pool made last, so a process's ids only ever ascend."""


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
"""The high hex digit of byte 8 with the RFC 4122 variant bits set (``(b & 0x3F) | 0x80``)."""
_COUNTER_END = 1 << 12
"""The 12-bit ``rand_a`` field holds a counter (RFC 9562, 6.2 method 1): the ids of one millisecond ascend."""


def _fill_ids() -> None:
    ms = time.time_ns() // 1_000_000
    last_ms, counter = _last_stamp
    if ms <= last_ms:  # the same millisecond (or the clock was set back): go on from the last id made
        ms = last_ms
        if counter + _ID_POOL > _COUNTER_END:
            ms, counter = ms + 1, 0
    else:
        counter = 0
    _last_stamp[:] = [ms, counter + _ID_POOL]
    stamp = f"{ms & 0xFFFFFFFFFFFF:012x}"
    head = f"{stamp[:8]}-{stamp[8:]}-7"
    h = os.urandom(8 * _ID_POOL).hex()
    v = _VARIANT
    # 48 bits of Unix milliseconds, the version (7), the counter, the variant and 62 random bits (RFC 9562, 5.7)
    made = [f"{head}{counter + n:03x}-{v[h[i]]}{h[i + 1:i + 4]}-{h[i + 4:i + 16]}"
            for n, i in enumerate(range(0, len(h), 16))]
    made.reverse()  # (``new_id`` pops from the end)
    _ids.extend(made)


def new_id() -> str:
    """Client-generated UUIDs for every record, so desks can create rows offline without collisions.

    Time-ordered (version 7, RFC 9562) UUIDs: 48 bits of Unix milliseconds, a 12-bit counter and 62 random bits
    from ``os.urandom``, so two desks never make the same id, and the ids a desk makes ascend. Every table's
    primary key, and the indexes on the ids it refers to, are B-trees: a random (version 4) id lands on a random
    page of each, so a batch of a thousand ledger rows dirtied tens of thousands of pages that the commit wrote to
    the write-ahead log and the checkpoint wrote again. Ascending ids all go to the last pages, which stay in the
    cache and fill up: a quarter of the bytes written, and a bulk import's cost per row no longer grows with the
    file (``bench/README.md``; a single save at a million visits measured the same either way).
    Made 256 at a time (one system call, no ``UUID`` object: a bulk import makes ~30 ids a row). A forked child
    starts with an empty pool, so parent and child never share an id. Ids made before (version 4) stay as they
    are: nothing reads the version or the time out of an id; they are only compared and indexed."""
    while True:
        try:
            return _ids.pop()
        except IndexError:
            with _ids_lock:
                if not _ids:
                    _fill_ids()


os.register_at_fork(after_in_child=_ids.clear)


_M = TypeVar("_M")
_PLAIN: dict[type, frozenset[str] | None] = {}
"""Mapped class -> its column attributes' keys, when ``transient`` may fill them directly (None: it may not)."""


def _plain_keys(cls: type) -> frozenset[str] | None:
    from sqlalchemy import inspect
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    mapper: Any = inspect(cls)
    if mapper.validators or mapper.polymorphic_on is not None:
        return None
    if any(getattr(listener, "__name__", "") != "_event_on_init" for listener in mapper.class_manager.dispatch.init):
        return None  # (an init listener besides the mapper's own, which only checks the mappers are configured)
    keys = frozenset(attr.key for attr in mapper.column_attrs)
    for key in keys:
        dispatch = getattr(cls, key).dispatch
        if dispatch.set or dispatch.modified:
            return None
    return keys


def transient(cls: type[_M], **values: Any) -> _M:
    """``cls(**values)`` for a new record given column values: the same transient object (the values in the
    instance's dict, where the constructor leaves them and from which the ORM's flush and
    ``sync.outbox.insert_captured`` insert them), without the instrumentation's event per attribute (~8 µs -> ~1 µs
    an object; a ledger row builds ~18). The constructor itself for a key that is not a column (a relationship) or
    a class with attribute validators, attribute or init listeners, or a polymorphic identity to set."""
    keys = _PLAIN[cls] if cls in _PLAIN else _PLAIN.setdefault(cls, _plain_keys(cls))
    if keys is None or not values.keys() <= keys:
        return cls(**values)
    obj: Any = cls._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(values)
    return cast(_M, obj)


def utcnow() -> datetime:
    return datetime.now(UTC)


CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""China has one time zone and no daylight saving; a fixed offset needs no tz database (absent on Windows)."""


def local_now() -> datetime:
    return datetime.now(CHINA_TZ)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TZ)
