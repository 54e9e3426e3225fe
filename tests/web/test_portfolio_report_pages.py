"""The monthly portfolio report through the page route and the API: the dashboard's link, the
three formats, the reader's or the asked-for language, the month parameter, and the whole-book
permission (sales get 403)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.exposure import service as exposure_service
from fengkong.kit.money import Money
from fengkong.portfolio import service as portfolio_service
from tests import factories
from tests.personas import Personas
from tests.web.conftest import SignedIn

SYSTEM = Actor.system("test")
URL = "/api/v1/reports/portfolio"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def book(session: Session) -> None:
    """One customer rated C owing 2,000 CNY, with its exposure and the dashboard computed."""
    customer = factories.customer(name="华东重工有限公司")
    factories.invoice(
        customer_id=customer.id,
        amount=Money.of("2000.00", "CNY"),
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
    )
    factories.rate_customer(session, customer.id, grade="C", pd=0.04, as_of=date(2026, 10, 20))
    exposure_service.refresh_exposures(session, SYSTEM)
    portfolio_service.refresh_figures(session)


@pytest.mark.usefixtures("book")
def test_the_dashboard_links_to_the_report_in_each_format(
    signed_in: SignedIn, personas: Personas
) -> None:
    page = signed_in(personas.bob_manager).page("/").text
    for link in ("/reports/portfolio", "/reports/portfolio?format=pdf"):
        assert f'href="{link}"' in page, link


@pytest.mark.usefixtures("book")
def test_the_page_is_in_the_readers_language_and_downloads_as_pdf_and_excel(
    signed_in: SignedIn, personas: Personas
) -> None:
    web = signed_in(personas.alice_analyst)
    page = web.get("/reports/portfolio", params={"month": "2026-11"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "组合报告 2026-11" in page.text
    assert "¥2,000.00" in page.text
    assert 'href="/static/css/report.css"' in page.text
    pdf = web.get("/reports/portfolio", params={"month": "2026-11", "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert 'filename="portfolio-report-2026-11.pdf"' in pdf.headers["content-disposition"]
    assert pdf.content.startswith(b"%PDF")
    workbook = web.get("/reports/portfolio", params={"month": "2026-11", "format": "xlsx"})
    assert workbook.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert "汇总" in book.sheetnames


@pytest.mark.usefixtures("book")
def test_sales_may_not_open_the_report_which_sums_the_whole_book(
    signed_in: SignedIn, personas: Personas, client: TestClient
) -> None:
    assert signed_in(personas.sam_sales).get("/reports/portfolio").status_code == 403
    assert client.get(URL, headers=personas.sam_sales.headers).status_code == 403


@pytest.mark.usefixtures("book")
def test_the_api_serves_the_month_asked_for_in_the_language_asked_for(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.ada_auditor.headers
    english = client.get(
        URL, params={"month": "2026-11", "format": "html", "lang": "en"}, headers=headers
    )
    assert english.status_code == 200
    assert "Portfolio report 2026-11" in english.text
    assert "CN¥2,000.00" in english.text
    workbook = client.get(URL, params={"month": "2026-11", "format": "xlsx"}, headers=headers)
    assert workbook.headers["content-type"] == XLSX
    assert client.get(URL, params={"month": "2026-13"}, headers=headers).status_code == 400
    assert client.get(URL, params={"month": "11/2026"}, headers=headers).status_code == 422
    assert client.get(URL, params={"month": "2999-01"}, headers=headers).status_code == 400
    assert client.get(URL).status_code == 401
