"""``fengkong audit``: check the audit log's hash chain from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from fengkong import database as database_module
from fengkong.audit.chain import verify_chain

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


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
) -> None:
    """Recompute every entry's hash in id order and report the first broken link (exit code 1)."""
    database = database_module.open_database()
    try:
        with database.engine.connect() as connection:
            report = verify_chain(connection, from_id=from_id, batch_size=batch_size)
    finally:
        database.dispose()
    if report.broken is not None:
        typer.secho(
            f"audit chain broken at {report.broken.describe()}", err=True, fg=typer.colors.RED
        )
        typer.echo(f"{report.checked:,} entries verified before the break")
        raise typer.Exit(code=1)
    typer.echo(
        f"audit chain intact: {report.checked:,} entries verified"
        + (f", last entry {report.last_id} hash {report.last_hash}" if report.last_id else "")
    )
