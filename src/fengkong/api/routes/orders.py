from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.schemas import PageOut
from fengkong.orders import service
from fengkong.orders.schemas import OrderCreate, OrderRead, OrderUpdate
from fengkong.orders.status import OrderStatus

router = APIRouter(prefix="/orders", tags=["orders"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.ORDERS_READ)]
Writer = Annotated[Actor, writes(Permission.ORDERS_WRITE)]


class OrderPage(PageOut):
    items: list[OrderRead]


@router.get("", response_model=OrderPage)
def list_orders(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    customer_id: int | None = None,
    status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
    ordered_from: date | None = None,
    ordered_to: date | None = None,
    include_archived: bool = False,
    sort: service.OrderSort = service.OrderSort.ORDERED_ON_DESC,
) -> OrderPage:
    result = service.list_orders(
        session,
        actor,
        criteria=service.OrderFilter(
            customer_id=customer_id,
            status=status_,
            ordered_from=ordered_from,
            ordered_to=ordered_to,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return OrderPage(items=[OrderRead.of(order) for order in result.items], **page_fields(result))


@router.get("/{order_id}", response_model=OrderRead)
def get_order(order_id: int, session: DbSession, response: Response, actor: Reader) -> OrderRead:
    order = service.get_order(session, actor, order_id=order_id)
    tag(response, order.version)
    return OrderRead.of(order)


@router.post("", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def create_order(
    data: OrderCreate, session: DbSession, response: Response, actor: Writer
) -> OrderRead:
    order = service.create_order(session, actor, data=data)
    tag(response, order.version, location=f"/api/v1/orders/{order.id}")
    return OrderRead.of(order)


@router.patch("/{order_id}", response_model=OrderRead)
def update_order(
    order_id: int,
    data: OrderUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> OrderRead:
    """Status moves open → shipped → invoiced, or to cancelled before invoicing."""
    order = service.update_order(
        session, actor, order_id=order_id, data=data, expected_version=expected
    )
    tag(response, order.version)
    return OrderRead.of(order)


@router.post("/{order_id}/archive", response_model=OrderRead)
def archive_order(
    order_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> OrderRead:
    order = service.archive_order(session, actor, order_id=order_id, expected_version=expected)
    tag(response, order.version)
    return OrderRead.of(order)


@router.post("/{order_id}/restore", response_model=OrderRead)
def restore_order(
    order_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> OrderRead:
    order = service.restore_order(session, actor, order_id=order_id, expected_version=expected)
    tag(response, order.version)
    return OrderRead.of(order)
