"""Open the application's database: the engine plus the audit and outbox recorders and the
access scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from fengkong import recorders, tables
from fengkong.access import scope
from fengkong.db import Database
from fengkong.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def open_database(url: str | None = None, **engine_kwargs: Any) -> Database:
    """``engine_kwargs`` go to SQLAlchemy's ``create_engine`` (a pool size, say)."""
    database = Database(
        url or get_settings().resolved_database_url,
        session_class=scope.ScopedSession,
        **engine_kwargs,
    )
    recorders.install(database.session_factory)
    scope.install(database.session_factory)
    return database


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """What Alembic compares with the models: everything but procrastinate's job-queue tables,
    which migration 0010 applies from procrastinate's own schema."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` to ``revision`` (the app never calls create_all)."""
    command.upgrade(alembic_config(url), revision)


__all__ = ["Database", "alembic_config", "open_database", "tables", "upgrade"]
