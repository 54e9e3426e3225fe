"""``fengkong audit verify`` on committed databases, and migration 0019 chaining the entries that an
older database already holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from fengkong import recorders
from fengkong.audit.chain import verify_chain
from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.database import alembic_config, open_database, upgrade
from fengkong.db import UTCDateTime
from fengkong.settings import get_settings
from tests.conftest import BACKENDS, throwaway_database_url

runner = CliRunner()
BEFORE_CHAIN = "0018_personal_data"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with throwaway_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def configured_url(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FENGKONG_DATABASE_URL", empty_url)
    get_settings.cache_clear()
    upgrade(empty_url)
    yield empty_url
    get_settings.cache_clear()


def _record(url: str, count: int) -> None:
    database = open_database(url)
    try:
        with database.session_scope(actor=Actor.system("cli-test")) as session:
            for number in range(count):
                recorders.record_action(
                    session,
                    action="export",
                    entity_type="customers",
                    entity_id="*",
                    details={"rows": number, "filters": {"q": "上海"}},
                )
    finally:
        database.dispose()


def _tamper(url: str, statement: str) -> None:
    """Change the log as someone with direct database access would, past the triggers."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            else:
                connection.execute(sa.text("DROP TRIGGER audit_log_no_update"))
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_verify_passes_then_names_the_changed_entry(configured_url: str) -> None:
    _record(configured_url, 4)

    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "audit chain intact: 4 entries verified" in intact.output

    engine = sa.create_engine(configured_url)
    with engine.connect() as connection:
        third = connection.scalar(sa.text("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 2"))
    engine.dispose()
    _tamper(configured_url, f"UPDATE audit_log SET after = '{{}}' WHERE id = {int(third)}")  # noqa: S608

    broken = runner.invoke(app, ["audit", "verify", "--batch-size", "2"])
    assert broken.exit_code == 1
    assert f"audit chain broken at entry {third} (" in broken.output
    assert "export customers/*" in broken.output
    assert "was changed" in broken.output
    assert "2 entries verified before the break" in broken.output

    from_after = runner.invoke(app, ["audit", "verify", "--from-id", str(third + 1)])
    assert from_after.exit_code == 0, from_after.output


def test_seal_links_what_is_pending_and_verify_seals_first_unless_told_not_to(
    configured_url: str,
) -> None:
    _record(configured_url, 3)
    pending = 3 if sa.make_url(configured_url).get_backend_name() == "postgresql" else 0

    read_only = runner.invoke(app, ["audit", "verify", "--no-seal"])
    assert read_only.exit_code == 0, read_only.output
    assert f"audit chain intact: {3 - pending} entries verified" in read_only.output
    assert (f"{pending} entries pending, not verified" in read_only.output) == bool(pending)

    sealed = runner.invoke(app, ["audit", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert f"sealed {pending} pending audit entries" in sealed.output

    _record(configured_url, 2)
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact: 5 entries verified" in verified.output
    assert "pending" not in verified.output


def test_verify_from_an_entry_outside_the_chain_is_refused(configured_url: str) -> None:
    _record(configured_url, 1)

    missing = runner.invoke(app, ["audit", "verify", "--from-id", "999999"])

    assert missing.exit_code == 2
    assert "audit entry 999999 is not in the chain" in missing.output


def test_the_migration_chains_existing_entries_and_makes_the_log_append_only(
    empty_url: str,
) -> None:
    upgrade(empty_url, BEFORE_CHAIN)
    legacy = sa.table(
        "audit_log",
        sa.column("occurred_at", UTCDateTime()),
        sa.column("actor_username", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity_type", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
    )
    start = datetime(2026, 1, 1, 8, 30, 15, 123456, tzinfo=UTC)
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(legacy),
                [
                    {
                        "occurred_at": start + timedelta(minutes=number),
                        "actor_username": "legacy",
                        "action": "update",
                        "entity_type": "customers",
                        "entity_id": str(number),
                        "before": {"name": "旧名称", "capital": "100.00"},
                        "after": {"name": "新名称", "capital": "200.50"},
                    }
                    for number in range(1, 2502)
                ],
            )

        upgrade(empty_url)
        with engine.connect() as connection:
            report = verify_chain(connection)
            assert report.intact, report.broken
            assert report.checked == 2501
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(sa.text("DELETE FROM audit_log"))
            connection.rollback()

        command.downgrade(alembic_config(empty_url), BEFORE_CHAIN)
        with engine.begin() as connection:
            columns = {column["name"] for column in sa.inspect(connection).get_columns("audit_log")}
            assert {"prev_hash", "entry_hash"}.isdisjoint(columns)
            deleted = connection.execute(sa.text("DELETE FROM audit_log"))
            assert deleted.rowcount == 2501
    finally:
        engine.dispose()
