"""The hash chain over the audit log: appending entries and verifying the chain.

Each entry stores ``prev_hash`` (the previous entry's ``entry_hash``; 64 zeros for the first) and
``entry_hash``, the SHA-256 of a canonical JSON of ``prev_hash`` and the entry's fields. Changing,
removing, inserting or reordering any entry breaks a link that ``verify_chain`` names.

Hashes are computed when the rows are inserted, in the inserting transaction, so that rolled-back
work (and the tests' rolled-back transactions) never leaves a gap. Appends are serialised: on
PostgreSQL by a transaction-scoped advisory lock taken before the chain's tail is read; on SQLite
by the write lock that every transaction takes up front (``BEGIN IMMEDIATE``, see ``fengkong.db``).
A unique index on ``prev_hash`` turns any fork that slipped through into an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text

from fengkong.audit.models import AuditEntry

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key of the chain's tail: "FKAUDIT" in ASCII.
CHAIN_LOCK_KEY = 0x464B4155444954
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
_TAIL = select(_TABLE.c.entry_hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(AuditEntry)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 over sorted-key compact JSON: independent of how either backend orders JSON keys."""
    payload = {field: entry[field] for field in HASHED_FIELDS}
    payload["occurred_at"] = _timestamp(entry["occurred_at"])
    payload["prev_hash"] = prev_hash
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_tail(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": CHAIN_LOCK_KEY})


def chain_tail(connection: Connection) -> str:
    """The hash the next entry must carry as its ``prev_hash``."""
    last = connection.scalar(_TAIL)
    return last or GENESIS_HASH


def append_entries(connection: Connection, entries: Sequence[Mapping[str, Any]]) -> None:
    """Insert audit entries at the end of the chain, in order, in one statement.

    On PostgreSQL the advisory lock is held to the end of the transaction, so a transaction that
    appends keeps later appenders waiting until it commits or rolls back."""
    if not entries:
        return
    _lock_tail(connection)
    previous = chain_tail(connection)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        row = dict(entry)
        row["prev_hash"] = previous
        row["entry_hash"] = previous = compute_entry_hash(previous, row)
        rows.append(row)
    connection.execute(_INSERT, rows)


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

    @property
    def intact(self) -> bool:
        return self.broken is None


def _batches(connection: Connection, from_id: int | None, size: int) -> Iterator[Sequence[Any]]:
    columns = [_TABLE.c.id, _TABLE.c.prev_hash, _TABLE.c.entry_hash]
    columns += [_TABLE.c[field] for field in HASHED_FIELDS]
    after = (from_id - 1) if from_id is not None else None
    while True:
        statement = select(*columns).order_by(_TABLE.c.id).limit(size)
        if after is not None:
            statement = statement.where(_TABLE.c.id > after)
        batch = connection.execute(statement).all()
        if not batch:
            return
        yield batch
        after = batch[-1].id


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
    """Walk the log in id order, a batch at a time (constant memory), and stop at the first break.

    From the start, the first entry must link to the genesis hash. From ``from_id`` (an anchor, e.g.
    the first entry kept after a DBA pruned older ones) the first entry's stored ``prev_hash`` is
    trusted and everything after it is checked."""
    expected: str | None = None if from_id is not None else GENESIS_HASH
    checked = 0
    last_id: int | None = None
    for batch in _batches(connection, from_id, batch_size):
        for row in batch:
            if expected is not None and row.prev_hash != expected:
                problem = (
                    f"prev_hash {row.prev_hash} does not match the previous entry's hash "
                    f"{expected} (an entry before it was removed, inserted or reordered)"
                )
                return ChainReport(checked, last_id, expected, _break(row, problem))
            recomputed = compute_entry_hash(row.prev_hash, row._asdict())
            if recomputed != row.entry_hash:
                problem = (
                    f"entry_hash {row.entry_hash} does not match its contents (recomputed "
                    f"{recomputed}): the entry was changed"
                )
                return ChainReport(checked, last_id, expected, _break(row, problem))
            expected = row.entry_hash
            last_id = row.id
            checked += 1
    return ChainReport(checked, last_id, expected, None)
