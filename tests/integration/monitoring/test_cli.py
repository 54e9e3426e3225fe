"""``fengkong monitor evaluate`` and ``escalate`` on the demo book (a throw-away SQLite file)."""

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


def test_the_demo_raises_its_alerts_once_evaluating_again_raises_none_and_escalate_runs(
    database_url: str,
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "40", "--seed", "7", "--as-of", "2026-06-30"])
    assert demo.exit_code == 0, demo.output
    raised = _count(database_url, tables.Alert)
    assert raised > 0
    assert f"early-warning alerts raised: {raised:,}" in demo.output
    scheduled = _count(database_url, tables.Review)
    assert scheduled > 0
    assert f"periodic reviews scheduled: {scheduled:,}" in demo.output
    again = runner.invoke(app, ["monitor", "evaluate", "--date", "2026-06-30"])
    assert again.exit_code == 0, again.output
    assert "rule set v1 on 2026-06-30 over 40 customer(s)" in again.output
    assert "0 alert(s) raised, 0 in cool-down, 0 cleared" in again.output
    assert _count(database_url, tables.Alert) == raised
    one = runner.invoke(app, ["monitor", "evaluate", "--date", "2026-06-30", "--customer", "1"])
    assert "over 1 customer(s)" in one.output
    escalated = runner.invoke(app, ["monitor", "escalate"])
    assert escalated.exit_code == 0, escalated.output
    assert "alert(s) escalated" in escalated.output
