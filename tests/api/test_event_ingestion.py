"""POST /api/v1/events: typed batches, idempotent by event_id, atomic, errors naming the event's
index and field; events:write needed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.events.models import Event
from tests import factories
from tests.personas import Personas


def _event(event_id: str, customer_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "payment_received",
        "occurred_at": "2026-11-25T10:00:00+08:00",
        "customer_id": customer_id,
        "payload": {
            "payment_reference": f"PAY-{event_id}",
            "amount_minor": 250_000,
            "currency": "CNY",
            "received_on": "2026-11-25",
        },
        **overrides,
    }


def _ingested(session: Session) -> int:
    statement = select(func.count()).select_from(Event).where(Event.entity_type == "ingested")
    return session.scalar(statement) or 0


def test_a_batch_is_accepted_and_its_replay_reports_duplicates_and_stores_nothing_new(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    body = {"events": [_event("p-1", customer.id), _event("p-2", customer.id)]}
    headers = personas.alice_analyst.headers
    first = client.post("/api/v1/events", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 2, "duplicates": 0, "duplicate_event_ids": []}
    replay = client.post("/api/v1/events", json=body, headers=headers)
    assert replay.json() == {
        "accepted": 0,
        "duplicates": 2,
        "duplicate_event_ids": ["p-1", "p-2"],
    }
    assert _ingested(session) == 2


def test_an_invalid_payload_is_refused_with_the_events_index_and_field(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    bad = _event("p-3", customer.id)
    bad["payload"] = {**bad["payload"], "amount_minor": -5, "discount": 1}
    body = {"events": [_event("p-2", customer.id), bad]}
    response = client.post("/api/v1/events", json=body, headers=personas.bob_manager.headers)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert "events.1.payment_received.payload.amount_minor" in fields
    assert "events.1.payment_received.payload.discount" in fields
    assert _ingested(session) == 0


def test_an_unknown_customer_fails_the_whole_batch_naming_the_event(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    body = {"events": [_event("p-4", customer.id), _event("p-5", 999_999)]}
    response = client.post("/api/v1/events", json=body, headers=personas.adam_admin.headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [d["field"] for d in error["details"]] == ["events[1].customer_id"]
    assert _ingested(session) == 0


def test_batches_over_ten_thousand_events_are_refused(
    client: TestClient, personas: Personas
) -> None:
    body = {"events": [_event(f"e-{n}", 1) for n in range(10_001)]}
    response = client.post("/api/v1/events", json=body, headers=personas.adam_admin.headers)
    assert response.status_code == 422


def test_sales_and_auditors_may_not_post_events(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    body = {"events": [_event("p-6", customer.id)]}
    for persona in (personas.sam_sales, personas.ada_auditor):
        response = client.post("/api/v1/events", json=body, headers=persona.headers)
        assert response.status_code == 403, persona.user.username
    assert _ingested(session) == 0
