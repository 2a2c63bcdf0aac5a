"""The pull's driver insert writes a datetime and a date as SQLAlchemy's own bind processing writes them on SQLite
(``sync.desk.pull._bind_processor``): the same text, or the same error."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Date
from sqlalchemy.dialects import sqlite

from reception.db.base import UTCDateTime
from reception.sync.desk.pull import _bind_processor

DIALECT = sqlite.dialect()


def _both(column_type: Any) -> tuple[Any, Any]:
    return (_bind_processor(column_type, DIALECT),
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
