"""Many rows inserted on PostgreSQL by one short statement that reads them from a JSON array.

An ``executemany`` of a Core insert goes out as multi-row ``VALUES`` pages of
``db.INSERT_PAGE_ROWS`` rows, each with a placeholder per value: past 50 parameters psycopg
parses the text again for every page, and each page is a round trip. ``INSERT … SELECT … FROM
json_to_recordset(:rows)`` is the same text whatever the number of rows, so psycopg parses and
prepares it once, and the rows travel as one parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Insert,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.types import TypeEngine

from fengkong.db import stored_utc

_JSON_NULL = literal_column("'null'::json", JSON())


def insert_from_json(table: Table, keys: Sequence[str], name: str) -> Insert:
    """``INSERT INTO table (keys) SELECT … FROM json_to_recordset(:name) AS name_rows(…)``,
    the rows inserted in the array's order. Strings are read as ``text``: the insert then
    refuses one too long for its column, where a record field typed ``varchar(n)`` would cut it
    short."""
    fields = [
        literal_column(key, Text() if isinstance(table.c[key].type, String) else table.c[key].type)
        for key in keys
    ]
    rows = (
        func.json_to_recordset(bindparam(name, type_=JSON))
        .table_valued(*fields)
        .render_derived(name=f"{name}_rows", with_types=True)
    )
    return insert(table).from_select(
        list(keys), select(*(_as_stored(rows.c[key], table.c[key].type) for key in keys))
    )


def _as_stored(field: ColumnElement[Any], stored_type: TypeEngine[Any]) -> ColumnElement[Any]:
    """A JSON field that is null as JSON ``null``, as SQLAlchemy stores a Python ``None`` in a
    JSON column (``json_to_recordset`` reads it as SQL NULL)."""
    return func.coalesce(field, _JSON_NULL) if isinstance(stored_type, JSON) else field


def json_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON values: aware timestamps in ISO 8601 (as the timestamp columns store them);
    the rest (snapshots, payloads) is JSON-ready already."""
    return [{key: _json_value(value) for key, value in row.items()} for row in rows]


def _json_value(value: Any) -> Any:
    return stored_utc(value).isoformat() if isinstance(value, datetime) else value
