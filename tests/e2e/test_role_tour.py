"""Every role, in a real Chromium, on demo data: sign in, open the dashboard, filter the customer
list, open a customer, switch the language both ways, and visit every page of the menu in each
language — with no console error, no failed page script and no request leaving the machine. Each
page is saved as a screenshot under ``test-artifacts/tour/``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Request, expect

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.demo import service as demo_service
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.web.nav import NAV_ITEMS
from tests.e2e.conftest import LiveServer
from tests.personas import PASSWORD

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
AS_OF = date(2026, 11, 30)
DEMO_CUSTOMERS = 40


@dataclass
class Watch:
    """What the browser reported while a role toured the pages."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def listen(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("request", self._request)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.location.get('url')}: {message.text}")

    def _request(self, request: Request) -> None:
        self.requested.append(request.url)

    def off_machine(self) -> list[str]:
        return [
            url
            for url in self.requested
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).hostname not in LOOPBACK
        ]


@pytest.fixture(scope="module")
def demo_server(live_server: LiveServer) -> LiveServer:
    """The live server with demo customers scored and settled (limits, dunning, alerts), and the
    demo users (one per role) created with the shared test password."""
    system = Actor.system("e2e")
    with live_server.database.session_scope(actor=system) as session:
        for username, role in demo_service.DEMO_USERS:
            auth_service.create_user(
                session, system, username=username, role=role, password=PASSWORD
            )
        demo_service.load_demo(session, system, customers=DEMO_CUSTOMERS, seed=7, as_of=AS_OF)
    with live_server.database.session_scope(actor=system) as session:
        risk_service.score_customers(session, system, as_of=AS_OF, trigger=ScoreTrigger.DEMO)
    with live_server.database.session_scope(actor=system) as session:
        settled = demo_service.settle_demo(session, system, today=AS_OF)
    assert settled.limits_granted > 0
    return live_server


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page).to_have_url(f"{base}/")


def _shot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def _menu_paths(page: Page) -> list[str]:
    paths = page.locator("nav a[href^='/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    known = {item.path for item in NAV_ITEMS}
    return [path for path in dict.fromkeys(paths) if path in known]


def _switch_language(page: Page, label: str, html_lang: str) -> None:
    page.locator("form.lang-switch").get_by_role("button", name=label).click()
    expect(page.locator("html")).to_have_attribute("lang", html_lang)


@pytest.mark.e2e
@pytest.mark.parametrize(("username", "role"), demo_service.DEMO_USERS)
def test_each_role_tours_the_ui_without_a_console_error(
    demo_server: LiveServer,
    chromium: Browser,
    pytestconfig: pytest.Config,
    username: str,
    role: Role,
) -> None:
    folder = pytestconfig.rootpath / "test-artifacts" / "tour"
    folder.mkdir(parents=True, exist_ok=True)
    base = demo_server.url
    watch = Watch()
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page: Page = context.new_page()
        watch.listen(page)
        _sign_in(page, base, username)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _shot(page, folder, f"{role.value}-dashboard-zh")

        menu = _menu_paths(page)
        assert menu, f"{role.value} sees no menu"
        if "/customers" in menu:
            page.goto(f"{base}/customers")
            rows = page.locator(".record-link")
            expect(rows.first).to_be_visible()
            total = rows.count()
            page.wait_for_load_state("load")
            page.evaluate("window.stillTheSamePage = true")
            page.get_by_label("名称或统一社会信用代码").fill("有限公司")
            expect(page).to_have_url(re.compile(r"q=%E6%9C%89"))
            assert page.evaluate("window.stillTheSamePage") is True
            assert rows.count() <= total
            _shot(page, folder, f"{role.value}-customers-zh")
            page.goto(f"{base}/customers")
            page.locator(".record-link").first.click()
            expect(page).to_have_url(re.compile(r"/customers/\d+$"))
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            _shot(page, folder, f"{role.value}-customer-zh")

        _switch_language(page, "English", "en")
        _shot(page, folder, f"{role.value}-after-switch-en")
        for path in menu:
            response = page.goto(f"{base}{path}")
            assert response is not None, path
            assert response.status == 200, path
            _shot(
                page, folder, f"{role.value}-{path.strip('/') or 'dashboard'}-en", full_page=False
            )
        _switch_language(page, "中文", "zh-CN")
        _shot(page, folder, f"{role.value}-back-in-zh")
        for path in menu:
            response = page.goto(f"{base}{path}")
            assert response is not None, path
            assert response.status == 200, path
            expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
            name = path.strip("/") or "dashboard"
            _shot(page, folder, f"{role.value}-{name}-zh", full_page=False)
    except Error:
        _shot(page, folder, f"{role.value}-failure")
        raise
    finally:
        context.close()

    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.off_machine() == []
