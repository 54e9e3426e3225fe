"""GET/POST /api/v1/customers/{id}/interactions: the interaction log through the REST API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from tests.api.records import audit_actions, error_fields
from tests.personas import Personas


def _url(customer_id: int) -> str:
    return f"/api/v1/customers/{customer_id}/interactions"


def _an_hour_ago() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()


def test_sales_log_a_visit_and_read_it_back_latest_first(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    headers = personas.sam_sales.headers
    earlier = {
        "kind": "call",
        "occurred_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        "summary": "电话确认对账单。",
    }
    assert client.post(_url(customer.id), json=earlier, headers=headers).status_code == 201
    visit = {
        "kind": "visit",
        "occurred_at": _an_hour_ago(),
        "summary": "拜访工厂，产能正常。",
        "follow_up_on": "2099-01-15",
    }
    created = client.post(_url(customer.id), json=visit, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["author"], body["follow_up_on"]) == (
        "visit",
        "sam_sales",
        "2099-01-15",
    )
    assert audit_actions(session, "customer_interactions", body["id"]) == ["create"]
    listed = client.get(_url(customer.id), headers=personas.ada_auditor.headers).json()
    assert listed["total"] == 2
    assert [item["summary"] for item in listed["items"]] == [
        "拜访工厂，产能正常。",
        "电话确认对账单。",
    ]


def test_bad_input_is_a_400_or_422_naming_the_field(client: TestClient, personas: Personas) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    empty = client.post(
        _url(customer.id),
        json={"kind": "note", "occurred_at": future, "summary": "  "},
        headers=headers,
    )
    assert empty.status_code == 400
    assert error_fields(empty.json()) == {"summary", "occurred_at"}
    unknown = client.post(
        _url(customer.id),
        json={"kind": "fax", "occurred_at": _an_hour_ago(), "summary": "传真"},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert "kind" in unknown.text
    naive = client.post(
        _url(customer.id),
        json={"kind": "note", "occurred_at": "2026-12-01T10:00:00", "summary": "无时区"},
        headers=headers,
    )
    assert naive.status_code == 422
    assert "occurred_at" in naive.text


def test_auditors_read_but_do_not_log_and_unknown_customers_are_not_found(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    payload = {"kind": "note", "occurred_at": _an_hour_ago(), "summary": "审计员的备注"}
    refused = client.post(_url(customer.id), json=payload, headers=personas.ada_auditor.headers)
    assert refused.status_code == 403
    missing = client.post(_url(987_654), json=payload, headers=personas.bob_manager.headers)
    assert missing.status_code == 404
    assert client.get(_url(987_654), headers=personas.bob_manager.headers).status_code == 404
