"""The few reads of the credit check that are not another area's use case: the order a check is
about (by the ERP's order number), the customer's latest check of an order, the part of the
exposure due beyond a dynamic limit's horizon, and the per-customer lock row. Plain Core
statements: the check is on the ERP's hot path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fengkong.credit_checks.models import CreditAccount, CreditCheck
from fengkong.errors import DomainError
from fengkong.kit.time import utcnow
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice
from fengkong.receivables.status import InvoiceStatus

COUNTED_ORDER_STATUSES = (OrderStatus.OPEN, OrderStatus.SHIPPED)


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: int
    customer_id: int
    currency: str
    amount_minor: int
    status: OrderStatus
    archived: bool

    @property
    def counted(self) -> bool:
        """Whether exposure counts this order now (open or shipped, not archived)."""
        return self.status in COUNTED_ORDER_STATUSES and not self.archived


LOCK_TIMEOUT = "5s"
"""How long a check waits for the customer's earlier checks on PostgreSQL before answering 503:
a queue of waiters must never grow without bound behind one slow transaction."""


class CustomerBusy(DomainError):
    status_code = 503
    code = "customer_busy"


def lock_customer(session: Session, customer_id: int) -> None:
    """Write the customer's credit-account row before reading anything: the row lock (the write
    lock on SQLite) makes concurrent checks of one customer take turns, each seeing the orders
    the earlier ones approved."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    try:
        _lock(session, customer_id)
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise CustomerBusy(
                f"customer {customer_id} is being checked by other requests; retry shortly"
            ) from error
        raise


def _lock(session: Session, customer_id: int) -> None:
    """One statement either way: create the row on the customer's first check, else bump it.
    On PostgreSQL the conflict update takes the row lock; on SQLite the transaction already
    holds the write lock (``BEGIN IMMEDIATE``)."""
    dialect = session.get_bind().dialect.name
    upsert_of = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = upsert_of(CreditAccount).values(
        customer_id=customer_id, checks=1, last_checked_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CreditAccount.customer_id],
            set_={
                "checks": CreditAccount.checks + 1,
                "last_checked_at": statement.excluded.last_checked_at,
            },
        )
    )


def find_order(session: Session, order_number: str) -> OrderRow | None:
    row = session.execute(
        select(
            Order.id,
            Order.customer_id,
            Order.currency,
            Order.amount_minor,
            Order.status,
            Order.archived_at,
        ).where(Order.order_number == order_number)
    ).first()
    if row is None:
        return None
    return OrderRow(row[0], row[1], row[2], row[3], OrderStatus(row[4]), row[5] is not None)


def latest_check(session: Session, order_number: str) -> CreditCheck | None:
    return session.scalars(
        select(CreditCheck)
        .where(CreditCheck.order_number == order_number)
        .order_by(CreditCheck.id.desc())
        .limit(1)
    ).first()


def due_beyond(
    session: Session,
    customer_id: int,
    *,
    currency: str,
    after: date,
    except_order_id: int | None,
) -> int:
    """Open receivables due, and open orders to be delivered, after ``after`` (the end of a
    dynamic limit's horizon), in ``currency``: the part of the exposure that horizon ignores."""
    invoices = select(func.coalesce(func.sum(Invoice.outstanding_minor), 0)).where(
        Invoice.customer_id == customer_id,
        Invoice.status == InvoiceStatus.OPEN,
        Invoice.archived_at.is_(None),
        Invoice.currency == currency,
        Invoice.due_date > after,
    )
    orders = select(func.coalesce(func.sum(Order.amount_minor), 0)).where(
        Order.customer_id == customer_id,
        Order.status.in_(COUNTED_ORDER_STATUSES),
        Order.archived_at.is_(None),
        Order.currency == currency,
        Order.requested_delivery_on > after,
    )
    if except_order_id is not None:
        orders = orders.where(Order.id != except_order_id)
    total = session.execute(select(invoices.scalar_subquery(), orders.scalar_subquery())).one()
    return int(total[0]) + int(total[1])
