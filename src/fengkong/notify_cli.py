"""``fengkong notify`` (send due deliveries, queue daily digests) and ``fengkong reviews``
(schedule periodic reviews, flag overdue ones) from the command line (cron), as the system
actor ``cli`` (docs/notifications.md, docs/reviews.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from fengkong import database as database_module
from fengkong.auth.actor import Actor
from fengkong.errors import DomainError
from fengkong.kit.time import business_today
from fengkong.notifications import service as notifications_service
from fengkong.reviews import service as reviews_service
from fengkong.settings import get_settings

notify_app = typer.Typer(
    help="Notifications: send due emails and webhooks, queue daily digests.", no_args_is_help=True
)
reviews_app = typer.Typer(
    help="Periodic reviews: schedule them, flag overdue ones.", no_args_is_help=True
)
CLI_ACTOR = Actor.system("cli")
DateOption = Annotated[
    datetime | None,
    typer.Option("--date", formats=["%Y-%m-%d"], help="As of this day (default: today)."),
]


def _fail(error: DomainError) -> typer.Exit:
    typer.echo(f"error: {error.message}", err=True)
    return typer.Exit(code=1)


def _today(on: datetime | None) -> datetime:
    return on or datetime.combine(business_today(get_settings().zone), datetime.min.time())


@notify_app.command("deliver")
def notify_deliver(
    limit: Annotated[int, typer.Option(min=1, help="At most this many deliveries.")] = 500,
) -> None:
    """Send the emails and webhooks that are due; failures wait with backoff, then go dead."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            summary = notifications_service.deliver_pending(session, limit=limit)
    finally:
        database.dispose()
    typer.echo(
        f"sent {summary.sent:,}, failed {summary.failed:,} (will retry), dead {summary.dead:,}, "
        f"waiting for SMTP settings {summary.waiting:,}"
    )


@notify_app.command("digest")
def notify_digest(on: DateOption = None) -> None:
    """Queue one digest email per user with the day's digest-mode notifications."""
    day = _today(on).date()
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            count = notifications_service.send_digests(session, today=day)
    finally:
        database.dispose()
    typer.echo(f"queued {count:,} digest(s) for {day}; `fengkong notify deliver` sends them")


@reviews_app.command("schedule")
def reviews_schedule(on: DateOption = None) -> None:
    """Give every active customer without an open review its next one (idempotent)."""
    day = _today(on).date()
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            summary = reviews_service.schedule_reviews(session, CLI_ACTOR, today=day)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"scheduled {summary.created:,} review(s) on {day}; "
        f"{summary.already_open:,} customer(s) already had one open"
    )


@reviews_app.command("flag-overdue")
def reviews_flag_overdue(on: DateOption = None) -> None:
    """Notify the assignees of overdue reviews (topic review.overdue), once per review."""
    day = _today(on).date()
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            count = reviews_service.flag_overdue_reviews(session, CLI_ACTOR, today=day)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"flagged {count:,} overdue review(s) on {day}")
