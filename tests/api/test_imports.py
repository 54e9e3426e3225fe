"""Imports over HTTP: multipart upload, errors in the client's language, templates, runs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.imports.kinds import ImportKind
from fengkong.settings import get_settings
from tests import factories
from tests.integration.imports.files import uscc
from tests.personas import Personas

INVOICE = "发票号,统一社会信用代码,开票日期,到期日,金额,币种\r\n"


@pytest.fixture(autouse=True)
def _data_dir(app: FastAPI, tmp_path: Path) -> None:
    app.state.settings = get_settings().model_copy(update={"data_dir": tmp_path})


def _upload(
    client: TestClient,
    headers: dict[str, str],
    kind: str,
    content: str | bytes,
    *,
    name: str = "发票.csv",
    language: str = "zh-CN",
    **params: str,
) -> httpx2.Response:
    body = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        f"/api/v1/imports/{kind}",
        headers=headers | {"Accept-Language": language},
        params=params,
        files={"file": (name, body, "text/csv")},
    )


def _invoices(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(tables.Invoice)) or 0)


def test_an_analyst_imports_invoices_and_gets_the_run(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    content = INVOICE + f'INV-1,{customer.uscc},2026-01-05,2026-02-05,"1,130.00",CNY\r\n'
    response = _upload(client, personas.alice_analyst.headers, "invoices", content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/imports/{body['run_id']}"
    assert body["status"] == "succeeded"
    assert body["rows"] == {"total": 1, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert (body["file"]["encoding"], len(body["file"]["sha256"])) == ("utf-8", 64)
    assert body["columns"][0] == {
        "position": 0,
        "header": "发票号",
        "column": "invoice_number",
        "required": True,
    }
    assert body["message"].startswith("发票.csv：共 1 行——新增 1")
    assert _invoices(session) == 1

    run = client.get(f"/api/v1/imports/{body['run_id']}", headers=personas.ada_auditor.headers)
    assert run.status_code == 200
    assert run.json()["actor_username"] == "alice_analyst"
    listed = client.get("/api/v1/imports?kind=invoices", headers=personas.ada_auditor.headers)
    assert [item["id"] for item in listed.json()["items"]] == [body["run_id"]]

    again = _upload(client, personas.alice_analyst.headers, "invoices", content, language="en")
    assert again.status_code == 200
    assert again.json()["already_imported"] is True
    assert (
        again.json()["message"]
        == f"发票.csv was already imported as run {body['run_id']}; nothing was changed."
    )


@pytest.mark.parametrize(
    ("language", "message", "problem"),
    [
        (
            "zh-CN,zh;q=0.9",
            "在 发票.csv 中发现 2 个问题，未导入任何数据。",
            "到期日早于开票日期（2025-12-31 < 2026-01-05）。",
        ),
        (
            "en",
            "2 problems found in 发票.csv; nothing was imported.",
            "The due date is before the issue date (2025-12-31 < 2026-01-05).",
        ),
    ],
)
def test_problems_come_back_as_422_in_the_clients_language_and_nothing_is_written(
    client: TestClient,
    personas: Personas,
    session: Session,
    language: str,
    message: str,
    problem: str,
) -> None:
    customer = factories.customer()
    content = (
        INVOICE
        + f"INV-1,{customer.uscc},2026-01-05,2025-12-31,100,CNY\r\n"
        + f"INV-2,{uscc(404)},2026-01-05,2026-02-05,100,CNY\r\n"
    )
    response = _upload(client, personas.bob_manager.headers, "invoices", content, language=language)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("import_rejected", message)
    assert error["details"][0] == {
        "row": 2,
        "column": "到期日",
        "value": "2025-12-31",
        "code": "due_before_issue",
        "message": problem,
    }
    assert [detail["row"] for detail in error["details"]] == [2, 3]
    assert _invoices(session) == 0
    assert session.scalar(select(func.count()).select_from(tables.ImportRun)) == 0


def test_a_partial_import_offers_the_rejected_rows_as_csv(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    content = (
        INVOICE
        + f"INV-1,{customer.uscc},2026-01-05,2026-02-05,100,CNY\r\n"
        + f"@SUM(1+1),{customer.uscc},2026-01-05,2026-02-05,-100,CNY\r\n"
    )
    response = _upload(client, personas.alice_analyst.headers, "invoices", content, partial="true")
    body = response.json()
    assert (response.status_code, body["status"]) == (201, "partial")
    assert body["rejects_url"] == f"/api/v1/imports/{body['run_id']}/rejects.csv"
    rejects = client.get(body["rejects_url"], headers=personas.alice_analyst.headers)
    assert rejects.status_code == 200
    assert rejects.headers["content-type"].startswith("text/csv")
    records = list(csv.reader(io.StringIO(rejects.content.decode("utf-8-sig"))))
    assert records[1][:1] == ["'@SUM(1+1)"]
    assert records[1][6] == "3"
    assert "金额 必须大于零。" in records[1][7]
    assert _invoices(session) == 1
    none = client.get(
        f"/api/v1/imports/{body['run_id'] + 1}/rejects.csv", headers=personas.alice_analyst.headers
    )
    assert none.status_code == 404


def test_a_dry_run_previews_the_mapping_without_writing(
    client: TestClient, personas: Personas, session: Session
) -> None:
    content = (
        "Invoice Number,USCC,issue date,due_date,AMOUNT,颜色\r\n"
        "INV-1,x,2026-01-05,2026-02-05,1,red\r\n"
    )
    response = _upload(
        client, personas.alice_analyst.headers, "invoices", content, dry_run="true", language="en"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["run_id"]) == (True, None)
    assert [column["column"] for column in body["columns"]] == [
        "invoice_number",
        "customer_uscc",
        "issue_date",
        "due_date",
        "amount",
        None,
    ]
    assert body["errors"][0]["code"] == "unknown_column"
    assert body["errors"][0]["message"].startswith("颜色 is not a column of this import.")
    assert _invoices(session) == 0


@pytest.mark.parametrize(
    ("persona", "kind", "status"),
    [
        ("sam_sales", "orders", 422),
        ("sam_sales", "invoices", 403),
        ("ada_auditor", "customers", 403),
        ("bob_manager", "financial_statements", 422),
    ],
)
def test_importing_needs_the_write_permission_of_what_is_imported(
    client: TestClient, personas: Personas, persona: str, kind: str, status: int
) -> None:
    response = _upload(client, getattr(personas, persona).headers, kind, "x\r\n1\r\n")
    assert response.status_code == status


def test_imports_need_a_token(client: TestClient) -> None:
    assert _upload(client, {}, "invoices", INVOICE).status_code == 401


def test_an_upload_larger_than_the_limit_is_refused_with_413_before_it_is_parsed(
    client: TestClient, personas: Personas, app: FastAPI
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"import_max_bytes": 1024})
    response = _upload(client, personas.alice_analyst.headers, "invoices", "x" * (200 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "import_file_too_large"


def test_hostile_uploads_get_a_clear_error(client: TestClient, personas: Personas) -> None:
    headers = personas.alice_analyst.headers
    empty = _upload(client, headers, "invoices", b"", language="en")
    assert empty.status_code == 400
    assert empty.json()["error"]["message"] == "The file is empty."
    pdf = _upload(client, headers, "invoices", b"%PDF", name="scan.pdf")
    assert pdf.status_code == 415
    assert pdf.json()["error"]["message"] == "只能导入 .csv 和 .xlsx 文件，不能导入 scan.pdf。"
    missing = client.post(
        "/api/v1/imports/invoices", headers=headers, files={"upload": ("a.csv", b"x")}
    )
    assert missing.status_code == 400
    unknown = _upload(client, headers, "widgets", INVOICE)
    assert unknown.status_code == 422


@pytest.mark.parametrize(("language", "first"), [("zh-CN", "发票号"), ("en", "invoice_number")])
def test_templates_come_as_csv_or_xlsx_in_the_clients_language(
    client: TestClient, personas: Personas, language: str, first: str
) -> None:
    headers = personas.alice_analyst.headers | {"Accept-Language": language}
    as_csv = client.get("/api/v1/imports/invoices/template?format=csv", headers=headers)
    assert as_csv.status_code == 200
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    assert as_csv.content.decode("utf-8-sig").split(",")[0] == first
    as_xlsx = client.get("/api/v1/imports/invoices/template", headers=headers)
    assert as_xlsx.status_code == 200
    assert 'filename="invoices-template.xlsx"' in as_xlsx.headers["content-disposition"]
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(as_xlsx.content))
    assert workbook.sheet_names[0] == "invoices"
    assert workbook.get_sheet_by_index(0).to_python()[0][0] == first


def test_a_filled_in_template_imports(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    template = client.get("/api/v1/imports/invoices/template?format=csv", headers=headers)
    filled = template.content.decode("utf-8-sig").strip() + (
        f"\r\nINV-T,{customer.uscc},2026-01-05,2026-02-05,10,CNY,,\r\n"
    )
    response = _upload(client, headers, "invoices", filled)
    assert response.status_code == 201, response.text


def test_runs_of_kinds_a_role_cannot_read_stay_hidden(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    content = "统一社会信用代码,报告期,营业收入\r\n" + f"{customer.uscc},2025-12-31,100\r\n"
    response = _upload(
        client, personas.alice_analyst.headers, ImportKind.FINANCIAL_STATEMENTS.value, content
    )
    run_id = response.json()["run_id"]
    sales = personas.sam_sales.headers
    assert client.get(f"/api/v1/imports/{run_id}", headers=sales).status_code == 404
    assert client.get("/api/v1/imports", headers=sales).json()["total"] == 0
    assert (
        client.get(f"/api/v1/imports/{run_id}", headers=personas.ada_auditor.headers).status_code
        == 200
    )
