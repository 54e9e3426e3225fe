"""The Content Security Policy in a real Chromium: an administrator visits every menu page and a
customer page on demo data, and the browser reports no policy violation and no console error,
while the ECharts charts still draw, to canvas or SVG (ECharts styles its elements through the
CSSOM, which ``style-src 'self'`` allows). A script injected into the page is refused, which
shows the watch would see a violation if a page caused one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from fengkong.api.security_headers import CONTENT_SECURITY_POLICY
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.demo import service as demo_service
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.web.nav import NAV_ITEMS
from tests.e2e.conftest import LiveServer
from tests.personas import PASSWORD

ADMIN = "csp_admin"
AS_OF = date(2026, 11, 30)
# Records every violation the browser reports, from before any page script runs.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile || document.location.pathname}:${event.lineNumber}`
  );
});
"""
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll("[id$='-chart']"))
  .filter((el) => window.echarts && echarts.getInstanceByDom(el))
  .map((el) => [el.id, el.querySelectorAll("canvas, svg").length])"""


@dataclass
class Watch:
    console_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def listen(self, page: Page) -> None:
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.location.get('url')}: {message.text}")

    def collect(self, page: Page) -> None:
        self.violations.extend(page.evaluate("window.__violations"))


@pytest.fixture(scope="module")
def demo_server(live_server: LiveServer) -> LiveServer:
    system = Actor.system("e2e")
    with live_server.database.session_scope(actor=system) as session:
        auth_service.create_user(
            session, system, username=ADMIN, role=Role.ADMIN, password=PASSWORD
        )
        demo_service.load_demo(session, system, customers=20, seed=11, as_of=AS_OF)
    with live_server.database.session_scope(actor=system) as session:
        risk_service.score_customers(session, system, as_of=AS_OF, trigger=ScoreTrigger.DEMO)
    with live_server.database.session_scope(actor=system) as session:
        demo_service.settle_demo(session, system, today=AS_OF)
    return live_server


def _signed_in_page(chromium: Browser, base: str, watch: Watch) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    watch.listen(page)
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(ADMIN)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page).to_have_url(f"{base}/")
    return page


def _visit(page: Page, url: str, watch: Watch) -> None:
    response = page.goto(url)
    assert response is not None, url
    assert response.status == 200, url
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_load_state("networkidle")
    watch.collect(page)


@pytest.mark.e2e
def test_every_page_obeys_the_policy_and_the_charts_still_draw(
    demo_server: LiveServer, chromium: Browser
) -> None:
    base = demo_server.url
    watch = Watch()
    page = _signed_in_page(chromium, base, watch)
    try:
        for item in NAV_ITEMS:
            _visit(page, f"{base}{item.path}", watch)
        _visit(page, f"{base}/", watch)
        home_charts = page.evaluate(CHARTS_DRAWN)
        _visit(page, f"{base}/customers", watch)
        page.locator(".record-link").first.click()
        expect(page).to_have_url(re.compile(r"/customers/\d+$"))
        page.wait_for_load_state("networkidle")
        expect(page.locator("[id$='-chart'] :is(canvas, svg)").first).to_be_attached()
        customer_charts = page.evaluate(CHARTS_DRAWN)
        watch.collect(page)
    finally:
        page.context.close()

    assert watch.violations == []
    assert watch.console_errors == []
    drawn = dict(home_charts + customer_charts)
    assert drawn, "no ECharts chart on the dashboard or the customer page"
    assert all(canvases >= 1 for canvases in drawn.values()), drawn


@pytest.mark.e2e
def test_an_injected_inline_script_is_refused_and_reported(
    demo_server: LiveServer, chromium: Browser
) -> None:
    watch = Watch()
    page = _signed_in_page(chromium, demo_server.url, watch)
    try:
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.__injected = true";
              document.body.appendChild(script);
              const div = document.createElement("div");
              div.setAttribute("style", "color: red");
              document.body.appendChild(div);
              const styled = document.createElement("div");
              styled.style.color = "red";
              document.body.appendChild(styled);
            }"""
        )
        page.wait_for_timeout(200)
        injected = page.evaluate("window.__injected === true")
        watch.collect(page)
    finally:
        page.context.close()

    assert injected is False
    directives = sorted({violation.split(" ")[0] for violation in watch.violations})
    assert directives == ["script-src-elem", "style-src-attr"], watch.violations
