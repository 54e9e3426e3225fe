"""``fengkong user region``: give a sales user the region whose customers they also see."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fengkong.auth import service as auth_service
from fengkong.cli import app
from fengkong.database import open_database
from tests.cli_support import create_users

runner = CliRunner()


@pytest.fixture
def database_url(migrated_cli_database_url: str) -> str:
    create_users(("lin", "sales"))
    return migrated_cli_database_url


def _region_of(url: str, username: str) -> str | None:
    database = open_database(url)
    try:
        with database.session_scope() as session:
            return auth_service.get_user(session, username).region_code
    finally:
        database.dispose()


def test_a_region_is_set_and_cleared_on_the_command_line(database_url: str) -> None:
    given = runner.invoke(app, ["user", "region", "--username", "lin", "--region", "3301"])
    assert given.exit_code == 0, given.output
    assert "lin: region 3301" in given.output
    assert _region_of(database_url, "lin") == "3301"
    cleared = runner.invoke(app, ["user", "region", "--username", "lin"])
    assert cleared.exit_code == 0, cleared.output
    assert _region_of(database_url, "lin") is None


def test_a_malformed_region_or_an_unknown_user_is_a_clear_error(database_url: str) -> None:
    malformed = runner.invoke(app, ["user", "region", "--username", "lin", "--region", "33a"])
    assert malformed.exit_code == 1
    assert "2, 4 or 6 digits" in malformed.output
    unknown = runner.invoke(app, ["user", "region", "--username", "nobody", "--region", "33"])
    assert unknown.exit_code == 1
    assert _region_of(database_url, "lin") is None
