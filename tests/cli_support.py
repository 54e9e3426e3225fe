"""Running ``fengkong`` commands in tests and reading what they left in the database."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner, Result

from fengkong.cli import app

runner = CliRunner()


def invoke_ok(*args: str) -> Result:
    """Run ``fengkong <args>`` and insist it succeeded, showing its output when it did not."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def create_users(*users: tuple[str, str]) -> None:
    """``fengkong user create`` for each (username, role)."""
    for username, role in users:
        invoke_ok("user", "create", "--username", username, "--role", role)


def count_rows(url: str, table: type[object]) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(table))
    finally:
        engine.dispose()
    return int(count or 0)
