"""``fengkong monitor evaluate`` and ``escalate`` on the demo book (a throw-away SQLite file)."""

from __future__ import annotations

from typer.testing import CliRunner

from fengkong import tables
from fengkong.cli import app
from tests.cli_support import count_rows


def test_the_demo_raises_its_alerts_once_evaluating_again_raises_none_and_escalate_runs(
    cli_database_url: str,
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "40", "--seed", "7", "--as-of", "2026-06-30"])
    assert demo.exit_code == 0, demo.output
    raised = count_rows(cli_database_url, tables.Alert)
    assert raised > 0
    assert f"early-warning alerts raised: {raised:,}" in demo.output
    scheduled = count_rows(cli_database_url, tables.Review)
    assert scheduled > 0
    assert f"periodic reviews scheduled: {scheduled:,}" in demo.output
    again = runner.invoke(app, ["monitor", "evaluate", "--date", "2026-06-30"])
    assert again.exit_code == 0, again.output
    assert "rule set v1 on 2026-06-30 over 40 customer(s)" in again.output
    assert "0 alert(s) raised, 0 in cool-down, 0 cleared" in again.output
    assert count_rows(cli_database_url, tables.Alert) == raised
    one = runner.invoke(app, ["monitor", "evaluate", "--date", "2026-06-30", "--customer", "1"])
    assert "over 1 customer(s)" in one.output
    escalated = runner.invoke(app, ["monitor", "escalate"])
    assert escalated.exit_code == 0, escalated.output
    assert "alert(s) escalated" in escalated.output
