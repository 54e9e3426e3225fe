"""The ERP credit check over REST: the request and answer shapes, idempotency by order_id,
permissions by persona, the hold queue and its decisions, rule sets and simulation."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.credit_checks.configs import shipped_yaml
from fengkong.customers.models import Customer
from fengkong.kit.money import Money
from tests import factories
from tests.integration.credit_checks import conftest as credit_checks
from tests.integration.credit_checks.conftest import DAY, World
from tests.personas import Personas

URL = "/api/v1/credit-checks"
world = credit_checks.world  # the fixture, shared with the integration tests


def _customer(world: World, *, owed: str = "60000.00", limit: str = "100000.00") -> int:
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id,
        issue_date=DAY,
        due_date=DAY + timedelta(days=400),
        amount=Money.of(owed, "CNY"),
    )
    world.limit(customer.id, limit)
    return customer.id


def _body(customer_id: int, amount: str, order_id: str = "SAP-4711") -> dict[str, object]:
    return {"order_id": order_id, "customer_id": customer_id, "amount": amount, "currency": "CNY"}


def test_an_approved_check_answers_201_with_the_numbers_in_decimal_strings(
    client: TestClient, personas: Personas, world: World
) -> None:
    customer_id = _customer(world)

    response = client.post(
        URL, json=_body(customer_id, "30000"), headers=personas.sam_sales.headers
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["decision"] == "approve"
    assert (body["exposure_before"], body["exposure_after"]) == ("60000.00", "90000.00")
    assert (body["limit"], body["available_credit"], body["currency"]) == (
        "100000.00",
        "40000.00",
        "CNY",
    )
    assert body["rule_set_version"] == 1
    assert body["hold"] is None
    assert {"code", "step", "outcome", "message", "values"} <= set(body["reasons"][0])


def test_the_same_order_again_answers_200_with_the_stored_decision(
    client: TestClient, personas: Personas, world: World
) -> None:
    customer_id = _customer(world)
    headers = personas.sam_sales.headers
    first = client.post(URL, json=_body(customer_id, "30000.00"), headers=headers).json()

    again = client.post(URL, json=_body(customer_id, "30000"), headers=headers)
    changed = client.post(URL, json=_body(customer_id, "31000.00"), headers=headers)

    assert again.status_code == 200
    assert again.json()["check_id"] == first["check_id"]
    assert changed.status_code == 201
    assert changed.json()["check_id"] != first["check_id"]


def test_a_customer_can_be_named_by_uscc_and_reasons_follow_the_callers_language(
    client: TestClient, personas: Personas, world: World, session: Session
) -> None:
    customer_id = _customer(world)
    customer = session.get(Customer, customer_id)
    assert customer is not None
    body = {
        "order_id": "SAP-1",
        "customer_uscc": customer.uscc,
        "amount": "50000.00",
        "currency": "CNY",
    }

    chinese = client.post(
        URL, json=body, headers={**personas.sam_sales.headers, "Accept-Language": "zh-CN"}
    )
    english = client.get(
        f"{URL}/{chinese.json()['check_id']}",
        headers={**personas.alice_analyst.headers, "Accept-Language": "en"},
    )

    assert chinese.json()["decision"] == "hold"
    blocking = [r for r in english.json()["reasons"] if r["outcome"] == "block"]
    assert blocking[0]["message"] == (
        "Exposure after the order 110,000.00 exceeds the limit 100,000.00 by 10,000.00."
    )
    chinese_blocking = [r for r in chinese.json()["reasons"] if r["outcome"] == "block"]
    assert chinese_blocking[0]["message"] != blocking[0]["message"]


def test_bad_payloads_are_422_and_unknown_customers_or_foreign_currencies_400(
    client: TestClient, personas: Personas, world: World
) -> None:
    headers = personas.sam_sales.headers
    customer_id = _customer(world)
    for body in (
        {**_body(customer_id, "0")},
        {**_body(customer_id, "10.001")},
        {**_body(customer_id, "10"), "currency": "ABC"},
        {**_body(customer_id, "10"), "stage": "shipping"},
        {"order_id": "x", "amount": "1", "currency": "CNY"},
        {**_body(customer_id, "10"), "exposure": "0"},
    ):
        assert client.post(URL, json=body, headers=headers).status_code == 422, body
    dollars = client.post(
        URL, json={**_body(customer_id, "10"), "currency": "USD"}, headers=headers
    )
    assert dollars.json()["error"]["code"] == "currency_not_credit_currency"
    unknown = client.post(URL, json=_body(999_999, "10"), headers=headers)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"][0]["field"] == "customer_id"


def test_who_may_check_decide_and_read(
    client: TestClient, personas: Personas, world: World
) -> None:
    customer_id = _customer(world)
    auditor = client.post(URL, json=_body(customer_id, "10"), headers=personas.ada_auditor.headers)
    assert auditor.status_code == 403
    held = client.post(URL, json=_body(customer_id, "50000"), headers=personas.sam_sales.headers)
    hold_id = held.json()["hold"]["id"]
    assert (
        client.get("/api/v1/credit-holds", headers=personas.ada_auditor.headers).status_code == 200
    )
    release = {"reason_code": "payment_received", "comment": "paid"}
    sales = client.post(
        f"/api/v1/credit-holds/{hold_id}/release", json=release, headers=personas.sam_sales.headers
    )
    assert sales.status_code == 403


def test_a_credit_manager_works_the_hold_queue_but_not_their_own_checks(
    client: TestClient, personas: Personas, world: World
) -> None:
    customer_id = _customer(world)
    analyst = personas.alice_analyst.headers
    held = client.post(URL, json=_body(customer_id, "50000", "SAP-1"), headers=analyst).json()
    other = client.post(
        URL, json=_body(customer_id, "45000", "SAP-2"), headers=personas.sam_sales.headers
    ).json()

    queue = client.get("/api/v1/credit-holds?status=open", headers=analyst).json()["items"]
    own = client.post(
        f"/api/v1/credit-holds/{held['hold']['id']}/release",
        json={"reason_code": "payment_received"},
        headers=analyst,
    )
    partial = client.post(
        f"/api/v1/credit-holds/{other['hold']['id']}/release",
        json={
            "kind": "partial",
            "approved_amount": "30000.00",
            "reason_code": "strategic_customer",
            "comment": "key account",
        },
        headers={**analyst, "Accept-Language": "en"},
    )
    rejected = client.post(
        f"/api/v1/credit-holds/{held['hold']['id']}/reject",
        json={"reason_code": "exposure_too_high", "comment": "no"},
        headers=personas.bob_manager.headers,
    )

    assert [item["order_id"] for item in queue] == ["SAP-1", "SAP-2"]
    assert (own.status_code, own.json()["error"]["code"]) == (403, "requester_cannot_decide")
    assert partial.status_code == 200, partial.text
    assert partial.json()["status"] == "released"
    assert (partial.json()["approved_amount"], partial.json()["reason"]) == (
        "30000.00",
        "Strategic customer, risk accepted",
    )
    assert partial.json()["decided_by"] == "alice_analyst"
    assert rejected.json()["status"] == "rejected"
    again = client.post(
        f"/api/v1/credit-holds/{held['hold']['id']}/reject",
        json={"reason_code": "exposure_too_high"},
        headers=personas.bob_manager.headers,
    )
    assert (again.status_code, again.json()["error"]["code"]) == (
        409,
        "credit_hold_already_decided",
    )
    assert client.get("/api/v1/credit-holds", headers=analyst).json()["items"] == []


def test_missing_checks_and_holds_are_404(client: TestClient, personas: Personas) -> None:
    headers = personas.alice_analyst.headers
    assert client.get(f"{URL}/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/credit-holds/999999", headers=headers).status_code == 404


def test_a_risk_manager_imports_activates_and_simulates_a_rule_set(
    client: TestClient, personas: Personas, world: World
) -> None:
    headers = personas.bob_manager.headers
    customer_id = _customer(world)
    client.post(URL, json=_body(customer_id, "1000"), headers=personas.sam_sales.headers)
    strict = shipped_yaml().replace("name: fengkong-default-checks", "name: strict")

    imported = client.post("/api/v1/credit-check-rule-sets", json={"yaml": strict}, headers=headers)
    invalid = client.post(
        "/api/v1/credit-check-rule-sets", json={"yaml": "name: x"}, headers=headers
    )
    simulated = client.post(
        f"{URL}/simulations",
        json={"version": imported.json()["version"], "months": 6},
        headers=headers,
    )
    by_analyst = client.post(
        f"{URL}/simulations", json={"yaml": strict}, headers=personas.alice_analyst.headers
    )
    activated = client.post(
        f"/api/v1/credit-check-rule-sets/{imported.json()['version']}/activate", headers=headers
    )
    listed = client.get(
        "/api/v1/credit-check-rule-sets", headers=personas.ada_auditor.headers
    ).json()["items"]

    assert (imported.status_code, imported.json()["status"], imported.json()["name"]) == (
        201,
        "draft",
        "strict",
    )
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (400, "invalid_rule_set")
    assert simulated.status_code == 200, simulated.text
    assert {"draft", "active", "start", "end"} <= set(simulated.json())
    assert by_analyst.status_code == 403
    assert activated.json()["status"] == "active"
    assert [(row["version"], row["status"]) for row in listed] == [(2, "active"), (1, "retired")]
