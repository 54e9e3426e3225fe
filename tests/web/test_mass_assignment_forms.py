"""No mass assignment through the web forms either: server-owned field names posted beside a
limit request or an interaction are ignored, and the records keep what the server decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer, CustomerInteraction
from fengkong.limits import service
from fengkong.limits.status import RequestStatus
from fengkong.risk.models import CustomerRating
from tests import factories
from tests.integration.limits.conftest import graded_customer
from tests.personas import Personas
from tests.web.conftest import SignedIn

SERVER_OWNED = {
    "status": "approved",
    "approved_by": "adam_admin",
    "decided_by": "adam_admin",
    "credit_limit": "99999999",
    "grade": "A",
    "score": "999",
    "owner_id": "1",
    "requested_by": "adam_admin",
    "requested_by_id": "1",
    "author": "adam_admin",
    "author_id": "1",
    "customer_id": "1",
    "created_at": "2020-01-01T00:00",
    "submitted_at": "2020-01-01T00:00",
    "version": "99",
}


def _customer_state(session: Session, customer_id: int) -> tuple[Any, ...]:
    session.expire_all()
    customer = session.get(Customer, customer_id)
    assert customer is not None
    ratings = session.scalars(
        select(CustomerRating).where(CustomerRating.customer_id == customer_id)
    ).all()
    return (
        customer.owner_id,
        customer.status,
        customer.version,
        [(rating.grade, rating.score) for rating in ratings],
    )


def test_a_limit_request_form_ignores_server_owned_fields(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    before = _customer_state(session, customer.id)
    sales = signed_in(personas.sam_sales)

    response = sales.post(
        f"/customers/{customer.id}/limit-requests",
        {"kind": "new", "amount": "300,000.00", "justification": "首单", **SERVER_OWNED},
    )

    assert response.status_code == 303
    [request] = service.list_requests(session, personas.sam_sales.actor, customer_id=customer.id)
    assert request.status is RequestStatus.SUBMITTED
    assert (request.requested_by, request.requested_by_id) == (
        "sam_sales",
        personas.sam_sales.user.id,
    )
    assert request.submitted_at > datetime(2021, 1, 1, tzinfo=UTC)  # not the posted 2020
    assert _customer_state(session, customer.id) == before


def test_an_interaction_form_ignores_server_owned_fields(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    other = factories.customer()
    before = _customer_state(session, customer.id)
    moment = (datetime.now(UTC) - timedelta(hours=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    form = {"kind": "call", "occurred_at": moment, "summary": "电话沟通。", "follow_up_on": ""}

    response = signed_in(personas.sam_sales).post(
        f"/customers/{customer.id}/interactions",
        {**form, **SERVER_OWNED, "customer_id": str(other.id)},
    )

    assert response.status_code == 303
    [entry] = session.scalars(
        select(CustomerInteraction).where(
            CustomerInteraction.customer_id.in_([customer.id, other.id])
        )
    ).all()
    assert entry.customer_id == customer.id
    assert (entry.author, entry.author_id) == ("sam_sales", personas.sam_sales.user.id)
    assert entry.created_at > datetime(2021, 1, 1, tzinfo=UTC)  # not the posted 2020
    assert _customer_state(session, customer.id) == before
