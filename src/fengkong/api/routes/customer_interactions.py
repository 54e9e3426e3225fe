"""The customer's interaction log (calls, visits, emails, notes). Part of the customer file, so
guarded by the customers permissions: ``customers:read`` to read, ``customers:write`` to log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import interactions as service
from fengkong.customers.schemas import InteractionCreate, InteractionRead
from fengkong.kit.schemas import PageOut

router = APIRouter(tags=["customer interactions"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]
Writer = Annotated[Actor, writes(Permission.CUSTOMERS_WRITE)]


class InteractionPage(PageOut):
    items: list[InteractionRead]


@router.get("/customers/{customer_id}/interactions", response_model=InteractionPage)
def list_interactions(
    customer_id: int, session: DbSession, actor: Reader, page: PageParams
) -> InteractionPage:
    """The log, latest interaction first."""
    result = service.list_interactions(session, actor, customer_id=customer_id, page=page)
    return InteractionPage(
        items=[InteractionRead.model_validate(entry) for entry in result.items],
        **page_fields(result),
    )


@router.post(
    "/customers/{customer_id}/interactions",
    response_model=InteractionRead,
    status_code=status.HTTP_201_CREATED,
)
def add_interaction(
    customer_id: int,
    data: InteractionCreate,
    session: DbSession,
    actor: Writer,
) -> InteractionRead:
    """Log a call, visit, email or note as the caller's. An empty or overlong summary, a time in
    the future or a follow-up before the interaction is a 400 naming the field."""
    entry = service.add_interaction(session, actor, customer_id=customer_id, data=data)
    return InteractionRead.model_validate(entry)
