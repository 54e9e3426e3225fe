"""The customer credit report through the page routes and the API: languages, formats, the link
from the customer page, the CSP-clean page, scope (404 outside it) and masking for sales."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from tests import factories
from tests.personas import Personas
from tests.web.conftest import SignedIn

REPRESENTATIVE = "王卫国"


@pytest.fixture
def rated(session: Session, personas: Personas) -> Customer:
    """A customer of Sam's, rated, with a legal representative to mask."""
    customer = factories.customer_of(personas.sam_sales.user, legal_representative=REPRESENTATIVE)
    factories.rate_customer(session, customer.id, grade="B", pd=0.0125, as_of=date(2026, 11, 30))
    return customer


@pytest.fixture
def elsewhere(personas: Personas) -> Customer:
    """Someone else's customer outside Sam's region."""
    return factories.customer_of(personas.bob_manager.user, region_code="110000")


def test_the_customer_page_links_to_the_report(
    signed_in: SignedIn, personas: Personas, rated: Customer
) -> None:
    page = signed_in(personas.bob_manager).get(f"/customers/{rated.id}").text
    assert f'href="/customers/{rated.id}/report"' in page


def test_the_report_page_is_in_the_readers_language_with_a_pdf_link(
    signed_in: SignedIn, personas: Personas, rated: Customer
) -> None:
    web = signed_in(personas.bob_manager)
    response = web.get(f"/customers/{rated.id}/report")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "客户资信报告" in page
    assert "信用等级" in page
    assert 'class="grade">B' in page
    assert f'href="/customers/{rated.id}/report.pdf"' in page
    assert 'href="/static/css/report.css"' in page
    assert REPRESENTATIVE in page  # the manager may read personal data
    assert "style=" not in page
    assert "<script" not in page
    web.post("/locale", {"locale": "en", "next": "/"})
    english = web.get(f"/customers/{rated.id}/report").text
    assert "Customer credit report" in english
    assert "Credit grade" in english


def test_the_pdf_route_downloads_a_pdf(
    signed_in: SignedIn, personas: Personas, rated: Customer
) -> None:
    response = signed_in(personas.alice_analyst).get(f"/customers/{rated.id}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")


def test_sales_gets_their_customers_report_masked_and_no_one_elses(
    signed_in: SignedIn, personas: Personas, rated: Customer, elsewhere: Customer
) -> None:
    web = signed_in(personas.sam_sales)
    own = web.get(f"/customers/{rated.id}/report")
    assert own.status_code == 200
    assert rated.name in own.text
    assert REPRESENTATIVE not in own.text
    assert web.get(f"/customers/{elsewhere.id}/report").status_code == 404
    assert web.get(f"/customers/{elsewhere.id}/report.pdf").status_code == 404


def test_the_api_serves_html_in_the_language_asked_for(
    client: TestClient, personas: Personas, rated: Customer, elsewhere: Customer
) -> None:
    url = f"/api/v1/customers/{rated.id}/report"
    english = client.get(
        url, params={"format": "html", "lang": "en"}, headers=personas.bob_manager.headers
    )
    assert english.status_code == 200
    assert english.headers["content-type"].startswith("text/html")
    assert "Customer credit report" in english.text
    chinese = client.get(
        url, params={"format": "html", "lang": "zh-CN"}, headers=personas.bob_manager.headers
    )
    assert "客户资信报告" in chinese.text
    sam = personas.sam_sales.headers
    assert client.get(f"/api/v1/customers/{elsewhere.id}/report", headers=sam).status_code == 404
    assert client.get(url, params={"format": "docx"}, headers=sam).status_code == 422
    assert client.get(url, params={"format": "html"}).status_code == 401
