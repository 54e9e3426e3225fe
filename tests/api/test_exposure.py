"""Exposure over REST: the worked example's numbers as JSON, who may read and write, mitigants,
disputes, the portfolio and exchange rates."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.kit.money import Money
from tests import factories
from tests.integration.exposure.conftest import AS_OF, hand_computed_ledger, rate
from tests.personas import Personas


def test_a_customers_exposure_comes_with_buckets_ead_lgd_and_expected_loss(
    client: TestClient, personas: Personas, session: Session
) -> None:
    ledger = hand_computed_ledger(session)
    rate(session, ledger.customer_id, grade="C", pd=0.02)

    response = client.get(
        f"/api/v1/customers/{ledger.customer_id}/exposure",
        params={"as_of": AS_OF.isoformat()},
        headers=personas.sam_sales.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["receivables_by_bucket"]["dpd_90_plus"] == {"amount": "2000.00", "currency": "CNY"}
    assert body["gross_exposure"]["amount"] == "114500.00"
    assert body["net_exposure"]["amount"] == "87500.00"
    assert body["ead"]["amount"] == "69500.00"
    assert body["expected_loss"] == {"amount": "457.50", "currency": "CNY"}
    assert [part["kind"] for part in body["secured"]] == ["guarantee", "collateral"]
    assert body["config"].startswith("default-lgd@")


def test_every_role_reads_exposure_but_only_analysts_managers_and_admins_write(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    payload = {
        "kind": "guarantee",
        "provider": "中国银行上海分行",
        "amount": {"amount": "50000.00", "currency": "CNY"},
        "valid_from": "2026-01-01",
    }
    url = f"/api/v1/customers/{customer.id}/mitigants"
    for persona in personas.all():
        assert (
            client.get(
                f"/api/v1/customers/{customer.id}/exposure", headers=persona.headers
            ).status_code
            == 200
        )
    for persona in (personas.sam_sales, personas.ada_auditor):
        refused = client.post(url, json=payload, headers=persona.headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["details"]["permission"] == "exposure:write"
    for persona in (personas.alice_analyst, personas.bob_manager, personas.adam_admin):
        assert client.post(url, json=payload, headers=persona.headers).status_code == 201


def test_a_mitigant_is_created_listed_updated_with_if_match_and_released(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    url = f"/api/v1/customers/{customer.id}/mitigants"
    created = client.post(
        url,
        json={
            "kind": "collateral",
            "description": "厂房抵押",
            "amount": {"amount": "1000.00", "currency": "CNY"},
            "valid_from": "2026-01-01",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["haircut"], body["covered"]["amount"]) == (0.3, "700.00")
    item = f"{url}/{body['id']}"

    stale = client.patch(item, json={"haircut": 0.5}, headers={**headers, "If-Match": 'W/"v9"'})
    assert stale.status_code == 412
    updated = client.patch(
        item, json={"haircut": 0.5}, headers={**headers, "If-Match": created.headers["ETag"]}
    )
    assert updated.json()["covered"]["amount"] == "500.00"
    released = client.post(f"{item}/release", headers=headers)
    assert released.json()["status"] == "released"
    assert [row["status"] for row in client.get(url, headers=headers).json()["items"]] == [
        "released"
    ]
    backwards = client.post(
        url,
        json={
            "kind": "guarantee",
            "amount": {"amount": "1.00", "currency": "CNY"},
            "valid_from": "2026-02-01",
            "valid_until": "2026-01-01",
        },
        headers=headers,
    )
    assert backwards.status_code == 400
    assert backwards.json()["error"]["details"][0]["field"] == "valid_until"


def test_a_dispute_is_opened_on_an_invoice_and_resolved(
    client: TestClient, personas: Personas
) -> None:
    invoice = factories.invoice(amount=Money.of("1000.00", "CNY"))
    headers = personas.bob_manager.headers
    opened = client.post(
        f"/api/v1/invoices/{invoice.id}/disputes",
        json={"amount": {"amount": "300.00", "currency": "CNY"}, "reason": "数量不符"},
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    too_much = client.post(
        f"/api/v1/invoices/{invoice.id}/disputes",
        json={"amount": {"amount": "700.01", "currency": "CNY"}, "reason": "again"},
        headers=headers,
    )
    assert too_much.json()["error"]["code"] == "dispute_exceeds_outstanding"

    resolved = client.post(
        f"/api/v1/disputes/{opened.json()['id']}/resolve",
        json={"resolution": "upheld", "note": "开具红字发票"},
        headers=headers,
    )

    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolved_by"]) == (
        "resolved",
        "bob_manager",
    )
    listed = client.get(f"/api/v1/invoices/{invoice.id}/disputes", headers=headers).json()
    assert [row["resolution"] for row in listed["items"]] == ["upheld"]


def test_portfolio_and_group_exposure_answer_for_every_reader(
    client: TestClient, personas: Personas, session: Session
) -> None:
    ledger = hand_computed_ledger(session)
    headers = personas.ada_auditor.headers

    portfolio = client.get(
        "/api/v1/portfolio/exposure", params={"as_of": AS_OF.isoformat()}, headers=headers
    )
    group = client.get(f"/api/v1/customers/{ledger.customer_id}/group-exposure", headers=headers)

    assert portfolio.status_code == 200, portfolio.text
    assert portfolio.json()["ead"]["amount"] == "69500.00"
    assert portfolio.json()["concentration"]["herfindahl"] == 1.0
    assert group.status_code == 200
    assert [member["customer_id"] for member in group.json()["members"]] == [ledger.customer_id]
    assert client.get("/api/v1/customers/999999/exposure", headers=headers).status_code == 404


def test_an_exchange_rate_converts_foreign_invoices_into_exposure(
    client: TestClient, personas: Personas
) -> None:
    invoice = factories.invoice(amount=Money.of("100.00", "USD"))
    headers = personas.bob_manager.headers
    url = f"/api/v1/customers/{invoice.customer_id}/exposure"
    before = client.get(url, params={"as_of": "2026-06-30"}, headers=headers).json()
    assert before["unconverted"] == [{"amount": "100.00", "currency": "USD"}]

    recorded = client.post(
        "/api/v1/fx-rates",
        json={"currency": "usd", "as_of": "2026-06-01", "rate": "7.1"},
        headers=headers,
    )

    assert recorded.status_code == 200, recorded.text
    after = client.get(url, params={"as_of": "2026-06-30"}, headers=headers).json()
    assert (after["open_receivables"]["amount"], after["unconverted"]) == ("710.00", [])
