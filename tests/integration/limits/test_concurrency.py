"""Two approvers of a two-approval request deciding at the same moment, on PostgreSQL with real
connections and commits: the second waits for the first and then completes the approval, so the
limit is granted once — neither sees "no approval yet" and leaves the request hanging."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.limits import service
from fengkong.limits.models import CreditLimit, LimitRequest, LimitRequestDecision
from fengkong.limits.status import Decision, LimitStatus, RequestKind, RequestStatus
from tests import factories
from tests.conftest import migrated_database
from tests.integration.limits.conftest import TODAY, cny, graded_customer
from tests.personas import Personas, create_personas

WAIT_SECONDS = 20


@pytest.fixture
def committed_database(tmp_path: Path) -> Iterator[Database]:
    with migrated_database("postgresql", tmp_path) as database:
        yield database


def _setup(database: Database) -> tuple[Personas, int]:
    system = Actor.system("test")
    with database.session_scope(actor=system) as session:
        factories.bind(session)
        try:
            personas = create_personas(session)
            customer = graded_customer(session, "D")  # D: committee tier, two approvals
            request = service.request_limit(
                session,
                personas.sam_sales.actor,
                customer_id=customer.id,
                kind=RequestKind.NEW,
                amount=cny("50000"),
                justification="试单",
                today=TODAY,
            )
            assert request.required_approvals == 2
            return personas, request.id
        finally:
            factories.bind(None)


def _lock_waiters(database: Database) -> int:
    with database.engine.connect() as connection:
        return len(
            list(
                connection.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            )
        )


def test_two_simultaneous_approvals_grant_the_limit_exactly_once(
    committed_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = committed_database
    personas, request_id = _setup(database)
    inside = threading.Event()
    release = threading.Event()
    read_decisions = service._decisions

    def slow_decisions(session: Session, request_id: int) -> list[LimitRequestDecision]:
        found = read_decisions(session, request_id)
        if not inside.is_set():  # the first approver pauses with the request locked
            inside.set()
            assert release.wait(WAIT_SECONDS)
        return found

    monkeypatch.setattr(service, "_decisions", slow_decisions)

    def approve(actor: Actor) -> RequestStatus:
        with database.session_scope(actor=actor) as session:
            decided = service.decide_limit_request(
                session, actor, request_id=request_id, decision=Decision.APPROVE, today=TODAY
            )
            return decided.status

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(approve, personas.bob_manager.actor)
        assert inside.wait(WAIT_SECONDS)
        second = pool.submit(approve, personas.adam_admin.actor)
        deadline = time.monotonic() + WAIT_SECONDS
        while _lock_waiters(database) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _lock_waiters(database) == 1  # the second approver waits on the request's row
        release.set()
        statuses = [first.result(WAIT_SECONDS), second.result(WAIT_SECONDS)]

    assert statuses == [RequestStatus.SUBMITTED, RequestStatus.APPROVED]
    with database.session_scope(actor=Actor.system("test")) as session:
        request = session.get(LimitRequest, request_id)
        assert request is not None
        assert request.status is RequestStatus.APPROVED
        limits = session.scalars(
            select(CreditLimit).where(CreditLimit.customer_id == request.customer_id)
        ).all()
        assert [(row.amount, row.status) for row in limits] == [(cny("50000"), LimitStatus.ACTIVE)]
