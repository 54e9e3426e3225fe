"""Periodic reviews over REST: schedule, list with overdue first, start, tick, complete — and who
may do what."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from tests.personas import Personas

CREATED = datetime(2020, 1, 10, 8, 0, tzinfo=UTC)


def test_an_analyst_schedules_starts_ticks_and_completes_a_review(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer(created_at=CREATED)
    analyst = personas.alice_analyst
    scheduled = client.post(
        "/api/v1/reviews/schedule", json={"customer_ids": [customer.id]}, headers=analyst.headers
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json() == {"created": 1, "already_open": 0}

    listed = client.get(
        f"/api/v1/customers/{customer.id}/reviews", headers=personas.ada_auditor.headers
    )
    assert listed.status_code == 200, listed.text
    [review] = listed.json()["items"]
    assert review["status"] == "scheduled"
    # created long ago and never reviewed: due today, not yet overdue
    assert review["overdue"] is False

    started = client.post(f"/api/v1/reviews/{review['id']}/start", headers=analyst.headers)
    assert started.status_code == 200, started.text
    assert started.json()["assignee_id"] == analyst.user.id
    ticked = client.post(
        f"/api/v1/reviews/{review['id']}/checklist",
        json={"key": "credit_report_pulled"},
        headers={**analyst.headers, "If-Match": started.headers["ETag"]},
    )
    assert ticked.status_code == 200, ticked.text
    stale = client.post(
        f"/api/v1/reviews/{review['id']}/checklist",
        json={"key": "limit_reassessed"},
        headers={**analyst.headers, "If-Match": started.headers["ETag"]},
    )
    assert stale.status_code == 412

    completed = client.post(
        f"/api/v1/reviews/{review['id']}/complete",
        json={
            "grade_outcome": "overridden",
            "override_grade": "D",
            "override_reason": "新增诉讼",
            "limit_outcome": "kept",
            "tick": ["financials_updated", "limit_reassessed", "visit_or_call_notes"],
        },
        headers=analyst.headers,
    )
    assert completed.status_code == 200, completed.text
    body = completed.json()
    assert body["review"]["status"] == "completed"
    assert body["review"]["override_grade"] == "D"
    assert body["next_review"]["cadence_months"] == 3
    assert body["next_review"]["status"] == "scheduled"


def test_completing_without_the_checklist_names_the_field(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer(created_at=CREATED)
    headers = personas.bob_manager.headers
    client.post("/api/v1/reviews/schedule", json={"customer_ids": [customer.id]}, headers=headers)
    [review] = client.get(f"/api/v1/reviews?customer-id={customer.id}", headers=headers).json()[
        "items"
    ]
    response = client.post(
        f"/api/v1/reviews/{review['id']}/complete",
        json={"grade_outcome": "confirmed", "limit_outcome": "kept"},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "checklist"


def test_sales_may_not_read_reviews_and_the_auditor_may_not_schedule_them(
    client: TestClient, personas: Personas
) -> None:
    assert client.get("/api/v1/reviews", headers=personas.sam_sales.headers).status_code == 403
    response = client.post(
        "/api/v1/reviews/schedule", json={}, headers=personas.ada_auditor.headers
    )
    assert response.status_code == 403
