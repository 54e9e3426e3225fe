"""``fengkong report send-due`` against a temporary SQLite database: the due report is queued
with its file attached, once per scheduled day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.cli import app
from fengkong.database import open_database
from fengkong.notifications.models import DeliveryAttachment
from fengkong.reports.models import Frequency, ReportFormat, ReportKind, ReportSubscription

runner = CliRunner()


def test_send_due_queues_the_subscribed_report_once_on_its_day(
    migrated_cli_database_url: str,
) -> None:
    database = open_database(migrated_cli_database_url)
    try:
        with database.session_scope(actor=Actor.system("test")) as session:
            user, _ = auth_service.create_user(
                session, Actor.system("test"), username="rita", role=Role.RISK_MANAGER
            )
            session.add(
                ReportSubscription(
                    user_id=user.id,
                    kind=ReportKind.PORTFOLIO,
                    format=ReportFormat.HTML,
                    locale="en",
                    email="rita@example.com",
                    frequency=Frequency.MONTHLY,
                    run_day=5,
                    next_run_on=date(2027, 1, 5),
                    created_by="rita",
                )
            )

        early = runner.invoke(app, ["report", "send-due", "--on", "2027-01-04"])
        first = runner.invoke(app, ["report", "send-due", "--on", "2027-01-05"])
        again = runner.invoke(app, ["report", "send-due", "--on", "2027-01-05"])

        assert early.exit_code == 0, early.output
        assert "queued 0, suspended 0" in early.output
        assert "2027-01-05: queued 1, suspended 0" in first.output
        assert "queued 0" in again.output
        with database.session_scope() as session:
            [attachment] = session.scalars(select(DeliveryAttachment)).all()
            assert attachment.filename == "portfolio-report-2026-12.html"
            assert session.scalars(select(ReportSubscription.next_run_on)).one() == date(2027, 2, 5)
    finally:
        database.dispose()
