"""Dunning runs racing on the same day, on PostgreSQL with real connections and real commits (not
the rolled-back test session): each notice is issued once; the runs that lose give way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fengkong.auth.actor import Actor
from fengkong.collections import service
from fengkong.collections.models import DunningNotice, DunningNoticeItem, InvoiceDunning
from fengkong.customers.models import Customer
from fengkong.db import Database
from fengkong.kit.money import Money
from fengkong.receivables.models import Invoice
from tests.conftest import migrated_database
from tests.factories import make_uscc
from tests.integration.collections.conftest import TODAY

SYSTEM = Actor.system("test")
RUNS = 4
CUSTOMERS = 10


@pytest.fixture
def committed_database(tmp_path: Path) -> Iterator[Database]:
    with migrated_database("postgresql", tmp_path) as database:
        yield database


def _ledger(database: Database) -> None:
    with database.session_scope(actor=SYSTEM) as session:
        for serial in range(CUSTOMERS):
            customer = Customer(uscc=make_uscc(7000 + serial), name=f"并发催收有限公司{serial}")
            session.add(customer)
            session.flush()
            for days in (5, 20, 40):
                due = TODAY - timedelta(days=days)
                session.add(
                    Invoice(
                        customer_id=customer.id,
                        invoice_number=f"INV-RACE-{serial}-{days}",
                        issue_date=due - timedelta(days=30),
                        due_date=due,
                        amount=Money.of("1000.00", "CNY"),
                        outstanding=Money.of("1000.00", "CNY"),
                    )
                )


def test_racing_runs_issue_each_notice_once(committed_database: Database) -> None:
    database = committed_database
    _ledger(database)
    start = threading.Barrier(RUNS)

    def run() -> str:
        start.wait(timeout=20)
        try:
            with database.session_scope(actor=SYSTEM) as session:
                summary = service.run_dunning(session, SYSTEM, today=TODAY)
                return f"issued {summary.notices_issued}"
        except service.DunningRunConflict:
            return "gave way"

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        outcomes = sorted(pool.map(lambda _: run(), range(RUNS)))

    issued = [outcome for outcome in outcomes if outcome != "issued 0" and outcome != "gave way"]
    assert issued == [f"issued {CUSTOMERS * 3}"]
    with database.session_scope(actor=SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(DunningNotice)) == CUSTOMERS * 3
        assert session.scalar(select(func.count()).select_from(DunningNoticeItem)) == CUSTOMERS * 3
        levels = session.execute(
            select(InvoiceDunning.level, func.count()).group_by(InvoiceDunning.level)
        ).all()
        assert sorted(levels) == [(1, CUSTOMERS), (2, CUSTOMERS), (3, CUSTOMERS)]
