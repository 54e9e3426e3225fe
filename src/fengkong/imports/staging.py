"""A temporary table per import holding the checked rows, so that the database does the rest set
by set: resolve references by join, compare with stored rows, insert and update in a few
statements. PostgreSQL is fed with ``COPY``; SQLite, which has no bulk path, with one
``executemany`` a batch (its driver call runs in C)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Float,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy import Column as SqlColumn
from sqlalchemy.types import TypeEngine

from fengkong.imports.kinds import Column, ColumnType
from fengkong.imports.validation import ROW_NO, VALID

_TYPES: dict[ColumnType, TypeEngine[Any]] = {
    ColumnType.TEXT: Text(),
    ColumnType.USCC: String(18),
    ColumnType.DATE: Date(),
    ColumnType.AMOUNT: BigInteger(),
    ColumnType.CURRENCY: String(3),
    ColumnType.INTEGER: BigInteger(),
    ColumnType.SHARE: Numeric(7, 6),
    ColumnType.NUMBER: Float(),
    ColumnType.BOOLEAN: Boolean(),
    ColumnType.CHOICE: String(32),
    ColumnType.INDUSTRY: String(5),
    ColumnType.REGION: String(6),
    ColumnType.RESIDENT_ID: String(18),
}


def stage_table(columns: Sequence[Column]) -> Table:
    """A table for this import only (temporary: private to the connection, gone with it)."""
    return Table(
        f"import_stage_{uuid.uuid4().hex[:12]}",
        MetaData(),
        SqlColumn(ROW_NO, BigInteger(), nullable=False),
        SqlColumn(VALID, Boolean(), nullable=False),
        *(SqlColumn(column.staged, _TYPES[column.type]) for column in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def row_numbers_table() -> Table:
    """A temporary list of row numbers (rows rejected by checks against the database)."""
    return Table(
        f"import_rows_{uuid.uuid4().hex[:12]}",
        MetaData(),
        SqlColumn(ROW_NO, BigInteger(), nullable=False),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def load(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Append ``frame`` (columns named as the table's) to ``table``."""
    if not frame.height:
        return
    names = [column.name for column in table.columns]
    frame = frame.select(names)
    if connection.dialect.name == "postgresql":
        _copy(connection, table, frame)
        return
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    frame = frame.with_columns(pl.col(dates).dt.to_string("%Y-%m-%d"))
    placeholders = ", ".join("?" for _ in names)
    columns = ", ".join(f'"{name}"' for name in names)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({columns}) VALUES ({placeholders})',  # noqa: S608 - generated names
        frame.rows(),
    )


def _copy(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """``COPY … FROM STDIN`` in CSV: polars writes NULL as an empty field and an empty string as
    ``""``, which is how PostgreSQL's CSV format tells them apart."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    columns = ", ".join(f'"{column.name}"' for column in table.columns)
    raw: Any = connection.connection.dbapi_connection  # psycopg's, for its COPY support
    with (
        raw.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT csv)') as copy,
    ):
        copy.write(buffer.getbuffer())


def create(connection: Connection, table: Table) -> None:
    table.create(connection)


def analyse(connection: Connection, table: Table) -> None:
    """Give PostgreSQL's planner the staged row count (it never analyses temporary tables)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f'ANALYZE "{table.name}"')


def drop(connection: Connection, table: Table) -> None:
    table.drop(connection, checkfirst=True)
