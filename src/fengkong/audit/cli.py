"""``fengkong audit``: seal and check the audit log's hash chain from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from fengkong import database as database_module
from fengkong.audit.chain import seal_all, verify_chain
from fengkong.jobs.audit_seal import SealLoop
from fengkong.jobs.loop import run_until_terminated

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("seal")
def seal(
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Keep sealing every second until stopped: beside a server started without "
            "`fengkong serve` and no `fengkong worker`.",
        ),
    ] = False,
) -> None:
    """Link every pending entry into the chain now (PostgreSQL; the workers do it every second)."""
    database = database_module.open_database()
    try:
        if follow:
            run_until_terminated(SealLoop(database.engine))
            return
        sealed = seal_all(database.engine)
    finally:
        database.dispose()
    typer.echo(f"sealed {sealed:,} pending audit entries")


@audit_app.command("verify")
def verify(
    from_id: Annotated[
        int | None,
        typer.Option(
            "--from-id",
            min=1,
            help="Start at this entry, trusting its prev_hash (the anchor after pruning).",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Entries read at a time.")] = 1000,
    seal_first: Annotated[
        bool,
        typer.Option(
            "--seal/--no-seal",
            help="Seal pending entries before verifying (--no-seal: read only, e.g. a replica).",
        ),
    ] = True,
) -> None:
    """Recompute every entry's hash in chain order and report the first broken link (exit code
    1)."""
    database = database_module.open_database()
    try:
        if seal_first:
            seal_all(database.engine)
        with database.engine.connect() as connection:
            try:
                report = verify_chain(connection, from_id=from_id, batch_size=batch_size)
            except ValueError as error:
                typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
                raise typer.Exit(code=2) from error
    finally:
        database.dispose()
    pending = f"; {report.pending:,} entries pending, not verified" if report.pending else ""
    if report.broken is not None:
        typer.secho(
            f"audit chain broken at {report.broken.describe()}", err=True, fg=typer.colors.RED
        )
        typer.echo(f"{report.checked:,} entries verified before the break{pending}")
        raise typer.Exit(code=1)
    typer.echo(
        f"audit chain intact: {report.checked:,} entries verified"
        + (f", last entry {report.last_id} hash {report.last_hash}" if report.last_id else "")
        + pending
    )
