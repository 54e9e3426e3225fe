"""``fengkong dunning run`` against a real (temporary) SQLite database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from typer.testing import CliRunner

from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.collections.models import DunningNotice
from fengkong.customers.models import Customer
from fengkong.database import open_database
from fengkong.kit.money import Money
from fengkong.receivables.models import Invoice
from tests.factories import make_uscc

runner = CliRunner()


def test_the_dunning_run_on_the_command_line_issues_notices_once_a_day(
    migrated_cli_database_url: str,
) -> None:
    database = open_database(migrated_cli_database_url)
    with database.session_scope(actor=Actor.system("test")) as session:
        customer = Customer(uscc=make_uscc(901), name="命令行测试有限公司")
        session.add(customer)
        session.flush()
        session.add(
            Invoice(
                customer_id=customer.id,
                invoice_number="INV-CLI-1",
                issue_date=date(2026, 4, 1),
                due_date=date(2026, 5, 1),
                amount=Money.of("5000.00", "CNY"),
                outstanding=Money.of("5000.00", "CNY"),
            )
        )
    first = runner.invoke(app, ["dunning", "run", "--date", "2026-06-30"])
    assert first.exit_code == 0, first.output
    assert "1 notice(s) covering 1 invoice(s)" in first.output
    assert "level 4" in first.output  # 60 days past due
    assert "handed over to legal: 1 customer(s)" in first.output
    second = runner.invoke(app, ["dunning", "run", "--date", "2026-06-30"])
    assert "0 notice(s)" in second.output
    reviewed = runner.invoke(app, ["dunning", "review-promises", "--date", "2026-06-30"])
    assert reviewed.exit_code == 0, reviewed.output
    assert "reviewed 0 open promise(s)" in reviewed.output
    with database.session_scope(actor=Actor.system("test")) as session:
        assert session.scalar(select(func.count()).select_from(DunningNotice)) == 1
    database.dispose()
