"""``fengkong report portfolio`` against a real (temporary) SQLite database: it writes the
report of the month asked for in the format and language asked for, and refuses a bad month."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from fengkong.cli import app

runner = CliRunner()


@pytest.mark.usefixtures("migrated_cli_database_url")
def test_the_report_is_written_in_the_format_and_language_asked_for(tmp_path: Path) -> None:
    html = tmp_path / "portfolio.html"
    args = ["report", "portfolio", "--month", "2026-11", "--format", "html", "--lang", "en"]
    result = runner.invoke(app, [*args, "--out", str(html)])
    assert result.exit_code == 0, result.output
    assert "Portfolio report 2026-11" in html.read_text()

    workbook = tmp_path / "portfolio.xlsx"
    args = ["report", "portfolio", "--month", "2026-11", "--format", "xlsx", "--lang", "zh-CN"]
    result = runner.invoke(app, [*args, "--out", str(workbook)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(io.BytesIO(workbook.read_bytes()), read_only=True)
    assert book.sheetnames[0] == "汇总"


@pytest.mark.usefixtures("migrated_cli_database_url")
def test_a_malformed_month_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "portfolio.pdf"
    result = runner.invoke(app, ["report", "portfolio", "--month", "11/2026", "--out", str(out)])
    assert result.exit_code == 1
    assert "YYYY-MM" in result.output
    assert not out.exists()
