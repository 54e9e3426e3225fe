"""The few reads of the credit check that are not another area's use case: the order a check is
about (by the ERP's order number), the customer's latest check of an order, the part of the
exposure due beyond a dynamic limit's horizon, and the per-customer lock row. Plain statements,
the hot ones built once per process: the check is on the ERP's hot path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fengkong import hot_statements
from fengkong.access.scope import scoped_actor
from fengkong.credit_checks import configs
from fengkong.credit_checks.models import CreditAccount, CreditCheck
from fengkong.credit_checks.status import Decision, Stage
from fengkong.customers import service as customers_service
from fengkong.db import Base
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


@dataclass(frozen=True, slots=True)
class LockedCustomer:
    customer_id: int
    archived: bool


def lock_customer(
    session: Session, *, customer_id: int | None, uscc: str | None
) -> LockedCustomer | None:
    """Find the customer named by id (else by USCC) within the actor's scope — ``None`` when
    there is none — and write its credit-account row before reading anything else: the row lock
    (the write lock on SQLite) makes concurrent checks of one customer take turns, each seeing
    the orders the earlier ones approved.

    On PostgreSQL one statement: the customer read, and the credit-account write as a
    data-modifying CTE on it, which PostgreSQL runs to completion — lock granted — before the
    statement answers. On SQLite the read, then the write (the transaction already holds the
    write lock, ``BEGIN IMMEDIATE``)."""
    by_id = customer_id is not None
    scope = scoped_actor(session)
    named = customers_service.named_customer_query(by_id=by_id, scope=scope)
    values: dict[str, object] = {
        "customer_id": customer_id,
        "customer_uscc": uscc,
        "now": utcnow(),
        "lock_timeout": LOCK_TIMEOUT,
    }
    try:
        if session.get_bind().dialect.name == "postgresql":
            statement = _read_and_lock_cached(by_id) if scope is None else _read_and_lock(named)
            found = hot_statements.rows(session, statement, values)
            row = found[0] if found else None
        else:
            row = session.execute(named, values).first()
            if row is not None:
                session.execute(_lock_statement(), {**values, "customer_id": row[0]})
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
            named_by = f"id {customer_id}" if by_id else f"USCC {uscc}"
            raise CustomerBusy(
                f"customer {named_by} is being checked by other requests; retry shortly"
            ) from error
        raise
    return None if row is None else LockedCustomer(row[0], row[1] is not None)


_ACCOUNTS = Base.metadata.tables[CreditAccount.__tablename__]
_NOW = bindparam("now", type_=_ACCOUNTS.c.last_checked_at.type)


@cache
def _read_and_lock_cached(by_id: bool) -> Select[int, datetime | None]:
    """Built once per process for each way of naming the customer: the check runs it on every
    order. (For an actor whose reads are scoped it is built per check: the scope's values are
    in the statement.)"""
    return _read_and_lock(customers_service.named_customer_query(by_id=by_id))


def _read_and_lock(
    named: Select[int, datetime | None],
) -> Select[int, datetime | None]:
    """Setting the lock timeout is ``set_config(…, true)`` (``SET LOCAL``), evaluated when the row
    to insert is produced, before the conflict waits. Run through ``hot_statements.rows`` (the
    customer read is an actor-scoped read: a scoped actor's goes through the session)."""
    customer = named.cte("named_customer")
    timeout = select(func.set_config("lock_timeout", bindparam("lock_timeout"), True)).subquery()
    write = postgresql_insert(_ACCOUNTS).from_select(
        ["customer_id", "checks", "last_checked_at"],
        select(customer.c.id, literal(1, Integer), _NOW).select_from(
            customer.join(timeout, true())
        ),
    )
    locked = write.on_conflict_do_update(
        index_elements=[_ACCOUNTS.c.customer_id],
        set_={"checks": _ACCOUNTS.c.checks + 1, "last_checked_at": write.excluded.last_checked_at},
    ).cte("locked_account")
    return select(customer.c.id, customer.c.archived_at).add_cte(locked)


@cache
def _lock_statement() -> SqliteInsert:
    """Built once per process: the check runs it on every order (on SQLite). A Core insert into
    the table (an ORM insert given parameters would be a bulk insert)."""
    statement = sqlite_insert(_ACCOUNTS).values(
        customer_id=bindparam("customer_id", type_=Integer), checks=1, last_checked_at=_NOW
    )
    return statement.on_conflict_do_update(
        index_elements=[_ACCOUNTS.c.customer_id],
        set_={
            "checks": _ACCOUNTS.c.checks + 1,
            "last_checked_at": statement.excluded.last_checked_at,
        },
    )


def _order_row(row: Any) -> OrderRow:
    return OrderRow(row[0], row[1], row[2], row[3], OrderStatus(row[4]), row[5] is not None)


_ORDER_COLUMNS = (
    Order.id,
    Order.customer_id,
    Order.currency,
    Order.amount_minor,
    Order.status,
    Order.archived_at,
)


def find_order(session: Session, order_number: str) -> OrderRow | None:
    row = session.execute(select(*_ORDER_COLUMNS).where(Order.order_number == order_number)).first()
    return None if row is None else _order_row(row)


def latest_check(session: Session, order_number: str) -> CreditCheck | None:
    return session.scalars(
        select(CreditCheck)
        .where(CreditCheck.order_number == order_number)
        .order_by(CreditCheck.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True, slots=True)
class ActiveRuleSet:
    """Which rule-set version is active: its row, number and text digest."""

    row_id: int
    version: int
    sha256: str


@dataclass(frozen=True, slots=True)
class LatestCheck:
    """What a new check needs of the order's latest check (``_LATEST_CHECK_COLUMNS``): read as
    columns, not a ``CreditCheck`` entity, on every order; a replay loads the whole row."""

    check_id: int
    customer_id: int
    request_sha256: str
    decision: Decision
    currency: str
    amount_minor: int
    stage: Stage
    rule_set_version_id: int


_LATEST_CHECK_COLUMNS = (
    CreditCheck.id,
    CreditCheck.customer_id,
    CreditCheck.request_sha256,
    CreditCheck.decision,
    CreditCheck.currency,
    CreditCheck.amount_minor,
    CreditCheck.stage,
    CreditCheck.rule_set_version_id,
)


@dataclass(frozen=True, slots=True)
class OrderState:
    """What a check of an order starts from: the order's latest check, its ``orders`` row and
    the active rule-set version (``None`` each when there is none)."""

    latest: LatestCheck | None
    order: OrderRow | None
    rule_set: ActiveRuleSet | None


_LATEST_END = 3 + len(_LATEST_CHECK_COLUMNS)
ORDER_STATE_WIDTH = _LATEST_END + len(_ORDER_COLUMNS)
"""The columns of ``order_state_statement`` a row begins with."""


def _latest_check(row: Sequence[Any]) -> LatestCheck:
    check_id, customer_id, digest, decision, currency, amount_minor, stage, rule_set = row
    return LatestCheck(
        check_id,
        customer_id,
        digest,
        Decision(decision),
        currency,
        amount_minor,
        Stage(stage),
        rule_set,
    )


def order_state_of(row: Sequence[Any]) -> OrderState:
    """The order state a row of a statement extending ``order_state_statement`` holds in its
    first ``ORDER_STATE_WIDTH`` columns: the latest check, ``find_order`` and the active
    rule-set version."""
    row_id, version, digest = row[0], row[1], row[2]
    return OrderState(
        latest=None if row[3] is None else _latest_check(row[3:_LATEST_END]),
        order=(
            None if row[_LATEST_END] is None else _order_row(row[_LATEST_END:ORDER_STATE_WIDTH])
        ),
        rule_set=None if row_id is None else ActiveRuleSet(row_id, version, digest),
    )


@cache
def order_state_statement() -> Select[Any]:
    """Built once per process: one row, the active version's columns as scalar subqueries,
    outer-joined to the order's latest check (its ``LatestCheck`` columns) and to its ``orders``
    row (parameter ``order_number``). The credit check extends it with the limits area's facts
    (``sources.order_and_limit``)."""
    order_number = bindparam("order_number", type_=String)
    rule_sets = configs.rule_sets
    active = select(
        rule_sets.active_column("id").label("row_id"),
        rule_sets.active_column("version").label("version"),
        rule_sets.active_column("sha256").label("sha256"),
    ).subquery()
    latest_id = (
        select(func.max(CreditCheck.id))
        .where(CreditCheck.order_number == order_number)
        .scalar_subquery()
    )
    return (
        select(
            active.c.row_id,
            active.c.version,
            active.c.sha256,
            *_LATEST_CHECK_COLUMNS,
            *_ORDER_COLUMNS,
        )
        .select_from(active)
        .outerjoin(CreditCheck, CreditCheck.id == latest_id)
        .outerjoin(Order, Order.order_number == order_number)
    )


def due_beyond_of(
    customer_id: int | ColumnElement[int],
    *,
    currency: str | ColumnElement[str],
    after: date | ColumnElement[date],
    except_order_id: int | ColumnElement[int] | None,
) -> ColumnElement[int]:
    """Open receivables due, and open orders to be delivered, after ``after`` (the end of a
    dynamic limit's horizon), in ``currency``: the part of the exposure that horizon ignores.
    A column expression, for a statement that reads it with other facts."""
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
    return invoices.scalar_subquery() + orders.scalar_subquery()
