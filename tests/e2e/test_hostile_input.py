"""Stored XSS and SQL injection in a real browser: hostile names and texts are stored verbatim and
shown as text on every page that shows them (customer list, search, customer page and its graph,
alerts inbox and alert page; the inbox shows alert titles, not customer names); no script of
theirs runs and no query of theirs reaches SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect, sync_playwright
from sqlalchemy import inspect, select

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer, CustomerInteraction
from fengkong.customers.status import RelationType
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import AlertComment
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.status import AlertStatus
from tests import factories
from tests.e2e.conftest import CHROMIUM_ARGS, USERNAME, LiveServer
from tests.integration.customers.conftest import RULES, raise_alert
from tests.personas import PASSWORD

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_ATTRIBUTE = '"><img src=x onerror="window.__xss=1">'
XSS_JSON_ISLAND = "</script><script>window.__xss=1</script>"
SQL_DROP = "'; DROP TABLE customers;--"
SQL_TAUTOLOGY = "1' OR '1'='1"
TEMPLATE = "{{7*7}}"
HOSTILE = (XSS_SCRIPT, XSS_ATTRIBUTE, XSS_JSON_ISLAND, SQL_DROP, SQL_TAUTOLOGY, TEMPLATE)


def _name(payload: str) -> str:
    return f"恶意测试公司{payload}"


NAMES = [_name(payload) for payload in HOSTILE]
COMMENT = f"已核实：{XSS_ATTRIBUTE}{SQL_DROP}{TEMPLATE}"
INTERACTION = f"电话沟通 {XSS_SCRIPT} {SQL_TAUTOLOGY} {TEMPLATE}"
ALERT_TITLE = f"逾期预警 {XSS_JSON_ISLAND}{TEMPLATE}"


def _seed(live_server: LiveServer) -> tuple[int, int]:
    """Customers named by each payload, the first linked to the others (the graph shows their
    names), and an alert on it with a hostile comment. Returns (customer id, alert id)."""
    system = Actor.system("e2e")
    with live_server.database.session_scope(actor=system) as session:
        factories.bind(session)
        try:
            customers = [factories.customer(name=name) for name in NAMES]
            center = customers[0]
            for other in customers[1:]:
                factories.related_party(
                    customer_id=center.id,
                    related_customer_id=other.id,
                    relation_type=RelationType.GUARANTOR,
                    note=SQL_DROP,
                )
            monitoring_service.import_rule_set(session, system, yaml_text=RULES, activate=True)
            alert = raise_alert(session, center, Severity.HIGH, AlertStatus.NEW)
            alert.title = ALERT_TITLE  # as an admin-authored rule might title it
            session.flush()
            monitoring_service.comment(session, system, alert_id=alert.id, body=COMMENT)
            return center.id, alert.id
        finally:
            factories.bind(None)


def _assert_inert(page: Page) -> None:
    """No payload ran: no flag set, no injected element in the page."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0


@pytest.mark.e2e
def test_hostile_text_is_stored_verbatim_and_shown_as_text(
    live_server: LiveServer, chromium_path: Path
) -> None:
    customer_id, alert_id = _seed(live_server)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            dialogs: list[str] = []

            def _dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", _dialog)
            page.goto(f"{live_server.url}/login?next=/customers")
            page.get_by_label("用户名").fill(USERNAME)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_label("密码").press("Enter")
            expect(page).to_have_url(f"{live_server.url}/customers")

            page.goto(f"{live_server.url}/customers?q=恶意测试公司&page_size=50")
            links = page.locator("a.record-link")
            assert sorted(links.all_text_contents()) == sorted(NAMES)
            _assert_inert(page)

            page.goto(f"{live_server.url}/customers?q={SQL_TAUTOLOGY}")
            assert links.all_text_contents() == [_name(SQL_TAUTOLOGY)]
            page.goto(f"{live_server.url}/customers?q={SQL_DROP}")
            assert links.all_text_contents() == [_name(SQL_DROP)]
            _assert_inert(page)

            page.goto(f"{live_server.url}/customers/{customer_id}")
            expect(page.get_by_role("heading", level=1)).to_have_text(NAMES[0])
            expect(page.locator("#related-parties-chart svg")).to_have_count(1)
            graph: dict[str, Any] = page.evaluate(
                "JSON.parse(document.getElementById('related-parties-data').textContent)"
            )
            assert sorted(node["name"] for node in graph["nodes"]) == sorted(NAMES)
            assert page.locator("#related-parties-chart img").count() == 0
            log = page.locator("#interactions")
            log.get_by_label("类型").select_option("call")
            log.get_by_label("沟通内容").fill(INTERACTION)
            log.get_by_role("button", name="保存记录").click()
            expect(log.locator(".interaction__summary").first).to_have_text(INTERACTION)
            _assert_inert(page)

            page.goto(f"{live_server.url}/alerts")
            expect(page.get_by_role("link", name=f"#{alert_id} {ALERT_TITLE}")).to_be_visible()
            _assert_inert(page)
            page.goto(f"{live_server.url}/alerts/{alert_id}")
            expect(page.locator("#comments p").first).to_contain_text(COMMENT)
            _assert_inert(page)
            assert dialogs == []
        finally:
            browser.close()

    with live_server.database.session_scope(actor=Actor.system("e2e")) as session:
        assert inspect(session.connection()).has_table("customers")
        stored = session.scalars(select(Customer.name).where(Customer.name.in_(NAMES))).all()
        assert sorted(stored) == sorted(NAMES)
        summaries = session.scalars(
            select(CustomerInteraction.summary).where(
                CustomerInteraction.customer_id == customer_id
            )
        ).all()
        assert summaries == [INTERACTION]
        comments = session.scalars(
            select(AlertComment.body).where(AlertComment.alert_id == alert_id)
        ).all()
        assert comments == [COMMENT]
