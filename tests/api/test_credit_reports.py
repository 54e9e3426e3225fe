from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests import factories
from tests.api.records import error_fields
from tests.personas import Personas

URL = "/api/v1/credit-reports"


def test_report_dates_and_scores_are_checked(client: TestClient, personas: Personas) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    tomorrow = date.today() + timedelta(days=1)  # noqa: DTZ011 - any zone's tomorrow is future enough
    payload = {"customer_id": customer.id, "agency": "联合资信", "report_date": "2026-03-01"}
    shape = client.post(
        URL,
        headers=headers,
        json={**payload, "report_date": tomorrow.isoformat(), "score": 1001, "rating": "A" * 17},
    )
    assert (shape.status_code, error_fields(shape.json())) == (
        422,
        {"report_date", "score", "rating"},
    )
    expired = client.post(URL, headers=headers, json={**payload, "valid_until": "2026-02-28"})
    assert (expired.status_code, error_fields(expired.json())) == (400, {"valid_until"})
    assert client.post(URL, headers=headers, json=payload).status_code == 201


def test_moving_a_report_onto_another_reports_date_is_a_duplicate(
    client: TestClient, personas: Personas
) -> None:
    earlier = factories.credit_report(report_date=date(2026, 1, 1))
    later = factories.credit_report(customer_id=earlier.customer_id, report_date=date(2026, 2, 1))
    response = client.patch(
        f"{URL}/{later.id}",
        headers=personas.bob_manager.headers,
        json={"report_date": "2026-01-01"},
    )
    assert response.status_code == 409
    assert error_fields(response.json()) == {"customer_id", "agency", "report_date"}


def test_the_list_filters_by_agency_and_date_and_is_hidden_from_sales(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    factories.credit_report(customer_id=customer.id, agency="中诚信", report_date=date(2025, 3, 1))
    factories.credit_report(customer_id=customer.id, agency="中诚信", report_date=date(2026, 3, 1))
    factories.credit_report(
        customer_id=customer.id, agency="大公国际", report_date=date(2026, 1, 1)
    )
    headers = personas.ada_auditor.headers
    body = client.get(
        URL,
        headers=headers,
        params={"customer_id": customer.id, "agency": "中诚信", "reported_from": "2026-01-01"},
    ).json()
    assert [item["report_date"] for item in body["items"]] == ["2026-03-01"]
    latest_first = client.get(URL, headers=headers, params={"customer_id": customer.id}).json()
    assert [item["report_date"] for item in latest_first["items"]] == [
        "2026-03-01",
        "2026-01-01",
        "2025-03-01",
    ]
    assert client.get(URL, headers=personas.sam_sales.headers).status_code == 403
