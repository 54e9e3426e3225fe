from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from fengkong.orders.status import OrderStatus
from tests import factories
from tests.api.records import QueryValue, error_fields
from tests.api.resources import money
from tests.personas import Personas

URL = "/api/v1/orders"


def test_sales_place_orders_which_move_only_along_their_status_transitions(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.sam_sales.headers
    created = client.post(
        URL,
        headers=headers,
        json={
            "customer_id": customer.id,
            "order_number": "SO-2026-0001",
            "ordered_on": "2026-03-01",
            "amount": money("120000.00"),
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "open"
    url = f"{URL}/{created.json()['id']}"
    assert client.patch(url, headers=headers, json={"status": "shipped"}).status_code == 200
    backwards = client.patch(url, headers=headers, json={"status": "open"})
    assert backwards.status_code == 400
    assert backwards.json()["error"]["details"] == [
        {
            "field": "status",
            "value": "open",
            "message": "status cannot change from shipped to open",
        }
    ]
    early = client.patch(url, headers=headers, json={"requested_delivery_on": "2026-02-28"})
    assert (early.status_code, error_fields(early.json())) == (400, {"requested_delivery_on"})
    unknown = client.patch(url, headers=headers, json={"status": "lost"})
    assert (unknown.status_code, error_fields(unknown.json())) == (422, {"status"})


def test_the_list_filters_and_pages(client: TestClient, personas: Personas) -> None:
    customer = factories.customer()
    for day in range(1, 6):
        factories.order(customer_id=customer.id, ordered_on=date(2026, 1, day))
    factories.order(customer_id=customer.id, status=OrderStatus.CANCELLED)
    factories.order()
    headers = personas.ada_auditor.headers
    params: dict[str, QueryValue] = {
        "customer_id": customer.id,
        "status": "open",
        "page_size": 2,
        "page": 2,
    }
    body = client.get(URL, headers=headers, params=params).json()
    assert (body["total"], body["pages"]) == (5, 3)
    assert [item["ordered_on"] for item in body["items"]] == ["2026-01-03", "2026-01-02"]
    window = client.get(
        URL,
        headers=headers,
        params={
            "customer_id": customer.id,
            "ordered_from": "2026-01-02",
            "ordered_to": "2026-01-03",
        },
    )
    assert window.json()["total"] == 2
