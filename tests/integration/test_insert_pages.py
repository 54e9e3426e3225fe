"""On PostgreSQL an ORM flush of many new rows goes out in pages of ``INSERT_PAGE_ROWS`` rows, so
each statement stays short: psycopg parses the text of every execution again past 4 KB or 50
parameters, and a 100-row page took 3.7 ms to parse (the stream consumer's first evaluations
spent half their time there before; they now use ``recorders.insert_many_created``)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from fengkong.db import INSERT_PAGE_ROWS
from fengkong.monitoring.models import RuleState
from tests import factories
from tests.sql_statements import statements_sent

NEW_STATES = 30
PSYCOPG_CACHED_STATEMENT_BYTES = 4096


def test_a_flush_of_many_rows_inserts_them_in_short_pages(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite inserts row by row through its own driver")
    customer = factories.customer()
    session.flush()
    moment = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    states = [
        RuleState(
            customer_id=customer.id,
            rule_id=f"rule_{number}",
            level=1,
            since=moment,
            last_values={"days_past_due": number},
            last_evaluated_at=moment,
        )
        for number in range(NEW_STATES)
    ]

    def flush() -> None:
        session.add_all(states)
        session.flush()

    inserts = [sql for sql in statements_sent(session, flush) if "INSERT INTO rule_states" in sql]

    assert len(inserts) == math.ceil(NEW_STATES / INSERT_PAGE_ROWS)
    assert all(len(sql.encode()) < PSYCOPG_CACHED_STATEMENT_BYTES for sql in inserts)
    assert all(state.id is not None for state in states)
