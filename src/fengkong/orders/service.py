"""Order use cases. Open orders are committed sales not yet invoiced, so they count toward a
customer's exposure. Callers own the transaction; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.auth.actor import Actor
from fengkong.customers.service import resolve_customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.orders.models import Order
from fengkong.orders.schemas import OrderCreate, OrderUpdate
from fengkong.orders.status import ORDER_TRANSITIONS, OrderStatus
from fengkong.records import (
    archive,
    change_status,
    check_version,
    ensure_not_archived,
    field_error,
    restore,
)


class OrderNotFound(NotFound):
    code = "order_not_found"


class DuplicateOrderNumber(Conflict):
    code = "duplicate_order_number"


class OrderSort(StrEnum):
    ORDERED_ON = "ordered_on"
    ORDERED_ON_DESC = "-ordered_on"
    ORDER_NUMBER = "order_number"


_SORT_COLUMNS: dict[OrderSort, ColumnElement[Any]] = {
    OrderSort.ORDERED_ON: Order.ordered_on.asc(),
    OrderSort.ORDERED_ON_DESC: Order.ordered_on.desc(),
    OrderSort.ORDER_NUMBER: Order.order_number.asc(),
}


@dataclass(frozen=True, slots=True)
class OrderFilter:
    customer_id: int | None = None
    status: OrderStatus | None = None
    ordered_from: date | None = None
    ordered_to: date | None = None
    include_archived: bool = False


def _filtered(criteria: OrderFilter) -> Select[Order]:
    statement = select(Order)
    if criteria.customer_id is not None:
        statement = statement.where(Order.customer_id == criteria.customer_id)
    if criteria.status is not None:
        statement = statement.where(Order.status == criteria.status)
    if criteria.ordered_from is not None:
        statement = statement.where(Order.ordered_on >= criteria.ordered_from)
    if criteria.ordered_to is not None:
        statement = statement.where(Order.ordered_on <= criteria.ordered_to)
    if not criteria.include_archived:
        statement = statement.where(Order.archived_at.is_(None))
    return statement


def list_orders(
    session: Session,
    actor: Actor,
    *,
    criteria: OrderFilter = OrderFilter(),
    sort: OrderSort = OrderSort.ORDERED_ON_DESC,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[Order]:
    statement = _filtered(criteria).order_by(_SORT_COLUMNS[sort], Order.id.asc())
    return paginate(session, statement, page)


def find_order(session: Session, *, order_id: int) -> Order | None:
    return session.get(Order, order_id)


def get_order(session: Session, actor: Actor, *, order_id: int) -> Order:
    order = find_order(session, order_id=order_id)
    if order is None:
        raise OrderNotFound(f"no order with id {order_id}")
    return order


def _ensure_unique(session: Session, order_number: str, *, own_id: int | None = None) -> None:
    statement = select(Order.id).where(Order.order_number == order_number)
    if own_id is not None:
        statement = statement.where(Order.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        raise DuplicateOrderNumber(
            f"order number {order_number} is already used by order {existing}",
            details=[
                field_error("order_number", order_number, f"already used by order {existing}")
            ],
        )


def _check_dates(ordered_on: date, requested_delivery_on: date | None) -> None:
    if requested_delivery_on is not None and requested_delivery_on < ordered_on:
        raise ValidationFailed(
            "delivery cannot be requested before the order date",
            details=[
                field_error(
                    "requested_delivery_on",
                    requested_delivery_on,
                    f"before ordered_on {ordered_on}",
                )
            ],
        )


def create_order(session: Session, actor: Actor, *, data: OrderCreate) -> Order:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _check_dates(data.ordered_on, data.requested_delivery_on)
    _ensure_unique(session, data.order_number)
    order = _new_order(customer.id, data)
    session.add(order)
    session.flush()
    return order


def add_order(session: Session, *, data: OrderCreate) -> Order:
    """``create_order`` without its uniqueness query and its flush: the new order is written
    (with its audit entry and event) by the caller's next flush. For a caller that has just
    found ``data.order_number`` unused in its own transaction — the credit check, which books an
    approved order in the flush that stores the check; a concurrent duplicate still meets the
    unique index."""
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _check_dates(data.ordered_on, data.requested_delivery_on)
    order = _new_order(customer.id, data)
    session.add(order)
    return order


def insert_order(session: Session, *, data: OrderCreate) -> dict[str, Any]:
    """``add_order`` as a Core insert (``recorders.insert_created``), written at once; returns
    the stored columns. The caller records it — its audit entry and event — with its own new
    rows through ``recorders.record_created``, so that each is one insert."""
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    return insert_order_of(session, customer.id, data=data)


def insert_order_of(session: Session, customer_id: int, *, data: OrderCreate) -> dict[str, Any]:
    """``insert_order`` for a customer the caller found in this transaction, live and in the
    actor's scope (the credit check, which has just locked it): no second read of it."""
    _check_dates(data.ordered_on, data.requested_delivery_on)
    return recorders.insert_created(session, Order, _order_columns(customer_id, data))


def _new_order(customer_id: int, data: OrderCreate) -> Order:
    return Order(**_order_columns(customer_id, data))


def _order_columns(customer_id: int, data: OrderCreate) -> dict[str, Any]:
    amount = data.amount.to_money()
    return {
        "customer_id": customer_id,
        "order_number": data.order_number,
        "ordered_on": data.ordered_on,
        "requested_delivery_on": data.requested_delivery_on,
        "amount_minor": amount.minor_units,
        "currency": amount.currency,
        "status": OrderStatus.OPEN,
    }


def update_order(
    session: Session,
    actor: Actor,
    *,
    order_id: int,
    data: OrderUpdate,
    expected_version: int | None = None,
) -> Order:
    order = get_order(session, actor, order_id=order_id)
    label = f"order {order_id}"
    check_version(order, expected_version, label=label)
    ensure_not_archived(order, label=label)
    changes = data.model_dump(exclude_unset=True, exclude={"amount", "status"})
    _check_dates(
        changes.get("ordered_on", order.ordered_on),
        changes.get("requested_delivery_on", order.requested_delivery_on),
    )
    number = changes.get("order_number", order.order_number)
    if number != order.order_number:
        _ensure_unique(session, number, own_id=order.id)
    for field, value in changes.items():
        setattr(order, field, value)
    if data.amount is not None:
        order.amount = data.amount.to_money()
    if data.status is not None:
        order.status = change_status(order.status, data.status, ORDER_TRANSITIONS)
    session.flush()
    return order


def archive_order(
    session: Session, actor: Actor, *, order_id: int, expected_version: int | None = None
) -> Order:
    order = get_order(session, actor, order_id=order_id)
    check_version(order, expected_version, label=f"order {order_id}")
    archive(order)
    session.flush()
    return order


def restore_order(
    session: Session, actor: Actor, *, order_id: int, expected_version: int | None = None
) -> Order:
    order = get_order(session, actor, order_id=order_id)
    check_version(order, expected_version, label=f"order {order_id}")
    restore(order)
    session.flush()
    return order
