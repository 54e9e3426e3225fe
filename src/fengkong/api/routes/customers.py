from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import etag_for, parse_if_match
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import service
from fengkong.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from fengkong.customers.status import CustomerStatus
from fengkong.kit.pagination import MAX_PAGE_SIZE, PageRequest
from fengkong.kit.schemas import PageOut

router = APIRouter(prefix="/customers", tags=["customers"])


class CustomerPage(PageOut):
    items: list[CustomerRead]


@router.get("", response_model=CustomerPage)
def list_customers(
    session: DbSession,
    actor: Actor = requires(Permission.CUSTOMERS_READ),
    q: Annotated[str | None, Query(max_length=200, description="name or USCC contains")] = None,
    status_: Annotated[CustomerStatus | None, Query(alias="status")] = None,
    industry: Annotated[str | None, Query(max_length=5)] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    owner_id: int | None = None,
    sort: service.CustomerSort = service.CustomerSort.NAME,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> CustomerPage:
    result = service.list_customers(
        session,
        actor,
        criteria=service.CustomerFilter(
            search=q,
            status=status_,
            industry_section=industry,
            region_code=region,
            owner_id=owner_id,
        ),
        sort=sort,
        page=PageRequest(page=page, page_size=page_size),
    )
    return CustomerPage(
        items=[CustomerRead.of(customer) for customer in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


@router.get("/{customer_id}", response_model=CustomerRead)
def get_customer(
    customer_id: int,
    session: DbSession,
    response: Response,
    actor: Actor = requires(Permission.CUSTOMERS_READ),
) -> CustomerRead:
    customer = service.get_customer(session, actor, customer_id)
    response.headers["ETag"] = etag_for(customer.version)
    return CustomerRead.of(customer)


@router.post("", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(
    data: CustomerCreate,
    session: DbSession,
    response: Response,
    actor: Actor = requires(Permission.CUSTOMERS_WRITE),
) -> CustomerRead:
    customer = service.create_customer(session, actor, data)
    response.headers["ETag"] = etag_for(customer.version)
    response.headers["Location"] = f"/api/v1/customers/{customer.id}"
    return CustomerRead.of(customer)


@router.patch("/{customer_id}", response_model=CustomerRead)
def update_customer(
    customer_id: int,
    data: CustomerUpdate,
    session: DbSession,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
    actor: Actor = requires(Permission.CUSTOMERS_WRITE),
) -> CustomerRead:
    customer = service.update_customer(
        session, actor, customer_id, data, expected_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag_for(customer.version)
    return CustomerRead.of(customer)
