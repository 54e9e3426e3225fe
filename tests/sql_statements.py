"""Which SQL statements a piece of work sends: for tests that pin how many round trips a hot path
costs (a count that grows with the rows handled is the regression they catch)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session


def statements_sent(session: Session, work: Callable[[], object]) -> list[str]:
    """The SQL text of every statement ``work`` sends on the session's connection, in order."""
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    bind = session.connection()
    event.listen(bind, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(bind, "before_cursor_execute", record)
    return sent
