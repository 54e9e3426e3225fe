"""Idempotency-Key on API writes. The create replay of every resource is covered in
test_resources; here: updates, refusals, key shape, scope, and that every write route takes one."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.api.idempotency import ApiWrite, IdempotentRoute
from fengkong.api.routes import (
    contracts,
    credit_reports,
    customers,
    financial_statements,
    invoices,
    legal_events,
    orders,
    payments,
    related_parties,
)
from fengkong.customers.models import Customer
from fengkong.events.models import Event
from fengkong.idempotency.models import IdempotencyKey
from tests import factories
from tests.api.records import audit_actions, error_fields, row_count
from tests.personas import Personas

CUSTOMERS = "/api/v1/customers"


def _customer_payload(serial: int) -> dict[str, str]:
    return {"uscc": factories.make_uscc(serial), "name": f"幂等测试公司{serial}"}


def test_a_retried_update_replays_the_first_response_and_changes_nothing_more(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer(name="改名前有限公司")
    url = f"{CUSTOMERS}/{customer.id}"
    headers = {
        **personas.alice_analyst.headers,
        "Idempotency-Key": "rename-1",
        "If-Match": 'W/"v1"',
    }
    first = client.patch(url, headers=headers, json={"name": "改名后有限公司"})
    events = row_count(session, Event)
    retry = client.patch(url, headers=headers, json={"name": "改名后有限公司"})
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert retry.headers["ETag"] == first.headers["ETag"] == 'W/"v2"'
    assert "Idempotent-Replayed" not in first.headers
    assert row_count(session, Event) == events
    assert audit_actions(session, "customers", customer.id) == ["create", "update"]


def test_the_same_key_for_a_different_request_is_refused_with_422(
    client: TestClient, personas: Personas, session: Session
) -> None:
    headers = {**personas.alice_analyst.headers, "Idempotency-Key": "order-42"}
    assert client.post(CUSTOMERS, headers=headers, json=_customer_payload(8101)).status_code == 201
    customers = row_count(session, Customer)
    for method, path, body in (
        ("POST", CUSTOMERS, _customer_payload(8102)),
        ("POST", "/api/v1/orders", {"customer_id": 1}),
    ):
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "idempotency_key_reused"
        assert error_fields(response.json()) == {"Idempotency-Key"}
    assert row_count(session, Customer) == customers


def test_a_body_with_other_spacing_or_key_order_is_the_same_request(
    client: TestClient, personas: Personas, session: Session
) -> None:
    headers = {
        **personas.alice_analyst.headers,
        "Idempotency-Key": "spacing",
        "Content-Type": "application/json",
    }
    uscc = factories.make_uscc(8103)
    first = client.post(CUSTOMERS, headers=headers, content=f'{{"uscc":"{uscc}","name":"甲公司"}}')
    retry = client.post(
        CUSTOMERS, headers=headers, content=f'{{ "name": "甲公司",\n  "uscc": "{uscc}" }}'
    )
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_a_failed_request_keeps_no_key_so_its_corrected_retry_runs(
    client: TestClient, personas: Personas, session: Session
) -> None:
    headers = {**personas.alice_analyst.headers, "Idempotency-Key": "fix-and-retry"}
    duplicate = client.post(
        CUSTOMERS, headers=headers, json={"uscc": factories.customer().uscc, "name": "重复"}
    )
    assert duplicate.status_code == 409
    assert row_count(session, IdempotencyKey) == 0
    corrected = client.post(CUSTOMERS, headers=headers, json=_customer_payload(8104))
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers


def test_keys_belong_to_their_user_and_must_be_printable_ascii(
    client: TestClient, personas: Personas, session: Session
) -> None:
    key = {"Idempotency-Key": "shared-key"}
    alice = client.post(
        CUSTOMERS, headers={**personas.alice_analyst.headers, **key}, json=_customer_payload(8105)
    )
    bob = client.post(
        CUSTOMERS, headers={**personas.bob_manager.headers, **key}, json=_customer_payload(8106)
    )
    assert (alice.status_code, bob.status_code) == (201, 201)
    assert alice.json()["id"] != bob.json()["id"]
    for bad_key in ("x" * 256, "has space", ""):
        response = client.post(
            CUSTOMERS,
            headers={**personas.alice_analyst.headers, "Idempotency-Key": bad_key},
            json=_customer_payload(8107),
        )
        assert response.status_code == 422, bad_key
        assert error_fields(response.json()) == {"Idempotency-Key"}


def test_every_write_route_of_the_data_resources_takes_an_idempotency_key() -> None:
    routers = (
        customers.router,
        related_parties.router,
        financial_statements.router,
        invoices.router,
        payments.router,
        orders.router,
        contracts.router,
        credit_reports.router,
        legal_events.router,
    )
    writes = [
        route
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        and (route.methods or set()) & {"POST", "PATCH", "PUT", "DELETE"}
    ]
    assert len(writes) == 4 * len(routers) + 1  # create, update, archive, restore; allocate
    for route in writes:
        assert isinstance(route, IdempotentRoute), route.path
        declared = [dependency.call for dependency in route.dependant.dependencies]
        assert any(isinstance(call, ApiWrite) for call in declared), route.path
