"""Behaviour every resource shares, checked for each: the write lifecycle with ETags, the audit
trail and outbox, archiving, idempotent retries, duplicates, permissions and mass assignment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from tests import factories
from tests.api.records import audit_actions, error_fields, event_types
from tests.api.resources import RESOURCES, Resource
from tests.personas import Personas


@pytest.fixture(params=RESOURCES, ids=str)
def resource(request: pytest.FixtureRequest) -> Resource:
    chosen: Resource = request.param
    return chosen


def _owner(session: Session, record: Any) -> Customer:
    if isinstance(record, Customer):
        return record
    owner = session.get(Customer, record.customer_id)
    assert owner is not None
    return owner


def _listed_ids(
    client: TestClient, resource: Resource, headers: dict[str, str], **params: Any
) -> set[int]:
    response = client.get(resource.path, headers=headers, params={"page_size": 500, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_a_record_goes_through_create_read_update_archive_and_restore(
    client: TestClient, personas: Personas, session: Session, resource: Resource
) -> None:
    headers = personas.bob_manager.headers
    payload = resource.create(factories.customer())
    first_try = {**headers, "Idempotency-Key": f"create-{resource.name}-1"}
    created = client.post(resource.path, headers=first_try, json=payload)
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    url = resource.url(record_id)
    assert (created.headers["Location"], created.headers["ETag"]) == (url, 'W/"v1"')
    assert created.json()["source"] == "api"

    retry = client.post(resource.path, headers=first_try, json=payload)
    assert (retry.status_code, retry.json()) == (201, created.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert (retry.headers["Location"], retry.headers["ETag"]) == (url, 'W/"v1"')
    assert audit_actions(session, resource.table, record_id) == ["create"]
    assert event_types(session, resource.table, record_id) == [resource.created_event]

    fetched = client.get(url, headers=personas.ada_auditor.headers)
    assert (fetched.status_code, fetched.headers["ETag"]) == (200, 'W/"v1"')
    assert fetched.json() == created.json()

    stale = client.patch(url, headers={**headers, "If-Match": 'W/"v7"'}, json=resource.change)
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    updated = client.patch(url, headers={**headers, "If-Match": 'W/"v1"'}, json=resource.change)
    assert (updated.status_code, updated.headers["ETag"]) == (200, 'W/"v2"'), updated.text
    assert updated.json()["version"] == 2

    assert (
        client.post(f"{url}/archive", headers={**headers, "If-Match": 'W/"v1"'}).status_code == 412
    )
    archived = client.post(f"{url}/archive", headers={**headers, "If-Match": 'W/"v2"'})
    assert (archived.status_code, archived.headers["ETag"]) == (200, 'W/"v3"')
    assert archived.json()["archived_at"] is not None
    assert record_id not in _listed_ids(client, resource, headers)
    assert record_id in _listed_ids(client, resource, headers, include_archived="true")
    refused = client.patch(url, headers=headers, json=resource.change)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "record_archived")

    restored = client.post(f"{url}/restore", headers={**headers, "If-Match": 'W/"v3"'})
    assert restored.status_code == 200
    assert restored.json()["archived_at"] is None
    assert record_id in _listed_ids(client, resource, headers)

    assert audit_actions(session, resource.table, record_id) == ["create", *["update"] * 3]
    assert event_types(session, resource.table, record_id) == [
        resource.created_event,
        *[resource.updated_event] * 3,
    ]
    missing = client.get(resource.url(record_id + 10_000), headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"].endswith("_not_found")


def test_a_duplicate_natural_key_is_a_409_naming_the_fields(
    client: TestClient, personas: Personas, session: Session, resource: Resource
) -> None:
    existing = resource.existing()
    payload = {**resource.create(_owner(session, existing)), **resource.natural_key(existing)}
    response = client.post(resource.path, headers=personas.bob_manager.headers, json=payload)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == resource.duplicate_code
    assert error_fields(response.json()) == resource.duplicate_fields
    assert audit_actions(session, resource.table, existing.id) == ["create"]


def test_a_role_without_the_write_permission_may_read_but_not_write(
    client: TestClient, personas: Personas, session: Session, resource: Resource
) -> None:
    existing = resource.existing()
    auditor = personas.ada_auditor.headers
    url = resource.url(existing.id)
    assert client.get(url, headers=auditor).status_code == 200
    attempts = (
        client.post(
            resource.path, headers=auditor, json=resource.create(_owner(session, existing))
        ),
        client.patch(url, headers=auditor, json=resource.change),
        client.post(f"{url}/archive", headers=auditor),
        client.post(f"{url}/restore", headers=auditor),
    )
    for attempt in attempts:
        assert attempt.status_code == 403
        assert attempt.json()["error"]["code"] == "permission_denied"
    assert audit_actions(session, resource.table, existing.id) == ["create"]


def test_server_owned_fields_and_malformed_values_are_a_422_naming_them(
    client: TestClient, personas: Personas, resource: Resource
) -> None:
    payload = {
        **resource.create(factories.customer()),
        "version": 5,
        "archived_at": "2026-01-01T00:00:00Z",
    }
    response = client.post(resource.path, headers=personas.bob_manager.headers, json=payload)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert {"version", "archived_at"} <= error_fields(response.json())
    empty_change = client.patch(
        resource.url(resource.existing().id), headers=personas.bob_manager.headers, json={}
    )
    assert empty_change.status_code == 422
