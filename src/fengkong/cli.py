"""The ``fengkong`` command: serve, migrate, load demo data, manage users and tokens."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated

import typer
import uvicorn

from fengkong import database as database_module
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.demo import service as demo_service
from fengkong.errors import DomainError
from fengkong.kit.time import business_today
from fengkong.settings import get_settings

app = typer.Typer(help="Fengkong 风控 — customer credit-risk management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts and ERPs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

CLI_ACTOR = Actor.system("cli")


def _fail(error: DomainError) -> typer.Exit:
    typer.secho(f"error: {error.message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web UI and the REST API."""
    uvicorn.run("fengkong.app:create_app", factory=True, host=host, port=port, reload=reload)


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=1, help="How many demo customers to create.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of the history (default: today)."),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when customers exist already.")
    ] = False,
) -> None:
    """Load deterministic demo customers with three years of history, and one user per role.

    Passwords of the demo users created are printed once.
    """
    settings = get_settings()
    last_day = as_of.date() if as_of else business_today(settings.zone)
    database = database_module.open_database()
    started = time.perf_counter()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            if if_empty and not demo_service.is_empty(session):
                typer.echo("customers exist already; no demo data loaded")
                return
            summary = demo_service.load_demo(
                session, CLI_ACTOR, customers=customers, seed=seed, as_of=last_day
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    seconds = time.perf_counter() - started
    typer.echo(f"demo data loaded in {seconds:.1f} s (seed {seed}, history to {last_day}):")
    for table, count in summary.counts.items():
        typer.echo(f"  {table:<22}{count:>12,}")
    typer.echo(f"  {'events':<22}{summary.events:>12,}")
    if summary.users:
        typer.echo("demo users (passwords are shown only now):")
        for user in summary.users:
            typer.echo(f"  {user.username:<14}{user.role.value:<16}{user.password}")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the configured database to the latest schema (or to REVISION)."""
    url = get_settings().resolved_database_url
    database_module.upgrade(url, revision)
    typer.echo(f"database at {revision}: {url.split('@')[-1]}")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name (a-z, 0-9, . _ -).")],
    role: Annotated[Role, typer.Option(help="One of the five roles.")],
    password: Annotated[
        str | None, typer.Option(help="Initial password; one is generated when omitted.")
    ] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the UI.")] = "",
) -> None:
    """Create a user. A generated password is printed once."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            user, plain = auth_service.create_user(
                session,
                CLI_ACTOR,
                username=username,
                role=role,
                password=password,
                display_name=display_name,
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"created {user.username} ({user.role.value})")
    if password is None:
        typer.echo(f"password: {plain}")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'ERP'.")] = "",
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until it expires (default: never).")
    ] = None,
) -> None:
    """Issue a bearer token and print it once; only its hash is stored."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            token = auth_service.create_token(
                session,
                CLI_ACTOR,
                username=username,
                name=name,
                expires_in=timedelta(days=expires_in_days) if expires_in_days else None,
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(token)
