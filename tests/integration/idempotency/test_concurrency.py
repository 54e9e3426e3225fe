"""Two requests with one Idempotency-Key at the same time, on PostgreSQL with real connections and
real commits (not the rolled-back test session): the second waits for the first, then replays it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from fengkong.app import create_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import ApiToken
from fengkong.auth.roles import Role
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.db import Database
from fengkong.events.models import Event
from fengkong.kit.time import utcnow
from fengkong.settings import get_settings
from tests import factories
from tests.conftest import migrated_database

WAIT_SECONDS = 20


@pytest.fixture
def committed_database(tmp_path: Path) -> Iterator[Database]:
    with migrated_database("postgresql", tmp_path) as database:
        yield database


def _token(database: Database) -> str:
    system = Actor.system("test")
    with database.session_scope(actor=system) as session:
        auth_service.create_user(
            session, system, username="alice", role=Role.CREDIT_ANALYST, password="x" * 12
        )
        token = auth_service.create_token(session, system, username="alice")
        # A token used a moment ago is not touched again, so neither request locks its row and
        # the only thing the second can wait on is the idempotency key.
        for record in session.scalars(select(ApiToken)):
            record.last_used_at = utcnow()
    return token


def _waiting_on_a_lock(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return list(
            connection.scalars(
                text(
                    "SELECT query FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


def test_a_concurrent_retry_waits_for_the_first_request_then_replays_it(
    committed_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = committed_database
    headers = {"Authorization": f"Bearer {_token(database)}", "Idempotency-Key": "retry-race"}
    payload = {"uscc": factories.make_uscc(4242), "name": "并发重试有限公司"}
    inside = threading.Event()
    release = threading.Event()
    create_customer = customers_service.create_customer

    def held_create(*args: Any, **kwargs: Any) -> Customer:
        inside.set()
        assert release.wait(WAIT_SECONDS)
        return create_customer(*args, **kwargs)

    monkeypatch.setattr(customers_service, "create_customer", held_create)
    app = create_app(database=database, settings=get_settings())
    with (
        TestClient(app) as first_client,
        TestClient(app) as second_client,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        first = pool.submit(first_client.post, "/api/v1/customers", headers=headers, json=payload)
        assert inside.wait(WAIT_SECONDS), "the first request never reached the write"
        second = pool.submit(second_client.post, "/api/v1/customers", headers=headers, json=payload)
        deadline = time.monotonic() + WAIT_SECONDS
        while not (waiting := _waiting_on_a_lock(database)):
            assert time.monotonic() < deadline, "the second request never waited"
            time.sleep(0.02)
        assert "idempotency_keys" in waiting[0]
        release.set()
        first_response = first.result(WAIT_SECONDS)
        second_response = second.result(WAIT_SECONDS)

    assert (first_response.status_code, second_response.status_code) == (201, 201)
    assert second_response.json() == first_response.json()
    assert second_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first_response.headers
    with database.session_scope(actor=Actor.system("test")) as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        created = select(func.count()).where(Event.event_type == "customer_created")
        assert session.scalar(created) == 1
