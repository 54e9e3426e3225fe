"""Hot statements run on psycopg's cursor, skipping SQLAlchemy's per-execution work.

The order credit check reads its facts in a few Core statements and inserts its order and
check on every order. On PostgreSQL, SQLAlchemy's path from ``execute`` to the cursor and back
(cache key, execution context, parameter processing, result metadata, psycopg's column
descriptions, row objects) costs about 0.3 ms of CPU a statement over the cursor's own
``execute`` and ``fetchall`` — measured, about three times the driver's cost
(``docs/performance.md``).

SQLAlchemy still decides everything: a statement is built and compiled by it, and its first
execution in a process (for an insert: of each table and set of columns) goes through it; the
SQL and the parameters it sent are kept. Later executions send that SQL again, with the
statement's own parameters as they were sent and each caller's value converted by its type's
own bind processor — only when that reproduced exactly what SQLAlchemy sent the first time (and
no parameter is renamed, expanded or computed anew at each execution, as a Python-side default
is). Otherwise, and on other databases, every execution goes through SQLAlchemy.

- ``rows`` (reads): rows come back as the driver's tuples, without result processing: callers
  convert what needs it (enums from their stored values). Values the statement does not take
  are ignored, as SQLAlchemy ignores them. For an actor whose reads are scoped it is always
  ``Session.execute`` (the ORM adds the scope's criteria), and it flushes first, as
  ``Session.execute`` would.
- ``records`` (reads whose fields are read by name): ``rows`` as named tuples, enum columns as
  their members and timestamps in UTC on both paths, as SQLAlchemy would convert them; a
  statement with a column of another ``TypeDecorator`` is refused. ``records_by_ids``: the same
  for a statement filtered on many ids (one array on PostgreSQL, chunks elsewhere).
- ``execute`` (a Core write that returns nothing: the audit entries and events of a flush).
- ``insert_key`` (one row, ``RETURNING`` its primary key).

Used within a transaction whose connection was just checked out (pinged if it sat idle) or
already used. The connection's ``before_cursor_execute`` listeners still see each statement, and
a driver error is raised as SQLAlchemy's, as it would have been.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from threading import Lock
from typing import Any, TypeAlias

import psycopg
from psycopg.types.json import Json, Jsonb
from sqlalchemy import CompoundSelect, Insert, Select, Table, TypeDecorator, event, exc, insert
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import Compiled, SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from fengkong.access.scope import scoped_actor
from fengkong.db import UTCDateTime
from fengkong.kit.id_sets import IdsParameter

Processor: TypeAlias = "Callable[[Any], Any] | None"


@dataclass(frozen=True, slots=True)
class _Replay:
    sql: str
    fixed: Mapping[str, Any]
    """The statement's own parameters (its literals) as SQLAlchemy sent them."""
    processors: tuple[tuple[str, Processor], ...]
    """The caller's values the statement takes (SQLAlchemy ignores the others, as here), each
    with its type's bind processor."""

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        sent = dict(self.fixed)
        for name, process in self.processors:
            value = values[name]
            sent[name] = value if process is None else process(value)
        return sent


_NOT_REPLAYABLE = object()
Read: TypeAlias = "Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]"
Statement: TypeAlias = "UpdateBase | Read"
_replays: dict[Hashable, tuple[object, _Replay | object]] = {}
"""What each statement's first execution taught, by statement identity (an insert: by table and
columns), with the statement or table kept alive so that its identity is not reused."""
_replays_lock = Lock()
MAX_LEARNT = 256
"""Statements learnt a process at most: a statement built per call (a misuse) would otherwise
keep every one alive; past this, new ones simply go through SQLAlchemy."""


def rows(session: Session, statement: Read, values: Mapping[str, Any]) -> Sequence[Any]:
    """All rows of ``statement`` with ``values``: the driver's tuples on the fast path, else
    SQLAlchemy's rows (see the module docstring). ``statement`` must be built once per process
    (its identity is the key of what its first execution taught)."""
    if scoped_actor(session) is not None or session.get_bind().dialect.driver != "psycopg":
        return session.execute(statement, values).all()
    if session.autoflush:
        session.flush()  # as ``Session.execute`` would: the read sees the unit of work's changes
    return _run(
        session.connection(),
        (id(statement), statement),
        values,
        lambda: session.execute(statement, values).all(),
        fetch=True,
    )


def records(session: Session, statement: Read, values: Mapping[str, Any]) -> list[Any]:
    """``rows`` as named tuples (fields named as the statement's columns), enum columns as their
    members and timestamps in UTC whichever path the rows took. ``statement`` is built once per
    process, as for ``rows``."""
    shape = _record_shape(statement)
    found = rows(session, statement, values)
    if not shape.converters:
        return list(map(shape.make, found))
    made: list[Any] = []
    for row in found:
        fields = list(row)
        for index, convert in shape.converters:
            if fields[index] is not None:
                fields[index] = convert(fields[index])
        made.append(shape.make(fields))
    return made


def records_by_ids(
    session: Session,
    statement_of: Callable[[IdsParameter], Read],
    ids: Sequence[int],
    values: Mapping[str, Any],
    *,
    chunk: int,
) -> list[Any]:
    """``records`` of the statement ``statement_of`` builds around the dialect's id filter, for
    ``ids`` (one execution on PostgreSQL, one a ``chunk`` elsewhere) with ``values``.
    ``statement_of`` answers the same statement for the same filter (``functools.cache``)."""
    by_ids = IdsParameter.of(session)
    statement = statement_of(by_ids)
    found: list[Any] = []
    for bound in by_ids.bound(ids, chunk=chunk):
        found.extend(records(session, statement, {**values, **bound}))
    return found


@dataclass(frozen=True, slots=True)
class _RecordShape:
    make: Callable[[Iterable[Any]], Any]
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]
    """Each converted column's index and how (idempotent: a row that came through SQLAlchemy
    holds converted values already)."""


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@cache
def _record_shape(statement: Read) -> _RecordShape:
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    names: list[str] = []
    for index, column in enumerate(statement.selected_columns):
        names.append(column.key or f"_{index}")
        column_type = column.type
        if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
            members: dict[Any, Enum] = {}
            for member in column_type.enum_class:
                members[member.value] = member
                members[member] = member
            converters.append((index, members.__getitem__))
        elif isinstance(column_type, UTCDateTime):
            converters.append((index, _in_utc))
        elif isinstance(column_type, TypeDecorator):
            raise TypeError(f"{column.key}: no fast conversion of {type(column_type).__name__}")
    record = namedtuple("Record", names, rename=True)  # type: ignore[misc]
    return _RecordShape(record._make, tuple(converters))


def execute(connection: Connection, statement: Statement, values: Mapping[str, Any]) -> None:
    """Run a statement that returns no rows (a Core write), as ``rows`` runs a read: on the
    cursor once its first execution taught how. No ORM is involved, so no flush and no scope."""
    if connection.dialect.driver != "psycopg":
        connection.execute(statement, values)
        return

    def through_sqlalchemy() -> Sequence[Any]:
        connection.execute(statement, values)
        return []

    _run(connection, (id(statement), statement), values, through_sqlalchemy, fetch=False)


def insert_key(session: Session, table: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Insert one row of ``table`` (values by column key) and return its primary key's values:
    ``INSERT … RETURNING``, on the cursor once that is proven equivalent (module docstring)."""
    connection = session.connection()
    statement = _returning_key(table)
    if connection.dialect.driver != "psycopg":
        return tuple(connection.execute(statement, row).one())
    (key,) = _run(
        connection,
        ((table, frozenset(row)), table),
        row,
        lambda: [connection.execute(statement, row).one()],
        fetch=True,
    )
    return tuple(key)


@cache
def _returning_key(table: Table) -> Insert:
    return insert(table).returning(*table.primary_key.columns)


def _run(
    connection: Connection,
    learnt_as: tuple[Hashable, object],
    values: Mapping[str, Any],
    through_sqlalchemy: Callable[[], Sequence[Any]],
    *,
    fetch: bool,
) -> Sequence[Any]:
    """Replay what the statement's first execution taught (``learnt_as``: its key and the object
    kept alive with it), or run it through SQLAlchemy — learning from it the first time."""
    key, keep_alive = learnt_as
    known = _replays.get(key)
    if known is not None and isinstance(replay := known[1], _Replay):
        return _on_cursor(connection, replay.sql, replay.parameters(values), fetch=fetch)
    if known is not None or len(_replays) >= MAX_LEARNT:
        return through_sqlalchemy()
    with _sent_on(connection) as sent:
        found = through_sqlalchemy()
    learnt = _replay_of(sent, values)
    with _replays_lock:
        _replays[key] = (keep_alive, learnt)
    return found


@dataclass(frozen=True, slots=True)
class _Sent:
    sql: str
    parameters: Any
    compiled: Compiled | None


def _bind_processors(compiled: Compiled | None) -> Mapping[str, Processor] | None:
    """Each bind parameter's processor by name, as SQLAlchemy applied it; ``None`` when a
    parameter's value is decided at each execution (a callable, a default computed in Python),
    which a replay could not send again. (An expanded list is renamed: ``_replay_of``.)"""
    if not isinstance(compiled, SQLCompiler):
        return None
    if compiled.insert_prefetch or compiled.update_prefetch:
        return None
    dialect = compiled.dialect
    processors: dict[str, Processor] = {}
    for name, bind in compiled.binds.items():
        if bind.callable is not None:
            return None
        processors[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
    return processors


@contextmanager
def _sent_on(connection: Connection) -> Iterator[list[_Sent]]:
    """The SQL, parameters and compiled statement SQLAlchemy sends on ``connection`` meanwhile."""
    sent: list[_Sent] = []

    def keep(
        _connection: Any, _cursor: Any, sql: str, parameters: Any, context: Any, *_rest: Any
    ) -> None:
        sent.append(_Sent(sql, parameters, getattr(context, "compiled", None)))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", keep)


def _replay_of(sent: list[_Sent], values: Mapping[str, Any]) -> _Replay | object:
    """What to send again, if SQLAlchemy sent one statement whose every parameter is either
    the statement's own or a caller's value as its type's bind processor makes it."""
    if len(sent) != 1 or not isinstance(sent[0].parameters, Mapping):
        return _NOT_REPLAYABLE
    sql, parameters = sent[0].sql, sent[0].parameters
    processors = _bind_processors(sent[0].compiled)
    if processors is None:
        return _NOT_REPLAYABLE
    if not all(name.isidentifier() for name in values):
        return _NOT_REPLAYABLE  # SQLAlchemy escapes other names: absent would not mean unused
    taken: list[tuple[str, Processor]] = []
    for name, value in values.items():
        if name not in processors:
            continue
        if name not in parameters:
            return _NOT_REPLAYABLE  # renamed on its way to the driver
        process = processors[name]
        if not _same(value if process is None else process(value), parameters[name]):
            return _NOT_REPLAYABLE
        taken.append((name, process))
    fixed = {name: value for name, value in parameters.items() if name not in values}
    return _Replay(sql, fixed, tuple(taken))


def _on_cursor(
    connection: Connection, sql: str, parameters: dict[str, Any], *, fetch: bool
) -> list[Any]:
    # The events dispatcher is how SQLAlchemy itself calls the listeners of a statement.
    dispatch = connection.dispatch
    driver_connection = connection.connection.driver_connection
    assert isinstance(driver_connection, psycopg.Connection)  # noqa: S101 - dialect checked
    with driver_connection.cursor() as cursor:
        dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
        try:
            cursor.execute(sql, parameters)
            found = cursor.fetchall() if fetch else []
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(
                sql, parameters, error, psycopg.Error, dialect=connection.dialect
            ) from error
        dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, False)
    return found


def _same(ours: Any, sent: Any) -> bool:
    """Equal values of one type; psycopg's JSON wrappers compare by the document they wrap."""
    if type(ours) is not type(sent):
        return False
    if isinstance(ours, Json | Jsonb):
        return bool(ours.obj == sent.obj)
    return bool(ours == sent)
