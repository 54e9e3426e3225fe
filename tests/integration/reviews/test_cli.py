"""``fengkong reviews`` and ``fengkong notify`` against a temporary SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.customers.models import Customer
from fengkong.database import open_database

runner = CliRunner()


def test_reviews_are_scheduled_once_and_overdue_ones_flagged_from_the_command_line(
    migrated_cli_database_url: str,
) -> None:
    database = open_database(migrated_cli_database_url)
    try:
        with database.session_scope(actor=Actor.system("test")) as session:
            session.add(
                Customer(
                    uscc="91310000MA1FL0XXXX",
                    name="上海测试有限公司",
                    created_at=datetime(2025, 1, 1, tzinfo=UTC),
                )
            )
    finally:
        database.dispose()

    first = runner.invoke(app, ["reviews", "schedule", "--date", "2026-06-30"])
    assert first.exit_code == 0, first.output
    assert "scheduled 1 review(s) on 2026-06-30" in first.output
    again = runner.invoke(app, ["reviews", "schedule", "--date", "2026-06-30"])
    assert "scheduled 0 review(s)" in again.output
    assert "1 customer(s) already had one open" in again.output

    flagged = runner.invoke(app, ["reviews", "flag-overdue", "--date", "2026-07-05"])
    assert flagged.exit_code == 0, flagged.output
    assert "flagged 1 overdue review(s)" in flagged.output

    delivered = runner.invoke(app, ["notify", "deliver"])
    assert delivered.exit_code == 0, delivered.output
    assert "sent 0" in delivered.output
    digest = runner.invoke(app, ["notify", "digest", "--date", "2026-07-05"])
    assert "queued 0 digest(s) for 2026-07-05" in digest.output
