from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import contacts as contacts_service
from fengkong.customers import service
from fengkong.customers.models import Customer
from fengkong.customers.schemas import (
    ContactRead,
    CustomerCreate,
    CustomerListItem,
    CustomerRead,
    CustomerUpdate,
)
from fengkong.customers.status import CustomerStatus
from fengkong.kit.schemas import PageOut
from fengkong.privacy.disclosure import disclose_contacts, disclose_customers
from fengkong.risk import service as risk_service
from fengkong.risk.models import CustomerRating, Grade
from fengkong.scoring.grading import RiskLevel

router = APIRouter(prefix="/customers", tags=["customers"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]
Writer = Annotated[Actor, writes(Permission.CUSTOMERS_WRITE)]


class CustomerPage(PageOut):
    items: list[CustomerListItem]


def _location(customer_id: int) -> str:
    return f"/api/v1/customers/{customer_id}"


@router.get("", response_model=CustomerPage)
def list_customers(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    q: Annotated[str | None, Query(max_length=200, description="name or USCC contains")] = None,
    status_: Annotated[CustomerStatus | None, Query(alias="status")] = None,
    industry: Annotated[str | None, Query(max_length=5)] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    owner_id: int | None = None,
    include_archived: bool = False,
    grade: Annotated[
        list[Grade] | None, Query(description="only customers rated with these grades")
    ] = None,
    risk_level: Annotated[
        list[RiskLevel] | None,
        Query(description="only customers rated with a grade of these risk levels"),
    ] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1000)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=1000)] = None,
    alerts: Annotated[
        service.AlertState | None,
        Query(description="by open early-warning alerts: none, open, high (or worse), critical"),
    ] = None,
    sort: service.CustomerSort = service.CustomerSort.NAME,
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
            include_archived=include_archived,
            grades=tuple(grade or ()),
            risk_levels=tuple(risk_level or ()),
            min_score=min_score,
            max_score=max_score,
            alerts=alerts,
        ),
        sort=sort,
        page=page,
    )
    ratings = risk_service.ratings_of(session, [customer.id for customer in result.items])
    personal = disclose_customers(session, actor, result.items)
    return CustomerPage(
        items=[
            _list_item(customer, ratings.get(customer.id), shown)
            for customer, shown in zip(result.items, personal, strict=True)
        ],
        **page_fields(result),
    )


def _read(session: DbSession, actor: Actor, customer: Customer) -> CustomerRead:
    """The customer as ``actor`` may see it: personal fields masked or audited as viewed."""
    [shown] = disclose_customers(session, actor, [customer])
    return CustomerRead.of(customer, **shown)


def _list_item(
    customer: Customer, rating: CustomerRating | None, shown: dict[str, str | None]
) -> CustomerListItem:
    return CustomerListItem.of(
        customer,
        **shown,
        grade=rating.grade if rating else None,
        score=rating.score if rating else None,
        pd=rating.pd if rating else None,
        rated_as_of=rating.as_of if rating else None,
    )


@router.get("/{customer_id}", response_model=CustomerRead)
def get_customer(
    customer_id: int, session: DbSession, response: Response, actor: Reader
) -> CustomerRead:
    customer = service.get_customer(session, actor, customer_id)
    tag(response, customer.version)
    return _read(session, actor, customer)


@router.get("/{customer_id}/contacts", response_model=list[ContactRead])
def list_contacts(customer_id: int, session: DbSession, actor: Reader) -> list[ContactRead]:
    """The customer's contact people, primary first (personal data: masked without pii:read)."""
    contacts = contacts_service.list_contacts(session, actor, customer_id)
    shown = disclose_contacts(session, actor, contacts)
    return [
        ContactRead.model_validate(contact).model_copy(update=values)
        for contact, values in zip(contacts, shown, strict=True)
    ]


@router.post("", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(
    data: CustomerCreate, session: DbSession, response: Response, actor: Writer
) -> CustomerRead:
    customer = service.create_customer(session, actor, data)
    tag(response, customer.version, location=_location(customer.id))
    return _read(session, actor, customer)


@router.patch("/{customer_id}", response_model=CustomerRead)
def update_customer(
    customer_id: int,
    data: CustomerUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> CustomerRead:
    customer = service.update_customer(session, actor, customer_id, data, expected_version=expected)
    tag(response, customer.version)
    return _read(session, actor, customer)


@router.post("/{customer_id}/archive", response_model=CustomerRead)
def archive_customer(
    customer_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> CustomerRead:
    """Hide the customer from lists (``include_archived=true`` shows it); nothing is deleted."""
    customer = service.archive_customer(
        session, actor, customer_id=customer_id, expected_version=expected
    )
    tag(response, customer.version)
    return _read(session, actor, customer)


@router.post("/{customer_id}/restore", response_model=CustomerRead)
def restore_customer(
    customer_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> CustomerRead:
    customer = service.restore_customer(
        session, actor, customer_id=customer_id, expected_version=expected
    )
    tag(response, customer.version)
    return _read(session, actor, customer)
