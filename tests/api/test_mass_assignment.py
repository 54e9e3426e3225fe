"""No mass assignment: fields the server owns (grade, score, limit, status, approver, owner,
timestamps, ids, versions) sent in any write payload are refused and change nothing.

Every POST/PUT/PATCH in the OpenAPI spec is walked, so a new write route is probed the day it
appears; a route whose JSON body accepted an unknown field would fail here by name. Some routes
also get a control: the same payload without the extra fields succeeds, so the refusal is due to
those fields alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.db import Base
from tests import factories
from tests.api.resources import RESOURCES, Resource, money
from tests.integration.limits.conftest import graded_customer
from tests.personas import Personas

WRITE_METHODS = ("post", "put", "patch")

SERVER_OWNED: dict[str, Any] = {
    "id": 424242,
    "grade": "AAA",
    "score": 999.0,
    "pd": 0.0001,
    "credit_limit": money("99999999.00"),
    "status": "approved",
    "approved_by": 1,
    "approved_at": "2020-01-01T00:00:00Z",
    "decided_by": 1,
    "decided_at": "2020-01-01T00:00:00Z",
    "owner": "adam_admin",
    "owner_id": 1,
    "author_id": 1,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "archived_at": None,
    "version": 99,
}
"""What an attacker would like to set, with plausible values of the right type."""


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@dataclass(frozen=True)
class WriteOperation:
    method: str
    path: str
    body: dict[str, Any] | None
    """The JSON body's schema, resolved; None when the operation takes no JSON body."""

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, spec_operation: dict[str, Any]) -> str:
        """The path with each parameter filled: 1 for ids, the first allowed value otherwise."""
        url = self.path
        for parameter in spec_operation.get("parameters", []):
            if parameter["in"] != "path":
                continue
            schema = parameter["schema"]
            value = schema["enum"][0] if "enum" in schema else 1
            url = url.replace(f"{{{parameter['name']}}}", str(value))
        return url


def write_operations(spec: dict[str, Any]) -> Iterator[tuple[WriteOperation, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in WRITE_METHODS:
            if method not in item:
                continue
            operation = item[method]
            content = operation.get("requestBody", {}).get("content", {})
            json_body = content.get("application/json", {}).get("schema")
            body = _resolve(spec, json_body) if json_body is not None else None
            yield WriteOperation(method, path, body), operation


def _item_schema(spec: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return _resolve(spec, body["items"]) if body.get("type") == "array" else body


def _probe(spec: dict[str, Any], operation: WriteOperation) -> tuple[Any, set[str]]:
    """A body of the extra fields the operation's schema does not declare, and their names."""
    assert operation.body is not None
    item = _item_schema(spec, operation.body)
    declared = set(item.get("properties", {}))
    extras = {name: value for name, value in SERVER_OWNED.items() if name not in declared}
    body: Any = [extras] if operation.body.get("type") == "array" else extras
    return body, set(extras)


def _database_state(session: Session) -> dict[str, list[str]]:
    """Every row of every table (a test database holds a few dozen), so any write shows."""
    session.expire_all()
    return {
        table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def _used(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """The token used once first: its last-use mark is written by the request that authenticates
    with it, refused or not, and is not what these tests are about."""
    client.get("/api/v1/me", headers=headers).raise_for_status()
    return headers


def _refused_fields(response: Any) -> set[str]:
    details = response.json()["error"]["details"] or []
    return {
        detail["field"].rsplit(".", 1)[-1]
        for detail in details
        if detail.get("type") == "extra_forbidden"
    }


def test_every_write_operation_refuses_server_owned_fields(
    app: FastAPI, client: TestClient, session: Session, personas: Personas
) -> None:
    factories.contact(customer_id=factories.customer().id)
    for _ in range(2):
        factories.invoice()
        factories.order()
        factories.contract()
    spec = app.openapi()
    headers = _used(client, personas.adam_admin.headers)
    before = _database_state(session)

    probed: list[str] = []
    without_json_body: list[str] = []
    accepted: list[str] = []
    for operation, spec_operation in write_operations(spec):
        if operation.body is None:
            without_json_body.append(operation.label)
            continue
        body, extras = _probe(spec, operation)
        response = client.request(
            operation.method, operation.url(spec_operation), json=body, headers=headers
        )
        probed.append(operation.label)
        if response.status_code != 422 or _refused_fields(response) != extras:
            accepted.append(f"{operation.label}: {response.status_code} {response.text[:300]}")

    assert not accepted, "server-owned fields not refused by:\n" + "\n".join(accepted)
    assert _database_state(session) == before
    # The walk covered the API: every write route either takes a JSON body (probed) or none.
    assert len(probed) > 60
    every = {op.label for op, _ in write_operations(spec)}
    assert set(probed) | set(without_json_body) == every


def test_bodiless_writes_take_no_payload_at_all(app: FastAPI) -> None:
    """Routes without a JSON body (archive, restore, activate, uploads) have nothing to mass-assign:
    their inputs are path parameters or named form fields, never a model built from the body."""
    spec = app.openapi()
    for operation, spec_operation in write_operations(spec):
        if operation.body is not None:
            continue
        content = spec_operation.get("requestBody", {}).get("content", {})
        assert set(content) <= {"multipart/form-data", "application/x-www-form-urlencoded"}, (
            operation.label
        )


Write = tuple[str, str, dict[str, Any]]
"""method, url, body."""


def _controls() -> list[tuple[str, Callable[[Session], Write]]]:
    """(name, build): build makes the records a valid write needs."""
    controls: list[tuple[str, Callable[[Session], Write]]] = []
    for resource in RESOURCES:
        controls.append((f"create {resource}", _create(resource)))
        controls.append((f"change {resource}", _change(resource)))
    controls.append(("request a limit", _limit_request))
    return controls


def _create(resource: Resource) -> Callable[[Session], Write]:
    return lambda _session: ("post", resource.path, resource.create(factories.customer()))


def _change(resource: Resource) -> Callable[[Session], Write]:
    return lambda _session: ("patch", resource.url(resource.existing().id), dict(resource.change))


def _limit_request(session: Session) -> Write:
    customer = graded_customer(session, "B")
    body = {
        "customer_id": customer.id,
        "kind": "new",
        "amount": money("500000.00"),
        "justification": "新客户",
    }
    return "post", "/api/v1/limit-requests", body


def _operation_for(spec: dict[str, Any], method: str, url: str) -> WriteOperation:
    for operation, _ in write_operations(spec):
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(operation.path))
        if operation.method == method and re.fullmatch(pattern, url):
            return operation
    raise LookupError(f"{method} {url} is not in the spec")


_CONTROLS = _controls()


@pytest.mark.parametrize(("name", "build"), _CONTROLS, ids=[name for name, _ in _CONTROLS])
def test_a_valid_payload_with_server_owned_fields_is_refused_whole(
    app: FastAPI,
    client: TestClient,
    session: Session,
    personas: Personas,
    name: str,
    build: Callable[[Session], Write],
) -> None:
    method, url, body = build(session)
    operation = _operation_for(app.openapi(), method, url)
    assert operation.body is not None
    declared = set(operation.body.get("properties", {}))
    extras = {key: value for key, value in SERVER_OWNED.items() if key not in declared}
    headers = _used(client, personas.adam_admin.headers)
    before = _database_state(session)

    refused = client.request(method, url, json={**body, **extras}, headers=headers)

    assert refused.status_code == 422, refused.text
    assert _refused_fields(refused) == set(extras)
    assert _database_state(session) == before
    accepted = client.request(method, url, json=body, headers=headers)
    assert accepted.status_code in (200, 201), accepted.text
