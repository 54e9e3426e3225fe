from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.receivables.models import Invoice
from fengkong.receivables.status import InvoiceStatus
from tests import factories
from tests.api.records import QueryValue, error_fields, row_count
from tests.api.resources import money
from tests.personas import Personas

URL = "/api/v1/invoices"


def _numbers(response_json: dict[str, object]) -> list[str]:
    items = response_json["items"]
    assert isinstance(items, list)
    return [item["invoice_number"] for item in items]


def test_the_list_filters_by_customer_status_currency_due_dates_and_overdue(
    client: TestClient, personas: Personas
) -> None:
    today = date.today()  # noqa: DTZ011 - the API's business date is within a day of it
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id,
        invoice_number="OVERDUE",
        due_date=today - timedelta(days=40),
        issue_date=today - timedelta(days=70),
    )
    factories.invoice(
        customer_id=customer.id,
        invoice_number="NOT-YET-DUE",
        issue_date=today,
        due_date=today + timedelta(days=30),
    )
    factories.invoice(
        customer_id=customer.id,
        invoice_number="PAID-LATE",
        issue_date=today - timedelta(days=70),
        due_date=today - timedelta(days=40),
        outstanding=Money.of("0", "CNY"),
        status=InvoiceStatus.PAID,
    )
    factories.invoice(
        customer_id=customer.id,
        invoice_number="IN-USD",
        issue_date=today - timedelta(days=70),
        due_date=today - timedelta(days=10),
        amount=Money.of("10", "USD"),
    )
    factories.invoice(invoice_number="OTHER-CUSTOMER")
    headers = personas.sam_sales.headers

    def numbers(**params: QueryValue) -> list[str]:
        response = client.get(URL, headers=headers, params={"customer_id": customer.id, **params})
        assert response.status_code == 200, response.text
        return _numbers(response.json())

    assert numbers() == ["OVERDUE", "PAID-LATE", "IN-USD", "NOT-YET-DUE"]
    assert numbers(overdue_only="true") == ["OVERDUE", "IN-USD"]
    assert numbers(overdue_only="true", currency="cny") == ["OVERDUE"]
    assert numbers(status="paid") == ["PAID-LATE"]
    assert numbers(due_from=(today - timedelta(days=10)).isoformat()) == ["IN-USD", "NOT-YET-DUE"]
    assert numbers(due_to=(today - timedelta(days=40)).isoformat(), sort="-invoice_number") == [
        "PAID-LATE",
        "OVERDUE",
    ]


def test_bad_filter_values_are_a_422_naming_the_parameter(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.alice_analyst.headers
    for params, name in (
        ({"status": "settled"}, "status"),
        ({"due_from": "31/12/2026"}, "due_from"),
        ({"currency": "XYZ"}, "currency"),
        ({"page_size": 0}, "page_size"),
        ({"sort": "amount"}, "sort"),
        ({"after": "not-a-cursor"}, "after"),
    ):
        response = client.get(URL, headers=headers, params=params)
        assert response.status_code == 422, params
        assert error_fields(response.json()) == {name}


def test_keyset_pages_walk_the_list_without_gaps_or_repeats_in_either_direction(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    due_dates = [date(2026, 3, day) for day in (5, 1, 5, 9, 1, 5, 2)]
    invoices = [
        factories.invoice(customer_id=customer.id, issue_date=date(2026, 2, 1), due_date=due)
        for due in due_dates
    ]
    headers = personas.ada_auditor.headers
    expected = [invoice.id for invoice in sorted(invoices, key=lambda i: (i.due_date, i.id))]

    for sort, order in (("due_date", expected), ("-due_date", expected[::-1])):
        seen: list[int] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, QueryValue] = {
                "customer_id": customer.id,
                "sort": sort,
                "page_size": 3,
            }
            if cursor:
                params["after"] = cursor
            body = client.get(URL, headers=headers, params=params).json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert (seen, pages) == (order, 3)

    first = client.get(URL, headers=headers, params={"customer_id": customer.id, "page_size": 3})
    cursor = first.json()["next_cursor"]
    other_sort = client.get(URL, headers=headers, params={"after": cursor, "sort": "issue_date"})
    assert other_sort.status_code == 422
    assert "issued for sort 'due_date'" in other_sort.json()["error"]["details"][0]["message"]


def test_outstanding_and_status_cannot_be_set_when_issuing(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    response = client.post(
        URL,
        headers=personas.alice_analyst.headers,
        json={
            "customer_id": customer.id,
            "invoice_number": "INV-SELF-SETTLED",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": money("100.00"),
            "outstanding": money("0.00"),
            "status": "paid",
        },
    )
    assert response.status_code == 422
    assert error_fields(response.json()) == {"outstanding", "status"}


def test_an_issued_invoice_owes_its_whole_amount_and_shape_errors_name_their_fields(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    payload = {
        "customer_uscc": customer.uscc,
        "invoice_number": "INV-2026-0001",
        "issue_date": "2026-01-01",
        "due_date": "2026-01-31",
        "amount": money("99999999.99"),
    }
    created = client.post(URL, headers=headers, json=payload)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["customer_id"], body["status"]) == (customer.id, "open")
    assert body["outstanding"] == body["amount"] == money("99999999.99")

    malformed = client.post(
        URL,
        headers=headers,
        json={
            **payload,
            "invoice_number": "",
            "issue_date": "2026-02-30",
            "amount": {"amount": "-5.00", "currency": "CNY"},
        },
    )
    assert malformed.status_code == 422
    assert error_fields(malformed.json()) == {"invoice_number", "issue_date", "amount"}
    for amount in (money("1.005"), money("10", "RMB"), money("0")):
        response = client.post(URL, headers=headers, json={**payload, "amount": amount})
        assert (response.status_code, error_fields(response.json())) == (422, {"amount"})


def test_a_due_date_before_the_issue_date_is_a_400_naming_due_date(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.alice_analyst.headers
    invoice = factories.invoice(issue_date=date(2026, 1, 15), due_date=date(2026, 2, 14))
    created = client.post(
        URL,
        headers=headers,
        json={
            "customer_id": invoice.customer_id,
            "invoice_number": "INV-BACKWARDS",
            "issue_date": "2026-02-01",
            "due_date": "2026-01-01",
            "amount": money("10.00"),
        },
    )
    assert (created.status_code, created.json()["error"]["code"]) == (400, "validation_failed")
    assert created.json()["error"]["details"] == [
        {"field": "due_date", "value": "2026-01-01", "message": "before issue_date 2026-02-01"}
    ]
    patched = client.patch(f"{URL}/{invoice.id}", headers=headers, json={"due_date": "2026-01-14"})
    assert (patched.status_code, error_fields(patched.json())) == (400, {"due_date"})


def test_the_amount_cannot_drop_below_what_payments_settled_and_status_follows_the_balance(
    client: TestClient, personas: Personas
) -> None:
    invoice = factories.invoice(amount=Money.of("1000", "CNY"), outstanding=Money.of("400", "CNY"))
    url = f"{URL}/{invoice.id}"
    headers = personas.alice_analyst.headers

    below = client.patch(url, headers=headers, json={"amount": money("599.99")})
    assert below.status_code == 400
    assert below.json()["error"]["code"] == "amount_below_settled"
    assert error_fields(below.json()) == {"amount.amount"}
    other_currency = client.patch(url, headers=headers, json={"amount": money("1000", "USD")})
    assert error_fields(other_currency.json()) == {"amount.currency"}

    lowered = client.patch(url, headers=headers, json={"amount": money("800")})
    assert lowered.json()["outstanding"] == money("200.00")
    settled = client.patch(url, headers=headers, json={"amount": money("600")})
    assert (settled.json()["outstanding"], settled.json()["status"]) == (money("0.00"), "paid")
    reopened = client.patch(url, headers=headers, json={"amount": money("650")})
    assert (reopened.json()["outstanding"], reopened.json()["status"]) == (money("50.00"), "open")

    by_hand = client.patch(url, headers=headers, json={"status": "paid"})
    assert (by_hand.status_code, by_hand.json()["error"]["code"]) == (400, "status_follows_balance")
    cancelled = client.patch(url, headers=headers, json={"status": "cancelled"})
    assert (cancelled.status_code, cancelled.json()["error"]["code"]) == (400, "invoice_not_open")
    written_off = client.patch(url, headers=headers, json={"status": "written_off"})
    assert written_off.json()["status"] == "written_off"
    back = client.patch(url, headers=headers, json={"status": "open"})
    assert back.status_code == 400
    outstanding_in_body = client.patch(url, headers=headers, json={"outstanding": money("1")})
    assert outstanding_in_body.status_code == 422


def test_references_to_missing_or_foreign_records_are_a_400_naming_the_field(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    foreign_order = factories.order()
    headers = personas.alice_analyst.headers
    payload = {
        "customer_id": customer.id,
        "invoice_number": "INV-REFS",
        "issue_date": "2026-01-01",
        "due_date": "2026-01-31",
        "amount": money("10.00"),
    }
    cases = (
        ({"customer_id": 987654}, 400, "unknown_customer", {"customer_id"}),
        (
            {"customer_id": None, "customer_uscc": factories.make_uscc(987654)},
            400,
            "unknown_customer",
            {"customer_uscc"},
        ),
        ({"order_id": foreign_order.id}, 400, "customer_mismatch", {"order_id"}),
        ({"contract_id": 987654}, 400, "unknown_reference", {"contract_id"}),
        ({"customer_uscc": customer.uscc}, 422, "invalid_request", {"customer_uscc"}),
        ({"customer_id": None}, 422, "invalid_request", {"customer_uscc"}),
        (
            {"customer_id": None, "customer_uscc": "91310000MA1FL12340"},
            422,
            "invalid_request",
            {"customer_uscc"},
        ),
    )
    for change, status, code, fields in cases:
        response = client.post(URL, headers=headers, json={**payload, **change})
        assert response.status_code == status, change
        assert response.json()["error"]["code"] == code, change
        assert error_fields(response.json()) == fields, change
    assert row_count(session, Invoice) == 0

    customer.archived_at = utcnow()
    archived = client.post(URL, headers=headers, json=payload)
    assert (archived.status_code, archived.json()["error"]["code"]) == (409, "customer_archived")


def test_sales_may_read_invoices_but_not_issue_them(client: TestClient, personas: Personas) -> None:
    invoice = factories.invoice()
    assert client.get(f"{URL}/{invoice.id}", headers=personas.sam_sales.headers).status_code == 200
    response = client.patch(
        f"{URL}/{invoice.id}", headers=personas.sam_sales.headers, json={"due_date": "2026-12-31"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "receivables:write"
