"""``fengkong keys`` (rotate and inspect the personal-data keys) and ``fengkong privacy`` (PIPL
export and erasure, legal holds), as the system actor ``cli`` (docs/security.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fengkong import database as database_module
from fengkong.auth.actor import Actor
from fengkong.errors import DomainError
from fengkong.privacy import pipl, rotation
from fengkong.privacy.fields import PersonalKind
from fengkong.privacy.keys import current_keyring
from fengkong.recorders import record_action

keys_app = typer.Typer(help="Keys that encrypt personal data at rest.", no_args_is_help=True)
privacy_app = typer.Typer(
    help="PIPL requests: export or erase a natural person's data; legal holds.",
    no_args_is_help=True,
)
hold_app = typer.Typer(
    help="Legal holds that keep a customer's personal data.", no_args_is_help=True
)
privacy_app.add_typer(hold_app, name="hold")
CLI_ACTOR = Actor.system("cli")


def _fail(error: DomainError) -> typer.Exit:
    typer.echo(f"error: {error.message}", err=True)
    return typer.Exit(code=1)


@keys_app.command("status")
def keys_status() -> None:
    """How many encrypted values each key id holds, per column."""
    keyring = current_keyring()
    database = database_module.open_database()
    try:
        with database.engine.connect() as connection:
            status = rotation.key_status(connection, keyring)
    finally:
        database.dispose()
    typer.echo(
        f"current key: {keyring.current_id}" + (" (development key)" if keyring.derived else "")
    )
    for column, counts in status.items():
        listed = ", ".join(f"{key_id} {count:,}" for key_id, count in counts.items())
        typer.echo(f"  {column:<48}{listed}")


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option(min=1, help="Rows re-encrypted per transaction.")] = (
        rotation.ROTATION_BATCH
    ),
) -> None:
    """Re-encrypt every personal value under the current key (FENGKONG_DATA_KEY_ID).

    Each batch commits on its own: an interrupted rotation resumes where it stopped, and a
    finished one does nothing. Keep old keys in FENGKONG_DATA_KEYS until `keys status` shows
    nothing under them."""
    keyring = current_keyring()
    database = database_module.open_database()
    total = 0
    try:
        for table_name in rotation.TABLES:
            while True:
                with database.session_scope(actor=CLI_ACTOR) as session:
                    done = rotation.rotate_batch(
                        session.connection(), keyring, table_name, size=batch
                    )
                    if done:
                        record_action(
                            session,
                            action="data_key_rotation",
                            entity_type=table_name,
                            entity_id="*",
                            details={"key_id": keyring.current_id, "rows": done},
                        )
                if not done:
                    break
                total += done
                typer.echo(f"  {table_name}: {done:,} rows re-encrypted")
    finally:
        database.dispose()
    typer.echo(f"{total:,} rows re-encrypted under key {keyring.current_id}")


SubjectKind = Annotated[PersonalKind, typer.Option("--by", help="Which identifier --value is.")]
SubjectValue = Annotated[
    str, typer.Option("--value", prompt=True, hide_input=True, help="The identifier (prompted).")
]


@privacy_app.command("export")
def privacy_export(
    by: SubjectKind,
    value: SubjectValue,
    output: Annotated[Path, typer.Option(help="Where to write the JSON.", dir_okay=False)],
) -> None:
    """Write everything held about a natural person to a JSON file (audited)."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            document = pipl.export_subject(session, CLI_ACTOR, pipl.SubjectQuery(by, value))
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    output.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(f"request {document['request_id']} written to {output}")


@privacy_app.command("erase")
def privacy_erase(by: SubjectKind, value: SubjectValue) -> None:
    """Erase a natural person's data where no legal hold applies (audited)."""
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            result = pipl.erase_subject(session, CLI_ACTOR, pipl.SubjectQuery(by, value))
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(
        f"request {result.request_id}: {result.contacts_deleted} contact rows deleted, "
        f"legal representative erased for {len(result.representatives_erased)} customers"
    )
    for customer_id, reasons in sorted(result.held.items()):
        typer.echo(f"  kept for customer {customer_id}: {'; '.join(reasons)}")


@hold_app.command("set")
def hold_set(
    customer: Annotated[int, typer.Option(help="The customer's id.")],
    reason: Annotated[str, typer.Option(help="Why the data must be kept.")],
) -> None:
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            hold = pipl.set_hold(session, CLI_ACTOR, customer_id=customer, reason=reason)
            hold_id = hold.id
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"legal hold #{hold_id} set on customer {customer}")


@hold_app.command("release")
def hold_release(hold_id: Annotated[int, typer.Argument(help="The hold's id.")]) -> None:
    database = database_module.open_database()
    try:
        with database.session_scope(actor=CLI_ACTOR) as session:
            pipl.release_hold(session, CLI_ACTOR, hold_id)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    typer.echo(f"legal hold #{hold_id} released")
