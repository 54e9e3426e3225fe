from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from fengkong.legal_events.kinds import LegalEventType
from tests import factories
from tests.api.records import QueryValue, error_fields
from tests.api.resources import money
from tests.personas import Personas

URL = "/api/v1/legal-events"


def test_an_event_cannot_be_resolved_before_it_occurred_nor_carry_a_negative_sum(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    payload = {
        "customer_id": customer.id,
        "event_type": "dishonest_debtor",
        "occurred_on": "2026-04-01",
        "resolved_on": "2026-03-01",
    }
    early = client.post(URL, headers=headers, json=payload)
    assert (early.status_code, error_fields(early.json())) == (400, {"resolved_on"})
    negative = client.post(
        URL, headers=headers, json={**payload, "resolved_on": None, "amount": money("-1.00")}
    )
    assert (negative.status_code, error_fields(negative.json())) == (422, {"amount"})
    created = client.post(URL, headers=headers, json={**payload, "resolved_on": None})
    assert created.status_code == 201, created.text
    assert (created.json()["case_number"], created.json()["amount"]) == ("", None)
    fined = client.patch(
        f"{URL}/{created.json()['id']}", headers=headers, json={"amount": money("5000.00")}
    )
    assert fined.json()["amount"] == money("5000.00")


def test_the_list_filters_by_type_and_unresolved(client: TestClient, personas: Personas) -> None:
    customer = factories.customer()
    factories.legal_event(customer_id=customer.id, occurred_on=date(2026, 1, 5))
    factories.legal_event(
        customer_id=customer.id,
        occurred_on=date(2026, 2, 5),
        resolved_on=date(2026, 3, 1),
    )
    factories.legal_event(
        customer_id=customer.id,
        event_type=LegalEventType.ENFORCEMENT,
        occurred_on=date(2026, 3, 5),
    )
    headers = personas.ada_auditor.headers

    def occurred(**params: QueryValue) -> list[str]:
        response = client.get(URL, headers=headers, params={"customer_id": customer.id, **params})
        return [item["occurred_on"] for item in response.json()["items"]]

    assert occurred() == ["2026-03-05", "2026-02-05", "2026-01-05"]
    assert occurred(event_type="lawsuit", unresolved_only=True) == ["2026-01-05"]
    assert occurred(occurred_from="2026-02-01", sort="occurred_on") == ["2026-02-05", "2026-03-05"]
    assert client.get(URL, headers=headers, params={"event_type": "x"}).status_code == 422
