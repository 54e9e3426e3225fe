"""``fengkong model register|list|validate|approve|promote|rollback`` against a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from tests.cli_support import create_users

runner = CliRunner()


@pytest.fixture
def database_url(migrated_cli_database_url: str) -> str:
    create_users(("alice", "credit_analyst"), ("bob", "risk_manager"))
    return migrated_cli_database_url


def run(*args: str) -> str:
    result = runner.invoke(app, ["model", *args])
    assert result.exit_code == 0, result.output
    return result.output


def listed(name: str) -> list[dict[str, object]]:
    return [m for m in json.loads(run("list", "--json")) if m["name"] == name]


def test_a_model_goes_from_a_training_folder_to_champion_and_back_on_the_command_line(
    database_url: str, scorecard_run: Path, gbm_run: Path, holdout_data: Path
) -> None:
    assert "registered" in run("register", str(scorecard_run), "--name", "pd", "--as", "alice")
    [first] = listed("pd")
    assert (first["version"], first["state"], first["author"]) == (1, "draft", "alice")
    assert any(
        m["kind"] == "expert" and m["state"] == "champion"
        for m in json.loads(run("list", "--json"))
    )

    out = run(
        "validate",
        str(first["id"]),
        "--data",
        str(holdout_data),
        "--target",
        "default",
        "--bad-value",
        "yes",
        "--as",
        "alice",
    )
    assert "hold-out on 400 rows" in out

    refused = runner.invoke(app, ["model", "approve", str(first["id"]), "--as", "alice"])
    assert refused.exit_code == 1
    assert "models:approve" in refused.output or "permission" in refused.output.lower()
    run("approve", str(first["id"]), "--as", "bob", "--comment", "good enough")
    run("promote", str(first["id"]), "--as", "bob")

    run("register", str(gbm_run), "--name", "pd", "--as", "alice")
    second = listed("pd")[0]
    run("validate", str(second["id"]), "--as", "alice")
    run("approve", str(second["id"]), "--as", "bob")
    run("promote", str(second["id"]), "--as", "bob")
    assert [(m["version"], m["state"]) for m in listed("pd")] == [(2, "champion"), (1, "retired")]

    assert "champion again" in run("rollback", "pd", "--to", "1", "--as", "bob")
    assert [(m["version"], m["state"]) for m in listed("pd")] == [(2, "retired"), (1, "champion")]


def test_an_unknown_user_is_refused(database_url: str, scorecard_run: Path) -> None:
    result = runner.invoke(app, ["model", "approve", "1", "--as", "nobody"])
    assert result.exit_code == 1
