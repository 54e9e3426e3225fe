"""``fengkong demo`` grants policy limits; ``fengkong limits apply-blocks`` and ``expire`` run on
the demo book (a throw-away SQLite file)."""

from __future__ import annotations

from typer.testing import CliRunner

from fengkong import tables
from fengkong.cli import app
from tests.cli_support import count_rows


def test_the_demo_gets_policy_limits_and_the_block_rules_run_on_it(cli_database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "40", "--seed", "7", "--as-of", "2026-06-30"])
    assert demo.exit_code == 0, demo.output
    granted = count_rows(cli_database_url, tables.CreditLimit)
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
