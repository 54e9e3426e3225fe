"""Migrations build the schema on both backends, downgrade cleanly, and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from fengkong.database import alembic_config, include_name, upgrade
from fengkong.tables import metadata
from tests.conftest import BACKENDS, throwaway_database_url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with throwaway_database_url(request.param, tmp_path) as url:
        yield url


def test_upgrade_downgrade_upgrade_leaves_the_schema_matching_the_models(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")
    engine = create_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(empty_database_url)
        with engine.connect() as connection:
            drift = compare_metadata(
                MigrationContext.configure(connection, opts={"include_name": include_name}),
                metadata,
            )
        assert drift == [], f"models and migrations disagree: {drift}"
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
