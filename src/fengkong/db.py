"""Engine, sessions and the declarative base.

One ``Database`` per process (or per test database). Services receive a ``Session`` and never
commit; ``session_scope`` is the unit of work that commits on success and rolls back on error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, exc
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from fengkong.kit.id_sets import register_id_arrays

INSERT_PAGE_ROWS = 8
"""Rows per multi-row INSERT of an ORM flush on PostgreSQL (see ``make_engine``)."""

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is handed out
(``ping_after_idle``)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def stored_utc(value: datetime) -> datetime:
    """``value`` in UTC, as timestamp columns store it; a naive datetime is refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; use UTC")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores none of the offset by itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else stored_utc(value)

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
    engine = create_engine(url, insertmanyvalues_page_size=INSERT_PAGE_ROWS, **kwargs)
    ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "connect", _register_id_arrays)
    return engine


def _register_id_arrays(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    register_id_arrays(dbapi_connection)


_CHECKED_IN_AT = "fengkong_checked_in_at"


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only when it has sat idle over ``idle_seconds``:
    one that is dead (the database restarted, a firewall dropped it) is replaced before a
    request sees it, as with ``pool_pre_ping``, but a busy pool hands connections on without
    the extra round trip — one in eleven of an order credit check's (docs/performance.md). A
    connection that dies within the window fails its next statement once; SQLAlchemy then
    recognises the disconnect and discards the pool's connections of before it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error
            raise


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
