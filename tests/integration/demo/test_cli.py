"""``fengkong demo`` against a throw-away SQLite file, as `make run` calls it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from fengkong import tables
from fengkong.cli import app
from fengkong.settings import get_settings


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FENGKONG_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _customers(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(tables.Customer))
    finally:
        engine.dispose()
    return int(count or 0)


def test_demo_loads_once_and_prints_the_passwords_once(database_url: str) -> None:
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
    assert _customers(database_url) == 30

    again = runner.invoke(app, ["demo", "--customers", "30", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "no demo data loaded" in again.output
    assert _customers(database_url) == 30

    more = runner.invoke(app, ["demo", "--customers", "5", "--seed", "4", "--as-of", "2026-06-30"])
    assert more.exit_code == 0, more.output
    assert "passwords" not in more.output  # the demo users exist; nothing new to show
    assert _customers(database_url) == 35


def test_a_malformed_as_of_date_is_refused(database_url: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--as-of", "30/06/2026"])
    assert result.exit_code != 0
    assert _customers_table_missing(database_url)


def _customers_table_missing(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
    finally:
        engine.dispose()
    return "customers" not in names
