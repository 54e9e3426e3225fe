"""``fengkong backup`` and ``fengkong restore``: the configured database to a file and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fengkong.backup import service
from fengkong.settings import get_settings


def _fail(error: service.BackupError) -> typer.Exit:
    typer.secho(f"error: {error.message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def backup(
    path: Annotated[Path, typer.Argument(help="The backup file; its manifest goes next to it.")],
) -> None:
    """Back up the database (SQLite online backup, or pg_dump) with per-table checksums."""
    try:
        manifest = service.backup(get_settings().resolved_database_url, path)
    except service.BackupError as error:
        raise _fail(error) from error
    rows = sum(table.rows for table in manifest.tables.values())
    if manifest.audit_break is not None:
        typer.secho(
            f"warning: the audit chain was already broken at {manifest.audit_break}; backed up "
            "as it is (run `fengkong audit verify`)",
            err=True,
            fg=typer.colors.YELLOW,
        )
    typer.echo(
        f"backed up {len(manifest.tables)} tables ({rows:,} rows, {manifest.audit_entries:,} "
        f"audit entries, revision {manifest.revision}) to {path}; manifest "
        f"{service.manifest_path(path)}"
    )


def restore(
    path: Annotated[Path, typer.Argument(help="A backup file written by `fengkong backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that already holds data.")
    ] = False,
) -> None:
    """Restore the database from a backup, then check every table's checksum and the audit chain.

    Stop the app and workers first: the restore replaces the whole database."""
    try:
        report = service.restore(get_settings().resolved_database_url, path, force=force)
    except service.BackupError as error:
        raise _fail(error) from error
    typer.echo(
        f"restored {path}: {report.tables_checked} tables match their checksums, audit chain "
        f"intact ({report.audit.checked:,} entries)"
    )
