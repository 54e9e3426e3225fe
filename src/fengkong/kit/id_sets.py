"""Rows of many customers by id: one array parameter on PostgreSQL, chunks of ``IN`` elsewhere.

An ``IN (…)`` list is a bound parameter per id: a stream job of a backlog holds thousands of
customers, and each statement over them was split into chunks, each chunk a long text that
psycopg parses again (it caches the parse only under 50 parameters) and PostgreSQL parses and
plans again. ``column = ANY(:ids)`` is one short statement whatever the count: parsed once a
process, and one round trip instead of one a chunk. SQLite has no arrays, and a cap on bound
parameters, so there the ids stay in chunks.

psycopg dumps a list element by element in Python (~5 % of a stream job's CPU went there): ids
are bound as an ``IdArray``, which the connections of ``db.make_engine`` dump as one string.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import postgres
from psycopg.adapt import Dumper
from sqlalchemy import BigInteger, ColumnElement, Integer, any_, bindparam
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.types import TypeEngine, UserDefinedType


class IdArray(list[int]):
    """Integers bound as one PostgreSQL ``bigint[]`` parameter, dumped in one piece."""


class _IdArrayDumper(Dumper):
    oid = postgres.types["int8"].array_oid

    def dump(self, obj: Any) -> bytes:
        # ``operator.index`` refuses anything but an integer: no text reaches the literal.
        return ("{" + ",".join(map(str, map(operator.index, obj))) + "}").encode()


def register_id_arrays(connection: psycopg.Connection[Any]) -> None:
    """Dump ``IdArray`` values on ``connection`` as one array literal."""
    connection.adapters.register_dumper(IdArray, _IdArrayDumper)


class _IntegerArray(UserDefinedType[Sequence[int]]):
    """An array of the column's integer type, its value bound as it is (SQLAlchemy's ``ARRAY``
    copies it into a plain list, element by element)."""

    cache_ok = True
    render_bind_cast = True

    def __init__(self, element: str) -> None:
        self.element = element

    def get_col_spec(self, **kw: Any) -> str:
        return f"{self.element}[]"


_INTEGER_ARRAY = _IntegerArray("INTEGER")
_BIGINT_ARRAY = _IntegerArray("BIGINT")


def _array_of(column_type: TypeEngine[Any]) -> _IntegerArray:
    if isinstance(column_type, BigInteger):
        return _BIGINT_ARRAY
    if isinstance(column_type, Integer):
        return _INTEGER_ARRAY
    raise TypeError(f"ids filter an integer column, not a {column_type!r} one")


@dataclass(frozen=True, slots=True)
class IdSet:
    """Some ids, and how the dialect at hand filters a column on them."""

    ids: Sequence[int]
    as_array: bool

    def among(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
        """``column`` is one of the ids."""
        if self.as_array:
            array = bindparam(None, IdArray(self.ids), type_=_array_of(column.type))
            return column == any_(array)
        return column.in_(self.ids)


@dataclass(frozen=True, slots=True)
class IdsParameter:
    """A filter on ids bound at each execution (parameter ``name``), for statements built once
    a process: an array on PostgreSQL, an expanding ``IN`` elsewhere (chunked by the caller)."""

    name: str
    as_array: bool

    def among(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
        if self.as_array:
            return column == any_(bindparam(self.name, type_=_array_of(column.type)))
        return column.in_(bindparam(self.name, expanding=True))

    @classmethod
    def of(cls, session: Session, name: str = "ids") -> IdsParameter:
        """The filter as the session's dialect reads it best."""
        return cls(name, as_array=_reads_arrays(session))

    def bound(self, ids: Sequence[int], *, chunk: int) -> list[dict[str, Sequence[int]]]:
        """The parameter's values for ``ids``: one on PostgreSQL, one a ``chunk`` of ids
        elsewhere; none if empty."""
        if not ids:
            return []
        if self.as_array:
            return [{self.name: IdArray(ids)}]
        return [
            {self.name: list(ids[start : start + chunk])} for start in range(0, len(ids), chunk)
        ]


def id_sets(session: Session, ids: Sequence[int], *, chunk: int) -> Iterator[IdSet]:
    """``ids`` as one set on PostgreSQL, in sets of at most ``chunk`` elsewhere; none if empty."""
    if not ids:
        return
    if _reads_arrays(session):
        yield IdSet(ids, as_array=True)
        return
    for start in range(0, len(ids), chunk):
        yield IdSet(ids[start : start + chunk], as_array=False)


def among(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], ids: Sequence[int]
) -> ColumnElement[bool]:
    """``column`` is one of ``ids``, as the session's dialect reads them best (callers that may
    run on SQLite bound the ids, as ``id_sets`` does)."""
    return IdSet(ids, as_array=_reads_arrays(session)).among(column)


def _reads_arrays(session: Session) -> bool:
    """Whether the session's database takes ids as one array (PostgreSQL) rather than a list."""
    return session.get_bind().dialect.name == "postgresql"
