from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests import factories
from tests.api.records import error_fields
from tests.api.resources import money
from tests.personas import Personas

URL = "/api/v1/contracts"


def test_a_contract_cannot_end_before_it_starts_and_only_moves_forward(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    payload = {
        "customer_id": customer.id,
        "contract_number": "HT-2026-01",
        "signed_on": "2025-12-20",
        "starts_on": "2026-01-01",
        "ends_on": "2025-12-31",
        "amount": money("3000000.00"),
    }
    backwards = client.post(URL, headers=headers, json=payload)
    assert (backwards.status_code, error_fields(backwards.json())) == (400, {"ends_on"})
    created = client.post(URL, headers=headers, json={**payload, "ends_on": None})
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["payment_terms_days"]) == ("active", 30)
    url = f"{URL}/{created.json()['id']}"
    assert client.patch(url, headers=headers, json={"status": "completed"}).status_code == 200
    reopened = client.patch(url, headers=headers, json={"status": "active"})
    assert (reopened.status_code, error_fields(reopened.json())) == (400, {"status"})
    terms = client.patch(url, headers=headers, json={"payment_terms_days": -1})
    assert (terms.status_code, error_fields(terms.json())) == (422, {"payment_terms_days"})
    assert client.post(URL, headers=personas.sam_sales.headers, json=payload).status_code == 403


def test_the_list_shows_contracts_in_force_on_a_date(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    running = factories.contract(
        customer_id=customer.id, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    open_ended = factories.contract(
        customer_id=customer.id, starts_on=date(2025, 1, 1), ends_on=None
    )
    factories.contract(customer_id=customer.id, starts_on=date(2027, 1, 1), ends_on=None)
    body = client.get(
        URL,
        headers=personas.sam_sales.headers,
        params={"customer_id": customer.id, "in_force_on": "2026-06-30", "sort": "starts_on"},
    ).json()
    assert [item["id"] for item in body["items"]] == [open_ended.id, running.id]
