from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.financials.models import FinancialStatement
from tests import factories
from tests.api.records import QueryValue, error_fields, row_count
from tests.api.resources import money, statement_lines
from tests.personas import Personas

URL = "/api/v1/financial-statements"


def _statement(customer_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "period_end": "2025-12-31",
        "published_on": "2026-04-30",
        **statement_lines("1000000.00"),
        **changes,
    }


def test_an_unbalanced_statement_is_refused_naming_the_totals_but_rounding_is_tolerated(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    unbalanced = client.post(
        URL, headers=headers, json=_statement(customer.id, total_equity=money("394000.00"))
    )
    assert unbalanced.status_code == 400
    assert unbalanced.json()["error"]["code"] == "unbalanced_statement"
    assert "0.60%" in unbalanced.json()["error"]["message"]
    assert error_fields(unbalanced.json()) == {"total_assets", "total_liabilities", "total_equity"}
    assert row_count(session, FinancialStatement) == 0

    rounded = client.post(
        URL, headers=headers, json=_statement(customer.id, total_equity=money("395500.00"))
    )
    assert rounded.status_code == 201, rounded.text
    assert rounded.json()["currency"] == "CNY"


def test_lines_must_share_one_currency_and_most_cannot_be_negative(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    mixed = client.post(
        URL, headers=headers, json=_statement(customer.id, cash=money("10.00", "USD"))
    )
    assert (mixed.status_code, mixed.json()["error"]["code"]) == (400, "currency_mismatch")
    assert error_fields(mixed.json()) == {"cash.currency"}

    negative = client.post(
        URL,
        headers=headers,
        json=_statement(customer.id, cash=money("-1.00"), inventory=money("-2.00")),
    )
    assert (negative.status_code, error_fields(negative.json())) == (422, {"cash", "inventory"})

    loss_making = client.post(
        URL,
        headers=headers,
        json=_statement(
            customer.id,
            total_liabilities=money("1100000.00"),
            total_equity=money("-100000.00"),
            net_profit=money("-250000.00"),
            operating_cash_flow=money("-1.00"),
        ),
    )
    assert loss_making.status_code == 201, loss_making.text
    assert loss_making.json()["total_equity"] == money("-100000.00")


def test_required_lines_periods_and_publication_dates_are_checked(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    missing = client.post(
        URL,
        headers=headers,
        json={"customer_id": customer.id, "period_end": "2025-12-31", "period_months": 5},
    )
    assert missing.status_code == 422
    assert error_fields(missing.json()) == {
        "period_months",
        "published_on",
        "total_assets",
        "total_liabilities",
        "total_equity",
    }
    early = client.post(
        URL, headers=headers, json=_statement(customer.id, published_on="2025-12-30")
    )
    assert (early.status_code, error_fields(early.json())) == (400, {"published_on"})


def test_a_correction_is_checked_as_a_whole_statement(
    client: TestClient, personas: Personas
) -> None:
    statement = factories.financial_statement()
    url = f"{URL}/{statement.id}"
    headers = personas.bob_manager.headers

    unbalancing = client.patch(url, headers=headers, json={"total_assets": money("20000000.00")})
    assert unbalancing.json()["error"]["code"] == "unbalanced_statement"
    cleared = client.patch(url, headers=headers, json={"total_equity": None})
    assert (cleared.status_code, error_fields(cleared.json())) == (422, {"total_equity"})
    into_dollars = client.patch(
        url, headers=headers, json=statement_lines("10000000.00", currency="USD")
    )
    assert into_dollars.status_code == 400
    assert "cash.currency" in error_fields(into_dollars.json())

    corrected = client.patch(
        url,
        headers=headers,
        json={"cash": None, "inventory": money("1600000.00"), "period_months": 9},
    )
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert (body["cash"], body["inventory"], body["currency"]) == (
        None,
        money("1600000.00"),
        "CNY",
    )
    assert body["total_assets"] == money("10000000.00")


def test_the_list_filters_by_customer_and_period_and_is_hidden_from_sales(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    for period_end, months in ((date(2023, 12, 31), 12), (date(2024, 12, 31), 12)):
        factories.financial_statement(
            customer_id=customer.id, period_end=period_end, period_months=months
        )
    factories.financial_statement(
        customer_id=customer.id, period_end=date(2025, 6, 30), period_months=6
    )
    factories.financial_statement()
    headers = personas.ada_auditor.headers

    def periods(**params: QueryValue) -> list[str]:
        response = client.get(URL, headers=headers, params={"customer_id": customer.id, **params})
        assert response.status_code == 200, response.text
        return [item["period_end"] for item in response.json()["items"]]

    assert periods() == ["2025-06-30", "2024-12-31", "2023-12-31"]
    assert periods(period_from="2024-01-01", period_to="2024-12-31") == ["2024-12-31"]
    assert periods(period_months=12, sort="period_end") == ["2023-12-31", "2024-12-31"]
    bad = client.get(URL, headers=headers, params={"period_months": 7})
    assert (bad.status_code, error_fields(bad.json())) == (422, {"period_months"})
    assert client.get(URL, headers=personas.sam_sales.headers).status_code == 403
