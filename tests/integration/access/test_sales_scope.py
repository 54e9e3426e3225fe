"""A sales user reads his own customers and his region's through every door — by id, list,
search, Excel export, the customer page and its records, credit checks by USCC — and another
owner's customer through none: it answers "not found", as if it did not exist."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.access import regions
from fengkong.auth.actor import Actor
from fengkong.credit_checks.models import CreditAccount
from fengkong.customers.models import Customer
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert
from fengkong.orders.models import Order
from fengkong.receivables.models import Invoice
from tests import factories
from tests.integration.monitoring.conftest import (
    NOW,
    SYSTEM,
    TODAY,
    notifications,  # noqa: F401  (autouse: records notify calls)
    overdue_invoice,
    use_rules,
)
from tests.personas import Persona, Personas
from tests.web.conftest import WebClient


@dataclass(frozen=True)
class Book:
    own: Customer
    regional: Customer
    theirs: Customer
    their_invoice: Invoice
    their_order: Order
    their_alert_id: int
    own_alert_id: int


@pytest.fixture
def book(session: Session, personas: Personas) -> Book:
    """Sam (sales, region 3301 Hangzhou) owns one customer; one more is in his region; a third,
    in Shanghai, belongs to Alice. All three have an overdue invoice and an open alert."""
    regions.assign_region(session, Actor.system("test"), username="sam_sales", region_code="3301")
    own = factories.customer_of(personas.sam_sales.user, name="杭州自有客户有限公司")
    regional = factories.customer(name="杭州区域客户有限公司", region_code="330106")
    theirs = factories.customer_of(
        personas.alice_analyst.user, name="上海他人客户有限公司", region_code="310000"
    )
    use_rules(session)
    invoices = {c.id: overdue_invoice(c.id, days=45) for c in (own, regional, theirs)}
    raised = monitoring_service.evaluate_customers(
        session, SYSTEM, customer_ids=[own.id, regional.id, theirs.id], as_of=TODAY, now=NOW
    ).raised
    alert_of = {session.get_one(Alert, alert_id).customer_id: alert_id for alert_id in raised}
    return Book(
        own=own,
        regional=regional,
        theirs=theirs,
        their_invoice=invoices[theirs.id],
        their_order=factories.order(customer_id=theirs.id),
        their_alert_id=alert_of[theirs.id],
        own_alert_id=alert_of[own.id],
    )


@pytest.fixture
def sam(personas: Personas) -> Persona:
    """Sam in sales: his token's actor is read per request, with the region the book gave him."""
    return personas.sam_sales


def _names(response_json: dict[str, object]) -> set[str]:
    items = response_json["items"]
    assert isinstance(items, list)
    return {item["name"] for item in items}


def test_sales_gets_his_own_and_his_regions_customers_by_id_and_another_owners_is_not_found(
    client: TestClient, sam: Persona, book: Book
) -> None:
    for visible in (book.own, book.regional):
        response = client.get(f"/api/v1/customers/{visible.id}", headers=sam.headers)
        assert response.status_code == 200, response.text
    hidden = client.get(f"/api/v1/customers/{book.theirs.id}", headers=sam.headers)
    missing = client.get("/api/v1/customers/99999999", headers=sam.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"]


def test_the_customer_list_and_its_search_hold_only_what_sales_may_see(
    client: TestClient, sam: Persona, personas: Personas, book: Book
) -> None:
    listed = client.get("/api/v1/customers", headers=sam.headers).json()
    assert _names(listed) == {book.own.name, book.regional.name}
    assert listed["total"] == 2
    for query in ("上海他人", book.theirs.uscc):
        found = client.get("/api/v1/customers", params={"q": query}, headers=sam.headers)
        assert found.status_code == 200
        assert found.json()["items"] == []
    alice_owner = {"owner_id": personas.alice_analyst.user.id}
    by_owner = client.get("/api/v1/customers", params=alice_owner, headers=sam.headers)
    assert by_owner.json()["items"] == []
    analyst = client.get("/api/v1/customers", headers=personas.alice_analyst.headers).json()
    assert {book.own.name, book.regional.name, book.theirs.name} <= _names(analyst)


def test_another_owners_invoices_orders_and_alerts_are_not_found_either(
    client: TestClient, sam: Persona, book: Book
) -> None:
    headers = sam.headers
    for path in (
        f"/api/v1/invoices/{book.their_invoice.id}",
        f"/api/v1/orders/{book.their_order.id}",
        f"/api/v1/alerts/{book.their_alert_id}",
        f"/api/v1/customers/{book.theirs.id}/exposure",
        f"/api/v1/customers/{book.theirs.id}/limit",
        f"/api/v1/customers/{book.theirs.id}/risk",
        f"/api/v1/customers/{book.theirs.id}/promises",
    ):
        assert client.get(path, headers=headers).status_code == 404, path
    invoices = client.get("/api/v1/invoices", headers=headers).json()["items"]
    assert book.their_invoice.id not in {item["id"] for item in invoices}
    assert {item["customer_id"] for item in invoices} == {book.own.id, book.regional.id}
    theirs_only = client.get(
        "/api/v1/invoices", params={"customer_id": book.theirs.id}, headers=headers
    )
    assert theirs_only.json()["items"] == []
    alerts = {item["id"] for item in client.get("/api/v1/alerts", headers=headers).json()["items"]}
    assert book.own_alert_id in alerts
    assert book.their_alert_id not in alerts
    assert client.get(f"/api/v1/alerts/{book.own_alert_id}", headers=headers).status_code == 200


def test_the_collections_worklist_and_data_quality_hold_only_what_sales_may_see(
    client: TestClient, sam: Persona, personas: Personas, book: Book
) -> None:
    day = {"as_of": TODAY.isoformat()}
    worklist = client.get("/api/v1/collections/worklist", params=day, headers=sam.headers)
    assert worklist.status_code == 200, worklist.text
    assert {item["customer_id"] for item in worklist.json()["items"]} == {
        book.own.id,
        book.regional.id,
    }
    analyst = client.get(
        "/api/v1/collections/worklist", params=day, headers=personas.alice_analyst.headers
    )
    assert book.theirs.id in {item["customer_id"] for item in analyst.json()["items"]}
    quality = f"/api/v1/customers/{book.theirs.id}/data-quality"
    assert client.get(quality, headers=sam.headers).status_code == 404


def test_a_credit_check_by_uscc_of_another_owners_customer_is_an_unknown_customer(
    client: TestClient, sam: Persona, book: Book
) -> None:
    def check(customer: Customer) -> tuple[int, dict[str, Any]]:
        body = {
            "order_id": f"SAP-{customer.id}",
            "customer_uscc": customer.uscc,
            "amount": "1000.00",
            "currency": "CNY",
        }
        response = client.post("/api/v1/credit-checks", json=body, headers=sam.headers)
        return response.status_code, response.json()

    unknown_uscc = factories.make_uscc(9_999_999, region="330100")
    status, answer = check(book.theirs)
    assert status == 400, answer
    assert answer["error"]["details"][0]["message"] == "no such customer"
    body = {"order_id": "SAP-0", "customer_uscc": unknown_uscc, "amount": "1", "currency": "CNY"}
    unknown = client.post("/api/v1/credit-checks", json=body, headers=sam.headers)
    assert unknown.status_code == status
    own_status, _ = check(book.own)
    assert own_status == 201


def test_a_credit_check_by_id_of_another_owners_customer_touches_nothing_of_it(
    client: TestClient, session: Session, sam: Persona, book: Book
) -> None:
    def check(customer: Customer) -> int:
        body = {
            "order_id": f"SAP-ID-{customer.id}",
            "customer_id": customer.id,
            "amount": "1000.00",
            "currency": "CNY",
        }
        return client.post("/api/v1/credit-checks", json=body, headers=sam.headers).status_code

    def orders_of(customer: Customer) -> list[int]:
        return list(session.scalars(select(Order.id).where(Order.customer_id == customer.id)))

    orders_before = orders_of(book.theirs)
    assert check(book.theirs) == 400
    # Not even its credit account (the per-customer lock row) is written.
    assert session.get(CreditAccount, book.theirs.id) is None
    assert orders_of(book.theirs) == orders_before
    assert check(book.own) == 201
    account = session.get(CreditAccount, book.own.id)
    assert account is not None
    assert account.checks == 1


def test_sales_cannot_record_an_order_or_a_limit_request_for_another_owners_customer(
    client: TestClient, sam: Persona, book: Book
) -> None:
    order = client.post(
        "/api/v1/orders",
        json={
            "customer_id": book.theirs.id,
            "order_number": "SO-SCOPE-1",
            "ordered_on": "2026-11-01",
            "amount": {"amount": "1000.00", "currency": "CNY"},
        },
        headers=sam.headers,
    )
    assert order.status_code in (400, 404), order.text
    assert (
        client.get(f"/api/v1/customers/{book.theirs.id}/limit", headers=sam.headers).status_code
        == 404
    )


def test_portfolio_figures_need_the_whole_book(
    client: TestClient, sam: Persona, personas: Personas, book: Book
) -> None:
    refused = client.get("/api/v1/portfolio/exposure", headers=sam.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["permission"] == "customers:all"
    allowed = client.get("/api/v1/portfolio/exposure", headers=personas.bob_manager.headers)
    assert allowed.status_code == 200


@pytest.fixture
def sam_browser(app: FastAPI, sam: Persona, book: Book) -> Iterator[WebClient]:
    with TestClient(app, raise_server_exceptions=False) as http:
        web = WebClient(http)
        assert web.sign_in(sam.user.username).status_code == 303
        yield web


def _listed(html: str) -> set[str]:
    return set(re.findall(r'class="record-link" href="/customers/\d+">([^<]+)</a>', html))


def test_on_the_pages_another_owners_customer_is_not_found_and_not_listed(
    sam_browser: WebClient, book: Book
) -> None:
    assert sam_browser.get(f"/customers/{book.own.id}").status_code == 200
    assert sam_browser.get(f"/customers/{book.regional.id}").status_code == 200
    assert sam_browser.get(f"/customers/{book.theirs.id}").status_code == 404
    log = f"/customers/{book.theirs.id}/interactions"
    assert sam_browser.get(log, headers={"HX-Request": "true"}).status_code == 404
    assert _listed(sam_browser.get("/customers").text) == {book.own.name, book.regional.name}
    assert _listed(sam_browser.get("/customers?q=上海他人").text) == set()
    alerts = sam_browser.get("/alerts").text
    assert f'/alerts/{book.their_alert_id}"' not in alerts
    assert f'/alerts/{book.own_alert_id}"' in alerts
    assert sam_browser.get(f"/alerts/{book.their_alert_id}").status_code == 404


def test_the_excel_export_holds_only_what_sales_may_see(sam_browser: WebClient, book: Book) -> None:
    response = sam_browser.get("/customers/export.xlsx")
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    names = {row[0] for row in sheet.to_python()[1:]}
    assert names == {book.own.name, book.regional.name}


def test_sales_sees_no_portfolio_dashboard_only_shortcuts(sam_browser: WebClient) -> None:
    home = sam_browser.get("/")
    assert home.status_code == 200
    assert 'id="shortcuts-title"' in home.text
