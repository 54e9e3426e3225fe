"""One app per test database for the API tests, instead of one per test.

Building the app (dependency analysis of every route, then the access check walking them again)
costs ~0.3 s and grows with each router; the API tests would spend most of their time on it. The
app is wired to whichever test session is current, with the same savepoint-per-request unit of
work as the app fixture of ``tests/conftest.py``, and reset after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from fengkong.api.deps import unit_of_work
from fengkong.app import create_app
from fengkong.db import Database
from fengkong.settings import get_settings
from tests.request_sessions import savepoint_unit_of_work


class _CurrentSession:
    session: Session | None = None


@pytest.fixture(scope="session")
def _shared_app(database: Database) -> tuple[FastAPI, _CurrentSession]:
    application = create_app(database=database, settings=get_settings())
    current = _CurrentSession()

    def _current() -> Session:
        assert current.session is not None, "the shared app is used outside a test"
        return current.session

    application.dependency_overrides[unit_of_work] = savepoint_unit_of_work(_current)
    return application, current


@pytest.fixture
def app(_shared_app: tuple[FastAPI, _CurrentSession], session: Session) -> Iterator[FastAPI]:
    """The shared app, with whatever a test changes on it (``app.state``, dependency overrides)
    put back afterwards, so no test sees another's configuration."""
    application, current = _shared_app
    state = dict(application.state._state)
    overrides = dict(application.dependency_overrides)
    current.session = session
    yield application
    current.session = None
    application.state._state.clear()
    application.state._state.update(state)
    application.dependency_overrides.clear()
    application.dependency_overrides.update(overrides)
