"""``fengkong report``: reports from the command line (cron), as the system actor ``cli``;
``send-due`` queues the subscribed reports due on a day; ``portfolio`` writes the monthly
portfolio report to a file (docs/reports.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fengkong import database as database_module
from fengkong.auth.actor import Actor
from fengkong.errors import DomainError
from fengkong.kit.time import business_today
from fengkong.reports import subscriptions
from fengkong.reports.portfolio_report import portfolio_report_file, report_month
from fengkong.settings import Locale, get_settings

report_app = typer.Typer(
    help="Reports: the monthly portfolio report to a file, subscribed reports by e-mail.",
    no_args_is_help=True,
)
CLI_ACTOR = Actor.system("cli")


@report_app.command("send-due")
def send_due(
    on: Annotated[
        datetime | None,
        typer.Option("--on", formats=["%Y-%m-%d"], help="As of this day (default: today)."),
    ] = None,
) -> None:
    """Queue the subscribed reports due on the day, each rendered as its subscriber; those the
    subscriber may no longer read are suspended. ``fengkong notify deliver`` sends them."""
    day = on.date() if on is not None else business_today(get_settings().zone)
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            summary = subscriptions.send_due(session, today=day)
    finally:
        database.dispose()
    typer.echo(f"{day}: queued {summary.sent:,}, suspended {summary.suspended:,}")


class PortfolioFormat(StrEnum):
    PDF = "pdf"
    HTML = "html"
    XLSX = "xlsx"


class Language(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


LOCALES: dict[Language, Locale] = {Language.ZH_CN: "zh_CN", Language.EN: "en"}


@report_app.command("portfolio")
def portfolio(
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: the last complete month).")
    ] = None,
    fmt: Annotated[PortfolioFormat, typer.Option("--format")] = PortfolioFormat.PDF,
    lang: Annotated[Language | None, typer.Option("--lang")] = None,
) -> None:
    """Write the monthly portfolio report (docs/reports.md, "Portfolio report") to a file."""
    settings = get_settings()
    locale = LOCALES[lang] if lang is not None else settings.default_locale
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            first = report_month(month, today=business_today(settings.zone))
            report = portfolio_report_file(
                session, CLI_ACTOR, month=first, fmt=fmt.value, locale=locale
            )
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(code=1) from error
    finally:
        database.dispose()
    out.write_bytes(report.content)
    typer.echo(f"{out}: portfolio report {first:%Y-%m}, {len(report.content):,} bytes")
