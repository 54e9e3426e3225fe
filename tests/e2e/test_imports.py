"""The import page in a real browser: a preview swaps in the problem table, an import adds its run
to the list, both without leaving the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, expect, sync_playwright

from tests.e2e.conftest import CHROMIUM_ARGS, CUSTOMERS, USERNAME, LiveServer
from tests.personas import PASSWORD

HEADER = "发票号,统一社会信用代码,开票日期,到期日,金额,币种\r\n"


def invoices(name: str, *rows: str) -> FilePayload:
    content = HEADER + "".join(f"{row}\r\n" for row in rows)
    return {"name": name, "mimeType": "text/csv", "buffer": content.encode("utf-8")}


@pytest.mark.e2e
def test_an_analyst_previews_a_file_with_a_bad_row_then_imports_a_good_one(
    live_server: LiveServer, chromium_path: Path, pytestconfig: pytest.Config
) -> None:
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    chips = CUSTOMERS[0]
    good = f"E2E-1,{chips.uscc},2026-01-05,2026-02-05,1130.00,CNY"
    bad = f"E2E-2,{chips.uscc},2026-01-05,2025-12-31,200.00,CNY"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{live_server.url}/login")
            page.get_by_label("用户名").fill(USERNAME)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_label("密码").press("Enter")
            page.get_by_role("navigation", name="主导航").get_by_role("link", name="导入").click()
            expect(page).to_have_url(f"{live_server.url}/imports")
            expect(page.locator("#import-runs")).to_contain_text("尚无导入记录")

            # The preview swaps in the problem table without leaving the page, and writes nothing.
            page.evaluate("window.stillTheSamePage = true")
            page.get_by_label("文件内容").select_option("invoices")
            page.get_by_label("文件（.csv 或 .xlsx）").set_input_files(
                invoices("一月发票.csv", good, bad)
            )
            page.get_by_role("button", name="预览").click()
            problems = page.locator("#import-problems tbody tr")
            expect(problems).to_have_count(1)
            expect(problems.first).to_contain_text("到期日早于开票日期")
            expect(problems.first.locator("td").first).to_have_text("3")
            expect(page.locator("#import-mapping tbody tr")).to_have_count(6)
            expect(page.locator(".import-counts")).to_contain_text("1")
            assert page.evaluate("window.stillTheSamePage") is True
            expect(page.locator("#import-runs")).to_contain_text("尚无导入记录")
            page.screenshot(path=str(artifacts / "import-preview.png"), full_page=True)

            page.get_by_label("文件（.csv 或 .xlsx）").set_input_files(
                invoices("一月发票-改.csv", good)
            )
            page.get_by_role("button", name="导入", exact=True).click()
            expect(page.locator(".flash--success")).to_contain_text("一月发票-改.csv：共 1 行")
            runs = page.locator("#import-runs tbody tr")
            expect(runs).to_have_count(1)
            expect(runs.first).to_contain_text("一月发票-改.csv")
            expect(runs.first).to_contain_text(USERNAME)
            expect(runs.first).to_contain_text("已导入")
            assert page.evaluate("window.stillTheSamePage") is True
            page.screenshot(path=str(artifacts / "import-done.png"), full_page=True)

            page.reload()
            expect(page.locator("#import-runs tbody tr")).to_have_count(1)
            expect(page.locator("#import-runs")).to_contain_text(re.compile(r"发票"))
        finally:
            browser.close()
