from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from fengkong.kit.money import Money
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from tests import factories
from tests.api.records import QueryValue, audit_actions, error_fields, event_types, row_count
from tests.api.resources import money
from tests.personas import Personas

URL = "/api/v1/payments"


def _payment(customer: Customer, amount: str, *allocations: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "payment_reference": f"PAY-{customer.id}-{amount}",
        "paid_on": "2026-02-10",
        "amount": money(amount),
        "allocations": list(allocations),
    }


def _invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    session.refresh(invoice)
    return invoice


def test_a_payment_settles_the_invoices_it_is_allocated_to(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    first = factories.invoice(customer_id=customer.id, amount=Money.of("1000", "CNY"))
    second = factories.invoice(customer_id=customer.id, amount=Money.of("500", "CNY"))
    payload = _payment(
        customer,
        "1200.00",
        {"invoice_number": first.invoice_number, "amount": money("1000.00")},
        {"invoice_id": second.id, "amount": money("150.00")},
    )
    response = client.post(URL, headers=personas.alice_analyst.headers, json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["allocations"] == [
        {
            "invoice_id": first.id,
            "invoice_number": first.invoice_number,
            "amount": money("1000.00"),
        },
        {
            "invoice_id": second.id,
            "invoice_number": second.invoice_number,
            "amount": money("150.00"),
        },
    ]
    assert body["unapplied"] == money("50.00")

    paid, partly = _invoice(session, first.id), _invoice(session, second.id)
    assert (paid.outstanding, paid.status) == (Money.of("0", "CNY"), InvoiceStatus.PAID)
    assert (partly.outstanding, partly.status) == (Money.of("350", "CNY"), InvoiceStatus.OPEN)
    assert event_types(session, "invoices", first.id) == ["invoice_issued", "invoice_updated"]
    assert event_types(session, "payments", body["id"]) == ["payment_received"]
    assert row_count(session, PaymentAllocation) == 2
    assert audit_actions(session, "invoices", second.id) == ["create", "update"]

    fetched = client.get(f"{URL}/{body['id']}", headers=personas.sam_sales.headers)
    assert fetched.json() == body


def test_over_paying_an_invoice_is_refused_and_nothing_is_written(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    invoice = factories.invoice(
        customer_id=customer.id, amount=Money.of("1000", "CNY"), outstanding=Money.of("300", "CNY")
    )
    headers = personas.alice_analyst.headers
    over_invoice = client.post(
        URL,
        headers=headers,
        json=_payment(customer, "500.00", {"invoice_id": invoice.id, "amount": money("300.01")}),
    )
    assert over_invoice.status_code == 400
    assert over_invoice.json()["error"]["code"] == "overpayment"
    assert error_fields(over_invoice.json()) == {"allocations.0.amount.amount"}

    other = factories.invoice(customer_id=customer.id, amount=Money.of("1000", "CNY"))
    over_payment = client.post(
        URL,
        headers=headers,
        json=_payment(
            customer,
            "500.00",
            {"invoice_id": invoice.id, "amount": money("300.00")},
            {"invoice_id": other.id, "amount": money("200.01")},
        ),
    )
    assert over_payment.status_code == 400
    assert error_fields(over_payment.json()) == {"allocations"}

    paid = factories.invoice(
        customer_id=customer.id, outstanding=Money.of("0", "CNY"), status=InvoiceStatus.PAID
    )
    settled_already = client.post(
        URL,
        headers=headers,
        json=_payment(customer, "1.00", {"invoice_id": paid.id, "amount": money("1.00")}),
    )
    assert settled_already.json()["error"]["code"] == "overpayment"

    assert row_count(session, Payment) == 0
    assert _invoice(session, invoice.id).outstanding == Money.of("300", "CNY")


def test_allocations_to_another_customer_or_currency_or_a_closed_invoice_are_refused(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    foreign = factories.invoice()
    in_dollars = factories.invoice(customer_id=customer.id, amount=Money.of("100", "USD"))
    in_yuan = factories.invoice(customer_id=customer.id)
    cancelled = factories.invoice(customer_id=customer.id, status=InvoiceStatus.CANCELLED)
    headers = personas.bob_manager.headers
    cases = (
        ({"invoice_id": foreign.id, "amount": money("1")}, "customer_mismatch", "invoice_id"),
        ({"invoice_id": in_dollars.id, "amount": money("1")}, "currency_mismatch", None),
        (
            {"invoice_id": in_yuan.id, "amount": money("1", "USD")},
            "currency_mismatch",
            "amount.currency",
        ),
        ({"invoice_id": cancelled.id, "amount": money("1")}, "invoice_not_open", "invoice_id"),
        ({"invoice_number": "NO-SUCH-INVOICE", "amount": money("1")}, "unknown_reference", None),
    )
    for allocation, code, field in cases:
        response = client.post(URL, headers=headers, json=_payment(customer, "10.00", allocation))
        assert response.status_code == 400, allocation
        assert response.json()["error"]["code"] == code, allocation
        (named,) = error_fields(response.json())
        expected = (
            field
            or {
                "currency_mismatch": "amount.currency",
                "unknown_reference": "invoice_number",
            }[code]
        )
        assert named == f"allocations.0.{expected}", allocation

    both = client.post(
        URL,
        headers=headers,
        json=_payment(
            customer,
            "10.00",
            {
                "invoice_id": in_yuan.id,
                "invoice_number": in_yuan.invoice_number,
                "amount": money("1"),
            },
        ),
    )
    assert (both.status_code, error_fields(both.json())) == (422, {"allocations.0.invoice_number"})


def test_unapplied_cash_is_allocated_later_with_if_match_and_the_etag_moves_on(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    invoice = factories.invoice(customer_id=customer.id, amount=Money.of("800", "CNY"))
    headers = personas.alice_analyst.headers
    created = client.post(URL, headers=headers, json=_payment(customer, "1000.00"))
    assert created.status_code == 201
    assert (created.json()["allocations"], created.json()["unapplied"]) == ([], money("1000.00"))
    url = f"{URL}/{created.json()['id']}/allocations"
    allocation = {"allocations": [{"invoice_id": invoice.id, "amount": money("800.00")}]}

    stale = client.post(url, headers={**headers, "If-Match": 'W/"v2"'}, json=allocation)
    assert stale.status_code == 412
    applied = client.post(url, headers={**headers, "If-Match": 'W/"v1"'}, json=allocation)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["unapplied"], applied.headers["ETag"]) == (money("200.00"), 'W/"v2"')
    assert _invoice(session, invoice.id).status is InvoiceStatus.PAID

    again = client.post(url, headers=headers, json=allocation)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "duplicate_allocation")

    payment_url = f"{URL}/{created.json()['id']}"
    below = client.patch(payment_url, headers=headers, json={"amount": money("799.99")})
    assert (below.status_code, error_fields(below.json())) == (400, {"amount.amount"})
    archive = client.post(f"{payment_url}/archive", headers=headers)
    assert (archive.status_code, archive.json()["error"]["code"]) == (
        400,
        "payment_has_allocations",
    )


def test_the_payment_list_pages_by_keyset_and_filters(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    invoice = factories.invoice(customer_id=customer.id)
    payments = [
        factories.payment(customer_id=customer.id, paid_on=date(2026, 2, day)) for day in (3, 1, 2)
    ]
    factories.payment(customer_id=customer.id, amount=Money.of("5", "USD"))
    factories.payment(paid_on=date(2026, 2, 2))
    factories.allocation(payment_id=payments[0].id, invoice_id=invoice.id, amount_minor=10000)
    headers = personas.ada_auditor.headers
    params: dict[str, QueryValue] = {"customer_id": customer.id, "currency": "CNY", "page_size": 2}

    first = client.get(URL, headers=headers, params=params).json()
    second = client.get(URL, headers=headers, params={**params, "after": first["next_cursor"]})
    assert [p["paid_on"] for p in first["items"]] == ["2026-02-03", "2026-02-02"]
    assert [p["paid_on"] for p in second.json()["items"]] == ["2026-02-01"]
    assert second.json()["next_cursor"] is None
    assert first["items"][0]["unapplied"] == money("900.00")
    assert first["items"][0]["allocations"][0]["invoice_id"] == invoice.id

    window = client.get(
        URL,
        headers=headers,
        params={"paid_from": "2026-02-02", "paid_to": "2026-02-02", "sort": "payment_reference"},
    )
    assert len(window.json()["items"]) == 2
