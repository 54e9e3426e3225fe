"""Hot statements run on psycopg's cursor, skipping SQLAlchemy's per-execution work.

The order credit check reads its facts in a few Core statements and inserts its order and
check on every order. On PostgreSQL, SQLAlchemy's path from ``execute`` to the cursor and back
(cache key, execution context, parameter processing, result metadata, psycopg's column
descriptions, row objects) costs about 0.3 ms of CPU a statement over the cursor's own
``execute`` and ``fetchall`` — measured, about three times the driver's cost
(``docs/performance.md``).

SQLAlchemy still decides everything: a statement is built and compiled by it, and its first
execution in a process (for an insert: of each table and set of columns) goes through it; the
SQL and the parameters it sent are kept. Later executions send that SQL again — only when the
first one proved the values can be reproduced:

- ``rows`` (reads) sends the kept parameters with the caller's values in place, when SQLAlchemy
  sent the caller's values unchanged and their types have no bind processor (no renamed or
  expanded parameters either; values the statement does not take are ignored, as SQLAlchemy
  ignores them). Rows come back as the driver's tuples, without result processing: callers
  convert what needs it (enums from their stored values). For an actor whose reads are scoped
  it is always ``Session.execute`` (the ORM adds the scope's criteria), and it flushes first,
  as ``Session.execute`` would.
- ``insert_key`` (one row, ``RETURNING`` its primary key) converts each value with its column
  type's own bind processor, when that reproduced exactly what SQLAlchemy sent.

Otherwise, and on other databases, every execution goes through SQLAlchemy. Used within a
transaction whose connection was just checked out (pinged if it sat idle) or already used. The
connection's ``before_cursor_execute`` listeners still see each statement, and a driver error is
raised as SQLAlchemy's, as it would have been.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from threading import Lock
from typing import Any, TypeAlias

import psycopg
from psycopg.types.json import Json, Jsonb
from sqlalchemy import CompoundSelect, Insert, Select, Table, event, exc, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from fengkong.access.scope import scoped_actor


@dataclass(frozen=True, slots=True)
class _Replay:
    sql: str
    fixed: Mapping[str, Any]
    """The statement's own parameters (literals, expanded lists) as SQLAlchemy sent them."""
    names: tuple[str, ...]
    """The caller's values the statement takes (SQLAlchemy ignores the others, as here)."""

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.fixed, **{name: values[name] for name in self.names}}


_NOT_REPLAYABLE = object()
Read: TypeAlias = "Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]"
_replays: dict[int, tuple[Read, _Replay | object]] = {}
_replays_lock = Lock()
MAX_LEARNT = 256
"""Statements learnt a process at most: a statement built per call (a misuse) would otherwise
keep every one alive; past this, new ones simply go through the session."""


def rows(session: Session, statement: Read, values: Mapping[str, Any]) -> Sequence[Any]:
    """All rows of ``statement`` with ``values``: the driver's tuples on the fast path, else
    SQLAlchemy's rows (see the module docstring). ``statement`` must be built once per process
    (its identity is the key of what its first execution taught)."""
    if scoped_actor(session) is not None or session.get_bind().dialect.driver != "psycopg":
        return session.execute(statement, values).all()
    if session.autoflush:
        session.flush()  # as ``Session.execute`` would: the read sees the unit of work's changes
    known = _replays.get(id(statement))
    if known is None and len(_replays) < MAX_LEARNT:
        return _first(session, statement, values)
    if known is not None and isinstance(replay := known[1], _Replay):
        return _on_cursor(session.connection(), replay.sql, replay.parameters(values))
    return session.execute(statement, values).all()


def _first(session: Session, statement: Read, values: Mapping[str, Any]) -> Sequence[Any]:
    connection = session.connection()
    with _sent_on(connection) as sent:
        found = session.execute(statement, values).all()
    processed = _processed_names(statement, connection.dialect)
    with _replays_lock:
        _replays[id(statement)] = (statement, _replay_of(sent, values, processed))
    return found


def _processed_names(statement: Read, dialect: Dialect) -> frozenset[str]:
    """The statement's parameters whose type converts values on their way to the driver: a
    replay could not send them as given, even where the first value came out unchanged."""
    binds = statement.compile(dialect=dialect).binds
    return frozenset(
        name
        for name, bind in binds.items()
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None
    )


@contextmanager
def _sent_on(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The SQL and parameters SQLAlchemy sends on ``connection`` meanwhile."""
    sent: list[tuple[str, Any]] = []

    def keep(_connection: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        sent.append((sql, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", keep)


def _replay_of(
    sent: list[tuple[str, Any]], values: Mapping[str, Any], processed: frozenset[str]
) -> _Replay | object:
    """What to send again, if SQLAlchemy sent one statement with the caller's values as given
    and none of them goes through a bind processor."""
    if len(sent) != 1 or not isinstance(sent[0][1], Mapping):
        return _NOT_REPLAYABLE
    sql, parameters = sent[0]
    if not all(name.isidentifier() for name in values):
        return _NOT_REPLAYABLE  # SQLAlchemy escapes other names: absent would not mean unused
    names = tuple(name for name in values if name in parameters)
    if processed.intersection(names):
        return _NOT_REPLAYABLE
    for name in names:
        given, value = parameters[name], values[name]
        if type(given) is not type(value) or given != value:
            return _NOT_REPLAYABLE
    fixed = {name: value for name, value in parameters.items() if name not in values}
    return _Replay(sql, fixed, names)


def _on_cursor(connection: Connection, sql: str, parameters: dict[str, Any]) -> list[Any]:
    # The events dispatcher is how SQLAlchemy itself calls the listeners of a statement.
    dispatch = connection.dispatch
    driver_connection = connection.connection.driver_connection
    assert isinstance(driver_connection, psycopg.Connection)  # noqa: S101 - dialect checked
    with driver_connection.cursor() as cursor:
        dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
        try:
            cursor.execute(sql, parameters)
            found = cursor.fetchall()
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(
                sql, parameters, error, psycopg.Error, dialect=connection.dialect
            ) from error
        dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, False)
    return found


@dataclass(frozen=True, slots=True)
class _InsertReplay:
    sql: str
    processors: tuple[tuple[str, Callable[[Any], Any] | None], ...]

    def parameters(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: row[name] if process is None else process(row[name])
            for name, process in self.processors
        }


_inserts: dict[tuple[Table, frozenset[str]], _InsertReplay | object] = {}


def insert_key(session: Session, table: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Insert one row of ``table`` (values by column key) and return its primary key's values:
    ``INSERT … RETURNING``, on the cursor once that is proven equivalent (module docstring)."""
    connection = session.connection()
    statement = _returning_key(table)
    if connection.dialect.driver != "psycopg":
        return tuple(connection.execute(statement, row).one())
    shape = (table, frozenset(row))
    known = _inserts.get(shape)
    if known is None:
        with _sent_on(connection) as sent:
            key = tuple(connection.execute(statement, row).one())
        with _replays_lock:
            _inserts[shape] = _insert_replay_of(connection.dialect, table, sent, row)
        return key
    if not isinstance(known, _InsertReplay):
        return tuple(connection.execute(statement, row).one())
    (key_row,) = _on_cursor(connection, known.sql, known.parameters(row))
    return tuple(key_row)


@cache
def _returning_key(table: Table) -> Insert:
    return insert(table).returning(*table.primary_key.columns)


def _insert_replay_of(
    dialect: Dialect, table: Table, sent: list[tuple[str, Any]], row: Mapping[str, Any]
) -> _InsertReplay | object:
    """What to send again, if each column type's bind processor gives what SQLAlchemy sent."""
    if len(sent) != 1 or not isinstance(sent[0][1], Mapping) or set(sent[0][1]) != set(row):
        return _NOT_REPLAYABLE
    sql, parameters = sent[0]
    processors: list[tuple[str, Callable[[Any], Any] | None]] = []
    for name, value in row.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if not _same(value if process is None else process(value), parameters[name]):
            return _NOT_REPLAYABLE
        processors.append((name, process))
    return _InsertReplay(sql, tuple(processors))


def _same(ours: Any, sent: Any) -> bool:
    """Equal values of one type; psycopg's JSON wrappers compare by the document they wrap."""
    if type(ours) is not type(sent):
        return False
    if isinstance(ours, Json | Jsonb):
        return bool(ours.obj == sent.obj)
    return bool(ours == sent)
