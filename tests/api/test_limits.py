"""Limits over REST: the customer's limit with its recommendation, requests with maker-checker
decisions, blocks and limit policies — permissions by persona."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.limits.configs import shipped_yaml
from tests.integration.limits.conftest import graded_customer
from tests.personas import Persona, Personas


def _request(
    client: TestClient, persona: Persona, customer_id: int, amount: str, **extra: Any
) -> Any:
    body = {
        "customer_id": customer_id,
        "kind": "new",
        "amount": {"amount": amount, "currency": "CNY"},
        "justification": "新客户",
        **extra,
    }
    return client.post("/api/v1/limit-requests", json=body, headers=persona.headers)


def test_customer_limit_shows_the_recommendation_with_its_reasoning_in_the_callers_language(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    response = client.get(
        f"/api/v1/customers/{customer.id}/limit",
        headers={**personas.sam_sales.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["in_force"] is None
    recommendation = body["recommendation"]
    assert recommendation["amount"] == {"amount": "680000.00", "currency": "CNY"}
    equity = next(line for line in recommendation["reasons"] if line["key"] == "equity_base")
    assert equity["values"]["amount"] == 675_000_00
    assert equity["text"] == "Equity 4,500,000.00 × 15% = 675,000.00."


def test_sales_asks_an_analyst_approves_and_the_limit_is_in_force_at_once(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    created = _request(client, personas.sam_sales, customer.id, "300000")
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert created.json()["tier"] == "analyst"

    refused = client.post(
        f"/api/v1/limit-requests/{request_id}/decision",
        json={"decision": "approve"},
        headers=personas.sam_sales.headers,
    )
    assert refused.status_code == 403

    waiting = client.get(
        "/api/v1/limit-requests?awaiting-me=true", headers=personas.alice_analyst.headers
    )
    assert [item["id"] for item in waiting.json()["items"]] == [request_id]

    approved = client.post(
        f"/api/v1/limit-requests/{request_id}/decision",
        json={"decision": "approve", "comment": "财务稳健"},
        headers=personas.alice_analyst.headers,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    limit = client.get(
        f"/api/v1/customers/{customer.id}/limit", headers=personas.ada_auditor.headers
    ).json()
    assert limit["in_force"]["amount"] == {"amount": "300000.00", "currency": "CNY"}
    assert [row["status"] for row in limit["history"]] == ["active"]

    detail = client.get(
        f"/api/v1/limit-requests/{request_id}", headers=personas.ada_auditor.headers
    ).json()
    assert [(d["decided_by"], d["role"]) for d in detail["decisions"]] == [
        ("alice_analyst", "credit_analyst")
    ]


def test_the_requester_is_refused_as_approver_with_a_clear_code(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    request_id = _request(client, personas.bob_manager, customer.id, "100000").json()["id"]
    response = client.post(
        f"/api/v1/limit-requests/{request_id}/decision",
        json={"decision": "approve"},
        headers=personas.bob_manager.headers,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_limit_request"


def test_an_analyst_is_refused_on_the_committee_tier(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "D")
    request_id = _request(client, personas.sam_sales, customer.id, "10000").json()["id"]
    response = client.post(
        f"/api/v1/limit-requests/{request_id}/decision",
        json={"decision": "approve"},
        headers=personas.alice_analyst.headers,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_an_approver_of_tier"


def test_auditors_read_but_cannot_ask_for_limits(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    assert _request(client, personas.ada_auditor, customer.id, "1000").status_code == 403
    listed = client.get("/api/v1/limit-requests", headers=personas.ada_auditor.headers)
    assert listed.status_code == 200


def test_a_temporary_request_without_an_end_date_names_the_field(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    response = _request(client, personas.sam_sales, customer.id, "1000", kind="temporary")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "valid_until"


def test_blocks_are_set_by_analysts_and_released_with_a_reason(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    body = {"kind": "credit_block", "reason": "工商异常"}
    url = f"/api/v1/customers/{customer.id}/blocks"
    assert client.post(url, json=body, headers=personas.sam_sales.headers).status_code == 403
    created = client.post(url, json=body, headers=personas.alice_analyst.headers)
    assert created.status_code == 201, created.text
    block_id = created.json()["id"]
    limit = client.get(
        f"/api/v1/customers/{customer.id}/limit", headers=personas.sam_sales.headers
    ).json()
    assert [(b["kind"], b["source"]) for b in limit["blocks"]] == [("credit_block", "manual")]

    released = client.post(
        f"/api/v1/blocks/{block_id}/release",
        json={"reason": "已核实"},
        headers=personas.bob_manager.headers,
    )
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert client.get(url, headers=personas.ada_auditor.headers).json()["items"] == []


def test_limit_policies_are_imported_by_managers_and_validated(
    client: TestClient, personas: Personas
) -> None:
    stricter = shipped_yaml().replace('max_amount: "1000000"', 'max_amount: "500000"')
    body = {"yaml": stricter, "activate": True}
    refused = client.post(
        "/api/v1/limit-policies", json=body, headers=personas.alice_analyst.headers
    )
    assert refused.status_code == 403
    created = client.post("/api/v1/limit-policies", json=body, headers=personas.bob_manager.headers)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["status"]) == (1, "active")
    exported = client.get("/api/v1/limit-policies/1", headers=personas.ada_auditor.headers)
    assert exported.json()["yaml"] == stricter.strip()  # inputs are stripped

    broken = client.post(
        "/api/v1/limit-policies",
        json={"yaml": "name: x\ncurrency: CNY\n"},
        headers=personas.bob_manager.headers,
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_limit_policy"
    assert "missing" in broken.json()["error"]["message"]
