"""A scored customer's page in a real browser: the score history chart draws every score on the
five grade bands, its tooltip names grade and PD, and the reasons follow the language switch."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from fengkong.auth.actor import Actor
from fengkong.risk import service
from fengkong.risk.models import ScoreTrigger
from fengkong.risk.service import HistoryEntry, RiskResult
from tests import factories
from tests.e2e.conftest import CHROMIUM_ARGS, USERNAME, LiveServer
from tests.integration.risk.conftest import AS_OF, scored_customer
from tests.personas import PASSWORD

SCORED_AS_OF = (date(2026, 1, 31), date(2026, 3, 31), AS_OF)
CHART_OPTION = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("risk-history-chart"));
  const series = chart.getOption().series[0];
  return {
    points: series.data,
    bands: series.markArea.data.map((band) => [band[0].name, band[0].yAxis, band[1].yAxis]),
  };
}"""
SHOW_LAST_TIP = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("risk-history-chart"));
  chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: %d});
}"""


def _score_history(live_server: LiveServer) -> tuple[int, RiskResult]:
    """A customer paying 40 days late, scored as of three month-ends (three history points)."""
    system = Actor.system("e2e")
    with live_server.database.session_scope(actor=system) as session:
        factories.bind(session)
        try:
            customer_id = scored_customer(late_days=40).id
        finally:
            factories.bind(None)
        for as_of in SCORED_AS_OF:
            service.score_customers(
                session, system, customer_ids=[customer_id], as_of=as_of, trigger=ScoreTrigger.ALL
            )
        return customer_id, service.get_risk(session, system, customer_id=customer_id)


@pytest.mark.e2e
def test_an_analyst_reads_a_scored_customers_history_chart_and_reasons_in_both_languages(
    live_server: LiveServer, chromium_path: Path, pytestconfig: pytest.Config
) -> None:
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    customer_id, risk = _score_history(live_server)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server.url}/login?next=/customers/{customer_id}")
            page.get_by_label("用户名").fill(USERNAME)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_label("密码").press("Enter")
            expect(page).to_have_url(f"{live_server.url}/customers/{customer_id}")

            # The chart is SVG: every score as a point, a labelled band per grade.
            chart = page.locator("#risk-history-chart")
            expect(chart.locator("svg")).to_have_count(1)
            option: dict[str, Any] = page.evaluate(CHART_OPTION)
            history = _history(live_server, customer_id)
            assert len(history) == len(SCORED_AS_OF)
            assert option["points"] == [[entry.as_of.isoformat(), entry.score] for entry in history]
            assert option["bands"] == [
                ["A", 750, 1000],
                ["B", 650, 750],
                ["C", 550, 650],
                ["D", 450, 550],
                ["E", 0, 450],
            ]
            band_labels = chart.locator("svg text").all_text_contents()
            assert {"A", "B", "C", "D", "E"} <= set(band_labels)

            page.evaluate(SHOW_LAST_TIP % (len(SCORED_AS_OF) - 1))
            tooltip = chart.locator("div", has_text="违约概率").last
            expect(tooltip).to_contain_text(f"等级: {risk.grade}")
            expect(tooltip).to_contain_text("2026年6月30日")

            reasons = page.locator(".risk-reasons__list li")
            expect(reasons).to_have_text([reason.text_zh for reason in risk.reasons])
            page.screenshot(path=str(artifacts / "customer-risk-zh.png"), full_page=True)

            page.locator(".lang-switch button[value=en]").click()
            expect(page.get_by_role("heading", name="Risk rating")).to_be_visible()
            expect(reasons).to_have_text([reason.text_en for reason in risk.reasons])
            expect(page.locator(".risk-factor").first).to_contain_text("Debt-to-asset ratio")
            expect(chart.locator("svg")).to_have_count(1)
            page.evaluate(SHOW_LAST_TIP % (len(SCORED_AS_OF) - 1))
            expect(chart.locator("div", has_text="Probability of default").last).to_contain_text(
                re.compile(rf"Grade: {risk.grade} · \w")
            )
            page.screenshot(path=str(artifacts / "customer-risk-en.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()


def _history(live_server: LiveServer, customer_id: int) -> list[HistoryEntry]:
    """The stored scores, oldest as-of date first (the chart's order)."""
    system = Actor.system("e2e")
    with live_server.database.session_scope(actor=system) as session:
        entries = service.risk_history(session, system, customer_id=customer_id)
    return sorted(entries, key=lambda entry: entry.as_of)
