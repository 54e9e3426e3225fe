"""The data-quality section of the customer page, its pull button, and the portfolio page."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.connectors.models import CreditDataPull
from fengkong.connectors.providers import Subject
from fengkong.connectors.sandbox import SandboxProvider
from fengkong.customers.models import Customer
from fengkong.customers.status import USCCVerification
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import business_today
from fengkong.settings import Settings
from tests import factories
from tests.factories import make_uscc
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient


@pytest.fixture
def sandboxed(app: FastAPI, settings: Settings, tmp_path: Path) -> Path:
    """The sandbox for every kind, behind an (empty) export folder; returns the folder."""
    app.state.settings = settings.model_copy(
        update={
            "connectors_agency": ("folder", "sandbox"),
            "connectors_registry": ("sandbox",),
            "connectors_court": ("sandbox",),
            "connectors_folder": tmp_path,
        }
    )
    return tmp_path


@pytest.fixture
def analyst(signed_in: SignedIn, personas: Personas) -> WebClient:
    return signed_in(personas.alice_analyst)


def verified_by_sandbox(settings: Settings) -> Customer:
    """A customer whose USCC the sandbox registry confirms (the sandbox is deterministic)."""
    sandbox = SandboxProvider(today=business_today(settings.zone))
    for serial in range(500, 600):
        name = f"苏州样例精密机械有限公司{serial}"
        answer = sandbox.registry_record(Subject(uscc=make_uscc(serial), name=name))
        if answer.found and answer.records[0].registered_name == name:
            return factories.customer(uscc=make_uscc(serial), name=name, industry_code=None)
    raise AssertionError("the sandbox confirms none of a hundred USCCs")


def section(html: str) -> str:
    match = re.search(r'<section class="card quality-card".*?</section>', html, re.DOTALL)
    assert match is not None, "the customer page has no data-quality section"
    return match.group(0)


def test_the_customer_page_shows_completeness_sources_and_verification_in_chinese(
    analyst: WebClient, session: Session
) -> None:
    customer = factories.customer(industry_code=None, source=DataSource.IMPORT, source_ref="12")
    factories.credit_report(
        customer_id=customer.id, source=DataSource.CONNECTOR, source_ref="sandbox", verified=False
    )
    html = section(analyst.get(f"/customers/{customer.id}").text)
    assert "数据质量与来源" in html
    assert "60%" in html  # 6 of 10: no verified USCC, industry, contact or statement
    assert "缺少：" in html
    assert '<li class="tag">行业</li>' in html
    assert "信用代码未核实" in html
    assert "文件导入" in html
    assert ">12<" in html
    assert "数据接口" in html
    assert "0 / 1" in html
    assert "1 条外部数据未按统一社会信用代码匹配" in html
    assert "今天" in html


def test_the_section_speaks_english_to_those_who_chose_it(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    personas.bob_manager.user.locale = "en"
    session.flush()
    customer = factories.customer(
        uscc_verification=USCCVerification.MISMATCH,
        uscc_verification_note="the registry (sandbox) lists 另一家",
    )
    factories.financial_statement(customer_id=customer.id)
    html = section(signed_in(personas.bob_manager).get(f"/customers/{customer.id}").text)
    assert "Data quality and sources" in html
    assert "USCC mismatch" in html
    assert "The business registry lists another name for this USCC." in html
    assert "the registry (sandbox) lists 另一家" in html
    assert "The latest financial statement ends on Dec 31, 2025" not in html
    assert "Financial statements" in html


def test_a_stale_statement_is_called_out(analyst: WebClient, settings: Settings) -> None:
    customer = factories.customer()
    today = business_today(settings.zone)
    period_end = date(today.year - 2, 12, 31)
    factories.financial_statement(
        customer_id=customer.id, period_end=period_end, published_on=period_end
    )
    html = section(analyst.get(f"/customers/{customer.id}").text)
    assert "最新财务报表的报告期截止于" in html
    assert "已超过 18 个月" in html


def test_only_roles_that_may_pull_see_the_pull_button(
    signed_in: SignedIn, personas: Personas
) -> None:
    customer = factories.customer()
    page = f"/customers/{customer.id}"
    assert "调取信用数据" in section(signed_in(personas.alice_analyst).get(page).text)
    sales_view = section(signed_in(personas.sam_sales).get(page).text)
    assert "credit-data/pull" not in sales_view
    assert "数据质量与来源" in sales_view


def test_the_pull_button_pulls_and_reports_each_kind_as_a_flash_message(
    analyst: WebClient, sandboxed: Path, session: Session, settings: Settings
) -> None:
    customer = verified_by_sandbox(settings)
    response = analyst.post(
        f"/customers/{customer.id}/credit-data/pull",
        {"kinds": "registry", "force": "true"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/customers/{customer.id}#data-quality"
    page = analyst.get(f"/customers/{customer.id}").text
    assert "工商登记（sandbox）：统一社会信用代码与登记名称一致。" in page
    assert "本次调取费用 ¥2.00。" in page
    assert "信用代码已核实" in section(page)
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 1
    again = analyst.post(f"/customers/{customer.id}/credit-data/pull", {"kinds": "registry"})
    assert again.status_code == 303
    assert "的数据仍在有效期内" in analyst.get(f"/customers/{customer.id}").text


def test_pulling_every_kind_from_the_form(
    analyst: WebClient, sandboxed: Path, session: Session
) -> None:
    customer = factories.customer()
    response = analyst.http.post(
        f"/customers/{customer.id}/credit-data/pull",
        data={"csrf_token": analyst.csrf_token(), "kinds": ["agency_report", "registry", "court"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    kinds = session.scalars(select(CreditDataPull.kind).distinct())
    assert {kind.value for kind in kinds} == {"agency_report", "registry", "court"}


def test_a_malformed_export_file_is_shown_as_an_error_and_nothing_is_stored(
    analyst: WebClient, sandboxed: Path, session: Session
) -> None:
    customer = factories.customer()
    (sandboxed / "zcx.json").write_text("{oops", encoding="utf-8")
    response = analyst.post(
        f"/customers/{customer.id}/credit-data/pull", {"kinds": "agency_report"}
    )
    assert response.status_code == 303
    page = analyst.get(f"/customers/{customer.id}").text
    assert "未调取任何信用数据：export file zcx.json: not valid JSON" in page
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 0


def test_choosing_no_kind_pulls_nothing(analyst: WebClient, session: Session) -> None:
    customer = factories.customer()
    analyst.post(f"/customers/{customer.id}/credit-data/pull", {})
    assert "请至少选择一类要调取的信用数据。" in analyst.get(f"/customers/{customer.id}").text
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 0


def test_pulling_needs_the_permission_and_the_csrf_token(
    signed_in: SignedIn, personas: Personas, sandboxed: Path, session: Session
) -> None:
    customer = factories.customer()
    path = f"/customers/{customer.id}/credit-data/pull"
    assert signed_in(personas.sam_sales).post(path, {"kinds": "court"}).status_code == 403
    forged = signed_in(personas.alice_analyst).post_raw(path, {"kinds": "court"})
    assert forged.status_code == 403
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 0


def test_the_portfolio_page_lists_issues_and_links_the_worst_files(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    factories.customer(uscc_verification=USCCVerification.VERIFIED)
    worst = factories.customer_of(
        personas.sam_sales.user, industry_code=None, region_code=None, registered_capital=None
    )
    web = signed_in(personas.sam_sales)
    home = web.get("/").text
    assert 'href="/data-quality"' in home
    page = web.get("/data-quality")
    assert page.status_code == 200
    assert "数据质量" in page.text
    assert "平均完整度" in page.text
    assert "缺少行业" in page.text
    assert "50%" in page.text  # one of the two lacks an industry
    links = re.findall(r'href="/customers/(\d+)#data-quality"', page.text)
    assert links[0] == str(worst.id)


def test_the_portfolio_page_in_english_and_on_an_empty_book(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    personas.ada_auditor.user.locale = "en"
    session.flush()
    page = signed_in(personas.ada_auditor).get("/data-quality").text
    assert "Data quality" in page
    assert "No customers yet" in page
