"""The race a service's duplicate check cannot see: a concurrent insert of the same key is caught
by the unique index and answered 409; other integrity errors stay unexpected (500)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.api.errors import is_unique_violation
from fengkong.customers.models import Customer
from fengkong.orders.models import Order
from tests import factories


def _integrity_error(session: Session, record: object) -> IntegrityError:
    savepoint = session.begin_nested()
    session.add(record)
    with pytest.raises(IntegrityError) as raised:
        session.flush()
    savepoint.rollback()
    return raised.value


def test_unique_violations_are_told_apart_from_other_integrity_errors(session: Session) -> None:
    existing = factories.customer()
    duplicate = Customer(uscc=existing.uscc, name="同码公司")
    assert is_unique_violation(_integrity_error(session, duplicate))
    negative = Order(
        customer_id=existing.id,
        order_number="SO-NEGATIVE",
        ordered_on=date(2026, 1, 1),
        currency="CNY",
        amount_minor=-1,
    )
    assert not is_unique_violation(_integrity_error(session, negative))
