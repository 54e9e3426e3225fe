"""The hash chain over the audit log: appending entries, sealing them into the chain, verifying it.

Each sealed entry stores its ``chain_position``, ``prev_hash`` (the previous entry's
``entry_hash``; 64 zeros for the first) and ``entry_hash``, the SHA-256 of a canonical JSON of
``prev_hash`` and the entry's fields. Changing, removing, inserting or reordering any entry breaks
a link that ``verify_chain`` names.

Linking is a global order, so it is serialised — and where that happens decides how far every
writer is slowed by every other:

* **PostgreSQL**: a transaction inserts its entries *pending* (no position, no hashes) and takes
  no chain lock; ``seal_pending`` — run every second by ``fengkong worker`` and ``fengkong serve``
  (``fengkong.audit.sealer``) — links the committed pending entries in id order under a
  transaction-scoped advisory lock, hundreds at a time. A chain lock held by each writer from its
  append to its commit (the first design) made writers queue behind each other's commits: under
  load the whole app convoyed on it. Pending entries are already protected by the append-only
  trigger, which allows exactly one update of a row: its sealing. Chain order is sealing order,
  not id order: a transaction that commits late is sealed late.
* **SQLite**: every transaction holds the database's write lock from its start (``BEGIN
  IMMEDIATE``, see ``fengkong.db``), so the entries are sealed as they are inserted, in the same
  transaction; nothing is ever pending and nothing needs a sealer.

A unique index on ``prev_hash`` and one on ``chain_position`` turn any fork into an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Insert, bindparam, func, insert, select, text, update

from fengkong.audit.models import AuditEntry
from fengkong.json_insert import insert_from_json, json_rows

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key of the chain's tail: "FKAUDIT" in ASCII.
CHAIN_LOCK_KEY = 0x464B4155444954
SEAL_BATCH = 2000
"""Pending entries linked per sealing transaction: a few seconds of a busy server's writes."""
HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)
_TABLE = AuditEntry.__table__
# Built once: each append (every audited request) would otherwise build all three again.
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")
_TAIL = (
    select(_TABLE.c.chain_position, _TABLE.c.entry_hash)
    .where(_TABLE.c.chain_position.is_not(None))
    .order_by(_TABLE.c.chain_position.desc())
    .limit(1)
)
_PENDING = (
    select(_TABLE.c.id, *(_TABLE.c[field] for field in HASHED_FIELDS))
    .where(_TABLE.c.chain_position.is_(None))
    .order_by(_TABLE.c.id)
    .limit(bindparam("limit"))
)
_COUNT_PENDING = select(func.count()).where(_TABLE.c.chain_position.is_(None))
_INSERT = insert(AuditEntry)
_SEAL = (
    update(AuditEntry)
    .where(_TABLE.c.id == bindparam("key"))
    .values(
        chain_position=bindparam("position"),
        prev_hash=bindparam("prev"),
        entry_hash=bindparam("hash"),
    )
)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


ENTRIES_PARAMETER = "entries"


@cache
def pending_entries_insert() -> Insert:
    """Built once per process: the pending entries of a PostgreSQL transaction, read from the
    JSON array ``ENTRIES_PARAMETER`` (``fengkong.json_insert``) — one short statement however
    many entries a long batch held back (``recorders.audit_at_end``)."""
    table = AuditEntry.metadata.tables[AuditEntry.__tablename__]
    return insert_from_json(table, HASHED_FIELDS, ENTRIES_PARAMETER)


def compute_entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 over sorted-key compact JSON: independent of how either backend orders JSON keys."""
    payload = {field: entry[field] for field in HASHED_FIELDS}
    payload["occurred_at"] = _timestamp(entry["occurred_at"])
    payload["prev_hash"] = prev_hash
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tail(connection: Connection) -> tuple[int, str]:
    """The last sealed entry's position and hash: what the next entry links to."""
    last = connection.execute(_TAIL).first()
    if last is None:
        return 0, GENESIS_HASH
    return int(last.chain_position), str(last.entry_hash)


def _linked(
    entries: Sequence[Mapping[str, Any]], position: int, previous: str
) -> Iterator[tuple[int, str, str]]:
    """Each entry's position, prev_hash and entry_hash, continuing the chain after ``previous``."""
    for entry in entries:
        position += 1
        entry_hash = compute_entry_hash(previous, entry)
        yield position, previous, entry_hash
        previous = entry_hash


def append_entries(connection: Connection, entries: Sequence[Mapping[str, Any]]) -> None:
    """Insert audit entries in one statement: pending on PostgreSQL (``seal_pending`` links
    them after commit), sealed at once on SQLite, where the transaction holds the write lock.
    An entry is a mapping of exactly ``HASHED_FIELDS``."""
    if not entries:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(pending_entries_insert(), {ENTRIES_PARAMETER: json_rows(entries)})
        return
    position, previous = _tail(connection)
    rows: list[dict[str, Any]] = []
    for entry, (entry_position, prev_hash, entry_hash) in zip(
        entries, _linked(entries, position, previous), strict=True
    ):
        rows.append(
            {
                **entry,
                "chain_position": entry_position,
                "prev_hash": prev_hash,
                "entry_hash": entry_hash,
            }
        )
    connection.execute(_INSERT, rows)


def seal_pending(connection: Connection, *, wait: bool = True, limit: int = SEAL_BATCH) -> int:
    """Link up to ``limit`` committed pending entries into the chain, in id order; the count.

    Runs in the caller's transaction (commit it to publish the links), which must be read
    committed: the tail is read after the lock is granted and must include what the previous
    sealer committed meanwhile. On PostgreSQL it takes the chain's advisory lock to the end of
    that transaction; with ``wait=False`` it returns 0 at once when another sealer holds it (the
    background loops of several processes then take turns instead of queueing)."""
    if connection.dialect.name == "postgresql":
        if wait:
            connection.execute(_LOCK, {"key": CHAIN_LOCK_KEY})
        elif not connection.scalar(_TRY_LOCK, {"key": CHAIN_LOCK_KEY}):
            return 0
    pending = connection.execute(_PENDING, {"limit": limit}).all()
    if not pending:
        return 0
    position, previous = _tail(connection)
    links = _linked([row._asdict() for row in pending], position, previous)
    connection.execute(
        _SEAL,
        [
            {"key": row.id, "position": entry_position, "prev": prev_hash, "hash": entry_hash}
            for row, (entry_position, prev_hash, entry_hash) in zip(pending, links, strict=True)
        ],
    )
    return len(pending)


def seal_all(engine: Engine) -> int:
    """Seal every pending entry, a committed batch at a time; the number sealed. For commands
    and tests that need the chain complete now (the background sealer does this every second)."""
    total = 0
    while True:
        with engine.begin() as connection:
            sealed = seal_pending(connection)
        total += sealed
        if sealed < SEAL_BATCH:
            return total


def pending_entries(connection: Connection) -> int:
    """Entries committed but not sealed yet (always 0 on SQLite)."""
    return int(connection.scalar(_COUNT_PENDING) or 0)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry whose link does not hold, and why."""

    id: int
    occurred_at: datetime
    action: str
    entity_type: str
    entity_id: str
    problem: str

    def describe(self) -> str:
        return (
            f"entry {self.id} ({_timestamp(self.occurred_at)}, {self.action} "
            f"{self.entity_type}/{self.entity_id}): {self.problem}"
        )


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    last_id: int | None
    last_hash: str | None
    broken: ChainBreak | None
    pending: int = 0
    """Entries committed but not sealed into the chain yet: not verified, not a break."""

    @property
    def intact(self) -> bool:
        return self.broken is None


def _batches(
    connection: Connection, from_position: int | None, size: int
) -> Iterator[Sequence[Any]]:
    columns = [_TABLE.c.id, _TABLE.c.chain_position, _TABLE.c.prev_hash, _TABLE.c.entry_hash]
    columns += [_TABLE.c[field] for field in HASHED_FIELDS]
    after = (from_position - 1) if from_position is not None else None
    while True:
        statement = (
            select(*columns)
            .where(_TABLE.c.chain_position.is_not(None))
            .order_by(_TABLE.c.chain_position)
            .limit(size)
        )
        if after is not None:
            statement = statement.where(_TABLE.c.chain_position > after)
        batch = connection.execute(statement).all()
        if not batch:
            return
        yield batch
        after = batch[-1].chain_position


def _position_of(connection: Connection, entry_id: int) -> int:
    position = connection.scalar(select(_TABLE.c.chain_position).where(_TABLE.c.id == entry_id))
    if position is None:
        raise ValueError(f"audit entry {entry_id} is not in the chain (no such entry, or pending)")
    return int(position)


def _break(row: Any, problem: str) -> ChainBreak:
    return ChainBreak(
        id=row.id,
        occurred_at=row.occurred_at,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        problem=problem,
    )


def verify_chain(
    connection: Connection, *, from_id: int | None = None, batch_size: int = 1000
) -> ChainReport:
    """Walk the sealed entries in chain order, a batch at a time (constant memory), and stop at
    the first break; pending entries are counted, not checked.

    From the start, the first entry must link to the genesis hash. From entry ``from_id`` (an
    anchor, e.g. the first entry kept after a DBA pruned older ones) that entry's stored
    ``prev_hash`` is trusted and everything after it in the chain is checked."""
    expected: str | None = None if from_id is not None else GENESIS_HASH
    from_position = _position_of(connection, from_id) if from_id is not None else None
    checked = 0
    last_id: int | None = None
    pending = pending_entries(connection)
    for batch in _batches(connection, from_position, batch_size):
        for row in batch:
            if expected is not None and row.prev_hash != expected:
                problem = (
                    f"prev_hash {row.prev_hash} does not match the previous entry's hash "
                    f"{expected} (an entry before it was removed, inserted or reordered)"
                )
                return ChainReport(checked, last_id, expected, _break(row, problem), pending)
            recomputed = compute_entry_hash(row.prev_hash, row._asdict())
            if recomputed != row.entry_hash:
                problem = (
                    f"entry_hash {row.entry_hash} does not match its contents (recomputed "
                    f"{recomputed}): the entry was changed"
                )
                return ChainReport(checked, last_id, expected, _break(row, problem), pending)
            expected = row.entry_hash
            last_id = row.id
            checked += 1
    return ChainReport(checked, last_id, expected, None, pending)
