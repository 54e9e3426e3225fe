"""``fengkong demo`` against a throw-away SQLite file, as `make run` calls it."""

from __future__ import annotations

from sqlalchemy import create_engine
from typer.testing import CliRunner

from fengkong import tables
from fengkong.cli import app
from tests.cli_support import count_rows


def test_demo_loads_once_and_prints_the_passwords_once(cli_database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    first = runner.invoke(
        app, ["demo", "--customers", "30", "--seed", "3", "--as-of", "2026-06-30", "--if-empty"]
    )
    assert first.exit_code == 0, first.output
    assert "history to 2026-06-30" in first.output
    assert "customers" in first.output
    assert "invoices" in first.output
    for username in ("demo_admin", "demo_manager", "demo_analyst", "demo_sales", "demo_auditor"):
        assert username in first.output
    assert count_rows(cli_database_url, tables.Customer) == 30

    again = runner.invoke(app, ["demo", "--customers", "30", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "no demo data loaded" in again.output
    assert count_rows(cli_database_url, tables.Customer) == 30

    more = runner.invoke(app, ["demo", "--customers", "5", "--seed", "4", "--as-of", "2026-06-30"])
    assert more.exit_code == 0, more.output
    assert "passwords" not in more.output  # the demo users exist; nothing new to show
    assert count_rows(cli_database_url, tables.Customer) == 35


def test_a_malformed_as_of_date_is_refused(cli_database_url: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--as-of", "30/06/2026"])
    assert result.exit_code != 0
    assert _customers_table_missing(cli_database_url)


def _customers_table_missing(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
    finally:
        engine.dispose()
    return "customers" not in names
