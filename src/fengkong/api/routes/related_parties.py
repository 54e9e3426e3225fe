"""Links between customers. Part of the customer file, so guarded by the customers permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import related_parties as service
from fengkong.customers import service as customers_service
from fengkong.customers.models import RelatedParty
from fengkong.customers.schemas import RelatedPartyCreate, RelatedPartyRead, RelatedPartyUpdate
from fengkong.customers.status import RelationType
from fengkong.kit.pagination import Page
from fengkong.kit.schemas import PageOut

router = APIRouter(tags=["related parties"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]
Writer = Annotated[Actor, writes(Permission.CUSTOMERS_WRITE)]


class RelatedPartyPage(PageOut):
    items: list[RelatedPartyRead]


def _page(result: Page[RelatedParty]) -> RelatedPartyPage:
    return RelatedPartyPage(
        items=[RelatedPartyRead.of(link) for link in result.items], **page_fields(result)
    )


@router.get("/related-parties", response_model=RelatedPartyPage)
def list_related_parties(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    customer_id: int | None = None,
    related_customer_id: int | None = None,
    relation_type: RelationType | None = None,
    verified: bool | None = None,
    include_archived: bool = False,
    sort: service.RelatedPartySort = service.RelatedPartySort.CREATED,
) -> RelatedPartyPage:
    result = service.list_related_parties(
        session,
        actor,
        criteria=service.RelatedPartyFilter(
            customer_id=customer_id,
            related_customer_id=related_customer_id,
            relation_type=relation_type,
            verified=verified,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return _page(result)


@router.get("/customers/{customer_id}/related-parties", response_model=RelatedPartyPage)
def list_related_parties_of_customer(
    customer_id: int,
    session: DbSession,
    actor: Reader,
    page: PageParams,
    relation_type: RelationType | None = None,
    include_archived: bool = False,
    sort: service.RelatedPartySort = service.RelatedPartySort.CREATED,
) -> RelatedPartyPage:
    """Every link the customer is part of, on either side: its parents and its subsidiaries."""
    customers_service.get_customer(session, actor, customer_id)
    result = service.list_related_parties(
        session,
        actor,
        criteria=service.RelatedPartyFilter(
            involving_customer_id=customer_id,
            relation_type=relation_type,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return _page(result)


@router.get("/related-parties/{related_party_id}", response_model=RelatedPartyRead)
def get_related_party(
    related_party_id: int, session: DbSession, response: Response, actor: Reader
) -> RelatedPartyRead:
    link = service.get_related_party(session, actor, related_party_id=related_party_id)
    tag(response, link.version)
    return RelatedPartyRead.of(link)


@router.post(
    "/related-parties", response_model=RelatedPartyRead, status_code=status.HTTP_201_CREATED
)
def create_related_party(
    data: RelatedPartyCreate, session: DbSession, response: Response, actor: Writer
) -> RelatedPartyRead:
    link = service.create_related_party(session, actor, data=data)
    tag(response, link.version, location=f"/api/v1/related-parties/{link.id}")
    return RelatedPartyRead.of(link)


@router.patch("/related-parties/{related_party_id}", response_model=RelatedPartyRead)
def update_related_party(
    related_party_id: int,
    data: RelatedPartyUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> RelatedPartyRead:
    link = service.update_related_party(
        session, actor, related_party_id=related_party_id, data=data, expected_version=expected
    )
    tag(response, link.version)
    return RelatedPartyRead.of(link)


@router.post("/related-parties/{related_party_id}/archive", response_model=RelatedPartyRead)
def archive_related_party(
    related_party_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> RelatedPartyRead:
    link = service.archive_related_party(
        session, actor, related_party_id=related_party_id, expected_version=expected
    )
    tag(response, link.version)
    return RelatedPartyRead.of(link)


@router.post("/related-parties/{related_party_id}/restore", response_model=RelatedPartyRead)
def restore_related_party(
    related_party_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> RelatedPartyRead:
    link = service.restore_related_party(
        session, actor, related_party_id=related_party_id, expected_version=expected
    )
    tag(response, link.version)
    return RelatedPartyRead.of(link)
