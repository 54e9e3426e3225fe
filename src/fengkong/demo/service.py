"""Load generated demo data into the database. Callers own the transaction; nothing here commits.

Ten thousand customers with three years of history are millions of rows, far too many for the ORM
unit of work, so they go in as compiled Core ``INSERT``s in executemany batches
(``fengkong.kit.bulk``). That bypasses the flush hooks in ``fengkong.recorders``, so
``record_bulk_load`` writes the one audit entry for the load and an outbox event for every business
row instead: monitoring sees the demo like any other history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import Session

from fengkong import recorders, tables
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission, Role
from fengkong.collections import service as collections_service
from fengkong.db import Base
from fengkong.demo.generator import TABLES, Array, DemoData, TableRows, generate_demo
from fengkong.events.spec import OutboxSpec
from fengkong.exposure import service as exposure_service
from fengkong.kit.bulk import insert_columns
from fengkong.kit.jsonable import to_jsonable
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow
from fengkong.limits import service as limits_service
from fengkong.monitoring import service as monitoring_service
from fengkong.portfolio import service as portfolio_service
from fengkong.privacy.fields import with_blind_indexes
from fengkong.reviews import service as reviews_service
from fengkong.settings import get_settings

DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("demo_admin", Role.ADMIN),
    ("demo_manager", Role.RISK_MANAGER),
    ("demo_analyst", Role.CREDIT_ANALYST),
    ("demo_sales", Role.SALES),
    ("demo_auditor", Role.AUDITOR),
)
OWNER_USERNAME = "demo_sales"

_MODELS: Mapping[str, type[Base]] = {
    "customers": tables.Customer,
    "customer_contacts": tables.CustomerContact,
    "related_parties": tables.RelatedParty,
    "contracts": tables.Contract,
    "orders": tables.Order,
    "invoices": tables.Invoice,
    "payments": tables.Payment,
    "payment_allocations": tables.PaymentAllocation,
    "financial_statements": tables.FinancialStatement,
    "credit_reports": tables.CreditReport,
    "legal_events": tables.LegalEvent,
    "demo_profiles": tables.DemoProfile,
}
_UUID_VARIANT = 0b10 << 62  # RFC 9562 variant bits atop the low 64 bits of an event id
_SQLITE_LOAD_CACHE = -256 * 1024  # negative: KiB rather than pages
_JSON_NATIVE = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    seed: int
    as_of: date
    counts: Mapping[str, int]
    events: int
    users: tuple[DemoUser, ...]
    """Demo users created by this load, with the only copy of their passwords."""


def is_empty(session: Session) -> bool:
    """True when there are no customers, i.e. a demo load would not mix with real data."""
    return session.scalar(select(tables.Customer.id).limit(1)) is None


def load_demo(
    session: Session,
    actor: Actor,
    *,
    customers: int,
    seed: int,
    as_of: date,
    zone: ZoneInfo | None = None,
) -> DemoSummary:
    """Append ``customers`` demo customers with three years of history up to ``as_of``.

    Business dates become timestamps at midnight in ``zone`` (default: the configured zone).
    """
    auth_service.ensure_permission(actor, Permission.USERS_MANAGE)
    users = _ensure_demo_users(session, actor)
    owner_id = auth_service.get_user(session, OWNER_USERNAME).id
    connection = session.connection()
    first_ids = {name: _next_id(connection, name) for name in TABLES if "id" in _table(name).c}
    data = generate_demo(
        customers=customers, seed=seed, as_of=as_of, first_ids=first_ids, owner_id=owner_id
    )
    business_zone = zone or get_settings().zone
    moments = {
        name: _moments(rows.occurred_on, business_zone) for name, rows in data.tables.items()
    }
    with _roomy_sqlite_cache(connection):
        for name, rows in data.tables.items():
            columns = _stamped(rows, moments[name], source_ref=f"demo seed {seed}")
            plain = {key: values.tolist() for key, values in columns.items()}
            insert_columns(connection, _table(name), with_blind_indexes(name, plain))
        events = _events(data, moments, recorded_at=utcnow())
        recorders.record_bulk_load(
            session,
            action="demo_load",
            entity_type="demo",
            summary={
                "seed": seed,
                "as_of": as_of,
                "customers": customers,
                "first_customer_id": first_ids["customers"],
                "rows": data.counts(),
                "events": len(events),
            },
            events=events,
        )
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection, [name for name in first_ids if len(data.tables[name])])
    return DemoSummary(
        seed=seed, as_of=as_of, counts=data.counts(), events=len(events), users=tuple(users)
    )


@dataclass(frozen=True, slots=True)
class DemoSettlement:
    limits_granted: int
    dunning_notices: int
    alerts_raised: int
    reviews_scheduled: int


def settle_demo(session: Session, actor: Actor, *, today: date) -> DemoSettlement:
    """What a credit team would have done by ``today`` with the scored demo book: a permanent limit
    from the limit policy where it recommends one (so credit checks have limits to check
    against), a dunning run (the worklist and notices have something to show), an evaluation
    of the early-warning rules (the alerts inbox too) and each active customer's next periodic
    review by its grade's cadence."""
    granted = limits_service.grant_policy_limits(session, actor, today=today)
    dunned = collections_service.run_dunning(session, actor, today=today)
    evaluated = monitoring_service.evaluate_customers(
        session, actor, customer_ids=None, as_of=today
    )
    scheduled = reviews_service.schedule_reviews(session, actor, today=today)
    # The dashboard sums each customer's exposure snapshot: compute them for the whole book,
    # then the dashboard's figures, so its first visit is as quick as the next.
    exposure_service.refresh_exposures(session, actor, as_of=today)
    portfolio_service.refresh_figures(session, today=today)
    return DemoSettlement(
        limits_granted=granted,
        dunning_notices=dunned.notices_issued,
        alerts_raised=len(evaluated.raised),
        reviews_scheduled=scheduled.created,
    )


@contextmanager
def _roomy_sqlite_cache(connection: Connection) -> Iterator[None]:
    """Give SQLite a 256 MB page cache for the load, then put the connection's setting back.

    With the default 2 MB, the indexes of a million-row load (the outbox's by customer above all)
    outgrow the cache and pages are written out and read back over and over: ten thousand
    customers then take a tenth longer.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size = {_SQLITE_LOAD_CACHE}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")


def _table(name: str) -> Table:
    return tables.metadata.tables[name]


def _ensure_demo_users(session: Session, actor: Actor) -> list[DemoUser]:
    """Create the demo users that do not exist yet; existing ones keep their passwords."""
    created: list[DemoUser] = []
    for username, role in DEMO_USERS:
        if auth_service.find_user(session, username) is None:
            _, password = auth_service.create_user(
                session, actor, username=username, role=role, display_name=f"Demo {role.value}"
            )
            created.append(DemoUser(username=username, role=role, password=password))
    return created


def _next_id(connection: Connection, name: str) -> int:
    return int(connection.scalar(select(func.max(_table(name).c.id))) or 0) + 1


def _moments(dates: Array, zone: ZoneInfo) -> Array:
    """Midnight of each business date in ``zone``, as UTC (a few hundred distinct days)."""
    days, inverse = np.unique(dates, return_inverse=True)
    midnights = [datetime.combine(day, time(), zone).astimezone(UTC) for day in days.tolist()]
    return np.array(midnights, dtype=object)[inverse]


def _stamped(rows: TableRows, moments: Array, *, source_ref: str) -> dict[str, Array]:
    """The rows' columns plus what the ORM would have set: timestamps, provenance and the first
    version."""
    columns = dict(rows.columns)
    table = _table(rows.table)
    if "created_at" in table.c:
        columns |= {"created_at": moments, "updated_at": moments}
    if "source" in table.c:
        columns |= {
            "source": np.full(len(rows), DataSource.DEMO.value, dtype=object),
            "source_ref": np.full(len(rows), source_ref, dtype=object),
            "sourced_at": moments,
        }
    if "version" in table.c:
        columns["version"] = np.ones(len(rows), dtype=np.int64)
    return columns


def _dicts(columns: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    rows = zip(*(columns[name] for name in names), strict=True)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _jsonable(values: Array) -> list[Any]:
    """A column as JSON-safe values, converting value by value only where it must."""
    if np.issubdtype(values.dtype, np.datetime64):
        return list(np.datetime_as_string(values).tolist())
    plain = list(values.tolist())
    if values.dtype == object and not set(map(type, plain)) <= _JSON_NATIVE:
        return [to_jsonable(value) for value in plain]
    return plain


def _events(
    data: DemoData, moments: Mapping[str, Array], *, recorded_at: datetime
) -> list[dict[str, Any]]:
    """One creation event per business row, in business-date order as they would have arrived.

    The payload is the row as loaded, like the flush hook's (every column but the timestamps).
    """
    events: list[dict[str, Any]] = []
    occurred: list[Array] = []
    ranks: list[Array] = []
    for rank, (name, rows) in enumerate(data.tables.items()):
        spec: OutboxSpec | None = getattr(_MODELS[name], "__outbox__", None)
        if spec is None or spec.created is None or not len(rows):
            continue
        events += _table_events(data.seed, rank, rows, spec, moments[name], recorded_at)
        occurred.append(rows.occurred_on)
        ranks.append(np.full(len(rows), rank))
    if not events:
        return events
    order = np.lexsort((np.arange(len(events)), np.concatenate(ranks), np.concatenate(occurred)))
    return [events[k] for k in order.tolist()]


def _table_events(
    seed: int,
    rank: int,
    rows: TableRows,
    spec: OutboxSpec,
    moments: Array,
    recorded_at: datetime,
) -> list[dict[str, Any]]:
    payload_columns = {name: _jsonable(values) for name, values in rows.columns.items()}
    if "version" in _table(rows.table).c:
        payload_columns["version"] = [1] * len(rows)
    payloads = _dicts(payload_columns)
    ids = rows.column("id")
    customers = rows.column(spec.customer_attribute)
    return [
        {
            "event_id": event_id,
            "event_type": spec.created,
            "customer_id": customer_id,
            "entity_type": rows.table,
            "entity_id": str(row_id),
            "payload": payload,
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
        }
        for row_id, event_id, customer_id, payload, occurred_at in zip(
            ids, _event_ids(seed, rank, ids), customers, payloads, moments.tolist(), strict=True
        )
    ]


def _event_ids(seed: int, rank: int, ids: list[int]) -> list[str]:
    """Deterministic event ids: RFC 9562 version-8 UUIDs made of the seed, the table and the id.

    The same demo loaded anew gets the same event ids, and version 8 keeps them apart from the
    random (version 4) ids of ordinary events. They increase with the row id, so the outbox's
    unique index is appended to rather than written all over, which keeps big loads fast.
    """
    seed_digest = hashlib.sha256(f"fengkong-demo/{seed}".encode()).digest()
    head = f"{int.from_bytes(seed_digest[:6]):012x}8{rank:03x}"
    return [f"{head}{_UUID_VARIANT | row_id:016x}" for row_id in ids]


def _advance_sequences(connection: Connection, names: Sequence[str]) -> None:
    """Move PostgreSQL's id sequences past the ids assigned here, so later inserts don't clash."""
    for name in names:
        table = _table(name)
        connection.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(name, "id"),
                    select(func.max(table.c.id)).scalar_subquery(),
                )
            )
        )
