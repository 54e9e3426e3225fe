"""Collections over REST: runs, notices and letters, promises, the worklist, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from tests.integration.collections.conftest import TODAY, overdue_invoice
from tests.personas import Persona, Personas


def _run(client: TestClient, persona: Persona) -> dict[str, Any]:
    response = client.post(
        "/api/v1/dunning-runs", headers=persona.headers, json={"run_on": TODAY.isoformat()}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_dunning_run_issues_notices_whose_letters_come_in_both_languages(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    overdue_invoice(customer.id, 16, "2500.50", invoice_number="INV-API-1")
    body = _run(client, personas.alice_analyst)
    assert body["notices_issued"] == 1
    assert body["notices_by_level"] == {"2": 1}
    (notice_id,) = body["notice_ids"]

    notice = client.get(f"/api/v1/dunning-notices/{notice_id}", headers=personas.sam_sales.headers)
    assert notice.status_code == 200
    assert notice.json()["total_overdue"] == {"amount": "2500.50", "currency": "CNY"}
    assert [item["invoice_number"] for item in notice.json()["items"]] == ["INV-API-1"]

    zh = client.get(
        f"/api/v1/dunning-notices/{notice_id}/letter",
        params={"lang": "zh_CN"},
        headers=personas.ada_auditor.headers,
    )
    assert zh.status_code == 200
    assert zh.headers["content-type"].startswith("text/html")
    assert "第二次催款通知" in zh.text
    assert "INV-API-1" in zh.text
    assert "¥2,500.50" in zh.text
    en = client.get(
        f"/api/v1/dunning-notices/{notice_id}/letter",
        params={"lang": "en"},
        headers=personas.ada_auditor.headers,
    )
    assert "Second notice" in en.text
    assert "CN¥2,500.50" in en.text
    assert "INV-API-1" in en.text

    again = _run(client, personas.bob_manager)
    assert again["notices_issued"] == 0


@pytest.mark.parametrize("who", ["sam_sales", "ada_auditor"])
def test_sales_and_auditors_may_not_run_dunning(
    client: TestClient, personas: Personas, who: str
) -> None:
    persona: Persona = getattr(personas, who)
    response = client.post("/api/v1/dunning-runs", headers=persona.headers, json={})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_notice_can_be_cancelled_once_by_an_analyst(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    overdue_invoice(customer.id, 3)
    (notice_id,) = _run(client, personas.alice_analyst)["notice_ids"]
    url = f"/api/v1/dunning-notices/{notice_id}/cancel"
    denied = client.post(url, headers=personas.sam_sales.headers, json={"reason": "错发"})
    assert denied.status_code == 403
    cancelled = client.post(url, headers=personas.alice_analyst.headers, json={"reason": "错发"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    twice = client.post(url, headers=personas.alice_analyst.headers, json={"reason": "错发"})
    assert twice.status_code == 409
    listed = client.get(
        "/api/v1/dunning-notices",
        params={"customer_id": customer.id, "status": "cancelled"},
        headers=personas.ada_auditor.headers,
    )
    assert listed.json()["total"] == 1


def test_sales_records_a_promise_the_auditor_cannot_and_the_review_judges_it(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, 20, "800.00")
    url = f"/api/v1/customers/{customer.id}/promises"
    payload = {
        "invoice_id": invoice.id,
        "amount": {"amount": "800.00", "currency": "CNY"},
        "promised_on": "2026-06-01",
        "due_on": "2026-06-10",
        "note": "财务说下周付款",
    }
    assert client.post(url, headers=personas.ada_auditor.headers, json=payload).status_code == 403
    created = client.post(url, headers=personas.sam_sales.headers, json=payload)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "open"
    assert created.json()["recorded_by"] == "sam_sales"

    review = client.post(
        "/api/v1/promises/review",
        headers=personas.alice_analyst.headers,
        json={"today": TODAY.isoformat()},
    )
    assert review.status_code == 200
    assert review.json()["broken"] == [created.json()["id"]]
    listed = client.get(url, headers=personas.sam_sales.headers).json()["items"]
    assert [(item["status"], item["paid"]) for item in listed] == [
        ("broken", {"amount": "0.00", "currency": "CNY"})
    ]


def test_a_promise_input_with_an_unknown_field_is_refused(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    response = client.post(
        f"/api/v1/customers/{customer.id}/promises",
        headers=personas.alice_analyst.headers,
        json={
            "amount": {"amount": "1", "currency": "CNY"},
            "due_on": "2030-01-01",
            "status": "kept",
        },
    )
    assert response.status_code == 422


def test_the_worklist_is_ranked_and_readable_by_every_role(
    client: TestClient, personas: Personas, session: Session
) -> None:
    small, big = factories.customer(), factories.customer()
    overdue_invoice(small.id, 5, "100.00")
    overdue_invoice(big.id, 5, "90000.00")
    for persona in personas.all():
        response = client.get(
            "/api/v1/collections/worklist",
            params={"as_of": TODAY.isoformat()},
            headers=persona.headers,
        )
        assert response.status_code == 200, persona.user.username
    items = response.json()["items"]
    assert [(item["rank"], item["customer_id"]) for item in items] == [(1, big.id), (2, small.id)]
    assert items[0]["overdue"] == {"amount": "90000.00", "currency": "CNY"}
    assert items[0]["priority"] == "4500.00"  # 90,000.00 × unrated PD 0.05
