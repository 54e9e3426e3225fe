"""The ``fengkong`` command: serve, migrate, load demo data, manage users and tokens."""

from __future__ import annotations

import shutil
import time
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.engine import make_url

from fengkong import database as database_module
from fengkong.access import regions as access_regions
from fengkong.audit.cli import audit_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.backup import cli as backup_cli
from fengkong.collections import service as collections_service
from fengkong.connectors import service as connectors_service
from fengkong.connectors.models import DataKind
from fengkong.demo import service as demo_service
from fengkong.errors import DomainError
from fengkong.i18n import N_, Message, as_locale
from fengkong.imports import service as import_service
from fengkong.imports.exports import ROW_HEADER
from fengkong.imports.kinds import ImportKind
from fengkong.imports.models import ImportStatus
from fengkong.imports.problems import ImportFailed, RowError
from fengkong.jobs.audit_seal import SealLoop
from fengkong.jobs.cli import worker
from fengkong.jobs.embedded import StreamLoop
from fengkong.jobs.periodic import DailyLoop
from fengkong.kit.time import business_today, utcnow
from fengkong.limits import service as limits_service
from fengkong.logs import configure_logging
from fengkong.model_cli import model_app
from fengkong.monitor_cli import monitor_app
from fengkong.notify_cli import notify_app, reviews_app
from fengkong.privacy_cli import keys_app, privacy_app
from fengkong.report_cli import report_app
from fengkong.risk import configs as risk_configs
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.scoring.distributed import EngineKind, EngineUnavailable
from fengkong.settings import Locale, get_settings

app = typer.Typer(help="Fengkong 风控 — customer credit-risk management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts and ERPs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(model_app, name="model")
app.add_typer(monitor_app, name="monitor")
app.add_typer(notify_app, name="notify")
app.add_typer(reviews_app, name="reviews")
app.add_typer(keys_app, name="keys")
app.add_typer(privacy_app, name="privacy")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)
app.command("worker")(worker)

CLI_ACTOR = Actor.system("cli")


def _fail(error: DomainError) -> typer.Exit:
    typer.secho(f"error: {error.message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes: two per core on PostgreSQL (a process waits on the database "
            "about as long as it computes; the load benchmark runs four on two cores); the "
            "background threads run once, in this process.",
        ),
    ] = 1,
) -> None:
    """Serve the web UI and the REST API.

    In embedded mode (SQLite) a background thread also applies the event stream every
    FENGKONG_RESCORE_INTERVAL_SECONDS (0: never): it rescores the customers whose data changed
    and evaluates the monitoring rules for them; another runs the daily jobs (the drift watch of
    champion models). On PostgreSQL, run ``fengkong worker`` for both; a thread here seals the
    audit entries into the chain (so does every worker).
    """
    settings = get_settings()
    configure_logging(settings)
    url = settings.resolved_database_url
    interval = settings.rescore_interval_seconds
    embedded = make_url(url).get_backend_name() == "sqlite"
    loop: StreamLoop | None = None
    if interval > 0 and embedded:
        loop = StreamLoop(database_module.open_database(url), interval_seconds=interval)
        loop.start()
    daily = DailyLoop(database_module.open_database(url)) if embedded else None
    if daily is not None:
        daily.start()
    sealer = None if embedded else SealLoop(database_module.open_database(url).engine)
    if sealer is not None:
        sealer.start()
    try:
        uvicorn.run(
            "fengkong.app:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=None if reload else workers,
            log_config=None,
        )
    finally:
        if loop is not None:
            loop.stop()
            loop.database.dispose()
        if daily is not None:
            daily.stop()
            daily.database.dispose()
        if sealer is not None:
            sealer.stop()
            sealer.engine.dispose()


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
        with database.session_scope(actor=CLI_ACTOR) as session:
            # As of the demo's last day when one is given, so the scores match its history.
            scored = risk_service.score_customers(
                session,
                CLI_ACTOR,
                as_of=as_of.date() if as_of else None,
                trigger=ScoreTrigger.DEMO,
            )
        with database.session_scope(actor=CLI_ACTOR) as session:
            settled = demo_service.settle_demo(session, CLI_ACTOR, today=last_day)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    seconds = time.perf_counter() - started
    typer.echo(
        f"demo data loaded and scored in {seconds:.1f} s (seed {seed}, history to {last_day}):"
    )
    for table, count in summary.counts.items():
        typer.echo(f"  {table:<22}{count:>12,}")
    typer.echo(f"  {'events':<22}{summary.events:>12,}")
    _print_scoring(scored)
    typer.echo(f"  credit limits granted from the limit policy: {settled.limits_granted:,}")
    typer.echo(f"  dunning notices issued: {settled.dunning_notices:,}")
    typer.echo(f"  early-warning alerts raised: {settled.alerts_raised:,}")
    typer.echo(f"  periodic reviews scheduled: {settled.reviews_scheduled:,}")
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


@user_app.command("region")
def user_region(
    username: Annotated[str, typer.Option(help="The user whose region is set.")],
    region: Annotated[
        str | None,
        typer.Option(help="Administrative-division prefix (2, 4 or 6 digits); omit to clear."),
    ] = None,
) -> None:
    """Set the region whose customers a user without customers:all (sales) also sees."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            user = access_regions.assign_region(
                session, CLI_ACTOR, username=username, region_code=region
            )
            shown = user.region_code or "none (own customers only)"
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"{username}: region {shown}")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'ERP'.")] = "",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A permission the token may use (repeatable; default: all the user's)."),
    ] = None,
    expires_in_days: Annotated[
        int | None,
        typer.Option(min=1, help="Days until it expires (default 365, from settings)."),
    ] = None,
    no_expiry: Annotated[
        bool, typer.Option("--no-expiry", help="Never expires (revoke it when done).")
    ] = False,
) -> None:
    """Issue a bearer token and print it once; only its hash is stored."""
    if no_expiry and expires_in_days is not None:
        raise typer.BadParameter("give either --expires-in-days or --no-expiry")
    days = None if no_expiry else expires_in_days or get_settings().api_token_default_expiry_days
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            token = auth_service.create_token(
                session,
                CLI_ACTOR,
                username=username,
                name=name,
                expires_in=timedelta(days=days) if days else None,
                scopes=scope,
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(token)


@token_app.command("list")
def token_list(
    username: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
) -> None:
    """Tokens with their scopes, expiry and state (never the tokens themselves)."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            listed = auth_service.list_tokens(session, CLI_ACTOR, username=username)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    now = utcnow()
    for token in listed:
        scopes = ",".join(token.scopes) if token.scopes is not None else "(all of the role)"
        expires = token.expires_at.date().isoformat() if token.expires_at else "never"
        used = token.last_used_at.date().isoformat() if token.last_used_at else "never"
        typer.echo(
            f"{token.id:>5}  {token.prefix}…  {token.username:<16}{token.status(now):<9}"
            f"expires {expires:<12}used {used:<12}{token.name}  [{scopes}]"
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id `token list` shows.")],
) -> None:
    """Revoke a token: it stops working at once."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            auth_service.revoke_token(session, CLI_ACTOR, token_id=token_id)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"token {token_id} revoked")


connectors_app = typer.Typer(
    help="Credit-data connectors: agency reports, business registry, court records.",
    no_args_is_help=True,
)
app.add_typer(connectors_app, name="connectors")
PULL_BATCH = 200  # customers per transaction for --all: a failure loses one batch, not the run


@connectors_app.command("pull")
def connectors_pull(
    customer: Annotated[int | None, typer.Option(help="The customer's id.")] = None,
    all_customers: Annotated[
        bool, typer.Option("--all", help="Every customer that is not archived.")
    ] = False,
    kind: Annotated[
        list[DataKind] | None, typer.Option(help="Pull only this kind (repeatable; default: all).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Pull even data that is recent enough (costs money).")
    ] = False,
) -> None:
    """Pull credit data through the configured provider waterfalls (FENGKONG_CONNECTORS_*)."""
    if (customer is None) == (not all_customers):
        raise typer.BadParameter("give either --customer ID or --all")
    kinds = tuple(kind or connectors_service.KINDS)
    database = database_module.open_database()
    results: list[connectors_service.KindResult] = []
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            config = connectors_service.connector_config(get_settings())
            ids = (
                [customer]
                if customer is not None
                else connectors_service.pullable_customer_ids(session)
            )
        for start in range(0, len(ids), PULL_BATCH):
            with database.session_scope(actor=CLI_ACTOR) as session:
                for customer_id in ids[start : start + PULL_BATCH]:
                    summary = connectors_service.pull(
                        session,
                        CLI_ACTOR,
                        customer_id=customer_id,
                        kinds=kinds,
                        force=force,
                        config=config,
                    )
                    results.extend(summary.results)
            if len(ids) > PULL_BATCH:
                typer.echo(f"  {min(start + PULL_BATCH, len(ids)):,} of {len(ids):,} customers")
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    _print_pull_totals(len(ids), results)


def _print_pull_totals(customers: int, results: list[connectors_service.KindResult]) -> None:
    typer.echo(f"pulled credit data for {customers:,} customer(s):")
    for kind in connectors_service.KINDS:
        of_kind = [result for result in results if result.kind is kind]
        if not of_kind:
            continue
        outcomes: dict[str, int] = {}
        for result in of_kind:
            label = result.outcome.value if result.outcome else "no provider configured"
            outcomes[label] = outcomes.get(label, 0) + 1
            if result.verification is not None:
                label = f"uscc {result.verification.value}"
                outcomes[label] = outcomes.get(label, 0) + 1
        stored = {
            "created": sum(result.created for result in of_kind),
            "updated": sum(result.updated for result in of_kind),
            "unverified": sum(result.unverified for result in of_kind),
            "skipped": sum(result.skipped for result in of_kind),
        }
        typer.echo(f"  {kind.value}: " + ", ".join(f"{k} {v:,}" for k, v in outcomes.items()))
        typer.echo("    records " + ", ".join(f"{k} {v:,}" for k, v in stored.items()))
    costs = connectors_service.sum_costs(call.cost for result in results for call in result.calls)
    typer.echo("  cost: " + (", ".join(str(cost) for cost in costs) or "none"))


@connectors_app.command("costs")
def connectors_costs(
    months: Annotated[int, typer.Option(min=1, max=60, help="Months to break down.")] = 12,
) -> None:
    """What the providers were asked and charged: per provider, and per month."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            report = connectors_service.cost_report(
                session, CLI_ACTOR, months=months, zone=get_settings().zone
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    if not report.providers:
        typer.echo("no provider has been called yet")
        return
    typer.echo(f"{'provider':<16}{'calls':>10}{'found':>10}  cost")
    for provider in report.providers:
        cost = ", ".join(str(money) for money in provider.costs) or "free"
        typer.echo(f"{provider.provider:<16}{provider.calls:>10,}{provider.found:>10,}  {cost}")
    typer.echo(f"{'total':<36}  " + (", ".join(str(money) for money in report.total) or "free"))
    typer.echo(f"\n{'month':<10}{'provider':<16}{'calls':>10}  cost")
    for month in report.months:
        cost = ", ".join(str(money) for money in month.costs) or "free"
        typer.echo(f"{month.month:<10}{month.provider:<16}{month.calls:>10,}  {cost}")


class Language(StrEnum):
    ZH_CN = "zh_CN"
    EN = "en"


IMPORT_ERRORS_SHOWN = 50
_PROBLEM_COLUMNS = (ROW_HEADER, N_("column in file"), N_("cell value"), N_("what is wrong"))
_MORE_PROBLEMS = N_("… and %(count)s more problems.")
_REJECTS_WRITTEN = N_("Rejected rows, with the reason for each: %(path)s")
_NOT_IMPORTED = N_("(not imported)")


@app.command("import")
def import_file(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="A .csv or .xlsx file."),
    ],
    partial: Annotated[
        bool,
        typer.Option("--partial", help="Write the valid rows; the rest go to FILE.rejects.csv."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and say what would change.")
    ] = False,
    lang: Annotated[
        Language | None, typer.Option(help="Language of the messages (default: the configured).")
    ] = None,
) -> None:
    """Import customers, related parties, statements, invoices, payments, orders, contracts,
    credit reports or legal events from CSV (UTF-8 or GBK) or XLSX.

    All or nothing unless --partial: any problem is listed and nothing is written (exit code 1).
    Importing the same file again changes nothing.
    """
    locale = as_locale(lang.value if lang else None) or get_settings().default_locale
    database = database_module.open_database()
    started = time.perf_counter()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            result = import_service.import_file(
                session,
                CLI_ACTOR,
                kind=kind,
                path=file,
                file_name=file.name,
                partial=partial,
                dry_run=dry_run,
                locale=locale,
            )
    except ImportFailed as error:
        localised = error.localised(locale)
        typer.secho(localised.message, err=True, fg=typer.colors.RED)
        _print_problems(localised.errors, localised.count, locale)
        raise typer.Exit(code=1) from error
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    seconds = time.perf_counter() - started
    typer.echo(f"{import_service.describe(result).render(locale)} ({seconds:.1f} s)")
    if dry_run:
        typer.echo(f"{file.name}: {result.file_format.value} {result.encoding or ''}".rstrip())
        for mapped in result.columns:
            target = mapped.column.name if mapped.column else Message(_NOT_IMPORTED).render(locale)
            typer.echo(f"  {mapped.header} → {target}")
    _print_problems(result.errors, result.error_count, locale)
    if result.rejects_file is not None:
        rejects = file.with_name(f"{file.stem}.rejects.csv")
        shutil.copyfile(result.rejects_file, rejects)
        typer.echo(Message(_REJECTS_WRITTEN, {"path": rejects}).render(locale))
    if result.status is ImportStatus.REJECTED or (dry_run and result.error_count):
        raise typer.Exit(code=1)


def _print_problems(errors: Sequence[RowError], count: int, locale: Locale) -> None:
    """Problems as a table on stderr: row, column, value, message."""
    if not errors:
        return
    rows = [[Message(title).render(locale) for title in _PROBLEM_COLUMNS]]
    rows += [
        [str(error.row or ""), error.column or "", error.value or "", error.message.render(locale)]
        for error in errors[:IMPORT_ERRORS_SHOWN]
    ]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=False)
        ]
        typer.echo("  ".join([*cells, row[3]]), err=True)
    if count > IMPORT_ERRORS_SHOWN:
        more = Message(_MORE_PROBLEMS, {"count": count - IMPORT_ERRORS_SHOWN})
        typer.echo(more.render(locale), err=True)


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


@app.command()
def score(
    all_customers: Annotated[
        bool, typer.Option("--all", help="Every customer that is not archived.")
    ] = False,
    customer: Annotated[int | None, typer.Option(help="One customer's id.")] = None,
    changed: Annotated[
        bool, typer.Option("--changed", help="The customers whose data changed since last time.")
    ] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Score as known on this day (default: today)."),
    ] = None,
    engine: Annotated[
        EngineKind,
        typer.Option(help="Where features and scores are computed: here, or on a Dask cluster."),
    ] = EngineKind.LOCAL,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)."
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(min=1, help="Partitions of customers (default: one per engine thread)."),
    ] = None,
) -> None:
    """Score customers with the active scorecard and grade scale, and store what changed."""
    if sum((all_customers, customer is not None, changed)) != 1:
        raise typer.BadParameter("give exactly one of --all, --customer ID, --changed")
    if engine is not EngineKind.LOCAL and not all_customers:
        raise typer.BadParameter("--engine dask scores a whole book: use it with --all")
    if scheduler is not None and engine is EngineKind.LOCAL:
        raise typer.BadParameter("--scheduler needs --engine dask")
    day = as_of.date() if as_of else None
    database = database_module.open_database()
    started = time.perf_counter()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            if changed:
                rescored = risk_service.rescore_changed(session, CLI_ACTOR, as_of=day)
                summary = rescored.scoring
                typer.echo(f"{rescored.events:,} event(s) named {rescored.customers:,} customer(s)")
            else:
                summary = risk_service.score_customers(
                    session,
                    CLI_ACTOR,
                    customer_ids=None if customer is None else [customer],
                    as_of=day,
                    trigger=ScoreTrigger.ALL if all_customers else ScoreTrigger.MANUAL,
                    engine=engine,
                    scheduler=scheduler,
                    partitions=partitions,
                )
    except DomainError as error:
        raise _fail(error) from error
    except EngineUnavailable as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from error
    finally:
        database.dispose()
    if summary is not None:
        _print_scoring(summary)
    typer.echo(f"done in {time.perf_counter() - started:.1f} s")


def _print_scoring(summary: risk_service.ScoringSummary) -> None:
    typer.echo(
        f"scored {summary.scored:,} customer(s) as of {summary.as_of} with scorecard "
        f"v{summary.scorecard_version} and grade scale v{summary.scale_version}: "
        f"{summary.stored:,} new score(s), {summary.unchanged:,} unchanged, "
        f"{summary.grade_changes:,} grade change(s)"
    )
    typer.echo(
        f"model {summary.model}"
        + (
            f"; {summary.shadow_models} challenger(s) in the shadow"
            if summary.shadow_models
            else ""
        )
    )
    for grade, count in summary.grades.items():
        share = count / summary.scored if summary.scored else 0.0
        typer.echo(f"  {grade}  {count:>10,}  {share:6.1%}")


def _config_app(kind: risk_configs.ConfigKind, help_text: str) -> typer.Typer:
    """``fengkong scorecard …`` and ``fengkong grade-scale …``: the same four commands."""
    config_app = typer.Typer(help=help_text, no_args_is_help=True)

    @config_app.command("import")
    def import_(
        file: Annotated[
            Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A YAML file.")
        ],
        note: Annotated[str | None, typer.Option(help="Why this version exists.")] = None,
        activate: Annotated[
            bool, typer.Option("--activate", help="Use it for new scores at once.")
        ] = False,
    ) -> None:
        """Validate FILE and store it as the next version (a draft unless --activate)."""
        database = database_module.open_database()
        try:
            with database.session_scope(actor=CLI_ACTOR) as session:
                row = risk_configs.import_version(
                    session,
                    CLI_ACTOR,
                    kind=kind,
                    yaml_text=file.read_text("utf-8"),
                    note=note,
                    activate=activate,
                )
                typer.echo(
                    f"{kind.label} {row.name} stored as version {row.version} ({row.status})"
                )
        except DomainError as error:
            raise _fail(error) from error
        finally:
            database.dispose()

    @config_app.command("export")
    def export(
        version: Annotated[int | None, typer.Option(help="Version (default: the active).")] = None,
    ) -> None:
        """Print a stored version's YAML exactly as it was imported."""
        database = database_module.open_database()
        try:
            with database.session_scope(actor=CLI_ACTOR) as session:
                row = risk_configs.get_version(session, CLI_ACTOR, kind=kind, version=version)
                typer.echo(row.yaml_text, nl=False)
        except DomainError as error:
            raise _fail(error) from error
        finally:
            database.dispose()

    @config_app.command("activate")
    def activate_(version: Annotated[int, typer.Argument(help="The version to activate.")]) -> None:
        """Use VERSION for new scores; the active one is retired."""
        database = database_module.open_database()
        try:
            with database.session_scope(actor=CLI_ACTOR) as session:
                row = risk_configs.activate_version(session, CLI_ACTOR, kind=kind, version=version)
                typer.echo(f"{kind.label} {row.name} version {row.version} is active")
        except DomainError as error:
            raise _fail(error) from error
        finally:
            database.dispose()

    @config_app.command("list")
    def list_() -> None:
        """Stored versions, newest first."""
        database = database_module.open_database()
        try:
            with database.session_scope(actor=CLI_ACTOR) as session:
                rows = risk_configs.list_versions(session, CLI_ACTOR, kind=kind)
                if not rows:
                    typer.echo(f"no {kind.label} stored yet (the shipped default is used)")
                for row in rows:
                    typer.echo(
                        f"{row.version:>4}  {row.status.value:<8}{row.name:<28}"
                        f"{row.created_at:%Y-%m-%d %H:%M}  {row.created_by:<14}{row.note or ''}"
                    )
        except DomainError as error:
            raise _fail(error) from error
        finally:
            database.dispose()

    return config_app


app.add_typer(
    _config_app(risk_configs.ConfigKind.SCORECARD, "Scorecards: versions stored as YAML."),
    name="scorecard",
)
app.add_typer(
    _config_app(risk_configs.ConfigKind.GRADE_SCALE, "Grade scales: versions stored as YAML."),
    name="grade-scale",
)


dunning_app = typer.Typer(
    help="Dunning: overdue invoices through the dunning levels, promises to pay.",
    no_args_is_help=True,
)
app.add_typer(dunning_app, name="dunning")


@dunning_app.command("run")
def dunning_run(
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="The run date (default: today)."),
    ] = None,
    customer: Annotated[
        list[int] | None, typer.Option(help="Only this customer's id (repeatable).")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Letter language, zh_CN or en (default: configured).")
    ] = None,
) -> None:
    """Move overdue invoices to the dunning level they reached and issue the notices; a second
    run the same day issues nothing new."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            summary = collections_service.run_dunning(
                session,
                CLI_ACTOR,
                today=on.date() if on else None,
                customer_ids=customer or None,
                language=language,
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"dunning run of {summary.run_on} with {summary.config_name} v{summary.config_version}: "
        f"{summary.notices_issued:,} notice(s) covering {summary.invoices_dunned:,} invoice(s)"
    )
    for level, count in summary.notices_by_level.items():
        typer.echo(f"  level {level}  {count:>8,}")
    for reason, count in summary.skipped.items():
        typer.echo(f"  held back ({reason})  {count:,}")
    if summary.legal_handover_customer_ids:
        typer.echo(
            f"  handed over to legal: {len(summary.legal_handover_customer_ids):,} customer(s)"
        )


@dunning_app.command("review-promises")
def dunning_review_promises(
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Judge as of this day (default: today)."),
    ] = None,
) -> None:
    """Mark open promises to pay kept (paid) or broken (past due plus grace, unpaid)."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            review = collections_service.review_promises(
                session, CLI_ACTOR, today=on.date() if on else None
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"reviewed {review.reviewed:,} open promise(s) on {review.today}: "
        f"{len(review.kept):,} kept, {len(review.broken):,} broken"
    )


limits_app = typer.Typer(
    help="Credit limits: expiry of temporary limits and stale requests, block rules.",
    no_args_is_help=True,
)
app.add_typer(limits_app, name="limits")


@limits_app.command("expire")
def limits_expire(
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Judge as of this day (default: today)."),
    ] = None,
) -> None:
    """Expire temporary limits past their end date and limit requests nobody decided in time."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            expiry = limits_service.expire_limits(
                session, CLI_ACTOR, today=on.date() if on else None
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"expired on {expiry.today}: {len(expiry.limits_expired):,} temporary limit(s), "
        f"{len(expiry.requests_expired):,} limit request(s)"
    )


@limits_app.command("apply-blocks")
def limits_apply_blocks(
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Judge as of this day (default: today)."),
    ] = None,
    customer: Annotated[
        list[int] | None, typer.Option(help="Only this customer's id (repeatable).")
    ] = None,
) -> None:
    """Set rule blocks where a block rule fires and lift those whose condition cleared."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            run = limits_service.apply_block_rules(
                session, CLI_ACTOR, today=on.date() if on else None, customer_ids=customer or None
            )
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"block rules on {run.today} over {run.customers:,} customer(s): {len(run.set):,} set, "
        f"{len(run.lifted):,} lifted, {run.kept:,} kept"
    )
    for rule, count in sorted(run.by_rule.items()):
        typer.echo(f"  {rule:<24}{count:>8,}")
