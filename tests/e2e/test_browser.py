from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Request, expect, sync_playwright

from tests.e2e.conftest import CHROMIUM_ARGS, CUSTOMERS, USERNAME, LiveServer
from tests.personas import PASSWORD

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.mark.e2e
def test_an_analyst_signs_in_finds_a_customer_and_opens_their_page(
    live_server: LiveServer, chromium_path: Path, pytestconfig: pytest.Config
) -> None:
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    chips, shanghai = CUSTOMERS[0], CUSTOMERS[1]
    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            page.on("request", record)

            page.goto(f"{live_server.url}/customers")
            expect(page).to_have_url(re.compile(r"/login\?next=%2Fcustomers$"))
            page.get_by_label("用户名").fill(USERNAME)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_label("密码").press("Enter")
            expect(page).to_have_url(f"{live_server.url}/customers")
            expect(page.locator(".record-link")).to_have_count(len(CUSTOMERS))
            # Deferred scripts (htmx) have run by the load event, which may follow the rows.
            # (A wait_for_function poll would evaluate a string, which the CSP refuses.)
            page.wait_for_load_state("load")

            # Filtering swaps the results in place (no page load) and updates the address.
            page.evaluate("window.stillTheSamePage = true")
            page.get_by_label("名称或统一社会信用代码").fill("有限公司")
            expect(page.locator(".record-link")).to_have_count(3)
            page.get_by_label("地区").select_option(chips.region_code)
            expect(page.locator(".record-link")).to_have_count(1)
            expect(page).to_have_url(re.compile(r"region=440300"))
            assert page.evaluate("window.stillTheSamePage") is True
            page.screenshot(path=str(artifacts / "customer-list.png"), full_page=True)

            page.get_by_role("link", name=chips.name).click()
            expect(page).to_have_url(re.compile(r"/customers/\d+$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(chips.name)
            expect(page.locator(".facts").get_by_text(chips.uscc)).to_be_visible()
            assert shanghai.name not in page.content()
            page.screenshot(path=str(artifacts / "customer-page.png"), full_page=True)
        finally:
            browser.close()

    assert requested, "the browser made no requests"
    off_machine = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname not in LOOPBACK
    ]
    assert off_machine == []
