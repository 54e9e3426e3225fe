"""GET /api/v1/customers/{id}/data-quality and GET /api/v1/data-quality."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fengkong.customers.status import USCCVerification
from tests import factories
from tests.personas import Personas


def test_anyone_who_reads_customers_sees_a_customers_data_quality(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer(industry_code=None)
    response = client.get(
        f"/api/v1/customers/{customer.id}/data-quality", headers=personas.sam_sales.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == customer.id
    assert body["score"] == 0.5
    assert body["missing"] == [
        "uscc_verified",
        "industry",
        "contact",
        "financial_statement",
        "credit_report",
    ]
    assert "uscc_unverified" in body["issues"]
    assert body["statement"] == {
        "latest": None,
        "cutoff": body["statement"]["cutoff"],
        "months": 18,
        "stale": False,
    }
    categories = [source["category"] for source in body["sources"]]
    assert categories[:3] == ["customer", "financial_statements", "credit_reports"]
    assert body["sources"][0]["source"] == "cli"
    assert body["pulls"] == []


def test_data_quality_of_an_unknown_customer_is_404(client: TestClient, personas: Personas) -> None:
    response = client.get(
        "/api/v1/customers/424242/data-quality", headers=personas.sam_sales.headers
    )
    assert response.status_code == 404


def test_the_portfolio_report_counts_issues_and_lists_the_worst(
    client: TestClient, personas: Personas
) -> None:
    good = factories.customer(uscc_verification=USCCVerification.VERIFIED)
    bad = factories.customer(uscc_verification=USCCVerification.MISMATCH, region_code=None)
    response = client.get("/api/v1/data-quality?worst=1", headers=personas.ada_auditor.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["customers"] == 2
    assert body["thresholds"] == {"statement_stale_months": 18, "report_stale_months": 12}
    issues = {item["issue"]: item for item in body["issues"]}
    assert issues["uscc_mismatch"] == {"issue": "uscc_mismatch", "customers": 1, "share": 0.5}
    assert [row["customer_id"] for row in body["worst"]] == [bad.id]
    assert good.id not in [row["customer_id"] for row in body["worst"]]


def test_the_portfolio_report_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/data-quality").status_code == 401


def test_asking_for_too_many_worst_files_is_a_payload_error(
    client: TestClient, personas: Personas
) -> None:
    response = client.get("/api/v1/data-quality?worst=5000", headers=personas.sam_sales.headers)
    assert response.status_code == 422
