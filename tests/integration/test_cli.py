"""The ``fengkong`` command against a real (temporary) SQLite database."""

from __future__ import annotations

from typer.testing import CliRunner

from fengkong.auth import service as auth_service
from fengkong.cli import app
from fengkong.database import open_database

runner = CliRunner()


def test_a_user_created_on_the_command_line_can_get_a_working_token(
    migrated_cli_database_url: str,
) -> None:
    created = runner.invoke(app, ["user", "create", "--username", "erp", "--role", "sales"])
    assert created.exit_code == 0, created.output
    assert "password: " in created.output

    issued = runner.invoke(app, ["token", "create", "--username", "erp", "--name", "ERP"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip()
    assert token.startswith("fk_")

    database = open_database(migrated_cli_database_url)
    try:
        with database.session_scope() as session:
            actor = auth_service.actor_for_token(session, token)
            assert actor is not None
            assert actor.username == "erp"
    finally:
        database.dispose()


def test_a_taken_username_is_a_clear_error(migrated_cli_database_url: str) -> None:
    args = ["user", "create", "--username", "dup", "--role", "auditor", "--password", "x" * 12]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "username 'dup' is taken" in again.output


def test_an_unknown_role_is_refused(migrated_cli_database_url: str) -> None:
    result = runner.invoke(app, ["user", "create", "--username", "zed", "--role", "boss"])
    assert result.exit_code != 0
    assert "boss" in result.output


def test_a_token_for_an_unknown_user_is_a_clear_error(migrated_cli_database_url: str) -> None:
    result = runner.invoke(app, ["token", "create", "--username", "ghost"])
    assert result.exit_code == 1
    assert "no user named 'ghost'" in result.output
