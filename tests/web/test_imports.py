"""The import page: who may open it, previews that write nothing, imports, rejected rows, templates
and files a person should be told about rather than shown an error page."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.settings import Settings
from tests import factories
from tests.integration.imports.files import uscc
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient
from tests.web.test_shell import menu_of

INVOICES = "发票号,统一社会信用代码,开票日期,到期日,金额,币种\r\n"
ALL_KINDS = [
    "customers",
    "related_parties",
    "financial_statements",
    "invoices",
    "payments",
    "orders",
    "contracts",
    "credit_reports",
    "legal_events",
]


@pytest.fixture(autouse=True)
def _data_dir(app: FastAPI, settings: Settings, tmp_path: Path) -> None:
    """Rejects files go to a folder of the test's own."""
    app.state.settings = settings.model_copy(update={"data_dir": tmp_path})


@pytest.fixture
def analyst(signed_in: SignedIn, personas: Personas) -> WebClient:
    return signed_in(personas.alice_analyst)


def upload(
    web: WebClient,
    content: str | bytes,
    *,
    kind: str = "invoices",
    name: str = "发票.csv",
    mode: str = "atomic",
    preview: bool = False,
    htmx: bool = True,
) -> Response:
    """Send the import form as the page does: htmx puts the CSRF token in a header, a plain form
    post carries it as a field."""
    token = web.csrf_token()
    body = content.encode("utf-8") if isinstance(content, str) else content
    headers = {"HX-Request": "true", "X-CSRF-Token": token} if htmx else {}
    fields = {"kind": kind, "mode": mode} | ({} if htmx else {"csrf_token": token})
    return web.http.post(
        "/imports/preview" if preview else "/imports",
        data=fields,
        files={"file": (name, body, "text/csv")},
        headers=headers,
        follow_redirects=False,
    )


def kinds_offered(html: str) -> list[str]:
    select_element = re.search(r'<select[^>]*name="kind".*?</select>', html, re.DOTALL)
    assert select_element is not None, "the page has no kind selector"
    return [value for value in re.findall(r'value="([^"]*)"', select_element.group(0)) if value]


def table(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table as the text of their cells."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert found is not None, f"no table {table_id}"
    return [
        [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip() for cell in cells]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.DOTALL)
        )
    ]


def count(session: Session, table_class: type) -> int:
    return int(session.scalar(select(func.count()).select_from(table_class)) or 0)


def test_the_page_offers_each_role_only_the_kinds_it_may_write(
    signed_in: SignedIn, personas: Personas
) -> None:
    analyst = signed_in(personas.alice_analyst)
    page = analyst.get("/imports")
    assert page.status_code == 200
    assert "/imports" in menu_of(page.text)
    assert kinds_offered(page.text) == ALL_KINDS
    sales = signed_in(personas.sam_sales).get("/imports").text
    assert kinds_offered(sales) == ["customers", "related_parties", "orders"]
    assert "/imports/orders/template?format=csv" in sales
    assert "/imports/invoices/template" not in sales


def test_a_role_that_may_write_nothing_sees_no_import_page(
    signed_in: SignedIn, personas: Personas
) -> None:
    auditor = signed_in(personas.ada_auditor)
    assert "/imports" not in menu_of(auditor.get("/").text)
    assert auditor.get("/imports").status_code == 403


def test_nobody_signed_in_is_sent_to_the_login_page(browser: WebClient) -> None:
    response = browser.get("/imports")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fimports"


def test_a_preview_shows_how_the_header_was_read_and_writes_nothing(
    analyst: WebClient, session: Session
) -> None:
    content = (
        "Invoice Number,USCC,开票日期,due_date,金额,颜色\r\nINV-1,x,2026-01-05,2026-02-05,1,red\r\n"
    )
    response = upload(analyst, content, preview=True)
    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment for htmx
    assert table(response.text, "import-mapping") == [
        ["1", "Invoice Number", "发票号 invoice_number 必填"],
        ["2", "USCC", "统一社会信用代码 customer_uscc 必填"],
        ["3", "开票日期", "开票日期 issue_date 必填"],
        ["4", "due_date", "到期日 due_date 必填"],
        ["5", "金额", "金额 amount 必填"],
        ["6", "颜色", "未识别"],
    ]
    problems = table(response.text, "import-problems")
    assert problems[0][:3] == ["1", "颜色", "颜色"]
    assert problems[0][3].startswith("颜色 不是本类导入的列。")
    assert "CSV · utf-8" in response.text
    assert count(session, tables.ImportRun) == 0


def test_a_preview_counts_what_would_change_and_lists_every_problem(
    analyst: WebClient, session: Session
) -> None:
    customer = factories.customer()
    content = (
        INVOICES
        + f"INV-1,{customer.uscc},2026-01-05,2026-02-05,100,CNY\r\n"
        + f"INV-2,{customer.uscc},2026-01-05,2025-12-31,100,CNY\r\n"
        + f"INV-3,{uscc(404)},2026-01-05,2026-02-05,100,CNY\r\n"
    )
    response = upload(analyst, content, preview=True)
    assert response.status_code == 200
    assert "试导入 发票.csv：共 3 行——将新增 1，更新 0，未变 0，拒绝 2" in response.text
    assert "未写入任何数据" in response.text
    assert table(response.text, "import-problems") == [
        ["3", "到期日", "2025-12-31", "到期日早于开票日期（2025-12-31 < 2026-01-05）。"],
        [
            "4",
            "统一社会信用代码",
            uscc(404),
            f"没有统一社会信用代码为 {uscc(404)} 的客户，请先导入或创建该客户。",
        ],
    ]
    assert "2 个问题" in response.text
    assert count(session, tables.Invoice) == 0
    assert count(session, tables.ImportRun) == 0


def test_a_preview_lists_the_first_thousand_problems_and_counts_them_all(
    analyst: WebClient,
) -> None:
    customer = factories.customer()
    rows = "".join(
        f"INV-{number},{customer.uscc},2026-01-05,2026-02-05,-1,CNY\r\n" for number in range(1_100)
    )
    response = upload(analyst, INVOICES + rows, preview=True)
    assert "1,100 个问题" in response.text
    assert "仅列出前 1,000 个。" in response.text
    assert len(table(response.text, "import-problems")) == 1_000


def test_problems_are_in_the_users_language(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    personas.bob_manager.user.locale = "en"
    session.flush()
    customer = factories.customer()
    content = INVOICES + f"INV-2,{customer.uscc},2026-01-05,2025-12-31,100,CNY\r\n"
    response = upload(signed_in(personas.bob_manager), content, preview=True)
    assert table(response.text, "import-problems") == [
        [
            "2",
            "到期日",
            "2025-12-31",
            "The due date is before the issue date (2025-12-31 < 2026-01-05).",
        ]
    ]
    assert "1 problem" in response.text


def test_an_import_writes_and_its_run_appears_in_the_list(
    analyst: WebClient, session: Session
) -> None:
    customer = factories.customer()
    content = INVOICES + f'INV-1,{customer.uscc},2026-01-05,2026-02-05,"1,130.00",CNY\r\n'
    response = upload(analyst, content)
    assert response.status_code == 200
    run = session.scalars(select(tables.ImportRun)).one()
    assert "flash--success" in response.text
    assert f"导入批次 {run.id}" in response.text
    assert count(session, tables.Invoice) == 1
    assert 'id="import-runs" class="card import-runs"' in response.text
    assert 'hx-swap-oob="true"' in response.text  # the run list is refreshed in place
    page = analyst.get("/imports").text
    runs = re.search(r'<section id="import-runs".*?</section>', page, re.DOTALL)
    assert runs is not None
    assert "发票.csv" in runs.group(0)
    assert "alice_analyst" in runs.group(0)
    assert "已导入" in runs.group(0)
    again = upload(analyst, content)
    assert f"已在第 {run.id} 批导入过，未作任何更改" in again.text
    assert count(session, tables.ImportRun) == 1


def test_an_atomic_import_with_a_bad_row_shows_every_problem_and_writes_nothing(
    analyst: WebClient, session: Session
) -> None:
    customer = factories.customer()
    content = (
        INVOICES
        + f"INV-1,{customer.uscc},2026-01-05,2026-02-05,100,CNY\r\n"
        + f"INV-2,{customer.uscc},2026-01-05,2026-02-05,-5,CNY\r\n"
    )
    response = upload(analyst, content, htmx=False)
    assert response.status_code == 422
    assert "<html" in response.text  # without JavaScript the whole page comes back
    assert "在 发票.csv 中发现 1 个问题，未导入任何数据。" in response.text
    assert table(response.text, "import-problems") == [["3", "金额", "-5", "金额 必须大于零。"]]
    assert count(session, tables.Invoice) == 0
    assert count(session, tables.ImportRun) == 0


def test_a_partial_import_offers_its_rejected_rows_to_those_who_may_read_them(
    analyst: WebClient, signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    content = (
        "统一社会信用代码,评级机构,报告日期,评级\r\n"
        + f"{customer.uscc},中诚信,2025-06-30,AA\r\n"
        + f"{uscc(404)},中诚信,2025-06-30,=A1\r\n"
    )
    response = upload(analyst, content, kind="credit_reports", name="报告.csv", mode="partial")
    assert response.status_code == 200
    run = session.scalars(select(tables.ImportRun)).one()
    assert run.status.value == "partial"
    link = f"/imports/runs/{run.id}/rejects.csv"
    assert f'href="{link}"' in response.text
    assert "flash--warning" in response.text
    assert count(session, tables.CreditReport) == 1
    rejects = analyst.get(link)
    assert rejects.status_code == 200
    assert rejects.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(rejects.content.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["文件行号", "拒绝原因"]
    assert rows[1][0] == uscc(404)
    assert rows[1][-2] == "3"
    assert signed_in(personas.sam_sales).get(link).status_code == 404  # no credit_reports:read
    assert analyst.get(f"/imports/runs/{run.id + 1}/rejects.csv").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("空.csv", b"", 400, "文件为空。"),
        ("二进制.csv", b"\x00\x01\x02\x03binary\x00", 400, "文件不是文本：含有二进制数据。"),
        ("扫描件.pdf", b"%PDF-1.7", 415, "只能导入 .csv 和 .xlsx 文件，不能导入 扫描件.pdf。"),
        ("旧表格.xls", b"\xd0\xcf\x11\xe0", 415, "无法读取旧版 .xls 工作簿"),
        ("", INVOICES.encode(), 400, "请选择要导入的 .csv 或 .xlsx 文件。"),
    ],
)
def test_a_hostile_or_missing_file_is_explained_on_the_page(
    analyst: WebClient,
    session: Session,
    name: str,
    content: bytes,
    status: int,
    message: str,
) -> None:
    shown = upload(analyst, content, name=name)
    assert shown.status_code == 200
    assert 'class="flash flash--error"' in shown.text
    assert message in shown.text
    whole_page = upload(analyst, content, name=name, htmx=False)
    assert whole_page.status_code == status
    assert message in whole_page.text
    assert 'name="kind"' in whole_page.text  # the form is there to try again
    assert count(session, tables.ImportRun) == 0


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(
    analyst: WebClient, app: FastAPI
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"import_max_bytes": 1024})
    response = upload(analyst, "x" * (200 * 1024))
    assert response.status_code == 200
    assert "文件超过了 1,024 字节的大小上限。" in response.text
    assert upload(analyst, "x" * (200 * 1024), htmx=False).status_code == 413


def test_choosing_no_kind_is_explained(analyst: WebClient) -> None:
    response = upload(analyst, INVOICES, kind="")
    assert "请选择文件的内容类型。" in response.text


def test_importing_a_kind_the_role_may_not_write_is_refused(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    content = INVOICES + f"INV-1,{customer.uscc},2026-01-05,2026-02-05,100,CNY\r\n"
    response = upload(signed_in(personas.sam_sales), content, htmx=False)
    assert response.status_code == 403
    assert count(session, tables.Invoice) == 0


def test_an_import_without_the_csrf_token_is_refused(analyst: WebClient, session: Session) -> None:
    customer = factories.customer()
    content = INVOICES + f"INV-1,{customer.uscc},2026-01-05,2026-02-05,100,CNY\r\n"
    for path in ("/imports", "/imports/preview"):
        response = analyst.http.post(
            path,
            data={"kind": "invoices", "mode": "atomic"},
            files={"file": ("发票.csv", content.encode(), "text/csv")},
            follow_redirects=False,
        )
        assert response.status_code == 403
    assert count(session, tables.Invoice) == 0


@pytest.mark.parametrize(("locale", "first"), [("zh_CN", "发票号"), ("en", "invoice_number")])
def test_templates_come_in_the_users_language(
    signed_in: SignedIn, personas: Personas, session: Session, locale: str, first: str
) -> None:
    personas.alice_analyst.user.locale = locale
    session.flush()
    web = signed_in(personas.alice_analyst)
    as_csv = web.get("/imports/invoices/template?format=csv")
    assert as_csv.status_code == 200
    assert as_csv.content.decode("utf-8-sig").split(",")[0] == first
    as_xlsx = web.get("/imports/invoices/template?format=xlsx")
    assert as_xlsx.status_code == 200
    assert 'filename="invoices-template.xlsx"' in as_xlsx.headers["content-disposition"]
    assert as_xlsx.content.startswith(b"PK")
    assert signed_in(personas.sam_sales).get("/imports/invoices/template").status_code == 200
    assert signed_in(personas.ada_auditor).get("/imports/invoices/template").status_code == 403
