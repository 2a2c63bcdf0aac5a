"""Rows to and from the wire: every mapped column's attribute value as JSON, ``*_bidx`` columns left out.

Values are read and written through ORM attributes, so a column with a TypeDecorator (e.g. the security branch's
encrypted ID and phone numbers) travels as its plaintext attribute value, and its local blind index is recomputed
by that branch's ORM event when the pulled row is stored. Datetimes are UTC ISO strings, dates ISO dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, DateTime, TypeDecorator, inspect
from sqlalchemy.orm import Mapper

from reception.db.base import Base
from reception.sync.registry import LOCAL_COLUMNS, NEVER_SHIPPED_SUFFIXES


@dataclass(frozen=True, slots=True)
class Field:
    attr: str
    column: str
    kind: str  # dt, d or raw
    primary_key: bool
    onupdate: Any = None
    """The column type when the column has an ``onupdate`` default (e.g. ``updated_at``), else None."""


@dataclass(frozen=True, slots=True)
class TableCodec:
    table: str
    model: type[Any]
    fields: tuple[Field, ...]
    pk: tuple[Field, ...]
    column_names: frozenset[str] = frozenset()
    """(filled from ``fields``: checked for every pushed mutation, so built once)"""
    dated: tuple[Field, ...] = ()
    """(filled from ``fields``: the date and datetime fields, the only ones whose wire form can be malformed)"""
    plan: tuple[tuple[str, str, str], ...] = ()
    """(filled from ``fields``: (column, attribute, kind) of each, as ``decode`` reads them)"""

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", frozenset(f.column for f in self.fields))
        object.__setattr__(self, "dated", tuple(f for f in self.fields if f.kind != "raw"))
        object.__setattr__(self, "plan", tuple((f.column, f.attr, f.kind) for f in self.fields))

    def record_id(self, obj: Any) -> str:
        return "|".join(_encode_scalar(getattr(obj, f.attr)) for f in self.pk)

    def record_id_of(self, data: dict[str, Any]) -> str:
        if len(self.pk) == 1:
            return str(data[self.pk[0].column])
        return "|".join(str(data[f.column]) for f in self.pk)

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.column: _encode(getattr(obj, f.attr)) for f in self.fields}

    def record_id_of_values(self, values: dict[str, Any]) -> str:
        """``record_id`` of a record given as its attribute values (attribute key -> value)."""
        if len(self.pk) == 1:
            return _encode_scalar(values[self.pk[0].attr])
        return "|".join(_encode_scalar(values[f.attr]) for f in self.pk)

    def encode_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """``encode`` of a record given as its attribute values (a bulk loader's rows: ``outbox.insert_captured``);
        an attribute missing is None, as an unset attribute reads."""
        get = values.get
        out = {column: get(attr) for column, attr, _kind in self.plan}
        for f in self.dated:  # (the other kinds are sent as they are: ``_encode`` keeps them)
            value = out[f.column]
            if value is not None:
                out[f.column] = _encode(value)
        return out

    def decode(self, data: dict[str, Any]) -> dict[str, Any]:
        """Wire data to attribute values; unknown columns (a newer desk's) are ignored."""
        out: dict[str, Any] = {}
        for column, attr, kind in self.plan:  # (every pulled record: no call for the values kept as they are)
            if column in data:
                value = data[column]
                out[attr] = value if kind == "raw" or value is None else _decode(value, kind)
        return out

    def check(self, data: dict[str, Any]) -> None:
        """Raise ValueError/TypeError when a date or datetime in wire data cannot be read (what ``decode`` would
        raise, without building the attribute values)."""
        for f in self.dated:
            value = data.get(f.column)
            if value is not None:
                _decode(value, f.kind)

    def pk_value(self, data: dict[str, Any]) -> Any:
        values = tuple(_decode(data[f.column], f.kind) for f in self.pk)
        return values[0] if len(values) == 1 else values

    def key_of(self, record_id: str) -> Any:
        """The primary-key value of a record id (for ``Session.get``): typed as the columns are (a holiday's date,
        a year's integer), a tuple for a composite key."""
        parts = record_id.split("|") if len(self.pk) > 1 else [record_id]
        values = tuple(_decode_key(raw, f, self.table) for raw, f in zip(parts, self.pk, strict=True))
        return values[0] if len(values) == 1 else values

    def key_type(self) -> type | None:
        """int or str for a single-column key of that Python type (else None)."""
        return _key_type(self.table, self.pk[0].column) if len(self.pk) == 1 and self.pk[0].kind == "raw" else None

    def onupdate_types(self) -> dict[str, Any]:
        return {f.attr: f.onupdate for f in self.fields if f.onupdate is not None}

    def columns(self) -> frozenset[str]:
        return self.column_names


def _kind(column_type: Any) -> str:
    t = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    if isinstance(t, DateTime):
        return "dt"
    if isinstance(t, Date):
        return "d"
    return "raw"


def _encode_scalar(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "dt":
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if kind == "d":
        return date.fromisoformat(value)
    return value


def _decode_key(raw: str, f: Field, table: str) -> Any:
    if f.kind != "raw":
        return _decode(raw, f.kind)
    python_type = _key_type(table, f.column)
    return python_type(raw) if python_type is not None else raw


@cache
def _key_type(table: str, column: str) -> type | None:
    """int or str for a key column of that Python type, else None (the record id stays as it is). Looked up once
    per column: every pushed and pulled record's id is checked with ``key_of``."""
    try:
        python_type = inspect(codecs()[table].model).columns[column].type.python_type
    except NotImplementedError:
        return None
    return python_type if python_type in (int, str) else None


def build_codec(mapper: Mapper[Any]) -> TableCodec:
    """The codec of one mapped class: every column attribute except ``*_bidx`` and the table's local columns."""
    fields: list[Field] = []
    local = LOCAL_COLUMNS.get(str(getattr(mapper.local_table, "name", "")), frozenset())
    for attr in mapper.column_attrs:
        col = attr.columns[0]
        if col.name.endswith(NEVER_SHIPPED_SUFFIXES) or col.name in local:
            continue
        fields.append(Field(attr.key, col.name, _kind(col.type), bool(col.primary_key),
                            col.type if col.onupdate is not None else None))
    pk = tuple(f for f in fields if f.primary_key)
    return TableCodec(str(getattr(mapper.local_table, "name", "")), mapper.class_, tuple(fields), pk)


@cache
def codecs() -> dict[str, TableCodec]:
    out: dict[str, TableCodec] = {}
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) is None:
            continue
        codec = build_codec(mapper)
        out[codec.table] = codec
    return out


def codec_for(table: str) -> TableCodec | None:
    return codecs().get(table)


def table_of(obj: Any) -> str:
    return str(inspect(obj).mapper.local_table.name)
