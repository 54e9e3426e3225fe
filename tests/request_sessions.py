"""The unit of work the test apps use instead of ``fengkong.api.deps.unit_of_work``: each request
runs in a savepoint of the test's session, so the test sees what a request wrote and a failed
request rolls back its own writes, as a real request's transaction would."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session


def savepoint_unit_of_work(current: Callable[[], Session]) -> Callable[[], Iterator[Session]]:
    def unit_of_work() -> Iterator[Session]:
        session = current()
        # A request sets its own actor (and so its access scope) on the session; the test's own
        # reads and writes after it go on as the test's actor.
        outer = {key: session.info.get(key) for key in ("actor", "provenance")}
        savepoint = session.begin_nested()
        try:
            yield session
            if savepoint.is_active:
                savepoint.commit()
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            elif session.in_transaction():
                # The request committed part of its work (a token's last-use mark, a route
                # committing in its hop): what it did since then rolls back, as in production.
                session.rollback()
            raise
        finally:
            session.info.update(outer)

    return unit_of_work
