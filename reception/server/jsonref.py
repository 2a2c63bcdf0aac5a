"""Fields inside the ``record`` table's JSON, spelled the way the server's expression indexes are.

The server keeps every synced row as JSON (``models.Record.data``) and finds some of them by an id inside it: a
case's events, visits and supervisions by ``data.case_id``, a visit's persons by ``data.visit_id``, a unit's cases by
``data.unit_id``. Each of those lookups has a partial expression index (``models.EXPRESSION_INDEXES``, made by the
migrations, on SQLite and PostgreSQL alike). A database uses such an index only when the query spells the indexed
expression and the index's condition the same way, so every query goes through these two helpers:

- ``json_ref(session, key)``: ``(record.data ->> 'key')`` on PostgreSQL, ``json_extract(record.data, '$.key')`` on
  SQLite (SQLAlchemy's ``Record.data["key"].as_string()`` sends the path as a bound parameter, which no index
  matches);
- ``table_literal(name)``: the table name written into the SQL (``record.table_name = 'case_event'``): SQLite proves
  a partial index's ``WHERE`` only from literals, never from a bound parameter.

``tests/unit/test_server_migrations.py`` runs the real queries under ``EXPLAIN`` on both dialects and checks that
each one uses its index.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import ColumnElement, String, literal_column
from sqlalchemy.orm import Session

from reception.server.models import Record


def json_sql(dialect: str, key: str, alias: str = "record") -> str:
    """The SQL text of ``<alias>.data.<key>`` as text, in ``dialect``'s spelling (``postgresql`` or ``sqlite``)."""
    if not key.isidentifier() or not alias.isidentifier():
        raise ValueError(f"not a plain JSON key or alias: {key!r} {alias!r}")
    if dialect == "postgresql":
        return f"({alias}.data ->> '{key}')"
    return f"json_extract({alias}.data, '$.{key}')"


def json_ref(session: Session, key: str, alias: str = "record") -> ColumnElement[str]:
    """``<alias>.data.<key>`` as text, spelled as the server's expression indexes are (see the module)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        return literal_column(json_sql(dialect, key, alias), String)
    return cast(ColumnElement[str], Record.data[key].as_string())  # (another database: no index of ours)


def table_literal(name: str) -> ColumnElement[str]:
    """A table name written into the SQL, not sent as a parameter (a partial index's condition, see the module)."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    return literal_column(f"'{name}'", String)
