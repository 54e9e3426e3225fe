"""Twenty writers committing audited work at the same moment while two sealers link it into the
chain, with real connections and commits: the chain neither forks nor breaks, and every entry is
in it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fengkong import recorders
from fengkong.audit.chain import seal_all, seal_pending, verify_chain
from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.db import Database
from tests.conftest import BACKENDS, migrated_database
from tests.factories import CustomerFactory, make_uscc

WRITERS = 20
ROUNDS = 3
ENTRIES_PER_ROUND = 3  # the customer's create, an export action, the customer's update


@pytest.fixture(params=BACKENDS)
def committed_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as database:
        yield database


def _write(database: Database, writer: int, start: threading.Barrier) -> None:
    actor = Actor.system(f"writer{writer}")
    start.wait()
    for round_number in range(ROUNDS):
        serial = 10_000 + writer * 100 + round_number
        with database.session_scope(actor=actor) as session:
            customer = CustomerFactory.build(
                uscc=make_uscc(serial), name=f"并发写入测试公司{serial}"
            )
            session.add(customer)
            session.flush()
            recorders.record_action(
                session,
                action="export",
                entity_type="customers",
                entity_id=str(customer.id),
                details={"writer": writer, "round": round_number},
            )
            customer.name_en = f"Concurrent Writer {serial}"


def _seal_until(database: Database, done: threading.Event, wait: bool) -> int:
    """A background sealer's passes, as fast as they come, until the writers are done."""
    sealed = 0
    while not done.is_set():
        with database.engine.begin() as connection:
            sealed += seal_pending(connection, wait=wait, limit=7)
    return sealed


def test_twenty_concurrent_writers_leave_one_unbroken_chain(committed_database: Database) -> None:
    with committed_database.engine.connect() as connection:
        existing = connection.scalar(select(func.count()).select_from(AuditEntry)) or 0
    start = threading.Barrier(WRITERS)
    writing = threading.Event()
    with ThreadPoolExecutor(max_workers=WRITERS + 2) as pool:
        sealers = [
            pool.submit(_seal_until, committed_database, writing, wait) for wait in (True, False)
        ]
        futures = [pool.submit(_write, committed_database, n, start) for n in range(WRITERS)]
        for future in futures:
            future.result()
        writing.set()
        sealed_meanwhile = sum(sealer.result() for sealer in sealers)
    sealed_after = seal_all(committed_database.engine)

    with committed_database.engine.connect() as connection:
        forks = connection.execute(
            select(AuditEntry.prev_hash).group_by(AuditEntry.prev_hash).having(func.count() > 1)
        ).all()
        report = verify_chain(connection)
        writers = connection.scalar(
            select(func.count(func.distinct(AuditEntry.actor_username))).where(
                AuditEntry.actor_username.like("writer%")
            )
        )

    written = WRITERS * ROUNDS * ENTRIES_PER_ROUND
    assert forks == []
    assert report.intact, report.broken
    assert report.pending == 0
    assert report.checked == existing + written
    if committed_database.engine.dialect.name == "postgresql":
        assert sealed_meanwhile > 0
        assert sealed_meanwhile + sealed_after == written
    assert writers == WRITERS
