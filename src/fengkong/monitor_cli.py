"""``fengkong monitor``: evaluate the early-warning rules and escalate overdue alerts from the
command line (cron), as the system actor ``cli`` (docs/monitoring.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from fengkong import database as database_module
from fengkong.auth.actor import Actor
from fengkong.errors import DomainError
from fengkong.kit.time import business_today
from fengkong.monitoring import service as monitoring_service
from fengkong.settings import get_settings

monitor_app = typer.Typer(
    help="Early warning: evaluate rules, escalate overdue alerts.", no_args_is_help=True
)
CLI_ACTOR = Actor.system("cli")


def _fail(error: DomainError) -> typer.Exit:
    typer.echo(f"error: {error.message}", err=True)
    return typer.Exit(code=1)


@monitor_app.command("evaluate")
def monitor_evaluate(
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Judge as of this day (default: today)."),
    ] = None,
    customer: Annotated[
        list[int] | None, typer.Option(help="Only this customer's id (repeatable).")
    ] = None,
) -> None:
    """Evaluate the active rule set; alerts are raised only where a rule's level flips."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            summary = monitoring_service.evaluate_customers(
                session,
                CLI_ACTOR,
                customer_ids=customer or None,
                as_of=on.date() if on else business_today(get_settings().zone),
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"rule set v{summary.rule_set_version} on {summary.as_of} over {summary.customers:,} "
        f"customer(s): {summary.fired:,} fired, {len(summary.raised):,} alert(s) raised, "
        f"{summary.suppressed:,} in cool-down, {summary.cleared:,} cleared"
    )


@monitor_app.command("escalate")
def monitor_escalate() -> None:
    """Escalate open alerts past their SLA due time and notify the risk managers."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            summary = monitoring_service.escalate_overdue_alerts(session, CLI_ACTOR)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"{len(summary.escalated):,} alert(s) escalated")
