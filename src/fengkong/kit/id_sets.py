"""Rows of many customers by id: one array parameter on PostgreSQL, chunks of ``IN`` elsewhere.

An ``IN (…)`` list is a bound parameter per id: a stream job of a backlog holds thousands of
customers, and each statement over them was split into chunks, each chunk a long text that
psycopg parses again (it caches the parse only under 50 parameters) and PostgreSQL parses and
plans again. ``column = ANY(:ids)`` is one short statement whatever the count: parsed once a
process, and one round trip instead of one a chunk. SQLite has no arrays, and a cap on bound
parameters, so there the ids stay in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import QueryableAttribute, Session


@dataclass(frozen=True, slots=True)
class IdSet:
    """Some ids, and how the dialect at hand filters a column on them."""

    ids: Sequence[int]
    as_array: bool

    def among(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
        """``column`` is one of the ids."""
        if self.as_array:
            return column == any_(bindparam(None, list(self.ids), type_=ARRAY(column.type)))
        return column.in_(self.ids)


def id_sets(session: Session, ids: Sequence[int], *, chunk: int) -> Iterator[IdSet]:
    """``ids`` as one set on PostgreSQL, in sets of at most ``chunk`` elsewhere; none if empty."""
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield IdSet(ids, as_array=True)
        return
    for start in range(0, len(ids), chunk):
        yield IdSet(ids[start : start + chunk], as_array=False)


def among(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], ids: Sequence[int]
) -> ColumnElement[bool]:
    """``column`` is one of ``ids``, as the session's dialect reads them best (callers that may
    run on SQLite bound the ids, as ``id_sets`` does)."""
    as_array = session.get_bind().dialect.name == "postgresql"
    return IdSet(ids, as_array=as_array).among(column)
