from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from fengkong.api.security import check_access_declared, undeclared_routes
from fengkong.app import create_app
from fengkong.db import Database
from tests import factories
from tests.personas import Personas


def test_every_route_of_the_app_declares_who_may_call_it(app: FastAPI) -> None:
    assert undeclared_routes(app) == []


def test_a_route_without_a_declared_permission_stops_the_app_from_being_built(
    database: Database,
) -> None:
    app = create_app(database=database)
    forgotten = APIRouter()

    @forgotten.get("/api/v1/forgotten")
    def forgotten_route() -> dict[str, str]:
        return {}

    app.include_router(forgotten)
    assert undeclared_routes(app) == ["GET /api/v1/forgotten"]
    with pytest.raises(RuntimeError, match="forgotten"):
        check_access_declared(app)


def test_a_request_without_credentials_gets_401_with_a_bearer_challenge(
    client: TestClient,
) -> None:
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_token_gets_401(client: TestClient) -> None:
    response = client.get("/api/v1/customers", headers={"Authorization": "Bearer fk_nope"})
    assert response.status_code == 401


def test_the_auditor_may_read_customers_but_not_create_them(
    client: TestClient, personas: Personas
) -> None:
    auditor = personas.ada_auditor.headers
    factories.customer()
    assert client.get("/api/v1/customers", headers=auditor).status_code == 200
    response = client.post(
        "/api/v1/customers",
        headers=auditor,
        json={"uscc": "91310000MA1FL8TQ9C", "name": "审计不能建"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert response.json()["error"]["details"]["permission"] == "customers:write"


def test_me_tells_a_token_holder_its_role(client: TestClient, personas: Personas) -> None:
    response = client.get("/api/v1/me", headers=personas.sam_sales.headers)
    assert response.status_code == 200
    assert response.json()["role"] == "sales"
    assert "customers:read" in response.json()["permissions"]
    assert "audit:read" not in response.json()["permissions"]


def test_health_needs_no_credentials(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_api_docs_page_loads_swagger_ui_from_this_app_not_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
