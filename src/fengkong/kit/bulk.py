"""Insert many rows at once, about twice as fast as Core's executemany.

Core's executemany converts each row's parameters in Python (``construct_params`` and one bind
processor call per value); for a million outbox events that costs more than the database's own
work. Here SQLAlchemy still compiles the INSERT and supplies each column's bind processor, so
values are stored exactly as Core would store them, but they are converted a column at a time —
each distinct date, timestamp or status once — and handed to the driver's ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnDefault, Connection, Table, insert

BATCH_ROWS = 20_000


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows``, which must all have the same keys (as for Core's executemany)."""
    if not rows:
        return
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        raise ValueError(f"every row inserted into {table.name} needs the same columns")
    insert_columns(connection, table, {key: [row[key] for row in rows] for key in keys})


def insert_columns(
    connection: Connection, table: Table, columns: Mapping[str, Sequence[Any]]
) -> None:
    """Insert rows given column by column (equal-length sequences keyed by column name).

    A column left out gets its Python-side default, evaluated once for all the rows (one
    timestamp for the whole batch, say); defaults that are SQL expressions are not supported.
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns for {table.name} differ in length: {sorted(lengths)}")
    total = lengths.pop() if lengths else 0
    if not total:
        return
    columns = dict(columns) | _defaults(table, given=columns.keys(), rows=total)
    required = [
        column.key
        for column in table.columns
        if column.key not in columns
        and not column.nullable
        and column.server_default is None
        and column is not table.autoincrement_column
    ]
    if required:
        raise ValueError(f"{table.name} needs values for {required}")
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    if set(names) != set(columns):
        unsupported = sorted(set(names) - set(columns))
        raise ValueError(f"{table.name}: SQL-expression defaults are not supported ({unsupported})")
    converted = [
        _converted(
            columns[name],
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect),
            each=getattr(table.c[name].type, "randomised", False),
        )
        for name in names
    ]
    statement = str(compiled)
    for start in range(0, total, BATCH_ROWS):
        batch = zip(*(values[start : start + BATCH_ROWS] for values in converted), strict=True)
        parameters: list[Any] = (
            list(batch)
            if compiled.positional
            else [dict(zip(names, row, strict=True)) for row in batch]
        )
        connection.exec_driver_sql(statement, parameters)


def _defaults(table: Table, *, given: Collection[str], rows: int) -> dict[str, list[Any]]:
    filled: dict[str, list[Any]] = {}
    for column in table.columns:
        default = column.default
        if column.key in given or not isinstance(default, ColumnDefault):
            continue
        if default.is_scalar:
            filled[column.key] = [default.arg] * rows
        elif default.is_callable:
            filled[column.key] = [default.arg(None)] * rows
    return filled


def _converted(
    values: Sequence[Any], processor: Callable[[Any], Any] | None, *, each: bool = False
) -> Sequence[Any]:
    """``each``: types whose stored form is randomised (encrypted columns) convert every value,
    so equal values do not share one ciphertext."""
    if processor is None:
        return values
    if each:
        return [processor(value) for value in values]
    try:
        # Keyed by type too, so values that compare equal across types (1, True) stay apart.
        distinct = {(value.__class__, value) for value in values}
    except TypeError:  # unhashable values, e.g. JSON documents: convert each
        return [processor(value) for value in values]
    lookup = {key: processor(key[1]) for key in distinct}
    return [lookup[(value.__class__, value)] for value in values]
