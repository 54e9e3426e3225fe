"""The customer 360 in a real browser: the related-party graph, the ratio and payment charts draw
from their JSON, and an interaction logged through the form appears without a page load."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from fengkong.auth.actor import Actor
from fengkong.customers.status import RelationType
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.settings import get_settings
from tests import factories
from tests.e2e.conftest import CHROMIUM_ARGS, USERNAME, LiveServer
from tests.personas import PASSWORD

CHARTS = """() => Object.fromEntries(
  ["related-parties-chart", "ratios-chart", "payments-chart"].map((id) => {
    const option = echarts.getInstanceByDom(document.getElementById(id)).getOption();
    return [id, option.series.map((series) => (series.data || []).length)];
  })
)"""


def _customer_with_history(live_server: LiveServer) -> int:
    """A customer in a group of three, with two annual statements and a late invoice."""
    system = Actor.system("e2e")
    with live_server.database.session_scope(actor=system) as session:
        factories.bind(session)
        try:
            customer = factories.customer(name="宁波全景电器有限公司")
            for name, relation in (
                ("宁波全景控股有限公司", RelationType.PARENT),
                ("宁波全景担保有限公司", RelationType.GUARANTOR),
            ):
                factories.related_party(
                    customer_id=customer.id,
                    related_customer_id=factories.customer(name=name).id,
                    relation_type=relation,
                )
            for year in (2024, 2025):
                factories.financial_statement(
                    customer_id=customer.id,
                    period_end=date(year, 12, 31),
                    published_on=date(year + 1, 4, 30),
                )
            today = business_today(get_settings().zone)
            factories.invoice(
                customer_id=customer.id,
                issue_date=today - timedelta(days=90),
                due_date=today - timedelta(days=60),
                amount=Money.of("12000.00", "CNY"),
            )
            return customer.id
        finally:
            factories.bind(None)


@pytest.mark.e2e
def test_an_analyst_reads_the_customer_360_and_logs_a_call(
    live_server: LiveServer, chromium_path: Path, pytestconfig: pytest.Config
) -> None:
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    customer_id = _customer_with_history(live_server)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            page.goto(f"{live_server.url}/login?next=/customers/{customer_id}")
            page.get_by_label("用户名").fill(USERNAME)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_label("密码").press("Enter")
            expect(page).to_have_url(f"{live_server.url}/customers/{customer_id}")

            for chart in ("#related-parties-chart", "#ratios-chart", "#payments-chart"):
                expect(page.locator(f"{chart} svg")).to_have_count(1)
            drawn: dict[str, Any] = page.evaluate(CHARTS)
            assert drawn["related-parties-chart"] == [3]  # the customer and its two parties
            assert drawn["ratios-chart"] == [2] * 6  # six ratios over two statements
            assert drawn["payments-chart"] == [24, 24]  # worst and weighted, two years
            graph_text = page.locator("#related-parties-chart svg text").all_text_contents()
            assert "宁波全景控股有限公司" in graph_text

            page.evaluate("window.stillTheSamePage = true")
            log = page.locator("#interactions")
            log.get_by_label("类型").select_option("visit")
            log.get_by_label("沟通内容").fill("实地拜访，仓库库存充足，承诺下月结清欠款。")
            log.get_by_role("button", name="保存记录").click()
            expect(log.locator(".interaction__summary").first).to_have_text(
                "实地拜访，仓库库存充足，承诺下月结清欠款。"
            )
            expect(log.get_by_role("status")).to_have_text("往来记录已保存。")
            assert page.evaluate("window.stillTheSamePage") is True
            page.screenshot(path=str(artifacts / "customer-360-zh.png"), full_page=True)

            page.locator(".lang-switch button[value=en]").click()
            expect(page.get_by_role("heading", name="Related parties")).to_be_visible()
            expect(page.locator("#payments-chart svg")).to_have_count(1)
            page.screenshot(path=str(artifacts / "customer-360-en.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
