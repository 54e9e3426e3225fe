"""``fengkong demo`` grants policy limits; ``fengkong limits apply-blocks`` and ``expire`` run on
the demo book (a throw-away SQLite file)."""

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


def _count(url: str, table: type[object]) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(table))
    finally:
        engine.dispose()
    return int(count or 0)


def test_the_demo_gets_policy_limits_and_the_block_rules_run_on_it(database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "40", "--seed", "7", "--as-of", "2026-06-30"])
    assert demo.exit_code == 0, demo.output
    granted = _count(database_url, tables.CreditLimit)
    assert 0 < granted <= 40
    assert f"credit limits granted from the limit policy: {granted:,}" in demo.output

    blocks = runner.invoke(app, ["limits", "apply-blocks", "--date", "2026-06-30"])
    assert blocks.exit_code == 0, blocks.output
    assert "over 40 customer(s)" in blocks.output
    again = runner.invoke(app, ["limits", "apply-blocks", "--date", "2026-06-30"])
    assert ": 0 set, 0 lifted" in again.output  # nothing changed: the second run is a no-op

    expired = runner.invoke(app, ["limits", "expire", "--date", "2026-06-30"])
    assert expired.exit_code == 0, expired.output
    assert "0 temporary limit(s), 0 limit request(s)" in expired.output
