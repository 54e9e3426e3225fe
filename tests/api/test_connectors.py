"""POST /api/v1/customers/{id}/credit-data/pull and GET /api/v1/connectors/costs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.connectors.models import CreditDataPull
from fengkong.customers.models import Customer
from fengkong.settings import Settings
from tests import factories
from tests.personas import Personas


@pytest.fixture
def sandboxed(app: FastAPI, settings: Settings, tmp_path: Path) -> Settings:
    """The app with the folder and sandbox providers configured, as the demo would be."""
    configured = settings.model_copy(
        update={
            "connectors_agency": ("folder", "sandbox"),
            "connectors_registry": ("sandbox",),
            "connectors_court": ("sandbox",),
            "connectors_folder": tmp_path,
        }
    )
    app.state.settings = configured
    return configured


@pytest.fixture
def customer(session: Session) -> Customer:
    return factories.customer()


def url(customer: Customer) -> str:
    return f"/api/v1/customers/{customer.id}/credit-data/pull"


def test_an_analyst_pulls_every_kind_and_sees_what_each_cost(
    client: TestClient, personas: Personas, customer: Customer, sandboxed: Settings
) -> None:
    response = client.post(url(customer), headers=personas.alice_analyst.headers, json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == customer.id
    assert [r["kind"] for r in body["results"]] == ["agency_report", "registry", "court"]
    agency = body["results"][0]
    first_call = agency["calls"][0]
    assert (first_call["provider"], first_call["outcome"]) == ("folder", "not_found")
    assert body["costs"][0]["currency"] == "CNY"
    assert body["results"][1]["verification"] in ("verified", "mismatch", "unverified")


def test_a_second_pull_finds_the_data_recent_enough_unless_forced(
    client: TestClient, personas: Personas, customer: Customer, sandboxed: Settings
) -> None:
    headers = personas.bob_manager.headers
    client.post(url(customer), headers=headers, json={"kinds": ["court"]})
    again = client.post(url(customer), headers=headers, json={"kinds": ["court"]}).json()
    assert again["results"][0]["outcome"] == "fresh_enough"
    assert again["costs"] == []
    forced = client.post(url(customer), headers=headers, json={"kinds": ["court"], "force": True})
    assert forced.json()["results"][0]["outcome"] == "found"


def test_no_body_pulls_every_kind(
    client: TestClient, personas: Personas, customer: Customer, sandboxed: Settings
) -> None:
    response = client.post(url(customer), headers=personas.alice_analyst.headers)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize("persona", ["sam_sales", "ada_auditor"])
def test_roles_without_credit_report_write_may_not_pull(
    client: TestClient,
    personas: Personas,
    customer: Customer,
    sandboxed: Settings,
    session: Session,
    persona: str,
) -> None:
    response = client.post(url(customer), headers=getattr(personas, persona).headers, json={})
    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "credit_reports:write"
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 0


def test_an_unknown_kind_or_field_is_a_payload_error(
    client: TestClient, personas: Personas, customer: Customer
) -> None:
    headers = personas.alice_analyst.headers
    assert (
        client.post(url(customer), headers=headers, json={"kinds": ["gossip"]}).status_code == 422
    )
    assert client.post(url(customer), headers=headers, json={"kinds": []}).status_code == 422
    assert client.post(url(customer), headers=headers, json={"cost": 0}).status_code == 422


def test_pulling_for_an_unknown_customer_is_404(client: TestClient, personas: Personas) -> None:
    response = client.post(
        "/api/v1/customers/987654/credit-data/pull", headers=personas.alice_analyst.headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "customer_not_found"


def test_a_malformed_export_file_is_a_400_naming_it_and_nothing_is_logged(
    client: TestClient,
    personas: Personas,
    customer: Customer,
    sandboxed: Settings,
    tmp_path: Path,
    session: Session,
) -> None:
    (tmp_path / "agency.json").write_text('{"format": "nope"}', encoding="utf-8")
    response = client.post(url(customer), headers=personas.alice_analyst.headers, json={})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "export_file_invalid"
    assert "agency.json" in error["message"]
    assert error["details"][0]["file"] == "agency.json"
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 0


def test_costs_are_totalled_per_provider_and_month(
    client: TestClient, personas: Personas, customer: Customer, sandboxed: Settings
) -> None:
    client.post(url(customer), headers=personas.alice_analyst.headers, json={})
    response = client.get("/api/v1/connectors/costs", headers=personas.ada_auditor.headers)
    assert response.status_code == 200
    body = response.json()
    providers = {row["provider"]: row for row in body["providers"]}
    assert providers["sandbox"]["calls"] == 3
    assert providers["folder"]["costs"] == []
    assert body["total"] == [{"amount": "37.00", "currency": "CNY"}]
    assert body["months"][0]["provider"] == "folder"


def test_sales_may_not_see_costs(client: TestClient, personas: Personas) -> None:
    response = client.get("/api/v1/connectors/costs", headers=personas.sam_sales.headers)
    assert response.status_code == 403
