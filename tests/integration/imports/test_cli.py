"""``fengkong import`` against a throw-away SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from fengkong import tables
from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.customers.models import Customer
from fengkong.database import open_database
from tests.integration.imports.files import uscc, write_csv

runner = CliRunner()
INVOICE = ["发票号", "统一社会信用代码", "开票日期", "到期日", "金额"]
KNOWN = uscc(1)


@pytest.fixture
def database_url(migrated_cli_database_url: str) -> str:
    database = open_database(migrated_cli_database_url)
    with database.session_scope(actor=Actor.system("test")) as session:
        session.add(Customer(uscc=KNOWN, name="已知客户"))
    database.dispose()
    return migrated_cli_database_url


def _invoices(url: str) -> int:
    database = open_database(url)
    try:
        with database.session_scope(actor=Actor.system("test")) as session:
            return int(session.scalar(select(func.count()).select_from(tables.Invoice)) or 0)
    finally:
        database.dispose()


def _file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "一月.csv",
        INVOICE,
        [
            ["INV-1", KNOWN, "2026-01-05", "2026-02-05", "100"],
            ["INV-2", uscc(2), "2026-01-05", "2026-02-05", "100"],
            ["INV-3", KNOWN, "2026-01-05", "2026-02-05", "=1+1"],
        ],
        encoding="gbk",
    )


def test_a_file_with_problems_exits_1_listing_them_and_imports_nothing(
    database_url: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["import", "invoices", str(_file(tmp_path))])
    assert result.exit_code == 1
    assert "在 一月.csv 中发现 2 个问题，未导入任何数据。" in result.stderr
    lines = result.stderr.splitlines()
    assert lines[1].split() == ["文件行号", "列", "单元格内容", "问题"]
    assert lines[2].startswith("3 ")
    assert "没有统一社会信用代码为" in lines[2]
    assert "以“=”开头" in lines[3]
    assert _invoices(database_url) == 0


def test_messages_follow_the_lang_option(database_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "invoices", str(_file(tmp_path)), "--lang", "en"])
    assert result.exit_code == 1
    assert "2 problems found in 一月.csv; nothing was imported." in result.stderr
    assert "row in file" in result.stderr


def test_partial_writes_the_valid_rows_and_the_rejects_next_to_the_file(
    database_url: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["import", "invoices", str(_file(tmp_path)), "--partial"])
    assert result.exit_code == 0, result.output
    assert "新增 1" in result.stdout
    assert "拒绝 2" in result.stdout
    rejects = tmp_path / "一月.rejects.csv"
    assert rejects.is_file()
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[0].endswith("文件行号,拒绝原因")
    assert _invoices(database_url) == 1


def test_a_dry_run_shows_how_the_header_was_read_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "ok.csv", INVOICE, [["INV-1", KNOWN, "2026-01-05", "2026-02-05", "1"]]
    )
    result = runner.invoke(app, ["import", "invoices", str(path), "--dry-run", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "1 would be new" in result.stdout
    assert "ok.csv: csv utf-8" in result.stdout
    assert "发票号 → invoice_number" in result.stdout
    assert _invoices(database_url) == 0


def test_importing_a_file_twice_says_so_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "ok.csv", INVOICE, [["INV-1", KNOWN, "2026-01-05", "2026-02-05", "1"]]
    )
    assert runner.invoke(app, ["import", "invoices", str(path)]).exit_code == 0
    again = runner.invoke(app, ["import", "invoices", str(path), "--lang", "en"])
    assert again.exit_code == 0
    assert "ok.csv was already imported as run 1; nothing was changed." in again.stdout
    assert _invoices(database_url) == 1


def test_an_unreadable_file_exits_1_with_the_reason(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7")
    result = runner.invoke(app, ["import", "invoices", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "Only .csv and .xlsx files can be imported, not scan.pdf." in result.stderr
