"""Fixtures for tests of the ``fengkong`` command line: a throw-away SQLite file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fengkong.settings import get_settings
from tests.conftest import migrated_sqlite_url


@pytest.fixture
def cli_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The database (not yet migrated), data directory and settings the commands of this test
    read from the environment, as an operator's shell would set them; no mail server."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FENGKONG_DATABASE_URL", url)
    monkeypatch.setenv("FENGKONG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("FENGKONG_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def migrated_cli_database_url(cli_database_url: str, tmp_path: Path) -> str:
    """The same database at the head of the migrations: a copy of a migrated one (the tests that
    load the demo from the command line run ``db upgrade`` themselves)."""
    url = migrated_sqlite_url(tmp_path, "cli.db")
    assert url == cli_database_url
    return url
