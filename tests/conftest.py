"""Shared fixtures: every database test runs once on SQLite and once on PostgreSQL.

Each pytest process migrates a throw-away SQLite file and a throw-away PostgreSQL database once,
then runs each test inside a transaction that is rolled back, so tests never see each other's rows.
Where ``CI`` is set PostgreSQL is required; elsewhere its tests are skipped if it is unreachable.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["FENGKONG_PASSWORD_TIME_COST"] = "1"
os.environ["FENGKONG_PASSWORD_MEMORY_COST_KIB"] = "8"
os.environ.setdefault("FENGKONG_SECRET_KEY", "test-secret-key-not-for-production")
# Personal-data keys (fengkong.privacy.keys): two data keys, "t1" current, and a blind-index key.
os.environ.setdefault(
    "FENGKONG_DATA_KEYS",
    "t1:dGVzdC1kYXRhLWtleS1vbmUtMzItYnl0ZXMtbG9uZyE=,t0:dGVzdC1kYXRhLWtleS16ZXJvLTMyLWJ5dGVzLWxvbmc=",
)
os.environ.setdefault("FENGKONG_DATA_KEY_ID", "t1")
os.environ.setdefault(
    "FENGKONG_BLIND_INDEX_KEY", "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtbG9uZw=="
)

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fengkong.api.deps import unit_of_work
from fengkong.app import create_app
from fengkong.auth.actor import Actor
from fengkong.database import open_database, upgrade
from fengkong.db import Database
from fengkong.logs import QUIET_LOGGERS, mask_record
from fengkong.settings import Settings, get_settings
from tests import factories
from tests.personas import Personas, create_personas
from tests.planted import PLANTED_VALUES
from tests.request_sessions import savepoint_unit_of_work

get_settings.cache_clear()


class PlantedValueWatch(logging.Handler):
    """Reads every log record of the run as the app's handlers would write it (through the same
    masking filter) and notes any planted personal value or password that survives.

    It masks a copy: filters rewrite records in place, and caplog must keep seeing the original.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        copy = logging.makeLogRecord(record.__dict__)
        mask_record(copy)
        text = self.format(copy)
        for kind, value in PLANTED_VALUES.items():
            if value in text:
                self.leaks.append(f"{kind} {value!r} in a {record.levelname} of {record.name}")


@pytest.fixture(scope="session", autouse=True)
def planted_values_stay_out_of_logs() -> Iterator[None]:
    """Watch every log record of the session (each xdist worker its own share) and fail at the
    end, naming each leak, if a planted value reached the logs. A teardown error rather than an
    exit status, so xdist reports it too."""
    watch = PlantedValueWatch()
    root = logging.getLogger()
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
    yield
    root.removeHandler(watch)
    root.setLevel(level)
    if watch.leaks:
        leaks = "\n".join(sorted(set(watch.leaks)))
        pytest.fail(f"personal data found in logs:\n{leaks}", pytrace=False)


POSTGRES_ADMIN_URL = os.environ.get(
    "FENGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _create_postgres_database(template: str | None = None) -> tuple[str, str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"fengkong_test_{uuid.uuid4().hex[:12]}"
    copying = "" if template is None else f' TEMPLATE "{template}"'
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copying}'))
    except Exception as exc:
        if _postgres_required():
            raise RuntimeError(f"CI is set but PostgreSQL is unreachable: {exc}") from exc
        pytest.skip("PostgreSQL is not reachable (set CI=true to make this an error)")
    finally:
        admin.dispose()
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def throwaway_database_url(backend: str, directory: Path) -> Iterator[str]:
    """An empty database on ``backend``, dropped afterwards: an SQLite file in ``directory``, or a
    fresh PostgreSQL database (skipped when unreachable, unless CI is set)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'fengkong.db'}"
        return
    name, url = _create_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(name)


class _MigratedTemplates:
    """A database per backend migrated once a process, for tests that need a migrated database of
    their own: copying it (PostgreSQL's ``CREATE DATABASE … TEMPLATE``, a file copy on SQLite)
    takes ~0.1 s where running the migrations takes 1–2 s."""

    def __init__(self) -> None:
        self._sqlite_file: Path | None = None
        self._postgres_name: str | None = None

    def sqlite_file(self) -> Path:
        if self._sqlite_file is None:
            self._sqlite_file = Path(tempfile.mkdtemp(prefix="fengkong-template-")) / "fengkong.db"
            upgrade(f"sqlite:///{self._sqlite_file}")
        return self._sqlite_file

    def postgres_name(self) -> str:
        if self._postgres_name is None:
            name, url = _create_postgres_database()
            upgrade(url)
            self._postgres_name = name
        return self._postgres_name

    def drop(self) -> None:
        if self._postgres_name is not None:
            _drop_postgres_database(self._postgres_name)
        if self._sqlite_file is not None:
            shutil.rmtree(self._sqlite_file.parent, ignore_errors=True)


_TEMPLATES = _MigratedTemplates()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _TEMPLATES.drop()


@contextmanager
def migrated_database_url(backend: str, directory: Path) -> Iterator[str]:
    """As ``throwaway_database_url``, with the schema at the head of the migrations."""
    if backend == "sqlite":
        yield migrated_sqlite_url(directory)
        return
    name, url = _create_postgres_database(template=_TEMPLATES.postgres_name())
    try:
        yield url
    finally:
        _drop_postgres_database(name)


@contextmanager
def migrated_database(backend: str, directory: Path, **engine_kwargs: Any) -> Iterator[Database]:
    """A ``migrated_database_url`` opened as the app opens one (its URL is ``.url``), disposed
    afterwards: what the tests that commit for real work on."""
    with migrated_database_url(backend, directory) as url:
        database = open_database(url, **engine_kwargs)
        try:
            yield database
        finally:
            database.dispose()


def migrated_sqlite_url(directory: Path, file_name: str = "fengkong.db") -> str:
    """A migrated SQLite file in ``directory`` (removed with it)."""
    target = directory / file_name
    shutil.copyfile(_TEMPLATES.sqlite_file(), target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated throw-away database on each backend, shared by the tests of one process (a
    copy of the process's migrated template: the migrations run once a process and backend)."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as database:
        yield database


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session whose work is rolled back after the test, whatever it committed."""
    connection = database.engine.connect()
    transaction = connection.begin()
    session = database.session_factory(bind=connection, join_transaction_mode="create_savepoint")
    session.info["actor"] = Actor.system("test")
    factories.bind(session)
    try:
        yield session
    finally:
        factories.bind(None)
        session.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture
def personas(session: Session) -> Personas:
    return create_personas(session)


class _CurrentSession:
    session: Session | None = None


@pytest.fixture(scope="session")
def _shared_app(database: Database) -> tuple[FastAPI, _CurrentSession]:
    """One app per test database, not one per test: building it (FastAPI's dependency analysis of
    every route, then the access check walking them again) costs ~1 s on a slow machine and grows
    with each router; the API and web tests would spend most of their time on it."""
    application = create_app(database=database, settings=get_settings())
    current = _CurrentSession()

    def _current() -> Session:
        assert current.session is not None, "the shared app is used outside a test"
        return current.session

    application.dependency_overrides[unit_of_work] = savepoint_unit_of_work(_current)
    return application, current


@pytest.fixture
def app(_shared_app: tuple[FastAPI, _CurrentSession], session: Session) -> Iterator[FastAPI]:
    """The app wired to the test's session: each request runs in a savepoint of it, so a failed
    request rolls back its own writes, as a real request's transaction would. Whatever a test
    changes on it (``app.state``, dependency overrides) is put back afterwards, so no test sees
    another's configuration."""
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


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def settings() -> Settings:
    return get_settings()
