"""Hot reads run on psycopg's cursor, skipping SQLAlchemy's per-execution work.

The order credit check reads its facts in a few Core statements on every order. On PostgreSQL,
SQLAlchemy's path from ``Session.execute`` to the cursor and back (cache key, execution context,
parameter processing, result metadata, psycopg's column descriptions, row objects) costs about
0.3 ms of CPU a statement over the cursor's own ``execute`` and ``fetchall`` — measured, about
three times the driver's cost (``docs/performance.md``).

``rows`` keeps SQLAlchemy where it decides anything: the statement is built and compiled by it,
and its first execution in a process goes through ``Session.execute``; the SQL and the
parameters it sent are kept. Later executions send that SQL with the kept parameters and the
caller's own values in place — only when the first execution showed that SQLAlchemy sent the
caller's values unchanged (no bind processing, no renamed or expanded parameters; values the
statement does not take are ignored, as SQLAlchemy ignores them); otherwise every execution goes
through the session. Rows come back as the driver's tuples, without result
processing: callers convert what needs it (enums from their stored values).

Used only within a transaction that has already run a statement through the session (its
connection was checked out and proven alive there), for an actor whose reads are not scoped
(a scoped actor's reads keep the ORM's scope criteria), and on PostgreSQL; elsewhere ``rows`` is
``Session.execute``. The connection's ``before_cursor_execute`` listeners still see each
statement, and a driver error is raised as SQLAlchemy's, as it would have been.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

import psycopg
from sqlalchemy import Executable, event, exc
from sqlalchemy.engine import Connection
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
_replays: dict[int, tuple[Executable, _Replay | object]] = {}
_replays_lock = Lock()


def rows(session: Session, statement: Executable, values: Mapping[str, Any]) -> Sequence[Any]:
    """All rows of ``statement`` with ``values``: the driver's tuples on the fast path, else
    SQLAlchemy's rows (see the module docstring). ``statement`` must be built once per process
    (its identity is the key of what its first execution taught)."""
    if scoped_actor(session) is not None or session.get_bind().dialect.driver != "psycopg":
        return session.execute(statement, values).all()
    if session.autoflush:
        session.flush()  # as ``Session.execute`` would: the read sees the unit of work's changes
    known = _replays.get(id(statement))
    if known is None:
        return _first(session, statement, values)
    replay = known[1]
    if not isinstance(replay, _Replay):
        return session.execute(statement, values).all()
    return _on_cursor(session.connection(), replay.sql, replay.parameters(values))


def _first(session: Session, statement: Executable, values: Mapping[str, Any]) -> Sequence[Any]:
    sent: list[tuple[str, Any]] = []

    def keep(_connection: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        sent.append((sql, parameters))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", keep)
    try:
        found = session.execute(statement, values).all()
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    with _replays_lock:
        _replays[id(statement)] = (statement, _replay_of(sent, values))
    return found


def _replay_of(sent: list[tuple[str, Any]], values: Mapping[str, Any]) -> _Replay | object:
    """What to send again, if SQLAlchemy sent one statement with the caller's values as given."""
    if len(sent) != 1 or not isinstance(sent[0][1], Mapping):
        return _NOT_REPLAYABLE
    sql, parameters = sent[0]
    if not all(name.isidentifier() for name in values):
        return _NOT_REPLAYABLE  # SQLAlchemy escapes other names: absent would not mean unused
    names = tuple(name for name in values if name in parameters)
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
            raise exc.DBAPIError.instance(sql, parameters, error, psycopg.Error) from error
        dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, False)
    return found
