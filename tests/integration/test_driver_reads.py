"""Hot reads on psycopg's cursor (``driver_reads.rows``): the rows ``Session.execute`` gives,
without SQLAlchemy's per-execution work after the first — and the session's path whenever
replaying what SQLAlchemy sent could differ from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Integer, Select, bindparam, event, func, literal, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from fengkong import driver_reads
from fengkong.customers.models import Customer
from fengkong.receivables.models import Invoice
from fengkong.receivables.status import InvoiceStatus
from tests import factories
from tests.personas import Personas
from tests.sql_statements import statements_sent


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def orm_executions(session: Session) -> Iterator[list[object]]:
    """The statements that went through ``Session.execute`` (its ``do_orm_execute`` hook)."""
    seen: list[object] = []

    def record(state: Any) -> None:
        seen.append(state.statement)

    event.listen(session, "do_orm_execute", record)
    try:
        yield seen
    finally:
        event.remove(session, "do_orm_execute", record)


def _outstanding_by_status() -> Select[Any]:
    """A new statement each time: what ``rows`` learns is keyed by the statement object."""
    return (
        select(Invoice.status, func.sum(Invoice.outstanding_minor), func.count())
        .where(Invoice.customer_id == bindparam("customer_id", type_=Integer))
        .group_by(Invoice.status)
        .order_by(Invoice.status)
    )


def test_a_hot_read_gives_the_sessions_rows_and_skips_the_orm_after_the_first(
    session: Session,
) -> None:
    customers = [factories.customer().id for _ in range(3)]
    for index, customer_id in enumerate(customers):
        for amount in (10_000 * (index + 1), 2_500):
            factories.invoice(
                customer_id=customer_id, amount_minor=amount, outstanding_minor=amount
            )
    statement = _outstanding_by_status()

    with orm_executions(session) as executed:
        fast = [driver_reads.rows(session, statement, {"customer_id": id_}) for id_ in customers]
    expected = [
        session.execute(statement, {"customer_id": customer_id}).all() for customer_id in customers
    ]

    assert [
        [(InvoiceStatus(status), int(total), count) for status, total, count in found]
        for found in fast
    ] == [[tuple(row) for row in found] for found in expected]
    assert len({tuple(found) for found in map(tuple, fast)}) == 3  # each customer's own rows
    # On PostgreSQL only the first went through the session; elsewhere every one did.
    assert len(executed) == (1 if _on_postgresql(session) else 3)


def test_a_value_sqlalchemy_would_convert_is_never_sent_as_given(session: Session) -> None:
    customer_id = factories.customer().id
    factories.invoice(customer_id=customer_id, amount_minor=7_000, outstanding_minor=7_000)
    statement = select(func.count()).where(
        Invoice.customer_id == bindparam("customer_id", type_=Integer),
        Invoice.status == bindparam("status", type_=Invoice.__table__.c.status.type),
    )
    values = {"customer_id": customer_id, "status": InvoiceStatus.OPEN}

    with orm_executions(session) as executed:
        counts = [driver_reads.rows(session, statement, values)[0][0] for _ in range(3)]

    # The enum is sent as its stored value by SQLAlchemy: every execution stays on its path.
    assert counts == [1, 1, 1]
    assert len(executed) == 3


def test_a_scoped_actors_hot_read_keeps_the_scope(session: Session, personas: Personas) -> None:
    sam = replace(personas.sam_sales.actor, region_code=None)
    factories.customer_of(personas.sam_sales.user)
    factories.customer()
    statement = select(func.count()).select_from(Customer)
    whole_book = driver_reads.rows(session, statement, {})[0][0]
    assert driver_reads.rows(session, statement, {})[0][0] == whole_book  # learnt, then replayed

    session.info["actor"], actor = sam, session.info["actor"]
    try:
        with orm_executions(session) as executed:
            scoped = driver_reads.rows(session, statement, {})[0][0]
    finally:
        session.info["actor"] = actor

    assert scoped == session.scalar(
        select(func.count()).select_from(Customer).where(Customer.owner_id == sam.user_id)
    )
    assert 0 < scoped < whole_book
    assert len(executed) == 1  # through the session, whose hook adds the scope


def test_unflushed_changes_are_flushed_before_a_hot_read(session: Session) -> None:
    invoice = factories.invoice(amount_minor=4_000, outstanding_minor=4_000)
    statement = _outstanding_by_status()
    before = driver_reads.rows(session, statement, {"customer_id": invoice.customer_id})
    invoice.outstanding_minor = 1_000

    after = driver_reads.rows(session, statement, {"customer_id": invoice.customer_id})

    assert [int(total) for _status, total, _count in before] == [4_000]
    assert [int(total) for _status, total, _count in after] == [1_000]


def test_a_driver_error_is_sqlalchemys_and_listeners_see_each_statement(
    session: Session,
) -> None:
    if not _on_postgresql(session):
        pytest.skip("the driver's cursor is used on PostgreSQL only")
    statement = select(literal(100) / bindparam("divisor", type_=Integer))
    driver_reads.rows(session, statement, {"divisor": 4})

    sent = statements_sent(session, lambda: driver_reads.rows(session, statement, {"divisor": 5}))
    assert len(sent) == 1
    assert "/" in sent[0]
    with pytest.raises(DataError, match="division by zero"), session.begin_nested():
        driver_reads.rows(session, statement, {"divisor": 0})


def test_values_the_statement_does_not_take_are_ignored_as_sqlalchemy_ignores_them(
    session: Session,
) -> None:
    invoice = factories.invoice(amount_minor=3_000, outstanding_minor=3_000)
    statement = _outstanding_by_status()
    values = {"customer_id": invoice.customer_id, "except_order_id": None}

    with orm_executions(session) as executed:
        found = [driver_reads.rows(session, statement, values) for _ in range(2)]

    assert [[int(total) for _status, total, _count in rows] for rows in found] == [[3_000]] * 2
    assert len(executed) == (1 if _on_postgresql(session) else 2)
