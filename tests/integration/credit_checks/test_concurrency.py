"""Fifty orders of one customer checked at the same time, through the real app and database
(each request its own connection and transaction): together they exceed the available credit,
and the approved total never does. Checks of one customer take turns on the customer's
credit-account row (a row lock on PostgreSQL, the write lock on SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from fengkong import recorders
from fengkong.app import create_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.credit_checks import configs, repository, service
from fengkong.customers.models import Customer
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.kit.money import Money
from fengkong.orders.models import Order
from fengkong.receivables.models import Invoice
from fengkong.settings import get_settings
from tests.conftest import BACKENDS, migrated_database
from tests.factories import make_uscc
from tests.integration.credit_checks.conftest import DAY, World

ORDERS = 50
ORDER_YUAN = 1_000  # 50 × ¥1,000 = ¥50,000 asked against ¥40,000 available


@pytest.fixture(params=BACKENDS)
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own whose rows are committed, as concurrent requests need."""
    with migrated_database(request.param, tmp_path, pool_size=ORDERS, max_overflow=0) as database:
        yield database


def _customer_owing_60000(database: Database, world: World, serial: int) -> tuple[int, str]:
    """A customer with ¥60,000 open against a ¥100,000 limit, and an ERP's token."""
    system = Actor.system("test")
    with database.session_scope(actor=system) as session:
        customer = Customer(
            uscc=make_uscc(serial),
            name=f"并发测试{serial}有限公司",
            industry_code="F51",
            region_code="310000",
        )
        session.add(customer)
        session.flush()
        session.add(
            Invoice(
                customer_id=customer.id,
                invoice_number="INV-1",
                issue_date=DAY,
                due_date=DAY,
                amount=Money.of("60000.00", "CNY"),
                outstanding=Money.of("60000.00", "CNY"),
            )
        )
        auth_service.create_user(
            session, system, username="erp", role=Role.CREDIT_ANALYST, password=None
        )
        token = auth_service.create_token(session, system, username="erp", name="ERP")
        configs.ensure_active(session)
        customer_id = customer.id
    world.limit(customer_id, "100000.00")
    return customer_id, token


def _check_all_at_once(
    database: Database, customer_id: int, token: str, threads: int
) -> list[dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"}

    async def worker_threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads

    with TestClient(create_app(database=database, settings=get_settings())) as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # token touched once
        assert client.portal is not None
        client.portal.call(worker_threads)

        def check(number: int) -> dict[str, object]:
            body = {
                "order_id": f"SO-{number:03d}",
                "customer_id": customer_id,
                "amount": str(ORDER_YUAN),
                "currency": "CNY",
            }
            response = client.post("/api/v1/credit-checks", json=body, headers=headers)
            assert response.status_code == 201, response.text
            answer: dict[str, object] = response.json()
            return answer

        with ThreadPoolExecutor(max_workers=ORDERS) as pool:
            return list(pool.map(check, range(ORDERS)))


def _assert_forty_approved_in_turn(
    database: Database, customer_id: int, answers: list[dict[str, object]]
) -> None:
    approved = [a for a in answers if a["decision"] == "approve"]
    assert len(approved) == 40
    assert {a["decision"] for a in answers} == {"approve", "hold"}
    with database.session_scope(actor=Actor.system("test")) as session:
        counted = session.scalar(
            select(func.sum(Order.amount_minor)).where(Order.customer_id == customer_id)
        )
    assert counted == 40 * ORDER_YUAN * 100
    # Each approval saw every earlier one: the exposures before are 60,000, 61,000, … 99,000.
    befores = sorted(str(a["exposure_before"]) for a in approved)
    assert befores == sorted(f"{60_000 + i * ORDER_YUAN}.00" for i in range(40))


def test_parallel_checks_never_approve_more_than_the_available_credit(
    committed: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also: however many threads the server has, no more checks run at once than
    ``FENGKONG_CREDIT_CHECK_THREADS`` (the rest queue without a thread)."""
    customer_id, token = _customer_owing_60000(committed, world, 77)
    running = peak = 0
    counting = threading.Lock()
    check_order = service.check_order

    def counted(*args: Any, **kwargs: Any) -> service.CheckAnswer:
        nonlocal running, peak
        with counting:
            running += 1
            peak = max(peak, running)
        try:
            return check_order(*args, **kwargs)
        finally:
            with counting:
                running -= 1

    monkeypatch.setattr(service, "check_order", counted)
    # A worker thread for each request in flight.
    answers = _check_all_at_once(committed, customer_id, token, threads=ORDERS * 2)
    _assert_forty_approved_in_turn(committed, customer_id, answers)
    assert 1 <= peak <= get_settings().credit_check_threads


def test_fifty_parallel_checks_need_no_more_than_four_threads_and_connections(
    committed: Database, world: World
) -> None:
    """A check commits in its own worker-thread hop, so it holds a connection (and the
    customer's lock) only while it has a thread: with four of each, fifty checks queue for
    threads and all pass in turn. When the commit took another hop, requests waiting on the
    lock or for a connection could hold every thread the holder needed to commit."""
    customer_id, token = _customer_owing_60000(committed, world, 81)
    small = open_database(committed.url, pool_size=4, max_overflow=0, pool_timeout=10)
    recorders.install(small.session_factory)
    try:
        answers = _check_all_at_once(small, customer_id, token, threads=4)
    finally:
        small.dispose()
    _assert_forty_approved_in_turn(committed, customer_id, answers)


def test_a_check_waiting_too_long_for_the_customer_answers_customer_busy(
    committed: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the statement that takes the row lock also sets the lock timeout: a check
    stuck behind another transaction of the same customer gives up (503) instead of queueing."""
    if committed.engine.dialect.name != "postgresql":
        pytest.skip("SQLite queues writers on busy_timeout; the lock timeout is PostgreSQL's")
    monkeypatch.setattr(repository, "LOCK_TIMEOUT", "200ms")
    system = Actor.system("test")
    with committed.session_scope(actor=system) as session:
        customer = Customer(
            uscc=make_uscc(78), name="锁等待测试有限公司", industry_code="F51", region_code="310000"
        )
        session.add(customer)
        session.flush()
        customer_id = customer.id

    with committed.session_scope(actor=system) as holder:
        repository.lock_customer(holder, customer_id=customer_id, uscc=None)
        waiter = committed.session_factory()
        waiter.info["actor"] = system
        try:
            # Without the lock timeout the wait would end here, failing the test, not hang it.
            waiter.execute(text("SET LOCAL statement_timeout = '10s'"))
            started = time.monotonic()
            with pytest.raises(repository.CustomerBusy):
                repository.lock_customer(waiter, customer_id=customer_id, uscc=None)
            assert time.monotonic() - started < 3
        finally:
            waiter.rollback()
            waiter.close()


def test_a_check_waiting_on_an_uncommitted_order_number_answers_busy_and_its_retry_succeeds(
    committed: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock timeout a check sets for its customer bounds every later wait of its transaction:
    here its order insert waits on another transaction's uncommitted order of the same number. It
    answers 503 with Retry-After, not a 500, and stores nothing, so the ERP's retry of the same
    order is checked afresh once the other transaction has gone."""
    if committed.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers wait for the database's write lock (BEGIN IMMEDIATE)")
    monkeypatch.setattr(repository, "LOCK_TIMEOUT", "200ms")
    system = Actor.system("test")
    with committed.session_scope(actor=system) as session:
        customer, other = (
            Customer(uscc=make_uscc(serial), name=name, industry_code="F51", region_code="310000")
            for serial, name in ((79, "单号等待测试有限公司"), (80, "另一家测试有限公司"))
        )
        session.add_all([customer, other])
        auth_service.create_user(
            session, system, username="erp", role=Role.CREDIT_ANALYST, password=None
        )
        token = auth_service.create_token(session, system, username="erp", name="ERP")
        configs.ensure_active(session)
        session.flush()
        customer_id, other_id = customer.id, other.id
    world.limit(customer_id, "100000.00")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"order_id": "SO-WAIT", "customer_id": customer_id, "amount": "1000", "currency": "CNY"}

    with TestClient(create_app(database=committed, settings=get_settings())) as client:
        client.get("/api/v1/me", headers=headers)  # the token's first use, touched and committed
        holder = committed.session_factory()
        holder.info["actor"] = system
        try:
            holder.add(
                Order(
                    customer_id=other_id,
                    order_number="SO-WAIT",
                    ordered_on=DAY,
                    amount=Money.of("500.00", "CNY"),
                )
            )
            holder.flush()
            busy = client.post("/api/v1/credit-checks", json=body, headers=headers)
        finally:
            holder.rollback()
            holder.close()
        retried = client.post("/api/v1/credit-checks", json=body, headers=headers)

    assert busy.status_code == 503, busy.text
    assert busy.json()["error"]["code"] == "busy"
    assert busy.headers["retry-after"] == "1"
    assert retried.status_code == 201, retried.text
    with committed.session_scope(actor=system) as session:
        orders = session.scalar(select(func.count()).where(Order.customer_id == customer_id))
    assert orders == 1
