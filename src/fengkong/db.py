"""Engine, sessions and the declarative base.

One ``Database`` per process (or per test database). Services receive a ``Session`` and never
commit; ``session_scope`` is the unit of work that commits on success and rolls back on error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

INSERT_PAGE_ROWS = 8
"""Rows per multi-row INSERT of an ORM flush on PostgreSQL (see ``make_engine``)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores none of the offset by itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; use UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defeats SAVEPOINTs and transactional DDL; take it over.
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
    # failing when a read transaction tries to upgrade to a write.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # An ORM flush of new rows is one INSERT … VALUES (…), (…) … RETURNING per page of rows, and
    # psycopg re-parses the text of any statement over 4 KB or 50 parameters on every execution
    # (3.7 ms for 100 rows of 25 columns). Eight rows a page keep the parse short (and cached for
    # a narrow table): the stream consumer's first evaluations replayed 12-27 % faster,
    # ingestion 32-60 % (docs/performance.md). Hot paths that insert many rows of a wide table
    # use ``recorders.insert_many_created`` instead (one short statement, parsed once).
    return create_engine(
        url, pool_pre_ping=True, insertmanyvalues_page_size=INSERT_PAGE_ROWS, **kwargs
    )


class Database:
    def __init__(
        self, url: str, *, session_class: type[Session] = Session, **engine_kwargs: Any
    ) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.session_factory = sessionmaker(
            self.engine, class_=session_class, expire_on_commit=False
        )

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def open_session(self, *, actor: object = None) -> Session:
        """A session for ``actor`` (who its writes are attributed to in the audit log). Opening
        one does no I/O: the connection is taken at its first statement."""
        session = self.session_factory()
        session.info["actor"] = actor
        return session

    @contextmanager
    def session_scope(self, *, actor: object = None) -> Iterator[Session]:
        """The unit of work: commit if the block succeeds, roll back if it raises."""
        session = self.open_session(actor=actor)
        try:
            yield session
        except BaseException:
            end_session(session, commit=False)
            raise
        end_session(session, commit=True)

    def dispose(self) -> None:
        self.engine.dispose()


def end_session(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and give the connection back: a unit of work's one blocking end.
    A commit that fails is rolled back by ``close``."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
