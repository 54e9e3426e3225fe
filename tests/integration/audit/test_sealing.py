"""Sealing on PostgreSQL: writers commit their audit entries pending and never wait for the chain;
sealing links committed entries in the order they became visible, once, and the append-only
trigger lets nothing else through."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from fengkong import recorders
from fengkong.audit.chain import (
    CHAIN_LOCK_KEY,
    pending_entries,
    seal_all,
    verify_chain,
)
from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.jobs.audit_seal import SealLoop
from tests.conftest import migrated_database

ACTOR = Actor.system("sealing-test")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database("postgresql", tmp_path_factory.mktemp("sealing")) as opened:
        yield opened


def _record(database: Database, entity_id: str) -> int:
    """One committed audited action; its entry's id."""
    with database.session_scope(actor=ACTOR) as session:
        recorders.record_action(
            session, action="export", entity_type="sealing", entity_id=entity_id
        )
        return _entry_id(session.connection(), entity_id)


def _entry_id(connection: object, entity_id: str) -> int:
    statement = select(AuditEntry.id).where(AuditEntry.entity_id == entity_id)
    entry_id = connection.scalar(statement)  # type: ignore[attr-defined]
    assert entry_id is not None
    return int(entry_id)


def _chain_columns(database: Database, entry_id: int) -> tuple[int | None, str | None, str | None]:
    with database.engine.connect() as connection:
        row = connection.execute(
            select(AuditEntry.chain_position, AuditEntry.prev_hash, AuditEntry.entry_hash).where(
                AuditEntry.id == entry_id
            )
        ).one()
    return row.chain_position, row.prev_hash, row.entry_hash


def _pending_after_waiting(database: Database, *, seconds: float) -> int:
    """Pending entries once a sealer running elsewhere has sealed them all, or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        with database.engine.connect() as connection:
            pending = pending_entries(connection)
        if pending == 0 or time.monotonic() > deadline:
            return pending
        time.sleep(0.05)


def test_a_writer_does_not_wait_for_a_sealer_holding_the_chain(database: Database) -> None:
    seal_all(database.engine)
    with database.engine.connect() as sealer:
        sealer.execute(text("SELECT pg_advisory_lock(:key)"), {"key": CHAIN_LOCK_KEY})
        try:
            started = time.monotonic()
            entry_id = _record(database, "while-sealing")
            took = time.monotonic() - started
        finally:
            sealer.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": CHAIN_LOCK_KEY})

    assert took < 2.0
    assert _chain_columns(database, entry_id) == (None, None, None)
    assert seal_all(database.engine) == 1
    position, prev_hash, entry_hash = _chain_columns(database, entry_id)
    assert position is not None
    assert prev_hash is not None
    assert entry_hash is not None


def test_an_entry_committed_late_is_sealed_after_later_ids(database: Database) -> None:
    seal_all(database.engine)
    with database.session_scope(actor=ACTOR) as late:
        recorders.record_action(late, action="export", entity_type="sealing", entity_id="late")
        late.flush()
        late_id = _entry_id(late.connection(), "late")
        early_id = _record(database, "early")
        assert seal_all(database.engine) == 1  # the late entry is not committed yet
    with database.engine.connect() as connection:
        assert pending_entries(connection) == 1
    assert seal_all(database.engine) == 1

    late_position, late_prev, _ = _chain_columns(database, late_id)
    early_position, _, early_hash = _chain_columns(database, early_id)
    assert late_id < early_id
    assert late_position is not None
    assert early_position is not None
    assert late_position > early_position
    assert late_prev == early_hash
    with database.engine.connect() as connection:
        report = verify_chain(connection)
    assert report.intact, report.broken
    assert report.pending == 0
    assert report.last_id == late_id


@pytest.mark.parametrize(
    "assignments",
    [
        "action = 'view', chain_position = 9000001, prev_hash = :hash, entry_hash = :hash",
        "chain_position = 9000002",
        "prev_hash = :hash, entry_hash = :hash",
    ],
    ids=["sealing-and-changing", "position-only", "hashes-only"],
)
def test_the_trigger_lets_only_a_whole_sealing_through_once(
    database: Database, assignments: str
) -> None:
    entry_id = _record(database, f"trigger-{assignments[:12]}")
    forged = {"hash": "a" * 64, "id": entry_id}
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as connection:
        # The assignments come from this test's own parameters, never from input.
        connection.execute(text(f"UPDATE audit_log SET {assignments} WHERE id = :id"), forged)  # noqa: S608

    seal_all(database.engine)
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry_id)
            .values(chain_position=9000003, prev_hash="b" * 64, entry_hash="b" * 64)
        )
    with database.engine.connect() as connection:
        assert verify_chain(connection).intact


def test_the_background_loops_of_two_processes_seal_what_is_committed(database: Database) -> None:
    loops = [SealLoop(database.engine, interval_seconds=0.05) for _ in range(2)]
    for loop in loops:
        loop.start()
    try:
        for number in range(5):
            _record(database, f"loop-{number}")
        pending = _pending_after_waiting(database, seconds=10)
    finally:
        for loop in loops:
            loop.stop()

    assert pending == 0
    assert all(not loop.running for loop in loops)
    with database.engine.connect() as connection:
        assert verify_chain(connection).intact


def test_seal_follow_keeps_sealing_until_terminated(database: Database) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    command = [str(Path(sys.executable).parent / "fengkong"), "audit", "seal", "--follow"]
    environment = {**os.environ, "FENGKONG_DATABASE_URL": url}
    follower = subprocess.Popen(command, env=environment)  # noqa: S603 - fixed arguments
    try:
        for number in range(3):
            _record(database, f"follow-{number}")
        pending = _pending_after_waiting(database, seconds=20)
    finally:
        follower.terminate()
        exit_code = follower.wait(timeout=30)

    assert pending == 0
    assert exit_code == 0
