"""Column selects on the session's connection (``fengkong.kit.plain_rows``): plain driver rows
that still see the session's pending changes, as a session query would."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from fengkong.kit.plain_rows import plain_rows, records
from tests import factories


def test_plain_rows_see_changes_the_session_has_not_flushed(session: Session) -> None:
    customer = factories.customer()
    customer.name = "改名后的客户"

    rows = plain_rows(session, select(Customer.id, Customer.name).where(Customer.id == customer.id))

    (row,) = rows.all()
    assert type(row) is Row
    assert tuple(row) == (customer.id, "改名后的客户")


def test_plain_rows_leave_pending_changes_alone_without_autoflush(session: Session) -> None:
    customer = factories.customer()
    stored = customer.name
    customer.name = "尚未写入"

    with session.no_autoflush:
        names = plain_rows(session, select(Customer.name).where(Customer.id == customer.id))
        assert names.scalar_one() == stored
    session.flush()
    flushed = plain_rows(session, select(Customer.name).where(Customer.id == customer.id))
    assert flushed.scalar_one() == "尚未写入"


def test_records_are_named_tuples_of_the_rows_in_their_order(session: Session) -> None:
    customers = [factories.customer() for _ in range(3)]
    statement = (
        select(Customer.id, Customer.name, Customer.uscc)
        .where(Customer.id.in_([c.id for c in customers]))
        .order_by(Customer.id.desc())
    )

    found = records(session, statement)

    assert [tuple(record) for record in found] == [tuple(row) for row in session.execute(statement)]
    assert [(r.id, r.name, r.uscc) for r in found] == [
        (c.id, c.name, c.uscc) for c in sorted(customers, key=lambda c: -c.id)
    ]
    assert found[0][1:] == (found[0].name, found[0].uscc)
