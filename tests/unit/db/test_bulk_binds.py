"""The bulk writers (``db.bulk.execute_many``, the sync pull's driver insert) write a datetime, a date and a JSON
document as SQLAlchemy's own bind processing writes them on SQLite (``db.bulk.fast_processor``): the same text, or
the same error (``test_bulk.py`` checks what ``execute_many`` and ``execute_tuples`` store)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import JSON, Date
from sqlalchemy.dialects import sqlite

from reception.db.base import UTCDateTime
from reception.db.bulk import fast_processor

DIALECT = sqlite.dialect()


def _both(column_type: Any) -> tuple[Any, Any]:
    return (fast_processor(column_type, DIALECT),
            column_type.dialect_impl(DIALECT).bind_processor(DIALECT))


def test_datetimes_are_written_as_sqlalchemy_writes_them() -> None:
    fast, own = _both(UTCDateTime())
    assert fast is not own  # (the one-step processor is the one used)
    rng = random.Random(18)
    values: list[Any] = [None, datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),
                         datetime(2026, 9, 1, 0, 30, 37, tzinfo=UTC),
                         datetime.fromisoformat("2026-09-01T08:30:37+08:00"),
                         datetime.fromisoformat("2026-09-01T00:30:37.5Z")]
    for _ in range(20_000):
        zone = rng.choice([UTC, timezone(timedelta(minutes=rng.randint(-900, 900))), timezone(timedelta(0))])
        values.append(datetime(rng.randint(2, 9998), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                               rng.randint(0, 59), rng.randint(0, 59), rng.choice([0, rng.randint(0, 999_999)]),
                               tzinfo=zone))
    for value in values:
        assert fast(value) == own(value), value
    for bad in (datetime(2026, 9, 1, 0, 30), date(2026, 9, 1)):  # (naive: refused; a date: as SQLAlchemy does)
        try:
            expected: Any = own(bad)
        except (ValueError, TypeError, AttributeError) as exc:
            with pytest.raises(type(exc)):
                fast(bad)
        else:
            assert fast(bad) == expected


def test_dates_are_written_as_sqlalchemy_writes_them() -> None:
    fast, own = _both(Date())
    assert fast is not own
    rng = random.Random(5)
    values: list[Any] = [None, date(1, 1, 1), date(9999, 12, 31), datetime(2026, 9, 1, 12, 0)]
    values += [date(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28)) for _ in range(20_000)]
    for value in values:
        assert fast(value) == own(value), value
    with pytest.raises(TypeError):
        own("2026-09-01")
    with pytest.raises(TypeError):
        fast("2026-09-01")


def test_json_documents_are_written_as_sqlalchemy_writes_them() -> None:
    fast, own = _both(JSON())
    assert fast is not own
    rng = random.Random(7)
    values: list[Any] = [None, {}, [], {"名": "张三", "n": [1, 2.5, None, True]}, [{"a": "\u2028\n\"q\""}],
                         "text", 3, 2.5, True, JSON.NULL]
    for _ in range(2000):
        values.append({str(rng.randint(0, 99)): rng.choice([rng.random(), "字" * rng.randint(0, 5), None, [1]])
                       for _ in range(rng.randint(0, 6))})
    for value in values:
        assert fast(value) == own(value), value
    nullable, own_nullable = _both(JSON(none_as_null=True))
    assert nullable(None) is None and own_nullable(None) is None and nullable({"a": 1}) == own_nullable({"a": 1})
    with pytest.raises(TypeError):
        own({"at": date(2026, 9, 1)})
    with pytest.raises(TypeError):
        fast({"at": date(2026, 9, 1)})
