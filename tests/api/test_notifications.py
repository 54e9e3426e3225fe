"""Notifications over REST: own preferences for everyone, webhooks and dead letters for admins,
and a webhook secret that is shown once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.notifications import service
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import DeliveryStatus
from tests.personas import Personas


def test_every_user_sets_their_own_email_preferences(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.sam_sales.headers
    put = client.put(
        "/api/v1/me/notification-preferences/alert.raised",
        json={"mode": "daily_digest", "email": "sam@example.com"},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    listed = client.get("/api/v1/me/notification-preferences", headers=headers).json()
    assert listed["items"] == [
        {"topic": "alert.raised", "mode": "daily_digest", "email": "sam@example.com"}
    ]
    bad = client.put(
        "/api/v1/me/notification-preferences/alert.raised",
        json={"mode": "immediate", "email": "not-an-address"},
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "email"
    deleted = client.delete("/api/v1/me/notification-preferences/alert.raised", headers=headers)
    assert deleted.status_code == 204


def test_the_webhook_secret_is_returned_once_and_only_admins_manage_webhooks(
    client: TestClient, personas: Personas
) -> None:
    body = {"name": "ERP", "url": "https://erp.example.com/hooks", "topics": ["alert.raised"]}
    refused = client.post("/api/v1/webhooks", json=body, headers=personas.bob_manager.headers)
    assert refused.status_code == 403
    created = client.post("/api/v1/webhooks", json=body, headers=personas.adam_admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("whsec_")
    read = client.get(created.headers["Location"], headers=personas.adam_admin.headers)
    assert read.status_code == 200
    assert "secret" not in read.json()
    listed = client.get("/api/v1/webhooks", headers=personas.adam_admin.headers).json()
    assert all("secret" not in item for item in listed["items"])

    patched = client.patch(
        created.headers["Location"], json={"active": False}, headers=personas.adam_admin.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False


def test_an_admin_lists_dead_letters_and_sends_one_round_again(
    client: TestClient, personas: Personas, session: Session
) -> None:
    endpoint, _ = service.create_webhook(
        session, Actor.system("test"), name="x", url="https://erp.example.com/h", topics=["*"]
    )
    service.notify(
        session,
        Actor.system("test"),
        topic="alert.raised",
        subject="s",
        body="b",
        recipients=None,
        payload={},
        dedupe_key="k1",
    )
    delivery = session.query(Delivery).filter_by(endpoint_id=endpoint.id).one()
    delivery.status = DeliveryStatus.DEAD
    delivery.attempts = 6
    session.flush()

    dead = client.get("/api/v1/deliveries?status=dead", headers=personas.adam_admin.headers)
    assert dead.status_code == 200, dead.text
    assert [item["id"] for item in dead.json()["items"]] == [delivery.id]
    assert client.get("/api/v1/deliveries", headers=personas.bob_manager.headers).status_code == 403

    retried = client.post(
        f"/api/v1/deliveries/{delivery.id}/retry", headers=personas.adam_admin.headers
    )
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
