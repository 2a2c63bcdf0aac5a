"""Declarative base with a naming convention (so Alembic batch migrations on SQLite can name constraints)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

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


def new_id() -> str:
    """Client-generated UUIDs for every record, so desks can create rows offline without collisions."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""China has one time zone and no daylight saving; a fixed offset needs no tz database (absent on Windows)."""


def local_now() -> datetime:
    return datetime.now(CHINA_TZ)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TZ)
