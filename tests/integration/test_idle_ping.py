"""PostgreSQL connections are pinged at checkout only after sitting idle (``db.ping_after_idle``):
a dead idle connection is replaced before anyone uses it, and a busy pool pays no round trip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from fengkong import db
from tests.conftest import POSTGRES_ADMIN_URL, throwaway_database_url


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    with throwaway_database_url("postgresql", tmp_path) as url:
        yield url


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.execute(text(f"SELECT pg_terminate_backend({pid})")).scalar_one()
    finally:
        admin.dispose()


@contextmanager
def _pool_of_one_dead_connection(
    url: str, monkeypatch: pytest.MonkeyPatch, idle_seconds: float
) -> Iterator[tuple[Engine, int]]:
    """An engine made as the app makes it, whose one pooled connection's backend was killed."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", idle_seconds)
    engine = db.make_engine(url, pool_size=1, max_overflow=0)
    try:
        dead = _backend_pid(engine)
        _terminate(dead)
        yield engine, dead
    finally:
        engine.dispose()


def test_a_dead_connection_idle_past_the_window_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _pool_of_one_dead_connection(postgres_url, monkeypatch, 0.0) as (engine, dead):
        assert _backend_pid(engine) != dead


def test_a_connection_back_within_the_window_is_handed_on_without_a_ping(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _pool_of_one_dead_connection(postgres_url, monkeypatch, 3600.0) as (engine, dead):
        # Not pinged, so the statement meets the dead connection: the documented price.
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        # The disconnect was recognised and the connection discarded: the next one is new.
        assert _backend_pid(engine) != dead
