from __future__ import annotations

from fastapi.testclient import TestClient

from fengkong.customers.status import RelationType
from tests import factories
from tests.api.records import error_fields
from tests.personas import Personas

URL = "/api/v1/related-parties"


def test_a_customer_lists_its_links_on_both_sides(client: TestClient, personas: Personas) -> None:
    group = factories.customer(name="集团母公司")
    member = factories.customer(name="成员子公司")
    guarantor = factories.customer(name="担保人公司")
    factories.related_party(
        customer_id=member.id, related_customer_id=group.id, relation_type=RelationType.PARENT
    )
    factories.related_party(
        customer_id=member.id,
        related_customer_id=guarantor.id,
        relation_type=RelationType.GUARANTOR,
        verified=True,
    )
    factories.related_party()
    headers = personas.sam_sales.headers

    of_member = client.get(f"/api/v1/customers/{member.id}/related-parties", headers=headers)
    assert of_member.json()["total"] == 2
    of_group = client.get(f"/api/v1/customers/{group.id}/related-parties", headers=headers).json()
    assert [(item["customer_id"], item["relation_type"]) for item in of_group["items"]] == [
        (member.id, "parent")
    ]
    verified = client.get(URL, headers=headers, params={"customer_id": member.id, "verified": True})
    assert [item["related_customer_id"] for item in verified.json()["items"]] == [guarantor.id]
    by_type = client.get(URL, headers=headers, params={"relation_type": "guarantor"})
    assert by_type.json()["total"] == 1
    missing = client.get("/api/v1/customers/987654/related-parties", headers=headers)
    assert missing.status_code == 404


def test_sales_may_link_customers_but_not_a_customer_to_itself(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    other = factories.customer()
    headers = personas.sam_sales.headers
    payload = {
        "customer_uscc": customer.uscc,
        "related_customer_id": other.id,
        "relation_type": "same_legal_representative",
    }
    created = client.post(URL, headers=headers, json=payload)
    assert created.status_code == 201, created.text
    assert created.json()["verified"] is False

    itself = client.post(URL, headers=headers, json={**payload, "related_customer_id": customer.id})
    assert (itself.status_code, error_fields(itself.json())) == (400, {"related_customer_id"})
    shape = client.post(
        URL,
        headers=headers,
        json={
            **payload,
            "related_customer_uscc": other.uscc,
            "ownership_share": "1.5",
            "relation_type": "cousin",
        },
    )
    assert shape.status_code == 422
    assert error_fields(shape.json()) == {
        "related_customer_uscc",
        "ownership_share",
        "relation_type",
    }
